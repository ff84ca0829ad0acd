//! Node.js modules (`nodejs_compat`): every case of
//! tests/workers/node/worker.js runs on workerd (npm `workerd`) and on kiln
//! and must answer the same; which modules and globals each flag gives; the
//! errors for a module without its flag and for one kiln does not provide.
//! A real npm project using them (Hono's context storage, iconv-lite) is in
//! tests/e2e/projects.rs.

use std::path::Path;

use kiln_tests::workerd::{TempDir, Workerd, WorkerdConfig};
use kiln_tests::{crash_lines, run_to_exit, send, workers_dir, write_files, Kiln};
use serde_json::{json, Value};

/// Cases whose answers differ, why, and what kiln answers instead (which
/// the test checks, with workerd's answer being different).
fn known_differences() -> Vec<(&'static str, &'static str, Value)> {
  vec![
    (
      "assert_message_text",
      "an AssertionError's generated message: Workers word it as Node 24 does (a diff), kiln as the npm package `assert` does (Node 20's wording)",
      json!({"throws": "AssertionError [ERR_ASSERTION]", "message": "Expected values to be strictly equal:\n\n1 !== 2\n"}),
    ),
    (
      "process_get_builtin_module",
      "process.getBuiltinModule() returns a module at once; kiln loads node: modules as ES modules when they are imported, so it leaves the function out",
      json!({"value": "undefined"}),
    ),
  ]
}

async fn answers(addr: std::net::SocketAddr, path: &str) -> Value {
  let reply = send(addr, "GET", path, &[], Default::default()).await;
  assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
  reply.json()
}

#[tokio::test]
async fn every_case_answers_as_on_workerd() {
  let config = WorkerdConfig::from_wrangler_toml(&workers_dir().join("node/wrangler.toml"));
  let workerd = Workerd::start(&config, None);
  let kiln = Kiln::start(&["-c", "node/wrangler.toml"]);
  let reference = answers(workerd.addr, "/").await;
  let ours = answers(kiln.addrs[0], "/").await;

  // The reference shows what the suite exists for before anything is
  // compared: Node's modules, working, under this flag.
  let cases = reference.as_object().expect("an object of cases");
  assert!(cases.len() >= 85, "{} cases", cases.len());
  assert_eq!(reference["als_across_await"], json!({"value": 7}));
  assert_eq!(reference["buffer_base64url"], json!({"value": "-_-_"}));
  assert_eq!(
    reference["process_env_vars"],
    json!({"value": ["hello", null]})
  );
  assert_eq!(
    reference["stream_transform_pipeline"],
    json!({"value": "XY"})
  );
  assert_eq!(
    reference["events_error_unhandled"]["throws"],
    json!("Error"),
    "{}",
    reference["events_error_unhandled"]
  );

  let known = known_differences();
  let mut differ = Vec::new();
  for (name, expected) in cases {
    let got = &ours[name];
    let same = match known.iter().find(|(k, _, _)| k == name) {
      Some((_, _, ours_expected)) => got == ours_expected && expected != ours_expected,
      None => got == expected,
    };
    if !same {
      differ.push(format!("{name}:\n  workerd: {expected}\n  kiln:    {got}"));
    }
  }
  assert!(
    differ.is_empty(),
    "{} case(s) differ:\n{}",
    differ.len(),
    differ.join("\n")
  );

  kiln.assert_alive();
  assert!(crash_lines(&kiln.output()).is_empty(), "{}", kiln.output());
}

/// A worker in a new folder with this wrangler.toml, index.js and any
/// further files.
fn project(tag: &str, toml: &str, script: &str, more: &[(&str, &str)]) -> TempDir {
  let dir = TempDir::new(tag);
  write_files(dir.path(), &[("wrangler.toml", toml), ("index.js", script)]);
  write_files(dir.path(), more);
  dir
}

fn toml(date: &str, flags: &[&str]) -> String {
  let flags: Vec<String> = flags.iter().map(|f| format!("\"{f}\"")).collect();
  format!(
    "name = \"w\"\nmain = \"index.js\"\ncompatibility_date = \"{date}\"\ncompatibility_flags = [{}]\n[vars]\nGREETING = \"hi\"\n",
    flags.join(", ")
  )
}

