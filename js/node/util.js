// node:util: the npm package `util` (Node's util as browserify ships it:
// inherits, promisify, callbackify, deprecate, debuglog, types), Node's own
// inspect and format from the npm package `node-inspect-extracted`, and the
// functions Workers' node:util has beyond them.
import vendor from "kiln:node-vendor/util";
import extracted from "kiln:node-vendor/inspect";
import * as self from "node:util";

export const {
  _extend,
  callbackify,
  debuglog,
  deprecate,
  inherits,
  isArray,
  isBoolean,
  isBuffer,
  isDate,
  isError,
  isFunction,
  isNull,
  isNullOrUndefined,
  isNumber,
  isObject,
  isPrimitive,
  isRegExp,
  isString,
  isSymbol,
  isUndefined,
  log,
  promisify,
  types,
} = vendor;

export const { format, formatWithOptions, inspect, stripVTControlCharacters } = extracted;
export const debug = debuglog;
export const TextEncoder = globalThis.TextEncoder;
export const TextDecoder = globalThis.TextDecoder;

export function toUSVString(text) {
  return String(text).toWellFormed();
}

// Resolves when the signal aborts (the resource argument only keeps the
// wait alive in Node).
export function aborted(signal, _resource) {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

// Node's deep-strict-equality: same prototypes, own enumerable keys and
// symbols, Object.is for primitives, contents of Maps, Sets, typed arrays,
// Dates, RegExps, boxed primitives and errors; cycles are allowed.
export function isDeepStrictEqual(a, b) {
  return deepEqual(a, b, new Map());
}

function deepEqual(a, b, seen) {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const tag = Object.prototype.toString.call(a);
  if (tag !== Object.prototype.toString.call(b)) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (a instanceof Date && a.getTime() !== b.getTime()) return false;
  if (a instanceof RegExp && (a.source !== b.source || a.flags !== b.flags || a.lastIndex !== b.lastIndex)) {
    return false;
  }
  if (a instanceof Error && (a.message !== b.message || a.name !== b.name)) return false;
  for (const Box of [Number, String, Boolean, BigInt, Symbol]) {
    if (a instanceof Box && !Object.is(Box.prototype.valueOf.call(a), Box.prototype.valueOf.call(b))) return false;
  }
  if (ArrayBuffer.isView(a)) {
    if (a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (!(a instanceof Float32Array || a instanceof Float64Array)) {
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    } else {
      for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
    }
  } else if (a instanceof ArrayBuffer || a instanceof SharedArrayBuffer) {
    if (!deepEqual(new Uint8Array(a), new Uint8Array(b), seen)) return false;
  }
  if (a instanceof Map) {
    if (a.size !== b.size) return false;
    // An object key of `a` missing from `b` may equal one of `b`'s object
    // keys; each of those stands for one key of `a` only.
    const unmatched = [...b].filter(([k]) => typeof k === "object" && k !== null && !a.has(k));
    for (const [key, value] of a) {
      if (b.has(key)) {
        if (!deepEqual(value, b.get(key), seen)) return false;
        continue;
      }
      if (typeof key !== "object" || key === null) return false;
      const at = unmatched.findIndex(([k, v]) => deepEqual(key, k, new Map(seen)) && deepEqual(value, v, new Map(seen)));
      if (at === -1) return false;
      unmatched.splice(at, 1);
    }
  } else if (a instanceof Set) {
    if (a.size !== b.size) return false;
    const unmatched = [...b].filter((v) => typeof v === "object" && v !== null && !a.has(v));
    for (const value of a) {
      if (b.has(value)) continue;
      if (typeof value !== "object" || value === null) return false;
      const at = unmatched.findIndex((v) => deepEqual(value, v, new Map(seen)));
      if (at === -1) return false;
      unmatched.splice(at, 1);
    }
  }
  const keys = ownKeys(a);
  const otherKeys = ownKeys(b);
  if (ArrayBuffer.isView(a)) {
    // The elements were compared above; only extra properties remain.
    return sameKeys(keys.filter((k) => !isIndex(k)), otherKeys.filter((k) => !isIndex(k)), a, b, seen);
  }
  return sameKeys(keys, otherKeys, a, b, seen);
}

function isIndex(key) {
  return typeof key === "string" && /^(0|[1-9]\d*)$/.test(key);
}

function ownKeys(object) {
  return Reflect.ownKeys(object).filter((key) => Object.prototype.propertyIsEnumerable.call(object, key));
}

function sameKeys(keys, otherKeys, a, b, seen) {
  if (keys.length !== otherKeys.length) return false;
  for (const key of keys) {
    if (!Object.prototype.propertyIsEnumerable.call(b, key)) return false;
    if (!deepEqual(a[key], b[key], seen)) return false;
  }
  return true;
}

// The default export: every named export, as a plain object (packages
// patch node:util's functions on it).
// Reflect.ownKeys, unlike Object.keys, reads no binding (`default` is not
// set yet while this line runs).
export default Object.fromEntries(
  Reflect.ownKeys(self)
    .filter((name) => typeof name === "string" && name !== "default")
    .map((name) => [name, self[name]]),
);
