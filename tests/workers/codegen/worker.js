// Code generation from strings (tests/e2e/codegen.rs): each attempt, and
// what still works.
function attempt(fn) {
  try {
    return { ok: String(fn()) };
  } catch (e) {
    return { error: `${e.name}: ${e.message}` };
  }
}

async function attemptAsync(fn) {
  try {
    return { ok: String(await fn()) };
  } catch (e) {
    return { error: `${e.name}: ${e.message}` };
  }
}

// The smallest Wasm module: the header alone.
const EMPTY_WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

export default {
  async fetch() {
    const fn = function named() {};
    return Response.json({
      wasmCompile: await attemptAsync(() => WebAssembly.compile(EMPTY_WASM)),
      wasmInstantiate: await attemptAsync(() => WebAssembly.instantiate(EMPTY_WASM)),
      wasmModule: attempt(() => new WebAssembly.Module(EMPTY_WASM)),
      wasmValidate: WebAssembly.validate(EMPTY_WASM),
      fetchFile: await attemptAsync(() => fetch("file:///etc/hostname")),
      fetchFtp: await attemptAsync(() => fetch(new Request("ftp://example.com/x"))),
      fetchData: await (await fetch("data:text/plain,x")).text(),
      eval: attempt(() => eval("1 + 1")),
      indirectEval: attempt(() => (0, eval)("1 + 1")),
      newFunction: attempt(() => new Function("return 1")()),
      callFunction: attempt(() => Function("return 1")()),
      viaConstructor: attempt(() => fn.constructor("return 1")()),
      asyncFunction: attempt(() => (async () => {}).constructor("return 1")),
      generatorFunction: attempt(() => function* () {}.constructor("yield 1")),
      // What must keep working.
      instanceOf: fn instanceof Function,
      asyncInstanceOf: (async () => {}) instanceof Function,
      prototypeCall: Function.prototype.call.call(() => 7),
      bound: fn.bind(null).name,
      typeofFunction: typeof Function,
      json: JSON.parse('{"a":1}').a,
    });
  },
};
