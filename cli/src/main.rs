//! `kiln`: run Workers-style scripts locally.

mod compat;
mod d1;
mod hibernate;
mod watch;
mod wpt;
mod wpt_server;

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use kiln_host::config::{self, Overrides, Source, WorkerPlan};
use kiln_host::registry::Registry;
use kiln_host::routes::Router;
use kiln_host::server::HttpLimits;

/// `kiln --version`: the release, the engine this binary was built with,
/// and the newest compatibility date it accepts.
fn version() -> &'static str {
  // Made once, for clap, which keeps it for the process's life.
  Box::leak(
    format!(
      "{} (engine: {ENGINE}; compatibility dates up to {})",
      env!("CARGO_PKG_VERSION"),
      kiln_host::compat::NEWEST_COMPATIBILITY_DATE
    )
    .into_boxed_str(),
  )
}

#[cfg(feature = "quickjs")]
const ENGINE: &str = "QuickJS-ng";
#[cfg(not(feature = "quickjs"))]
const ENGINE: &str = "V8";

#[derive(Parser)]
#[command(
  name = "kiln",
  version = version(),
  about = "A Workers-compatible JavaScript runtime"
)]
struct Cli {
  #[command(subcommand)]
  command: Command,
}

#[derive(Subcommand)]
enum Command {
  /// Serve one or more workers over HTTP on this machine.
  Dev(DevArgs),
  /// Explain which compatibility flags a date and flag list turn on, and why.
  Compat(compat::CompatArgs),
  /// Run web-platform-tests (testharness.js `.any.js` files) in kiln.
  Wpt(wpt::WptArgs),
  /// Make the Durable Objects of a running `kiln dev` hibernate now (their
  /// hibernatable WebSockets stay open), and say which could not and why.
  Hibernate(hibernate::HibernateArgs),
  /// Local D1 databases: apply and list migrations.
  D1(d1::D1Args),
}

/// What `dev` and `compat` share: which configuration, and what overrides it.
#[derive(Args, Clone)]
pub struct ConfigArgs {
  /// A configuration file. Repeat it to run several workers in one process;
  /// the first is the primary worker.
  #[arg(short = 'c', long = "config", value_name = "FILE")]
  config: Vec<PathBuf>,
  /// The environment (`[env.NAME]`) to use [default: $CLOUDFLARE_ENV].
  #[arg(short = 'e', long)]
  env: Option<String>,
  /// Use this compatibility date instead of the configured one.
  #[arg(long, value_name = "YYYY-MM-DD")]
  compatibility_date: Option<String>,
  /// Use these compatibility flags instead of the configured list (given
  /// with no value: no flags).
  #[arg(long, alias = "compatibility-flag", num_args = 0.., value_name = "FLAG")]
  compatibility_flags: Option<Vec<String>>,
  /// Allow experimental compatibility flags.
  #[arg(long)]
  experimental: bool,
}

