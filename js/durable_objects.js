// Durable Objects: namespaces and ids (`env.NS`), stubs (fetch and RPC),
// one live instance per id with its input queue and gates, `ctx`
// (DurableObjectState), storage (KV and SQL, on SQLite through
// ops/src/durable_objects/), and alarms. docs/durable-objects.md says what
// kiln does and where it differs from production.
//
// Every object lives in the isolate of the worker that exports its class;
// this file owns the object's lifecycle (construction, the queue of events,
// resets, eviction), Rust owns its storage.

(function () {
const { core, primordials } = __bootstrap;
const {
  op_void_async_deferred,
  op_do_id_from_name,
  op_do_new_unique_id,
  op_do_id_from_string,
  op_do_open,
  op_do_close,
  op_do_get,
  op_do_get_many,
  op_do_put,
  op_do_put_many,
  op_do_delete,
  op_do_delete_many,
  op_do_list,
  op_do_delete_all,
  op_do_commit,
  op_do_rollback,
  op_do_savepoint,
  op_do_release,
  op_do_rollback_to,
  op_do_sql_exec,
  op_do_database_size,
  op_do_get_alarm,
  op_do_set_alarm,
  op_do_delete_alarm,
  op_do_alarms,
  op_do_remote_call,
  op_kiln_print,
  op_ws_auto_response,
  op_ws_clear_auto_response,
  op_ws_release_memory,
  op_ws_set_auto_response,
  op_ws_sleeping_object,
  op_ws_sleeping_objects,
  op_ws_wake,
} = core.ops;
const {
  ArrayIsArray,
  ArrayPrototypeSlice,
  ArrayPrototypePush,
  ArrayPrototypeShift,
  DatePrototypeGetTime,
  Error,
  MathMin,
  MathRandom,
  NumberIsFinite,
  ObjectDefineProperty,
  ObjectFreeze,
  ObjectGetPrototypeOf,
  ObjectPrototypeHasOwnProperty,
  ObjectPrototypeIsPrototypeOf,
  Promise,
  PromisePrototypeThen,
  PromiseResolve,
  Proxy,
  RangeError,
  ReflectApply,
  ReflectGet,
  SafeMap,
  SafeSet,
  String,
  Symbol,
  SymbolIterator,
  SymbolToStringTag,
  TypeError,
  Uint8Array,
} = primordials;

const { DOMException } = core.loadExtScript("ext:deno_web/01_dom_exception.js");
const { subrequest } = core.loadExtScript("ext:kiln/service.js");
const websocket = core.loadExtScript("ext:kiln/websocket.js");
// kiln's own timers (eviction, alarms) are not the worker's: they must not
// count as timers that keep an object awake (see holdActive()).
const {
  setTimeout: rawSetTimeout,
  clearTimeout: rawClearTimeout,
} = core.loadExtScript("ext:deno_web/02_timers.js");
const { setTimerHold } = core.loadExtScript("ext:kiln/global_scope.js");

const illegal = Symbol("illegal constructor");

// Set by configure(): the worker's facts, its env, and how to report errors.
let facts = { bindings: [], classes: [] };
let workerEnv = {};
let flags = new Set();
let reportException = (error) => {
  throw error;
};
/** className -> the exported class, once the worker's module has run. */
const exportedClasses = new SafeMap();
/** className -> { className, sqlite, uniqueKey } for classes this worker defines. */
const localClasses = new SafeMap();
/** "className:hex" -> the object's record (at most one live instance per id). */
const records = new SafeMap();

/** How long an object with nothing to do stays in memory (workerd: 10 s). */
let evictAfterMs = 10_000;
/** The same, for an object whose only activity is hibernatable sockets. */
let hibernateAfterMs = 10_000;
let workerName = "";
/** "className:hex" -> the idFromName name of an object that hibernates. */
const sleepingNames = new SafeMap();
/** Records with an event running (or their constructor). */
const activeRecords = new SafeSet();

// ---------------------------------------------------------------------------
// Ids and namespaces.

const _hex = Symbol("hex");
const _name = Symbol("name");
const _className = Symbol("className");

class DurableObjectId {
  constructor(key, className, hex, name) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this[_className] = className;
    this[_hex] = hex;
    this[_name] = name;
    // An own property, as in workerd (JSON.stringify shows it).
    if (name !== undefined) {
      ObjectDefineProperty(this, "name", { value: name, enumerable: true });
    }
  }
  toString() {
    return this[_hex];
  }
  equals(other) {
    return ObjectPrototypeIsPrototypeOf(DurableObjectIdPrototype, other) &&
      other[_hex] === this[_hex];
  }
  get name() {
    return undefined;
  }
  get jurisdiction() {
    return undefined;
  }
  get [SymbolToStringTag]() {
    return "DurableObjectId";
  }
}
const DurableObjectIdPrototype = DurableObjectId.prototype;

const _binding = Symbol("binding");

class DurableObjectNamespace {
  constructor(key, binding) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this[_binding] = binding;
  }

  idFromName(name) {
    requireArgs(arguments.length, 1, "idFromName", "DurableObjectNamespace");
    const text = String(name);
    const { className, uniqueKey } = this[_binding];
    return new DurableObjectId(illegal, className, op_do_id_from_name(uniqueKey, text), text);
  }

  newUniqueId(options = undefined) {
    if (options?.jurisdiction !== undefined) {
      throw new Error("Jurisdiction restrictions are not implemented in workerd.");
    }
    const { className, uniqueKey } = this[_binding];
    return new DurableObjectId(illegal, className, op_do_new_unique_id(uniqueKey), undefined);
  }

  idFromString(text) {
    requireArgs(arguments.length, 1, "idFromString", "DurableObjectNamespace");
    const { className, uniqueKey } = this[_binding];
    return new DurableObjectId(
      illegal,
      className,
      op_do_id_from_string(uniqueKey, String(text)),
      undefined,
    );
  }

  get(id, options = undefined) {
    requireArgs(arguments.length, 1, "get", "DurableObjectNamespace");
    if (!ObjectPrototypeIsPrototypeOf(DurableObjectIdPrototype, id)) {
      throw new TypeError(
        "Failed to execute 'get' on 'DurableObjectNamespace': parameter 1 is not of type 'DurableObjectId'.",
      );
    }
    checkGetOptions(options);
    if (id[_className] !== this[_binding].className) {
      throw new TypeError("Durable Object ID is not valid for this namespace.");
    }
    return makeStub(this[_binding], id);
  }

  getByName(name, options = undefined) {
    requireArgs(arguments.length, 1, "getByName", "DurableObjectNamespace");
    return this.get(this.idFromName(name), options);
  }

  jurisdiction(name) {
    if (name !== undefined) {
      throw new Error("Jurisdiction restrictions are not implemented in workerd.");
    }
    return new DurableObjectNamespace(illegal, this[_binding]);
  }

  get [SymbolToStringTag]() {
    return "DurableObjectNamespace";
  }
}

function checkGetOptions(options) {
  if (options === undefined || options === null) return;
  const mode = options.routingMode;
  if (mode !== undefined && mode !== "primary-only") {
    throw new RangeError(`unknown routingMode: ${mode}`);
  }
}

function requireArgs(given, needed, method, type) {
  if (given < needed) {
    throw new TypeError(
      `Failed to execute '${method}' on '${type}': ${needed} argument required, but only ${given} present.`,
    );
  }
}

// ---------------------------------------------------------------------------
// Stubs.

const RESERVED_METHODS = new Set([
  "fetch",
  "connect",
  "alarm",
  "webSocketMessage",
  "webSocketClose",
  "webSocketError",
  "dup",
  "constructor",
]);

const _stub = Symbol("stub");

class DurableObjectStub {
  constructor(key, binding, id) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this[_stub] = { binding, id, record: null };
  }

  get id() {
    return this[_stub].id;
  }

  get name() {
    return this[_stub].id[_name];
  }

  fetch(input, init = undefined) {
    const stub = this[_stub];
    let request;
    try {
      request = toObjectRequest(input, init);
    } catch (error) {
      return Promise.reject(error);
    }
    if (stub.binding.scriptName != null) return remoteFetch(stub, request);
    return callObject(stub, fetchEvent(request), false);
  }

  connect() {
    throw new TypeError("connect() on a Durable Object stub is not supported by kiln.");
  }

  get [SymbolToStringTag]() {
    return "DurableObject";
  }
}

/** A Request for `stub.fetch()`: an absolute http(s) URL, as workerd insists. */
function toObjectRequest(input, init) {
  if (typeof input === "string" || ObjectPrototypeIsPrototypeOf(URL.prototype, input)) {
    const text = String(input);
    let url = null;
    try {
      url = new URL(text);
    } catch {
      // not absolute
    }
    if (url === null) throw new TypeError(`Invalid URL: ${text}`);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`Fetch API cannot load: ${text}`);
    }
  }
  return new Request(input, init);
}

