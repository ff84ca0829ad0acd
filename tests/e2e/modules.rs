//! Module rules over real sockets: what a worker gets when it imports text,
//! data, WebAssembly, JSON and files its own rules name, and what happens
//! with rules that cannot be used.

use kiln_tests::{run_to_exit, workers_dir, Kiln};
use serde_json::json;

fn rules() -> Kiln {
  Kiln::start(&["rules"])
}

const UNMATCHED: &str = "no module rule matches it, and only .js, .mjs, .cjs, .ts, .mts, .cts, .tsx and .jsx files are JavaScript.";

#[tokio::test]
async fn html_is_a_string_bin_an_array_buffer_and_wasm_a_module() {
  let kiln = rules();
  let text = kiln.get("/text").await.json();
  assert_eq!(text["page"], "<h1>Hello from page.html</h1>\n");
  assert_eq!(text["type"], "string");
  assert_eq!(
    kiln.get("/data").await.json(),
    json!({
      "arrayBuffer": true,
      "tag": "[object ArrayBuffer]",
      "byteLength": 7,
      "bytes": [0, 1, 2, 127, 128, 254, 255],
    })
  );
  assert_eq!(
    kiln.get("/wasm").await.json(),
    json!({"module": true, "sum": 42, "viaQuery": 0})
  );
  // A dynamic import finds the module the static one made.
  assert_eq!(kiln.get("/dynamic").await.json(), json!({"same": true}));
  assert_eq!(
    kiln.get("/json").await.json(),
    json!({"from": "config.json", "list": [1, 2]})
  );
}

#[tokio::test]
async fn configured_rules_come_first_and_fallthrough_keeps_the_defaults() {
  let kiln = rules();
  let text = kiln.get("/text").await.json();
  assert_eq!(
    text["notes"],
    "# Notes\n\nImported as text by a rule of the worker.\n"
  );
  // The default Text rule still applies, in subdirectories too.
  assert_eq!(text["nested"], "nested text\n");
  assert_eq!(kiln.get("/esm").await.text(), "from helper.esm");
  assert!(
    !kiln.output().contains("does not have a fallback"),
    "{}",
    kiln.output()
  );
}

#[tokio::test]
async fn a_commonjs_rule_runs_the_file_as_commonjs_and_unmatched_files_are_import_errors() {
  let kiln = rules();
  // legacy.cjs sets module.exports, which an ES module gets as its default.
  assert_eq!(kiln.get("/commonjs").await.text(), "CommonJS");
  let unmatched = kiln.get("/unmatched").await.text();
  assert!(
    unmatched.starts_with(&format!(
      "TypeError: Cannot import \"unmatched.xyz\": {UNMATCHED}"
    )),
    "{unmatched}"
  );
}

#[tokio::test]
async fn a_rule_without_fallthrough_drops_the_default_rule_of_its_type() {
  let kiln = Kiln::start(&["rules/no-fallthrough.toml"]);
  let reply = kiln.get("/").await.json();
  assert_eq!(
    reply["notes"],
    "# Notes\n\nImported as text by a rule of the worker.\n"
  );
  let page = reply["page"].as_str().unwrap();
  assert!(
    page.starts_with(&format!(
      "TypeError: Cannot import \"page.html\": {UNMATCHED}"
    )),
    "{page}"
  );
  kiln.wait_for_output(
    "The module rule {\"type\":\"Text\",\"globs\":[\"**/*.md\"]} does not have a fallback, the following rules will be ignored:\n     {\"type\":\"Text\",\"globs\":[\"**/*.txt\",\"**/*.html\",\"**/*.sql\"]} (DEFAULT)",
  );
}

#[test]
fn bad_rules_stop_start_up_with_every_problem() {
  let exit = run_to_exit(
    &workers_dir(),
    &["dev", "rules/bad-rules.toml", "--port", "0"],
  );
  assert_eq!(exit.code, Some(1), "{}", exit.stderr);
  for needle in [
    "Processing rules/bad-rules.toml configuration:",
    "bindings should have a string \"type\" field, which contains one of \"ESModule\", \"CommonJS\", \"CompiledWasm\", \"Text\", or \"Data\".",
    "Expected \"rules[0].globs\" to be an array of strings but got \"**/*.py\"",
    "the field \"fallthrough\", when present, should be a boolean.",
    "Expected \"rules[1].globs.[1]\" to be of type string but got 7.",
  ] {
    assert!(
      exit.stderr.contains(needle),
      "{needle:?} missing from:\n{}",
      exit.stderr
    );
  }
  assert!(!exit.stderr.contains("panicked"), "{}", exit.stderr);
  assert!(!exit.stdout.contains("ready on"), "{}", exit.stdout);
}

/// A dynamic import() whose module graph reaches a module an earlier
/// dynamic import linked, which has imports of its own. QuickJS asks
/// deno_core about that module's imports again; a debug build of kiln
/// aborted the process on it (deno_core's debug assertions, now off:
/// Cargo.toml).
#[tokio::test]
async fn a_dynamic_import_reaching_a_linked_module_with_imports_works() {
  let dir = kiln_tests::workerd::TempDir::new("dynamic-linked");
  let files = [
    (
      "index.js",
      "export default { async fetch() { const { a } = await import(\"./a.js\"); const { c } = await import(\"./c.js\"); return Response.json([a, c]); } };\n",
    ),
    ("a.js", "import { b } from \"./b.js\";\nexport const a = `a+${b}`;\n"),
    ("b.js", "export const b = \"b\";\n"),
    ("c.js", "import { a } from \"./a.js\";\nexport const c = `c+${a}`;\n"),
  ];
  kiln_tests::write_files(dir.path(), &files);
  let kiln = Kiln::start_in(dir.path(), &["index.js", "--no-watch"]);
  assert_eq!(kiln.get("/").await.json(), json!(["a+b", "c+a+b"]));
  assert_eq!(kiln.get("/").await.json(), json!(["a+b", "c+a+b"]));
  kiln.assert_alive();
}
