// Fetch dispatch: finds the worker's handler (ES module `export default
// { fetch }` or service-worker `addEventListener('fetch')`), turns each
// incoming request into a `Request`, calls the handler and sends its
// `Response` back to Rust. Requests are drained in batches; each one runs as
// its own promise chain, so slow handlers interleave as they do in Workers.

(function () {
const { core, primordials } = __bootstrap;
const {
  op_kiln_next_requests,
  op_kiln_respond,
  op_kiln_respond_stream,
  op_kiln_respond_text,
  op_kiln_respond_websocket,
  op_kiln_wait_until,
  op_kiln_event_began,
} = core.ops;
const {
  console,
  domException,
  event,
  reportException,
  request: requestMod,
  requestCf: _cf,
  response: responseMod,
  streams,
  webSocketOf,
  websocket,
  withListenerErrors,
  workerFacts,
} = core.loadExtScript("ext:kiln/global_scope.js");
const { ASSETS, Fetcher, bodyForOp } = core.loadExtScript("ext:kiln/service.js");
const durableObjects = core.loadExtScript("ext:kiln/durable_objects.js");
const kv = core.loadExtScript("ext:kiln/kv.js");
const d1 = core.loadExtScript("ext:kiln/d1.js");
const queues = core.loadExtScript("ext:kiln/queues.js");
const r2 = core.loadExtScript("ext:kiln/r2.js");
const {
  ObjectDefineProperty,
  ObjectFreeze,
  ObjectKeys,
  ObjectPrototypeIsPrototypeOf,
  ArrayPrototypePush,
  DateNow,
  Error,
  JSONStringify,
  NumberIsNaN,
  NumberParseInt,
  PromisePrototypeThen,
  PromiseResolve,
  SymbolToStringTag,
  SafeSet,
  SymbolFor,
  StringPrototypeToLowerCase,
  TypeError,
} = primordials;

const { InnerBody } = core.loadExtScript("ext:deno_fetch/22_body.js");

// ---------------------------------------------------------------------------
// ExecutionContext and FetchEvent, as Workers defines them.

const illegal = Symbol("illegal constructor");

const _pending = Symbol("waitUntil promises");

class ExecutionContext {
  constructor(key, collect = false) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    // A scheduled event waits for its waitUntil() promises (its outcome
    // depends on them); a fetch event does not.
    this[_pending] = collect ? [] : null;
  }
  waitUntil(promise) {
    if (arguments.length < 1) {
      throw new TypeError(
        "Failed to execute 'waitUntil' on 'ExecutionContext': 1 argument required, but only 0 present.",
      );
    }
    if (this[_pending] !== null) {
      ArrayPrototypePush(this[_pending], PromiseResolve(promise));
      return;
    }
    // The isolate lives as long as the process, so the promise needs no
    // keep-alive; a rejection is reported like any uncaught error. A
    // graceful shutdown waits for it (op_kiln_wait_until counts).
    op_kiln_wait_until(true);
    PromisePrototypeThen(
      PromiseResolve(promise),
      () => op_kiln_wait_until(false),
      (error) => {
        op_kiln_wait_until(false);
        reportException(error);
      },
    );
  }
  passThroughOnException() {
    // There is no origin behind a local worker to pass through to.
  }
  get props() {
    return {};
  }
}

const _request = Symbol("request");
const _respondWith = Symbol("respondWith");
const _ctx = Symbol("ctx");

class FetchEvent extends event.Event {
  constructor(type, init = undefined) {
    super(type);
    if (init?.[illegal] === undefined) {
      throw new TypeError("Illegal constructor");
    }
    this[_request] = init.request;
    this[_ctx] = init.ctx;
    this[_respondWith] = null;
  }
  get request() {
    return this[_request];
  }
  respondWith(response) {
    if (this[_respondWith] !== null) {
      throw new domException.DOMException(
        "FetchEvent.respondWith() has already been called; it can only be called once.",
        "InvalidStateError",
      );
    }
    this.stopImmediatePropagation();
    this[_respondWith] = PromiseResolve(response);
  }
  waitUntil(promise) {
    this[_ctx].waitUntil(promise);
  }
  passThroughOnException() {}
}

// ---------------------------------------------------------------------------
// Finding the handler.

let env = {};
let workerName = "";
/** @type {(request: Request, ctx: ExecutionContext) => unknown} */
let callHandler = null;
/** The scheduled handler: `(controller, ctx) => result`, or null. */
let callScheduled = null;
/** The queue handler: `(batch, ctx) => result`. */
let callQueue = null;

/**
 * Called by Rust twice: `entry("prepare", isServiceWorker)` before the
 * worker's script runs (a service-worker script sees its bindings as
 * globals), then `entry("start", namespace)` after it has run, with the
 * module namespace of an ES module worker or `undefined`.
 */
function entry(kind, namespace) {
  if (kind === "prepare") {
    env = buildEnv(workerFacts);
    workerName = workerFacts.name;
    durableObjects.configure(workerFacts, env, new SafeSet(workerFacts.flags), reportException);
    queues.configure(durableObjects, new SafeSet(workerFacts.flags));
    exposeCloudflareWorkers();
    exposeNodeInternals(new SafeSet(workerFacts.flags));
    if (namespace === true) installServiceWorkerBindings();
    return;
  }
  // The script has run: the compiler kept for its Wasm imports goes.
  delete globalThis[SymbolFor("kiln.wasm-compile")];
  if (namespace !== undefined && namespace !== null) {
    durableObjects.start(namespace);
    callHandler = moduleHandler(namespace);
    callScheduled = moduleScheduled(namespace);
    callQueue = moduleQueue(namespace);
  } else {
    const error = durableObjects.serviceWorkerError();
    if (error !== null) throw new TypeError(error);
    callHandler = serviceWorkerHandler();
    callScheduled = serviceWorkerScheduled;
    callQueue = serviceWorkerQueue;
  }
  serve();
}

function moduleHandler(namespace) {
  const exported = namespace.default;
  if (exported === undefined) {
    throw new TypeError(
      `The worker "${workerName}" has no default export. An ES module worker exports its handlers: export default { fetch(request, env, ctx) { ... } }`,
    );
  }
  let target = exported;
  if (typeof exported === "function" && exported.prototype !== undefined) {
    // A class entrypoint (`export default class extends WorkerEntrypoint`):
    // one instance serves every request.
    target = new exported(undefined, env);
  }
  if (
    target === null || (typeof target !== "object" &&
      typeof target !== "function") || typeof target.fetch !== "function"
  ) {
    throw new TypeError(
      `The worker "${workerName}" has no fetch handler: its default export must have a fetch(request, env, ctx) method.`,
    );
  }
  return (request, ctx) => target.fetch(request, env, ctx);
}

function moduleScheduled(namespace) {
  let target = namespace.default;
  if (typeof target === "function" && target.prototype !== undefined) {
    target = new target(undefined, env);
  }
  if (target === null || target === undefined || typeof target.scheduled !== "function") {
    return null;
  }
  return (controller, ctx) => target.scheduled(controller, env, ctx);
}

function moduleQueue(namespace) {
  let target = namespace.default;
  if (typeof target === "function" && target.prototype !== undefined) {
    target = new target(undefined, env);
  }
  return (batch, ctx) => {
    if (target === null || target === undefined || typeof target.queue !== "function") {
      throw new Error("Handler does not export a queue() function.");
    }
    return target.queue(batch, env, ctx);
  };
}

function serviceWorkerQueue(batch, ctx) {
  if (event.listenerCount(globalThis, "queue") === 0) {
    throw new Error("No event listener registered for queue messages.");
  }
  dispatchCatching(new QueueEvent(batch, ctx));
}

function serviceWorkerScheduled(controller, ctx) {
  if (event.listenerCount(globalThis, "scheduled") === 0) {
    throw new Error("Handler does not export a scheduled() function");
  }
  dispatchCatching(new ScheduledEvent(controller, ctx));
}

/**
 * Dispatches `ev` on the global scope and throws what a listener threw.
 * deno's EventTarget reports a listener's exception as an `error` event on
 * the global scope and, when nothing cancels it, as an uncaught exception
 * that stops the isolate's event loop (and with it this worker's serving);
 * here it fails the event instead, as in workerd.
 */
function dispatchCatching(ev, answered = () => false) {
  const errors = [];
  withListenerErrors((error) => ArrayPrototypePush(errors, error), () => globalThis.dispatchEvent(ev));
  // kiln cannot tell a listener's own exception from one of an EventTarget
  // it dispatched to meanwhile; an event that got its answer (respondWith)
  // stands, and what was thrown is reported.
  if (errors.length > 0 && !answered()) {
    for (let i = 1; i < errors.length; i++) reportException(errors[i]);
    throw errors[0];
  }
  for (const error of errors) reportException(error);
}

// ---------------------------------------------------------------------------
// Scheduled events (cron triggers; runtime/host/src/cron.rs).

const TEXT_PLAIN = "text/plain;charset=UTF-8";

class ScheduledController {
  constructor(key, cron, scheduledTime) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this.cron = cron;
    this.scheduledTime = scheduledTime;
  }
  noRetry() {}
  get [SymbolToStringTag]() {
    return "ScheduledController";
  }
}

