//! Helpers for end-to-end tests: start the real `kiln` binary on a free port,
//! talk to it over real sockets, and read what it printed.

pub mod backend;
pub mod deflate;
pub mod json;
pub mod side;
pub mod workerd;
pub mod wrangler;
pub mod ws;

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

/// The engine features the `kiln` binary is built with: those of this crate,
/// so that `cargo test --features quickjs` tests a QuickJS kiln.
const ENGINE: [&str; 3] = if cfg!(feature = "quickjs") {
  ["--no-default-features", "--features", "quickjs"]
} else {
  ["--no-default-features", "--features", "v8"]
};

/// A first build compiles a whole JavaScript engine on a small machine.
const BUILD_DEADLINE: Duration = Duration::from_secs(60 * 60);

/// The `kiln` binary under test, built from the current sources by
/// `cargo build` once per test process, with this crate's engine feature,
/// into the target directory and profile of the running test executable; a
/// binary left over from an earlier build is never tested by mistake.
///
/// `KILN_BIN=path` overrides it, and nothing is built: you take
/// responsibility for that binary being built from the sources you mean to
/// test (`the_kiln_under_test_is_built_from_these_sources` will tell).
pub fn kiln_bin() -> PathBuf {
  static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
  let bin = BIN.get_or_init(|| match std::env::var_os("KILN_BIN") {
    Some(bin) => Ok(PathBuf::from(bin)),
    None => build_kiln(),
  });
  match bin {
    Ok(bin) => bin.clone(),
    Err(why) => panic!("{why}"),
  }
}

/// Writes each `(relative path, text)` below `dir`, making folders as
/// needed: a worker or project made up by a test.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
  for (name, text) in files {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
  }
}

/// The repository's root, where the workspace's Cargo.toml is.
pub fn repo_dir() -> PathBuf {
  Path::new(env!("CARGO_MANIFEST_DIR"))
    .parent()
    .expect("the tests crate is inside the workspace")
    .to_path_buf()
}

fn build_kiln() -> Result<PathBuf, String> {
  let exe = std::env::current_exe().map_err(|e| format!("the test executable's path: {e}"))?;
  // Test executables live in <target dir>/<profile dir>/deps/.
  let profile_dir = exe
    .parent()
    .and_then(Path::parent)
    .ok_or_else(|| format!("{} is not in a cargo target directory", exe.display()))?;
  let target_dir = profile_dir
    .parent()
    .ok_or_else(|| format!("{} is not in a cargo target directory", exe.display()))?;
  let profile = profile_dir
    .file_name()
    .and_then(|name| name.to_str())
    .ok_or_else(|| format!("no profile directory in {}", exe.display()))?;
  let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
  let mut command = Command::new(cargo);
  command
    .current_dir(repo_dir())
    .args(["build", "--locked", "-p", "kiln"])
    .args(ENGINE)
    .env("CARGO_TARGET_DIR", target_dir);
  match profile {
    "debug" => {}
    "release" => {
      command.arg("--release");
    }
    other => {
      command.args(["--profile", other]);
    }
  }
  let exit = run_with_deadline(&mut command, BUILD_DEADLINE)
    .map_err(|overdue| format!("building kiln: {command:?} {overdue}"))?;
  if exit.code != Some(0) {
    return Err(format!(
      "building kiln failed: {command:?}\n{}{}",
      exit.stdout, exit.stderr
    ));
  }
  let bin = profile_dir.join("kiln");
  if !bin.exists() {
    return Err(format!(
      "{command:?} succeeded but {} does not exist",
      bin.display()
    ));
  }
  Ok(bin)
}

/// The repository's examples.
pub fn examples_dir() -> PathBuf {
  repo_dir().join("examples")
}

/// The folder of test workers.
pub fn workers_dir() -> PathBuf {
  Path::new(env!("CARGO_MANIFEST_DIR")).join("workers")
}

