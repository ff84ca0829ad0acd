//! `kiln wpt`: runs web-platform-tests (testharness.js, `.any.js` files)
//! inside kiln, one `kiln dev` process per test variant, the way WPT's
//! worker wrappers run them: `GLOBAL`, `location`, testharness.js, a report
//! hook, the `META: script=` files (`.sub.` ones, and `?pipe=sub`,
//! substituted), the test, then `done()`. Results come back on the worker's
//! console; a timeout per file is enforced by killing the process. A file
//! that cannot be put together (a META script missing, say) is that file's
//! ERROR, and the run goes on.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{json, Value};

#[derive(Args)]
pub struct WptArgs {
  /// The root of a WPT checkout (or of a tree in WPT form).
  #[arg(long)]
  root: PathBuf,
  /// Test files or folders, relative to the root [default: the whole root].
  paths: Vec<PathBuf>,
  /// Expected results (wpt/README.md): {"file?variant": "SKIP" | {"skip":
  /// why} | {"harness": .., "subtest": "FAIL" | {"status": .., "reason": ..},
  /// ...}}. Without it every subtest is expected to pass.
  #[arg(long)]
  expectations: Option<PathBuf>,
  /// testharness.js to use [default: ROOT/resources/testharness.js].
  #[arg(long)]
  testharness: Option<PathBuf>,
  /// Write the results as JSON here.
  #[arg(long)]
  json: Option<PathBuf>,
  /// Seconds a test file may run (`META: timeout=long` gets six times this).
  #[arg(long, default_value_t = 10)]
  timeout: u64,
}

const STATUS: [&str; 5] = ["PASS", "FAIL", "TIMEOUT", "NOTRUN", "PRECONDITION_FAILED"];
const HARNESS: [&str; 4] = ["OK", "ERROR", "TIMEOUT", "PRECONDITION_FAILED"];

struct Meta {
  scripts: Vec<String>,
  variants: Vec<String>,
  long: bool,
  runnable: bool,
}

fn read_meta(source: &str) -> Meta {
  let mut meta = Meta {
    scripts: Vec::new(),
    variants: Vec::new(),
    long: false,
    runnable: true,
  };
  for line in source.lines() {
    let Some(rest) = line.trim().strip_prefix("// META:") else {
      if !line.trim().is_empty() && !line.trim().starts_with("//") {
        break;
      }
      continue;
    };
    let Some((key, value)) = rest.trim().split_once('=') else {
      continue;
    };
    match key.trim() {
      "script" => meta.scripts.push(value.trim().to_string()),
      "variant" => meta.variants.push(value.trim().to_string()),
      "timeout" => meta.long = value.trim() == "long",
      // A worker-like global runs what workers run.
      "global" => {
        meta.runnable = value.split(',').any(|g| {
          matches!(
            g.trim(),
            "worker" | "dedicatedworker" | "serviceworker" | "shadowrealm"
          )
        })
      }
      _ => {}
    }
  }
  if meta.variants.is_empty() {
    meta.variants.push(String::new());
  }
  meta
}

fn collect(root: &Path, path: &Path, out: &mut Vec<PathBuf>) {
  let full = root.join(path);
  if full.is_dir() {
    let mut entries: Vec<_> = std::fs::read_dir(&full)
      .into_iter()
      .flatten()
      .flatten()
      .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
      collect(root, &path.join(entry.file_name()), out);
    }
  } else if full.to_string_lossy().ends_with(".any.js") {
    out.push(path.to_path_buf());
  }
}

/// The test server's ports, as `.sub.` files name them.
#[derive(Clone, Copy)]
struct Ports {
  ws: u16,
  wss: u16,
}