/** A stub: the class above, plus any other property as an RPC method. */
function makeStub(binding, id) {
  const target = new DurableObjectStub(illegal, binding, id);
  return new Proxy(target, {
    get(target, prop, receiver) {
      if (typeof prop === "symbol" || prop in target) {
        return ReflectGet(target, prop, target);
      }
      // A stub is not a promise: `await stub` must not call the object.
      if (prop === "then") return undefined;
      return rpcMethod(target[_stub], prop);
    },
  });
}

/**
 * `stub.method`: callable (an RPC call) and awaitable (the property's value,
 * for a property that is not a function).
 */
function rpcMethod(stub, name) {
  const call = (...args) => {
    if (stub.binding.scriptName != null) return remoteRpc(stub, "call", name, args);
    let cloned;
    try {
      cloned = cloneForRpc(args);
    } catch (error) {
      return Promise.reject(error);
    }
    return callObject(stub, rpcEvent("call", name, cloned), true);
  };
  call.then = (onFulfilled, onRejected) =>
    PromisePrototypeThen(
      stub.binding.scriptName != null
        ? remoteRpc(stub, "get", name, [])
        : callObject(stub, rpcEvent("get", name, []), true),
      onFulfilled,
      onRejected,
    );
  return call;
}

/** The event of `stub.fetch(request)`, as the object runs it. */
function fetchEvent(request) {
  return (instance) => {
    if (typeof instance.fetch !== "function") {
      throw new Error("Handler does not export a fetch() function.");
    }
    return instance.fetch(request);
  };
}

/** The event of an RPC call (`kind` "call") or property read ("get"). */
function rpcEvent(kind, name, args) {
  return (instance) => {
    const member = rpcLookup(instance, name);
    if (kind === "get") return member;
    if (typeof member !== "function") throw new TypeError(`"${name}" is not a function.`);
    return ReflectApply(member, instance, args);
  };
}

// ---------------------------------------------------------------------------
// Objects of another worker of the process (bindings with script_name): the
// call travels to that worker as a subrequest addressed to the object.

function remoteObject(stub, rpc) {
  return {
    scriptName: stub.binding.scriptName,
    className: stub.binding.className,
    id: stub.id[_hex],
    name: stub.id[_name] ?? null,
    rpc,
  };
}

function remoteFetch(stub, request) {
  const object = remoteObject(stub, false);
  return subrequest(request, (method, url, headers, bytes, streamRid) =>
    op_do_remote_call(object, method, url, headers, bytes, streamRid)
  );
}

const RPC_ERROR_HEADER = "kiln-rpc-error";

async function remoteRpc(stub, kind, name, args) {
  const bytes = encodeForRpc(args);
  const url = `https://rpc/${kind}/${encodeURIComponent(name)}`;
  const request = new Request(url, { method: "POST", body: bytes });
  const object = remoteObject(stub, true);
  const response = await subrequest(request, (method, url, headers, body, streamRid) =>
    op_do_remote_call(object, method, url, headers, body, streamRid)
  );
  const result = deserializeValue(new Uint8Array(await response.arrayBuffer()), false);
  if (response.headers.get(RPC_ERROR_HEADER) !== null) throw remoteError(result);
  return result;
}

/**
 * In the worker that defines the class: a call from another worker's stub.
 * Returns the Response to send back.
 */
async function handleRemote(address, request) {
  const classInfo = localClasses.get(address.className);
  if (classInfo === undefined) {
    return new Response(
      `This worker does not define the Durable Object class "${address.className}".`,
      { status: 500 },
    );
  }
  const stub = {
    binding: { className: address.className, scriptName: null },
    id: new DurableObjectId(illegal, address.className, address.id, address.name ?? undefined),
    record: null,
  };
  if (!address.rpc) return await callObject(stub, fetchEvent(request), false);
  const [, kind, encoded] = new URL(request.url).pathname.split("/");
  const name = decodeURIComponent(encoded);
  let bytes;
  let failed = false;
  try {
    const args = deserializeValue(new Uint8Array(await request.arrayBuffer()), false);
    // The result leaves as bytes: encoded once, not cloned first.
    bytes = await callObject(stub, rpcEvent(kind, name, args), true, encodeForRpc);
  } catch (error) {
    failed = true;
    bytes = serializeOrDataCloneError(errorForTransfer(error), false);
  }
  return new Response(bytes, {
    status: 200,
    headers: failed ? { [RPC_ERROR_HEADER]: "1" } : {},
  });
}

/** An error as it crosses to the calling worker: name, message, reset flag. */
function errorForTransfer(error) {
  if (error === null || typeof error !== "object") return error;
  const copy = new Error(String(error.message));
  if (error.name !== "Error") copy.name = String(error.name);
  if (error.durableObjectReset === true) copy.durableObjectReset = true;
  return copy;
}

/** What RPC may reach on an instance: members of its class's prototypes. */
function rpcLookup(instance, name) {
  if (RESERVED_METHODS.has(name)) {
    throw new TypeError(`'${name}' is a reserved method and cannot be called over RPC.`);
  }
  let proto = ObjectGetPrototypeOf(instance);
  while (proto !== null && proto !== Object.prototype && proto !== DurableObject.prototype) {
    if (ObjectPrototypeHasOwnProperty(proto, name)) return ReflectGet(proto, name, instance);
    proto = ObjectGetPrototypeOf(proto);
  }
  throw new TypeError(`The RPC receiver does not implement the method "${name}".`);
}

const MAX_RPC_BYTES = 32 * 1024 * 1024;

/** RPC arguments and results are copies: structured clone, 32 MiB at most. */
function cloneForRpc(value) {
  // Primitives (and arrays of them, the arguments of most calls) are
  // already copies; skip the round trip through the serializer.
  if (isPrimitive(value)) return value;
  if (ArrayIsArray(value) && ObjectGetPrototypeOf(value) === Array.prototype && allPrimitive(value)) {
    return ArrayPrototypeSlice(value);
  }
  return deserializeValue(encodeForRpc(value), false);
}

/** RPC arguments or a result as the bytes that cross to the object or back. */
function encodeForRpc(value) {
  refuseClassInstances(value, new Set());
  const bytes = serializeOrDataCloneError(value, false);
  if (bytes.byteLength > MAX_RPC_BYTES) {
    throw new RangeError(
      `Serialized RPC arguments or return values are limited to 32MiB, but the size of this value was: ${bytes.byteLength} bytes.`,
    );
  }
  return bytes;
}

function isPrimitive(value) {
  const type = typeof value;
  return value === null || (type !== "object" && type !== "function" && type !== "symbol");
}

function allPrimitive(array) {
  for (let i = 0; i < array.length; i++) {
    if (!(i in array) || !isPrimitive(array[i])) return false;
  }
  return true;
}

/**
 * Structured clone to bytes; every failure is a DataCloneError. QuickJS's
 * serializer has no Error objects, so a value holding one is written as a
 * copy with each Error replaced by a record of it, behind a marker byte
 * (0x00; the serializer's own output starts with 0xFF), and revived on read.
 */
function serializeOrDataCloneError(value, forStorage) {
  try {
    return serializeChecked(value, forStorage);
  } catch (error) {
    if (!containsError(value, new Set())) throw error;
    const inner = serializeChecked(replaceErrors(value, new Map()), forStorage);
    const bytes = new Uint8Array(inner.byteLength + 1);
    bytes.set(inner, 1);
    return bytes;
  }
}

function serializeChecked(value, forStorage) {
  try {
    return core.serialize(value, { forStorage }, (message) => {
      throw new DOMException(message, "DataCloneError");
    });
  } catch (error) {
    if (ObjectPrototypeIsPrototypeOf(DOMException.prototype, error)) throw error;
    throw new DOMException(String(error?.message ?? error), "DataCloneError");
  }
}

/** The inverse of serializeOrDataCloneError. */
function deserializeValue(bytes, forStorage) {
  const options = forStorage ? FOR_STORAGE : NOT_FOR_STORAGE;
  if (bytes.byteLength > 0 && bytes[0] === 0) {
    return reviveErrors(core.deserialize(bytes.subarray(1), options), new Set());
  }
  return core.deserialize(bytes, options);
}

const ERROR_RECORD = "\u0000kiln.error";

function isError(value) {
  return ObjectPrototypeIsPrototypeOf(Error.prototype, value);
}