/// What `kiln dev` printed when it refused to start in `dir`.
fn start_up_error(dir: &Path) -> String {
  let exit = run_to_exit(dir, &["dev", "--port", "0", "--no-watch"]);
  let out = format!("{}{}", exit.stdout, exit.stderr);
  assert_eq!(exit.code, Some(1), "kiln must fail to start:\n{out}");
  assert!(crash_lines(&out).is_empty(), "{out}");
  out.replace(&format!("{}/", dir.display()), "")
}

const PROBE: &str = r#"
export default {
  async fetch() {
    const { AsyncLocalStorage } = await import("node:async_hooks");
    let events = "refused";
    try {
      await import("node:events");
      events = "imported";
    } catch (e) {
      events = `refused: ${e.message}`;
    }
    return Response.json({
      als: typeof AsyncLocalStorage,
      events,
      Buffer: typeof globalThis.Buffer,
      process: typeof globalThis.process,
      env: globalThis.process?.env ?? null,
    });
  },
};
"#;

#[tokio::test]
async fn the_flags_decide_the_modules_and_globals() {
  // nodejs_als alone: node:async_hooks and nothing else.
  let dir = project("node-als", &toml("2026-05-01", &["nodejs_als"]), PROBE, &[]);
  let kiln = Kiln::start_in(dir.path(), &["--no-watch"]);
  let body = kiln.get("/").await.json();
  assert_eq!(body["als"], "function");
  let events = body["events"].as_str().unwrap();
  assert!(
    events.starts_with("refused: No such module \"node:events\"")
      && events.contains("nodejs_compat"),
    "{events}"
  );
  assert_eq!(body["Buffer"], "undefined");
  drop(kiln);

  // nodejs_compat before 2024-09-23 (no nodejs_compat_v2): the modules, but
  // no globals.
  let dir = project(
    "node-v1",
    &toml("2024-09-01", &["nodejs_compat"]),
    PROBE,
    &[],
  );
  let kiln = Kiln::start_in(dir.path(), &["--no-watch"]);
  let body = kiln.get("/").await.json();
  assert_eq!(body["events"], "imported");
  assert_eq!(
    (body["Buffer"].as_str(), body["process"].as_str()),
    (Some("undefined"), Some("undefined"))
  );
  drop(kiln);

  // From 2025-04-01 process.env holds the worker's text bindings; before,
  // it is empty.
  for (date, env) in [
    ("2026-05-01", json!({"GREETING": "hi"})),
    ("2025-03-01", json!({})),
  ] {
    let dir = project("node-v2", &toml(date, &["nodejs_compat"]), PROBE, &[]);
    let kiln = Kiln::start_in(dir.path(), &["--no-watch"]);
    let body = kiln.get("/").await.json();
    assert_eq!(
      (body["Buffer"].as_str(), body["process"].as_str()),
      (Some("function"), Some("object")),
      "{date}"
    );
    assert_eq!(body["env"], env, "{date}");
  }
}

#[test]
fn a_node_module_needs_its_flag_and_kiln_names_the_modules_it_has() {
  let dir = project(
    "node-noflag",
    &toml("2026-05-01", &[]),
    "import { Buffer } from \"node:buffer\";\nexport default { fetch() { return new Response(Buffer.from(\"x\")); } };\n",
    &[],
  );
  let out = start_up_error(dir.path());
  assert!(
    out.contains("No such module \"node:buffer\" (imported by index.js). Node.js modules need the nodejs_compat compatibility flag"),
    "{out}"
  );

  let dir = project(
    "node-missing",
    &toml("2026-05-01", &["nodejs_compat"]),
    "import { createHash } from \"node:crypto\";\nexport default { fetch() { return new Response(createHash); } };\n",
    &[],
  );
  let out = start_up_error(dir.path());
  assert!(
    out.contains("No such module \"node:crypto\" (imported by index.js). kiln does not provide this Node.js module yet; it provides node:assert,"),
    "{out}"
  );

  // A bare name is node:'s only from nodejs_compat_v2 on.
  let dir = project(
    "node-bare",
    &toml("2024-09-01", &["nodejs_compat"]),
    "import EventEmitter from \"events\";\nexport default { fetch() { return new Response(typeof EventEmitter); } };\n",
    &[],
  );
  let out = start_up_error(dir.path());
  assert!(out.contains("Import it as \"node:events\""), "{out}");
}

