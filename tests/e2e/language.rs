//! The language suite: every case of tests/workers/language/cases.js (Intl,
//! Date, strings, RegExp, error messages, structuredClone, typed arrays,
//! newer built-ins) runs on workerd (npm `workerd`, V8 with ICU) and on kiln,
//! and must answer the same unless docs/engine-differences.md lists it. A
//! listed case that answers the same fails too, so that the document stays
//! true.
//!
//! kiln answers twice: once compiling the worker, once reading it back from
//! v8x's bytecode cache (as every start but the first does), since the two
//! have been seen to differ. Both sides run with TZ=UTC, which the cases
//! that use the host's time zone assume.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use kiln_tests::workerd::{TempDir, Workerd, WorkerdConfig};
use kiln_tests::{kiln_bin, repo_dir, try_send_within, workers_dir, Kiln};
use serde_json::Value;

/// Fewer cases than this means cases.js (or the scan of it) lost some.
const MIN_CASES: usize = 300;

/// The whole suite takes well under a second on either side; a runtime
/// stuck in a case must fail the test, not hold it.
const ANSWER_WITHIN: Duration = Duration::from_secs(15);

const DOC: &str = "docs/engine-differences.md";

/// The case groups, the first part of every id.
const GROUPS: [&str; 8] = [
  "intl", "date", "string", "regexp", "error", "clone", "typed", "lang",
];

/// The ids cases.js defines, in order: every entry begins a line with
/// `["group.name", `.
fn case_ids(source: &str) -> Vec<String> {
  source
    .lines()
    .filter_map(|line| line.trim_start().strip_prefix("[\""))
    .filter_map(|rest| rest.split_once('"').map(|(id, _)| id))
    .filter(|id| {
      id.split_once('.')
        .is_some_and(|(group, _)| GROUPS.contains(&group))
    })
    .map(str::to_string)
    .collect()
}

/// The ids in the first column of the rows (`` | `id` | ``) of the
/// document's table of cases, the one headed `| case |`.
fn listed_ids(doc: &str) -> Vec<String> {
  doc
    .lines()
    .skip_while(|line| !line.starts_with("| case |"))
    .take_while(|line| line.starts_with('|'))
    .filter_map(|line| line.strip_prefix("| `"))
    .filter_map(|rest| rest.split_once('`').map(|(id, _)| id.to_string()))
    .collect()
}

/// Every case's `{type, value}` by id, as one runtime answers GET /.
async fn answers(
  who: &str,
  addr: SocketAddr,
  output: impl Fn() -> String,
) -> BTreeMap<String, Value> {
  let reply = try_send_within(ANSWER_WITHIN, addr, "GET", "/", &[], Default::default())
    .await
    .unwrap_or_else(|why| {
      panic!(
        "{who} did not answer the suite: {why}; it printed:\n{}",
        output()
      )
    });
  assert_eq!(reply.status, 200, "{who}: {}\n{}", reply.text(), output());
  let list = reply.json();
  let list = list
    .as_array()
    .unwrap_or_else(|| panic!("{who}: not a list: {}", reply.text()));
  let mut by_id = BTreeMap::new();
  for entry in list {
    let id = entry["id"]
      .as_str()
      .unwrap_or_else(|| panic!("{who}: an answer without an id: {entry}"));
    let answer = serde_json::json!({"type": entry["type"], "value": entry["value"]});
    assert!(
      by_id.insert(id.to_string(), answer).is_none(),
      "{who} answered {id} twice"
    );
  }
  by_id
}

/// kiln's answers, with v8x's bytecode cache in `cache`.
async fn kiln_answers(cache: &TempDir) -> BTreeMap<String, Value> {
  let mut command = Command::new(kiln_bin());
  command
    .args([
      "dev",
      "-c",
      "language/wrangler.toml",
      "--no-watch",
      "--quiet",
    ])
    .args(["--port", "0"])
    .current_dir(workers_dir())
    .env("RUST_BACKTRACE", "0")
    .env("TZ", "UTC")
    .env("XDG_CACHE_HOME", cache.path())
    // The second start must read the cache the first wrote.
    .env_remove("V82JSC_NO_BC_CACHE");
  let kiln = Kiln::spawn(command, 1);
  let answers = answers("kiln", kiln.addr, || kiln.output()).await;
  kiln.assert_alive();
  answers
}

fn short(answer: &Value) -> String {
  let text = answer.to_string();
  match text.char_indices().nth(400) {
    Some((cut, _)) => format!("{}…", &text[..cut]),
    None => text,
  }
}