#[derive(Args)]
struct DevArgs {
  /// A worker script, a wrangler configuration file, or a directory holding
  /// one. Without it, the configuration is discovered from the current
  /// directory upwards.
  path: Option<PathBuf>,
  #[command(flatten)]
  config: ConfigArgs,
  /// A var for the primary worker's env, added to the configured vars.
  #[arg(long = "var", value_name = "KEY:VALUE")]
  vars: Vec<String>,
  /// The address to listen on [default: the config's dev.ip, else 127.0.0.1].
  #[arg(long)]
  ip: Option<IpAddr>,
  /// The primary worker's port; 0 picks a free one [default: the config's
  /// dev.port, else 8787].
  #[arg(long)]
  port: Option<u16>,
  /// Keep every worker's local state (Durable Objects) in DIR instead of
  /// .wrangler/state beside its configuration.
  #[arg(long, value_name = "DIR", conflicts_with = "no_persist")]
  persist_to: Option<PathBuf>,
  /// Keep every worker's local state in memory only.
  #[arg(long)]
  no_persist: bool,
  /// Isolates per worker, each on a thread of its own, sharing the
  /// worker's requests and new WebSockets, so that N cores serve it. A
  /// Durable Object still has one instance: the first isolate holds them
  /// all [default: 1].
  #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
  isolates: u16,
  /// How long an idle Durable Object stays in memory before it is evicted
  /// (its stubs stay valid; the next call constructs it again), e.g. 250ms,
  /// 10s [default: 10s, as workerd].
  #[arg(long, value_name = "DURATION", value_parser = config::parse_duration)]
  evict_after: Option<std::time::Duration>,
  /// How long a Durable Object whose only activity is hibernatable
  /// WebSockets stays in memory before it hibernates (its sockets stay
  /// open; the next message wakes it), e.g. 0, 500ms, 10s [default: 10s, as
  /// workerd]. `POST /cdn-cgi/kiln/hibernate` or `kiln hibernate` forces it.
  #[arg(long, value_name = "DURATION", value_parser = config::parse_duration)]
  hibernate_after: Option<std::time::Duration>,
  /// On SIGINT or SIGTERM, how long to wait for requests, `waitUntil()`
  /// work and WebSocket close handshakes in flight before exiting, e.g.
  /// 500ms, 30s [default: 10s]. A second signal exits at once.
  #[arg(long, value_name = "DURATION", value_parser = config::parse_duration)]
  shutdown_grace: Option<std::time::Duration>,
  /// CPU time one event may use without a pause, in milliseconds, for every
  /// worker; past it the event is stopped (503) and the worker's isolate
  /// replaced [default: the configuration's limits.cpu_ms, else 30000].
  #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
  cpu_ms: Option<u64>,
  /// The most one worker's JavaScript heap may hold, in MiB; past it the
  /// event is stopped (503) and the worker's isolate replaced [default:
  /// 128, Workers' limit].
  #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(8..=65536))]
  memory_mb: Option<u64>,
  /// How long an outbound WebSocket (`new WebSocket()`, `fetch()` with
  /// `Upgrade: websocket`) may take to connect and finish its handshake,
  /// e.g. 5s [default: 30s].
  #[arg(long, value_name = "DURATION", value_parser = config::parse_duration)]
  connect_timeout: Option<std::time::Duration>,
  /// How long a client may take to send a request's headers before its
  /// connection is closed, e.g. 10s [default: 30s].
  #[arg(long, value_name = "DURATION", value_parser = config::parse_duration)]
  header_timeout: Option<std::time::Duration>,
  /// Connections one listener keeps open at once; more are closed at once
  /// [default: 10000].
  #[arg(long, value_name = "N")]
  max_connections: Option<usize>,
  /// The largest request body, in bytes; a larger one is answered 413
  /// [default: 100000000, Workers' limit].
  #[arg(long, value_name = "BYTES")]
  max_body: Option<u64>,
  /// Leave out the line per request (method, path, status, time).
  #[arg(short, long)]
  quiet: bool,
  /// Reload a worker when its files or configuration change [default: on
  /// when kiln runs in a terminal].
  #[arg(long, conflicts_with = "no_watch")]
  watch: bool,
  /// Do not reload on changes.
  #[arg(long)]
  no_watch: bool,
}

fn main() -> ExitCode {
  kiln_host::timeline::begin();
  let cli = Cli::parse();
  let result = match cli.command {
    Command::Dev(args) => dev(args),
    Command::Compat(args) => compat::run(args),
    Command::Wpt(args) => wpt::run(args),
    Command::Hibernate(args) => hibernate::run(args),
    Command::D1(args) => d1::run(args),
  };
  match result {
    Ok(()) => ExitCode::SUCCESS,
    Err(message) => {
      eprintln!("error: {message}");
      ExitCode::FAILURE
    }
  }
}

impl ConfigArgs {
  fn overrides(&self) -> Overrides {
    Overrides {
      env: self.env.clone().or_else(|| {
        std::env::var("CLOUDFLARE_ENV")
          .ok()
          .filter(|e| !e.is_empty())
      }),
      compatibility_date: self.compatibility_date.clone(),
      compatibility_flags: self.compatibility_flags.clone(),
      experimental: self.experimental,
      ..Overrides::default()
    }
  }
}

fn parse_var(text: &str) -> Result<(String, String), String> {
  match text.split_once(':') {
    Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
    _ => Err(format!("--var expects KEY:VALUE, but got {text:?}")),
  }
}