function containsError(value, seen) {
  if (value === null || typeof value !== "object" || seen.has(value)) return false;
  seen.add(value);
  if (isError(value)) return true;
  if (ObjectPrototypeIsPrototypeOf(Map.prototype, value)) {
    for (const [k, v] of value) if (containsError(k, seen) || containsError(v, seen)) return true;
    return false;
  }
  if (ObjectPrototypeIsPrototypeOf(Set.prototype, value)) {
    for (const v of value) if (containsError(v, seen)) return true;
    return false;
  }
  if (ArrayBuffer.isView(value)) return false;
  for (const key in value) if (containsError(value[key], seen)) return true;
  return false;
}

/** A copy of `value` with every Error replaced by a plain record of it. */
function replaceErrors(value, copies) {
  if (value === null || typeof value !== "object") return value;
  if (copies.has(value)) return copies.get(value);
  if (isError(value)) {
    const record = { [ERROR_RECORD]: true, name: value.name, message: value.message };
    if (value.durableObjectReset === true) record.durableObjectReset = true;
    copies.set(value, record);
    if (value.stack !== undefined) record.stack = String(value.stack);
    if ("cause" in value) record.cause = replaceErrors(value.cause, copies);
    return record;
  }
  if (ObjectPrototypeIsPrototypeOf(Map.prototype, value)) {
    const copy = new Map();
    copies.set(value, copy);
    for (const [k, v] of value) copy.set(replaceErrors(k, copies), replaceErrors(v, copies));
    return copy;
  }
  if (ObjectPrototypeIsPrototypeOf(Set.prototype, value)) {
    const copy = new Set();
    copies.set(value, copy);
    for (const v of value) copy.add(replaceErrors(v, copies));
    return copy;
  }
  if (ArrayBuffer.isView(value) || !(ArrayIsArray(value) || ObjectGetPrototypeOf(value) === Object.prototype)) {
    return value;
  }
  const copy = ArrayIsArray(value) ? new Array(value.length) : {};
  copies.set(value, copy);
  for (const key in value) copy[key] = replaceErrors(value[key], copies);
  return copy;
}

