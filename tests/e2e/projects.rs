//! Projects as people have them, run unchanged: tests/projects/hono-app is a
//! TypeScript Hono app with npm packages (ESM and CommonJS) installed by
//! `make reference` (`npm ci`), and two local packages linked into its
//! node_modules from outside its folder, as workspaces are. Every route is
//! checked over a real socket; the bad-input cases are projects written
//! into a temporary folder, each of which must fail to start with a message
//! that says what to do, and no panic.

use std::path::PathBuf;

use kiln_tests::workerd::TempDir;
use kiln_tests::wrangler::Wrangler;
use kiln_tests::ws::WsClient;
use kiln_tests::{crash_lines, repo_dir, run_to_exit, write_files, Kiln};
use serde_json::json;

fn hono_app() -> PathBuf {
  let dir = repo_dir().join("tests/projects/hono-app");
  assert!(
    dir.join("node_modules/hono/package.json").exists(),
    "tests/projects/hono-app has no node_modules: run `make reference` (npm ci there)"
  );
  dir
}

/// Its Durable Objects in memory, so that every test starts from nothing.
fn start_hono_app() -> Kiln {
  Kiln::start_in(&hono_app(), &["--no-persist"])
}

#[tokio::test]
async fn a_typescript_hono_app_answers_every_route() {
  let kiln = start_hono_app();
  let home = kiln.get("/").await;
  assert_eq!(home.text(), "hello from hono");
  // The middleware ran around the handler.
  assert_eq!(home.header("x-powered-by"), Some("hono+kiln"));
  // An enum, a parameter property, a type-only import and a tsconfig
  // `paths` alias, all from .ts files.
  assert_eq!(
    kiln.get("/json/sensor").await.json(),
    json!({
      "reading": {"name": "sensor", "level": 10},
      "text": "reading sensor is High",
      "doubled": 42,
    })
  );
  // JSX through tsconfig's jsxImportSource, from a .tsx file imported as
  // "./page.js".
  assert_eq!(
    kiln.get("/page").await.text(),
    "<html><body><h1>Hello, kiln</h1><ul><li>a</li><li>b</li></ul></body></html>"
  );
  let crashes = crash_lines(&kiln.output()).join("\n");
  assert!(crashes.is_empty(), "{crashes}");
}

#[tokio::test]
async fn npm_packages_resolve_as_wranglers_bundler_resolves_them() {
  let kiln = start_hono_app();
  let reply = kiln
    .request(
      "GET",
      "/packages",
      &[("cookie", "flavour=mint; other=1")],
      Vec::<u8>::new(),
    )
    .await
    .json();
  assert_eq!(
    reply,
    json!({
      // cookie 0.7: CommonJS with `exports.parse = ...`, imported by name.
      "cookie": "mint",
      "serialized": "a=b%20c",
      // ms: `module.exports = function`, imported as the default.
      "ms": 172_800_000,
      "msBack": "1m",
      // qs: a tree of twenty CommonJS packages, one of which the browser
      // field of object-inspect maps to nothing.
      "qs": {"a": {"b": "1", "c": "2"}, "list": ["x", "y"]},
      "qsString": "x%5By%5D=z",
      // shared-lib lives outside the project, linked in by npm: its
      // "workerd" condition wins over "node" and "default", its `imports`
      // map "#internal", and its TypeScript export is transpiled.
      "chosen": "workerd",
      "internal": "from #internal",
      "greet": "hello, kiln",
    })
  );
}

#[tokio::test]
async fn commonjs_runs_as_node_and_esbuild_run_it() {
  let kiln = start_hono_app();
  assert_eq!(
    kiln.get("/commonjs").await.json(),
    json!({
      // a requires b, which requires a back and sees a's exports so far.
      "cycle": "a sees b, b saw a",
      "data": 42,
      // An ES module required from CommonJS, as esbuild's __toCommonJS.
      "esm": {
        "named": "named from an ES module",
        "defaultExport": "default from an ES module",
        "esModule": true,
      },
      "serverOnly": true,
      // `__esModule` with a default: an ES module importing it gets that
      // default, as esbuild gives it.
      "interop": "the default of a transpiled module",
      "cryptoMappedAway": true,
      "thisIsExports": true,
      "filename": "undefined",
      // `process.env.NODE_ENV`, defined as wrangler dev defines it.
      "mode": "development",
      // Named imports of a CommonJS module.
      "named": {"cycle": "a sees b, b saw a", "data": 42},
      "dynamicRequire": "Error: Dynamic require of \"./lib/b\" is not supported",
    })
  );
}