class ScheduledEvent extends event.Event {
  #controller;
  #ctx;
  constructor(controller, ctx) {
    super("scheduled");
    this.#controller = controller;
    this.#ctx = ctx;
  }
  get cron() {
    return this.#controller.cron;
  }
  get scheduledTime() {
    return this.#controller.scheduledTime;
  }
  waitUntil(promise) {
    this.#ctx.waitUntil(promise);
  }
  noRetry() {}
}

/** A service worker's `queue` event: the batch's methods and messages. */
class QueueEvent extends event.Event {
  #batch;
  #ctx;
  constructor(batch, ctx) {
    super("queue");
    this.#batch = batch;
    this.#ctx = ctx;
  }
  get queue() {
    return this.#batch.queue;
  }
  get messages() {
    return this.#batch.messages;
  }
  retryAll(options = undefined) {
    this.#batch.retryAll(options);
  }
  ackAll() {
    this.#batch.ackAll();
  }
  waitUntil(promise) {
    this.#ctx.waitUntil(promise);
  }
}

/**
 * A batch from the process's queue broker (runtime/host/src/queues.rs):
 * runs the queue handler, waits for it and its waitUntil() promises, and
 * answers the broker with what became of each message.
 */
async function deliverQueue(head) {
  let verdict;
  try {
    const delivery = await toRequest(head).json();
    verdict = await queues.runBatch(delivery, async (batch, waitForWaitUntil) => {
      const ctx = new ExecutionContext(illegal, true);
      await callQueue(batch, ctx);
      if (waitForWaitUntil) for (const promise of ctx[_pending]) await promise;
    });
  } catch (error) {
    console.error("Uncaught", error);
    verdict = { outcome: "exception" };
  }
  answer(head, 200, "application/json", JSONStringify(verdict));
}