const ERROR_TYPES = { EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

function reviveErrors(value, seen) {
  if (value === null || typeof value !== "object" || seen.has(value)) return value;
  seen.add(value);
  if (value[ERROR_RECORD] === true) {
    const ctor = ERROR_TYPES[value.name] ?? Error;
    const error = new ctor(value.message);
    if (ctor === Error && value.name !== "Error") error.name = value.name;
    if (value.durableObjectReset === true) error.durableObjectReset = true;
    if (value.stack !== undefined) error.stack = value.stack;
    if ("cause" in value) error.cause = reviveErrors(value.cause, seen);
    return error;
  }
  if (ObjectPrototypeIsPrototypeOf(Map.prototype, value)) {
    const entries = [...value];
    value.clear();
    for (const [k, v] of entries) value.set(reviveErrors(k, seen), reviveErrors(v, seen));
  } else if (ObjectPrototypeIsPrototypeOf(Set.prototype, value)) {
    const items = [...value];
    value.clear();
    for (const v of items) value.add(reviveErrors(v, seen));
  } else if (!ArrayBuffer.isView(value)) {
    for (const key in value) value[key] = reviveErrors(value[key], seen);
  }
  return value;
}

/** Prototypes whose instances structured clone copies as what they are. */
const CLONEABLE_PROTOTYPES = new Set([
  Object.prototype,
  Array.prototype,
  Map.prototype,
  Set.prototype,
  Date.prototype,
  RegExp.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  Error.prototype,
  EvalError.prototype,
  RangeError.prototype,
  ReferenceError.prototype,
  SyntaxError.prototype,
  TypeError.prototype,
  URIError.prototype,
  Boolean.prototype,
  Number.prototype,
  String.prototype,
  BigInt.prototype,
  ObjectGetPrototypeOf(Uint8Array.prototype),
]);

/**
 * Over RPC, an instance of an application class is refused (workerd only
 * sends such objects as stubs, for RpcTarget); structured clone alone would
 * copy it as a plain object.
 */
function refuseClassInstances(value, seen) {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  const proto = ObjectGetPrototypeOf(value);
  if (
    proto !== null && !CLONEABLE_PROTOTYPES.has(proto) && !ArrayBuffer.isView(value) &&
    !isError(value)
  ) {
    const name = proto.constructor?.name ?? "Object";
    throw new DOMException(
      `Could not serialize object of type "${name}". This type does not support serialization.`,
      "DataCloneError",
    );
  }
  if (ObjectPrototypeIsPrototypeOf(Map.prototype, value)) {
    for (const [k, v] of value) {
      refuseClassInstances(k, seen);
      refuseClassInstances(v, seen);
    }
  } else if (ObjectPrototypeIsPrototypeOf(Set.prototype, value)) {
    for (const v of value) refuseClassInstances(v, seen);
  } else if (!ArrayBuffer.isView(value)) {
    for (const key in value) refuseClassInstances(value[key], seen);
  }
}

/** An error thrown by the object, as the caller sees it over RPC. */
function remoteError(error) {
  if (error === null || typeof error !== "object") return error;
  if (error.durableObjectReset === true) return error;
  let copy;
  try {
    copy = new (ObjectGetPrototypeOf(error)?.constructor ?? Error)(error.message);
  } catch {
    copy = new Error(error.message);
  }
  if (copy.name !== error.name) {
    ObjectDefineProperty(copy, "name", { value: error.name, writable: true, configurable: true });
  }
  copy.remote = true;
  return copy;
}

// ---------------------------------------------------------------------------
// Objects: one record per live id.

class ObjectRecord {
  constructor(classInfo, hex, name) {
    this.classInfo = classInfo;
    this.hex = hex;
    this.name = name;
    this.key = `${classInfo.className}:${hex}`;
    /** @type {{run: Function, resolve: Function, reject: Function}[]} */
    this.queue = [];
    this.draining = false;
    /** blockConcurrencyWhile() depth: no event starts while > 0. */
    this.blocked = 0;
    this.unblocked = null;
    this.active = 0;
    this.instance = undefined;
    this.state = undefined;
    this.storageRid = null;
    /** The error every later call rethrows, once the object was reset. */
    this.broken = undefined;
    this.evicted = false;
    this.evictTimer = null;
    this.commitScheduled = false;
    /** Hibernatable sockets in accept order: WebSocket -> {tags}. */
    this.webSockets = new Map();
    this.autoResponse = null;
    this.eventTimeout = null;
    /** Where its hibernatable sockets' events go (made on first use). */
    this.socketTarget = null;
    // What keeps the object from hibernating or being evicted besides its
    // events (see whyAwake()): timers set and accept()ed or outbound
    // sockets opened while one of its events ran, and waitUntil() promises.
    this.timers = 0;
    this.plainSockets = 0;
    this.waitUntil = 0;
    /** The last reason logged for not hibernating (logged once each). */
    this.lastWhy = null;
  }
}

/**
 * The live record for an id, made on first use. A new record takes back
 * the object's sockets if it hibernated; `why` says what woke it, for the
 * log.
 */
function recordFor(className, hex, name, why = "a call") {
  const key = `${className}:${hex}`;
  let record = records.get(key);
  if (record === undefined) {
    const classInfo = localClasses.get(className);
    if (name === undefined && sleepingNames.has(key)) name = sleepingNames.get(key);
    record = new ObjectRecord(classInfo, hex, name);
    records.set(key, record);
    wake(record, why);
  } else if (record.name === undefined && name !== undefined) {
    // The instance keeps the id it started with; a later caller's name is
    // only remembered for the next instance.
    record.pendingName = name;
  }
  return record;
}

/**
 * Runs `run(instance)` as one event of the object behind `stub`, in the
 * order calls were made, and settles with its result once the writes it made
 * are committed (the output gate). An RPC result leaves through `finish`: a
 * clone for a caller in this isolate, bytes for one in another worker.
 */
function callObject(stub, run, isRpc, finish = cloneForRpc) {
  const binding = stub.binding;
  if (stub.record !== null && stub.record.broken !== undefined) {
    return Promise.reject(stub.record.broken);
  }
  const classInfo = localClasses.get(binding.className);
  if (classInfo === undefined) {
    return Promise.reject(
      new Error(
        `Durable Object class "${binding.className}" is not defined by this worker.`,
      ),
    );
  }
  if (stub.record === null || stub.record.evicted) {
    stub.record = recordFor(
      binding.className,
      stub.id[_hex],
      stub.id[_name],
      stub.why ?? (isRpc ? "an RPC call" : "a request"),
    );
  }
  const record = stub.record;
  return new Promise((resolve, reject) => {
    ArrayPrototypePush(record.queue, { run, resolve, reject, isRpc, finish });
    drain(record);
  });
}

async function drain(record) {
  if (record.draining) return;
  record.draining = true;
  try {
    while (record.queue.length > 0 && record.broken === undefined) {
      // Each event starts on its own turn of the event loop, so every
      // continuation of a storage call already running (they resolve at
      // once) has run first: the input gate. (A deferred op: one that resolves
      // at once would resume this loop among those continuations.)
      await op_void_async_deferred();
      while (record.blocked > 0 && record.broken === undefined) {
        await record.unblocked.promise;
      }
      if (record.broken !== undefined) break;
      if (record.instance === undefined) {
        // The constructor runs before the first event and holds the input
        // lock (a blockConcurrencyWhile() in it delays every event).
        try {
          ensureConstructed(record);
        } catch {
          break; // the object was reset; its queue is rejected below
        }
        continue;
      }
      const item = ArrayPrototypeShift(record.queue);
      if (item === undefined) break;
      startEvent(record, item);
    }
  } finally {
    record.draining = false;
  }
  if (record.broken !== undefined) {
    for (const item of record.queue) item.reject(record.broken);
    record.queue = [];
  }
}

function startEvent(record, item) {
  record.active++;
  activeRecords.add(record);
  cancelEviction(record);
  let result;
  try {
    const instance = ensureConstructed(record);
    if (item.isRpc && !instance[_rpcCapable]) {
      throw new TypeError(
        'The receiving Durable Object does not support RPC, because its class was not declared with `extends DurableObject`. In order to enable RPC, make sure your class extends the special class `DurableObject`, which can be imported from the module "cloudflare:workers".',
      );
    }
    result = PromiseResolve(item.run(instance));
  } catch (error) {
    result = Promise.reject(error);
  }
  PromisePrototypeThen(
    result,
    (value) => {
      finishEvent(record);
      if (record.broken !== undefined) return item.reject(record.broken);
      if (!item.isRpc) return item.resolve(value);
      try {
        item.resolve(item.finish(value));
      } catch (error) {
        item.reject(error);
      }
    },
    (error) => {
      finishEvent(record);
      if (record.broken !== undefined) return item.reject(record.broken);
      item.reject(item.isRpc ? remoteError(error) : error);
    },
  );
}

/** An event ended: its writes are committed before its result leaves. */
function finishEvent(record) {
  record.active--;
  if (record.active === 0) activeRecords.delete(record);
  commit(record);
  scheduleEviction(record);
}

function commit(record) {
  if (record.storageRid === null || record.broken !== undefined) return;
  try {
    op_do_commit(record.storageRid);
  } catch (error) {
    reset(record, resetError(error.message));
  }
}

/**
 * Writes made in one turn of the event loop form one transaction: it is
 * committed on the next turn, and before any result of the object leaves.
 */
function scheduleCommit(record) {
  if (record.commitScheduled) return;
  record.commitScheduled = true;
  PromisePrototypeThen(op_void_async_deferred(), () => {
    record.commitScheduled = false;
    commit(record);
  });
}

const _rpcCapable = Symbol("rpcCapable");

function ensureConstructed(record) {
  if (record.instance !== undefined) return record.instance;
  const { className } = record.classInfo;
  const cls = exportedClasses.get(className);
  if (typeof cls !== "function") {
    throw new Error(
      `A DurableObjectNamespace in the config referenced the class "${className}", but no such Durable Object class is exported from the worker.`,
    );
  }
  if (record.pendingName !== undefined && record.name === undefined) {
    record.name = record.pendingName;
  }
  const state = new DurableObjectState(illegal, record);
  record.state = state;
  // The constructor holds the input lock: events wait for it.
  block(record);
  activeRecords.add(record);
  try {
    const instance = new cls(state, workerEnv);
    instance[_rpcCapable] = ObjectPrototypeIsPrototypeOf(DurableObject.prototype, instance);
    record.instance = instance;
    return instance;
  } catch (error) {
    reset(record, error);
    throw error;
  } finally {
    if (record.active === 0) activeRecords.delete(record);
    unblock(record);
  }
}

function unblock(record) {
  record.blocked--;
  if (record.blocked === 0 && record.unblocked !== null) {
    const waiter = record.unblocked;
    record.unblocked = null;
    waiter.resolve();
  }
}

function block(record) {
  if (record.unblocked === null) {
    let resolve;
    const promise = new Promise((r) => (resolve = r));
    record.unblocked = { promise, resolve };
  }
  record.blocked++;
}

function resetError(message) {
  const error = new Error(message);
  error.durableObjectReset = true;
  return error;
}

/**
 * The object is broken: uncommitted writes are discarded, every waiting and
 * later call on the stubs that reached it fails with `error`, and the next
 * `get()` makes a fresh instance.
 */
function reset(record, error) {
  if (record.broken !== undefined) return;
  if (error !== null && typeof error === "object") {
    try {
      error.durableObjectReset = true;
    } catch {
      // a frozen error still resets the object
    }
  }
  record.broken = error;
  if (record.storageRid !== null) {
    try {
      op_do_rollback(record.storageRid);
      op_do_close(record.storageRid);
    } catch {
      // the storage is being dropped anyway
    }
    record.storageRid = null;
  }
  cancelEviction(record);
  activeRecords.delete(record);
  if (records.get(record.key) === record) records.delete(record.key);
  // Its hibernatable sockets are disconnected, as in workerd.
  for (const ws of record.webSockets.keys()) {
    websocket.leave(ws);
    websocket.disconnect(ws);
  }
  record.webSockets.clear();
  op_ws_clear_auto_response(record.key);
  for (const item of record.queue) item.reject(error);
  record.queue = [];
  if (record.unblocked !== null) record.unblocked.resolve();
}

/**
 * Once the object has nothing to do, a timer starts: when it fires the
 * object hibernates (it has hibernatable sockets; after hibernateAfterMs)
 * or is evicted (after evictAfterMs), unless something still holds it
 * (whyAwake()); whatever releases that hold starts the timer again.
 */
function scheduleEviction(record) {
  if (record.active > 0 || record.broken !== undefined || record.evictTimer !== null) return;
  if (records.get(record.key) !== record) return;
  const after = record.webSockets.size > 0 ? hibernateAfterMs : evictAfterMs;
  record.evictTimer = rawSetTimeout(() => {
    record.evictTimer = null;
    if (records.get(record.key) !== record || record.broken !== undefined) return;
    const why = whyAwake(record);
    if (why === null) {
      hibernate(record);
    } else if (record.webSockets.size > 0 && record.lastWhy !== why) {
      record.lastWhy = why;
      log(record, `cannot hibernate: ${why}`);
    }
  }, after);
}

function cancelEviction(record) {
  if (record.evictTimer !== null) {
    rawClearTimeout(record.evictTimer);
    record.evictTimer = null;
  }
}

/** Why the object cannot hibernate or be evicted now, or null. */
function whyAwake(record) {
  if (record.active > 0) {
    return "an event has not finished (a promise it returned has not settled)";
  }
  if (record.queue.length > 0 || record.blocked > 0) return "events are waiting to run";
  if (record.waitUntil > 0) return "a ctx.waitUntil() promise has not settled";
  if (record.timers > 0) return "a timer set during one of its events is pending";
  if (record.plainSockets > 0) {
    return "it has a WebSocket accepted with accept() or opened with new WebSocket() (only ctx.acceptWebSocket() sockets can hibernate)";
  }
  return null;
}

/**
 * What a timer or a socket made now holds: every object with an event
 * running (kiln cannot tell which of them made it, so all wait for it).
 */
function holdActive(field) {
  if (activeRecords.size === 0) return null;
  const held = [...activeRecords];
  for (const record of held) record[field]++;
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      for (const record of held) {
        record[field]--;
        if (record[field] === 0) scheduleEviction(record);
      }
    },
  };
}

/**
 * The instance goes; its hibernatable sockets stay open in Rust with their
 * tags and attachments, and their next event (or any call) makes a new
 * instance, which takes them back.
 */
function hibernate(record) {
  const n = record.webSockets.size;
  if (n > 0) {
    for (const ws of record.webSockets.keys()) websocket.hibernate(ws);
    record.webSockets.clear();
    if (record.name !== undefined) sleepingNames.set(record.key, record.name);
    log(record, `hibernated (${plural(n, "WebSocket")} stay open)`);
  }
  evict(record);
  if (n > 0) releaseMemorySoon();
}

/**
 * What hibernated objects held is given back once, a second after the
 * first of a burst of hibernations: a collection per hibernation would cost
 * a full collection per message with --hibernate-after 0.
 */
