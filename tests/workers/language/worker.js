// Language and Intl features, case by case: tests/e2e/language.rs runs this
// worker on workerd and on kiln and compares every case's answer; what is
// allowed to differ is listed in docs/engine-differences.md.
//
// GET / answers `[{id, type, value}]` for every case of cases.js, in order;
// GET /?id=PREFIX only those whose id starts with PREFIX; GET /?hazards the
// cases of hazards.js instead, left out of the suite because they take a
// runtime down.
//
// The cases are functions, not source text: both runtimes refuse eval() and
// new Function() in a request (and kiln at start-up too).
import cases from "./cases.js";
import { hazards } from "./hazards.js";

// A case that awaits something that never settles must not hold up the
// others; none should come near this.
const ASYNC_LIMIT_MS = 2000;

// A nested value as JSON: object keys sorted, and what JSON cannot carry
// (-0, NaN, undefined, BigInt, Map, dates...) spelled out, so that two
// engines answering differently can never serialise alike.
function plain(value, seen = new Set()) {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0) ? value : numberText(value);
    case "bigint":
      return `${value}n`;
    case "undefined":
      return "<undefined>";
    case "symbol":
      return `<${String(value)}>`;
    case "function":
      return `<function ${value.name}>`;
  }
  if (value === null) return null;
  if (seen.has(value)) return "<circular>";
  seen.add(value);
  try {
    if (isError(value)) return { $error: String(value.name), message: String(value.message) };
    if (Array.isArray(value)) return value.map((v) => plain(v, seen));
    if (value instanceof Map) return { $Map: [...value].map((entry) => plain(entry, seen)) };
    if (value instanceof Set) return { $Set: [...value].map((v) => plain(v, seen)) };
    if (value instanceof Date) {
      return { $Date: Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString() };
    }
    if (value instanceof RegExp) return { $RegExp: String(value) };
    if (value instanceof ArrayBuffer) return { $ArrayBuffer: [...new Uint8Array(value)] };
    if (ArrayBuffer.isView(value)) {
      const name = Object.prototype.toString.call(value).slice(8, -1);
      const items = value instanceof DataView
        ? [...new Uint8Array(value.buffer, value.byteOffset, value.byteLength)]
        : [...value].map((v) => plain(v, seen));
      return { [`$${name}`]: items };
    }
    const out = {};
    const ctor = Object.getPrototypeOf(value)?.constructor?.name;
    if (ctor && ctor !== "Object") out.$class = ctor;
    for (const key of Object.keys(value).sort()) out[key] = plain(value[key], seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

function numberText(n) {
  return Object.is(n, -0) ? "-0" : String(n);
}

function isError(value) {
  // Error.isError sees through realms and subclasses; instanceof is the
  // fallback where the engine lacks it.
  return typeof Error.isError === "function" ? Error.isError(value) : value instanceof Error;
}

function errorValue(e) {
  if (e !== null && typeof e === "object" && "name" in e && "message" in e) {
    return { error: String(e.name), message: String(e.message) };
  }
  return { error: "<not an Error>", message: JSON.stringify(plain(e)) };
}

// What a case returned, tagged with its kind: strings as they are, numbers
// with -0 and NaN told apart, structures as sorted JSON text.
function describe(value) {
  switch (typeof value) {
    case "string":
      return { type: "string", value };
    case "number":
      return { type: "number", value: numberText(value) };
    case "bigint":
      return { type: "bigint", value: String(value) };
    case "boolean":
      return { type: "boolean", value };
    case "undefined":
      return { type: "undefined", value: null };
    case "symbol":
      return { type: "symbol", value: String(value.description) };
    case "function":
      return { type: "function", value: value.name };
  }
  if (value === null) return { type: "null", value: null };
  if (isError(value)) return { type: "error", value: errorValue(value) };
  const type = Array.isArray(value) ? "array" : "object";
  return { type, value: JSON.stringify(plain(value)) };
}

async function evaluate(run) {
  let timer;
  try {
    let value = run();
    if (value !== null && typeof value === "object" && typeof value.then === "function") {
      const late = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`unsettled after ${ASYNC_LIMIT_MS} ms`)), ASYNC_LIMIT_MS);
      });
      value = await Promise.race([value, late]);
    }
    return describe(value);
  } catch (e) {
    return { type: "throw", value: errorValue(e) };
  } finally {
    clearTimeout(timer);
  }
}

export default {
  async fetch(request) {
    const query = new URL(request.url).searchParams;
    const prefix = query.get("id") ?? "";
    const results = [];
    for (const { id, run } of query.has("hazards") ? hazards : cases) {
      if (id.startsWith(prefix)) results.push({ id, ...(await evaluate(run)) });
    }
    return Response.json(results);
  },
};
