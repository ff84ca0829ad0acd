// Workers KV: `env.NS` for each `kv_namespaces` binding, a `KvNamespace`
// with get, list, put, getWithMetadata and delete. Values live in SQLite
// (ops/src/kv/ and runtime/host/src/kv_store.rs); this file gives the API
// the shape, checks and error texts of wrangler dev's local KV (Miniflare),
// which is what people develop against. docs/kv.md says where kiln differs.

(function () {
const { core, primordials } = __bootstrap;
const { op_kv_get, op_kv_put, op_kv_delete, op_kv_list } = core.ops;
const {
  ArrayBufferIsView,
  ArrayIsArray,
  ArrayPrototypeIncludes,
  ArrayPrototypePush,
  DateNow,
  Error,
  JSONParse,
  JSONStringify,
  MathFloor,
  MathTrunc,
  Number,
  NumberIsNaN,
  ObjectPrototypeIsPrototypeOf,
  SafeMap,
  String,
  Symbol,
  SymbolToStringTag,
  TypeError,
  TypedArrayPrototypeGetBuffer,
  Uint8Array,
} = primordials;

const streams = core.loadExtScript("ext:deno_web/06_streams.js");
const { forgivingBase64Encode } = core.loadExtScript("ext:deno_web/00_infra.js");
const { viewBytes } = core.loadExtScript("ext:kiln/websocket.js");

const illegal = Symbol("illegal constructor");
const _id = Symbol("namespace id");

const MAX_KEY_BYTES = 512;
const MAX_VALUE_BYTES = 25 * 1024 * 1024;
const MAX_METADATA_BYTES = 1024;
const MAX_LIST_LIMIT = 1000;
const MAX_BULK_KEYS = 100;
const TYPES = ["text", "arrayBuffer", "json", "stream"];
const UNKNOWN_TYPE =
  'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".';

/** The error production's KV API gives for a refused call. */
function apiError(operation, status, message) {
  return new Error(`KV ${operation} failed: ${status} ${message}`);
}

/** A key argument as a string, as WebIDL converts it (a Symbol throws). */
function keyString(key) {
  if (typeof key === "symbol") throw new TypeError("Cannot convert a Symbol value to a string");
  return String(key);
}

function byteLength(text) {
  return core.encode(text).byteLength;
}

function checkKey(key, operation) {
  if (key === "") throw new TypeError("Key name cannot be empty.");
  if (key === "." || key === "..") throw new TypeError(`"${key}" is not allowed as a key name.`);
  const length = byteLength(key);
  if (length > MAX_KEY_BYTES) {
    throw apiError(
      operation,
      414,
      `UTF-8 encoded length of ${length} exceeds key length limit of ${MAX_KEY_BYTES}.`,
    );
  }
}

/** A number from what a caller passed, as Miniflare reads one (NaN is 0). */
function numberOf(value) {
  const n = Number(value);
  return NumberIsNaN(n) ? 0 : n;
}

/** get()'s second argument: a type name or `{type, cacheTtl}`. */
function readOptions(options, operation) {
  let type = "text";
  let cacheTtl;
  if (typeof options === "string") {
    type = options;
  } else if (options !== null && typeof options === "object") {
    if (options.type !== undefined) type = options.type;
    cacheTtl = options.cacheTtl;
  } else if (options !== undefined && options !== null) {
    type = options;
  }
  if (cacheTtl !== undefined) {
    const ttl = numberOf(cacheTtl);
    if (ttl < 30) {
      throw apiError(operation, 400, `Invalid cache_ttl of ${ttl}. Cache TTL must be at least 30.`);
    }
  }
  return type;
}

function decode(bytes, type) {
  switch (type) {
    case "text":
      return core.decode(bytes);
    case "json":
      return JSONParse(core.decode(bytes));
    case "arrayBuffer":
      return TypedArrayPrototypeGetBuffer(bytes);
    case "stream":
      return new streams.ReadableStream({
        start(controller) {
          if (bytes.byteLength > 0) controller.enqueue(bytes);
          controller.close();
        },
      });
  }
  throw new TypeError(UNKNOWN_TYPE);
}

function metadataOf(found) {
  return found.metadata === null ? null : JSONParse(found.metadata);
}

/** put()'s value as bytes. */
async function valueBytes(value) {
  if (typeof value === "string") return core.encode(value);
  if (ObjectPrototypeIsPrototypeOf(ArrayBuffer.prototype, value)) return new Uint8Array(value);
  if (ArrayBufferIsView(value)) return viewBytes(value);
  if (ObjectPrototypeIsPrototypeOf(streams.ReadableStream.prototype, value)) {
    return await collect(value);
  }
  if (value === null || (typeof value !== "object" && typeof value !== "function")) {
    return core.encode(String(value));
  }
  throw new TypeError(
    "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.",
  );
}

/** A stream's bytes, which must all be byte chunks. */
async function collect(stream) {
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!ArrayBufferIsView(value)) {
      reader.releaseLock();
      throw new TypeError("This ReadableStream did not return bytes.");
    }
    const bytes = viewBytes(value);
    ArrayPrototypePush(chunks, bytes);
    total += bytes.byteLength;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** When a put() expires, in whole seconds since the epoch, or null. */
function expirationOf(options) {
  if (options === null || options === undefined) return null;
  // Both are 32-bit integers in the API: a larger number is refused first.
  for (const field of ["expirationTtl", "expiration"]) {
    if (options[field] === undefined) continue;
    const n = numberOf(options[field]);
    if (n > 2147483647 || n < -2147483648) {
      throw new TypeError(
        "Value out of range. Must be between -2147483648 and 2147483647 (inclusive).",
      );
    }
  }
  const now = DateNow() / 1000;
  // expirationTtl wins when both are given.
  if (options.expirationTtl !== undefined) {
    const ttl = numberOf(options.expirationTtl);
    if (ttl <= 0) {
      throw apiError(
        "PUT",
        400,
        `Invalid expiration_ttl of ${ttl}. Please specify integer greater than 0.`,
      );
    }
    if (ttl < 60) {
      throw apiError(
        "PUT",
        400,
        `Invalid expiration_ttl of ${ttl}. Expiration TTL must be at least 60.`,
      );
    }
    return MathFloor(now) + MathTrunc(ttl);
  }
  if (options.expiration !== undefined) {
    const at = numberOf(options.expiration);
    if (at <= now) {
      throw apiError(
        "PUT",
        400,
        `Invalid expiration of ${at}. Please specify integer greater than the current number of seconds since the UNIX epoch.`,
      );
    }
    if (at < now + 60) {
      throw apiError(
        "PUT",
        400,
        `Invalid expiration of ${at}. Expiration times must be at least 60 seconds in the future.`,
      );
    }
    return MathFloor(at);
  }
  return null;
}

function metadataText(options) {
  if (options === null || options === undefined) return null;
  // null metadata is no metadata: list() shows none.
  if (options.metadata === undefined || options.metadata === null) return null;
  let text;
  try {
    text = JSONStringify(options.metadata);
  } catch (error) {
    // V8's wording, which production code sees; QuickJS words it otherwise.
    if (typeof options.metadata === "bigint" || /BigInt/i.test(String(error?.message))) {
      throw new TypeError("Do not know how to serialize a BigInt");
    }
    throw error;
  }
  if (text === undefined) return null;
  const length = byteLength(text);
  if (length > MAX_METADATA_BYTES) {
    throw apiError(
      "PUT",
      413,
      `Metadata length of ${length} exceeds limit of ${MAX_METADATA_BYTES}.`,
    );
  }
  return text;
}

// Cursors are the last key's bytes in base64, as Miniflare makes them; a
// cursor is decoded leniently (as Node's Buffer does, where the standard
// decoder refuses), so any string works.
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function fromBase64(text) {
  const out = [];
  let bits = 0;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text[i];
    if (c === "-") c = "+";
    else if (c === "_") c = "/";
    const v = B64.indexOf(c);
    if (v === -1) {
      if (c === "=") break;
      continue;
    }
    bits = (bits << 6) | v;
    count += 6;
    if (count >= 8) {
      count -= 8;
      ArrayPrototypePush(out, (bits >> count) & 0xff);
    }
  }
  return new Uint8Array(out);
}

class KvNamespace {
  constructor(key, id) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this[_id] = id;
  }

  async get(key, options = undefined) {
    if (arguments.length === 0) {
      throw new TypeError(
        "Failed to execute 'get' on 'KvNamespace': parameter 1 is not of type 'string or Array'.",
      );
    }
    if (ArrayIsArray(key)) return bulkGet(this[_id], key, options, false);
    return getOne(this[_id], keyString(key), options, false);
  }

  async list(options = undefined) {
    if (options === undefined || options === null) options = {};
    if (typeof options !== "object") {
      throw new TypeError(
        "Failed to execute 'list' on 'KvNamespace': parameter 1 is not of type 'ListOptions'.",
      );
    }
    const prefix = options.prefix === undefined || options.prefix === null
      ? ""
      : String(options.prefix);
    let limit = MAX_LIST_LIMIT;
    if (options.limit !== undefined && options.limit !== null) {
      const n = MathTrunc(numberOf(options.limit));
      if (n > MAX_LIST_LIMIT) {
        throw apiError(
          "GET",
          400,
          `Invalid key_count_limit of ${n}. Please specify an integer less than ${MAX_LIST_LIMIT}.`,
        );
      }
      if (n > 0) limit = n;
    }
    const cursor = options.cursor === undefined || options.cursor === null
      ? ""
      : String(options.cursor);
    const page = op_kv_list(this[_id], prefix, limit, fromBase64(cursor));
    const keys = [];
    for (const k of page.keys) {
      const entry = { name: k.name };
      if (k.expiration !== null) entry.expiration = k.expiration;
      if (k.metadata !== null) entry.metadata = JSONParse(k.metadata);
      ArrayPrototypePush(keys, entry);
    }
    if (page.nextAfter === null) return { keys, list_complete: true, cacheStatus: null };
    return {
      keys,
      list_complete: false,
      cursor: forgivingBase64Encode(new Uint8Array(page.nextAfter)),
      cacheStatus: null,
    };
  }

  async put(key = undefined, value = undefined, options = undefined) {
    if (arguments.length === 0) {
      throw new TypeError(
        "Failed to execute 'put' on 'KvNamespace': parameter 1 is not of type 'string'.",
      );
    }
    key = keyString(key);
    checkKey(key, "PUT");
    const bytes = await valueBytes(value);
    if (bytes.byteLength > MAX_VALUE_BYTES) {
      throw apiError(
        "PUT",
        413,
        `Value length of ${bytes.byteLength} exceeds limit of ${MAX_VALUE_BYTES}.`,
      );
    }
    const expiration = expirationOf(options);
    const metadata = metadataText(options);
    op_kv_put(this[_id], key, bytes, { expiration, metadata });
  }

  async getWithMetadata(key, options = undefined) {
    if (arguments.length === 0) {
      throw new TypeError(
        "Failed to execute 'getWithMetadata' on 'KvNamespace': parameter 1 is not of type 'Array or string'.",
      );
    }
    if (ArrayIsArray(key)) return bulkGet(this[_id], key, options, true);
    return getOne(this[_id], keyString(key), options, true);
  }

  async delete(key) {
    if (arguments.length === 0) {
      throw new TypeError(
        "Failed to execute 'delete' on 'KvNamespace': parameter 1 is not of type 'string'.",
      );
    }
    key = keyString(key);
    checkKey(key, "DELETE");
    op_kv_delete(this[_id], key);
  }

  get [SymbolToStringTag]() {
    return "KvNamespace";
  }
}