/// wptserve's `sub` pipe, for the names the tests use: every host is
/// 127.0.0.1, `ws`/`http` are the plain port, `wss`/`https` the TLS one
/// (`h2`, which kiln cannot speak, too).
fn substitute(text: &str, ports: Ports) -> String {
  let (ws, wss) = (ports.ws.to_string(), ports.wss.to_string());
  text
    .replace("{{host}}", "127.0.0.1")
    .replace("{{domains[]}}", "127.0.0.1")
    .replace("{{hosts[alt][www]}}", "127.0.0.1")
    .replace("{{hosts[alt][]}}", "127.0.0.1")
    .replace("{{ports[ws][0]}}", &ws)
    .replace("{{ports[http][0]}}", &ws)
    .replace("{{ports[wss][0]}}", &wss)
    .replace("{{ports[https][0]}}", &wss)
    .replace("{{ports[h2][0]}}", &wss)
}

/// wptserve serves `/resources/WebIDLParser.js` from webidl2's file.
fn script_file(root: &Path, dir: &Path, script: &str) -> PathBuf {
  match script.strip_prefix('/') {
    Some("resources/WebIDLParser.js") => root.join("resources/webidl2/lib/webidl2.js"),
    Some(abs) => root.join(abs),
    None => root.join(dir).join(script),
  }
}

/// After the harness: the assertion each generation of tests uses, for the
/// other generation of testharness.js. `assert_throws(code, fn)` became
/// `assert_throws_dom(name, fn)` and `assert_throws_js(Error, fn)` in 2020.
const ASSERT_THROWS: &str = "\n\
if (typeof assert_throws_dom === 'undefined' && typeof assert_throws === 'function') {\n\
  globalThis.assert_throws_dom = (type, a, b, c) => typeof b === 'function' ? assert_throws(type, b, c) : assert_throws(type, a, b);\n\
  globalThis.assert_throws_js = (ctor, fn, description) => assert_throws({ name: ctor.name }, fn, description);\n\
}\n\
if (typeof assert_throws === 'undefined' && typeof assert_throws_dom === 'function') {\n\
  globalThis.assert_throws = (code, fn, description) => {\n\
    if (typeof code === 'function') return assert_throws_js(code, fn, description);\n\
    const name = code !== null && typeof code === 'object' ? code.name : code;\n\
    if (typeof name === 'string' && /^(Eval|Range|Reference|Type|URI)?Error$/.test(name) && name !== 'SyntaxError') {\n\
      return assert_throws_js(globalThis[name], fn, description);\n\
    }\n\
    return assert_throws_dom(name, fn, description);\n\
  };\n\
}\n";

/// Before the harness: `fetch()` and `Request` take URLs relative to the
/// test's `location`, as in a worker with a base URL (idlharness.js fetches
/// `/interfaces/*.idl`); a Workers global has none.
const RELATIVE_URLS: &str = "{\n\
  const base = () => globalThis.location.href;\n\
  const resolve = (input) => typeof input === 'string' || input instanceof URL ? new URL(input, base()).href : input;\n\
  const fetch = globalThis.fetch, Request = globalThis.Request;\n\
  globalThis.fetch = (input, init) => fetch(resolve(input), init);\n\
  globalThis.Request = class extends Request { constructor(input, init) { super(resolve(input), init); } };\n\
}\n";