/// What a crashing kiln prints: a Rust panic (with the backtrace hint that
/// `RUST_BACKTRACE=0` still prints), a fatal runtime or engine error, a
/// segmentation fault reported on the way out.
const CRASH_SIGNS: [&str; 5] = [
  "panicked at",
  "rust_backtrace",
  "fatal",
  "segmentation",
  "core dumped",
];

/// The lines of `output` that show a crash.
pub fn crash_lines(output: &str) -> Vec<&str> {
  output
    .lines()
    .filter(|line| {
      let line = line.to_ascii_lowercase();
      CRASH_SIGNS.iter().any(|sign| line.contains(sign))
    })
    .collect()
}

/// A running `kiln dev`; killed when dropped.
pub struct Kiln {
  child: Mutex<Child>,
  /// The primary worker's address.
  pub addr: SocketAddr,
  /// Every worker's address, in the order kiln printed them.
  pub addrs: Vec<SocketAddr>,
  output: Arc<Mutex<String>>,
  /// Set once the test has seen kiln exit as it meant it to.
  exited: std::sync::atomic::AtomicBool,
}

impl Kiln {
  /// Runs `kiln dev ARGS --port 0` and waits until it says where it listens.
  pub fn start(args: &[&str]) -> Kiln {
    Self::start_in(&workers_dir(), args)
  }

  pub fn start_in(cwd: &Path, args: &[&str]) -> Kiln {
    Self::start_workers(cwd, args, 1)
  }

  /// Runs `kiln dev ARGS --port 0` and waits until `count` workers are ready.
  pub fn start_workers(cwd: &Path, args: &[&str], count: usize) -> Kiln {
    Self::start_with_env(cwd, args, count, &[])
  }

  /// The same, with extra environment variables for kiln.
  pub fn start_with_env(cwd: &Path, args: &[&str], count: usize, env: &[(&str, &str)]) -> Kiln {
    let mut command = Command::new(kiln_bin());
    command
      .arg("dev")
      .args(args)
      .args(["--port", "0"])
      .current_dir(cwd)
      .env("RUST_BACKTRACE", "0")
      .envs(env.iter().copied());
    Self::spawn(command, count)
  }

