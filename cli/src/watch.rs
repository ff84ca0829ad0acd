//! `kiln dev --watch`: a change to a worker's files or configuration reloads
//! that worker without restarting the process, as wrangler dev does.
//!
//! What a reload does, in order:
//! 1. The configuration is read again; if it has errors they are printed
//!    and the running version stays.
//! 2. The new version is started once in a throwaway isolate
//!    (`kiln_runtime::check`); if it does not start, the error is printed
//!    and the running version stays (wrangler dev keeps the old worker when
//!    a rebuild fails).
//! 3. The worker swaps versions as a deploy does (runtime/worker/src/
//!    worker.rs, `reload`): new requests wait for the new version, the old
//!    one finishes what it has in flight within a grace, its WebSockets are
//!    sent Close 1012 (Service Restart).
//! 4. One line says what changed and how long the reload took.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kiln_host::config::{self, Overrides, Source};
use kiln_host::registry::Registry;
use kiln_runtime::ReloadHandle;
use notify::{RecursiveMode, Watcher};

use crate::SpecTweaks;

/// One running worker and what it was made from.
pub struct Watched {
  pub source: Source,
  pub overrides: Overrides,
  pub handle: ReloadHandle,
}

/// What a reload cannot change in a running process: the listener, the
/// routes, and the tasks and assets set up when the worker began serving.
#[derive(PartialEq)]
struct FixedAtStart(String);

impl FixedAtStart {
  fn of(plan: &config::WorkerPlan) -> FixedAtStart {
    FixedAtStart(format!(
      "{:?} {:?} {:?} {:?} {:?}",
      plan.dev, plan.routes, plan.spec.crons, plan.spec.queue_consumers, plan.spec.assets
    ))
  }
}

/// Changes closer together than this are one reload: an editor's save is
/// often several writes.
const SETTLE: Duration = Duration::from_millis(100);

/// Folders whose changes never reload a worker: installed packages, kiln's
/// and wrangler's own state, version control.
const IGNORED: [&str; 3] = ["node_modules", ".wrangler", ".git"];

pub fn start(workers: Vec<Watched>, tweaks: SpecTweaks, registry: Registry) -> Result<(), String> {
  let (tx, rx) = mpsc::channel();
  let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
    if let Ok(event) = event {
      if !matches!(event.kind, notify::EventKind::Access(_)) {
        for path in event.paths {
          let _ = tx.send(path);
        }
      }
    }
  })
  .map_err(|e| format!("cannot watch for changes: {e}"))?;
  let mut scopes = Vec::new();
  let mut fixed = Vec::new();
  for worker in &workers {
    let plan = config::plan_worker(&worker.source, &worker.overrides)?;
    fixed.push(FixedAtStart::of(&plan));
    let scope = Scope::of(&worker.source, &plan);
    watcher
      .watch(&scope.root, RecursiveMode::Recursive)
      .map_err(|e| format!("cannot watch {}: {e}", scope.root.display()))?;
    if let Some(dir) = &scope.config_dir {
      if !dir.starts_with(&scope.root) {
        watcher
          .watch(dir, RecursiveMode::NonRecursive)
          .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
      }
    }
    scopes.push(scope);
  }
  std::thread::Builder::new()
    .name("watch".into())
    .spawn(move || {
      // The watcher lives as long as the thread that reads it.
      let _watcher = watcher;
      while let Ok(first) = rx.recv() {
        let mut changed = BTreeSet::from([first]);
        let settle_until = Instant::now() + SETTLE;
        while let Ok(path) = rx.recv_timeout(settle_until.saturating_duration_since(Instant::now()))
        {
          changed.insert(path);
        }
        for ((worker, scope), fixed) in workers.iter().zip(&scopes).zip(&fixed) {
          let mine: Vec<&PathBuf> = changed.iter().filter(|p| scope.covers(p)).collect();
          // An editor's or sed's temporary files are gone by now; the line
          // names the files that are there (or, if none is, what went).
          let there: Vec<&PathBuf> = mine.iter().copied().filter(|p| p.exists()).collect();
          let named = if there.is_empty() { &mine } else { &there };
          if let Some(first) = named.first() {
            reload(
              worker,
              fixed,
              &tweaks,
              &registry,
              &scope.show(first),
              named.len(),
            );
          }
        }
      }
    })
    .map_err(|e| format!("cannot start the watcher: {e}"))?;
  Ok(())
}

