//! `kiln wpt` on kiln's own WPT-form tests (wpt/tests) with the real
//! testharness.js (npm wpt-runner, installed by `make test`), and on tests
//! made to fail, to see the runner tell them apart.

use std::path::Path;

use kiln_tests::{run_to_exit, workers_dir};

fn testharness() -> String {
  harness_of("wpt-runner")
}

/// The testharness.js of npm package `package` (installed by `make test`).
fn harness_of(package: &str) -> String {
  let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
    "reference/node_modules/{package}/testharness/testharness.js"
  ));
  assert!(
    path.exists(),
    "{} is missing: `make test` installs it",
    path.display()
  );
  path.to_string_lossy().into_owned()
}

#[test]
fn kilns_wpt_tests_pass_in_the_runner() {
  let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
  let report = std::env::temp_dir().join(format!("kiln-wpt-report-{}.json", std::process::id()));
  let exit = run_to_exit(
    &repo,
    &[
      "wpt",
      "--root",
      "wpt/tests",
      "--testharness",
      &testharness(),
      "--json",
      report.to_str().unwrap(),
    ],
  );
  assert_eq!(exit.code, Some(0), "{}\n{}", exit.stdout, exit.stderr);
  let results: serde_json::Value =
    serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
  let files = results.as_object().unwrap();
  assert!(files.len() >= 15, "{files:?}");
  let mut subtests = 0;
  for (file, result) in files {
    assert_eq!(result["harness"], "OK", "{file}: {result}");
    for subtest in result["subtests"].as_array().unwrap() {
      assert_eq!(subtest["status"], "PASS", "{file}: {subtest}");
      subtests += 1;
    }
  }
  assert!(subtests >= 55, "only {subtests} subtests ran");
  println!("{}", exit.stdout);
}

/// The 2019 testharness.js (npm wpt-runner 2.7.0) has no plain environment
/// for a global with `self`, nor `assert_throws_dom`/`assert_throws_js`:
/// the runner shows it a dedicated worker and maps the assertions, so the
/// same tests pass with it.
#[test]
fn kilns_wpt_tests_pass_with_the_2019_testharness() {
  let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
  let harness = harness_of("wpt-runner-2019");
  let text = std::fs::read_to_string(&harness).unwrap();
  assert!(
    !text.contains("function assert_throws_dom"),
    "not the 2019 harness"
  );
  let exit = run_to_exit(
    &repo,
    &["wpt", "--root", "wpt/tests", "--testharness", &harness],
  );
  assert_eq!(exit.code, Some(0), "{}\n{}", exit.stdout, exit.stderr);
  assert!(
    exit.stdout.contains("55/55 subtests passed"),
    "{}",
    exit.stdout
  );
}

#[test]
fn the_runner_reports_failures_timeouts_and_errors() {
  let root = workers_dir().join("wpt-negative");
  let exit = run_to_exit(
    &root,
    &[
      "wpt",
      "--root",
      ".",
      "--timeout",
      "3",
      "--testharness",
      &testharness(),
    ],
  );
  assert_eq!(exit.code, Some(1), "{}", exit.stdout);
  let out = exit.stdout;
  assert!(out.contains("UNEXPECTED x/fail.any.js / a failing subtest: FAIL (expected PASS): assert_equals: one is not two expected 2 but got 1"), "{out}");
  assert!(
    out.contains("UNEXPECTED x/hang.any.js: harness TIMEOUT (expected OK)"),
    "{out}"
  );
  assert!(
    out.contains("UNEXPECTED x/throws.any.js: harness ERROR (expected OK)"),
    "{out}"
  );
  assert!(out.contains("file-level error"), "{out}");
  // A file that cannot be put together is its own ERROR; the files after
  // it still run (piped.any.js, whose META script is asked for with
  // ?pipe=sub, passes only if it was substituted).
  assert!(
    out.contains("UNEXPECTED x/missing-script.any.js: harness ERROR (expected OK): META script /no/such/helper.js"),
    "{out}"
  );
  assert!(
    out.contains("OK        x/piped.any.js: 1/1 subtests pass"),
    "{out}"
  );
  assert!(
    out.contains("2/3 subtests passed in 5 files; 4 unexpected results"),
    "{out}"
  );
}

/// wpt/expectations.json is for WPT's own websockets/ tests (run by hand on a
/// checkout, which cannot be fetched here): every test it does not expect
/// to pass says why.
#[test]
fn every_expected_failure_in_the_expectations_says_why() {
  let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wpt/expectations.json");
  let all: serde_json::Value =
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
  let files = all.as_object().expect("an object of files");
  assert!(files.len() > 40, "{} entries", files.len());
  let nonempty = |v: &serde_json::Value| v.as_str().is_some_and(|s| s.len() > 20);
  for (file, entry) in files {
    assert!(file.starts_with("websockets/"), "{file}");
    if let Some(why) = entry.get("skip") {
      assert!(nonempty(why), "{file}: a skip without a reason");
      continue;
    }
    for (subtest, expected) in entry.as_object().expect("subtests") {
      assert!(
        expected["status"] != "PASS" && nonempty(&expected["reason"]),
        "{file} / {subtest}: {expected}"
      );
    }
  }
}
