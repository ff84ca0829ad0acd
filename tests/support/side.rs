//! One runtime of a differential test against wrangler dev: the bindings'
//! tests (KV, D1, R2, Queues, the Cache API) run each scenario on wrangler
//! (the reference) and on kiln, each with a state folder that outlives its
//! process so that a restart finds the same data.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::json::{assert_json, assert_kiln_report};
use crate::workerd::TempDir;
use crate::wrangler::Wrangler;
use crate::{try_send_within, workers_dir, Kiln};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
  Wrangler,
  Kiln,
}

impl Kind {
  pub fn label(self) -> &'static str {
    match self {
      Kind::Wrangler => "wrangler",
      Kind::Kiln => "kiln",
    }
  }
}

/// A worker's configuration: `config` in `dir`. kiln runs in `dir` with
/// `-c <config>`; wrangler runs on a copy of the configuration's folder.
#[derive(Clone)]
pub struct Target {
  pub dir: PathBuf,
  pub config: String,
}

impl Target {
  /// A configuration below tests/workers, e.g. "kv/wrangler.toml".
  pub fn workers(config: &str) -> Target {
    Target {
      dir: workers_dir(),
      config: config.into(),
    }
  }

  /// `wrangler.toml` in a project folder.
  pub fn project(dir: &Path) -> Target {
    Target {
      dir: dir.to_path_buf(),
      config: "wrangler.toml".into(),
    }
  }

  pub fn config_path(&self) -> PathBuf {
    self.dir.join(&self.config)
  }
}

/// Whether the environment variable `var` asks for the reference alone
/// (which checks a test's expectations themselves).
pub fn reference_only(var: &str) -> bool {
  std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// wrangler, then kiln unless `var` says reference only.
pub fn kinds(var: &str) -> Vec<Kind> {
  if reference_only(var) {
    vec![Kind::Wrangler]
  } else {
    vec![Kind::Wrangler, Kind::Kiln]
  }
}

/// Both sides of `target` (or wrangler's alone), each with a fresh state
/// folder named after `name`.
pub fn sides(var: &str, target: &Target, name: &str) -> Vec<Side> {
  kinds(var)
    .into_iter()
    .map(|kind| Side::start(kind, target.clone(), name))
    .collect()
}

enum Process {
  Wrangler(Wrangler),
  Kiln(Kiln),
}

/// One runtime, with a state directory that outlives its processes.
pub struct Side {
  pub kind: Kind,
  pub target: Target,
  pub state: TempDir,
  process: Option<Process>,
  /// How long one request may take.
  deadline: Duration,
}

impl Side {
  /// Starts the dev server of `target` on a fresh state folder.
  pub fn start(kind: Kind, target: Target, name: &str) -> Side {
    let state = TempDir::new(&format!("{name}-{}", kind.label()));
    Side::start_on(kind, target, state)
  }

  /// Starts the dev server of `target` on the state in `state`.
  pub fn start_on(kind: Kind, target: Target, state: TempDir) -> Side {
    let mut side = Side {
      kind,
      target,
      state,
      process: None,
      deadline: Duration::from_secs(20),
    };
    side.launch();
    side
  }

  /// How long each request may take (20 s unless set).
  pub fn with_deadline(mut self, deadline: Duration) -> Side {
    self.deadline = deadline;
    self
  }

  pub fn launch(&mut self) {
    assert!(self.process.is_none(), "already running");
    self.process = Some(match self.kind {
      Kind::Wrangler => Process::Wrangler(Wrangler::start(
        &self.target.config_path(),
        self.state.path(),
      )),
      Kind::Kiln => {
        let state = self.state.path().to_string_lossy().into_owned();
        Process::Kiln(Kiln::start_in(
          &self.target.dir,
          &["-c", &self.target.config, "--persist-to", &state],
        ))
      }
    });
  }

  /// SIGKILL (wrangler: its whole process group), like `kill -9`.
  pub fn kill(&mut self) {
    match self.process.take() {
      Some(Process::Wrangler(w)) => w.kill(),
      Some(Process::Kiln(k)) => drop(k), // Kiln's Drop is Child::kill (SIGKILL) + wait
      None => {}
    }
  }

  pub fn restart(&mut self) {
    self.kill();
    self.launch();
  }

  pub fn label(&self) -> &'static str {
    self.kind.label()
  }

  pub fn addr(&self) -> SocketAddr {
    match self.process.as_ref().expect("not running") {
      Process::Wrangler(w) => w.addr,
      Process::Kiln(k) => k.addr,
    }
  }

  /// Everything the process printed.
  pub fn output(&self) -> String {
    match &self.process {
      Some(Process::Wrangler(w)) => w.output(),
      Some(Process::Kiln(k)) => k.output(),
      None => "(not running)".into(),
    }
  }

  /// The last lines of the output, for failure messages.
  pub fn tail(&self) -> String {
    last_lines(&self.output())
  }

  /// `GET path`, which must answer 200 with JSON within the deadline.
  pub async fn json(&self, path: &str) -> Value {
    let reply = try_send_within(
      self.deadline,
      self.addr(),
      "GET",
      path,
      &[],
      Default::default(),
    )
    .await
    .unwrap_or_else(|why| {
      panic!(
        "{}: GET {path}: {why}\n-- {} printed:\n{}",
        self.label(),
        self.label(),
        self.tail()
      )
    });
    assert_eq!(
      reply.status,
      200,
      "{}: GET {path} answered {}: {}\n-- {} printed:\n{}",
      self.label(),
      reply.status,
      reply.text(),
      self.label(),
      self.tail()
    );
    reply.json()
  }

  /// The report of `/scenario/<name>`.
  pub async fn scenario(&self, name: &str) -> Value {
    self.json(&format!("/scenario/{name}")).await
  }
}

/// The last 40 lines of a process's output.
pub fn last_lines(out: &str) -> String {
  let lines: Vec<&str> = out.lines().collect();
  lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Runs `/scenario/<name>` on every side: wrangler must answer `want` (else
/// the expectation is wrong), and kiln must answer what wrangler answered.
pub async fn check(sides: &[Side], name: &str, want: &Value) {
  check_except(sides, name, want, &[]).await;
}

/// As [`check`], except where kiln deliberately differs from wrangler dev
/// (see [`assert_kiln_report`]).
pub async fn check_except(sides: &[Side], name: &str, want: &Value, differences: &[(&str, Value)]) {
  let path = format!("/scenario/{name}");
  let mut reference = None;
  for side in sides {
    let got = side.json(&path).await;
    match side.kind {
      Kind::Wrangler => {
        assert_json(&format!("wrangler (the reference) on {path}"), want, &got);
        reference = Some(got);
      }
      Kind::Kiln => assert_kiln_report(&path, want, reference.as_ref(), &got, differences),
    }
  }
}
