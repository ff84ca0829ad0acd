//! `kiln wpt` on kiln's own WPT-form tests (wpt/tests) with the real
//! testharness.js (npm wpt-runner, installed by `make test`), and on tests
//! made to fail, to see the runner tell them apart.

use std::path::Path;

use kiln_tests::{run_to_exit, workers_dir};

fn testharness() -> String {
  let path = Path::new(env!("CARGO_MANIFEST_DIR"))
    .join("reference/node_modules/wpt-runner/testharness/testharness.js");
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
      "--expectations",
      "wpt/expectations.json",
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
  assert!(files.len() >= 12, "{files:?}");
  let mut subtests = 0;
  for (file, result) in files {
    assert_eq!(result["harness"], "OK", "{file}: {result}");
    for subtest in result["subtests"].as_array().unwrap() {
      assert_eq!(subtest["status"], "PASS", "{file}: {subtest}");
      subtests += 1;
    }
  }
  assert!(subtests >= 39, "only {subtests} subtests ran");
  println!("{}", exit.stdout);
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
  assert!(
    out.contains("1/2 subtests passed in 3 files; 3 unexpected results"),
    "{out}"
  );
}