fn dev(args: DevArgs) -> Result<(), String> {
  let primary_overrides = Overrides {
    vars: args
      .vars
      .iter()
      .map(|v| parse_var(v))
      .collect::<Result<_, _>>()?,
    persist_to: args.persist_to.clone(),
    no_persist: args.no_persist,
    ..args.config.overrides()
  };
  // The command line's date, flags and vars are the primary worker's; the
  // environment, --experimental and persistence apply to every worker.
  let other_overrides = Overrides {
    compatibility_date: None,
    compatibility_flags: None,
    vars: Vec::new(),
    ..primary_overrides.clone()
  };
  let sources: Vec<Source> = if args.config.config.is_empty() {
    vec![config::find_source(args.path.as_deref())?]
  } else {
    args
      .config
      .config
      .iter()
      .cloned()
      .map(Source::Config)
      .collect()
  };

  // Every worker's problems are reported together.
  let mut plans = Vec::new();
  let mut problems = Vec::new();
  for (i, source) in sources.iter().enumerate() {
    let overrides = if i == 0 {
      &primary_overrides
    } else {
      &other_overrides
    };
    match config::plan_worker(source, overrides) {
      Ok(plan) => {
        if !plan.warnings.is_empty() {
          eprint!("warning: {}", plan.warnings);
        }
        // Named flags kiln accepts without effect, once each at start-up.
        for flag in plan.spec.compat.named_without_effect() {
          let missing = kiln_host::compat::missing_effect(flag)
            .unwrap_or("kiln accepts it but behaves the same with it on or off");
          eprintln!(
            "warning: worker \"{}\": compatibility flag {flag} has no effect in kiln: {missing} (kiln compat lists what kiln implements)",
            plan.spec.name
          );
        }
        for file in &plan.secrets_from {
          // Names only: a secret's value is never printed.
          eprintln!(
            "kiln: worker \"{}\": secrets from {} are in env",
            plan.spec.name,
            file.display()
          );
        }
        plans.push(plan);
      }
      Err(e) => problems.push(e),
    }
  }
  let mut names = HashSet::new();
  for plan in &plans {
    if !names.insert(plan.spec.name.clone()) {
      problems.push(format!(
        "Two workers are named \"{}\": names must be unique within one kiln process.",
        plan.spec.name
      ));
    }
  }
  if !problems.is_empty() {
    return Err(problems.join("\n\n"));
  }
  for plan in &plans {
    for service in &plan.services {
      if !names.contains(&service.service) {
        eprintln!(
          "warning: worker \"{}\": service binding {} refers to worker \"{}\", which is not running in this kiln process; calls to it will fail.",
          plan.spec.name, service.binding, service.service
        );
      }
    }
  }

  kiln_host::timeline::mark("configuration read");
  let registry = Registry::default();
  let routes: Vec<(String, String)> = plans
    .iter()
    .flat_map(|p| p.routes.iter().map(|r| (r.clone(), p.spec.name.clone())))
    .collect();
  let router = Arc::new(Router::new(&routes, registry.clone()));
  let mut workers = Vec::new();
  let mut ready = Vec::new();
  for (i, plan) in plans.into_iter().enumerate() {
    let listeners = bind(&plan, i == 0, args.ip, args.port, args.isolates.into())?;
    let address = listeners[0]
      .local_addr()
      .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let tweaks = SpecTweaks::from(&args);
    let WorkerPlan { spec, services, .. } = plan;
    let spec = tweaks.apply(spec, services);
    if !spec.crons.is_empty() {
      let list: Vec<&str> = spec.crons.iter().map(|c| c.expression.as_str()).collect();
      eprintln!(
        "kiln: worker \"{}\": cron triggers {} run on schedule (UTC); to run one now: curl \"http://{address}/cdn-cgi/handler/scheduled?cron={}\"",
        spec.name,
        list.join(", "),
        list[0].replace(' ', "+")
      );
    }
    ready.push((spec.name.clone(), address));
    workers.push((spec, listeners));
  }
  kiln_host::timeline::mark("listeners bound");
  if args.isolates > 1 && workers.iter().any(|(spec, _)| spec.state_dir.is_none()) {
    // In memory, each isolate would have KV, D1, R2 and caches of its own.
    return Err(
      "--isolates above 1 keeps local state on disk, where the isolates share it: drop --no-persist (or use --persist-to DIR)".to_string(),
    );
  }
  let defaults = HttpLimits::default();
  let limits = HttpLimits {
    header_timeout: args.header_timeout.unwrap_or(defaults.header_timeout),
    max_connections: args.max_connections.unwrap_or(defaults.max_connections),
    max_body_bytes: args.max_body.unwrap_or(defaults.max_body_bytes),
    ..defaults
  };
  let handles = kiln_runtime::start_all(workers, &registry, router, limits, !args.quiet)
    .map_err(|e| e.to_string())?;
  let watching = match (args.watch, args.no_watch) {
    (true, _) => true,
    (_, true) => false,
    // As wrangler dev, in a terminal; scripts and tests ask for it.
    _ => std::io::IsTerminal::is_terminal(&std::io::stderr()),
  };
  if watching {
    let workers = sources
      .iter()
      .zip(handles)
      .enumerate()
      .map(|(i, (source, handle))| watch::Watched {
        source: source.clone(),
        overrides: if i == 0 {
          primary_overrides.clone()
        } else {
          other_overrides.clone()
        },
        handle,
      })
      .collect();
    // Serving matters more than reloading: a machine out of inotify
    // watches gets a warning, not a kiln that will not start.
    if let Err(e) = watch::start(workers, SpecTweaks::from(&args), registry.clone()) {
      eprintln!("warning: {e}; changes will not reload the workers (restart kiln after a change)");
    }
  }
  // Printed once changes are watched: an edit made after this line is
  // never missed.
  kiln_host::timeline::mark("workers started");
  for (name, address) in ready {
    // Tests and scripts read these lines to learn the ports.
    println!("kiln: worker \"{name}\" ready on http://{address}");
  }
  wait_for_signals(
    &registry,
    args.shutdown_grace.unwrap_or(DEFAULT_SHUTDOWN_GRACE),
  )
}

