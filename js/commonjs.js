// `kiln:commonjs`: require() for the CommonJS files of a worker's npm
// packages, as they run in wrangler's esbuild bundle. runtime/worker/src/commonjs.rs turns each such file into a
// module that calls define() with the file wrapped in a function and the
// files its require() calls name, already imported; load() runs a file's
// function at its first require(), as Node and esbuild's bundles do, and
// keeps module.exports for the next.
//
// This module is served by the module loader, not an extension: it lives in
// the worker's module graph, and it takes what it uses from the globals
// before any worker code has run.

const SafeMap = Map;
const mapGet = Map.prototype.get;
const mapSet = Map.prototype.set;
const mapHas = Map.prototype.has;
const call = Function.prototype.call;
const defineProperty = Object.defineProperty;
const keys = Object.keys;
const hasOwn = Object.hasOwn;
const JSONParse = JSON.parse;
const Err = Error;

const records = new SafeMap();
// ES modules required from CommonJS, as esbuild's __toCommonJS makes them:
// the same object for every require().
const esModuleFaces = new SafeMap();

export function define(url, dependencies, factory) {
  if (!call.call(mapHas, records, url)) {
    call.call(mapSet, records, url, { url, dependencies, factory, module: null });
  }
}

function esModuleFace(namespace) {
  let face = call.call(mapGet, esModuleFaces, namespace);
  if (face === undefined) {
    face = {};
    defineProperty(face, "__esModule", { value: true });
    for (const name of keys(namespace)) {
      defineProperty(face, name, { get: () => namespace[name], enumerable: true });
    }
    call.call(mapSet, esModuleFaces, namespace, face);
  }
  return face;
}

function requireFrom(record) {
  return function require(id) {
    const found = typeof id === "string" && hasOwn(record.dependencies, id) ? record.dependencies[id] : undefined;
    if (found === undefined) {
      throw new Err(`Dynamic require of "${id}" is not supported`);
    }
    if (found.commonjs !== undefined) return load(found.commonjs);
    if (found.namespace !== undefined) return esModuleFace(found.namespace);
    if (found.builtin !== undefined) return found.builtin.default;
    if (found.json !== undefined) {
      if (found.value === undefined) found.value = JSONParse(found.json);
      return found.value;
    }
    throw new Err(found.fails);
  };
}

// What esbuild's bundle gives a CommonJS file, and no more: `module` holds
// `exports` only, top-level `this` is `exports`, there is no `__filename`.
export function load(url) {
  const record = call.call(mapGet, records, url);
  if (record === undefined) {
    throw new Err(`CommonJS module ${url} was not defined`);
  }
  if (record.module !== null) return record.module.exports;
  const module = { exports: {} };
  record.module = module;
  // A file that throws is not run again: the next require() gets what it
  // exported before it threw, as in esbuild's bundle.
  call.call(record.factory, module.exports, module.exports, requireFrom(record), module);
  return module.exports;
}
