// `kiln:node-internals`: what kiln's node: modules need from the runtime
// and cannot reach from a worker's module graph: the async context that
// follows promise continuations (for AsyncLocalStorage) and the worker's
// string bindings (for process.env). js/dispatch.js leaves them under a
// global symbol before the worker's script runs; this module takes them
// once and removes them.
const key = Symbol.for("kiln.node");
const internals = globalThis[key];
delete globalThis[key];
export default internals;