/// The classic script a test variant runs as.
fn compose(
  root: &Path,
  test: &Path,
  variant: &str,
  meta: &Meta,
  harness: &str,
  ports: Ports,
) -> Result<String, String> {
  let url_path = format!("/{}", test.to_string_lossy().replace('\\', "/"));
  // A `.https.` file is served over TLS: its page is https, so its
  // constants pick wss.
  let origin = if url_path.contains(".https.") {
    format!("https://127.0.0.1:{}", ports.wss)
  } else {
    format!("http://127.0.0.1:{}", ports.ws)
  };
  let mut out = String::new();
  // testharness.js picks its environment when it loads: without
  // ServiceWorkerGlobalScope it takes the plain one (no clients to post
  // results to). idlharness.js looks for it later, to know what is exposed.
  out.push_str(&format!(
    "const KilnServiceWorkerGlobalScope = globalThis.ServiceWorkerGlobalScope;\n\
     delete globalThis.ServiceWorkerGlobalScope;\n\
     globalThis.GLOBAL = {{ isWindow: () => false, isWorker: () => true, isShadowRealm: () => false }};\n\
     globalThis.location = new URL({:?});\n\
     addEventListener('fetch', (event) => event.respondWith(new Response('kiln wpt')));\n",
    format!("{origin}{url_path}{variant}")
  ));
  out.push_str(RELATIVE_URLS);
  // A testharness.js from before 2020 knows only windows, workers, and (at
  // best) shells without `self`: it is shown a dedicated worker whose
  // messages go nowhere (results come through the callbacks below).
  let shell =
    harness.contains("ShellTestEnvironment") && !harness.contains("!('self' in global_scope)");
  if !shell {
    out.push_str(
      "globalThis.DedicatedWorkerGlobalScope = class { static [Symbol.hasInstance](o) { return o === globalThis; } };\n\
       globalThis.postMessage ??= () => {};\n",
    );
  }
  out.push_str(harness);
  out.push_str("\n;if (KilnServiceWorkerGlobalScope) globalThis.ServiceWorkerGlobalScope = KilnServiceWorkerGlobalScope;\n");
  if !shell {
    out.push_str("delete globalThis.DedicatedWorkerGlobalScope;\n");
  }
  out.push_str(ASSERT_THROWS);
  out.push_str(
    "\n;add_result_callback((t) => console.log('KILN-WPT ' + JSON.stringify({ kind: 'result', name: t.name, status: t.status, message: t.message })));\n\
     add_completion_callback((tests, status) => console.log('KILN-WPT ' + JSON.stringify({ kind: 'done', status: status.status, message: status.message })));\n",
  );
  let dir = test.parent().unwrap_or(Path::new(""));
  for script in &meta.scripts {
    // A query is wptserve's business: `?pipe=sub` asks for substitution.
    let (file, query) = script.split_once('?').unwrap_or((script, ""));
    let path = script_file(root, dir, file);
    let text = std::fs::read_to_string(&path)
      .map_err(|e| format!("META script {script} ({}): {e}", path.display()))?;
    let sub = file.contains(".sub.")
      || query
        .split('&')
        .any(|p| p.starts_with("pipe=") && p.contains("sub"));
    let text = if sub { substitute(&text, ports) } else { text };
    out.push_str(&text);
    out.push_str("\n;\n");
  }
  let source = std::fs::read_to_string(root.join(test)).map_err(|e| e.to_string())?;
  out.push_str(&source);
  out.push_str("\n;done();\n");
  Ok(out)
}

struct Outcome {
  harness: String,
  message: Option<String>,
  subtests: Vec<(String, String, Option<String>)>,
}

