// The Workers WebSocket API: WebSocketPair, and WebSocket with accept(),
// send(), close(), events and binaryType, following workerd's behaviour
// (docs/websocket-behaviour.md) and the compatibility flags that change it.
// This file owns each socket's state machine; Rust (ops/src/websocket/)
// mirrors only where an end's messages go, moved by the ops called here, and
// hands every pending event of the isolate to one pump loop per op call.

(function () {
const { core, primordials } = __bootstrap;
const {
  op_ws_abort,
  op_ws_accept,
  op_ws_accept_hibernatable,
  op_ws_auto_response_at,
  op_ws_close,
  op_ws_close_without_code,
  op_ws_connect,
  op_ws_fail,
  op_ws_forget,
  op_ws_hibernate,
  op_ws_leave,
  op_ws_take_events,
  op_ws_wait_events,
  op_ws_pair,
  op_ws_release,
  op_ws_send_binary,
  op_ws_send_text,
} = core.ops;
const {
  ArrayPrototypeIncludes,
  ArrayPrototypeSlice,
  FunctionPrototypeCall,
  ObjectFreeze,
  ObjectSetPrototypeOf,
  ArrayFrom,
  ArrayPrototypeJoin,
  ArrayPrototypePush,
  ArrayBufferIsView,
  DataViewPrototypeGetBuffer,
  DataViewPrototypeGetByteLength,
  DataViewPrototypeGetByteOffset,
  MathTrunc,
  NumberIsFinite,
  ObjectDefineProperties,
  ObjectDefineProperty,
  ObjectPrototypeIsPrototypeOf,
  RegExpPrototypeTest,
  SafeMap,
  SafeSet,
  String,
  StringPrototypeEndsWith,
  StringPrototypeIsWellFormed,
  StringPrototypeToWellFormed,
  StringPrototypeToLowerCase,
  Symbol,
  SymbolIterator,
  SymbolToStringTag,
  TypeError,
  TypedArrayPrototypeGetBuffer,
  TypedArrayPrototypeGetByteLength,
  TypedArrayPrototypeGetByteOffset,
  Uint8Array,
} = primordials;

const webidl = core.loadExtScript("ext:deno_webidl/00_webidl.js");
const event = core.loadExtScript("ext:deno_web/02_event.js");
const { DOMException } = core.loadExtScript("ext:deno_web/01_dom_exception.js");
const { Blob } = core.loadExtScript("ext:deno_web/09_file.js");

const NOT_ACCEPTED =
  "You must call one of accept() or state.acceptWebSocket() on this WebSocket before sending messages.";
const HIBERNATED =
  "This WebSocket belongs to a Durable Object instance that has hibernated; the object's current instance gets it from ctx.getWebSockets().";

// Compatibility flags that change WebSocket behaviour; set by configure().
let autoReplyToClose = true;
let closeReasonByteLimit = true;
let standardBinaryType = true;
let pedanticWpt = false;

// Where exceptions thrown by listeners go (the global scope's reporter).
let reportListenerException = (error) => {
  throw error;
};

function configure(flags, reportException) {
  reportListenerException = reportException;
  autoReplyToClose = flags.has("web_socket_auto_reply_to_close");
  closeReasonByteLimit = flags.has("websocket_close_reason_byte_limit");
  standardBinaryType = flags.has("websocket_standard_binary_type");
  pedanticWpt = flags.has("pedantic_wpt");
}

const _s = Symbol("WebSocket state");
const _internal = Symbol("internal constructor");

/** Accepted sockets by their Rust end id, for event delivery. */
const sockets = new SafeMap();
let pumping = false;
/** Ends whose Durable Object hibernates: no object here, but events may come. */
let sleeping = 0;
/**
 * Set by js/durable_objects.js: `wake(id)` wakes the object a sleeping end
 * belongs to and returns the end's new WebSocket; `hold()` returns what a
 * socket accepted with accept() or opened with new WebSocket() holds (the
 * Durable Object events running now cannot hibernate while it is open),
 * with a release() method, or null.
 */
let hooks = { wake: (_id, _kind) => undefined, hold: () => null };
function setHooks(wake, hold) {
  hooks = { wake, hold };
}

/**
 * Per-socket state, as workerd keeps it: readyState is derived from these
 * flags, never stored.
 */
function newState(id) {
  return {
    id,
    // "pending" (a pair end or fetch() socket not yet accepted), "accepted",
    // "released" (coupled into a Response, or finished).
    state: "pending",
    closedOutgoing: false,
    closedIncoming: false,
    outgoingAborted: false,
    error: undefined,
    allowHalfOpen: !autoReplyToClose,
    binaryType: standardBinaryType ? "blob" : "arraybuffer",
    url: null,
    protocol: "",
    extensions: "",
    peerGone: false,
    releasedEnd: false,
    cancelRid: null,
    handlers: { __proto__: null },
    // The other end of its WebSocketPair (null for other sockets).
    peer: null,
    // Set by ctx.acceptWebSocket(): where this socket's events go instead
    // of its listeners (js/durable_objects.js).
    hibernation: null,
    // serializeAttachment()'s bytes.
    attachment: null,
    // From hooks.hold(): released once the socket is done.
    hold: null,
  };
}

class WebSocket extends event.EventTarget {
  constructor(url, protocols = undefined) {
    super();
    if (url === _internal) {
      this[_s] = newState(protocols);
      return;
    }
    if (arguments.length < 1) {
      throw new TypeError(
        "Failed to construct 'WebSocket': 1 argument required, but only 0 present.",
      );
    }
    url = webidl.converters.USVString(url);
    const list = protocolList(protocols);
    const target = checkedUrl(url);
    const s = newState(null);
    s.state = "connecting";
    s.url = url;
    // Client sockets always follow web_socket_auto_reply_to_close.
    s.allowHalfOpen = !autoReplyToClose;
    this[_s] = s;
    s.hold = hooks.hold();
    openConnection(this, target, list);
  }

  get readyState() {
    const s = this[_s];
    if ((s.closedIncoming && s.closedOutgoing) || s.error !== undefined) return 3;
    if (s.closedIncoming || s.closedOutgoing) return 2;
    if (s.state === "connecting") return 0;
    return 1;
  }

  get url() {
    return this[_s].url;
  }

  get protocol() {
    return this[_s].protocol;
  }

  get extensions() {
    return this[_s].extensions;
  }

  get binaryType() {
    return this[_s].binaryType;
  }

  set binaryType(value) {
    // Anything but the two exact names is ignored, as in workerd.
    if (value === "blob" || value === "arraybuffer") this[_s].binaryType = value;
  }

  accept(options = undefined) {
    const s = this[_s];
    if (s.state === "connecting") {
      throw new TypeError(
        "Websockets obtained from the 'new WebSocket()' constructor cannot call accept",
      );
    }
    if (s.state === "released") {
      throw new TypeError("Can't accept() WebSocket that was already used in a response.");
    }
    if (s.state === "accepted") return; // the first accept's options win
    if (options !== undefined && options !== null) {
      if (typeof options !== "object") {
        throw new TypeError(
          "Failed to execute 'accept' on 'WebSocket': parameter 1 is not of type 'WebSocketAcceptOptions'.",
        );
      }
      if (options.allowHalfOpen !== undefined) {
        s.allowHalfOpen = !!options.allowHalfOpen;
      }
    }
    s.state = "accepted";
    s.hold = hooks.hold();
    sockets.set(s.id, this);
    op_ws_accept(s.id);
    if (!pumping) {
      pumping = true;
      pump();
    }
  }

  send(message) {
    const s = this[_s];
    if (arguments.length < 1) {
      throw new TypeError(
        "Failed to execute 'send' on 'WebSocket': 1 argument required, but only 0 present.",
      );
    }
    if (s.state === "released" || s.outgoingAborted) return;
    if (s.state === "hibernated") throw new TypeError(HIBERNATED);
    if (s.state !== "accepted") throw new TypeError(NOT_ACCEPTED);
    if (s.closedOutgoing) throw new TypeError("Can't call WebSocket send() after close().");
    if (ArrayBufferIsView(message)) {
      op_ws_send_binary(s.id, viewBytes(message));
    } else if (isArrayBuffer(message)) {
      op_ws_send_binary(s.id, new Uint8Array(message));
    } else {
      op_ws_send_text(s.id, wellFormed(String(message)));
    }
  }

  close(code = undefined, reason = undefined) {
    const s = this[_s];
    // The argument checks come first, whatever the state (spec step 1).
    let wireCode = null;
    if (code !== undefined) {
      const n = Number(code);
      const int = NumberIsFinite(n) ? MathTrunc(n) : 0;
      if (!validCloseCode(int)) {
        throw new DOMException(`Invalid WebSocket close code: ${int}.`, "InvalidAccessError");
      }
      wireCode = int;
    }
    let wireReason = "";
    if (reason !== undefined) {
      wireReason = webidl.converters.USVString(reason);
      if (closeReasonByteLimit && utf8Length(wireReason) > 123) {
        throw new DOMException(
          "WebSocket close reason must not be longer than 123 bytes when UTF-8 encoded.",
          "SyntaxError",
        );
      }
      if (code === undefined) {
        throw new DOMException(
          "If you specify a WebSocket close reason, you must also specify a code.",
          "InvalidAccessError",
        );
      }
    }
    if (s.state === "connecting") {
      // Cancels the handshake; error and close (1006) follow from its failure.
      s.state = "released";
      if (s.cancelRid !== null) core.tryClose(s.cancelRid);
      return;
    }
    if (s.closedOutgoing || s.outgoingAborted || s.state === "released") return;
    if (s.state === "hibernated") throw new TypeError(HIBERNATED);
    if (s.state !== "accepted") throw new TypeError(NOT_ACCEPTED);
    sendClose(s.id, wireCode, wireReason);
    s.closedOutgoing = true;
    maybeRelease(s);
  }

  serializeAttachment(value) {
    serializeAttachment(this, value);
  }

  deserializeAttachment() {
    return deserializeAttachment(this);
  }

  get [SymbolToStringTag]() {
    return "WebSocket";
  }
}

const constants = {
  CONNECTING: 0,
  OPEN: 1,
  CLOSING: 2,
  CLOSED: 3,
  READY_STATE_CONNECTING: 0,
  READY_STATE_OPEN: 1,
  READY_STATE_CLOSING: 2,
  READY_STATE_CLOSED: 3,
};
for (const name in constants) {
  const descriptor = { value: constants[name], enumerable: true };
  ObjectDefineProperty(WebSocket, name, descriptor);
  ObjectDefineProperty(WebSocket.prototype, name, descriptor);
}
// on<type> handlers, as workerd has them: called before every listener
// added with addEventListener, whenever they were set.
for (const type of ["open", "message", "close", "error"]) {
  const get = function () {
    return this[_s].handlers[type] ?? null;
  };
  const set = function (value) {
    this[_s].handlers[type] = typeof value === "function" || (value !== null && typeof value === "object")
      ? value
      : null;
  };
  // Named as WebIDL names accessors ("get onopen"), as idlharness checks.
  ObjectDefineProperty(get, "name", { value: `get on${type}` });
  ObjectDefineProperty(set, "name", { value: `set on${type}` });
  ObjectDefineProperty(WebSocket.prototype, `on${type}`, {
    get,
    set,
    enumerable: true,
    configurable: true,
  });
}

function callHandler(ws, type, ev) {
  const handler = ws[_s].handlers[type];
  if (typeof handler === "function") FunctionPrototypeCall(handler, ws, ev);
  else if (handler != null && typeof handler.handleEvent === "function") handler.handleEvent(ev);
}

/**
 * A pair end that is garbage once its object is: never accepted nor
 * returned, it never can be, and what its peer sent to it would wait for
 * ever (a worker making a pair per request and answering without it).
 */
const pairEnds = new FinalizationRegistry((id) => op_ws_forget(id));

class WebSocketPair {
  constructor() {
    const ids = op_ws_pair();
    const first = new WebSocket(_internal, ids[0]);
    const second = new WebSocket(_internal, ids[1]);
    pairEnds.register(first, ids[0]);
    pairEnds.register(second, ids[1]);
    first[_s].peer = second[_s];
    second[_s].peer = first[_s];
    ObjectDefineProperties(this, {
      0: { value: first, enumerable: true },
      1: { value: second, enumerable: true },
    });
  }

  *[SymbolIterator]() {
    yield this[0];
    yield this[1];
  }

  get [SymbolToStringTag]() {
    return "WebSocketPair";
  }
}

/** The bytes an ArrayBufferView (typed array or DataView) covers. */
function viewBytes(view) {
  if (core.isDataView(view)) {
    return new Uint8Array(
      DataViewPrototypeGetBuffer(view),
      DataViewPrototypeGetByteOffset(view),
      DataViewPrototypeGetByteLength(view),
    );
  }
  return new Uint8Array(
    TypedArrayPrototypeGetBuffer(view),
    TypedArrayPrototypeGetByteOffset(view),
    TypedArrayPrototypeGetByteLength(view),
  );
}

function isArrayBuffer(value) {
  return ObjectPrototypeIsPrototypeOf(ArrayBuffer.prototype, value);
}

/**
 * `text` with each unpaired surrogate replaced by U+FFFD, as a text frame
 * must carry UTF-8 (the engine's own conversion would make three U+FFFD of
 * one surrogate). The check is native (V8 and QuickJS-ng both have it) and
 * the common case costs no copy.
 */
function wellFormed(text) {
  return StringPrototypeIsWellFormed(text) ? text : StringPrototypeToWellFormed(text);
}

/** Queues a Close frame: `code` null sends one with an empty body. */
function sendClose(id, code, reason) {
  if (code === null) op_ws_close_without_code(id);
  else op_ws_close(id, code, reason);
}

function validCloseCode(code) {
  if (pedanticWpt) return code === 1000 || (code >= 3000 && code <= 4999);
  return code >= 1000 && code < 5000 && code !== 1004 && code !== 1005 &&
    code !== 1006 && code !== 1015;
}

function utf8Length(text) {
  return core.encode(text).length;
}

/**
 * Once nothing more can arrive, the socket leaves the delivery map; once
 * nothing more can be sent either, its Rust end is released.
 */
function maybeRelease(s) {
  if (s.closedIncoming || s.error !== undefined) sockets.delete(s.id);
  const done = (s.closedIncoming && s.closedOutgoing) || s.error !== undefined ||
    s.peerGone;
  if (done && !s.releasedEnd) {
    s.releasedEnd = true;
    op_ws_release(s.id);
  }
  if ((done || s.closedIncoming) && s.hold !== null) {
    // Nothing more arrives: it no longer keeps an object awake.
    const hold = s.hold;
    s.hold = null;
    hold.release();
  }
}

function fire(ws, ev) {
  event.setIsTrusted(ev, true);
  event.setTarget(ev, ws);
  try {
    callHandler(ws, ev.type, ev);
  } catch (error) {
    reportListenerException(error);
  }
  ws.dispatchEvent(ev);
}

// ---------------------------------------------------------------------------
// The message fast path. A MessageEvent built by deno's constructors and sent
// through the general dispatch algorithm costs more than the rest of an echo
// together (measured: 58k messages/s against 193k with neither). A socket has
// no event path (no parents, no capture/bubble), so kiln builds a light event
// that is still `instanceof MessageEvent` (its prototype inherits from
// MessageEvent.prototype and answers every attribute from its own fields),
// and calls the listeners deno's EventTarget registered, with the same
// rules: a snapshot of the list, listeners removed meanwhile skipped, `once`,
// handleEvent objects, stopImmediatePropagation, exceptions reported.

const _target = Symbol("target");
const _data = Symbol("data");
const _flags = Symbol("flags");
const DISPATCHING = 1;
const STOP_PROPAGATION = 2;
const STOP_IMMEDIATE = 4;
const NO_PORTS = ObjectFreeze([]);

class FastMessageEvent {
  constructor(target, data) {
    this[_target] = target;
    this[_data] = data;
    this[_flags] = 0;
  }
}
ObjectSetPrototypeOf(FastMessageEvent.prototype, event.MessageEvent.prototype);
ObjectDefineProperties(FastMessageEvent.prototype, {
  constructor: { value: event.MessageEvent, configurable: true, writable: true },
  type: { get: () => "message", configurable: true },
  data: {
    get() {
      return this[_data];
    },
    configurable: true,
  },
  origin: { get: () => null, configurable: true },
  lastEventId: { get: () => "", configurable: true },
  source: { get: () => null, configurable: true },
  ports: { get: () => NO_PORTS, configurable: true },
  target: {
    get() {
      return this[_target];
    },
    configurable: true,
  },
  srcElement: {
    get() {
      return this[_target];
    },
    configurable: true,
  },
  // workerd leaves currentTarget set after the dispatch.
  currentTarget: {
    get() {
      return this[_target];
    },
    configurable: true,
  },
  eventPhase: {
    get() {
      return this[_flags] & DISPATCHING ? 2 : 0;
    },
    configurable: true,
  },
  composedPath: {
    value: function composedPath() {
      return this[_flags] & DISPATCHING ? [this[_target]] : [];
    },
    configurable: true,
    writable: true,
  },
  bubbles: { get: () => false, configurable: true },
  cancelable: { get: () => false, configurable: true },
  composed: { get: () => false, configurable: true },
  defaultPrevented: { get: () => false, configurable: true },
  returnValue: { get: () => true, set() {}, configurable: true },
  isTrusted: { get: () => true, configurable: true },
  timeStamp: { get: () => 0, configurable: true },
  cancelBubble: {
    get() {
      return (this[_flags] & STOP_PROPAGATION) !== 0;
    },
    set(value) {
      if (value) this[_flags] |= STOP_PROPAGATION;
    },
    configurable: true,
  },
  stopPropagation: {
    value: function stopPropagation() {
      this[_flags] |= STOP_PROPAGATION;
    },
    configurable: true,
    writable: true,
  },
  stopImmediatePropagation: {
    value: function stopImmediatePropagation() {
      this[_flags] |= STOP_PROPAGATION | STOP_IMMEDIATE;
    },
    configurable: true,
    writable: true,
  },
  // Not cancelable: preventDefault() has no effect, as for any such event.
  preventDefault: { value: function preventDefault() {}, configurable: true, writable: true },
  initEvent: { value: function initEvent() {}, configurable: true, writable: true },
});

/**
 * Calls the `onmessage` handler, then the listeners. An exception from any of
 * them ends the dispatch and is returned: as in workerd, it ends delivery on
 * the socket (see deliver()).
 */
function dispatchMessage(ws, data) {
  const ev = new FastMessageEvent(ws, data);
  ev[_flags] = DISPATCHING;
  try {
    callHandler(ws, "message", ev);
  } catch (error) {
    return error;
  }
  const listeners = ws[event.eventTargetData]?.listeners?.message;
  if (listeners === undefined || listeners.length === 0) return undefined;
  const snapshot = listeners.length === 1 ? listeners : ArrayPrototypeSlice(listeners);
  const count = snapshot.length;
  for (let i = 0; i < count; i++) {
    if (ev[_flags] & STOP_IMMEDIATE) break;
    const listener = snapshot[i];
    if (snapshot !== listeners && !ArrayPrototypeIncludes(listeners, listener)) continue;
    const options = listener.options;
    if (typeof options === "object" && options.once) {
      ws.removeEventListener("message", listener.callback, options);
    }
    const callback = listener.callback;
    try {
      if (typeof callback === "function") {
        FunctionPrototypeCall(callback, ws, ev);
      } else if (callback !== null && typeof callback.handleEvent === "function") {
        callback.handleEvent(ev);
      }
    } catch (error) {
      ev[_flags] &= ~DISPATCHING;
      return error;
    }
  }
  ev[_flags] &= ~DISPATCHING;
  return undefined;
}

// ---------------------------------------------------------------------------
// Delivery: one op call returns every pending event of every socket.

async function pump() {
  try {
    while (sockets.size > 0 || sleeping > 0) {
      await op_ws_wait_events();
      // [id, kind, payload, code, id, kind, ...] (op_ws_take_events)
      const events = op_ws_take_events();
      for (let i = 0; i < events.length; i += 4) {
        let ws = sockets.get(events[i]);
        // An end whose object hibernates: the event wakes the object.
        if (ws === undefined && sleeping > 0) ws = wakeFor(events[i], events[i + 1]);
        if (ws !== undefined) deliver(ws, events[i + 1], events[i + 2], events[i + 3]);
      }
    }
  } finally {
    pumping = false;
  }
}

function deliver(ws, kind, payload, code) {
  const s = ws[_s];
  if (s.hibernation !== null) return deliverHibernatable(ws, s, kind, payload, code);
  switch (kind) {
    case 0: // text
    case 1: { // binary: binaryType is read now, per message
      const data = kind === 0
        ? payload
        : s.binaryType === "arraybuffer"
        ? payload
        : new Blob([payload]);
      const error = dispatchMessage(ws, data);
      if (error !== undefined) failFromListener(ws, error);
      break;
    }
    case 2: { // a Close frame
      s.closedIncoming = true;
      if (
        !s.allowHalfOpen && !s.closedOutgoing && !s.outgoingAborted &&
        s.state !== "released"
      ) {
        // The automatic reply echoes the received code and reason.
        sendClose(s.id, code, payload);
        s.closedOutgoing = true;
      }
      fire(
        ws,
        new event.CloseEvent("close", {
          code: code === null ? 1005 : code,
          reason: payload,
          wasClean: true,
        }),
      );
      maybeRelease(s);
      break;
    }
    case 3: // the peer vanished without a Close frame
      // workerd dispatches before marking the incoming side closed.
      fire(
        ws,
        new event.CloseEvent("close", {
          code: 1006,
          reason: "WebSocket disconnected without sending Close frame.",
          wasClean: false,
        }),
      );
      s.closedIncoming = true;
      s.peerGone = true;
      maybeRelease(s);
      break;
    case 4: // a protocol error on the peer's connection
      reportError(ws, payload);
      // Everything this socket sent before now precedes the failing Close.
      op_ws_fail(s.id);
      break;
  }
}

/**
 * A message listener threw: delivery on the socket ends, the exception is
 * reported and becomes the socket's error, and its connection is dropped.
 */
function failFromListener(ws, error) {
  const s = ws[_s];
  reportListenerException(error);
  if (s.error !== undefined) return;
  s.error = error;
  s.closedIncoming = true;
  s.outgoingAborted = true;
  op_ws_abort(s.id);
  fire(ws, new event.ErrorEvent("error", { message: `Uncaught ${error}`, error }));
  maybeRelease(s);
}

/** The Error of a protocol error event's message ("Uncaught Error: ..."). */
function protocolError(message) {
  const prefix = "Uncaught Error: ";
  return new Error(message.startsWith(prefix) ? message.slice(prefix.length) : message);
}

/** Fires `error` once: the socket is CLOSED and later sends are dropped. */
function reportError(ws, message) {
  const s = ws[_s];
  if (s.error !== undefined) return;
  const error = protocolError(message);
  s.error = error;
  s.closedIncoming = true;
  s.outgoingAborted = true;
  fire(ws, new event.ErrorEvent("error", { message, error }));
  maybeRelease(s);
}

// ---------------------------------------------------------------------------
// new WebSocket(url, protocols): the constructor's checks, then the handshake.

function syntaxError(message) {
  return new DOMException(`WebSocket Constructor: ${message}`, "SyntaxError");
}

function checkedUrl(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw syntaxError("The url is invalid.");
  }
  if (parsed.host === "") throw syntaxError("The url is invalid.");
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw syntaxError("The url scheme must be ws or wss.");
  }
  if (parsed.hash !== "" || StringPrototypeEndsWith(parsed.href, "#")) {
    throw syntaxError("The url fragment must be empty.");
  }
  // User info is dropped silently.
  parsed.username = "";
  parsed.password = "";
  return parsed.href;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function protocolList(protocols) {
  if (protocols === undefined) return [];
  const single = typeof protocols === "string";
  const list = single ? [protocols] : ArrayFrom(protocols, (p) => webidl.converters.DOMString(p));
  for (const protocol of list) {
    if (!RegExpPrototypeTest(TOKEN, protocol)) {
      throw syntaxError(
        single
          ? "The protocol header token is invalid."
          : "One of the protocol header tokens is invalid.",
      );
    }
  }
  // Compared case-sensitively, as workerd does.
  if (new SafeSet(list).size !== list.length) {
    throw syntaxError("The protocols header cannot have repeating values.");
  }
  return list;
}

/** The value of header `name` (lower case) in a [name, value] list, or null. */
function headerValue(headers, name) {
  for (let i = 0; i < headers.length; i++) {
    if (StringPrototypeToLowerCase(headers[i][0]) === name) return headers[i][1];
  }
  return null;
}

async function openConnection(ws, url, protocols) {
  const s = ws[_s];
  const headers = protocols.length > 0
    ? [["sec-websocket-protocol", ArrayPrototypeJoin(protocols, ", ")]]
    : [];
  // Made only under web_socket_compression (op_ws_connect drops it otherwise).
  ArrayPrototypePush(headers, ["sec-websocket-extensions", "permessage-deflate"]);
  s.cancelRid = core.createCancelHandle();
  let reply;
  try {
    reply = await op_ws_connect(url, headers, s.cancelRid);
  } catch (error) {
    // A handshake cancelled by close() fails as workerd reports it.
    failConnection(ws, s.state === "released"
      ? new Error("Network connection lost.")
      : error);
    return;
  } finally {
    core.tryClose(s.cancelRid);
    s.cancelRid = null;
  }
  if (reply.end === null) {
    if (reply.bodyRid !== null) core.tryClose(reply.bodyRid);
    failConnection(
      ws,
      new TypeError(
        `Failed to establish the WebSocket connection: expected server to reply with HTTP status code 101 (switching protocols), but received ${reply.status} instead.`,
      ),
    );
    return;
  }
  if (s.state === "released") {
    // close() came while the answer was on its way.
    op_ws_abort(reply.end);
    op_ws_release(reply.end);
    failConnection(ws, new Error("Network connection lost."));
    return;
  }
  s.id = reply.end;
  s.state = "accepted";
  s.protocol = headerValue(reply.headers, "sec-websocket-protocol");
  // An empty answer is no answer (null), as in workerd.
  s.extensions = headerValue(reply.headers, "sec-websocket-extensions") || null;
  sockets.set(s.id, ws);
  fire(ws, new event.Event("open"));
  op_ws_accept(s.id);
  if (!pumping) {
    pumping = true;
    pump();
  }
}

/** The handshake failed: `error`, then `close` with 1006. */
function failConnection(ws, error) {
  const s = ws[_s];
  s.state = "released";
  s.error = error;
  fire(ws, new event.ErrorEvent("error", { message: `Uncaught ${error}`, error }));
  fire(
    ws,
    new event.CloseEvent("close", {
      code: 1006,
      reason: "Failed to establish websocket connection",
      wasClean: false,
    }),
  );
}

// ---------------------------------------------------------------------------
// fetch() with "Upgrade: websocket".

/**
 * Performs the handshake of a fetch() WebSocket request. Resolves to the
 * pieces of the Response: a 101 with a not-yet-accepted WebSocket, or any
 * other status with its body.
 */
async function fetchWebSocket(url, headerList, signal) {
  if (signal.aborted) throw signal.reason;
  const cancelRid = core.createCancelHandle();
  const onAbort = () => core.tryClose(cancelRid);
  signal.addEventListener("abort", onAbort);
  let reply;
  try {
    reply = await op_ws_connect(url, headerList, cancelRid);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
    core.tryClose(cancelRid);
  }
  if (reply.end === null) return { reply, webSocket: null };
  const ws = new WebSocket(_internal, reply.end);
  // Never accepted and dropped, it is freed as a pair end is.
  pairEnds.register(ws, reply.end);
  // Aborting later tears the connection down.
  signal.addEventListener("abort", () => op_ws_abort(reply.end), { once: true });
  return { reply, webSocket: ws };
}

// ---------------------------------------------------------------------------
// Hibernatable sockets (ctx.acceptWebSocket): the socket is accepted, but its
// events go to the Durable Object's handlers, each as an event of the
// object, and no listener fires. A received Close is not answered: the
// webSocketClose handler's close() completes the handshake, as in workerd.

/**
 * Accepts `ws` for a Durable Object; `target` gets `message(ws, data)`,
 * `close(ws, code, reason, wasClean)` and `error(ws, error)`.
 */
function acceptHibernatable(ws, target, object, tags) {
  const s = ws[_s];
  if (s.state === "accepted") {
    throw new Error(
      "Cannot call `acceptWebSocket()` if the WebSocket was already accepted via `accept()`",
    );
  }
  if (s.state !== "pending" || s.peer === null || s.peer.state !== "pending") {
    throw new Error(
      "Cannot call `acceptWebSocket()` on this WebSocket because its pair has already been accepted or used in a Response.",
    );
  }
  s.state = "accepted";
  s.hibernation = target;
  // A Close is answered by the handler, never automatically.
  s.allowHalfOpen = true;
  sockets.set(s.id, ws);
  op_ws_accept_hibernatable(s.id, object, tags);
  if (!pumping) {
    pumping = true;
    pump();
  }
}

/**
 * The socket's object hibernates: Rust keeps its attachment, and this
 * WebSocket object is done (its successor comes from restore()).
 */
function hibernate(ws) {
  const s = ws[_s];
  op_ws_hibernate(s.id, s.attachment ?? EMPTY);
  sockets.delete(s.id);
  s.state = "hibernated";
  s.attachment = null;
  sleeping++;
}
const EMPTY = new Uint8Array(0);

/** A hibernated end, back as a new WebSocket of its waking object. */
function restore(id, attachment, closedOut, target) {
  const ws = new WebSocket(_internal, id);
  const s = ws[_s];
  s.state = "accepted";
  s.hibernation = target;
  s.allowHalfOpen = true;
  s.closedOutgoing = closedOut;
  s.attachment = attachment === null ? null : new Uint8Array(attachment);
  sockets.set(id, ws);
  sleeping--;
  if (!pumping) {
    pumping = true;
    pump();
  }
  return ws;
}

/** A Close arrived and the socket has not answered it, and could. */
function awaitsCloseReply(ws) {
  const s = ws[_s];
  return s.state === "accepted" && s.closedIncoming && !s.closedOutgoing &&
    !s.outgoingAborted && !s.peerGone && s.error === undefined;
}

/** A hibernatable socket closed or failed: Rust forgets its membership. */
function leave(ws) {
  op_ws_leave(ws[_s].id);
}

/** When an auto-response last answered `ws` (a Date), or null. */
function autoResponseTimestamp(ws) {
  const at = op_ws_auto_response_at(ws[_s].id);
  return at.length === 0 ? null : new Date(at[0]);
}

function endId(ws) {
  return ws[_s].id;
}

function wakeFor(id, kind) {
  try {
    return hooks.wake(id, kind);
  } catch (error) {
    reportListenerException(error);
    return undefined;
  }
}

function deliverHibernatable(ws, s, kind, payload, code) {
  const target = s.hibernation;
  switch (kind) {
    case 0: // text
    case 1: // binary: always an ArrayBuffer, whatever binaryType says
      target.message(ws, payload);
      break;
    case 2: // a Close frame
      s.closedIncoming = true;
      sockets.delete(s.id);
      target.close(ws, code === null ? 1005 : code, payload, true);
      break;
    case 3: // the peer vanished without a Close frame
      s.closedIncoming = true;
      s.peerGone = true;
      sockets.delete(s.id);
      target.close(ws, 1006, "WebSocket disconnected without sending Close frame.", false);
      maybeRelease(s);
      break;
    case 4: { // a protocol error on the peer's connection
      s.error = protocolError(payload);
      s.closedIncoming = true;
      sockets.delete(s.id);
      op_ws_fail(s.id);
      target.error(ws, s.error);
      maybeRelease(s);
      break;
    }
  }
}

/** Drops a socket's connection (its Durable Object was reset). */
function disconnect(ws) {
  const s = ws[_s];
  if (s.peerGone || s.releasedEnd) return;
  s.outgoingAborted = true;
  s.closedIncoming = true;
  s.peerGone = true;
  op_ws_abort(s.id);
  maybeRelease(s);
}

function isHibernatable(ws) {
  return ws[_s].hibernation !== null;
}

/** Whether a hibernatable socket is still open in both directions' sense. */
function isOpen(ws) {
  const s = ws[_s];
  return !s.closedIncoming && s.error === undefined && !s.peerGone;
}

const MAX_ATTACHMENT_BYTES = 16384;

function serializeAttachment(ws, value) {
  const bytes = core.serialize(value, { forStorage: true });
  if (bytes.byteLength > MAX_ATTACHMENT_BYTES) {
    throw new Error(
      `A WebSocket 'attachment' cannot be larger than ${MAX_ATTACHMENT_BYTES} bytes.'attachment' was ${bytes.byteLength} bytes.`,
    );
  }
  ws[_s].attachment = bytes;
}

function deserializeAttachment(ws) {
  const bytes = ws[_s].attachment;
  return bytes === null ? null : core.deserialize(bytes, { forStorage: true });
}

/**
 * Takes a socket for a 101 Response: checks it can be coupled and marks it
 * released. Returns its end id.
 */
function coupleForResponse(ws) {
  const s = ws[_s];
  if (s.state === "accepted") {
    throw new TypeError("Can't return WebSocket in a Response after calling accept().");
  }
  if (s.state === "connecting" || s.url !== null) {
    throw new TypeError(
      "Can't return WebSocket in a Response if it was created with `new WebSocket()`",
    );
  }
  if (s.state === "released") {
    throw new TypeError("Can't return WebSocket that was already used in a response.");
  }
  s.state = "released";
  return s.id;
}

function isAccepted(ws) {
  return ws[_s].state === "accepted";
}

function isWebSocket(value) {
  return ObjectPrototypeIsPrototypeOf(WebSocket.prototype, value);
}

return {
  viewBytes,
  acceptHibernatable,
  autoResponseTimestamp,
  awaitsCloseReply,
  endId,
  hibernate,
  leave,
  restore,
  setHooks,
  configure,
  coupleForResponse,
  disconnect,
  isHibernatable,
  isOpen,
  fetchWebSocket,
  headerValue,
  isAccepted,
  isWebSocket,
  WebSocket,
  WebSocketPair,
};
})();