/**
 * `/cdn-cgi/handler/scheduled[?cron=...][&time=ms]`, as wrangler dev serves
 * it (any method): runs the scheduled handler, waits for it and its
 * waitUntil() promises, and answers `ok`, or 500 `exception`.
 */
async function scheduled(head, url) {
  const text = (status, body) => answer(head, status, TEXT_PLAIN, body);
  const cron = url.searchParams.get("cron") ?? "";
  const time = url.searchParams.get("time");
  let scheduledTime = DateNow();
  if (time !== null && time !== "") {
    scheduledTime = NumberParseInt(time);
    if (NumberIsNaN(scheduledTime)) {
      return text(500, "TypeError: The value cannot be converted because it is not a valid Date.");
    }
  }
  const controller = new ScheduledController(illegal, cron, scheduledTime);
  const ctx = new ExecutionContext(illegal, true);
  try {
    if (callScheduled === null) {
      throw new Error("Handler does not export a scheduled() function");
    }
    await callScheduled(controller, ctx);
    for (const promise of ctx[_pending]) await promise;
  } catch (error) {
    console.error("Uncaught", error);
    return text(500, "exception");
  }
  text(200, "ok");
}

function serviceWorkerHandler() {
  if (event.listenerCount(globalThis, "fetch") === 0) {
    throw new TypeError(
      `The worker "${workerName}" has no fetch handler: export default { fetch(request, env, ctx) { ... } } or call addEventListener("fetch", event => event.respondWith(...)).`,
    );
  }
  return (request, ctx) => {
    const fetchEvent = new FetchEvent("fetch", {
      request,
      ctx,
      [illegal]: true,
    });
    dispatchCatching(fetchEvent, () => fetchEvent[_respondWith] !== null);
    const response = fetchEvent[_respondWith];
    if (response === null) {
      throw new Error(
        "No response: no fetch event listener called event.respondWith().",
      );
    }
    return response;
  };
}

