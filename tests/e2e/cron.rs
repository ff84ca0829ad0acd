//! Cron triggers, end to end, on wrangler dev (the reference) and on kiln.
//!
//! The workers are in tests/workers/cron/: worker.js (ES module format,
//! wrangler.toml: `name = "cron-worker"`, `[triggers] crons` that are never
//! due while tests run, a var GREETING), the same in service-worker format
//! (sw.js, sw.toml), a module worker without a scheduled handler
//! (fetch-only.js, fetch-only.toml) and a configuration error
//! (bad-crons.toml). The scheduled handler records what it sees; `GET /seen`
//! answers the records as JSON.
//!
//! wrangler dev never runs crons on its own (it prints "Scheduled Workers are
//! not automatically triggered during local development."), so the tests run
//! the handler the way wrangler dev offers: a request to
//! `/cdn-cgi/handler/scheduled` (any method), with `?cron=` (the controller's
//! `cron`, `""` without it) and `?time=` (`scheduledTime`, `parseInt`ed;
//! now without it). It answers `200 text/plain;charset=UTF-8 "ok"`, or `500
//! "exception"` when the handler throws or rejects, a waitUntil promise
//! rejects, or there is no handler; it waits for the handler and its
//! waitUntil promises. `/__scheduled` is wrangler's only with
//! `--test-scheduled`, which the reference is not started with.
//!
//! Every test runs the same requests on every runtime and builds a
//! transcript (each answer's status, Content-Type and body, then the
//! records); it asserts the transcript written below (what wrangler 4.86.0 /
//! Miniflare 4.20260426.0 does) and that kiln's transcript equals
//! wrangler's. Times: a `scheduledTime` or handler `Date.now()` within the
//! wall-clock window of the requests (with 2 s of slack) is written as
//! "<now>"; one given with `time=` is compared exactly.
//!
//! How the runtimes are started (each test has its own processes):
//! - wrangler: `tests/support/wrangler.rs` runs `wrangler dev --local` on a
//!   copy of tests/workers/cron/ with `-c <config>`.
//! - kiln: `kiln dev -c cron/<config> --no-persist` from tests/workers.
//!
//! Running:
//!   cargo test --offline -p kiln-tests --no-default-features \
//!     --features quickjs --test cron
//! runs every test on both runtimes and compares them (kiln must be built:
//! `make build`, or KILN_BIN). With `KILN_CRON_REFERENCE_ONLY=1` only
//! wrangler runs: that checks the expectations themselves against the
//! reference. wrangler comes from `make reference` (tests/reference).

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use kiln_tests::json::assert_json_with;
use kiln_tests::workerd::TempDir;
use kiln_tests::wrangler::{self, Wrangler};
use kiln_tests::{run_to_exit, send, workers_dir, Kiln};
use serde_json::{json, Value};

/// What the trigger answers when the handler succeeded / failed.
const TEXT_PLAIN: &str = "text/plain;charset=UTF-8";

/// The configured crons, as a query.
const EVERY_5: &str = "*/5+*+*+*+*";
const MIDNIGHT: &str = "0+0+*+*+*";

/// How far a "now" may lie outside the wall-clock window of the requests.
const SLACK_MS: i64 = 2_000;

/// How long a line may take to show up in a runtime's output.
const LOG_DEADLINE: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// The runtimes.

fn reference_only() -> bool {
  std::env::var("KILN_CRON_REFERENCE_ONLY").is_ok_and(|v| !v.is_empty() && v != "0")
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
  Wrangler,
  Kiln,
}

enum Process {
  Wrangler(Wrangler),
  Kiln(Kiln),
}

/// One runtime running one of the cron workers.
struct Side {
  kind: Kind,
  process: Process,
  // wrangler's local state (unused by these workers); after `process`, so
  // that it is removed after the process is gone.
  _state: TempDir,
}

impl Side {
  /// `config` is the configuration's file name in tests/workers/cron/.
  fn start(kind: Kind, config: &str) -> Side {
    let state = TempDir::new("cron-wrangler");
    let process = match kind {
      Kind::Wrangler => Process::Wrangler(Wrangler::start(
        &workers_dir().join("cron").join(config),
        state.path(),
      )),
      Kind::Kiln => Process::Kiln(Kiln::start_in(
        &workers_dir(),
        &["-c", &format!("cron/{config}"), "--no-persist"],
      )),
    };
    Side {
      kind,
      process,
      _state: state,
    }
  }

