// `kiln:commonjs`: require() for the CommonJS files of a worker's npm
// packages. runtime/worker/src/commonjs.rs turns each such file into a
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
const create = Object.create;
const JSONParse = JSON.parse;
const Err = Error;
const URLClass = URL;
const decode = decodeURIComponent;

const records = new SafeMap();
// ES modules required from CommonJS, as esbuild's __toCommonJS makes them:
// the same object for every require().
const esModuleFaces = new SafeMap();

export function define(url, dependencies, factory) {
  if (!call.call(mapHas, records, url)) {
    call.call(mapSet, records, url, { url, dependencies, factory, module: null });
  }
}

function filePath(url) {
  return decode(new URLClass(url).pathname);
}

function esModuleFace(namespace) {
  let face = call.call(mapGet, esModuleFaces, namespace);
  if (face === undefined) {
    face = create(null);
    defineProperty(face, "__esModule", { value: true });
    for (const name of keys(namespace)) {
      defineProperty(face, name, { get: () => namespace[name], enumerable: true });
    }
    call.call(mapSet, esModuleFaces, namespace, face);
  }
  return face;
}

function requireFrom(record, parent) {
  const require = function require(id) {
    const found = typeof id === "string" && hasOwn(record.dependencies, id) ? record.dependencies[id] : undefined;
    if (found === undefined) {
      throw new Err(`Dynamic require of "${id}" is not supported`);
    }
    if (found.commonjs !== undefined) return load(found.commonjs, parent);
    if (found.namespace !== undefined) return esModuleFace(found.namespace);
    if (found.json !== undefined) {
      if (found.value === undefined) found.value = JSONParse(found.json);
      return found.value;
    }
    throw new Err(found.fails);
  };
  require.resolve = function resolve(id) {
    const found = record.dependencies[id];
    if (found !== undefined && found.commonjs !== undefined) return filePath(found.commonjs);
    throw new Err(`Cannot resolve "${id}" from ${filePath(record.url)}`);
  };
  require.cache = create(null);
  return require;
}

export function load(url, parent = null) {
  const record = call.call(mapGet, records, url);
  if (record === undefined) {
    throw new Err(`CommonJS module ${url} was not defined`);
  }
  if (record.module !== null) return record.module.exports;
  const filename = filePath(url);
  const dirname = filename.slice(0, filename.lastIndexOf("/")) || "/";
  const module = {
    id: filename,
    filename,
    path: dirname,
    exports: {},
    loaded: false,
    parent,
    children: [],
    paths: [],
  };
  if (parent !== null) parent.children.push(module);
  record.module = module;
  module.require = requireFrom(record, module);
  try {
    call.call(record.factory, module.exports, module.exports, module.require, module, filename, dirname);
  } catch (e) {
    // As Node: a file that threw is run again by the next require().
    record.module = null;
    throw e;
  }
  module.loaded = true;
  return module.exports;
}