#[test]
fn kilns_own_building_blocks_cannot_be_imported() {
  let dir = project(
    "node-internal",
    &toml("2026-05-01", &["nodejs_compat"]),
    "import internals from \"kiln:node-internals\";\nexport default { fetch() { return new Response(typeof internals); } };\n",
    &[],
  );
  let out = start_up_error(dir.path());
  assert!(
    out.contains("Cannot import \"kiln:node-internals\" (imported by index.js): it is internal to kiln's node: modules."),
    "{out}"
  );
}

/// Under nodejs_compat_v2 a bare built-in name is the built-in even where
/// node_modules has a package of that name, as wrangler's build sends it
/// to workerd; "events/" still means the package.
#[tokio::test]
async fn a_bare_built_in_name_is_the_built_in_before_node_modules() {
  let dir = project(
    "node-bare-first",
    &toml("2026-05-01", &["nodejs_compat"]),
    "import events from \"events\";\nimport npm from \"events/\";\nexport default { fetch() { return Response.json([typeof events, npm]); } };\n",
    &[
      (
        "node_modules/events/package.json",
        "{\"name\": \"events\", \"main\": \"index.js\"}",
      ),
      (
        "node_modules/events/index.js",
        "module.exports = \"the npm package\";\n",
      ),
    ],
  );
  let kiln = Kiln::start_in(dir.path(), &["--no-watch"]);
  assert_eq!(
    kiln.get("/").await.json(),
    json!(["function", "the npm package"])
  );
}

/// Before nodejs_compat_v2, a CommonJS require() of a bare built-in name
/// throws when it runs, saying to use the node: name.
#[tokio::test]
async fn a_bare_require_before_v2_throws_with_the_node_name() {
  let dir = project(
    "node-bare-v1",
    &toml("2024-09-01", &["nodejs_compat"]),
    "import lib from \"./lib.cjs\";\nexport default { fetch() { return new Response(lib()); } };\n",
    &[(
      "lib.cjs",
      "module.exports = () => { try { require(\"events\"); return \"loaded\"; } catch (e) { return e.message; } };\n",
    )],
  );
  let kiln = Kiln::start_in(dir.path(), &["--no-watch"]);
  let text = kiln.get("/").await.text();
  assert!(text.contains("Import it as \"node:events\""), "{text}");
}

/// require() of a Node.js module from CommonJS gives its default export, as
/// wrangler's bundle gives workerd's: EventEmitter itself for "events".
#[tokio::test]
async fn commonjs_requires_get_the_default_export() {
  let dir = project(
    "node-cjs",
    &toml("2026-05-01", &["nodejs_compat"]),
    "import lib from \"./lib.cjs\";\nexport default { fetch() { return Response.json(lib); } };\n",
    &[(
      "lib.cjs",
      "const EventEmitter = require(\"events\");\nconst { Buffer } = require(\"node:buffer\");\nconst util = require(\"util\");\n\
     function Child() { EventEmitter.call(this); }\nutil.inherits(Child, EventEmitter);\nconst c = new Child();\nlet got = null;\nc.on(\"x\", (v) => { got = v; });\nc.emit(\"x\", Buffer.from(\"6869\", \"hex\").toString());\n\
     module.exports = { got, isEmitter: c instanceof EventEmitter, sameClass: EventEmitter === require(\"node:events\").EventEmitter };\n",
    )],
  );
  let kiln = Kiln::start_in(dir.path(), &["--no-watch"]);
  assert_eq!(
    kiln.get("/").await.json(),
    json!({"got": "hi", "isEmitter": true, "sameClass": true})
  );
}