  fn label(&self) -> &'static str {
    match self.kind {
      Kind::Wrangler => "wrangler",
      Kind::Kiln => "kiln",
    }
  }

  fn addr(&self) -> SocketAddr {
    match &self.process {
      Process::Wrangler(w) => w.addr,
      Process::Kiln(k) => k.addr,
    }
  }

  fn output(&self) -> String {
    match &self.process {
      Process::Wrangler(w) => w.output(),
      Process::Kiln(k) => k.output(),
    }
  }

  /// The last lines of the output, for failure messages.
  fn tail(&self) -> String {
    let out = self.output();
    let lines: Vec<&str> = out.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
  }

  /// Waits (at most LOG_DEADLINE) until the output contains `needle`.
  fn expect_output(&self, needle: &str) {
    let deadline = Instant::now() + LOG_DEADLINE;
    while !self.output().contains(needle) {
      assert!(
        Instant::now() < deadline,
        "{} never printed {needle:?} (waited {LOG_DEADLINE:?}); it printed:\n{}",
        self.label(),
        self.tail()
      );
      std::thread::sleep(Duration::from_millis(20));
    }
  }
}

/// wrangler, then kiln unless KILN_CRON_REFERENCE_ONLY is set, on the same
/// configuration.
fn sides(config: &str) -> Vec<Side> {
  let mut sides = vec![Side::start(Kind::Wrangler, config)];
  if !reference_only() {
    sides.push(Side::start(Kind::Kiln, config));
  }
  sides
}

// ---------------------------------------------------------------------------
// Transcripts.

fn now_ms() -> i64 {
  SystemTime::now()
    .duration_since(UNIX_EPOCH)
    .expect("a clock after 1970")
    .as_millis() as i64
}

/// How an answer's body is reported.
#[derive(Clone, Copy)]
enum Body {
  Exact,
  /// Reported as "<not compared>" (wrangler answers a stack trace of its
  /// own code).
  Ignored,
}

struct Step {
  method: &'static str,
  path: String,
  body: Body,
}

fn get(path: impl Into<String>) -> Step {
  step("GET", path)
}

fn step(method: &'static str, path: impl Into<String>) -> Step {
  Step {
    method,
    path: path.into(),
    body: Body::Exact,
  }
}

/// `/cdn-cgi/handler/scheduled` with `query` ("" or "?...").
fn trigger(query: &str) -> String {
  format!("/cdn-cgi/handler/scheduled{query}")
}

/// Runs `steps` on `side` and reports each answer and then (when
/// `with_seen`) what `GET /seen` answers, with times near now as "<now>".
async fn transcript(side: &Side, steps: &[Step], with_seen: bool) -> Value {
  let from = now_ms() - SLACK_MS;
  let mut answers = Vec::new();
  for s in steps {
    let reply = send(side.addr(), s.method, &s.path, &[], Bytes::new()).await;
    let body = match s.body {
      Body::Exact => Value::String(reply.text()),
      Body::Ignored => json!("<not compared>"),
    };
    answers.push(json!({
      "request": format!("{} {}", s.method, s.path),
      "status": reply.status,
      "contentType": reply.header("content-type"),
      "body": body,
    }));
  }
  let to = now_ms() + SLACK_MS;
  let mut report = json!({ "answers": answers });
  if with_seen {
    let reply = send(side.addr(), "GET", "/seen", &[], Bytes::new()).await;
    assert_eq!(
      reply.status,
      200,
      "{}: GET /seen answered {}: {}\n-- {} printed:\n{}",
      side.label(),
      reply.status,
      reply.text(),
      side.label(),
      side.tail()
    );
    let mut seen = reply.json();
    for record in seen.as_array_mut().expect("/seen answers an array") {
      for key in ["scheduledTime", "now"] {
        if let Some(v) = record.get_mut(key) {
          if v.as_i64().is_some_and(|t| (from..=to).contains(&t)) {
            *v = json!("<now>");
          }
        }
      }
    }
    report["seen"] = seen;
  }
  report
}

/// What a side printed, to follow a failed comparison.
fn printed(side: &Side) -> String {
  format!("\n-- it printed:\n{}", side.tail())
}