  /// Runs `command`, a `kiln dev … --port 0` however it is wrapped, and
  /// waits until `count` workers are ready.
  pub fn spawn(mut command: Command, count: usize) -> Kiln {
    let mut child = command
      .stdin(Stdio::null())
      .stdout(Stdio::piped())
      .stderr(Stdio::piped())
      .spawn()
      .expect("spawn kiln");
    let output = Arc::new(Mutex::new(String::new()));
    let (addr_tx, addr_rx) = mpsc::channel();
    let stdout_done = pump_lines(child.stdout.take().unwrap(), output.clone(), move |line| {
      if let Some(rest) = line.split("ready on http://").nth(1) {
        let _ = addr_tx.send(rest.trim().parse::<SocketAddr>().expect("bound address"));
      }
    });
    let stderr_done = pump_lines(child.stderr.take().unwrap(), output.clone(), |_| {});
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut addrs = Vec::new();
    while addrs.len() < count {
      match addr_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(addr) => addrs.push(addr),
        Err(why) => {
          let _ = child.kill();
          let status = child.wait();
          // The process is gone, so its pipes end; wait for the last lines.
          let settle = Instant::now() + Duration::from_secs(5);
          ended_by(&stdout_done, settle);
          ended_by(&stderr_done, settle);
          let why = match why {
            RecvTimeoutError::Timeout => "nothing within 30 s".to_string(),
            RecvTimeoutError::Disconnected => format!("it ended its output; exit: {status:?}"),
          };
          panic!(
            "kiln did not start ({why}); it printed:\n{}",
            output.lock().unwrap()
          );
        }
      }
    }
    Kiln {
      child: Mutex::new(child),
      addr: addrs[0],
      addrs,
      output,
      exited: std::sync::atomic::AtomicBool::new(false),
    }
  }

  /// Everything kiln printed so far (stdout and stderr, interleaved by line).
  pub fn output(&self) -> String {
    self.output.lock().unwrap().clone()
  }

  /// The process id of kiln.
  pub fn pid(&self) -> u32 {
    self.child.lock().unwrap().id()
  }

  /// Kiln's resident memory now (`VmRSS`) and at its highest so far
  /// (`VmHWM`), in KiB.
  pub fn memory_kib(&self) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
      .unwrap_or_else(|e| panic!("kiln's /proc status: {e}\n{}", self.output()));
    let field = |name: &str| {
      status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in kiln's /proc status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
  }

  /// How kiln ended, if it has.
  pub fn exit_status(&self) -> Option<ExitStatus> {
    self
      .child
      .lock()
      .unwrap()
      .try_wait()
      .expect("wait for kiln")
  }

  /// `Err` when kiln has exited, or has printed a sign of a crash (see
  /// `crash_lines`): a crashed connection ends like a failed one, so a test
  /// expecting failure cannot tell them apart by the socket alone.
  pub fn check_alive(&self) -> Result<(), String> {
    self.check_alive_since(0)
  }

  /// The same, looking for crash lines only in what kiln printed after the
  /// first `offset` bytes (an earlier `output().len()`), so that a crash is
  /// blamed on what happened since.
  pub fn check_alive_since(&self, offset: usize) -> Result<(), String> {
    if let Some(status) = self.exit_status() {
      return Err(format!(
        "kiln is no longer running ({status}); it printed:\n{}",
        self.output()
      ));
    }
    let output = self.output();
    let crash = crash_lines(output.get(offset..).unwrap_or(""));
    if crash.is_empty() {
      Ok(())
    } else {
      Err(format!("kiln printed:\n{}", crash.join("\n")))
    }
  }

  pub fn assert_alive(&self) {
    if let Err(why) = self.check_alive() {
      panic!("{why}");
    }
  }

  /// Waits until kiln's output contains `needle`, or fails after 10 s.
  pub fn wait_for_output(&self, needle: &str) -> String {
    self
      .output_within(needle, Duration::from_secs(10))
      .unwrap_or_else(|out| panic!("kiln never printed {needle:?}; it printed:\n{out}"))
  }

  /// Kiln's output once it contains `needle`; `Err` with the output if it
  /// does not within `wait`.
  pub fn output_within(&self, needle: &str, wait: Duration) -> Result<String, String> {
    self.output_times_within(needle, 1, wait)
  }

  /// Kiln's output once it contains `needle` at least `times` times; `Err`
  /// with the output if it does not within `wait`.
  pub fn output_times_within(
    &self,
    needle: &str,
    times: usize,
    wait: Duration,
  ) -> Result<String, String> {
    let deadline = Instant::now() + wait;
    loop {
      let out = self.output();
      if out.matches(needle).count() >= times {
        return Ok(out);
      }
      if Instant::now() >= deadline {
        return Err(out);
      }
      std::thread::sleep(Duration::from_millis(10));
    }
  }

  pub fn url(&self, path: &str) -> String {
    format!("http://{}{}", self.addr, path)
  }

  pub async fn get(&self, path: &str) -> Reply {
    self.request("GET", path, &[], Bytes::new()).await
  }

  pub async fn request(
    &self,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
  ) -> Reply {
    send(self.addr, method, path, headers, body.into()).await
  }
}

impl Kiln {
  /// Waits (up to `limit`) for kiln to exit, as a test that stops it
  /// expects; answers its exit code. Fails past the limit.
  pub fn wait_for_exit(&self, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    loop {
      if let Some(status) = self.exit_status() {
        self
          .exited
          .store(true, std::sync::atomic::Ordering::Relaxed);
        return status.code();
      }
      assert!(
        Instant::now() < deadline,
        "kiln did not exit within {limit:?}; it printed:\n{}",
        self.output()
      );
      std::thread::sleep(Duration::from_millis(20));
    }
  }
}

