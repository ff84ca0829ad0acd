//! Workers compiles no code from strings: `eval()`, `new Function()` and
//! the other function constructors throw workerd's EvalError, and Wasm is
//! not compiled from bytes at run time (workerd's CompileError); the texts
//! were measured on workerd 2026-11-17. So code that works under kiln does
//! not fail once deployed; functions, and Wasm imported as a module
//! (tests/e2e/modules.rs), keep working. Nor does `fetch()` reach past
//! http:, https: and data: (a file: URL is refused with workerd's error).

use kiln_tests::{send, Kiln};
use serde_json::json;

#[tokio::test]
async fn code_generation_from_strings_is_refused() {
  let kiln = Kiln::start(&["codegen/worker.js"]);
  let reply = send(kiln.addr, "GET", "/", &[], Default::default()).await;
  assert_eq!(reply.status, 200, "{}\n{}", reply.text(), kiln.output());
  let refused =
    json!({ "error": "EvalError: Code generation from strings disallowed for this context" });
  assert_eq!(
    reply.json(),
    json!({
      "wasmCompile": { "error": "CompileError: WebAssembly.compile(): Wasm code generation disallowed by embedder" },
      "wasmInstantiate": { "error": "CompileError: WebAssembly.instantiate(): Wasm code generation disallowed by embedder" },
      "wasmModule": { "error": "CompileError: WebAssembly.Module(): Wasm code generation disallowed by embedder" },
      "wasmValidate": true,
      "fetchFile": { "error": "TypeError: Fetch API cannot load: file:///etc/hostname" },
      "fetchFtp": { "error": "TypeError: Fetch API cannot load: ftp://example.com/x" },
      "fetchData": "x",
      "eval": refused,
      "indirectEval": refused,
      "newFunction": refused,
      "callFunction": refused,
      "viaConstructor": refused,
      "asyncFunction": refused,
      "generatorFunction": refused,
      "instanceOf": true,
      "asyncInstanceOf": true,
      "prototypeCall": 7,
      "bound": "bound named",
      "typeofFunction": "function",
      "json": 1,
    })
  );
}