/// Runs `steps` on every side: wrangler must answer `want` (else the
/// expectation is wrong), and kiln must answer what wrangler answered.
async fn check(sides: &[Side], steps: &[Step], with_seen: bool, want: &Value) {
  let mut reference = None;
  for side in sides {
    let got = transcript(side, steps, with_seen).await;
    match side.kind {
      Kind::Wrangler => {
        assert_json_with("wrangler (the reference)", want, &got, &printed(side));
        reference = Some(got);
      }
      Kind::Kiln => {
        // The one known difference: kiln has no email handler, so its 404
        // for an unknown /cdn-cgi/handler/ path suggests only the scheduled
        // one (docs/bindings.md). Checked as such, then compared as if it
        // said what wrangler says.
        let mut got = got;
        if let Some(answers) = got.get_mut("answers").and_then(Value::as_array_mut) {
          for a in answers {
            let Some(body) = a.get("body").and_then(Value::as_str) else {
              continue;
            };
            if body.contains("is not a valid handler") {
              let kilns = "Did you mean to use \"/cdn-cgi/handler/scheduled\"?";
              assert!(body.ends_with(kilns), "kiln's 404 text changed: {body}");
              let like_wrangler = body.replace(
                kilns,
                "Did you mean to use \"/cdn-cgi/handler/scheduled\" or \"/cdn-cgi/handler/email\"?",
              );
              a["body"] = Value::String(like_wrangler);
            }
          }
        }
        if let Some(reference) = &reference {
          assert_json_with(
            "kiln differs from wrangler",
            reference,
            &got,
            &printed(side),
          );
        }
        assert_json_with("kiln", want, &got, &printed(side));
      }
    }
  }
}

/// One reported answer.
fn answer(method: &str, path: &str, status: u16, content_type: &str, body: &str) -> Value {
  json!({
    "request": format!("{method} {path}"),
    "status": status,
    "contentType": content_type,
    "body": body,
  })
}

/// The trigger's answer when the handler succeeded.
fn ok(method: &str, path: &str) -> Value {
  answer(method, path, 200, TEXT_PLAIN, "ok")
}

/// The trigger's answer when the handler failed.
fn exception(method: &str, path: &str) -> Value {
  answer(method, path, 500, TEXT_PLAIN, "exception")
}

/// An ordinary fetch's answer from worker.js.
fn fetched(method: &str, path: &str) -> Value {
  answer(
    method,
    path,
    200,
    TEXT_PLAIN,
    &format!("fetch {method} {path}"),
  )
}

#[derive(Clone, Copy)]
enum Time {
  Now,
  At(i64),
}

impl Time {
  fn value(self) -> Value {
    match self {
      Time::Now => json!("<now>"),
      Time::At(t) => json!(t),
    }
  }
}

/// What worker.js records for one scheduled event.
fn record(cron: &str, time: Time, finished: bool) -> Value {
  json!({
    "cron": cron,
    "typeofCron": "string",
    "scheduledTime": time.value(),
    "typeofScheduledTime": "number",
    "integerScheduledTime": true,
    "now": "<now>",
    "typeofType": "undefined",
    "hasType": false,
    "keys": ["cron", "scheduledTime"],
    "json": ["cron", "scheduledTime"],
    "protoNames": ["constructor", "noRetry"],
    "protoIsObjectPrototype": true,
    "constructor": "ScheduledController",
    "string": "[object ScheduledController]",
    "tag": "[object ScheduledController]",
    "typeofNoRetry": "function",
    "noRetry": "returned undefined",
    "typeofWaitUntil": "function",
    "typeofPassThroughOnException": "function",
    "greeting": "hello",
    "args": 3,
    "finished": finished,
  })
}

/// What sw.js records for one scheduled event.
fn sw_record(cron: &str, time: Time, finished: bool) -> Value {
  json!({
    "cron": cron,
    "typeofCron": "string",
    "scheduledTime": time.value(),
    "typeofScheduledTime": "number",
    "now": "<now>",
    "type": "scheduled",
    "isEvent": true,
    "typeofWaitUntil": "function",
    "typeofNoRetry": "function",
    "typeofRespondWith": "undefined",
    "greeting": "hello",
    "finished": finished,
  })
}

// ---------------------------------------------------------------------------
// ES module format: the controller.

#[tokio::test]
async fn the_handler_sees_a_scheduled_controller() {
  let sides = sides("wrangler.toml");
  let plain = trigger("");
  let every5 = trigger(&format!("?cron={EVERY_5}"));
  let midnight_at = trigger(&format!("?cron={MIDNIGHT}&time=1700000000000"));
  check(
    &sides,
    &[get(&plain), get(&every5), get(&midnight_at)],
    true,
    &json!({
      "answers": [ok("GET", &plain), ok("GET", &every5), ok("GET", &midnight_at)],
      "seen": [
        // Without ?cron= the controller's cron is "", not undefined.
        record("", Time::Now, true),
        record("*/5 * * * *", Time::Now, true),
        record("0 0 * * *", Time::At(1_700_000_000_000), true),
      ],
    }),
  )
  .await;
}