impl Drop for Kiln {
  fn drop(&mut self) {
    // Every test that ran kiln also checks that it did not crash on the way,
    // unless the test has already failed or saw it exit as it meant to.
    let alive =
      if std::thread::panicking() || self.exited.load(std::sync::atomic::Ordering::Relaxed) {
        Ok(())
      } else {
        self.check_alive()
      };
    let child = self.child.get_mut().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    if let Err(why) = alive {
      panic!("{why}");
    }
  }
}

/// Copies a child's output, line by line, into `output` on a thread of its
/// own, calling `each` with every line; the receiver disconnects at the end.
fn pump_lines(
  pipe: impl Read + Send + 'static,
  output: Arc<Mutex<String>>,
  mut each: impl FnMut(&str) + Send + 'static,
) -> mpsc::Receiver<()> {
  let (done, ended) = mpsc::channel::<()>();
  std::thread::spawn(move || {
    let _done = done;
    for line in BufReader::new(pipe).lines().map_while(Result::ok) {
      each(&line);
      let mut out = output.lock().unwrap();
      out.push_str(&line);
      out.push('\n');
    }
  });
  ended
}

/// Whether the pump behind `ended` finished before `deadline`.
fn ended_by(ended: &mpsc::Receiver<()>, deadline: Instant) -> bool {
  matches!(
    ended.recv_timeout(deadline.saturating_duration_since(Instant::now())),
    Err(RecvTimeoutError::Disconnected)
  )
}

/// The result of a program run that was expected to end by itself.
pub struct Exit {
  pub code: Option<i32>,
  pub stdout: String,
  pub stderr: String,
}

/// A program that did not finish within its deadline. It has been killed
/// and reaped.
#[derive(Debug)]
pub struct Overdue {
  pub pid: u32,
  pub why: String,
  /// What it printed until then.
  pub stdout: String,
  pub stderr: String,
}

impl fmt::Display for Overdue {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(
      f,
      "{}; it printed:\n{}\n{}",
      self.why, self.stdout, self.stderr
    )
  }
}

/// Runs `kiln ARGS` to completion (for start-up failures); fails after 30 s.
pub fn run_to_exit(cwd: &Path, args: &[&str]) -> Exit {
  let mut command = Command::new(kiln_bin());
  command
    .args(args)
    .current_dir(cwd)
    .env("RUST_BACKTRACE", "0");
  run_with_deadline(&mut command, Duration::from_secs(30))
    .unwrap_or_else(|overdue| panic!("kiln {args:?}: {overdue}"))
}

/// Runs `command` to completion, reading its stdout and stderr while it
/// runs, for at most `limit`; past that it is killed and reaped.
pub fn run_with_deadline(command: &mut Command, limit: Duration) -> Result<Exit, Overdue> {
  let deadline = Instant::now() + limit;
  let mut child = command
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
  let pid = child.id();
  // Both pipes are read from the start: a child that fills one while
  // nobody reads it would block forever, and never exit.
  let stdout = Drain::start(child.stdout.take().unwrap());
  let stderr = Drain::start(child.stderr.take().unwrap());
  let status = loop {
    if let Some(status) = child.try_wait().expect("wait for the child") {
      break Some(status);
    }
    if Instant::now() >= deadline {
      break None;
    }
    std::thread::sleep(Duration::from_millis(10));
  };
  let overdue = |why: String| Overdue {
    pid,
    why,
    stdout: stdout.text(),
    stderr: stderr.text(),
  };
  let Some(status) = status else {
    let _ = child.kill();
    let _ = child.wait();
    return Err(overdue(format!("did not exit within {limit:?}")));
  };
  // The pipes end with the child, unless something it started holds them.
  if !stdout.ended_by(deadline) || !stderr.ended_by(deadline) {
    return Err(overdue(format!(
      "exited ({status}) but its output was still open after {limit:?}"
    )));
  }
  Ok(Exit {
    code: status.code(),
    stdout: stdout.text(),
    stderr: stderr.text(),
  })
}

