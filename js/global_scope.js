// The Workers global scope: which Web APIs a worker sees, and where each
// comes from. Most are deno's own implementations (deno_web, deno_fetch),
// loaded eagerly here so that nothing lazy needs `Deno` or `__bootstrap`
// after they are removed from the global object.

(function () {
const { core, primordials } = __bootstrap;
const { op_kiln_print, op_kiln_worker_info } = core.ops;
const {
  ObjectDefineProperty,
  ObjectDefineProperties,
  ObjectSetPrototypeOf,
  ObjectPrototypeIsPrototypeOf,
  ObjectGetPrototypeOf,
  ObjectPrototype,
  Proxy,
  ReflectApply,
  ReflectConstruct,
  SafeMap,
  SafeSet,
  StringPrototypeToLowerCase,
  StringPrototypeToUpperCase,
  RangeError,
  Symbol,
  TypeError,
  EvalError,
  PromiseReject,
  SymbolFor,
} = primordials;

const load = (specifier) => core.loadExtScript(specifier);

// deno_fetch expects parts of Deno's runtime; see deno_shims.js.
load("ext:deno_net/02_tls.js");

const webidl = load("ext:deno_webidl/00_webidl.js");
const url = load("ext:deno_web/00_url.js");
const urlPattern = load("ext:deno_web/01_urlpattern.js");
const consoleMod = load("ext:deno_web/01_console.js");
const domException = load("ext:deno_web/01_dom_exception.js");
const event = load("ext:deno_web/02_event.js");
const structuredCloneMod = load("ext:deno_web/02_structured_clone.js");
const timers = load("ext:deno_web/02_timers.js");
const abortSignal = load("ext:deno_web/03_abort_signal.js");
const base64 = load("ext:deno_web/05_base64.js");
const streams = load("ext:deno_web/06_streams.js");
const encoding = load("ext:deno_web/08_text_encoding.js");
const file = load("ext:deno_web/09_file.js");
const messagePort = load("ext:deno_web/13_message_port.js");
const compression = load("ext:deno_web/14_compression.js");
const performanceMod = load("ext:deno_web/15_performance.js");
const headers = load("ext:deno_fetch/20_headers.js");
const formData = load("ext:deno_fetch/21_formdata.js");
const request = load("ext:deno_fetch/23_request.js");
const response = load("ext:deno_fetch/23_response.js");
const fetchMod = load("ext:deno_fetch/26_fetch.js");
const websocket = load("ext:kiln/websocket.js");

// Ops report some errors by class name ("DOMExceptionSyntaxError" from atob,
// the crypto ops, ...): without a builder for the name, JavaScript would catch
// `undefined`.
for (const name of [
  "AbortError",
  "DataError",
  "IndexSizeError",
  "InvalidAccessError",
  "InvalidCharacterError",
  "InvalidStateError",
  "NetworkError",
  "NotFoundError",
  "NotSupportedError",
  "OperationError",
  "QuotaExceededError",
  "SyntaxError",
  "TypeMismatchError",
]) {
  core.registerErrorBuilder(
    `DOMException${name}`,
    (message) => new domException.DOMException(message, name),
  );
}

// Console output goes through one op that prefixes the worker's name, with
// colours only where a terminal will show them.
const workerFacts = op_kiln_worker_info();
const { stdoutIsTerminal, stderrIsTerminal } = workerFacts;
const flags = new SafeSet(workerFacts.flags);

consoleMod.setNoColorFns(() => !stdoutIsTerminal, () => !stderrIsTerminal);
const console = new consoleMod.Console((msg, level) =>
  op_kiln_print(msg, level)
);

// An exception thrown by a timer or microtask callback is reported, not fatal:
// in Workers one failing callback does not take the isolate down.
function reportException(error) {
  console.error("Uncaught", error);
}
core.setReportExceptionCallback(reportException);

// An exception thrown by an event listener (of any EventTarget) reaches
// deno's EventTarget as an `error` event on the global scope, and, unless
// something cancels it, as an uncaught exception that stops the isolate's
// event loop and with it the worker. In Workers it is reported and the
// dispatch goes on, so kiln cancels it here and reports it; while kiln
// dispatches an event of its own (js/dispatch.js), the exception goes to
// that event instead.
let listenerErrorCapture = null;
function onListenerError(errorEvent) {
  errorEvent.preventDefault();
  if (listenerErrorCapture !== null) listenerErrorCapture(errorEvent.error);
  else reportException(errorEvent.error);
}
/** Runs `fn`; an exception a listener throws meanwhile goes to `capture`. */
function withListenerErrors(capture, fn) {
  const previous = listenerErrorCapture;
  listenerErrorCapture = capture;
  try {
    return fn();
  } finally {
    listenerErrorCapture = previous;
  }
}
websocket.configure(flags, reportException);

function wrapCallback(callback, method) {
  if (typeof callback !== "function") {
    // Workers has no eval: a string callback cannot be compiled.
    throw new TypeError(
      `Failed to execute '${method}': parameter 1 is not of type 'Function'.`,
    );
  }
  return function (...args) {
    try {
      return ReflectApply(callback, this, args);
    } catch (e) {
      reportException(e);
    }
  };
}

// deno's timers refuse a `this` other than the global object or undefined.
const {
  setTimeout: denoSetTimeout,
  setInterval: denoSetInterval,
  clearTimeout: denoClearTimeout,
  clearInterval: denoClearInterval,
} = timers;

// A timer set while Durable Object events run keeps those objects from
// hibernating until it fires or is cleared: js/durable_objects.js installs
// `timerHold`, which returns a hold with release(), or null.
let timerHold = () => null;
const timerHolds = new SafeMap();
function setTimerHold(hold) {
  timerHold = hold;
}
function releaseTimer(id) {
  const hold = timerHolds.get(id);
  if (hold !== undefined) {
    timerHolds.delete(id);
    hold.release();
  }
}

function setTimeout(callback, delay = 0, ...args) {
  const wrapped = wrapCallback(callback, "setTimeout");
  const hold = timerHold();
  if (hold === null) return denoSetTimeout(wrapped, delay, ...args);
  const id = denoSetTimeout(function (...a) {
    releaseTimer(id);
    return ReflectApply(wrapped, this, a);
  }, delay, ...args);
  timerHolds.set(id, hold);
  return id;
}
function setInterval(callback, delay = 0, ...args) {
  const id = denoSetInterval(wrapCallback(callback, "setInterval"), delay, ...args);
  const hold = timerHold();
  if (hold !== null) timerHolds.set(id, hold);
  return id;
}
function clearTimeout(id = 0) {
  releaseTimer(id);
  denoClearTimeout(id);
}
function clearInterval(id = 0) {
  releaseTimer(id);
  denoClearInterval(id);
}

const nativeQueueMicrotask = globalThis.queueMicrotask;
function queueMicrotask(callback) {
  nativeQueueMicrotask(wrapCallback(callback, "queueMicrotask"));
}

// upper_case_all_http_methods: every method name given in a RequestInit is
// upper-cased, not only the six the Fetch standard normalizes ("patch"
// becomes "PATCH").
function upperCaseMethod(init) {
  if (
    !flags.has("upper_case_all_http_methods") || init === null ||
    typeof init !== "object" || typeof init.method !== "string" ||
    ObjectGetPrototypeOf(init) !== ObjectPrototype
  ) {
    return init;
  }
  return { ...init, method: StringPrototypeToUpperCase(init.method) };
}

// A proxy rather than a subclass, so that every Request (including those
// kiln makes for incoming requests) stays an instance of the global Request.
// Workers' RequestInit adds `cf` (what a subrequest asks of the edge; the
// Cache API reads `cf.cacheKey`) and accepts only the `cache` modes it
// implements.
const _cf = Symbol("cf");
const _cache = Symbol("cache");
const CACHE_MODES = ["no-store", "no-cache"];
const Request = new Proxy(request.Request, {
  construct(target, args, newTarget) {
    const init = args[1];
    let cache;
    if (init !== null && typeof init === "object" && init.cache !== undefined) {
      cache = String(init.cache);
      if (cache !== CACHE_MODES[0] && cache !== CACHE_MODES[1]) {
        throw new TypeError(`Unsupported cache mode: ${cache}`);
      }
      // deno's Request knows only the Fetch standard's modes: the mode is
      // taken out of a plain init, and a Request used as init (whose fields
      // are getters) gives it through its own mode below.
      if (ObjectGetPrototypeOf(init) === ObjectPrototype) {
        const { cache: _, ...rest } = init;
        args[1] = rest;
      }
    }
    if (args.length > 1) args[1] = upperCaseMethod(args[1]);
    const req = ReflectConstruct(target, args, newTarget);
    const from = args[0];
    const original = from !== null && typeof from === "object" ? from[_cf] : undefined;
    const cf = init !== null && typeof init === "object" && init.cf !== undefined ? init.cf : original;
    if (cf !== undefined) req[_cf] = cf;
    if (cache !== undefined) req[_cache] = cache;
    else if (from !== null && typeof from === "object" && from[_cache] !== undefined) req[_cache] = from[_cache];
    return req;
  },
});
ObjectDefineProperty(request.RequestPrototype, "cf", {
  get() {
    return this[_cf];
  },
  enumerable: true,
  configurable: true,
});
ObjectDefineProperty(request.RequestPrototype, "cache", {
  get() {
    return this[_cache];
  },
  enumerable: true,
  configurable: true,
});

// A Response may carry a WebSocket: `new Response(null, {status: 101,
// webSocket})`. deno's Response allows only 200-599, so such a Response is
// built with 200 and its inner status set to 101 afterwards.
const _webSocket = Symbol("webSocket");
const Response = new Proxy(response.Response, {
  construct(target, args, newTarget) {
    const init = args[1];
    const ws = init !== null && typeof init === "object" ? init.webSocket : undefined;
    if (ws === undefined || ws === null) {
      // deno's Response would take 101; Workers allows it only with a
      // WebSocket (and says so in its own words).
      if (
        init !== null && typeof init === "object" && init.status !== undefined &&
        !(init.status >= 200 && init.status <= 599)
      ) {
        throw new RangeError(
          "Responses may only be constructed with status codes in the range 200 to 599, inclusive.",
        );
      }
      return ReflectConstruct(target, args, newTarget);
    }
    if (!websocket.isWebSocket(ws)) {
      throw new TypeError(
        "Incorrect type for the 'webSocket' field on 'InitializerDict': the provided value is not of type 'WebSocket'.",
      );
    }
    if (init.status !== 101) {
      throw new RangeError("Responses with a WebSocket must have status code 101.");
    }
    const { webSocket: _, ...rest } = init;
    const res = ReflectConstruct(target, [args[0], { ...rest, status: 200 }], newTarget);
    const inner = response.toInnerResponse(res);
    inner.status = 101;
    inner.statusMessage = "Switching Protocols";
    res[_webSocket] = ws;
    return res;
  },
});
ObjectDefineProperty(response.ResponsePrototype, "webSocket", {
  get() {
    return this[_webSocket] ?? null;
  },
  enumerable: true,
  configurable: true,
});
const responseClone = response.ResponsePrototype.clone;
ObjectDefineProperty(response.ResponsePrototype, "clone", {
  value: function clone() {
    if (this[_webSocket] !== undefined) {
      throw new TypeError("Cannot clone a response to a WebSocket handshake.");
    }
    return ReflectApply(responseClone, this, []);
  },
  writable: true,
  enumerable: true,
  configurable: true,
});

/** The WebSocket a Response carries, if any. */
function webSocketOf(res) {
  return res[_webSocket];
}

function fetch(input, init = undefined) {
  init = upperCaseMethod(init);
  if (isWebSocketFetch(input, init)) return fetchWebSocket(input, init);
  const refused = notFetchable(input);
  if (refused !== undefined) return PromiseReject(refused);
  return fetchMod.fetch(input, init);
}

/**
 * Workers fetch http:, https: and data: URLs; any other scheme is refused
 * with workerd's error (measured on workerd 2026-11-17: file: and ftp:
 * refused, data: answered). deno_fetch would read a file: URL. blob: URLs
 * are left to deno_fetch (not compared).
 */
function notFetchable(input) {
  const href = ObjectPrototypeIsPrototypeOf(request.RequestPrototype, input)
    ? input.url
    : `${input}`;
  let scheme;
  try {
    scheme = new url.URL(href).protocol;
  } catch {
    return undefined; // deno_fetch reports a URL it cannot parse
  }
  if (scheme === "http:" || scheme === "https:" || scheme === "data:" || scheme === "blob:") {
    return undefined;
  }
  return new TypeError(`Fetch API cannot load: ${href}`);
}

function isWebSocketFetch(input, init) {
  const source = init !== null && typeof init === "object" && init.headers !== undefined
    ? init.headers
    : ObjectPrototypeIsPrototypeOf(request.RequestPrototype, input)
    ? input.headers
    : undefined;
  if (source === undefined) return false;
  const upgrade = new headers.Headers(source).get("upgrade");
  return upgrade !== null && StringPrototypeToLowerCase(upgrade) === "websocket";
}

/** fetch() of a WebSocket: the handshake, then a 101 Response with `webSocket`. */
async function fetchWebSocket(input, init) {
  const req = new Request(input, init);
  const inner = request.toInnerRequest(req);
  const { reply, webSocket } = await websocket.fetchWebSocket(
    inner.url(),
    inner.headerList,
    req.signal,
  );
  if (webSocket !== null) {
    return new Response(null, { status: 101, webSocket, headers: reply.headers });
  }
  const nullBody = response.nullBodyStatus(reply.status);
  const body = nullBody || reply.bodyRid === null
    ? null
    : streams.readableStreamForRid(reply.bodyRid);
  return new Response(body, {
    status: reply.status,
    statusText: reply.statusText,
    headers: reply.headers,
  });
}

const navigator = ObjectDefineProperties({}, {
  userAgent: { value: "Cloudflare-Workers", enumerable: true },
  hardwareConcurrency: { value: 1, enumerable: true },
  language: { value: "en", enumerable: true },
});

// The global object is an EventTarget (`addEventListener('fetch', ...)`), as
// the ServiceWorkerGlobalScope of Workers is.
class ServiceWorkerGlobalScope extends event.EventTarget {
  constructor() {
    throw new TypeError("Illegal constructor");
  }
}

const writable = (value) => ({
  value,
  writable: true,
  enumerable: false,
  configurable: true,
});
const readonly = (value) => ({
  value,
  writable: false,
  enumerable: true,
  configurable: true,
});

let cryptoCache;
function cryptoModule() {
  return cryptoCache ??= load("ext:deno_crypto/00_crypto.js");
}

/** A global whose value is computed on first access, then kept as data. */
function lazyGlobal(name, compute) {
  return {
    get() {
      const value = compute();
      ObjectDefineProperty(globalThis, name, writable(value));
      return value;
    },
    set(value) {
      ObjectDefineProperty(globalThis, name, writable(value));
    },
    enumerable: false,
    configurable: true,
  };
}

/** The properties installed on `globalThis`, by interface name. */
const globalProperties = {
  // URL
  URL: writable(url.URL),
  URLSearchParams: writable(url.URLSearchParams),
  URLPattern: writable(urlPattern.URLPattern),
  // Events
  Event: writable(event.Event),
  EventTarget: writable(event.EventTarget),
  CustomEvent: writable(event.CustomEvent),
  ErrorEvent: writable(event.ErrorEvent),
  CloseEvent: writable(event.CloseEvent),
  MessageEvent: writable(event.MessageEvent),
  PromiseRejectionEvent: writable(event.PromiseRejectionEvent),
  DOMException: writable(domException.DOMException),
  AbortController: writable(abortSignal.AbortController),
  AbortSignal: writable(abortSignal.AbortSignal),
  // Encoding
  TextEncoder: writable(encoding.TextEncoder),
  TextDecoder: writable(encoding.TextDecoder),
  TextEncoderStream: writable(encoding.TextEncoderStream),
  TextDecoderStream: writable(encoding.TextDecoderStream),
  atob: writable(base64.atob),
  btoa: writable(base64.btoa),
  // Streams
  ReadableStream: writable(streams.ReadableStream),
  ReadableStreamDefaultReader: writable(streams.ReadableStreamDefaultReader),
  ReadableStreamBYOBReader: writable(streams.ReadableStreamBYOBReader),
  ReadableStreamBYOBRequest: writable(streams.ReadableStreamBYOBRequest),
  ReadableByteStreamController: writable(streams.ReadableByteStreamController),
  ReadableStreamDefaultController: writable(
    streams.ReadableStreamDefaultController,
  ),
  TransformStream: writable(streams.TransformStream),
  TransformStreamDefaultController: writable(
    streams.TransformStreamDefaultController,
  ),
  WritableStream: writable(streams.WritableStream),
  WritableStreamDefaultWriter: writable(streams.WritableStreamDefaultWriter),
  WritableStreamDefaultController: writable(
    streams.WritableStreamDefaultController,
  ),
  ByteLengthQueuingStrategy: writable(streams.ByteLengthQueuingStrategy),
  CountQueuingStrategy: writable(streams.CountQueuingStrategy),
  CompressionStream: writable(compression.CompressionStream),
  DecompressionStream: writable(compression.DecompressionStream),
  // Files and messages
  Blob: writable(file.Blob),
  File: writable(file.File),
  FormData: writable(formData.FormData),
  MessageChannel: writable(messagePort.MessageChannel),
  MessagePort: writable(messagePort.MessagePort),
  // Fetch
  Headers: writable(headers.Headers),
  Request: writable(Request),
  Response: writable(Response),
  WebSocket: writable(websocket.WebSocket),
  WebSocketPair: writable(websocket.WebSocketPair),
  fetch: writable(fetch),
  // Scheduling and the rest
  setTimeout: writable(setTimeout),
  setInterval: writable(setInterval),
  clearTimeout: writable(clearTimeout),
  clearInterval: writable(clearInterval),
  queueMicrotask: writable(queueMicrotask),
  structuredClone: writable(load("ext:kiln/structured_clone.js").wrap(structuredCloneMod.structuredClone)),
  reportError: writable(event.reportError),
  console: writable(console),
  // deno_crypto's JavaScript is parsed on first use: it is a large share of
  // start-up otherwise, and most workers never touch crypto.
  crypto: lazyGlobal("crypto", () => cryptoModule().crypto),
  Crypto: lazyGlobal("Crypto", () => cryptoModule().Crypto),
  CryptoKey: lazyGlobal("CryptoKey", () => cryptoModule().CryptoKey),
  SubtleCrypto: lazyGlobal("SubtleCrypto", () => cryptoModule().SubtleCrypto),
  performance: writable(performanceMod.performance),
  Performance: writable(performanceMod.Performance),
  navigator: readonly(navigator),
  ServiceWorkerGlobalScope: writable(ServiceWorkerGlobalScope),
};

/**
 * Turns the realm's global object into a Workers global scope and removes
 * every door into the runtime's internals.
 */
/**
 * Workers compiles no code from strings: `eval()`, `new Function()` and the
 * async and generator function constructors throw workerd's EvalError.
 * Each constructor stays itself for `instanceof` and `prototype` (a Proxy),
 * and `fn.constructor` leads to the refusing one too.
 */
function refuseCodeGeneration() {
  const refuse = () => {
    throw new EvalError("Code generation from strings disallowed for this context");
  };
  // A method keeps the name `eval`, which a strict function cannot have.
  const replacement = {
    eval(_source) {
      refuse();
    },
  }.eval;
  ObjectDefineProperty(globalThis, "eval", {
    value: replacement,
    writable: true,
    enumerable: false,
    configurable: true,
  });
  const constructors = [
    Function,
    ObjectGetPrototypeOf(async function () {}).constructor,
    ObjectGetPrototypeOf(function* () {}).constructor,
    ObjectGetPrototypeOf(async function* () {}).constructor,
  ];
  for (const original of constructors) {
    const refusing = new Proxy(original, { apply: refuse, construct: refuse });
    ObjectDefineProperty(original.prototype, "constructor", {
      value: refusing,
      writable: true,
      enumerable: false,
      configurable: true,
    });
    if (original === Function) {
      ObjectDefineProperty(globalThis, "Function", {
        value: refusing,
        writable: true,
        enumerable: false,
        configurable: true,
      });
    }
  }
}

/**
 * Nor Wasm compiled from bytes at run time: `WebAssembly.compile()`,
 * `instantiate()` of bytes and `new WebAssembly.Module()` throw workerd's
 * CompileError. Wasm imported as a module (the `CompiledWasm` rule) is
 * compiled by the real constructor, which runtime/worker/src/loader.rs's
 * `kiln:wasm-compile` module takes from under a global symbol.
 */
function refuseWasmCompilation() {
  const wasm = globalThis.WebAssembly;
  if (wasm === undefined) return;
  const OriginalModule = wasm.Module;
  const refused = (what) =>
    new wasm.CompileError(`WebAssembly.${what}(): Wasm code generation disallowed by embedder`);
  ObjectDefineProperty(globalThis, SymbolFor("kiln.wasm-compile"), {
    value: (bytes) => new OriginalModule(bytes),
    writable: false,
    enumerable: false,
    configurable: true,
  });
  const isModule = (value) => ObjectPrototypeIsPrototypeOf(OriginalModule.prototype, value);
  const originalInstantiate = wasm.instantiate;
  const set = (name, value) =>
    ObjectDefineProperty(wasm, name, { value, writable: true, enumerable: false, configurable: true });
  set("Module", new Proxy(OriginalModule, {
    apply() {
      throw refused("Module");
    },
    construct() {
      throw refused("Module");
    },
  }));
  set("compile", {
    compile(_bytes) {
      return PromiseReject(refused("compile"));
    },
  }.compile);
  set("compileStreaming", {
    compileStreaming(_source) {
      return PromiseReject(refused("compileStreaming"));
    },
  }.compileStreaming);
  set("instantiate", {
    instantiate(source, imports) {
      // A module already compiled (imported) may be instantiated.
      if (isModule(source)) return ReflectApply(originalInstantiate, wasm, [source, imports]);
      return PromiseReject(refused("instantiate"));
    },
  }.instantiate);
  set("instantiateStreaming", {
    instantiateStreaming(_source, _imports) {
      return PromiseReject(refused("instantiateStreaming"));
    },
  }.instantiateStreaming);
}

function installGlobalScope(extra) {
  refuseCodeGeneration();
  refuseWasmCompilation();
  ObjectDefineProperties(globalThis, globalProperties);
  for (const name in extra) {
    ObjectDefineProperty(globalThis, name, writable(extra[name]));
  }
  ObjectSetPrototypeOf(globalThis, ServiceWorkerGlobalScope.prototype);
  event.saveGlobalThisReference(globalThis);
  event.setEventTargetData(globalThis);
  globalThis[webidl.brand] = webidl.brand;
  globalThis.addEventListener("error", onListenerError);
  ObjectDefineProperty(globalThis, "self", {
    get() {
      return globalThis;
    },
    enumerable: true,
    configurable: true,
  });
  // `Deno` holds `core`, and through it every op; `__bootstrap` likewise.
  delete globalThis.Deno;
  delete globalThis.__bootstrap;
}

return {
  console,
  domException,
  requestCf: _cf,
  event,
  installGlobalScope,
  reportException,
  request,
  response,
  setTimerHold,
  streams,
  withListenerErrors,
  webSocketOf,
  websocket,
  workerFacts,
};
})();