/** `env`: the vars, and a Fetcher per service binding. */
function buildEnv(facts) {
  const result = { ...facts.vars };
  for (const binding of facts.services) {
    result[binding] = new Fetcher(binding);
  }
  for (const [binding, namespace] of kv.namespaces(facts.kvNamespaces)) {
    result[binding] = namespace;
  }
  for (const [binding, database] of d1.databases(facts.d1Databases)) {
    result[binding] = database;
  }
  for (const [binding, producer] of queues.producers(facts.queueProducers)) {
    result[binding] = producer;
  }
  for (const [binding, bucket] of r2.buckets(facts.r2Buckets)) {
    result[binding] = bucket;
  }
  if (facts.assetsBinding !== null) result[facts.assetsBinding] = new Fetcher(ASSETS);
  return result;
}

/**
 * The `cloudflare:workers` module (see runtime/worker/src/loader.rs) reads
 * its exports from here once, when a worker first imports it, and removes
 * them from the global object.
 */
function exposeCloudflareWorkers() {
  ObjectDefineProperty(globalThis, SymbolFor("kiln.cloudflare:workers"), {
    value: {
      DurableObject: durableObjects.DurableObject,
      WorkerEntrypoint: durableObjects.WorkerEntrypoint,
      RpcTarget: durableObjects.RpcTarget,
      env,
    },
    enumerable: false,
    configurable: true,
  });
}

/**
 * What kiln's node: modules (js/node/) need from here: the async context
 * that AsyncLocalStorage keeps its stores in, and process.env. The
 * `kiln:node-internals` module takes it once.
 */
function exposeNodeInternals(flags) {
  const nodeModules = flags.has("nodejs_compat") || flags.has("nodejs_compat_v2");
  if (!nodeModules && !flags.has("nodejs_als")) return;
  const processEnv = {};
  if (flags.has("nodejs_compat_populate_process_env")) {
    // The worker's text bindings, as Workers copy them to process.env.
    for (const key of ObjectKeys(workerFacts.vars)) {
      if (typeof workerFacts.vars[key] === "string") processEnv[key] = workerFacts.vars[key];
    }
  }
  ObjectDefineProperty(globalThis, SymbolFor("kiln.node"), {
    value: {
      getAsyncContext: core.getAsyncContext,
      setAsyncContext: core.setAsyncContext,
      env: processEnv,
    },
    enumerable: false,
    configurable: true,
  });
}