/// The same project under `wrangler dev` (esbuild's bundle on workerd):
/// every JSON route answers what kiln answers. This is what the hand-written
/// expectations above are checked against.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_as_under_wrangler_dev() {
  let state = TempDir::new("hono-wrangler");
  let wrangler = Wrangler::start_project(&hono_app(), state.path());
  let kiln = start_hono_app();
  let mut compared = 0;
  for path in [
    "/",
    "/json/sensor",
    "/packages",
    "/commonjs",
    "/page",
    "/counter/x",
    "/node/kiln",
  ] {
    let headers = [("cookie", "flavour=mint")];
    let reference =
      kiln_tests::send(wrangler.addr, "GET", path, &headers, Default::default()).await;
    let ours = kiln.request("GET", path, &headers, Vec::<u8>::new()).await;
    assert_eq!(
      reference.status,
      200,
      "wrangler dev: GET {path}: {}\n{}",
      reference.text(),
      wrangler.output()
    );
    let (mut ours_text, mut reference_text) = (ours.text(), reference.text());
    if path == "/commonjs" {
      // cjs-lib's browser field maps "crypto" to false. Under nodejs_compat
      // wrangler gives the package workerd's node:crypto all the same; kiln
      // does so for the Node.js modules it has, and keeps the empty module
      // for the others (node:crypto among them): docs/projects.md.
      let mut ours_json: serde_json::Value = serde_json::from_str(&ours_text).unwrap();
      let mut reference_json: serde_json::Value = serde_json::from_str(&reference_text).unwrap();
      assert_eq!(ours_json["cryptoMappedAway"], true);
      assert_eq!(reference_json["cryptoMappedAway"], false);
      ours_json["cryptoMappedAway"] = serde_json::Value::Null;
      reference_json["cryptoMappedAway"] = serde_json::Value::Null;
      (ours_text, reference_text) = (ours_json.to_string(), reference_json.to_string());
    }
    assert_eq!(
      (ours.status, ours_text),
      (reference.status, reference_text),
      "GET {path}: kiln, then wrangler dev"
    );
    assert_eq!(
      ours.header("x-powered-by"),
      reference.header("x-powered-by")
    );
    compared += 1;
  }
  assert_eq!(compared, 7);
}

/// Hono's context storage (AsyncLocalStorage) keeps each request's context
/// across awaits while requests interleave; a CommonJS package (iconv-lite)
/// gets node:buffer and node:string_decoder from its require()s, and a
/// bare "events" import is node:events under nodejs_compat_v2.
#[tokio::test]
async fn node_modules_serve_npm_packages_and_async_local_storage_per_request() {
  let kiln = start_hono_app();
  // The route holds each request until all three are in flight, then the
  // shorter the name, the longer it waits.
  let names = ["a", "bb", "ccc"];
  let (a, b, c) = tokio::join!(
    kiln.get("/node/a?together=3"),
    kiln.get("/node/bb?together=3"),
    kiln.get("/node/ccc?together=3")
  );
  for (name, reply) in names.iter().zip([a, b, c]) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["name"], *name);
    assert_eq!(
      body["overlapped"], true,
      "the three requests never were in flight together"
    );
    assert_eq!(body["nameAfterAwaits"], *name, "{body}");
    assert_eq!(body["decoded"], "Привет");
    assert_eq!(body["streamed"], "Привет");
    assert_eq!(body["encoded"], "8075726f");
    assert_eq!(body["base64url"], "a2lsbj8-");
    assert_eq!(body["heard"], serde_json::json!(["heard"]));
    assert_eq!(body["joined"], "/a/c");
    assert_eq!(
      body["formatted"],
      "list has 2 items: [ 'x', 'y', [length]: 2 ]"
    );
    assert_eq!(
      body["globals"],
      serde_json::json!(["function", "object", "function"])
    );
  }
  kiln.assert_alive();
}