/// What `kiln dev`'s options change in every worker's spec, at start and at
/// each reload.
#[derive(Clone)]
pub struct SpecTweaks {
  evict_after: Option<std::time::Duration>,
  hibernate_after: Option<std::time::Duration>,
  connect_timeout: Option<std::time::Duration>,
  cpu_ms: Option<u64>,
  memory_mb: Option<u64>,
}

impl SpecTweaks {
  fn from(args: &DevArgs) -> SpecTweaks {
    SpecTweaks {
      evict_after: args.evict_after,
      hibernate_after: args.hibernate_after,
      connect_timeout: args.connect_timeout,
      cpu_ms: args.cpu_ms,
      memory_mb: args.memory_mb,
    }
  }

  pub fn apply(
    &self,
    mut spec: config::WorkerSpec,
    services: Vec<config::ServiceBinding>,
  ) -> config::WorkerSpec {
    if let Some(after) = self.evict_after {
      spec.evict_after = after;
    }
    if let Some(after) = self.hibernate_after {
      spec.hibernate_after = after;
    }
    if let Some(timeout) = self.connect_timeout {
      spec.connect_timeout = timeout;
    }
    if let Some(ms) = self.cpu_ms {
      spec.cpu_limit = std::time::Duration::from_millis(ms);
    }
    if let Some(mib) = self.memory_mb {
      spec.memory_limit = (mib as usize) << 20;
    }
    spec.services = services
      .into_iter()
      .map(|s| (s.binding, s.service))
      .collect();
    spec
  }
}

