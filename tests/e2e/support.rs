//! Tests of the test support itself: a helper that cannot fail, or that
//! tests something other than the current sources, makes every test built
//! on it pass for nothing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use kiln_tests::{crash_lines, kiln_bin, repo_dir, run_with_deadline, try_send_within, Kiln};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every file under `dir`, recursively.
/// The JavaScript files below `dir`, leaving out the npm packages
/// build/vendor-node installs (js/node/node_modules), which kiln never reads.
fn files_under(dir: &Path) -> Vec<PathBuf> {
  let mut files = Vec::new();
  let mut dirs = vec![dir.to_path_buf()];
  while let Some(dir) = dirs.pop() {
    for entry in std::fs::read_dir(&dir).unwrap() {
      let path = entry.unwrap().path();
      if path.is_dir() {
        if !path.ends_with("node_modules") {
          dirs.push(path);
        }
      } else if path.extension().is_some_and(|e| e == "js") {
        files.push(path);
      }
    }
  }
  files
}

fn modified(path: &Path) -> SystemTime {
  std::fs::metadata(path)
    .and_then(|m| m.modified())
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The binary must be at least as new as every source file it was compiled
/// from (the files its dep-info lists: a file compiled only into unit tests
/// does not count), and must run the JavaScript of this checkout: js/ is
/// either compiled in (then listed) or read at run time from the path the
/// binary names.
#[test]
fn the_kiln_under_test_is_built_from_these_sources() {
  let bin = kiln_bin();
  let built = modified(&bin);
  let repo = repo_dir().canonicalize().unwrap();
  let dep_info = std::fs::read_to_string(bin.with_extension("d"))
    .unwrap_or_else(|e| panic!("{}: {e}", bin.with_extension("d").display()));
  let compiled: Vec<PathBuf> = dep_info
    .split_once(": ")
    .expect("a dep-info line")
    .1
    .split_whitespace()
    .map(PathBuf::from)
    .filter(|path| path.starts_with(&repo))
    .collect();
  for dir in [
    "runtime/host/src",
    "runtime/worker/src",
    "ops/src",
    "cli/src",
  ] {
    assert!(
      compiled.iter().any(|path| path.starts_with(repo.join(dir))),
      "nothing from {dir} in the dep-info of {}",
      bin.display()
    );
  }
  for source in &compiled {
    assert!(
      modified(source) <= built,
      "{} is newer than {}: the binary under test is stale",
      source.display(),
      bin.display()
    );
  }

  let binary = std::fs::read(&bin).unwrap();
  let js = files_under(&repo.join("js"));
  assert!(!js.is_empty());
  for file in js {
    let name = file.file_name().unwrap().to_str().unwrap();
    if compiled.contains(&file) {
      continue;
    }
    let named = |path: PathBuf| {
      let path = path.to_str().unwrap().as_bytes().to_vec();
      binary.windows(path.len()).any(|w| w == path)
    };
    assert!(
      named(repo.join("ops/../js").join(name)) || named(repo.join("js").join(name)),
      "{} neither compiles in nor reads {}",
      bin.display(),
      file.display()
    );
  }
}

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

/// A server that sends a response's head and then holds back the body: the
/// request must fail at its deadline, not wait for ever.
#[tokio::test]
async fn a_stalled_response_fails_at_its_deadline() {
  let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
  let addr = listener.local_addr().unwrap();
  let server = tokio::spawn(async move {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut request = [0u8; 4096];
    let _ = stream.read(&mut request).await;
    stream
      .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc")
      .await
      .unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    drop(stream);
  });
  let request = try_send_within(
    Duration::from_secs(1),
    addr,
    "GET",
    "/",
    &[],
    Default::default(),
  );
  let outcome = tokio::time::timeout(Duration::from_secs(10), request)
    .await
    .expect("the request outlived its deadline");
  let why = outcome.unwrap_err();
  assert!(why.contains("no complete response within 1s"), "{why}");
  server.abort();
}

#[test]
fn the_liveness_check_reports_a_dead_kiln() {
  let kiln = Kiln::start(&["echo"]);
  assert_eq!(kiln.check_alive(), Ok(()));
  let killed = Command::new("kill")
    .args(["-KILL", &kiln.pid().to_string()])
    .status()
    .unwrap();
  assert!(killed.success());
  let deadline = Instant::now() + Duration::from_secs(10);
  while kiln.exit_status().is_none() {
    assert!(Instant::now() < deadline, "kiln outlived SIGKILL");
    std::thread::sleep(Duration::from_millis(10));
  }
  let why = kiln.check_alive().unwrap_err();
  assert!(why.contains("no longer running"), "{why}");
  assert!(why.contains("signal: 9"), "{why}");
  // Dropping it would fail the test: that is the point of the check.
  std::mem::forget(kiln);
}

#[tokio::test]
async fn the_liveness_check_reports_a_panic_line() {
  let panic = "thread 'tokio-runtime-worker' (7) panicked at ops/src/websocket.rs:1:1:";
  let text = format!(
    "kiln: worker \"echo\" ready\n{panic}\nboom\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"
  );
  assert_eq!(
    crash_lines(&text),
    vec![
      panic,
      "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"
    ]
  );
  assert_eq!(
    crash_lines("fatal runtime error: stack overflow\nSegmentation fault (core dumped)").len(),
    2
  );
  assert!(crash_lines("[echo] a worker's ordinary line\n").is_empty());

  // Through a running kiln: the echo worker prints what it is asked to.
  let kiln = Kiln::start(&["echo"]);
  let before = kiln.output().len();
  let reply = kiln.get("/mark?text=all+well").await;
  assert_eq!(reply.status, 200);
  kiln.wait_for_output("all well");
  assert_eq!(kiln.check_alive_since(before), Ok(()));
  let reply = kiln
    .get("/mark?text=thread+%27x%27+panicked+at+src%2Fmain.rs%3A1%3A1%3A")
    .await;
  assert_eq!(reply.status, 200);
  kiln.wait_for_output("panicked at src/main.rs");
  let why = kiln.check_alive_since(before).unwrap_err();
  assert!(
    why.contains("thread 'x' panicked at src/main.rs:1:1:"),
    "{why}"
  );
  // Only what came after `offset` counts.
  assert_eq!(kiln.check_alive_since(kiln.output().len()), Ok(()));
  // And a kiln that printed one fails the test that ran it when dropped.
  let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(kiln)));
  assert!(dropped.is_err(), "dropping a crashed kiln passed");
}

/// A kiln that exits while starting fails the test at once, saying what it
/// printed, instead of after the 30 s a start may take.
#[test]
fn a_kiln_that_exits_while_starting_fails_at_once_with_its_output() {
  let started = Instant::now();
  let failed = std::panic::catch_unwind(|| Kiln::start(&["broken/syntax-error.js"]));
  let Err(panic) = failed else {
    panic!("a worker with a syntax error started");
  };
  assert!(
    started.elapsed() < Duration::from_secs(15),
    "{:?}",
    started.elapsed()
  );
  let why = panic.downcast_ref::<String>().unwrap();
  assert!(why.contains("it ended its output"), "{why}");
  assert!(why.contains("broken/syntax-error.js:4:3"), "{why}");
}
