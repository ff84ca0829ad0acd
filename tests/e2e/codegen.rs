//! Workers compiles no code from strings: `eval()`, `new Function()` and
//! the other function constructors throw workerd's EvalError (its text,
//! measured on workerd 2026-11-17), so code that works under kiln does not
//! fail once deployed; functions themselves keep working.

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
