//! A launcher for `wrangler dev` (npm `wrangler`, which runs Miniflare on a
//! workerd of its own), the reference for bindings that workerd alone does
//! not simulate, such as Workers KV. `make reference` installs it into
//! tests/reference.
//!
//! [`Wrangler::start`] copies a test worker's folder (its wrangler.toml and
//! modules) into a temporary directory, so that wrangler's `.wrangler/tmp`
//! build output never lands in the repository and parallel tests do not
//! share it, and runs
//! `wrangler dev --local --ip 127.0.0.1 --port 0 --persist-to <state>` there,
//! offline, with its global files (logs, dev registry, metrics consent)
//! inside that directory too, and an inspector port picked free (the
//! default, the first free port from 9229, is raced for by parallel tests). It waits (with a deadline) until wrangler says
//! where it listens and accepts connections there, captures its output for
//! failure messages, and kills its whole process group (node, esbuild and
//! the workerd processes) when dropped.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::workerd::TempDir;

/// How long wrangler may take to start: it bundles the worker with esbuild
/// and starts two workerd processes, which takes seconds on a busy machine.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// The wrangler that `make reference` installs (`WRANGLER_BIN` overrides).
pub fn wrangler_bin() -> PathBuf {
  if let Some(bin) = std::env::var_os("WRANGLER_BIN") {
    return PathBuf::from(bin);
  }
  let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("reference/node_modules/.bin/wrangler");
  assert!(
    bin.exists(),
    "{} is missing: wrangler dev is the reference for this test; run `make reference` \
     (cd tests/reference && npm install)",
    bin.display()
  );
  bin
}

/// `wrangler dev -c <config>` run in `project` as the tests run it: on
/// loopback, any port, offline, no prompts nor metrics, its global files
/// (logs, dev registry, metrics consent) under `home`, no colours, and its
/// own process group, so that node's children (esbuild, workerd) can be
/// killed with it.
pub fn dev_command(bin: &Path, config: &Path, project: &Path, home: &Path) -> Command {
  std::fs::create_dir_all(home).expect("create wrangler's config folder");
  // wrangler's own port is chosen by the system (`--port 0`; it prints the
  // one it got), but its inspector port would be the first free one from
  // 9229 on, which tests running in parallel race for.
  let inspector_port = TcpListener::bind("127.0.0.1:0")
    .and_then(|l| l.local_addr())
    .expect("free port")
    .port()
    .to_string();
  let mut command = Command::new(bin);
  command
    .arg("dev")
    .arg("-c")
    .arg(config)
    .args(["--local", "--ip", "127.0.0.1", "--port", "0"])
    .args(["--inspector-port", &inspector_port])
    .arg("--show-interactive-dev-session=false")
    .current_dir(project)
    .env("WRANGLER_SEND_METRICS", "false")
    .env("WRANGLER_SEND_ERROR_REPORTS", "false")
    .env("XDG_CONFIG_HOME", home)
    .env("WRANGLER_LOG_PATH", home.join("logs"))
    .env("WRANGLER_REGISTRY_PATH", home.join("registry"))
    .env("NO_COLOR", "1")
    .env("FORCE_COLOR", "0")
    .stdin(Stdio::null())
    .process_group(0);
  command
}

/// Runs `wrangler dev -c <config>` in `project` on a configuration it must
/// refuse: fails unless it exits non-zero within 60 s (killing what it
/// started if it does start). Answers its exit code and what it printed
/// (stdout, then stderr).
pub fn refuses(config: &str, project: &Path) -> (Option<i32>, String) {
  let home = TempDir::new("wrangler-home");
  let mut command = dev_command(&wrangler_bin(), Path::new(config), project, home.path());
  match crate::run_with_deadline(&mut command, Duration::from_secs(60)) {
    Ok(exit) => {
      let printed = format!("{}{}", exit.stdout, exit.stderr);
      assert!(
        exit.code.is_some_and(|code| code != 0),
        "wrangler dev -c {config} should fail; it exited with {:?}:\n{printed}",
        exit.code
      );
      (exit.code, printed)
    }
    Err(overdue) => {
      let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", overdue.pid)])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
      panic!("wrangler dev -c {config} should fail at once: {overdue}");
    }
  }
}

/// A running `wrangler dev`; its process group is killed when dropped.
pub struct Wrangler {
  child: Child,
  pub addr: SocketAddr,
  output: Arc<Mutex<String>>,
  _work_dir: TempDir,
}

impl Wrangler {
  /// Runs `wrangler dev` for the worker whose configuration is `config` (a
  /// wrangler.toml; the files next to it are copied along), keeping its
  /// local state (KV, Durable Objects, caches) under `persist_to`: start it
  /// again on the same folder to find the same data.
  pub fn start(config: &Path, persist_to: &Path) -> Wrangler {
    Self::start_with(config, persist_to, &[])
  }

  /// `wrangler dev` in a project's own folder, not a copy: a project with
  /// its node_modules and sources in subfolders (tests/projects). wrangler
  /// writes its build output under the project's `.wrangler/`, which git
  /// ignores.
  pub fn start_project(project: &Path, persist_to: &Path) -> Wrangler {
    let bin = wrangler_bin();
    std::fs::create_dir_all(persist_to).expect("create the state folder");
    let mut attempt = 0;
    loop {
      attempt += 1;
      match Self::try_start(
        &bin,
        project,
        Path::new("wrangler.toml"),
        persist_to,
        &[],
        false,
      ) {
        Ok(wrangler) => return wrangler,
        Err(why) if attempt < 3 && why.contains("Address already in use") => continue,
        Err(why) => panic!("{why}"),
      }
    }
  }

