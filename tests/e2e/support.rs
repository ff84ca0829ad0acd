//! Tests of the test support itself: a helper that cannot fail, or that
//! tests something other than the current sources, makes every test built
//! on it pass for nothing.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kiln_tests::run_with_deadline;

/// A child that writes more than a pipe holds to both stdout and stderr
/// would block forever if its output were read only after it exits.
#[test]
fn run_with_deadline_reads_both_outputs_while_the_child_runs() {
  let started = Instant::now();
  let exit = run_with_deadline(
    Command::new("sh").args([
      "-c",
      "head -c 1048576 /dev/zero | tr '\\0' o; head -c 1048576 /dev/zero | tr '\\0' e >&2; echo done >&2",
    ]),
    Duration::from_secs(20),
  )
  .unwrap_or_else(|overdue| panic!("{}", overdue.why));
  assert!(started.elapsed() < Duration::from_secs(20));
  assert_eq!(exit.code, Some(0));
  assert_eq!(exit.stdout.len(), 1 << 20);
  assert!(exit.stdout.bytes().all(|b| b == b'o'));
  assert_eq!(exit.stderr.len(), (1 << 20) + "done\n".len());
  assert!(exit.stderr.ends_with("eeedone\n"));
}

#[test]
fn a_child_past_its_deadline_is_killed_and_reaped() {
  let started = Instant::now();
  let overdue = match run_with_deadline(
    Command::new("sh").args(["-c", "echo started; exec sleep 60"]),
    Duration::from_secs(1),
  ) {
    Ok(exit) => panic!("returned {:?} instead of failing", exit.code),
    Err(overdue) => overdue,
  };
  assert!(
    started.elapsed() < Duration::from_secs(10),
    "{:?}",
    started.elapsed()
  );
  assert!(overdue.why.contains("did not exit"), "{}", overdue.why);
  assert_eq!(overdue.stdout, "started\n");
  // Killed and waited for: not even a zombie is left.
  assert!(
    !Path::new(&format!("/proc/{}", overdue.pid)).exists(),
    "process {} is still there",
    overdue.pid
  );
}
