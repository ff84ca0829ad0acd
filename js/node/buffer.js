// node:buffer: the npm package `buffer` (feross), which is Node's Buffer
// rewritten for engines without Node's C++, plus what Workers' node:buffer
// adds to it.
import vendor from "kiln:node-vendor/buffer";

export const Buffer = vendor.Buffer;

// The package predates base64url (Node 15) and throws a plain TypeError for
// an unknown encoding: both are added here, at the package's entry points.
function isBase64url(encoding) {
  return typeof encoding === "string" && encoding.toLowerCase() === "base64url";
}

function toBase64(text) {
  return String(text).replace(/-/g, "+").replace(/_/g, "/");
}

function withCode(fn) {
  return function (...args) {
    try {
      return Reflect.apply(fn, this, args);
    } catch (e) {
      if (e instanceof TypeError && /^Unknown encoding/.test(e.message)) e.code = "ERR_UNKNOWN_ENCODING";
      throw e;
    }
  };
}

const from = Buffer.from;
Buffer.from = withCode(function (value, encodingOrOffset, length) {
  if (typeof value === "string" && isBase64url(encodingOrOffset)) {
    return from.call(this, toBase64(value), "base64");
  }
  return from.call(this, value, encodingOrOffset, length);
});
const byteLength = Buffer.byteLength;
Buffer.byteLength = withCode(function (value, encoding) {
  return byteLength.call(this, value, isBase64url(encoding) ? "base64" : encoding);
});
const isEncoding = Buffer.isEncoding;
Buffer.isEncoding = function (encoding) {
  return isBase64url(encoding) || isEncoding.call(this, encoding);
};
const toString = Buffer.prototype.toString;
Buffer.prototype.toString = withCode(function (encoding, start, end) {
  if (isBase64url(encoding)) {
    return toString.call(this, "base64", start, end).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  return Reflect.apply(toString, this, arguments);
});
const write = Buffer.prototype.write;
Buffer.prototype.write = withCode(function (text, ...rest) {
  const at = rest.findIndex((a) => typeof a === "string");
  if (at !== -1 && isBase64url(rest[at])) {
    rest[at] = "base64";
    return write.call(this, toBase64(text), ...rest);
  }
  return write.call(this, text, ...rest);
});
for (const name of ["alloc", "concat", "compare"]) Buffer[name] = withCode(Buffer[name]);
for (const name of ["fill", "indexOf", "includes", "lastIndexOf"]) Buffer.prototype[name] = withCode(Buffer.prototype[name]);
export const SlowBuffer = vendor.SlowBuffer;
export const INSPECT_MAX_BYTES = vendor.INSPECT_MAX_BYTES;
export const kMaxLength = vendor.kMaxLength;
// V8's longest string (2^29 - 24 UTF-16 units), as Node and workerd report.
export const kStringMaxLength = 536870888;
export const constants = Object.freeze({
  MAX_LENGTH: kMaxLength,
  MAX_STRING_LENGTH: kStringMaxLength,
});

export const Blob = globalThis.Blob;
export const File = globalThis.File;
export const atob = globalThis.atob;
export const btoa = globalThis.btoa;

function bytesOf(input, name) {
  if (ArrayBuffer.isView(input)) {
    return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  }
  if (input instanceof ArrayBuffer || input instanceof SharedArrayBuffer) {
    return new Uint8Array(input);
  }
  const error = new TypeError(
    `The "${name}" argument must be an instance of ArrayBuffer, Buffer, TypedArray, or DataView.`,
  );
  error.code = "ERR_INVALID_ARG_TYPE";
  throw error;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function isUtf8(input) {
  const bytes = bytesOf(input, "input");
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function isAscii(input) {
  const bytes = bytesOf(input, "input");
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] > 0x7f) return false;
  }
  return true;
}

const transcodable = new Set(["ascii", "latin1", "binary", "ucs2", "ucs-2", "utf16le", "utf-16le", "utf8", "utf-8"]);

export function transcode(source, fromEncoding, toEncoding) {
  const bytes = bytesOf(source, "source");
  const from = String(fromEncoding).toLowerCase();
  const to = String(toEncoding).toLowerCase();
  if (!transcodable.has(from) || !transcodable.has(to)) {
    const error = new Error(`Unable to transcode Buffer [U_ILLEGAL_ARGUMENT_ERROR]`);
    error.code = "U_ILLEGAL_ARGUMENT_ERROR";
    throw error;
  }
  return Buffer.from(Buffer.from(bytes).toString(from), to);
}

// Blob URLs do not exist in Workers.
export function resolveObjectURL(_id) {
  return undefined;
}

export default {
  Blob,
  Buffer,
  File,
  INSPECT_MAX_BYTES,
  SlowBuffer,
  atob,
  btoa,
  constants,
  isAscii,
  isUtf8,
  kMaxLength,
  kStringMaxLength,
  resolveObjectURL,
  transcode,
};