/** Service-worker scripts see their bindings as globals. */
function installServiceWorkerBindings() {
  for (const key of ObjectKeys(env)) {
    ObjectDefineProperty(globalThis, key, {
      value: env[key],
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
}

// ---------------------------------------------------------------------------
// Serving.

async function serve() {
  while (true) {
    const batch = await op_kiln_next_requests();
    if (batch === null) return;
    for (let i = 0; i < batch.length; i++) {
      handle(batch[i]);
    }
  }
}

// request.cf: what Cloudflare's edge knows about the client. Locally there
// is no edge, so every incoming request carries the fixed values wrangler
// dev falls back to (a client in Austin, Texas, seen from DFW).
const LOCAL_CF = ObjectFreeze({
  asOrganization: "",
  asn: 395747,
  colo: "DFW",
  city: "Austin",
  region: "Texas",
  regionCode: "TX",
  metroCode: "635",
  postalCode: "78701",
  country: "US",
  continent: "NA",
  timezone: "America/Chicago",
  latitude: "30.27130",
  longitude: "-97.74260",
  clientTcpRtt: 0,
  httpProtocol: "HTTP/1.1",
  requestPriority: "weight=192;exclusive=0",
  tlsCipher: "AEAD-AES128-GCM-SHA256",
  tlsVersion: "TLSv1.3",
  tlsClientAuth: ObjectFreeze({
    certPresented: "0",
    certVerified: "NONE",
    certRevoked: "0",
    certIssuerDN: "",
    certSubjectDN: "",
    certIssuerDNRFC2253: "",
    certSubjectDNRFC2253: "",
    certIssuerDNLegacy: "",
    certSubjectDNLegacy: "",
    certSerial: "",
    certIssuerSerial: "",
    certSKI: "",
    certIssuerSKI: "",
    certFingerprintSHA1: "",
    certFingerprintSHA256: "",
    certNotBefore: "",
    certNotAfter: "",
  }),
  edgeRequestKeepAliveStatus: 0,
});
function toRequest(head) {
  const body = head.bodyRid === null
    ? null
    : new InnerBody(streams.readableStreamForRid(head.bodyRid));
  const headerList = head.headers;
  const inner = requestMod.newInnerRequest(
    head.method,
    head.url,
    () => headerList,
    body,
    false,
  );
  // As in Workers: passing the incoming request on (fetch(request),
  // env.ASSETS.fetch(request)) does not follow redirects.
  inner.redirectMode = "manual";
  const request = requestMod.fromInnerRequest(inner, "immutable");
  request[_cf] = LOCAL_CF;
  return request;
}

function isWebSocketRequest(head) {
  const upgrade = websocket.headerValue(head.headers, "upgrade");
  return upgrade !== null && StringPrototypeToLowerCase(upgrade) === "websocket";
}

// Endpoints of kiln and of wrangler dev under /cdn-cgi/: Cloudflare never
// passes /cdn-cgi/ paths to a worker, so no worker can expect requests
// there. Other /cdn-cgi/ paths go to the worker, as in wrangler dev.
const CONTROL_HIBERNATE = "/cdn-cgi/kiln/hibernate";

/** Answers `head` with `body` (none for HEAD); the request body is dropped. */
function answer(head, status, contentType, body) {
  if (head.bodyRid !== null) core.tryClose(head.bodyRid);
  op_kiln_respond(
    head.id,
    status,
    [["content-type", contentType]],
    core.encode(head.method === "HEAD" ? "" : body),
  );
}

/**
 * Serves `head` if it is for one of the endpoints and answers true, else
 * false: kiln's control (`/cdn-cgi/kiln/...`) and wrangler dev's handlers
 * (`/cdn-cgi/handler/...`, the deprecated `/cdn-cgi/mf/scheduled`).
 */
function cdnCgi(head) {
  if (head.durableObject !== null || head.url.indexOf("/cdn-cgi/") === -1) return false;
  const url = new URL(head.url);
  const path = url.pathname;
  if (path.startsWith("/cdn-cgi/kiln/")) {
    control(head, url);
  } else if (path === "/cdn-cgi/handler/scheduled") {
    scheduled(head, url);
  } else if (path === "/cdn-cgi/mf/scheduled") {
    console.warn(
      "Triggering scheduled handlers via a request to `/cdn-cgi/mf/scheduled` is deprecated; send a request to `/cdn-cgi/handler/scheduled` instead.",
    );
    scheduled(head, url);
  } else if (path.startsWith("/cdn-cgi/handler/")) {
    answer(
      head,
      404,
      TEXT_PLAIN,
      `"${path}" is not a valid handler. Did you mean to use "/cdn-cgi/handler/scheduled"?`,
    );
  } else {
    return false;
  }
  return true;
}

/** POST /cdn-cgi/kiln/hibernate[?class=C][&name=N|&id=HEX] */
async function control(head, url) {
  const json = (status, value) =>
    answer(head, status, "application/json", JSON.stringify(value) + "\n");
  if (url.pathname !== CONTROL_HIBERNATE) {
    return json(404, { error: `no such kiln endpoint: ${url.pathname} (there is ${CONTROL_HIBERNATE})` });
  }
  if (head.method !== "POST") {
    return json(405, { error: `${CONTROL_HIBERNATE} takes POST` });
  }
  const param = (name) => url.searchParams.get(name);
  try {
    const objects = await durableObjects.forceHibernate(param("class"), param("name"), param("id"));
    json(200, { objects });
  } catch (error) {
    json(400, { error: String(error?.message ?? error) });
  }
}

async function handle(head) {
  op_kiln_event_began();
  let response;
  if (head.queue !== null) return deliverQueue(head);
  if (cdnCgi(head)) return;
  try {
    const request = toRequest(head);
    if (head.durableObject !== null) {
      response = await durableObjects.handleRemote(head.durableObject, request);
    } else {
      const ctx = new ExecutionContext(illegal);
      response = await callHandler(request, ctx);
    }
    if (!ObjectPrototypeIsPrototypeOf(responseMod.ResponsePrototype, response)) {
      throw new TypeError(
        "Incorrect type for Promise: the Promise did not resolve to 'Response'.",
      );
    }
    sendResponse(head, response);
  } catch (error) {
    console.error("Uncaught", error);
    op_kiln_respond(
      head.id,
      500,
      [["content-type", "text/plain;charset=UTF-8"]],
      core.encode("Worker threw exception\n"),
    );
  }
}

function sendResponse(head, response) {
  const id = head.id;
  const inner = responseMod.toInnerResponse(response);
  const ws = webSocketOf(response);
  if (ws !== undefined) {
    if (!isWebSocketRequest(head)) {
      throw new TypeError(
        'Worker tried to return a WebSocket in a response to a request which did not contain the header "Upgrade: websocket".',
      );
    }
    if (websocket.isAccepted(ws)) {
      // workerd finds this out when it couples the sockets, after the 101
      // has gone out: the client sees the upgrade, then the connection ends.
      console.error(
        "Uncaught",
        new TypeError("Can't return WebSocket in a Response after calling accept()."),
      );
      op_kiln_respond_websocket(id, null, inner.headerList);
      return;
    }
    const end = websocket.coupleForResponse(ws);
    op_kiln_respond_websocket(id, end, inner.headerList);
    return;
  }
  const body = inner.body;
  if (
    body !== null && !body.unusable() &&
    typeof body.streamOrStatic.body === "string"
  ) {
    // The common case, a string body: the op takes the string itself.
    body.streamOrStatic.consumed = true;
    op_kiln_respond_text(id, inner.status, inner.headerList, body.streamOrStatic.body);
    return;
  }
  const { bytes, streamRid } = bodyForOp(body);
  if (streamRid !== null) {
    op_kiln_respond_stream(id, inner.status, inner.headerList, streamRid);
  } else {
    op_kiln_respond(id, inner.status, inner.headerList, bytes);
  }
}

return { entry, ExecutionContext, FetchEvent };
})();