#[tokio::test]
async fn any_method_triggers_and_cron_is_taken_as_given() {
  let sides = sides("wrangler.toml");
  let post = trigger(&format!("?cron={EVERY_5}"));
  let put = trigger("?cron=%2A%2F5%20%2A%20%2A%20%2A%20%2A");
  let head = trigger("?cron=head");
  let delete = trigger("?cron=first&cron=second");
  // Not one of the configured crons, nor a valid expression: not checked.
  let unknown = trigger("?cron=61+*+*+*+*");
  let word = trigger("?cron=not%20a%20cron");
  check(
    &sides,
    &[
      step("POST", &post),
      step("PUT", &put),
      step("HEAD", &head),
      step("DELETE", &delete),
      get(&unknown),
      get(&word),
    ],
    true,
    &json!({
      "answers": [
        ok("POST", &post),
        ok("PUT", &put),
        // HEAD: the same head, no body; the handler runs.
        answer("HEAD", &head, 200, TEXT_PLAIN, ""),
        ok("DELETE", &delete),
        ok("GET", &unknown),
        ok("GET", &word),
      ],
      "seen": [
        record("*/5 * * * *", Time::Now, true),
        record("*/5 * * * *", Time::Now, true),
        record("head", Time::Now, true),
        // The first of several values.
        record("first", Time::Now, true),
        record("61 * * * *", Time::Now, true),
        record("not a cron", Time::Now, true),
      ],
    }),
  )
  .await;
}

#[tokio::test]
async fn time_is_parsed_like_parse_int() {
  let sides = sides("wrangler.toml");
  let cases = [
    ("?time=0", Time::At(0)),
    ("?time=-5", Time::At(-5)),
    ("?time=1700000000000.7", Time::At(1_700_000_000_000)),
    ("?time=+17", Time::At(17)),
    ("?time=1e12", Time::At(1)),
    // Empty: as if absent.
    ("?time=", Time::Now),
  ];
  let mut steps: Vec<Step> = cases.iter().map(|(q, _)| get(trigger(q))).collect();
  // Not a number: `new Date(NaN)` fails in Miniflare before the handler
  // runs; wrangler answers 500 with that TypeError's stack.
  let nan = trigger("?cron=nan&time=abc");
  steps.push(Step {
    body: Body::Ignored,
    ..get(&nan)
  });
  let mut answers: Vec<Value> = cases.iter().map(|(q, _)| ok("GET", &trigger(q))).collect();
  answers.push(answer("GET", &nan, 500, TEXT_PLAIN, "<not compared>"));
  let seen: Vec<Value> = cases
    .iter()
    .map(|(_, time)| record("", *time, true))
    .collect();
  check(
    &sides,
    &steps,
    true,
    &json!({ "answers": answers, "seen": seen }),
  )
  .await;
}

// ---------------------------------------------------------------------------
// ES module format: outcomes.

#[tokio::test]
async fn failures_answer_exception_and_the_answer_waits_for_the_handler() {
  let sides = sides("wrangler.toml");
  let crons = [
    ("throw", false),
    ("reject", false),
    ("throw-string", false),
    // The handler returns normally, but a waitUntil promise rejects.
    ("waituntil-reject", true),
    ("noretry-throw", false),
    ("slow", true),
    ("waituntil-slow", true),
    ("return-value", true),
  ];
  let paths: Vec<String> = crons
    .iter()
    .map(|(c, _)| trigger(&format!("?cron={c}")))
    .collect();
  let steps: Vec<Step> = paths.iter().map(get).collect();
  let answers: Vec<Value> = crons
    .iter()
    .zip(&paths)
    .map(|((cron, _), path)| match *cron {
      "slow" | "waituntil-slow" | "return-value" => ok("GET", path),
      _ => exception("GET", path),
    })
    .collect();
  // `finished` is read right after the last answer: "slow" and
  // "waituntil-slow" finished 300 ms after they started, before their
  // answers.
  let seen: Vec<Value> = crons
    .iter()
    .map(|(cron, finished)| record(cron, Time::Now, *finished))
    .collect();
  check(
    &sides,
    &steps,
    true,
    &json!({ "answers": answers, "seen": seen }),
  )
  .await;
  for side in &sides {
    // wrangler: "✘ [ERROR] Uncaught Error: boom from scheduled".
    side.expect_output("boom from scheduled");
    side.expect_output("rejected from scheduled");
  }
}

