// node:events: the npm package `events` (Node's EventEmitter as browserify
// ships it), plus the module-level helpers Workers' node:events has and
// that package lacks.
import vendor from "kiln:node-vendor/events";
import { AsyncResource } from "node:async_hooks";

export const EventEmitter = vendor;
export const once = vendor.once;
export const listenerCount = vendor.listenerCount;
export const errorMonitor = Symbol("events.errorMonitor");
export const captureRejectionSymbol = Symbol.for("nodejs.rejection");
export const captureRejections = false;
export const usingDomains = false;
EventEmitter.errorMonitor = errorMonitor;
EventEmitter.captureRejectionSymbol = captureRejectionSymbol;
EventEmitter.captureRejections = captureRejections;
EventEmitter.usingDomains = usingDomains;

// The package's emit() knows nothing of errorMonitor: listeners for it see
// an "error" before the error is thrown or handled, as in Node.
const emit = EventEmitter.prototype.emit;
EventEmitter.prototype.emit = function (type, ...args) {
  if (type === "error" && this._events !== undefined && this._events[errorMonitor] !== undefined) {
    emit.call(this, errorMonitor, ...args);
  }
  return emit.call(this, type, ...args);
};

function invalidArg(name, expected, value) {
  const error = new TypeError(`The "${name}" argument must be ${expected}. Received ${value === null ? "null" : typeof value}`);
  error.code = "ERR_INVALID_ARG_TYPE";
  return error;
}

export const defaultMaxListeners = vendor.defaultMaxListeners;

export function getEventListeners(target, type) {
  if (typeof target?.listeners === "function") return target.listeners(type);
  throw invalidArg("emitter", "an instance of EventEmitter or EventTarget", target);
}

export function getMaxListeners(target) {
  if (typeof target?.getMaxListeners === "function") return target.getMaxListeners();
  return vendor.defaultMaxListeners;
}

export function setMaxListeners(n = vendor.defaultMaxListeners, ...targets) {
  if (typeof n !== "number" || n < 0 || Number.isNaN(n)) {
    const error = new RangeError(`The value of "n" is out of range. It must be a non-negative number. Received ${n}`);
    error.code = "ERR_OUT_OF_RANGE";
    throw error;
  }
  if (targets.length === 0) {
    vendor.defaultMaxListeners = n;
    return;
  }
  for (const target of targets) {
    if (typeof target?.setMaxListeners === "function") target.setMaxListeners(n);
  }
}
EventEmitter.getEventListeners = getEventListeners;
EventEmitter.getMaxListeners = getMaxListeners;
EventEmitter.setMaxListeners = setMaxListeners;

export function addAbortListener(signal, listener) {
  if (signal === undefined || typeof signal?.addEventListener !== "function") {
    throw invalidArg("signal", "an instance of AbortSignal", signal);
  }
  if (typeof listener !== "function") throw invalidArg("listener", "of type function", listener);
  let removed = false;
  const remove = () => {
    if (!removed) {
      removed = true;
      signal.removeEventListener("abort", listener);
    }
  };
  if (signal.aborted) {
    queueMicrotask(() => listener());
  } else {
    signal.addEventListener("abort", listener, { once: true });
  }
  return { [Symbol.dispose]: remove };
}
EventEmitter.addAbortListener = addAbortListener;

// events.on(emitter, name): an async iterator of the events' arguments.
export function on(emitter, event, options = {}) {
  const signal = options?.signal;
  if (signal?.aborted) {
    throw new DOMException("The operation was aborted", "AbortError");
  }
  const queued = [];
  const waiting = [];
  let failure = null;
  let finished = false;
  const settle = () => {
    while (waiting.length > 0 && (queued.length > 0 || failure !== null || finished)) {
      const { resolve, reject } = waiting.shift();
      if (queued.length > 0) resolve({ value: queued.shift(), done: false });
      else if (failure !== null) {
        const error = failure;
        failure = null;
        finished = true;
        reject(error);
      } else resolve({ value: undefined, done: true });
    }
  };
  const onEvent = (...args) => {
    queued.push(args);
    settle();
  };
  const onError = (error) => {
    failure = error;
    cleanup();
    settle();
  };
  const onAbort = () => onError(new DOMException("The operation was aborted", "AbortError"));
  const cleanup = () => {
    emitter.removeListener(event, onEvent);
    if (event !== "error") emitter.removeListener("error", onError);
    signal?.removeEventListener("abort", onAbort);
  };
  emitter.on(event, onEvent);
  if (event !== "error") emitter.on("error", onError);
  signal?.addEventListener("abort", onAbort, { once: true });
  return {
    next() {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        settle();
      });
    },
    return() {
      finished = true;
      queued.length = 0;
      cleanup();
      settle();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error) {
      onError(error);
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
EventEmitter.on = on;

// An EventEmitter whose listeners run in the async context it was made in.
export class EventEmitterAsyncResource extends EventEmitter {
  #resource;
  constructor(options = {}) {
    super(options);
    this.#resource = new AsyncResource(options?.name ?? new.target.name);
  }
  emit(event, ...args) {
    return this.#resource.runInAsyncScope(super.emit, this, event, ...args);
  }
  get asyncResource() {
    return this.#resource;
  }
  emitDestroy() {
    this.#resource.emitDestroy();
  }
}
EventEmitter.EventEmitterAsyncResource = EventEmitterAsyncResource;

export default EventEmitter;
