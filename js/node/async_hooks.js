// node:async_hooks (nodejs_compat or nodejs_als): AsyncLocalStorage and
// AsyncResource, as Workers provide them. The store travels with the
// engine's continuation data (deno_core's async context), which follows
// every await, promise reaction, timer and queued microtask; the value kept
// there is a frozen Map from each AsyncLocalStorage to its store, replaced,
// never changed, so a continuation keeps the stores it started with.
import internals from "kiln:node-internals";

const { getAsyncContext, setAsyncContext } = internals;

function frame() {
  const current = getAsyncContext();
  return current instanceof Map ? current : undefined;
}

function withFrame(next, fn, thisArg, args) {
  const previous = getAsyncContext();
  setAsyncContext(next);
  try {
    return Reflect.apply(fn, thisArg, args);
  } finally {
    setAsyncContext(previous);
  }
}

function framePlus(storage, store) {
  const next = new Map(frame());
  next.set(storage, store);
  return next;
}

function frameWithout(storage) {
  const current = frame();
  if (current === undefined || !current.has(storage)) return current;
  const next = new Map(current);
  next.delete(storage);
  return next.size === 0 ? undefined : next;
}

function requireFunction(fn, name) {
  if (typeof fn !== "function") {
    const error = new TypeError(`The "${name}" argument must be of type function. Received ${describe(fn)}`);
    error.code = "ERR_INVALID_ARG_TYPE";
    throw error;
  }
}

// The messages of Workers' own (C++) AsyncLocalStorage.
function requireCallback(fn, method, position) {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Failed to execute '${method}' on 'AsyncLocalStorage': parameter ${position} is not of type 'function'.`,
    );
  }
}

function describe(value) {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "object") return `an instance of ${value.constructor?.name ?? "Object"}`;
  return `type ${typeof value} (${String(value)})`;
}

export class AsyncLocalStorage {
  run(store, fn, ...args) {
    requireCallback(fn, "run", 2);
    return withFrame(framePlus(this, store), fn, undefined, args);
  }

  exit(fn, ...args) {
    requireCallback(fn, "exit", 1);
    return withFrame(frameWithout(this), fn, undefined, args);
  }

  getStore() {
    return frame()?.get(this);
  }

  // Workers do not implement enterWith (a store entered without run()
  // would reach whatever the isolate runs next); the same error here.
  enterWith(_store) {
    throw new Error("asyncLocalStorage.enterWith() is not implemented");
  }

  // Nor disable(), for the same reason.
  disable() {
    throw new Error("asyncLocalStorage.disable() is not implemented");
  }

  static bind(fn) {
    return AsyncResource.bind(fn);
  }

  static snapshot() {
    const captured = getAsyncContext();
    return function runInSnapshot(fn, ...args) {
      requireFunction(fn, "fn");
      return withFrame(captured, fn, this, args);
    };
  }
}

export class AsyncResource {
  #context;

  constructor(type, _options) {
    if (typeof type !== "string") {
      const error = new TypeError(`The "type" argument must be of type string. Received ${describe(type)}`);
      error.code = "ERR_INVALID_ARG_TYPE";
      throw error;
    }
    this.#context = getAsyncContext();
  }

  runInAsyncScope(fn, thisArg, ...args) {
    requireFunction(fn, "fn");
    return withFrame(this.#context, fn, thisArg, args);
  }

  bind(fn, thisArg) {
    requireFunction(fn, "fn");
    const resource = this;
    const bound = function (...args) {
      return resource.runInAsyncScope(fn, thisArg === undefined ? this : thisArg, ...args);
    };
    Object.defineProperties(bound, {
      length: { value: fn.length, configurable: true },
      asyncResource: { value: this, configurable: true, enumerable: true, writable: true },
    });
    return bound;
  }

  emitDestroy() {
    return this;
  }

  asyncId() {
    return 0;
  }

  triggerAsyncId() {
    return 0;
  }

  static bind(fn, type, thisArg) {
    return new AsyncResource(type ?? (fn?.name || "bound-anonymous-fn")).bind(fn, thisArg);
  }
}

// The low-level hooks API is not part of Workers: these are its inert
// stand-ins, as in workerd.
export function createHook() {
  return { enable() { return this; }, disable() { return this; } };
}
export function executionAsyncId() {
  return 0;
}
export function triggerAsyncId() {
  return 0;
}
export function executionAsyncResource() {
  return {};
}
export const asyncWrapProviders = Object.freeze({ __proto__: null });

export default {
  AsyncLocalStorage,
  AsyncResource,
  asyncWrapProviders,
  createHook,
  executionAsyncId,
  executionAsyncResource,
  triggerAsyncId,
};