#[tokio::test]
async fn every_case_answers_as_on_workerd_or_is_listed() {
  // workerd takes the host's time zone from TZ, and the shared launcher
  // passes on this process's environment.
  std::env::set_var("TZ", "UTC");

  let dir = workers_dir().join("language");
  let source = std::fs::read_to_string(dir.join("cases.js")).expect("read cases.js");
  let ids = case_ids(&source);
  let unique: BTreeSet<&String> = ids.iter().collect();
  assert_eq!(unique.len(), ids.len(), "cases.js repeats an id");
  assert!(ids.len() >= MIN_CASES, "cases.js holds {} cases", ids.len());

  let mut config = WorkerdConfig::from_wrangler_toml(&dir.join("wrangler.toml"));
  // Not diff.mjs, which is a Node script beside them.
  config.modules = vec!["cases.js".into(), "hazards.js".into()];
  let workerd = Workerd::start(&config, None);
  let reference = answers("workerd", workerd.addr, || workerd.output()).await;
  workerd.kill();

  let cache = TempDir::new("language-bytecode");
  let compiled = kiln_answers(&cache).await;
  let cached = kiln_answers(&cache).await;

  let mut problems = Vec::new();
  for (who, answered) in [
    ("workerd", &reference),
    ("kiln", &compiled),
    ("kiln (cached)", &cached),
  ] {
    let missing: Vec<&String> = ids
      .iter()
      .filter(|id| !answered.contains_key(*id))
      .collect();
    let unknown: Vec<&String> = answered.keys().filter(|id| !unique.contains(id)).collect();
    if !missing.is_empty() || !unknown.is_empty() {
      problems.push(format!(
        "{who} answered {} cases; missing: {missing:?}; not in cases.js: {unknown:?}",
        answered.len()
      ));
    }
  }

  let doc = std::fs::read_to_string(repo_dir().join(DOC)).expect("read the document");
  let listed = listed_ids(&doc);
  let listed_set: BTreeSet<&String> = listed.iter().collect();
  if listed_set.len() != listed.len() {
    problems.push(format!("{DOC} lists a case twice"));
  }

  let mut unlisted = Vec::new();
  let mut stale = Vec::new();
  for id in &ids {
    let (Some(theirs), Some(ours), Some(ours_cached)) =
      (reference.get(id), compiled.get(id), cached.get(id))
    else {
      continue;
    };
    let differs = ours != theirs || ours_cached != theirs;
    match (differs, listed_set.contains(id)) {
      (true, false) => {
        let kiln = if ours == ours_cached {
          format!("  kiln:    {}", short(ours))
        } else {
          format!(
            "  kiln:    {} (compiled)\n           {} (from the bytecode cache)",
            short(ours),
            short(ours_cached)
          )
        };
        unlisted.push(format!("{id}\n  workerd: {}\n{kiln}", short(theirs)));
      }
      (false, true) => stale.push(format!("{id}: both answer {}", short(theirs))),
      _ => {}
    }
  }
  let gone: Vec<&String> = listed.iter().filter(|id| !unique.contains(id)).collect();
  if !gone.is_empty() {
    problems.push(format!(
      "{DOC} lists cases that cases.js does not hold: {gone:?}"
    ));
  }
  if !unlisted.is_empty() {
    problems.push(format!(
      "{} case(s) differ from workerd and are not in {DOC} (tests/workers/language/diff.mjs prints them as table rows):\n{}",
      unlisted.len(),
      unlisted.join("\n")
    ));
  }
  if !stale.is_empty() {
    problems.push(format!(
      "{} case(s) in {DOC} now answer as on workerd; take them out of it:\n{}",
      stale.len(),
      stale.join("\n")
    ));
  }
  println!(
    "{} cases, {} listed as different in {DOC}",
    ids.len(),
    listed.len()
  );
  assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn the_scans_find_the_ids() {
  let source = r#"
const entries = [
  ["intl.dtf.medium-utc", () => dtf("en-US", {})],
  ["lang.multi-line", () =>
    ["ceil", "floor"].map((x) => x)],
    ["not.a-group", () => 1],
];
"#;
  assert_eq!(case_ids(source), ["intl.dtf.medium-utc", "lang.multi-line"]);
  let doc = "| group | cases |\n|---|---|\n| `intl` | 281 |\n\n\
             | case | workerd | kiln | reason |\n|---|---|---|---|\n\
             | `error.tdz` | `a \\| b` | `c` | QuickJS wording |\n\
             text mentioning `lang.temporal` in passing\n\
             | `lang.after-the-table` | | | |\n";
  assert_eq!(listed_ids(doc), ["error.tdz"]);
}