#[tokio::test]
async fn a_module_worker_without_scheduled_answers_exception() {
  let sides = sides("fetch-only.toml");
  let plain = trigger("");
  let every5 = trigger(&format!("?cron={EVERY_5}"));
  check(
    &sides,
    &[get(&plain), get(&every5), get("/")],
    false,
    &json!({
      "answers": [
        exception("GET", &plain),
        exception("GET", &every5),
        answer("GET", "/", 200, TEXT_PLAIN, "fetch GET /"),
      ],
    }),
  )
  .await;
  // workerd's own words, on the reference only.
  sides[0].expect_output("Handler does not export a scheduled() function");
}

// ---------------------------------------------------------------------------
// Paths.

#[tokio::test]
async fn other_paths_do_not_trigger() {
  let sides = sides("wrangler.toml");
  let not_valid = |path: &str| {
    answer(
      "GET",
      path,
      404,
      TEXT_PLAIN,
      &format!(
        "\"{path}\" is not a valid handler. Did you mean to use \
         \"/cdn-cgi/handler/scheduled\" or \"/cdn-cgi/handler/email\"?"
      ),
    )
  };
  check(
    &sides,
    &[
      // Without --test-scheduled, /__scheduled is an ordinary request.
      get("/__scheduled"),
      step("POST", "/__scheduled?cron=x"),
      get("/cdn-cgi/handler/scheduled/"),
      get("/cdn-cgi/handler/cron"),
      get("/cdn-cgi/handler/"),
      get("/scheduled"),
    ],
    true,
    &json!({
      "answers": [
        fetched("GET", "/__scheduled"),
        fetched("POST", "/__scheduled?cron=x"),
        not_valid("/cdn-cgi/handler/scheduled/"),
        not_valid("/cdn-cgi/handler/cron"),
        not_valid("/cdn-cgi/handler/"),
        fetched("GET", "/scheduled"),
      ],
      "seen": [],
    }),
  )
  .await;
}

#[tokio::test]
async fn the_deprecated_miniflare_path_triggers_too() {
  let sides = sides("wrangler.toml");
  let legacy = format!("/cdn-cgi/mf/scheduled?cron={MIDNIGHT}&time=1700000000000");
  let post = "/cdn-cgi/mf/scheduled";
  check(
    &sides,
    &[get(&legacy), step("POST", post)],
    true,
    &json!({
      "answers": [ok("GET", &legacy), ok("POST", post)],
      "seen": [
        record("0 0 * * *", Time::At(1_700_000_000_000), true),
        record("", Time::Now, true),
      ],
    }),
  )
  .await;
  // The reference warns; kiln's wording is its own.
  sides[0].expect_output(
    "Triggering scheduled handlers via a request to `/cdn-cgi/mf/scheduled` is deprecated",
  );
}

// ---------------------------------------------------------------------------
// Service-worker format.

#[tokio::test]
async fn a_service_worker_gets_a_scheduled_event() {
  let sides = sides("sw.toml");
  let plain = trigger("");
  let every5_at = trigger(&format!("?cron={EVERY_5}&time=1700000000000"));
  let throw = trigger("?cron=throw");
  let wu_reject = trigger("?cron=waituntil-reject");
  let wu_slow = trigger("?cron=waituntil-slow");
  check(
    &sides,
    &[
      get(&plain),
      step("POST", &every5_at),
      get(&throw),
      get(&wu_reject),
      get(&wu_slow),
      get("/__scheduled"),
    ],
    true,
    &json!({
      "answers": [
        ok("GET", &plain),
        ok("POST", &every5_at),
        exception("GET", &throw),
        exception("GET", &wu_reject),
        ok("GET", &wu_slow),
        fetched("GET", "/__scheduled"),
      ],
      "seen": [
        sw_record("", Time::Now, true),
        sw_record("*/5 * * * *", Time::At(1_700_000_000_000), true),
        sw_record("throw", Time::Now, false),
        sw_record("waituntil-reject", Time::Now, true),
        sw_record("waituntil-slow", Time::Now, true),
      ],
    }),
  )
  .await;
  for side in &sides {
    side.expect_output("boom from a scheduled listener");
  }
}

// ---------------------------------------------------------------------------
// Configuration.

