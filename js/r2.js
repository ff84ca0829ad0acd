// R2: `env.BUCKET` for each `r2_buckets` binding, an `R2Bucket` with head,
// get, put, delete, list and multipart uploads. Objects are stored by
// ops/src/r2/ and runtime/host/src/r2_store.rs in wrangler dev's own layout;
// this file gives the API the shape, argument checks, conditional and range
// rules and error texts of workerd's R2 binding in front of wrangler dev's
// bucket (observed in tests/e2e/r2.rs). An R2 failure is an Error reading
// "<operation>: <R2's message> (<code>)".

(function () {
const { core, primordials } = __bootstrap;
const {
  op_r2_head,
  op_r2_read,
  op_r2_put,
  op_r2_delete,
  op_r2_list,
  op_r2_create_upload,
  op_r2_upload_part,
  op_r2_complete_upload,
  op_r2_abort_upload,
} = core.ops;
const {
  ArrayBufferIsView,
  ArrayBufferPrototype,
  ArrayIsArray,
  ArrayPrototypePush,
  Date,
  DateParse,
  DatePrototypeGetTime,
  DatePrototypeToUTCString,
  Error,
  JSONParse,
  JSONStringify,
  MathFloor,
  MathMin,
  MathTrunc,
  Number,
  NumberIsInteger,
  NumberIsNaN,
  ObjectDefineProperty,
  ObjectKeys,
  ObjectPrototypeIsPrototypeOf,
  RangeError,
  RegExpPrototypeExec,
  RegExpPrototypeTest,
  String,
  StringPrototypeCharCodeAt,
  StringPrototypeSplit,
  StringPrototypeSubstring,
  StringPrototypeTrimStart,
  Symbol,
  SymbolToStringTag,
  TypeError,
  Uint8Array,
} = primordials;

const { Blob, BlobPrototype } = core.loadExtScript("ext:deno_web/09_file.js");
const { ReadableStreamPrototype, isReadableStreamDisturbed } = core.loadExtScript(
  "ext:deno_web/06_streams.js",
);
const { Headers } = core.loadExtScript("ext:deno_fetch/20_headers.js");
const HeadersPrototype = Headers.prototype;
const { Response } = core.loadExtScript("ext:deno_fetch/23_response.js");
const { ReadableStream } = core.loadExtScript("ext:deno_web/06_streams.js");
const { hasKnownLength } = core.loadExtScript("ext:kiln/streams.js");
const { viewBytes } = core.loadExtScript("ext:kiln/websocket.js");
const { forgivingBase64Encode } = core.loadExtScript("ext:deno_web/00_infra.js");

const illegal = Symbol("illegal constructor");
const _bucket = Symbol("bucket");

const MAX_KEY_BYTES = 1024;
const MAX_VALUE_BYTES = 5363466240;
const MAX_METADATA_SIZE = 2048;
const MAX_LIST_KEYS = 1000;
const MAX_LIST_KEYS_WITH_METADATA = 100;

const INVALID_NAME = "The specified object name is not valid. (10020)";

/** A key or other string argument, converted as workerd converts it. */
function toKey(value) {
  if (typeof value === "symbol") throw new TypeError("Cannot convert a Symbol value to a string");
  return String(value);
}

function r2Error(operation, message) {
  return new Error(`${operation}: ${message}`);
}

/** Runs an op, reporting its failure as R2 does, with the operation's name. */
function call(operation, fn) {
  try {
    return fn();
  } catch (error) {
    throw r2Error(operation, error?.message ?? String(error));
  }
}

function argument(method, on, position, type) {
  return new TypeError(
    `Failed to execute '${method}' on '${on}': parameter ${position} is not of type '${type}'.`,
  );
}

function fieldType(field, struct, type) {
  return new TypeError(
    `Incorrect type for the '${field}' field on '${struct}': the provided value is not of type '${type}'.`,
  );
}

function checkName(operation, key) {
  if (core.encode(key).byteLength > MAX_KEY_BYTES) throw r2Error(operation, INVALID_NAME);
}

function isObject(value) {
  return value !== null && (typeof value === "object" || typeof value === "function");
}

/** A date field: a Date, or milliseconds. */
function dateField(value, field, struct) {
  if (ObjectPrototypeIsPrototypeOf(Date.prototype, value)) return DatePrototypeGetTime(value);
  if (typeof value === "number") return value;
  throw fieldType(field, struct, "date");
}

// ---------------------------------------------------------------------------
// Values.

const VALUE_TYPES = "ReadableStream or ArrayBuffer or ArrayBufferView or string or Blob";

/** The bytes of a value put() or uploadPart() takes. */
async function valueBytes(value, method, on) {
  if (value === null || value === undefined) return new Uint8Array(0);
  if (typeof value === "string") return core.encode(value);
  if (ObjectPrototypeIsPrototypeOf(ArrayBufferPrototype, value)) return new Uint8Array(value.slice(0));
  if (ArrayBufferIsView(value)) return new Uint8Array(viewBytes(value));
  if (ObjectPrototypeIsPrototypeOf(BlobPrototype, value)) {
    return new Uint8Array(await value.arrayBuffer());
  }
  if (ObjectPrototypeIsPrototypeOf(ReadableStreamPrototype, value)) {
    if (!hasKnownLength(value)) {
      throw new TypeError(
        "Provided readable stream must have a known length (request/response body or readable half of FixedLengthStream)",
      );
    }
    return new Uint8Array(await new Response(value).arrayBuffer());
  }
  throw argument(method, on, 2, VALUE_TYPES);
}

// ---------------------------------------------------------------------------
// Metadata.

const HTTP_FIELDS = [
  ["contentType", "content-type"],
  ["contentLanguage", "content-language"],
  ["contentDisposition", "content-disposition"],
  ["contentEncoding", "content-encoding"],
  ["cacheControl", "cache-control"],
];

/** `httpMetadata` as stored: the set fields, cacheExpiry in milliseconds. */
function httpMetadataOf(value) {
  if (value === undefined || value === null) return {};
  const out = {};
  if (ObjectPrototypeIsPrototypeOf(HeadersPrototype, value)) {
    for (const [field, header] of HTTP_FIELDS) {
      const text = value.get(header);
      if (text !== null) out[field] = text;
    }
    const expires = value.get("expires");
    if (expires !== null) {
      const ms = DateParse(expires);
      out.cacheExpiry = NumberIsNaN(ms) ? 0 : ms;
    }
    return out;
  }
  if (!isObject(value)) throw fieldType("httpMetadata", "PutOptions", "HttpMetadata or Headers");
  for (const [field] of HTTP_FIELDS) {
    if (value[field] !== undefined) out[field] = String(value[field]);
  }
  if (value.cacheExpiry !== undefined) {
    out.cacheExpiry = dateField(value.cacheExpiry, "cacheExpiry", "HttpMetadata");
  }
  return out;
}

function customMetadataOf(value) {
  if (value === undefined || value === null) return {};
  if (!isObject(value) || ArrayIsArray(value)) {
    throw fieldType("customMetadata", "PutOptions", "object");
  }
  const out = {};
  for (const key of ObjectKeys(value)) out[key] = String(value[key]);
  return out;
}

/** wrangler dev's measure of custom metadata: a string counts double once it holds a character past U+00FF. */
function metadataSize(custom) {
  const size = (text) => {
    for (let i = 0; i < text.length; i++) {
      if (StringPrototypeCharCodeAt(text, i) >= 256) return text.length * 2;
    }
    return text.length;
  };
  let total = 0;
  for (const key of ObjectKeys(custom)) total += size(key) + size(custom[key]);
  return total;
}

// ---------------------------------------------------------------------------
// Checksums.

const ALGORITHMS = [
  ["md5", "MD5", 16],
  ["sha1", "SHA-1", 20],
  ["sha256", "SHA-256", 32],
  ["sha384", "SHA-384", 48],
  ["sha512", "SHA-512", 64],
];
const HEX = /^[0-9a-fA-F]*$/;

function hex(bytes) {
  let out = "";
  for (const b of bytes) out += (b < 16 ? "0" : "") + b.toString(16);
  return out;
}

function hexBytes(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number(`0x${StringPrototypeSubstring(text, i * 2, i * 2 + 2)}`);
  return out.buffer;
}

/** The one checksum put() was given, as [algorithm, hex], or none. */
function checksumOf(options) {
  const given = [];
  for (const [field, name, size] of ALGORITHMS) {
    const value = options[field];
    if (value === undefined) continue;
    let text;
    if (typeof value === "string") {
      if (value.length !== size * 2) throw new TypeError(`${name} is ${size * 2} hex characters, not ${value.length}`);
      if (!RegExpPrototypeTest(HEX, value)) throw new TypeError(`Provided ${name} wasn't a valid hex string`);
      text = value;
    } else if (ObjectPrototypeIsPrototypeOf(ArrayBufferPrototype, value) || ArrayBufferIsView(value)) {
      const bytes = ArrayBufferIsView(value) ? viewBytes(value) : new Uint8Array(value);
      if (bytes.byteLength !== size) throw new TypeError(`${name} is ${size} bytes, not ${bytes.byteLength}`);
      text = hex(bytes);
    } else {
      throw fieldType(field, "PutOptions", "JsBufferSource or string");
    }
    ArrayPrototypePush(given, [field, text]);
  }
  if (given.length > 1) throw new TypeError("You cannot specify multiple hashing algorithms.");
  return given;
}

function checkSsecKey(key) {
  if (key === undefined) return;
  if (typeof key === "string") {
    if (!RegExpPrototypeTest(/^[0-9a-f]+$/, key)) throw new Error("SSE-C Key has invalid format");
    if (key.length !== 64) throw new Error("SSE-C Key must be 32 bytes in length");
    return;
  }
  const bytes = ArrayBufferIsView(key) ? key.byteLength : key?.byteLength;
  if (bytes !== 32) throw new Error("SSE-C Key must be 32 bytes in length");
}

class Checksums {
  constructor(key, stored, etag) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    const values = { ...stored };
    if (etag.length === 32 && RegExpPrototypeTest(HEX, etag)) values.md5 = etag;
    // Own keys in workerd's order, each a copy of the digest's bytes.
    for (const [field] of [...ALGORITHMS].reverse()) {
      ObjectDefineProperty(this, field, {
        value: values[field] === undefined ? undefined : hexBytes(values[field]),
        enumerable: true,
        writable: false,
        configurable: true,
      });
    }
  }
  toJSON() {
    const out = {};
    for (const [field] of ALGORITHMS) {
      out[field] = this[field] === undefined ? undefined : hex(new Uint8Array(this[field]));
    }
    return out;
  }
  get [SymbolToStringTag]() {
    return "Checksums";
  }
}

// ---------------------------------------------------------------------------
// Objects.

function readonly(object, name, value) {
  ObjectDefineProperty(object, name, { value, enumerable: true, writable: false, configurable: true });
}

/** The six fields of httpMetadata, unset ones undefined. */
function httpMetadataView(stored) {
  const out = {};
  for (const [field] of HTTP_FIELDS) out[field] = stored[field];
  out.cacheExpiry = stored.cacheExpiry === undefined ? undefined : new Date(stored.cacheExpiry);
  return out;
}

class HeadResult {
  constructor(key, row, range, http = undefined, custom = undefined) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    const stored = JSONParse(row.checksums);
    // Defined last to first: workerd lists them in this order.
    readonly(this, "ssecKeyMd5", undefined);
    readonly(this, "storageClass", "");
    readonly(this, "range", range);
    readonly(this, "customMetadata", custom ?? JSONParse(row.customMetadata));
    readonly(this, "httpMetadata", httpMetadataView(http ?? JSONParse(row.httpMetadata)));
    readonly(this, "uploaded", new Date(row.uploaded));
    readonly(this, "checksums", new Checksums(illegal, stored, row.etag));
    readonly(this, "httpEtag", `"${row.etag}"`);
    readonly(this, "etag", row.etag);
    readonly(this, "size", row.size);
    readonly(this, "version", row.version);
    readonly(this, "key", row.key);
  }

  writeHttpMetadata(headers) {
    if (!ObjectPrototypeIsPrototypeOf(HeadersPrototype, headers)) {
      throw argument("writeHttpMetadata", "HeadResult", 1, "Headers");
    }
    const http = this.httpMetadata;
    if (http === undefined) {
      throw new TypeError(
        `HTTP metadata unknown for key \`${this.key}\`. Did you forget to add 'httpMetadata' to \`include\` when listing?`,
      );
    }
    for (const [field, header] of HTTP_FIELDS) {
      if (http[field] !== undefined) headers.set(header, http[field]);
    }
    if (http.cacheExpiry !== undefined) headers.set("expires", DatePrototypeToUTCString(http.cacheExpiry));
  }

  get [SymbolToStringTag]() {
    return "HeadResult";
  }
}