/// How long a shutdown waits for what is in flight by default.
const DEFAULT_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves until SIGINT or SIGTERM, then shuts down gracefully: every worker
/// stops accepting, sends Close 1001 on its WebSockets and waits for its
/// requests, `waitUntil()` work and connections, until `grace` has passed;
/// then the process exits 0, saying what was cut off. A second signal ends
/// it at once.
fn wait_for_signals(registry: &Registry, grace: std::time::Duration) -> Result<(), String> {
  use tokio::signal::unix::{signal, SignalKind};
  let runtime = tokio::runtime::Builder::new_current_thread()
    .enable_all()
    .build()
    .map_err(|e| format!("cannot start the signal handler: {e}"))?;
  let shutdown = registry.shutdown().clone();
  // One report per isolate thread (a worker may run several).
  let workers = shutdown.expected_reports();
  let mut reports = shutdown
    .take_reports()
    .ok_or("the shutdown reports were already taken")?;
  runtime.block_on(async move {
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| format!("SIGTERM: {e}"))?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| format!("SIGINT: {e}"))?;
    let name = tokio::select! {
      _ = terminate.recv() => "SIGTERM",
      _ = interrupt.recv() => "SIGINT",
    };
    eprintln!(
      "kiln: {name}: shutting down; no new connections, WebSockets sent Close 1001, waiting up to {} for what is in flight (a second signal stops at once)",
      humantime(grace)
    );
    let deadline = std::time::Instant::now() + grace;
    shutdown.begin(deadline);
    let mut cut = Vec::new();
    let mut heard = 0;
    while heard < workers {
      tokio::select! {
        report = reports.recv() => {
          let Some(report) = report else { break };
          heard += 1;
          if !report.is_clean() {
            cut.push(report);
          }
        }
        _ = terminate.recv() => forced(),
        _ = interrupt.recv() => forced(),
        // A worker whose thread is stuck in JavaScript never reports.
        _ = tokio::time::sleep_until((deadline + std::time::Duration::from_secs(1)).into()) => {
          eprintln!("kiln: {} isolate(s) did not answer the shutdown in time", workers - heard);
          break;
        }
      }
    }
    if cut.is_empty() {
      eprintln!("kiln: shut down cleanly");
    } else {
      for r in &cut {
        eprintln!(
          "kiln: worker \"{}\": the shutdown cut off {} request(s), {} waitUntil() promise(s), {} connection(s), {} WebSocket(s)",
          r.worker, r.requests, r.wait_until, r.connections, r.websockets
        );
      }
    }
    std::process::exit(0);
  })
}

fn forced() -> ! {
  eprintln!("kiln: second signal: stopping now");
  std::process::exit(1);
}

fn humantime(d: std::time::Duration) -> String {
  if d.subsec_millis() == 0 {
    format!("{}s", d.as_secs())
  } else {
    format!("{}ms", d.as_millis())
  }
}

fn bind(
  plan: &WorkerPlan,
  primary: bool,
  ip: Option<IpAddr>,
  port: Option<u16>,
  isolates: usize,
) -> Result<Vec<TcpListener>, String> {
  let ip = match (ip, &plan.dev.ip) {
    (Some(ip), _) => ip,
    (None, Some(ip)) if ip == "localhost" => IpAddr::from([127, 0, 0, 1]),
    (None, Some(ip)) if ip == "*" => IpAddr::from([0, 0, 0, 0]),
    (None, Some(ip)) => ip
      .parse()
      .map_err(|_| format!("dev.ip is not an IP address: {ip:?}"))?,
    (None, None) => IpAddr::from([127, 0, 0, 1]),
  };
  // Only the primary worker takes --port (and 8787 by default); the others
  // listen where their own dev.port says, or on a free port.
  let port = match (primary, port, plan.dev.port) {
    (true, Some(port), _) => port,
    (_, _, Some(port)) => port,
    (true, None, None) => 8787,
    (false, _, None) => 0,
  };
  let cannot = |e: std::io::Error| format!("cannot listen on {ip}:{port}: {e}");
  if isolates == 1 {
    let listener = TcpListener::bind(SocketAddr::new(ip, port)).map_err(cannot)?;
    listener.set_nonblocking(true).map_err(cannot)?;
    return Ok(vec![listener]);
  }
  // One socket per isolate on the same port (SO_REUSEPORT): the kernel
  // spreads new connections across them. A shared socket would not: the
  // first isolate to wake accepts the whole backlog.
  let mut address = SocketAddr::new(ip, port);
  let mut listeners = Vec::with_capacity(isolates);
  for _ in 0..isolates {
    let socket = socket2::Socket::new(
      socket2::Domain::for_address(address),
      socket2::Type::STREAM,
      Some(socket2::Protocol::TCP),
    )
    .map_err(cannot)?;
    socket.set_reuse_address(true).map_err(cannot)?;
    socket.set_reuse_port(true).map_err(cannot)?;
    socket.set_nonblocking(true).map_err(cannot)?;
    socket.bind(&address.into()).map_err(cannot)?;
    socket.listen(1024).map_err(cannot)?;
    let listener: TcpListener = socket.into();
    // With port 0 the first socket picks the port; the others join it.
    address = listener.local_addr().map_err(cannot)?;
    listeners.push(listener);
  }
  Ok(listeners)
}