  /// The same with more arguments for `wrangler dev` (`--env staging`).
  pub fn start_with(config: &Path, persist_to: &Path, extra: &[&str]) -> Wrangler {
    let bin = wrangler_bin();
    let source = config.parent().expect("the config's folder");
    let config_name = config.file_name().expect("the config's file name");
    std::fs::create_dir_all(persist_to).expect("create the state folder");
    // Two ports can be picked as free and then taken before wrangler binds
    // them (by a test running in parallel): retry then.
    let mut attempt = 0;
    loop {
      attempt += 1;
      match Self::try_start(&bin, source, config_name.as_ref(), persist_to, extra, true) {
        Ok(wrangler) => return wrangler,
        Err(why) if attempt < 3 && why.contains("Address already in use") => continue,
        Err(why) => panic!("{why}"),
      }
    }
  }

  fn try_start(
    bin: &Path,
    source: &Path,
    config_name: &Path,
    persist_to: &Path,
    extra: &[&str],
    copy: bool,
  ) -> Result<Wrangler, String> {
    let work_dir = TempDir::new("wrangler");
    let project = if copy {
      let project = work_dir.path().join("worker");
      copy_files(source, &project);
      project
    } else {
      source.to_path_buf()
    };
    let home = work_dir.path().join("home");
    let mut child = dev_command(bin, config_name, &project, &home)
      .arg("--persist-to")
      .arg(persist_to)
      .args(extra)
      .stdout(Stdio::piped())
      .stderr(Stdio::piped())
      .spawn()
      .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    let output = Arc::new(Mutex::new(String::new()));
    let (addr_tx, addr_rx) = mpsc::channel::<SocketAddr>();
    for stream in [
      Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
      Box::new(child.stderr.take().unwrap()),
    ] {
      let out = output.clone();
      let addr_tx = addr_tx.clone();
      std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
          if let Some(addr) = ready_address(&line) {
            let _ = addr_tx.send(addr);
          }
          let mut out = out.lock().unwrap();
          out.push_str(&line);
          out.push('\n');
        }
      });
    }
    drop(addr_tx);
    // Dropped (the process group killed) on every early return.
    let mut wrangler = Wrangler {
      child,
      // Replaced below once wrangler says where it listens.
      addr: SocketAddr::from(([127, 0, 0, 1], 0)),
      output,
      _work_dir: work_dir,
    };
    let deadline = Instant::now() + START_DEADLINE;
    let addr = loop {
      match addr_rx.recv_timeout(Duration::from_millis(100)) {
        Ok(addr) => break addr,
        Err(RecvTimeoutError::Disconnected) => {
          // Its output ended: it exited (or closed both pipes).
          let status = wrangler.child.try_wait();
          std::thread::sleep(Duration::from_millis(100));
          return Err(format!(
            "wrangler dev ended before it was ready ({status:?}); it printed:\n{}",
            wrangler.output()
          ));
        }
        Err(RecvTimeoutError::Timeout) => {}
      }
      if let Ok(Some(status)) = wrangler.child.try_wait() {
        std::thread::sleep(Duration::from_millis(100)); // let the readers finish
        return Err(format!(
          "wrangler dev exited ({status}) before it was ready; it printed:\n{}",
          wrangler.output()
        ));
      }
      if Instant::now() > deadline {
        return Err(format!(
          "wrangler dev was not ready within {START_DEADLINE:?}; it printed:\n{}",
          wrangler.output()
        ));
      }
    };
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
      if Instant::now() > deadline {
        return Err(format!(
          "wrangler dev said it was ready on {addr} but does not accept connections there \
           within {START_DEADLINE:?}; it printed:\n{}",
          wrangler.output()
        ));
      }
      std::thread::sleep(Duration::from_millis(50));
    }
    wrangler.addr = addr;
    Ok(wrangler)
  }

  /// Everything wrangler printed so far (stdout and stderr, by line).
  pub fn output(&self) -> String {
    self.output.lock().unwrap().clone()
  }

  /// The process id of wrangler's node process (its process group's id).
  pub fn pid(&self) -> u32 {
    self.child.id()
  }

  /// Kills wrangler and everything it started at once (SIGKILL), and waits
  /// for it.
  pub fn kill(self) {
    drop(self);
  }
}

impl Drop for Wrangler {
  fn drop(&mut self) {
    // The group is signalled before node is reaped, so its id cannot have
    // been reused by an unrelated process group.
    let group = format!("-{}", self.child.id());
    let killed = Command::new("kill")
      .args(["-KILL", "--", &group])
      .stdin(Stdio::null())
      .stdout(Stdio::null())
      .stderr(Stdio::null())
      .status();
    if !matches!(killed, Ok(status) if status.success()) {
      let _ = self.child.kill();
    }
    let _ = self.child.wait();
  }
}

/// The address in wrangler's `[wrangler:info] Ready on http://127.0.0.1:PORT`.
fn ready_address(line: &str) -> Option<SocketAddr> {
  let rest = line.split("Ready on http://").nth(1)?;
  let addr: String = rest
    .chars()
    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '[' | ']'))
    .collect();
  addr.parse().ok()
}

/// Copies the regular files of `from` (not its folders, such as a
/// `.wrangler` left by a manual run) into `to`.
fn copy_files(from: &Path, to: &Path) {
  std::fs::create_dir_all(to).expect("create the worker's copy");
  let entries = std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()));
  for entry in entries.map_while(Result::ok) {
    if entry.file_type().is_ok_and(|t| t.is_file()) {
      std::fs::copy(entry.path(), to.join(entry.file_name()))
        .unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
    }
  }
}