let releasePending = false;
function releaseMemorySoon() {
  if (releasePending) return;
  releasePending = true;
  rawSetTimeout(() => {
    releasePending = false;
    op_ws_release_memory();
  }, 1000);
}

/** A new record of an object that hibernated: its sockets come back. */
function wake(record, why) {
  const pair = op_ws_auto_response(record.key);
  if (pair.length === 2) {
    record.autoResponse = new WebSocketRequestResponsePair(pair[0], pair[1]);
  }
  const restored = op_ws_wake(record.key);
  if (restored.length === 0) return;
  sleepingNames.delete(record.key);
  const target = hibernationTarget(record);
  for (const { id, tags, attachment, closedOut } of restored) {
    const ws = websocket.restore(id, attachment, closedOut, target);
    record.webSockets.set(ws, { tags });
  }
  log(record, `woke for ${why} (${plural(restored.length, "WebSocket")})`);
}

/** The event pump met an event for a sleeping end: its object wakes. */
const EVENT_NAMES = ["a WebSocket message", "a WebSocket message", "a WebSocket Close", "a WebSocket disconnect", "a WebSocket error"];
function wakeForSocket(id, kind) {
  const object = op_ws_sleeping_object(id);
  if (object.length === 0) return undefined;
  const key = object[0];
  const { className, hex } = splitKey(key);
  const record = recordFor(className, hex, undefined, EVENT_NAMES[kind] ?? "a WebSocket event");
  for (const ws of record.webSockets.keys()) {
    if (websocket.endId(ws) === id) return ws;
  }
  return undefined;
}

/** A record's key ("className:hex") in its parts. */
function splitKey(key) {
  const at = key.lastIndexOf(":");
  return { className: key.slice(0, at), hex: key.slice(at + 1) };
}

function plural(n, word) {
  return n === 1 ? `1 ${word}` : `${n} ${word}s`;
}

function label(record) {
  const who = record.name !== undefined ? JSON.stringify(record.name) : record.hex;
  return `Durable Object ${record.classInfo.className} ${who}`;
}

/** kiln's own lines about an object, on stderr beside the worker's. */
function log(record, text) {
  op_kiln_print(`kiln: ${label(record)} ${text}`, 2);
}

/** How long the control endpoint waits for an event that is finishing. */
const SETTLE_MS = 1000;

/**
 * POST /cdn-cgi/kiln/hibernate (js/dispatch.js, `kiln hibernate`): every
 * matching object that can hibernate now does; the report says, per
 * object, whether it did and, if not, why. An object in the middle of an
 * event (the one that answered the caller's last message, say) gets up to
 * SETTLE_MS to finish it; other holds are reported at once.
 */
async function forceHibernate(className, name, id) {
  if (name !== null && className === null) {
    throw new TypeError("name= needs class= (an idFromName name belongs to one class)");
  }
  if (className !== null && !localClasses.has(className)) {
    throw new TypeError(`this worker defines no Durable Object class "${className}"`);
  }
  if (id !== null && !/^[0-9a-f]{64}$/.test(id)) {
    throw new TypeError("id= must be an object id: 64 lowercase hexadecimal digits");
  }
  let hex = id;
  if (name !== null) hex = op_do_id_from_name(`${workerName}-${className}`, name);
  const report = [];
  const entry = (cls, objectHex, objectName, hibernated, webSockets, reason) => {
    const item = { class: cls, id: objectHex, name: objectName ?? null, hibernated, webSockets };
    if (reason !== null) item.reason = reason;
    ArrayPrototypePush(report, item);
  };
  const seen = new SafeSet();
  let released = true;
  const deadline = Date.now() + SETTLE_MS;
  for (const record of [...records.values()]) {
    const cls = record.classInfo.className;
    seen.add(record.key);
    if ((className !== null && cls !== className) || (hex !== null && record.hex !== hex)) continue;
    let n = record.webSockets.size;
    const busy = () =>
      record.broken === undefined && records.get(record.key) === record &&
      (record.active > 0 || record.queue.length > 0 || record.blocked > 0);
    while (busy() && Date.now() < deadline) {
      n = record.webSockets.size;
      await new Promise((resolve) => rawSetTimeout(resolve, 10));
    }
    if (records.get(record.key) !== record && record.broken === undefined) {
      // It hibernated or was evicted on its own meanwhile.
      entry(cls, record.hex, record.name, true, n, null);
      continue;
    }
    n = record.webSockets.size;
    const why = record.broken !== undefined ? "it was reset" : whyAwake(record);
    if (why === null) {
      cancelEviction(record);
      hibernate(record);
      released = false;
      entry(cls, record.hex, record.name, true, n, null);
    } else {
      log(record, `cannot hibernate: ${why}`);
      entry(cls, record.hex, record.name, false, n, why);
    }
  }
  // Objects asleep already.
  for (const [key, n] of op_ws_sleeping_objects()) {
    const { className: cls, hex: objectHex } = splitKey(key);
    if ((className !== null && cls !== className) || (hex !== null && objectHex !== hex)) continue;
    if (seen.has(key) || records.has(key)) continue;
    entry(cls, objectHex, sleepingNames.get(key), true, n, null);
  }
  // Asked for by hand: what the objects held is given back now.
  if (!released) op_ws_release_memory();
  return report;
}

/** Idle: the instance goes; stubs stay valid and the next call makes a new one. */
function evict(record) {
  commit(record);
  if (record.storageRid !== null) {
    op_do_close(record.storageRid);
    record.storageRid = null;
  }
  record.evicted = true;
  // Nothing may keep the old instance alive through its record.
  record.instance = undefined;
  record.state = undefined;
  activeRecords.delete(record);
  if (records.get(record.key) === record) records.delete(record.key);
}

// ---------------------------------------------------------------------------
// ctx: DurableObjectState.

const _record = Symbol("record");

class DurableObjectState {
  constructor(key, record) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this[_record] = record;
    this.id = new DurableObjectId(illegal, record.classInfo.className, record.hex, record.name);
    this.storage = new DurableObjectStorage(illegal, record);
    ObjectFreeze(this.id);
  }

  waitUntil(promise) {
    const record = this[_record];
    record.waitUntil++;
    const settled = () => {
      record.waitUntil--;
      if (record.waitUntil === 0) scheduleEviction(record);
    };
    PromisePrototypeThen(PromiseResolve(promise), settled, (error) => {
      settled();
      reportException(error);
    });
  }

  blockConcurrencyWhile(callback) {
    const record = this[_record];
    if (record.blocked >= 64) {
      throw new Error("blockConcurrencyWhile() calls are nested too deeply.");
    }
    block(record);
    // The callback starts once the caller's synchronous code has finished.
    const result = PromisePrototypeThen(PromiseResolve(), () => callback());
    return new Promise((resolve) => {
      PromisePrototypeThen(
        result,
        (value) => {
          unblock(record);
          resolve(value);
        },
        (error) => {
          // A failure here resets the object; the caller's promise never settles.
          unblock(record);
          reset(record, error);
        },
      );
    });
  }

  acceptWebSocket(ws, tags = []) {
    requireArgs(arguments.length, 1, "acceptWebSocket", "DurableObjectState");
    const record = this[_record];
    if (!websocket.isWebSocket(ws)) {
      throw new TypeError(
        "Failed to execute 'acceptWebSocket' on 'DurableObjectState': parameter 1 is not of type 'WebSocket'.",
      );
    }
    const list = tags ?? [];
    // The limit counts the entries given, before duplicates are dropped.
    if (list.length > 10) {
      throw new Error("a Hibernatable WebSocket cannot have more than 10 tags");
    }
    const unique = [];
    for (const tag of list) {
      const text = String(tag);
      if (unique.includes(text)) continue;
      if (core.encode(text).byteLength > 256) {
        throw new Error(`"${text}" is longer than the max tag length (256 characters).`);
      }
      unique.push(text);
    }
    if (record.webSockets.size >= 32768) {
      throw new Error("only 32768 websockets can be accepted on a single Durable Object instance");
    }
    websocket.acceptHibernatable(ws, hibernationTarget(record), record.key, unique);
    record.webSockets.set(ws, { tags: unique });
    cancelEviction(record);
  }

  getWebSockets(tag = undefined) {
    // As workerd orders them: all sockets newest first, a tag's oldest first.
    const out = [];
    for (const [ws, info] of this[_record].webSockets) {
      if (tag === undefined) out.unshift(ws);
      else if (info.tags.includes(String(tag))) out.push(ws);
    }
    return out;
  }

  getTags(ws) {
    const info = this[_record].webSockets.get(ws);
    if (info !== undefined) return [...info.tags];
    if (websocket.isWebSocket(ws) && websocket.isAccepted(ws) && !websocket.isHibernatable(ws)) {
      throw new Error("only hibernatable websockets can have tags.");
    }
    throw new Error(
      "you must call 'acceptWebSocket()' before attempting to access the tags of a WebSocket.",
    );
  }

  setWebSocketAutoResponse(pair = undefined) {
    const record = this[_record];
    if (pair === undefined || pair === null) {
      record.autoResponse = null;
      op_ws_clear_auto_response(record.key);
      return;
    }
    if (!ObjectPrototypeIsPrototypeOf(WebSocketRequestResponsePair.prototype, pair)) {
      throw new TypeError(
        "Failed to execute 'setWebSocketAutoResponse' on 'DurableObjectState': parameter 1 is not of type 'WebSocketRequestResponsePair'.",
      );
    }
    record.autoResponse = pair;
    // Answered in Rust, so that a hibernating object is not woken.
    op_ws_set_auto_response(record.key, pair.request, pair.response);
  }

  getWebSocketAutoResponse() {
    return this[_record].autoResponse;
  }

  getWebSocketAutoResponseTimestamp(ws) {
    if (!this[_record].webSockets.has(ws)) return null;
    return websocket.autoResponseTimestamp(ws);
  }

  setHibernatableWebSocketEventTimeout(ms = undefined) {
    if (ms === undefined || ms === null || Number(ms) === 0) {
      this[_record].eventTimeout = null;
      return;
    }
    const value = Number(ms);
    if (value > 604_800_000) throw new Error("Event timeout should not exceed 604800000 ms.");
    this[_record].eventTimeout = value;
  }

  getHibernatableWebSocketEventTimeout() {
    return this[_record].eventTimeout;
  }

  abort(reason = undefined) {
    const record = this[_record];
    const message = reason === undefined
      ? "Application called abort() to reset Durable Object."
      : String(reason);
    const error = resetError(message);
    reset(record, error);
    throw error;
  }

  get [SymbolToStringTag]() {
    return "DurableObjectState";
  }
}