fn run_one(script: &Path, timeout: Duration, ca: &Path) -> Outcome {
  let exe = std::env::current_exe().expect("the kiln executable");
  let child = Command::new(exe)
    .env("KILN_EXTRA_CA_CERTS", ca)
    .args([
      "dev",
      &script.to_string_lossy(),
      "--port",
      "0",
      "--compatibility-flags",
      "pedantic_wpt",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn();
  let mut child = match child {
    Ok(c) => c,
    Err(e) => {
      return Outcome {
        harness: "ERROR".into(),
        message: Some(format!("cannot start kiln: {e}")),
        subtests: Vec::new(),
      }
    }
  };
  let (tx, rx) = std::sync::mpsc::channel();
  let stdout = child.stdout.take().unwrap();
  std::thread::spawn(move || {
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
      if let Some(json) = line.split("KILN-WPT ").nth(1) {
        if let Ok(value) = serde_json::from_str::<Value>(json) {
          let _ = tx.send(value);
        }
      }
    }
  });
  let stderr = child.stderr.take().unwrap();
  let errors = std::thread::spawn(move || {
    let mut text = String::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
      text.push_str(&line);
      text.push('\n');
    }
    text
  });
  let deadline = Instant::now() + timeout;
  let mut outcome = Outcome {
    harness: "TIMEOUT".into(),
    message: None,
    subtests: Vec::new(),
  };
  loop {
    let left = deadline.saturating_duration_since(Instant::now());
    match rx.recv_timeout(left) {
      Ok(v) if v["kind"] == "result" => outcome.subtests.push((
        v["name"].as_str().unwrap_or("").to_string(),
        STATUS
          .get(v["status"].as_u64().unwrap_or(1) as usize)
          .unwrap_or(&"FAIL")
          .to_string(),
        v["message"].as_str().map(str::to_string),
      )),
      Ok(v) => {
        outcome.harness = HARNESS
          .get(v["status"].as_u64().unwrap_or(1) as usize)
          .unwrap_or(&"ERROR")
          .to_string();
        outcome.message = v["message"].as_str().map(str::to_string);
        break;
      }
      Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break,
      // Its output ended before the harness's: kiln is gone.
      Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
        outcome.harness = "ERROR".into();
        break;
      }
    }
  }
  let _ = child.kill();
  let _ = child.wait();
  let no_result = outcome.harness == "TIMEOUT" && outcome.subtests.is_empty();
  if no_result || (outcome.harness == "ERROR" && outcome.message.is_none()) {
    let text = errors.join().unwrap_or_default();
    if text.contains("error:") || !no_result {
      outcome.harness = "ERROR".into();
      let first: Vec<_> = text.lines().take(5).collect();
      outcome.message = Some(if first.is_empty() {
        "kiln exited before the tests finished".into()
      } else {
        first.join("\n")
      });
    }
  }
  outcome
}

/// Why an expectation skips a file (`"SKIP"`, or `{"skip": why}`).
fn skip_reason(expected: &Value) -> Option<String> {
  if expected == "SKIP" {
    return Some("expectations".into());
  }
  expected
    .get("skip")
    .and_then(Value::as_str)
    .map(|why| format!("expectations: {why}"))
}

/// A subtest's expected status: `"FAIL"`, or `{"status": "FAIL", "reason":
/// why}`; PASS when not named.
fn expected_status<'a>(expected: &'a Value, name: &str) -> &'a str {
  match expected.get(name) {
    Some(Value::String(status)) => status,
    Some(entry) => entry
      .get("status")
      .and_then(Value::as_str)
      .unwrap_or("PASS"),
    None => "PASS",
  }
}