/// `crons` that is not an array: wrangler refuses to start (exit code 1)
/// with its message; kiln must refuse too (its message is not compared).
/// wrangler does not check the expressions themselves ("61 * * * *", "not
/// a cron" and `[5]` all start), so this is the only cron configuration
/// error the two can agree on.
#[test]
fn crons_that_are_not_an_array_are_refused() {
  let work = TempDir::new("cron-bad");
  let project = work.path().join("worker");
  std::fs::create_dir_all(&project).expect("create the worker's copy");
  for file in ["bad-crons.toml", "fetch-only.js"] {
    std::fs::copy(workers_dir().join("cron").join(file), project.join(file))
      .unwrap_or_else(|e| panic!("copy {file}: {e}"));
  }
  let (code, printed) = wrangler::refuses("bad-crons.toml", &project);
  assert_eq!(code, Some(1), "wrangler printed:\n{printed}");
  assert!(
    printed.contains(
      "Expected \"triggers.crons\" to be of type array, but got {\"crons\":\"*/5 * * * *\"}."
    ),
    "wrangler printed:\n{printed}"
  );
  if reference_only() {
    return;
  }
  let kiln = run_to_exit(
    &workers_dir(),
    &[
      "dev",
      "-c",
      "cron/bad-crons.toml",
      "--no-persist",
      "--port",
      "0",
    ],
  );
  assert!(
    kiln.code.is_some_and(|c| c != 0),
    "kiln started with `crons = \"*/5 * * * *\"` (exit {:?}); it printed:\n{}{}",
    kiln.code,
    kiln.stdout,
    kiln.stderr
  );
  let printed = format!("{}{}", kiln.stdout, kiln.stderr);
  assert!(
    printed.contains("crons"),
    "kiln's error does not name `crons`:\n{printed}"
  );
}

// ---------------------------------------------------------------------------
// What kiln does beyond wrangler dev (kiln only).

/// kiln runs a cron trigger when it comes due, at the whole minute, with the
/// expression as `controller.cron` (wrangler dev only ever runs them on
/// request). The wait is the next minute boundary, at most 60 s.
#[tokio::test]
async fn runs_on_schedule() {
  if std::env::var("KILN_CRON_REFERENCE_ONLY").is_ok_and(|v| !v.is_empty() && v != "0") {
    return;
  }
  let kiln = Kiln::start_in(
    &workers_dir(),
    &["-c", "cron/every-minute.toml", "--no-persist"],
  );
  kiln.wait_for_output("cron triggers * * * * * run on schedule (UTC)");
  let deadline = Instant::now() + Duration::from_secs(75);
  let record = loop {
    let seen = send(kiln.addr, "GET", "/seen", &[], Bytes::new())
      .await
      .json();
    if let Some(first) = seen.as_array().and_then(|a| a.first()) {
      break first.clone();
    }
    assert!(
      Instant::now() < deadline,
      "no scheduled run within 75 s; kiln printed:\n{}",
      kiln.output()
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
  };
  assert_eq!(record["cron"], "* * * * *", "{record}");
  let time = record["scheduledTime"].as_i64().expect("a number");
  assert_eq!(time % 60_000, 0, "not at a whole minute: {record}");
  let now = SystemTime::now()
    .duration_since(UNIX_EPOCH)
    .unwrap()
    .as_millis() as i64;
  assert!(
    (now - time).abs() < 75_000,
    "{time} is not the last minute ({now})"
  );
  kiln.assert_alive();
}

/// An expression that is not a five-field cron is refused at start-up, each
/// one named (wrangler dev starts and never runs them).
#[test]
fn bad_expressions_are_refused_at_start_up() {
  if std::env::var("KILN_CRON_REFERENCE_ONLY").is_ok_and(|v| !v.is_empty() && v != "0") {
    return;
  }
  let exit = run_to_exit(
    &workers_dir(),
    &["dev", "-c", "cron/bad-expression.toml", "--port", "0"],
  );
  assert_eq!(exit.code, Some(1), "{}", exit.stderr);
  for needle in [
    "[triggers] crons: invalid cron expression \"61 * * * *\"",
    "[triggers] crons: invalid cron expression \"not a cron\": a cron trigger has 5 fields",
  ] {
    assert!(
      exit.stderr.contains(needle),
      "{needle:?} missing from:\n{}",
      exit.stderr
    );
  }
  assert!(!exit.stderr.contains("\"*/5 * * * *\""), "{}", exit.stderr);
}