// ---------------------------------------------------------------------------
// Hibernatable WebSockets: each event of a socket accepted with
// ctx.acceptWebSocket() is an event of its object, calling the class's
// handler. The object hibernates when only such sockets hold it (see
// hibernate() and wake() above; the sockets' Rust side is
// ops/src/websocket/hibernation.rs, which also answers auto-responses).

function hibernationTarget(record) {
  // One per object: every socket's events go to the same handlers.
  if (record.socketTarget === null) record.socketTarget = newHibernationTarget(record);
  return record.socketTarget;
}

function newHibernationTarget(record) {
  const event = (name, args) => {
    const stub = {
      binding: { className: record.classInfo.className, scriptName: null },
      id: null,
      record,
    };
    return PromisePrototypeThen(
      callObject(stub, (instance) => {
        const handler = instance[name];
        if (typeof handler === "function") return ReflectApply(handler, instance, args);
        return undefined;
      }, false),
      undefined,
      reportException,
    );
  };
  return {
    message(ws, data) {
      event("webSocketMessage", [ws, data]);
    },
    close(ws, code, reason, wasClean) {
      record.webSockets.delete(ws);
      websocket.leave(ws);
      const done = event("webSocketClose", [ws, code, reason, wasClean]);
      if (!wasClean) return;
      PromisePrototypeThen(done, () => {
        // workerd does not answer a Close on this path: a handler that does
        // not close leaves the client waiting. Production answers it from
        // 2026-04-07 on, so such code works there and hangs here; say so.
        if (websocket.awaitsCloseReply(ws)) {
          log(
            record,
            `warning: webSocketClose returned without calling ws.close(); the client sent Close ${code} and waits for the reply. Call ws.close(code, reason) in webSocketClose (workerd does not reply for you on this path).`,
          );
        }
      });
    },
    error(ws, error) {
      record.webSockets.delete(ws);
      websocket.leave(ws);
      event("webSocketError", [ws, error]);
    },
  };
}

const _pair = Symbol("pair");

class WebSocketRequestResponsePair {
  constructor(request, response) {
    requireArgs(arguments.length, 2, "constructor", "WebSocketRequestResponsePair");
    const req = String(request);
    const res = String(response);
    const reqSize = core.encode(req).byteLength;
    if (reqSize > 2048) {
      throw new RangeError(
        `Request cannot be larger than 2048 bytes. A request of size ${reqSize} was provided.`,
      );
    }
    const resSize = core.encode(res).byteLength;
    if (resSize > 2048) {
      throw new RangeError(
        `Response cannot be larger than 2048 bytes. A response of size ${resSize} was provided.`,
      );
    }
    this[_pair] = { request: req, response: res };
  }
  get request() {
    return this[_pair].request;
  }
  get response() {
    return this[_pair].response;
  }
  get [SymbolToStringTag]() {
    return "WebSocketRequestResponsePair";
  }
}

// ---------------------------------------------------------------------------
// Storage.

function storageRid(record) {
  if (record.broken !== undefined || record.evicted) {
    throw new Error("Durable Object storage is no longer accessible.");
  }
  if (record.storageRid === null) {
    record.storageRid = op_do_open(record.classInfo.className, record.hex);
  }
  return record.storageRid;
}

function encodeValue(value) {
  return serializeOrDataCloneError(value, true);
}

const FOR_STORAGE = { forStorage: true };
const NOT_FOR_STORAGE = { forStorage: false };

function decodeValue(bytes) {
  return deserializeValue(bytes, true);
}

function toEntries(list) {
  const map = new Map();
  for (let i = 0; i < list.length; i++) {
    map.set(list[i][0], decodeValue(list[i][1]));
  }
  return map;
}

/** The synchronous core of the KV API, shared by storage and transactions. */
const kv = {
  get(record, keys) {
    const rid = storageRid(record);
    if (ArrayIsArray(keys)) {
      if (keys.length > 128) {
        throw new RangeError(
          `Maximum number of key value pairs is 128. ${keys.length} pairs were provided.`,
        );
      }
      return toEntries(op_do_get_many(rid, keys.map(String)));
    }
    const buffer = op_do_get(rid, String(keys));
    return buffer === null ? undefined : decodeValue(new Uint8Array(buffer));
  },
  put(record, keyOrEntries, value, hasValue) {
    const rid = storageRid(record);
    if (typeof keyOrEntries === "object" && keyOrEntries !== null && !hasValue) {
      const entries = [];
      for (const key in keyOrEntries) {
        const v = keyOrEntries[key];
        if (v === undefined) continue;
        ArrayPrototypePush(entries, [key, encodeValue(v)]);
      }
      op_do_put_many(rid, entries);
    } else {
      if (value === undefined) throw new TypeError("put() called with undefined value.");
      op_do_put(rid, String(keyOrEntries), encodeValue(value));
    }
    scheduleCommit(record);
  },
  delete(record, keys) {
    const rid = storageRid(record);
    let result;
    if (ArrayIsArray(keys)) result = op_do_delete_many(rid, keys.map(String));
    else result = op_do_delete(rid, String(keys));
    scheduleCommit(record);
    return result;
  },
  list(record, options) {
    const rid = storageRid(record);
    const o = options ?? {};
    if (o.start !== undefined && o.startAfter !== undefined) {
      throw new TypeError("list() cannot be called with both start and startAfter values.");
    }
    if (o.limit !== undefined && !(Number(o.limit) > 0)) {
      throw new TypeError("List limit must be positive.");
    }
    return toEntries(op_do_list(rid, {
      start: o.start === undefined ? null : String(o.start),
      startAfter: o.startAfter === undefined ? null : String(o.startAfter),
      end: o.end === undefined ? null : String(o.end),
      prefix: o.prefix === undefined ? null : String(o.prefix),
      reverse: !!o.reverse,
      limit: o.limit === undefined ? null : MathMin(Number(o.limit), 0xffffffff),
    }));
  },
};

function checkPutArguments(args) {
  const [first, second, third] = args;
  const entriesForm = typeof first === "object" && first !== null && !(typeof first === "string");
  if (entriesForm && args.length >= 2 && second !== undefined && (typeof second !== "object" || third !== undefined)) {
    throw new TypeError(
      "put() may only be called with a single key-value pair and optional options as put(key, value, options) or with multiple key-value pairs and optional options as put(entries, options)",
    );
  }
  return entriesForm;
}