pub fn run(args: WptArgs) -> Result<(), String> {
  let root = args
    .root
    .canonicalize()
    .map_err(|e| format!("--root {}: {e}", args.root.display()))?;
  let harness_path = args
    .testharness
    .clone()
    .unwrap_or_else(|| root.join("resources/testharness.js"));
  let harness = std::fs::read_to_string(&harness_path)
    .map_err(|e| format!("testharness.js at {}: {e}", harness_path.display()))?;
  let expectations: Value = match &args.expectations {
    Some(p) => serde_json::from_str(
      &std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?,
    )
    .map_err(|e| format!("{}: {e}", p.display()))?,
    None => json!({}),
  };
  let rt = tokio::runtime::Builder::new_multi_thread()
    .worker_threads(1)
    .enable_all()
    .build()
    .map_err(|e| e.to_string())?;
  let server = rt
    .block_on(crate::wpt_server::start(root.clone()))
    .map_err(|e| format!("cannot start the WebSocket test server: {e}"))?;
  let ports = Ports {
    ws: server.ws.port(),
    wss: server.wss.port(),
  };

  let mut files = Vec::new();
  let paths = if args.paths.is_empty() {
    vec![PathBuf::new()]
  } else {
    args.paths.clone()
  };
  for p in &paths {
    collect(&root, p, &mut files);
  }
  let work = std::env::temp_dir().join(format!("kiln-wpt-{}", std::process::id()));
  std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
  // The kiln processes trust the wss: port's certificate.
  let ca = work.join("wss-cert.pem");
  std::fs::write(&ca, &server.cert_pem).map_err(|e| e.to_string())?;

  let mut report = BTreeMap::new();
  let (mut passed, mut total, mut unexpected) = (0, 0, Vec::new());
  for (n, test) in files.iter().enumerate() {
    let source = match std::fs::read_to_string(root.join(test)) {
      Ok(source) => source,
      Err(e) => {
        let id = test.to_string_lossy().into_owned();
        println!("ERROR     {id}: {e}");
        unexpected.push(format!("{id}: harness ERROR (expected OK): {e}"));
        report.insert(
          id,
          json!({"harness": "ERROR", "message": e.to_string(), "subtests": []}),
        );
        continue;
      }
    };
    let meta = read_meta(&source);
    for variant in &meta.variants {
      let id = format!("{}{variant}", test.to_string_lossy());
      let expected = &expectations[&id];
      let skip = if !meta.runnable {
        Some("no worker global in META: global=".to_string())
      } else if variant.contains("h2") {
        Some("WebSockets over HTTP/2 are not supported".to_string())
      } else {
        skip_reason(expected)
      };
      if let Some(why) = skip {
        println!("SKIP      {id} ({why})");
        report.insert(id, json!({"skipped": why}));
        continue;
      }
      let script = work.join(format!("test-{n}.js"));
      let timeout = Duration::from_secs(args.timeout * if meta.long { 6 } else { 1 });
      let outcome = match compose(&root, test, variant, &meta, &harness, ports) {
        Ok(text) => {
          std::fs::write(&script, text).map_err(|e| e.to_string())?;
          run_one(&script, timeout, &ca)
        }
        // This file cannot run; the others still do.
        Err(why) => Outcome {
          harness: "ERROR".into(),
          message: Some(why),
          subtests: Vec::new(),
        },
      };
      let ok = outcome.subtests.iter().filter(|s| s.1 == "PASS").count();
      passed += ok;
      total += outcome.subtests.len();
      println!(
        "{:<9} {id}: {ok}/{} subtests pass{}",
        outcome.harness,
        outcome.subtests.len(),
        match (&outcome.message, outcome.harness.as_str()) {
          (Some(m), "ERROR") => format!(" ({})", m.lines().next().unwrap_or("")),
          _ => String::new(),
        }
      );
      let expected_harness = expected
        .get("harness")
        .and_then(Value::as_str)
        .unwrap_or("OK");
      if outcome.harness != expected_harness {
        unexpected.push(format!(
          "{id}: harness {} (expected {expected_harness}){}",
          outcome.harness,
          outcome
            .message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default()
        ));
      }
      for (name, status, message) in &outcome.subtests {
        let want = expected_status(expected, name);
        if status != want {
          unexpected.push(format!(
            "{id} / {name}: {status} (expected {want}){}",
            message
              .as_deref()
              .map(|m| format!(": {m}"))
              .unwrap_or_default()
          ));
        }
      }
      report.insert(
        id,
        json!({
          "harness": outcome.harness,
          "message": outcome.message,
          "subtests": outcome.subtests.iter().map(|(name, status, message)| json!({"name": name, "status": status, "message": message})).collect::<Vec<_>>(),
        }),
      );
    }
  }
  let _ = std::fs::remove_dir_all(&work);
  println!(
    "\n{passed}/{total} subtests passed in {} files; {} unexpected results",
    files.len(),
    unexpected.len()
  );
  for u in &unexpected {
    println!("UNEXPECTED {u}");
  }
  if let Some(path) = &args.json {
    std::fs::write(path, serde_json::to_string_pretty(&json!(report)).unwrap())
      .map_err(|e| e.to_string())?;
  }
  if unexpected.is_empty() {
    Ok(())
  } else {
    Err(format!("{} unexpected results", unexpected.len()))
  }
}