#[tokio::test]
async fn a_durable_object_written_in_typescript_counts_per_name() {
  let kiln = start_hono_app();
  for (path, count) in [("/counter/a", 2), ("/counter/a", 4), ("/counter/b", 2)] {
    assert_eq!(
      kiln.get(path).await.json(),
      json!({ "count": count }),
      "{path}"
    );
  }
}

#[tokio::test]
async fn the_websocket_route_of_a_hono_app_echoes() {
  let kiln = start_hono_app();
  let mut client = WsClient::connect(kiln.addr, "/ws").await;
  for text in ["one", "two"] {
    client.send_text(text).await;
    let message = client.read_message(None).await.expect("an echo");
    assert_eq!(
      String::from_utf8(message.data).unwrap(),
      format!("echo: {text}")
    );
  }
}

#[tokio::test]
async fn an_uncaught_error_points_at_the_typescript_line() {
  let kiln = start_hono_app();
  let source = std::fs::read_to_string(hono_app().join("src/index.ts")).unwrap();
  // The frame is where the Error was made: its `new`.
  let (line, column) = position_of(&source, "new Error(`thrown in");
  assert_eq!(kiln.get("/throw").await.status, 500);
  let want = format!(
    "at throwFromTypeScript (file://{}:{line}:{column})",
    hono_app().join("src/index.ts").display()
  );
  kiln
    .output_within(&want, std::time::Duration::from_secs(10))
    .unwrap_or_else(|out| panic!("no frame {want}:\n{out}"));
}

/// 1-based line and column of the first occurrence of `needle`.
fn position_of(source: &str, needle: &str) -> (usize, usize) {
  let offset = source.find(needle).expect("the needle is in the source");
  let before = &source[..offset];
  let line = before.matches('\n').count() + 1;
  let column = offset - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
  (line, column)
}

/// Writes `files` into a new folder and runs `kiln dev index.ts` there; it
/// must exit with an error and no panic. Returns what it printed.
fn start_up_error(tag: &str, files: &[(&str, &str)]) -> String {
  let dir = TempDir::new(tag);
  write_files(dir.path(), files);
  let exit = run_to_exit(dir.path(), &["dev", "index.ts", "--port", "0"]);
  let out = format!("{}{}", exit.stdout, exit.stderr);
  assert_eq!(exit.code, Some(1), "kiln must fail to start:\n{out}");
  assert!(crash_lines(&out).is_empty(), "{out}");
  out.replace(&format!("{}/", dir.path().display()), "")
}

const HANDLER: &str = "export default { fetch() { return new Response(\"ok\"); } };\n";

#[test]
fn a_syntax_error_in_typescript_names_the_line_and_column() {
  let out = start_up_error(
    "ts-syntax",
    &[(
      "index.ts",
      &format!("const a: number = 1;\nconst b = (a: ) => 2;\n{HANDLER}"),
    )],
  );
  assert!(out.contains("index.ts:2:15: Unexpected token `)`"), "{out}");
  assert!(
    out.contains("    2 | const b = (a: ) => 2;\n      |               ^"),
    "{out}"
  );
}

#[test]
fn a_missing_package_names_it_and_where_it_was_looked_for() {
  let out = start_up_error(
    "no-package",
    &[(
      "index.ts",
      &format!("import {{ Hono }} from \"hono\";\nvoid Hono;\n{HANDLER}"),
    )],
  );
  assert!(
    out.contains("Could not resolve \"hono\" (imported by index.ts): no package \"hono\" in node_modules (looked in node_modules, "),
    "{out}"
  );
  assert!(out.contains("Install it with `npm install hono`."), "{out}");
}

