//! `kiln wpt`: runs web-platform-tests (testharness.js, `.any.js` files)
//! inside kiln, one `kiln dev` process per test variant, the way WPT's
//! worker wrappers run them: `GLOBAL`, `location`, testharness.js, a report
//! hook, the `META: script=` files (`.sub.` ones substituted), the test, then
//! `done()`. Results come back on the worker's console; a timeout per file is
//! enforced by killing the process.

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
  /// Expected results: {"file?variant": "SKIP" | {"subtest": "FAIL", ...}}.
  /// Without it every subtest is expected to pass.
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

fn substitute(text: &str, ws_port: u16) -> String {
  text
    .replace("{{host}}", "127.0.0.1")
    .replace("{{domains[]}}", "127.0.0.1")
    .replace("{{ports[ws][0]}}", &ws_port.to_string())
    .replace("{{ports[wss][0]}}", &ws_port.to_string())
    .replace("{{ports[http][0]}}", &ws_port.to_string())
    .replace("{{ports[h2][0]}}", &ws_port.to_string())
}

/// The classic script a test variant runs as.
fn compose(
  root: &Path,
  test: &Path,
  variant: &str,
  meta: &Meta,
  harness: &str,
  ws_port: u16,
) -> Result<String, String> {
  let url_path = format!("/{}", test.to_string_lossy().replace('\\', "/"));
  let mut out = String::new();
  out.push_str(&format!(
    "delete globalThis.ServiceWorkerGlobalScope;\n\
     globalThis.GLOBAL = {{ isWindow: () => false, isWorker: () => true, isShadowRealm: () => false }};\n\
     globalThis.location = new URL({:?});\n\
     addEventListener('fetch', (event) => event.respondWith(new Response('kiln wpt')));\n",
    format!("http://127.0.0.1:{ws_port}{url_path}{variant}")
  ));
  out.push_str(harness);
  out.push_str(
    "\n;add_result_callback((t) => console.log('KILN-WPT ' + JSON.stringify({ kind: 'result', name: t.name, status: t.status, message: t.message })));\n\
     add_completion_callback((tests, status) => console.log('KILN-WPT ' + JSON.stringify({ kind: 'done', status: status.status, message: status.message })));\n",
  );
  let dir = test.parent().unwrap_or(Path::new(""));
  for script in &meta.scripts {
    let path = match script.strip_prefix('/') {
      Some(abs) => root.join(abs),
      None => root.join(dir).join(script),
    };
    let text =
      std::fs::read_to_string(&path).map_err(|e| format!("META script {}: {e}", path.display()))?;
    let text = if script.contains(".sub.") {
      substitute(&text, ws_port)
    } else {
      text
    };
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

fn run_one(script: &Path, timeout: Duration) -> Outcome {
  let exe = std::env::current_exe().expect("the kiln executable");
  let child = Command::new(exe)
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
      Err(_) => break,
    }
  }
  let _ = child.kill();
  let _ = child.wait();
  if outcome.harness == "TIMEOUT" && outcome.subtests.is_empty() {
    let text = errors.join().unwrap_or_default();
    if text.contains("error:") {
      outcome.harness = "ERROR".into();
      outcome.message = Some(text.lines().take(5).collect::<Vec<_>>().join("\n"));
    }
  }
  outcome
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
    .block_on(crate::wpt_server::start())
    .map_err(|e| format!("cannot start the WebSocket test server: {e}"))?;

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

  let mut report = BTreeMap::new();
  let (mut passed, mut total, mut unexpected) = (0, 0, Vec::new());
  for (n, test) in files.iter().enumerate() {
    let source = std::fs::read_to_string(root.join(test)).map_err(|e| e.to_string())?;
    let meta = read_meta(&source);
    for variant in &meta.variants {
      let id = format!("{}{variant}", test.to_string_lossy());
      let expected = &expectations[&id];
      if !meta.runnable || expected == "SKIP" || variant.contains("wss") || variant.contains("h2") {
        println!("SKIP      {id}");
        report.insert(id, json!({"skipped": true}));
        continue;
      }
      let script = work.join(format!("test-{n}.js"));
      let text = compose(&root, test, variant, &meta, &harness, server.port())?;
      std::fs::write(&script, text).map_err(|e| e.to_string())?;
      let timeout = Duration::from_secs(args.timeout * if meta.long { 6 } else { 1 });
      let outcome = run_one(&script, timeout);
      let ok = outcome.subtests.iter().filter(|s| s.1 == "PASS").count();
      passed += ok;
      total += outcome.subtests.len();
      println!(
        "{:<9} {id}: {ok}/{} subtests pass",
        outcome.harness,
        outcome.subtests.len()
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
        let want = expected.get(name).and_then(Value::as_str).unwrap_or("PASS");
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