class DurableObjectStorage {
  constructor(key, record) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this[_record] = record;
    this.sql = new SqlStorage(illegal, record);
    this.kv = new SyncKvStorage(illegal, record);
  }

  get(keys, _options = undefined) {
    return settle(() => kv.get(this[_record], keys));
  }

  put(keyOrEntries, value = undefined, _options = undefined) {
    return settle(() => {
      const entriesForm = checkPutArguments([keyOrEntries, value, _options]);
      kv.put(this[_record], keyOrEntries, value, !entriesForm);
    });
  }

  delete(keys, _options = undefined) {
    return settle(() => kv.delete(this[_record], keys));
  }

  list(options = undefined) {
    return settle(() => kv.list(this[_record], options));
  }

  deleteAll(_options = undefined) {
    const record = this[_record];
    return settle(() => {
      if (record.transactionDepth > 0) {
        throw new Error("Cannot call deleteAll() within a transaction");
      }
      op_do_delete_all(storageRid(record), flags.has("delete_all_deletes_alarm"));
      if (flags.has("delete_all_deletes_alarm")) cancelAlarmTimer(record.key);
      scheduleCommit(record);
    });
  }

  async transaction(closure) {
    const record = this[_record];
    return await underInputLock(record, async () => {
      const rid = storageRid(record);
      const depth = op_do_savepoint(rid);
      record.transactionDepth = (record.transactionDepth ?? 0) + 1;
      const txn = new DurableObjectTransaction(illegal, record, depth);
      try {
        const result = await closure(txn);
        if (txn[_txnState] !== "rolledBack") op_do_release(rid, depth);
        txn[_txnState] = txn[_txnState] === "rolledBack" ? "rolledBack" : "committed";
        scheduleCommit(record);
        return result;
      } catch (error) {
        if (txn[_txnState] !== "rolledBack" && record.storageRid !== null) {
          op_do_rollback_to(rid, depth);
        }
        txn[_txnState] = "rolledBack";
        throw error;
      } finally {
        record.transactionDepth--;
      }
    });
  }

  transactionSync(callback) {
    const record = this[_record];
    const rid = storageRid(record);
    const depth = op_do_savepoint(rid);
    record.transactionDepth = (record.transactionDepth ?? 0) + 1;
    try {
      const result = callback();
      op_do_release(rid, depth);
      scheduleCommit(record);
      return result;
    } catch (error) {
      op_do_rollback_to(rid, depth);
      throw error;
    } finally {
      record.transactionDepth--;
    }
  }

  sync() {
    return settle(() => commit(this[_record]));
  }

  getAlarm(_options = undefined) {
    const record = this[_record];
    return settle(() => {
      if (record.runningAlarm && !record.alarmSetDuringRun) return null;
      return op_do_get_alarm(storageRid(record));
    });
  }

  setAlarm(scheduledTime, _options = undefined) {
    const record = this[_record];
    return settle(() => setAlarm(record, scheduledTime));
  }

  deleteAlarm(_options = undefined) {
    const record = this[_record];
    return settle(() => {
      op_do_delete_alarm(storageRid(record));
      cancelAlarmTimer(record.key);
      scheduleCommit(record);
    });
  }

  getCurrentBookmark() {
    return PromiseResolve("0000000h-0000000h-00000000-0000000000000000000000000000000000000000");
  }

  getBookmarkForTime() {
    return Promise.reject(
      new Error("This Durable Object's storage back-end does not implement point-in-time recovery."),
    );
  }

  onNextSessionRestoreBookmark() {
    return Promise.reject(
      new Error("This Durable Object's storage back-end does not implement point-in-time recovery."),
    );
  }

  get [SymbolToStringTag]() {
    return "DurableObjectStorage";
  }
}

/**
 * Runs `fn` with the object's input lock held, as blockConcurrencyWhile()
 * does, but a failure only rejects (transaction() does not reset the object).
 */
function underInputLock(record, fn) {
  block(record);
  let result;
  try {
    result = PromiseResolve(fn());
  } catch (error) {
    result = Promise.reject(error);
  }
  return PromisePrototypeThen(
    result,
    (value) => {
      unblock(record);
      return value;
    },
    (error) => {
      unblock(record);
      throw error;
    },
  );
}

/** A storage call's result as a promise that is already settled. */
function settle(fn) {
  try {
    return PromiseResolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

const _txnState = Symbol("txnState");
const _depth = Symbol("depth");

class DurableObjectTransaction {
  constructor(key, record, depth) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this[_record] = record;
    this[_txnState] = "open";
    this[_depth] = depth;
  }

  #check(op) {
    if (this[_txnState] === "committed") {
      throw new Error(
        `Cannot call ${op}() on transaction that has already committed: did you move \`txn\` outside of the closure?`,
      );
    }
    if (this[_txnState] === "rolledBack") {
      throw new Error(`Cannot ${op}() on rolled back transaction`);
    }
  }

  get(keys, _options = undefined) {
    return settle(() => {
      this.#check("get");
      return kv.get(this[_record], keys);
    });
  }

  put(keyOrEntries, value = undefined, _options = undefined) {
    return settle(() => {
      this.#check("put");
      const entriesForm = checkPutArguments([keyOrEntries, value, _options]);
      kv.put(this[_record], keyOrEntries, value, !entriesForm);
    });
  }

  delete(keys, _options = undefined) {
    return settle(() => {
      this.#check("delete");
      return kv.delete(this[_record], keys);
    });
  }

  list(options = undefined) {
    return settle(() => {
      this.#check("list");
      return kv.list(this[_record], options);
    });
  }

  deleteAll() {
    return Promise.reject(new Error("Cannot call deleteAll() within a transaction"));
  }

  rollback() {
    this.#check("rollback");
    this[_txnState] = "rolledBack";
    op_do_rollback_to(storageRid(this[_record]), this[_depth]);
  }

  getAlarm(options = undefined) {
    return this[_record].state.storage.getAlarm(options);
  }

  setAlarm(time, options = undefined) {
    return this[_record].state.storage.setAlarm(time, options);
  }

  deleteAlarm(options = undefined) {
    return this[_record].state.storage.deleteAlarm(options);
  }
}

const SYNC_KV_NOT_SQLITE =
  "The storage.kv (synchronous KV) API is only available for SQLite-backed Durable Objects, but this object's namespace is not declared to use SQLite. You can use the older, asyncronous interface via methods of `storage` itself (e.g. `storage.get()`). Alternatively, to enable SQLite, change `new_classes` to `new_sqlite_classes` within the 'migrations' field in your wrangler.jsonc or wrangler.toml file. If using workerd directly, set `enableSql = true` in your workerd config for the class. Note that this change cannot be made after the class is already deployed to production.";