const USED =
  "Body has already been used. It can only be used once. Use tee() first if you need to read it twice.";

class GetResult extends HeadResult {
  #bytes;
  #stream = null;
  #consumed = false;
  constructor(key, row, range, bytes) {
    super(key, row, range);
    this.#bytes = bytes;
  }
  get body() {
    if (this.#stream === null) {
      const bytes = this.#bytes;
      // A stream of its own (not one backed by a static body), so that
      // reading it counts as using the body.
      this.#stream = new ReadableStream({
        type: "bytes",
        start(controller) {
          if (bytes.byteLength > 0) controller.enqueue(bytes);
          controller.close();
        },
      });
    }
    return this.#stream;
  }
  get bodyUsed() {
    return this.#consumed || (this.#stream !== null && isReadableStreamDisturbed(this.#stream));
  }
  #take() {
    if (this.bodyUsed) throw new TypeError(USED);
    this.#consumed = true;
    return this.#bytes;
  }
  async arrayBuffer() {
    const bytes = this.#take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }
  async bytes() {
    return new Uint8Array(this.#take());
  }
  async text() {
    return core.decode(this.#take());
  }
  async json() {
    return JSONParse(core.decode(this.#take()));
  }
  async blob() {
    return new Blob([this.#take()], { type: this.httpMetadata.contentType ?? "" });
  }
  get [SymbolToStringTag]() {
    return "GetResult";
  }
}

function wholeRange(row) {
  return { offset: 0, length: row.size, suffix: undefined };
}

// ---------------------------------------------------------------------------
// Conditionals.

function conditionalEtag(value, field) {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw fieldType(field, "Conditional", "string");
  if (value.length >= 2 && value[0] === '"' && value[value.length - 1] === '"') {
    throw new TypeError(`Conditional ETag should not be wrapped in quotes (${value}).`);
  }
  return [value === "*" ? { type: "wildcard" } : { type: "strong", value }];
}

/** An If-Match / If-None-Match header's entity tags. */
function headerEtags(text, header) {
  const etags = [];
  let i = 0;
  let expectComma = false;
  while (i < text.length) {
    const c = text[i];
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === ",") {
      expectComma = false;
      i++;
      continue;
    }
    if (expectComma) {
      const what = c === '"'
        ? "a double quote character '\"' instead. This would otherwise indicate the start of a new strong etag."
        : c === "W"
        ? "a 'W' character instead. This would otherwise indicate the start of a new weak etag."
        : c === "*"
        ? "a '*' character instead. This would otherwise indicate the start of a new wildcard etag."
        : null;
      if (what !== null) throw new Error(`Comma was expected to separate etags. Encountered ${what}`);
      break;
    }
    if (c === "*") {
      ArrayPrototypePush(etags, { type: "wildcard" });
      i++;
      expectComma = true;
      continue;
    }
    let weak = false;
    if (c === "W" && text[i + 1] === "/" && text[i + 2] === '"') {
      weak = true;
      i += 2;
    }
    if (text[i] !== '"') break;
    const end = text.indexOf('"', i + 1);
    if (end === -1) throw new Error("Unclosed double quote for Etag");
    ArrayPrototypePush(etags, { type: weak ? "weak" : "strong", value: StringPrototypeSubstring(text, i + 1, end) });
    i = end + 1;
    expectComma = true;
  }
  if (etags.length === 0) throw new Error(`Invalid ETag in ${header} header`);
  return etags;
}

/** `onlyIf`, as an object or as Headers, in one form. */
function conditionalOf(value) {
  if (value === undefined || value === null) return undefined;
  if (ObjectPrototypeIsPrototypeOf(HeadersPrototype, value)) {
    const cond = { secondsGranularity: true };
    const ifMatch = value.get("if-match");
    if (ifMatch !== null) cond.etagMatches = headerEtags(ifMatch, "if-match");
    const ifNoneMatch = value.get("if-none-match");
    if (ifNoneMatch !== null) cond.etagDoesNotMatch = headerEtags(ifNoneMatch, "if-none-match");
    const date = (text) => {
      const ms = DateParse(text);
      return NumberIsNaN(ms) ? 0 : ms;
    };
    const since = value.get("if-modified-since");
    if (since !== null) cond.uploadedAfter = date(since);
    const unmodified = value.get("if-unmodified-since");
    if (unmodified !== null) cond.uploadedBefore = date(unmodified);
    return cond;
  }
  if (!isObject(value)) throw fieldType("onlyIf", "GetOptions", "Conditional or Headers");
  return {
    etagMatches: conditionalEtag(value.etagMatches, "etagMatches"),
    etagDoesNotMatch: conditionalEtag(value.etagDoesNotMatch, "etagDoesNotMatch"),
    uploadedBefore: value.uploadedBefore === undefined
      ? undefined
      : dateField(value.uploadedBefore, "uploadedBefore", "Conditional"),
    uploadedAfter: value.uploadedAfter === undefined
      ? undefined
      : dateField(value.uploadedAfter, "uploadedAfter", "Conditional"),
    secondsGranularity: !!value.secondsGranularity,
  };
}

function includesEtag(etags, etag, weakCompare) {
  for (const e of etags) {
    if (e.type === "wildcard") return true;
    if (e.value === etag && (e.type === "strong" || weakCompare)) return true;
  }
  return false;
}

/** Whether `cond` holds for `row` (null: the key is missing), by wrangler dev's rules. */
function conditionHolds(cond, row) {
  if (cond === undefined) return true;
  if (row === null) return cond.etagMatches === undefined && cond.uploadedAfter === undefined;
  const seconds = (ms) => (cond.secondsGranularity ? MathFloor(ms / 1000) * 1000 : ms);
  const modified = seconds(row.uploaded);
  const ifMatch = cond.etagMatches === undefined || includesEtag(cond.etagMatches, row.etag, false);
  const ifNoneMatch = cond.etagDoesNotMatch === undefined ||
    !includesEtag(cond.etagDoesNotMatch, row.etag, true);
  const ifModifiedSince = cond.uploadedAfter === undefined ||
    seconds(cond.uploadedAfter) < modified ||
    (cond.etagDoesNotMatch !== undefined && ifNoneMatch);
  const ifUnmodifiedSince = cond.uploadedBefore === undefined ||
    modified < seconds(cond.uploadedBefore) ||
    (cond.etagMatches !== undefined && ifMatch);
  return ifMatch && ifNoneMatch && ifModifiedSince && ifUnmodifiedSince;
}

// ---------------------------------------------------------------------------
// Ranges.

function rangeNumber(value, what, label) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (NumberIsNaN(n) || n < 0) {
    const shown = NumberIsNaN(n) ? "nan" : String(n);
    throw new RangeError(
      what === "Suffix"
        ? `Invalid suffix. Suffix (${shown}) must be greater than or equal to 0.`
        : `Invalid range. ${label} (${shown}) must be greater than or equal to 0.`,
    );
  }
  if (!NumberIsInteger(n)) {
    throw new RangeError(`Invalid range. ${label} (${n}) must be an integer, not floating point.`);
  }
  return n;
}

/** A `range` option as given: `{offset, length, suffix}`, a Headers, or nothing. */
function rangeOf(value) {
  if (value === undefined || value === null) return undefined;
  if (ObjectPrototypeIsPrototypeOf(HeadersPrototype, value)) return { header: value.get("range") };
  const offset = rangeNumber(value.offset, "Offset", "Starting offset");
  const length = rangeNumber(value.length, "Length", "Length");
  const suffix = rangeNumber(value.suffix, "Suffix", "Suffix");
  if (suffix !== undefined && offset !== undefined) throw new TypeError("Suffix is incompatible with offset.");
  if (suffix !== undefined && length !== undefined) throw new TypeError("Suffix is incompatible with length.");
  return { offset, length, suffix };
}

const RANGE_PREFIX = /^ *bytes *=/i;
const RANGE_PART = /^ *(\d+)? *- *(\d+)? *$/;

/** A Range header's one satisfiable range, else undefined (the whole object). */
function headerRange(header, size) {
  if (header === null) return undefined;
  const prefix = RegExpPrototypeExec(RANGE_PREFIX, header);
  if (prefix === null) return undefined;
  const rest = StringPrototypeSubstring(header, prefix[0].length);
  if (StringPrototypeTrimStart(rest) === "") return undefined;
  const ranges = [];
  for (const part of StringPrototypeSplit(rest, ",")) {
    const match = RegExpPrototypeExec(RANGE_PART, part);
    if (match === null) return undefined;
    const [, start, end] = match;
    if (start !== undefined && end !== undefined) {
      const from = Number(start);
      const to = Number(end);
      if (from > to || from >= size) return undefined;
      ArrayPrototypePush(ranges, [from, MathMin(to, size - 1)]);
    } else if (start !== undefined) {
      if (Number(start) >= size) return undefined;
      ArrayPrototypePush(ranges, [Number(start), size - 1]);
    } else if (end !== undefined) {
      const suffix = Number(end);
      if (suffix >= size) return undefined;
      if (suffix === 0) continue;
      ArrayPrototypePush(ranges, [size - suffix, size - 1]);
    } else {
      return undefined;
    }
  }
  if (ranges.length !== 1) return undefined;
  return { offset: ranges[0][0], length: ranges[0][1] - ranges[0][0] + 1 };
}

/** The bytes to read: `{offset, length}`, checked against the object's size. */
function resolveRange(range, size) {
  if (range === undefined) return { offset: 0, length: size };
  if ("header" in range) return headerRange(range.header, size) ?? { offset: 0, length: size };
  let { offset, length, suffix } = range;
  if (suffix !== undefined) {
    if (suffix <= 0) throw r2Error("get", "The requested range is not satisfiable (10039)");
    if (suffix > size) suffix = size;
    offset = size - suffix;
    length = suffix;
  }
  offset ??= 0;
  length ??= size - offset;
  if (offset < 0 || offset > size || length <= 0) {
    throw r2Error("get", "The requested range is not satisfiable (10039)");
  }
  if (offset + length > size) length = size - offset;
  return { offset, length };
}

// ---------------------------------------------------------------------------
// list() cursors: base64 of the last key, read leniently.

function encodeCursor(key) {
  return forgivingBase64Encode(core.encode(key));
}

function decodeCursor(cursor) {
  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const bytes = [];
  let bits = 0;
  let count = 0;
  for (const c of cursor) {
    let v = ALPHABET.indexOf(c);
    if (c === "-") v = 62;
    if (c === "_") v = 63;
    if (v === -1) continue;
    bits = (bits << 6) | v;
    count += 6;
    if (count >= 8) {
      count -= 8;
      ArrayPrototypePush(bytes, (bits >> count) & 0xff);
    }
  }
  return core.decode(new Uint8Array(bytes));
}

function int32(value) {
  let n = Number(value);
  if (NumberIsNaN(n)) n = 0;
  n = MathTrunc(n);
  if (!(n >= -2147483648 && n <= 2147483647)) {
    throw new TypeError("Value out of range. Must be between -2147483648 and 2147483647 (inclusive).");
  }
  return n;
}

function listString(options, field) {
  const value = options[field];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw fieldType(field, "ListOptions", "string");
  return value;
}

// ---------------------------------------------------------------------------
// The binding.

class R2Bucket {
  constructor(key, name) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    ObjectDefineProperty(this, _bucket, { value: name });
  }

  async head(...args) {
    if (args.length === 0) throw argument("head", "R2Bucket", 1, "string");
    const key = toKey(args[0]);
    checkName("head", key);
    const row = call("head", () => op_r2_head(this[_bucket], key));
    return row === null || row === undefined ? null : new HeadResult(illegal, row, wholeRange(row));
  }

  async get(...args) {
    if (args.length === 0) throw argument("get", "R2Bucket", 1, "string");
    const key = toKey(args[0]);
    const options = args[1];
    if (options !== undefined && options !== null && !isObject(options)) {
      throw argument("get", "R2Bucket", 2, "GetOptions");
    }
    const range = rangeOf(options?.range);
    const onlyIf = conditionalOf(options?.onlyIf);
    checkSsecKey(options?.ssecKey);
    checkName("get", key);
    const row = call("get", () => op_r2_head(this[_bucket], key));
    if (row === null || row === undefined) return null;
    if (!conditionHolds(onlyIf, row)) return new HeadResult(illegal, row, wholeRange(row));
    const { offset, length } = resolveRange(range, row.size);
    const bytes = call("get", () => op_r2_read(this[_bucket], key, offset, length));
    if (bytes === null || bytes === undefined) return null;
    return new GetResult(illegal, row, { offset, length, suffix: undefined }, new Uint8Array(bytes));
  }

  async put(...args) {
    if (args.length === 0) throw argument("put", "R2Bucket", 1, "string");
    const key = toKey(args[0]);
    if (args.length < 2) throw argument("put", "R2Bucket", 2, VALUE_TYPES);
    const value = args[1];
    if (
      value !== null && value !== undefined && typeof value !== "string" && !ArrayBufferIsView(value) &&
      !ObjectPrototypeIsPrototypeOf(ArrayBufferPrototype, value) &&
      !ObjectPrototypeIsPrototypeOf(BlobPrototype, value) &&
      !ObjectPrototypeIsPrototypeOf(ReadableStreamPrototype, value)
    ) {
      throw argument("put", "R2Bucket", 2, VALUE_TYPES);
    }
    const options = args[2] ?? {};
    if (!isObject(options)) throw argument("put", "R2Bucket", 3, "PutOptions");
    const http = httpMetadataOf(options.httpMetadata);
    const custom = customMetadataOf(options.customMetadata);
    const checksum = checksumOf(options);
    checkSsecKey(options.ssecKey);
    const onlyIf = conditionalOf(options.onlyIf);
    const bytes = await valueBytes(value, "put", "R2Bucket");
    checkName("put", key);
    if (bytes.byteLength > MAX_VALUE_BYTES) {
      throw r2Error("put", "Your proposed upload exceeds the maximum allowed object size. (100100)");
    }
    if (metadataSize(custom) > MAX_METADATA_SIZE) {
      throw r2Error("put", "Your metadata headers exceed the maximum allowed metadata size. (10012)");
    }
    if (onlyIf !== undefined) {
      const existing = call("put", () => op_r2_head(this[_bucket], key)) ?? null;
      if (!conditionHolds(onlyIf, existing)) return null;
    }
    const row = call("put", () =>
      op_r2_put(this[_bucket], key, bytes, JSONStringify(http), JSONStringify(custom), checksum)
    );
    return new HeadResult(illegal, row, undefined, http, custom);
  }

  async delete(...args) {
    if (args.length === 0) throw argument("delete", "R2Bucket", 1, "string or Array");
    const keys = ArrayIsArray(args[0]) ? [...args[0]].map(toKey) : [toKey(args[0])];
    for (const key of keys) checkName("delete", key);
    call("delete", () => op_r2_delete(this[_bucket], keys));
  }

  async list(...args) {
    const options = args[0] ?? {};
    if (!isObject(options)) throw argument("list", "R2Bucket", 1, "ListOptions");
    const prefix = listString(options, "prefix") ?? "";
    const cursor = listString(options, "cursor");
    const delimiter = listString(options, "delimiter") ?? "";
    let startAfter = listString(options, "startAfter");
    let include = [];
    if (options.include !== undefined) {
      if (!ArrayIsArray(options.include)) throw fieldType("include", "ListOptions", "Array");
      include = options.include;
      for (const value of include) {
        if (value !== "httpMetadata" && value !== "customMetadata") {
          throw new RangeError(`Unsupported include value ${value}`);
        }
      }
    }
    let limit = MAX_LIST_KEYS;
    if (options.limit !== undefined) {
      const n = int32(options.limit);
      // -1 is the protocol's "unset".
      if (n !== -1) {
        if (n < 1 || n > MAX_LIST_KEYS) throw r2Error("list", "MaxKeys params must be positive integer <= 1000. (10022)");
        limit = n;
      }
    }
    if (include.length > 0) limit = MathMin(limit, MAX_LIST_KEYS_WITH_METADATA);
    if (cursor !== undefined && cursor !== "") {
      const after = decodeCursor(cursor);
      if (startAfter === undefined || after > startAfter) startAfter = after;
    }
    const page = call("list", () =>
      op_r2_list(this[_bucket], prefix, startAfter ?? "", limit, delimiter)
    );
    const withHttp = include.includes("httpMetadata");
    const withCustom = include.includes("customMetadata");
    const objects = [];
    for (const row of page.objects) {
      ArrayPrototypePush(
        objects,
        new HeadResult(
          illegal,
          row,
          undefined,
          withHttp ? undefined : {},
          withCustom ? undefined : {},
        ),
      );
    }
    const truncated = page.nextAfter !== null && page.nextAfter !== undefined;
    return {
      objects,
      truncated,
      cursor: truncated ? encodeCursor(page.nextAfter) : undefined,
      delimitedPrefixes: page.delimitedPrefixes,
    };
  }

  async createMultipartUpload(...args) {
    if (args.length === 0) throw argument("createMultipartUpload", "R2Bucket", 1, "string");
    const key = toKey(args[0]);
    const options = args[1] ?? {};
    if (!isObject(options)) throw argument("createMultipartUpload", "R2Bucket", 2, "MultipartOptions");
    const http = httpMetadataOf(options.httpMetadata);
    const custom = customMetadataOf(options.customMetadata);
    checkSsecKey(options.ssecKey);
    checkName("createMultipartUpload", key);
    const uploadId = call("createMultipartUpload", () =>
      op_r2_create_upload(this[_bucket], key, JSONStringify(http), JSONStringify(custom))
    );
    return new R2MultipartUpload(illegal, this[_bucket], key, uploadId);
  }

  resumeMultipartUpload(...args) {
    if (args.length === 0) throw argument("resumeMultipartUpload", "R2Bucket", 1, "string");
    if (args.length < 2) throw argument("resumeMultipartUpload", "R2Bucket", 2, "string");
    return new R2MultipartUpload(illegal, this[_bucket], toKey(args[0]), toKey(args[1]));
  }

  get [SymbolToStringTag]() {
    return "R2Bucket";
  }
}

function partNumberOf(value) {
  const n = MathTrunc(Number(value));
  if (!(n >= 1 && n <= 10000)) {
    throw new TypeError(`Part number must be between 1 and 10000 (inclusive). Actual value was: ${NumberIsNaN(n) ? 0 : n}`);
  }
  return n;
}

class R2MultipartUpload {
  constructor(key, bucket, objectKey, uploadId) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    ObjectDefineProperty(this, _bucket, { value: bucket });
    this.uploadId = uploadId;
    this.key = objectKey;
  }

  async uploadPart(...args) {
    const partNumber = partNumberOf(args[0]);
    const value = args[1];
    if (value === null || value === undefined) {
      throw argument("uploadPart", "R2MultipartUpload", 2, VALUE_TYPES);
    }
    const bytes = await valueBytes(value, "uploadPart", "R2MultipartUpload");
    const etag = call("uploadPart", () =>
      op_r2_upload_part(this[_bucket], this.key, this.uploadId, partNumber, bytes)
    );
    return { partNumber, etag };
  }

  async complete(...args) {
    const parts = args[0];
    if (!ArrayIsArray(parts)) throw argument("complete", "R2MultipartUpload", 1, "Array");
    const list = [];
    for (const part of parts) {
      ArrayPrototypePush(list, [partNumberOf(part?.partNumber), part?.etag === undefined ? "" : String(part.etag)]);
    }
    const row = call("completeMultipartUpload", () =>
      op_r2_complete_upload(this[_bucket], this.key, this.uploadId, list)
    );
    return new HeadResult(illegal, row, undefined);
  }

  async abort() {
    call("abortMultipartUpload", () => op_r2_abort_upload(this[_bucket], this.key, this.uploadId));
  }

  get [SymbolToStringTag]() {
    return "R2MultipartUpload";
  }
}

/** `env[binding]` for each R2 binding of the worker. */
function buckets(facts) {
  const out = [];
  for (const { binding, id } of facts) ArrayPrototypePush(out, [binding, new R2Bucket(illegal, id)]);
  return out;
}

return { R2Bucket, R2MultipartUpload, HeadResult, GetResult, buckets };
})();
