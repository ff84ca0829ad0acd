//! Per-worker facts and services that JavaScript asks Rust for: the worker's
//! name and environment, and console output.

use std::io::Write;

use deno_core::{op2, v8, OpState};

/// Set by the runtime before the worker's script runs.
pub struct WorkerInfo {
  pub name: String,
  /// The `vars` of the `env` object given to handlers, as JSON.
  pub env: serde_json::Value,
  /// Names of the service bindings (fetchers) in `env`.
  pub services: Vec<String>,
  /// Enable names of every compatibility flag that is on.
  pub flags: Vec<&'static str>,
  pub durable_objects: DurableObjectFacts,
  pub kv_namespaces: Vec<KvNamespaceFacts>,
  /// D1 bindings: `env[binding]` queries database `id` (js/d1.js).
  pub d1_databases: Vec<KvNamespaceFacts>,
  /// Queue producer bindings (js/queues.js).
  pub queue_producers: Vec<QueueProducerFacts>,
  /// R2 bindings: `env[binding]` is bucket `id` (js/r2.js).
  pub r2_buckets: Vec<KvNamespaceFacts>,
  /// `[assets] binding`: the name of `env`'s assets Fetcher.
  pub assets_binding: Option<String>,
  /// How long an outbound WebSocket may take to connect and finish its
  /// handshake.
  pub connect_timeout: std::time::Duration,
}

/// A storage binding: `env[binding]` is the namespace, database or bucket
/// `id` (js/kv.js, js/d1.js, js/r2.js).
#[derive(Clone, serde::Serialize)]
pub struct KvNamespaceFacts {
  pub binding: String,
  pub id: String,
}

/// A queue producer: `env[binding]` sends to `queue`.
#[derive(Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueProducerFacts {
  pub binding: String,
  pub queue: String,
  pub delivery_delay: Option<f64>,
}

/// What js/durable_objects.js needs to know about the worker's Durable
/// Object bindings and classes.
#[derive(Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DurableObjectFacts {
  pub bindings: Vec<DurableObjectBindingFacts>,
  pub classes: Vec<DurableObjectClassFacts>,
  /// Set when the worker has local classes or migrations: the error for a
  /// service-worker script, which cannot define Durable Objects.
  pub service_worker_error: Option<String>,
  /// How long an idle object stays in memory.
  pub evict_after_ms: f64,
  /// How long an object with only hibernatable sockets stays in memory.
  pub hibernate_after_ms: f64,
}

#[derive(Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DurableObjectBindingFacts {
  pub name: String,
  pub class_name: String,
  /// The namespace key (`<worker>-<Class>`) its ids derive from.
  pub unique_key: String,
  /// The worker that defines the class, when it is another one.
  pub script_name: Option<String>,
}

#[derive(Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DurableObjectClassFacts {
  pub class_name: String,
  pub sqlite: bool,
}

#[op2]
#[serde]
pub fn op_kiln_worker_info(state: &mut OpState) -> WorkerFacts {
  use std::io::IsTerminal;
  let info = state.borrow::<WorkerInfo>();
  WorkerFacts {
    name: info.name.clone(),
    vars: info.env.clone(),
    services: info.services.clone(),
    flags: info.flags.clone(),
    durable_objects: info.durable_objects.clone(),
    kv_namespaces: info.kv_namespaces.clone(),
    d1_databases: info.d1_databases.clone(),
    queue_producers: info.queue_producers.clone(),
    r2_buckets: info.r2_buckets.clone(),
    assets_binding: info.assets_binding.clone(),
    stdout_is_terminal: std::io::stdout().is_terminal(),
    stderr_is_terminal: std::io::stderr().is_terminal(),
  }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerFacts {
  name: String,
  vars: serde_json::Value,
  services: Vec<String>,
  flags: Vec<&'static str>,
  durable_objects: DurableObjectFacts,
  kv_namespaces: Vec<KvNamespaceFacts>,
  d1_databases: Vec<KvNamespaceFacts>,
  queue_producers: Vec<QueueProducerFacts>,
  r2_buckets: Vec<KvNamespaceFacts>,
  assets_binding: Option<String>,
  stdout_is_terminal: bool,
  stderr_is_terminal: bool,
}

/// What to call when an event begins, for the CPU-time limit (the runtime's
/// watchdog puts it in the op state).
pub struct EventClock(pub Box<dyn Fn()>);

/// An event (a request, a batch, a scheduled run) begins: its CPU time is
/// counted from now.
#[op2(fast)]
pub fn op_kiln_event_began(state: &mut OpState) {
  if let Some(clock) = state.try_borrow::<EventClock>() {
    (clock.0)();
  }
}

/// `ctx.waitUntil()` promises of fetch events not settled yet; a graceful
/// shutdown waits for them.
#[derive(Default)]
pub struct WaitUntil(pub std::cell::Cell<usize>);

#[op2(fast)]
pub fn op_kiln_wait_until(state: &mut OpState, started: bool) {
  let count = &state.borrow::<WaitUntil>().0;
  count.set(if started {
    count.get() + 1
  } else {
    count.get().saturating_sub(1)
  });
}

/// Console output, one call per formatted message. Every line is prefixed with
/// the worker's name so that several workers in one process stay readable.
#[op2(fast)]
pub fn op_kiln_print(state: &mut OpState, #[string] msg: &str, level: i32) {
  let name = &state.borrow::<WorkerInfo>().name;
  let mut out = String::with_capacity(msg.len() + 16);
  for line in msg.split_inclusive('\n') {
    out.push('[');
    out.push_str(name);
    out.push_str("] ");
    out.push_str(line);
  }
  if !out.ends_with('\n') {
    out.push('\n');
  }
  // warn (2) and error (3) go to stderr, as in workerd and Deno.
  let _ = if level >= 2 {
    std::io::stderr().lock().write_all(out.as_bytes())
  } else {
    std::io::stdout().lock().write_all(out.as_bytes())
  };
}

/// The JavaScript function through which Rust drives a worker (`entry` in
/// js/dispatch.js), registered once by the bootstrap module.
pub struct EntryFunction(pub v8::Global<v8::Function>);

#[op2]
pub fn op_kiln_register_entry(state: &mut OpState, #[scoped] entry: v8::Global<v8::Function>) {
  state.put(EntryFunction(entry));
}
