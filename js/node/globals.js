// `kiln:node-globals`, run before the worker's script when
// nodejs_compat_v2 is on (nodejs_compat from 2024-09-23): the Node.js
// globals Workers define then, Buffer, process, global, setImmediate and
// clearImmediate.
import { Buffer } from "node:buffer";
import process from "node:process";

// An Immediate, as Node's setImmediate returns: a handle clearImmediate
// takes, which the engine's timer id stands behind.
class Immediate {
  #id;
  constructor(id) {
    this.#id = id;
  }
  ref() {
    return this;
  }
  unref() {
    return this;
  }
  hasRef() {
    return true;
  }
  [Symbol.toPrimitive]() {
    return this.#id;
  }
  [Symbol.dispose]() {
    clearTimeout(this.#id);
  }
}

function setImmediate(callback, ...args) {
  if (typeof callback !== "function") {
    const error = new TypeError(`The "callback" argument must be of type function. Received ${typeof callback}`);
    error.code = "ERR_INVALID_ARG_TYPE";
    throw error;
  }
  return new Immediate(setTimeout(callback, 0, ...args));
}

function clearImmediate(immediate) {
  if (immediate instanceof Immediate) immediate[Symbol.dispose]();
}

for (const [name, value] of Object.entries({ Buffer, process, global: globalThis, setImmediate, clearImmediate })) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}