/** `ctx.storage.kv`: the same data as the async KV API, synchronously. */
class SyncKvStorage {
  constructor(key, record) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this[_record] = record;
  }

  #record() {
    const record = this[_record];
    if (!record.classInfo.sqlite) throw new Error(SYNC_KV_NOT_SQLITE);
    return record;
  }

  get(key) {
    return kv.get(this.#record(), String(key));
  }

  put(key, value) {
    kv.put(this.#record(), String(key), value, true);
  }

  delete(key) {
    return kv.delete(this.#record(), String(key));
  }

  list(options = undefined) {
    return kv.list(this.#record(), options).entries();
  }

  get [SymbolToStringTag]() {
    return "SyncKvStorage";
  }
}

// SQL ----------------------------------------------------------------------

const SQL_NOT_ENABLED =
  "SQL is not enabled for this Durable Object class. To enable it, change `new_classes` to `new_sqlite_classes` within the 'migrations' field in your wrangler.jsonc or wrangler.toml file. If using workerd directly,set `enableSql = true` in your workerd config for the class. Note that this change cannot be made after the class is already deployed to production.";

class SqlStorage {
  constructor(key, record) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this[_record] = record;
  }

  exec(query, ...bindings) {
    const record = this[_record];
    if (!record.classInfo.sqlite) throw new Error(SQL_NOT_ENABLED);
    const args = bindings.map(toSqlArgument);
    const result = op_do_sql_exec(storageRid(record), String(query), args);
    if (result.rowsWritten > 0) scheduleCommit(record);
    return new SqlStorageCursor(illegal, result);
  }

  get databaseSize() {
    const record = this[_record];
    if (!record.classInfo.sqlite) throw new Error(SQL_NOT_ENABLED);
    return op_do_database_size(storageRid(record));
  }

  get [SymbolToStringTag]() {
    return "SqlStorage";
  }
}

/**
 * A bound value as the op takes it: null, a number (REAL), a string, or a
 * Uint8Array (BLOB). Booleans become text, as workerd's conversion does.
 */
function toSqlArgument(value) {
  if (value === null || value === undefined) return null;
  const type = typeof value;
  if (type === "number" || type === "string") return value;
  if (type === "bigint") throw new TypeError("Cannot convert a BigInt value to a number");
  if (type === "boolean") return value ? "true" : "false";
  if (ObjectPrototypeIsPrototypeOf(ArrayBuffer.prototype, value)) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  return String(value);
}

/** A result value: blobs arrive as Uint8Array and leave as ArrayBuffer. */
function fromSqlValue(value) {
  if (ObjectPrototypeIsPrototypeOf(Uint8Array.prototype, value)) {
    return value.byteOffset === 0 && value.byteLength === value.buffer.byteLength
      ? value.buffer
      : value.slice().buffer;
  }
  return value;
}

const _cursor = Symbol("cursor");

class SqlStorageCursor {
  constructor(key, result) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this[_cursor] = { result, next: 0, rowsRead: 0 };
  }

  get columnNames() {
    return this[_cursor].result.columns;
  }

  get rowsRead() {
    // workerd has stepped to the row after the last one consumed; kiln has
    // read them all already, so it reports what workerd would have so far.
    const c = this[_cursor];
    if (c.next >= c.result.rows.length) return c.result.rowsRead;
    return MathMin(c.result.rowsRead, c.next + 1);
  }

  get rowsWritten() {
    return this[_cursor].result.rowsWritten;
  }

  #nextRaw() {
    const c = this[_cursor];
    if (c.next >= c.result.rows.length) return undefined;
    const row = c.result.rows[c.next++];
    return row.map(fromSqlValue);
  }

  #toObject(raw) {
    const object = {};
    const names = this[_cursor].result.columns;
    for (let i = 0; i < names.length; i++) object[names[i]] = raw[i];
    return object;
  }

  next() {
    const raw = this.#nextRaw();
    return raw === undefined ? { done: true, value: undefined } : { done: false, value: this.#toObject(raw) };
  }

  toArray() {
    const out = [];
    for (let raw = this.#nextRaw(); raw !== undefined; raw = this.#nextRaw()) {
      ArrayPrototypePush(out, this.#toObject(raw));
    }
    return out;
  }

  one() {
    const first = this.#nextRaw();
    if (first === undefined) {
      throw new Error("Expected exactly one result from SQL query, but got no results.");
    }
    if (this.#nextRaw() !== undefined) {
      throw new Error("Expected exactly one result from SQL query, but got multiple results.");
    }
    return this.#toObject(first);
  }

  raw() {
    const cursor = this;
    return {
      next() {
        const raw = cursor.#nextRaw();
        return raw === undefined ? { done: true, value: undefined } : { done: false, value: raw };
      },
      toArray() {
        const out = [];
        for (let raw = cursor.#nextRaw(); raw !== undefined; raw = cursor.#nextRaw()) {
          ArrayPrototypePush(out, raw);
        }
        return out;
      },
      [SymbolIterator]() {
        return this;
      },
    };
  }

  [SymbolIterator]() {
    return this;
  }

  get [SymbolToStringTag]() {
    return "SqlStorageCursor";
  }
}

// ---------------------------------------------------------------------------
// Alarms.

/** "className:hex" -> the timer of its pending alarm. */
const alarmTimers = new SafeMap();

function setAlarm(record, scheduledTime) {
  let time;
  if (ObjectPrototypeIsPrototypeOf(Date.prototype, scheduledTime)) {
    time = DatePrototypeGetTime(scheduledTime);
  } else {
    time = Number(scheduledTime);
  }
  if (!NumberIsFinite(time) || time <= 0) {
    throw new TypeError("setAlarm() cannot be called with an alarm time <= 0");
  }
  if (record.instance !== undefined && typeof record.instance.alarm !== "function") {
    throw new TypeError(
      "Your Durable Object class must have an alarm() handler in order to call setAlarm()",
    );
  }
  const at = time < Date.now() ? Date.now() : time;
  op_do_set_alarm(storageRid(record), { name: record.name ?? null, time: at });
  if (record.runningAlarm) record.alarmSetDuringRun = true;
  scheduleCommit(record);
  scheduleAlarm(record.classInfo.className, record.hex, record.name, at, 0);
}

function cancelAlarmTimer(key) {
  const timer = alarmTimers.get(key);
  if (timer !== undefined) {
    rawClearTimeout(timer);
    alarmTimers.delete(key);
  }
}

function scheduleAlarm(className, hex, name, at, retryCount, scheduledTime = at) {
  const key = `${className}:${hex}`;
  cancelAlarmTimer(key);
  const delay = at - Date.now();
  alarmTimers.set(
    key,
    rawSetTimeout(() => {
      alarmTimers.delete(key);
      runAlarm(className, hex, name, scheduledTime, retryCount);
    }, delay > 0 ? delay : 0),
  );
}

const MAX_ALARM_RETRIES = 6;

function runAlarm(className, hex, name, scheduledTime, retryCount) {
  const stub = {
    binding: { className },
    id: new DurableObjectId(illegal, className, hex, name),
    record: null,
    why: "its alarm",
  };
  const info = { scheduledTime, retryCount, isRetry: retryCount > 0 };
  const outcome = callObject(stub, (instance) => {
    const record = stub.record;
    if (typeof instance.alarm !== "function") {
      console.warn(
        "Attempted to run a scheduled alarm without a handler, did you remember to export an alarm() function?",
      );
      op_do_delete_alarm(storageRid(record));
      return undefined;
    }
    record.runningAlarm = true;
    record.alarmSetDuringRun = false;
    return PromisePrototypeThen(
      PromiseResolve(instance.alarm(info)),
      (value) => {
        record.runningAlarm = false;
        if (!record.alarmSetDuringRun) op_do_delete_alarm(storageRid(record));
        return value;
      },
      (error) => {
        record.runningAlarm = false;
        throw error;
      },
    );
  }, false);
  PromisePrototypeThen(outcome, undefined, (error) => {
    reportException(error);
    if (retryCount >= MAX_ALARM_RETRIES) {
      // Abandoned after the last retry, as workerd does.
      try {
        const record = recordFor(className, hex, name, "its alarm");
        op_do_delete_alarm(storageRid(record));
        commit(record);
      } catch {
        // nothing more to do
      }
      return;
    }
    // 2, 4, 8, ... seconds, plus up to 25% jitter.
    const backoff = (2 << retryCount) * 1000;
    const delay = backoff + MathRandom() * backoff * 0.25;
    scheduleAlarm(className, hex, name, Date.now() + delay, retryCount + 1, scheduledTime);
  });
}

// ---------------------------------------------------------------------------
// `cloudflare:workers`: the base classes.

class DurableObject {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

class WorkerEntrypoint {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

class RpcTarget {}

// ---------------------------------------------------------------------------
// Set-up, called by dispatch.js.

/** The bindings of `env`, before the worker's script runs. */
function configure(workerFacts, env, flagSet, report) {
  ObjectDefineProperty(globalThis, "WebSocketRequestResponsePair", {
    value: WebSocketRequestResponsePair,
    writable: true,
    enumerable: false,
    configurable: true,
  });
  facts = workerFacts.durableObjects;
  workerEnv = env;
  flags = flagSet;
  reportException = report;
  evictAfterMs = facts.evictAfterMs;
  hibernateAfterMs = facts.hibernateAfterMs;
  workerName = workerFacts.name;
  websocket.setHooks(wakeForSocket, () => holdActive("plainSockets"));
  setTimerHold(() => holdActive("timers"));
  for (const info of facts.classes) localClasses.set(info.className, info);
  for (const binding of facts.bindings) {
    env[binding.name] = new DurableObjectNamespace(illegal, binding);
  }
}

/**
 * After the worker's module has run: its exported classes, checked against
 * the configuration, and the alarms that were pending when kiln last
 * stopped.
 */
function start(namespace) {
  for (const [className] of localClasses) {
    const cls = namespace?.[className];
    if (typeof cls === "function") {
      exportedClasses.set(className, cls);
    } else {
      console.warn(
        `A DurableObjectNamespace in the config referenced the class "${className}", but no such Durable Object class is exported from the worker. Please make sure the class name in your config matches the name of the exported class.`,
      );
    }
  }
  for (const [className] of exportedClasses) {
    for (const [hex, name, at] of op_do_alarms(className)) {
      scheduleAlarm(className, hex, name ?? undefined, at, 0);
    }
  }
}

/** The error for a service-worker script, which cannot define Durable Objects. */
function serviceWorkerError() {
  return facts.serviceWorkerError ?? null;
}

return {
  configure,
  deserializeValue,
  forceHibernate,
  serializeOrDataCloneError,
  start,
  serviceWorkerError,
  handleRemote,
  DurableObject,
  DurableObjectId,
  DurableObjectNamespace,
  DurableObjectState,
  DurableObjectStorage,
  RpcTarget,
  SqlStorage,
  WebSocketRequestResponsePair,
  SqlStorageCursor,
  WorkerEntrypoint,
};
})();
