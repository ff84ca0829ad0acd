//! examples/chat in a real browser: `kiln dev examples/chat`, driven by
//! tests/browser/chat.mjs (playwright-core and Debian's Chromium, both from
//! `make reference`). Two pages talk in one room while kiln hibernates the
//! room's Durable Object between messages (`POST /cdn-cgi/kiln/hibernate`);
//! their sockets must stay open across it, the next message must wake the
//! object, and a reloaded page must get the whole history back.
//!
//! Running:
//!   cargo test --offline -p kiln-tests --no-default-features \
//!     --features quickjs --test chat
//! A missing Chromium or playwright-core fails the test (it never skips):
//! `make reference` installs both.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kiln_tests::workerd::TempDir;
use kiln_tests::{examples_dir, repo_dir, run_with_deadline, Kiln};
use serde_json::Value;

/// The script gives itself 60 s and needs a few more to report a failure
/// (screenshots, closing Chromium); past this it is hung and gets killed.
const BROWSER_DEADLINE: Duration = Duration::from_secs(90);

/// kiln prints its hibernation lines on its own schedule; by the time the
/// browser has seen the messages they are normally out already.
const LOG_WAIT: Duration = Duration::from_secs(5);

fn chromium() -> PathBuf {
  std::env::var_os("CHROMIUM")
    .map(PathBuf::from)
    .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// Fails, naming what is missing, unless node, Chromium and playwright-core
/// are all there: a browser test that skipped itself would pass unseen.
fn require_browser_tools() {
  let mut missing = Vec::new();
  // `node --version` cannot hang; run_with_deadline would panic on a
  // missing program instead of saying what to do.
  let node = Command::new("node")
    .arg("--version")
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .status();
  if !matches!(node, Ok(status) if status.success()) {
    missing.push("node (on PATH)".to_string());
  }
  let chromium = chromium();
  if !chromium.is_file() {
    missing.push(format!(
      "Chromium at {} (build/setup-browser installs Debian's; CHROMIUM names another)",
      chromium.display()
    ));
  }
  let playwright = repo_dir().join("tests/reference/node_modules/playwright-core/package.json");
  if !playwright.is_file() {
    missing.push(format!("playwright-core ({})", playwright.display()));
  }
  assert!(
    missing.is_empty(),
    "the browser test needs {}: run `make reference`",
    missing.join(", ")
  );
}

/// The lines of kiln's output that report `room` hibernating or waking, as
/// "hibernated" and "woke", in order. kiln names an object by its name
/// (quoted as JSON, or bare) or, when it does not know it, by its id.
fn hibernation_events(output: &str, room: &str, id: &str) -> Vec<&'static str> {
  let prefixes = [
    format!("kiln: Durable Object ChatRoom {room} "),
    format!("kiln: Durable Object ChatRoom \"{room}\" "),
    format!("kiln: Durable Object ChatRoom {id} "),
  ];
  output
    .lines()
    .filter_map(|line| {
      prefixes
        .iter()
        .find_map(|prefix| line.split_once(prefix.as_str()).map(|(_, rest)| rest))
    })
    .filter_map(|rest| {
      if rest.starts_with("hibernated") {
        Some("hibernated")
      } else if rest.starts_with("woke") {
        Some("woke")
      } else {
        None
      }
    })
    .collect()
}

/// Whether `events` holds `wanted` in that order, other events allowed
/// between (kiln may also hibernate an idle room by itself).
fn in_order(events: &[&str], wanted: &[&str]) -> bool {
  let mut rest = events.iter();
  wanted.iter().all(|w| rest.any(|e| e == w))
}

#[test]
fn two_browsers_chat_across_hibernation() {
  require_browser_tools();
  // On disk, as `make dev` runs it: the history must come back from the
  // object's database, whatever kiln keeps in memory.
  let state = TempDir::new("chat-example");
  let state_arg = state.path().to_string_lossy().into_owned();
  let kiln = Kiln::start_in(
    &examples_dir(),
    &["chat", "--persist-to", state_arg.as_str()],
  );
  let script = repo_dir().join("tests/browser/chat.mjs");
  let base = format!("http://{}", kiln.addr);
  let mut node = Command::new("node");
  node.arg(&script).arg(&base).current_dir(repo_dir());
  let run = run_with_deadline(&mut node, BROWSER_DEADLINE).unwrap_or_else(|overdue| {
    panic!(
      "node {} {base} is hung: {overdue}\nkiln printed:\n{}",
      script.display(),
      kiln.output()
    )
  });
  assert!(
    run.code == Some(0),
    "node {} {base} failed ({:?}):\n{}{}\nkiln printed:\n{}",
    script.display(),
    run.code,
    run.stdout,
    run.stderr,
    kiln.output()
  );
  let report: Value = run
    .stdout
    .lines()
    .rev()
    .find_map(|line| serde_json::from_str(line).ok())
    .unwrap_or_else(|| panic!("no JSON report from the browser script:\n{}", run.stdout));
  assert_eq!(report["ok"], true, "{report}");
  let room = report["room"]
    .as_str()
    .unwrap_or_else(|| panic!("no room in the report: {report}"))
    .to_string();
  // The hibernate answers name the room's id (the script checked both).
  let id = report["hibernations"][0]["id"]
    .as_str()
    .unwrap_or_else(|| panic!("no id in the report: {report}"))
    .to_string();

  if let Err(why) = kiln.check_alive() {
    panic!("{why}");
  }
  // Two hibernations, each undone by the next message (bob's, then the
  // close of alice's reloaded page); the lines are what `kiln dev` shows.
  let wanted = ["hibernated", "woke", "hibernated", "woke"];
  let waited = Instant::now();
  let output = loop {
    let output = kiln.output();
    if in_order(&hibernation_events(&output, &room, &id), &wanted) || waited.elapsed() >= LOG_WAIT {
      break output;
    }
    std::thread::sleep(Duration::from_millis(20));
  };
  let events = hibernation_events(&output, &room, &id);
  assert!(
    in_order(&events, &wanted),
    "kiln should print `kiln: Durable Object ChatRoom {room} hibernated ...` and `... woke ...` \
     twice each, in turn; it printed {events:?} for that room. The browser saw:\n{report}\nkiln \
     printed:\n{output}"
  );
  assert_room_on_disk(state.path());
}

/// The room's database is under `--persist-to`, where the history came from.
fn assert_room_on_disk(state: &Path) {
  let rooms = state.join("v3/do/chat-ChatRoom");
  let databases = std::fs::read_dir(&rooms)
    .map(|entries| {
      entries
        .filter_map(Result::ok)
        .filter(|e| {
          let name = e.file_name().to_string_lossy().into_owned();
          name.len() == 64 + ".sqlite".len() && name.ends_with(".sqlite")
        })
        .count()
    })
    .unwrap_or(0);
  assert!(
    databases > 0,
    "no room database under {}: did kiln keep the state elsewhere?",
    rooms.display()
  );
}