#[test]
fn a_package_without_an_entry_for_workers_says_which_conditions_were_tried() {
  let out = start_up_error(
    "no-entry",
    &[
      (
        "node_modules/node-only/package.json",
        r#"{"name": "node-only", "exports": {".": {"node": "./n.js"}}}"#,
      ),
      ("node_modules/node-only/n.js", "export const x = 1;\n"),
      (
        "index.ts",
        &format!("import {{ x }} from \"node-only\";\nvoid x;\n{HANDLER}"),
      ),
    ],
  );
  assert!(
    out.contains("Could not resolve \"node-only\" (imported by index.ts): the \"exports\" of package \"node-only\" have no entry for this path under the conditions workerd, worker, browser, import, default."),
    "{out}"
  );
}

#[test]
fn an_import_cycle_that_reads_too_early_is_named() {
  let out = start_up_error(
    "cycle",
    &[
      (
        "index.ts",
        &format!("import {{ b }} from \"./b\";\nexport const a: number = 1;\nvoid b;\n{HANDLER}"),
      ),
      (
        "b.ts",
        "import { a } from \"./index\";\nexport const b: number = a + 1;\n",
      ),
    ],
  );
  assert!(
    out.contains("ReferenceError: a is not initialized\n    at b.ts:2:26"),
    "{out}"
  );
  assert!(
    out.contains("These modules import each other, so one of them runs before a binding it reads was set: b.ts -> index.ts -> b.ts."),
    "{out}"
  );
}

#[test]
fn a_type_exported_as_a_value_gets_a_hint() {
  let out = start_up_error(
    "type-export",
    &[
      (
        "types.ts",
        "export interface Thing { a: number }\nexport const real = 1;\n",
      ),
      (
        "index.ts",
        &format!("export {{ Thing, real }} from \"./types\";\n{HANDLER}"),
      ),
    ],
  );
  assert!(
    out.contains("The requested module './types' does not provide an export named 'Thing'"),
    "{out}"
  );
  assert!(out.contains("import or export it with `type`"), "{out}");
}

#[test]
fn a_package_cannot_read_files_outside_the_project() {
  let dir = TempDir::new("outside");
  write_files(
    dir.path(),
    &[
      ("secret.json", "{\"password\": \"hunter2\"}\n"),
      (
        "project/node_modules/sneaky/package.json",
        r#"{"name": "sneaky", "main": "index.js"}"#,
      ),
      (
        "project/node_modules/sneaky/index.js",
        "module.exports = require(\"../../../secret.json\");\n",
      ),
      (
        "project/index.ts",
        &format!("import secret from \"sneaky\";\nconsole.log(secret);\n{HANDLER}"),
      ),
    ],
  );
  let exit = run_to_exit(
    &dir.path().join("project"),
    &["dev", "index.ts", "--port", "0"],
  );
  let out = format!("{}{}", exit.stdout, exit.stderr);
  assert_eq!(exit.code, Some(1), "{out}");
  assert!(
    out.contains("is outside the worker's folder and its packages"),
    "{out}"
  );
  assert!(!out.contains("hunter2"), "{out}");
  assert!(crash_lines(&out).is_empty(), "{out}");
}

#[tokio::test]
async fn a_type_only_import_and_an_import_cycle_that_reads_late_both_run() {
  let dir = TempDir::new("fine");
  write_files(
    dir.path(),
    &[
      ("types.d.ts", "export interface Thing { a: number }\n"),
      // With a byte-order mark, which is dropped.
      ("other.ts", "\u{feff}import { value } from \"./index\";\nexport const later = () => value * 2;\n"),
      (
        "index.ts",
        "import { Thing } from \"./types\";\nimport { later } from \"./other\";\nexport const value: number = 21;\nconst t: Thing = { a: 1 };\nexport default { fetch() { return new Response(String(later() + t.a)); } };\n",
      ),
    ],
  );
  let kiln = Kiln::start_in(dir.path(), &["index.ts"]);
  assert_eq!(kiln.get("/").await.text(), "43");
}