/// One output pipe of a child, read to its end on a thread of its own.
struct Drain {
  bytes: Arc<Mutex<Vec<u8>>>,
  ended: mpsc::Receiver<()>,
}

impl Drain {
  fn start(mut pipe: impl Read + Send + 'static) -> Drain {
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let (done, ended) = mpsc::channel::<()>();
    let sink = bytes.clone();
    std::thread::spawn(move || {
      let _done = done;
      let mut chunk = vec![0u8; 64 * 1024];
      while let Ok(n) = pipe.read(&mut chunk) {
        if n == 0 {
          break;
        }
        sink.lock().unwrap().extend_from_slice(&chunk[..n]);
      }
    });
    Drain { bytes, ended }
  }

  fn ended_by(&self, deadline: Instant) -> bool {
    ended_by(&self.ended, deadline)
  }

  fn text(&self) -> String {
    String::from_utf8_lossy(&self.bytes.lock().unwrap()).into_owned()
  }
}

/// An HTTP response as the test sees it.
#[derive(Debug)]
pub struct Reply {
  pub status: u16,
  pub headers: hyper::HeaderMap,
  pub body: Bytes,
}

impl Reply {
  pub fn text(&self) -> String {
    String::from_utf8_lossy(&self.body).into_owned()
  }

  pub fn json(&self) -> serde_json::Value {
    serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
  }

  pub fn header(&self, name: &str) -> Option<&str> {
    self.headers.get(name).and_then(|v| v.to_str().ok())
  }
}

/// One HTTP/1.1 request on a fresh connection; fails unless the whole
/// response, body included, arrives within 20 s.
pub async fn send(
  addr: SocketAddr,
  method: &str,
  path: &str,
  headers: &[(&str, &str)],
  body: Bytes,
) -> Reply {
  try_send(addr, method, path, headers, body)
    .await
    .unwrap_or_else(|why| panic!("{method} {path} on {addr}: {why}"))
}

/// The same, with `Err` instead of a panic.
pub async fn try_send(
  addr: SocketAddr,
  method: &str,
  path: &str,
  headers: &[(&str, &str)],
  body: Bytes,
) -> Result<Reply, String> {
  try_send_within(Duration::from_secs(20), addr, method, path, headers, body).await
}

/// The same, with a deadline of `limit` for the whole exchange: connecting,
/// the response's head and all of its body.
pub async fn try_send_within(
  limit: Duration,
  addr: SocketAddr,
  method: &str,
  path: &str,
  headers: &[(&str, &str)],
  body: Bytes,
) -> Result<Reply, String> {
  tokio::time::timeout(limit, exchange(addr, method, path, headers, body))
    .await
    .map_err(|_| format!("no complete response within {limit:?}"))?
}

async fn exchange(
  addr: SocketAddr,
  method: &str,
  path: &str,
  headers: &[(&str, &str)],
  body: Bytes,
) -> Result<Reply, String> {
  let stream = tokio::net::TcpStream::connect(addr)
    .await
    .map_err(|e| format!("connect: {e}"))?;
  let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
    .await
    .map_err(|e| format!("handshake: {e}"))?;
  tokio::spawn(conn);
  let mut request = hyper::Request::builder().method(method).uri(path);
  if !headers
    .iter()
    .any(|(name, _)| name.eq_ignore_ascii_case("host"))
  {
    request = request.header("host", addr.to_string());
  }
  for (name, value) in headers {
    request = request.header(*name, *value);
  }
  let request = request.body(Full::new(body)).unwrap();
  let response = sender
    .send_request(request)
    .await
    .map_err(|e| format!("response: {e}"))?;
  let status = response.status().as_u16();
  let headers = response.headers().clone();
  let body = response
    .into_body()
    .collect()
    .await
    .map_err(|e| format!("body: {e}"))?
    .to_bytes();
  Ok(Reply {
    status,
    headers,
    body,
  })
}