function getOne(id, key, options, withMetadata) {
  checkKey(key, "GET");
  const type = readOptions(options, "GET");
  const found = op_kv_get(id, key);
  if (found === null) {
    return withMetadata ? { value: null, metadata: null, cacheStatus: null } : null;
  }
  if (!ArrayPrototypeIncludes(TYPES, type)) throw new TypeError(UNKNOWN_TYPE);
  const value = decode(new Uint8Array(found.value), type);
  if (!withMetadata) return value;
  return { value, metadata: metadataOf(found), cacheStatus: null };
}

function bulkGet(id, keys, options, withMetadata) {
  const operation = "GET_BULK";
  if (keys.length === 0) throw apiError(operation, 400, "You must request a minimum of 1 key");
  if (keys.length > MAX_BULK_KEYS) {
    throw apiError(operation, 400, `You can request a maximum of ${MAX_BULK_KEYS} keys`);
  }
  const type = readOptions(options, operation);
  if (type !== "text" && type !== "json") {
    throw apiError(operation, 400, `"${type}" is not a valid type. Use "json" or "text"`);
  }
  const result = new SafeMap();
  for (let key of keys) {
    // Miniflare leaves numbers out, and reads anything else as a string.
    if (typeof key === "number") continue;
    key = String(key);
    if (key === "") throw apiError(operation, 400, "Key names must not be empty");
    if (key === "." || key === "..") {
      throw apiError(operation, 400, `Illegal key name "${key}". Please use a different name.`);
    }
    checkKey(key, operation);
    const found = op_kv_get(id, key);
    if (found === null) {
      result.set(key, null);
      continue;
    }
    let value;
    const text = core.decode(new Uint8Array(found.value));
    if (type === "json") {
      try {
        value = JSONParse(text);
      } catch {
        throw apiError(
          operation,
          400,
          "At least one of the requested keys corresponds to a non-json value",
        );
      }
    } else {
      value = text;
    }
    result.set(key, withMetadata ? { value, metadata: metadataOf(found) } : value);
  }
  // A plain Map, as workerd returns.
  return new Map(result);
}

/** `env[binding]` for each KV binding of the worker. */
function namespaces(facts) {
  const out = [];
  for (const { binding, id } of facts) ArrayPrototypePush(out, [binding, new KvNamespace(illegal, id)]);
  return out;
}

return { KvNamespace, namespaces };
})();