/// What a worker's version is made of, on disk.
struct Scope {
  /// The worker's root: its modules, assets, tsconfig.
  root: PathBuf,
  /// The configuration file's folder: the file itself, `.dev.vars`, `.env`.
  config_dir: Option<PathBuf>,
  /// Where the worker keeps its state, if inside the root.
  state_dir: Option<PathBuf>,
}

impl Scope {
  fn of(source: &Source, plan: &config::WorkerPlan) -> Scope {
    let config_dir = match source {
      Source::Config(path) => path
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf)),
      Source::Script(_) => None,
    };
    Scope {
      root: plan.spec.root.clone(),
      config_dir,
      state_dir: plan.spec.state_dir.clone(),
    }
  }

  fn covers(&self, path: &Path) -> bool {
    // Folders named as ignored count below the root only: a project may
    // itself live inside a node_modules folder.
    let below = path
      .strip_prefix(&self.root)
      .or_else(|_| path.strip_prefix(self.config_dir.as_deref().unwrap_or(&self.root)))
      .unwrap_or(path);
    let ignored = below.components().any(|c| match c {
      Component::Normal(name) => IGNORED.iter().any(|i| name == *i),
      _ => false,
    });
    if ignored || self.state_dir.as_ref().is_some_and(|s| path.starts_with(s)) {
      return false;
    }
    path.starts_with(&self.root)
      || self
        .config_dir
        .as_deref()
        .is_some_and(|d| path.parent() == Some(d))
  }

  /// A changed path as the reload line shows it: below the root if it is.
  fn show(&self, path: &Path) -> String {
    path
      .strip_prefix(&self.root)
      .or_else(|_| path.strip_prefix(self.config_dir.as_deref().unwrap_or(&self.root)))
      .unwrap_or(path)
      .display()
      .to_string()
  }
}

fn reload(
  worker: &Watched,
  fixed: &FixedAtStart,
  tweaks: &SpecTweaks,
  registry: &Registry,
  first: &str,
  count: usize,
) {
  let name = &worker.handle.name;
  let began = Instant::now();
  let what = if count > 1 {
    format!("{first} and {} more changed", count - 1)
  } else {
    format!("{first} changed")
  };
  let plan = match config::plan_worker(&worker.source, &worker.overrides) {
    Ok(plan) => plan,
    Err(e) => {
      eprintln!("kiln: worker \"{name}\": {what}; the configuration has errors, so the running version stays:\n{e}");
      return;
    }
  };
  if !plan.warnings.is_empty() {
    eprint!("warning: {}", plan.warnings);
  }
  if plan.spec.name != **name {
    eprintln!(
      "kiln: worker \"{name}\": {what}; its name is now \"{}\", which takes effect when kiln starts again; the running version stays.",
      plan.spec.name
    );
    return;
  }
  if FixedAtStart::of(&plan) != *fixed {
    eprintln!(
      "kiln: worker \"{name}\": changes to the port, ip, routes, cron triggers, queue consumers or [assets] take effect when kiln starts again"
    );
  }
  let spec = tweaks.apply(plan.spec, plan.services);
  if let Err(e) = kiln_runtime::check(&spec, registry) {
    eprintln!("kiln: worker \"{name}\": {what}; the new version does not start, so the running version stays:\n{e}");
    return;
  }
  match worker.handle.reload(spec).blocking_recv() {
    Ok(Ok(reloaded)) => {
      let mut line = format!(
        "kiln: worker \"{name}\" reloaded ({what}) in {}ms",
        began.elapsed().as_millis()
      );
      if reloaded.cut_requests > 0 {
        line.push_str(&format!(
          "; {} request(s) still running were answered 503",
          reloaded.cut_requests
        ));
      }
      if reloaded.closed_websockets > 0 {
        line.push_str(&format!(
          "; {} WebSocket(s) were sent Close 1012 (Service Restart)",
          reloaded.closed_websockets
        ));
      }
      eprintln!("{line}");
    }
    Ok(Err(e)) => eprintln!(
      "kiln: worker \"{name}\": {what}; the new version did not start, and the old one had already stopped; requests get 503 until a change fixes it:\n{e}"
    ),
    Err(_) => eprintln!("kiln: worker \"{name}\": {what}; the worker has stopped"),
  }
}
