// Code generation from strings (tests/e2e/codegen.rs): each attempt, and
// what still works.
function attempt(fn) {
  try {
    return { ok: String(fn()) };
  } catch (e) {
    return { error: `${e.name}: ${e.message}` };
  }
}

export default {
  fetch() {
    const fn = function named() {};
    return Response.json({
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
