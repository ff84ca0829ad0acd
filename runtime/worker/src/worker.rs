//! One worker = one isolate on its own thread. The thread runs a
//! current-thread tokio runtime that owns the isolate, the worker's listener
//! and every connection to it, so a request never crosses a thread on its way
//! from the socket to JavaScript and back.
//!
//! With `kiln dev --isolates N` a worker runs N such threads, each with an
//! isolate of the same script and a socket of its own on the worker's port
//! (the kernel spreads connections over them), so the machine's cores share
//! its requests and WebSockets. The first isolate is
//! the worker as other workers see it (the registry sends service-binding
//! calls, Durable Object calls, queue batches and cron events to it) and
//! the only one with Durable Objects: the others reach the worker's objects
//! as they would reach another worker's (`script_name`), so each object
//! still has one live instance.
//!
//! Starting is two steps so that no request can reach a worker the registry
//! does not know yet: [`Worker::start`] runs the script and returns the
//! worker's request queue; [`Worker::serve`] opens its listener. [`start_all`]
//! starts every worker, registers them all, and only then serves any.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::net::TcpListener;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;

use deno_core::{JsRuntime, OpState, PollEventLoopOptions, RcRef};
use kiln_host::assets::Assets;
use kiln_host::config::WorkerSpec;
use kiln_host::http::RequestSender;
use kiln_host::registry::Registry;
use kiln_host::routes::Router;
use kiln_host::server::{self, HttpLimits, Listener};
use kiln_host::shutdown::{self, Report, Shutdown};
use tokio::sync::{mpsc, oneshot};

use crate::errors::{describe_core_error, StartupError};
use crate::isolate::{create_isolate, load_script};
use crate::watchdog::{Exceeded, Watch};

/// What a started worker's thread waits for before it serves.
struct ServeOrder {
  listener: TcpListener,
  router: Arc<Router>,
  limits: HttpLimits,
  log_requests: bool,
  /// For a worker's other isolates: the first one's queue.
  control: Option<RequestSender>,
  done: std::sync::mpsc::Sender<Result<(), StartupError>>,
}

/// A worker whose script has run: it answers requests sent to its queue,
/// and serves no listener yet.
pub struct Worker {
  pub name: Arc<str>,
  pub requests: RequestSender,
  serve: oneshot::Sender<ServeOrder>,
  reload: mpsc::UnboundedSender<ReloadOrder>,
  /// The worker's other isolates (`--isolates`), each on its own thread.
  others: Vec<Worker>,
}

/// A new version of a worker (its code, or its configuration) to run in
/// place of the one running, sent by `kiln dev --watch`.
pub struct ReloadOrder {
  pub spec: WorkerSpec,
  /// How the swap went: how long the old version's requests took to
  /// finish and the new one to start, or why the new one did not start.
  pub done: oneshot::Sender<Result<Reloaded, String>>,
}

/// What a reload did to what the old version had in flight.
#[derive(Debug)]
pub struct Reloaded {
  pub took: std::time::Duration,
  /// Requests still unanswered when the grace ran out, answered 503.
  pub cut_requests: usize,
  /// WebSockets sent Close 1012 (Service Restart).
  pub closed_websockets: usize,
}

/// Where `kiln dev --watch` sends a running worker its new versions.
#[derive(Clone)]
pub struct ReloadHandle {
  pub name: Arc<str>,
  sender: mpsc::UnboundedSender<ReloadOrder>,
  /// The worker's other isolates: each swaps versions alongside the first.
  others: Vec<mpsc::UnboundedSender<ReloadOrder>>,
}

impl ReloadHandle {
  /// Answers how the first isolate's swap went; the others (the same
  /// version, checked before) swap at the same time.
  pub fn reload(&self, spec: WorkerSpec) -> oneshot::Receiver<Result<Reloaded, String>> {
    for other in &self.others {
      let (done, _) = oneshot::channel();
      let _ = other.send(ReloadOrder {
        spec: other_isolate_spec(&spec),
        done,
      });
    }
    let (done, result) = oneshot::channel();
    let _ = self.sender.send(ReloadOrder { spec, done });
    result
  }
}

/// What one of a worker's other isolates runs (see the module's comment):
/// its own Durable Object classes are reached through the first isolate,
/// and cron triggers and queue consumers are the first one's.
fn other_isolate_spec(spec: &WorkerSpec) -> WorkerSpec {
  let mut spec = spec.clone();
  let name = spec.name.clone();
  for binding in &mut spec.durable_objects {
    if binding.script_name.is_none() {
      binding.script_name = Some(name.clone());
    }
  }
  spec.durable_object_classes.clear();
  spec.crons.clear();
  spec.queue_consumers.clear();
  spec
}

/// Which of its worker's isolates a thread runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
  First,
  /// The `n`th (from 2) of `--isolates`.
  Other(usize),
}

/// How long a reload lets the old version finish the requests (and
/// `waitUntil()` work) it has before answering them 503.
const RELOAD_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// How many times the heap limit is raised for a stopped script to unwind
/// (see the near-heap-limit callback in `start_isolate`).
const UNWIND_RAISES: u32 = 3;

/// Runs `spec`'s script in a throwaway isolate on a thread of its own, to
/// learn whether it starts, before a reload replaces a working version.
pub fn check(spec: &WorkerSpec, registry: &Registry) -> Result<(), StartupError> {
  let spec = spec.clone();
  let registry = registry.clone();
  std::thread::Builder::new()
    .name(format!("check:{}", spec.name))
    .spawn(move || {
      let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StartupError(format!("cannot start an event loop: {e}")))?;
      let local = tokio::task::LocalSet::new();
      local.block_on(&rt, async move {
        // Nothing sends to it: the check serves no request.
        let (_tx, rx) = mpsc::unbounded_channel();
        let receiver = kiln_ops::http::shared_receiver(rx);
        let assets = spec
          .assets
          .clone()
          .map(|config| Arc::new(Assets::new(config, spec.has_script, false)));
        let watch = Watch::new(spec.cpu_limit);
        start_isolate(&spec, &receiver, &registry, &assets, &watch)
          .await
          .map(drop)
      })
    })
    .map_err(|e| StartupError(format!("cannot start a thread: {e}")))?
    .join()
    .map_err(|_| StartupError("the check of the new version stopped".to_string()))?
}

impl Worker {
  /// Starts the worker's `isolates` threads, creates their isolates and
  /// runs the script in each. Returns once the handlers were found, or with
  /// the reason it could not start.
  pub fn start(
    spec: WorkerSpec,
    registry: Registry,
    isolates: usize,
  ) -> Result<Worker, StartupError> {
    // The isolates start at once, each on its own thread.
    let mut starting = Vec::with_capacity(isolates);
    for n in 2..=isolates {
      starting.push(Worker::spawn(
        other_isolate_spec(&spec),
        registry.clone(),
        Role::Other(n),
      )?);
    }
    let first = Worker::spawn(spec, registry, Role::First)?;
    let mut first = first()?;
    first.others = starting
      .into_iter()
      .map(|started| started())
      .collect::<Result<_, _>>()?;
    Ok(first)
  }

  /// Starts one isolate's thread; the function returned waits until it
  /// is ready.
  fn spawn(
    spec: WorkerSpec,
    registry: Registry,
    role: Role,
  ) -> Result<impl FnOnce() -> Result<Worker, StartupError>, StartupError> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let name = spec.name.clone();
    let thread = match role {
      Role::First => format!("worker:{name}"),
      Role::Other(n) => format!("worker:{name}#{n}"),
    };
    std::thread::Builder::new()
      .name(thread)
      .spawn(move || run_thread(spec, registry, role, ready_tx))
      .map_err(|e| StartupError(format!("cannot start a thread for worker \"{name}\": {e}")))?;
    Ok(move || {
      ready_rx
        .recv()
        .map_err(|_| StartupError(format!("worker \"{name}\" stopped during start-up")))?
    })
  }

  /// Serves `listeners` from the worker's threads, one each (the same
  /// port; the first isolate takes the first); requests whose URL matches
  /// another worker's route go to that worker.
  pub fn serve(
    self,
    listeners: Vec<TcpListener>,
    router: Arc<Router>,
    limits: HttpLimits,
    log_requests: bool,
  ) -> Result<(), StartupError> {
    let stopped = || StartupError(format!("worker \"{}\" stopped before serving", self.name));
    if listeners.len() != self.others.len() + 1 {
      return Err(StartupError(format!(
        "worker \"{}\": {} listener(s) for {} isolate(s)",
        self.name,
        listeners.len(),
        self.others.len() + 1
      )));
    }
    let mut listeners = listeners.into_iter();
    let listener = listeners.next().expect("one listener per isolate");
    for (other, listener) in self.others.into_iter().zip(listeners) {
      let (done, result) = std::sync::mpsc::channel();
      let order = ServeOrder {
        listener,
        router: router.clone(),
        limits,
        log_requests,
        control: Some(self.requests.clone()),
        done,
      };
      other.serve.send(order).map_err(|_| stopped())?;
      result.recv().map_err(|_| stopped())??;
    }
    let (done, result) = std::sync::mpsc::channel();
    let order = ServeOrder {
      listener,
      router,
      limits,
      log_requests,
      control: None,
      done,
    };
    self.serve.send(order).map_err(|_| stopped())?;
    result.recv().map_err(|_| stopped())?
  }
}

/// Starts every worker, adds each to `registry`, then serves each one's
/// listener: every worker a route or service binding names is registered
/// before the first request is accepted. A worker runs one isolate per
/// listener it is given (`--isolates`). `log_requests` prints a line per
/// request.
pub fn start_all(
  workers: Vec<(WorkerSpec, Vec<TcpListener>)>,
  registry: &Registry,
  router: Arc<Router>,
  limits: HttpLimits,
  log_requests: bool,
) -> Result<Vec<ReloadHandle>, StartupError> {
  // A queue has one consumer; messages sent before it starts wait for it.
  let mut consumers: Vec<(&str, &str)> = Vec::new();
  for (spec, _) in &workers {
    for consumer in &spec.queue_consumers {
      if let Some((_, other)) = consumers
        .iter()
        .find(|(q, w)| *q == consumer.queue && *w != spec.name)
      {
        return Err(StartupError(format!(
          "Multiple consumers defined for queue \"{}\": \"{other}\" and \"{}\"",
          consumer.queue, spec.name
        )));
      }
      consumers.push((&consumer.queue, &spec.name));
    }
  }
  for (queue, _) in &consumers {
    registry.queues().declare_consumer(queue);
  }
  let mut started = Vec::with_capacity(workers.len());
  for (spec, listeners) in workers {
    let worker = Worker::start(spec, registry.clone(), listeners.len())?;
    started.push((worker, listeners));
  }
  for (worker, _) in &started {
    registry.insert(&worker.name, worker.requests.clone());
  }
  let mut handles = Vec::with_capacity(started.len());
  for (worker, listeners) in started {
    handles.push(ReloadHandle {
      name: worker.name.clone(),
      sender: worker.reload.clone(),
      others: worker.others.iter().map(|o| o.reload.clone()).collect(),
    });
    worker.serve(listeners, router.clone(), limits, log_requests)?;
  }
  Ok(handles)
}

fn run_thread(
  mut spec: WorkerSpec,
  registry: Registry,
  role: Role,
  ready: std::sync::mpsc::Sender<Result<Worker, StartupError>>,
) {
  let rt = match tokio::runtime::Builder::new_current_thread()
    .enable_all()
    .build()
  {
    Ok(rt) => rt,
    Err(e) => {
      let _ = ready.send(Err(StartupError(format!(
        "cannot start an event loop: {e}"
      ))));
      return;
    }
  };
  let local = tokio::task::LocalSet::new();
  local.block_on(&rt, async move {
    let (tx, rx) = mpsc::unbounded_channel();
    let assets = spec.assets.clone().map(|config| {
      let navigation = spec
        .compat
        .enabled_names()
        .contains(&"assets_navigation_prefers_asset_serving");
      Arc::new(Assets::new(config, spec.has_script, navigation))
    });
    let broker = registry.queues().clone();
    let shutdown = registry.shutdown().clone();
    let receiver = kiln_ops::http::shared_receiver(rx);
    let watch = Watch::new(spec.cpu_limit);
    let mut js = match start_isolate(&spec, &receiver, &registry, &assets, &watch).await {
      Ok(js) => js,
      Err(e) => {
        let _ = ready.send(Err(e));
        return;
      }
    };
    // What the drain task reads: the op state of the isolate serving now.
    let current = Rc::new(RefCell::new(js.op_state()));
    let name: Arc<str> = spec.name.as_str().into();
    let (serve_tx, serve_rx) = oneshot::channel::<ServeOrder>();
    let mut owner = Listener {
      worker: name.clone(),
      requests: tx.clone(),
      assets: assets.clone(),
      limits: HttpLimits::default(),
      log_requests: false,
      control: None,
    };
    let crons = spec.crons.clone();
    let consumers = spec.queue_consumers.clone();
    let connections = Rc::new(Cell::new(0));
    shutdown.expect_report();
    tokio::task::spawn_local(drain(
      match role {
        Role::First => name.to_string(),
        Role::Other(n) => format!("{name} (isolate {n})"),
      },
      current.clone(),
      connections.clone(),
      shutdown.clone(),
    ));
    let stop = shutdown.subscribe();
    tokio::task::spawn_local(async move {
      let Ok(order) = serve_rx.await else { return };
      owner.limits = order.limits;
      owner.log_requests = order.log_requests;
      owner.control = order.control;
      match tokio::net::TcpListener::from_std(order.listener) {
        Ok(listener) => {
          let _ = order.done.send(Ok(()));
          // Cron triggers run once the worker serves, and queue consumers
          // take batches, until a shutdown begins: a batch taken then would
          // be lost rather than retried.
          let until_shutdown = |task: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>| {
            let mut stop = shutdown.subscribe();
            async move {
              tokio::select! {
                _ = task => {}
                _ = shutdown::begun(&mut stop) => {}
              }
            }
          };
          tokio::task::spawn_local(until_shutdown(Box::pin(kiln_host::cron::run(
            crons,
            owner.requests.clone(),
          ))));
          for consumer in consumers {
            tokio::task::spawn_local(until_shutdown(Box::pin(kiln_host::queues::consume(
              broker.clone(),
              consumer,
              owner.requests.clone(),
            ))));
          }
          server::serve(listener, owner, order.router, stop, connections).await;
        }
        Err(e) => {
          let _ = order
            .done
            .send(Err(StartupError(format!("cannot listen: {e}"))));
        }
      }
    });
    // The queue stays open while the thread runs: an isolate the registry
    // does not hold (a worker's other isolates) would otherwise see it
    // close when its listener stops at a shutdown, and end before its
    // drain task reported.
    let keep_queue_open = tx.clone();
    let (reload_tx, mut reloads) = mpsc::unbounded_channel::<ReloadOrder>();
    let _ = ready.send(Ok(Worker {
      name,
      requests: tx,
      serve: serve_tx,
      reload: reload_tx,
      others: Vec::new(),
    }));
    let mut reloads_open = true;
    // The event loop only ends when nothing is pending, which for a serving
    // worker means its request queue was closed. An error that escaped
    // JavaScript is reported and the worker keeps serving; an isolate
    // stopped for a limit is replaced.
    loop {
      // A stopped isolate may end its event loop with an error, with
      // nothing left to do (its dispatch loop gone), or not at all (an open
      // WebSocket keeps it waiting): the watch says which it was.
      let polled = std::future::poll_fn(|cx| {
        watch.enter();
        let poll = js.poll_event_loop(cx, PollEventLoopOptions::default());
        watch.leave();
        match (watch.take_exceeded(), poll) {
          (Some(exceeded), _) => Poll::Ready(Err(exceeded)),
          (None, Poll::Ready(result)) => Poll::Ready(Ok(result)),
          (None, Poll::Pending) => Poll::Pending,
        }
      });
      let next = tokio::select! {
        order = reloads.recv(), if reloads_open => Next::Reload(order.map(Box::new)),
        polled = polled => Next::Polled(polled),
      };
      let polled = match next {
        Next::Polled(polled) => polled,
        Next::Reload(None) => {
          reloads_open = false;
          continue;
        }
        Next::Reload(Some(order)) => {
          match reload(js, &spec, order.spec, &receiver, &registry, &assets, &watch).await {
            Ok((new_js, new_spec, reloaded)) => {
              js = new_js;
              spec = new_spec;
              let _ = order.done.send(Ok(reloaded));
            }
            Err(e) => {
              let _ = order.done.send(Err(e.clone()));
              // The old isolate is gone and the new one did not start:
              // until a reload brings one that does, the worker answers
              // every request with why.
              match until_a_version_starts(&mut reloads, &receiver, &registry, &assets, &watch, e).await {
                Some((new_js, new_spec)) => {
                  js = new_js;
                  spec = new_spec;
                }
                None => break,
              }
            }
          }
          *current.borrow_mut() = js.op_state();
          continue;
        }
      };
      match polled {
        Ok(Ok(())) => break,
        Ok(Err(e)) => eprintln!("[{}] {}", spec.name, describe_core_error(&e)),
        Err(exceeded) => {
          {
            let text = match exceeded {
              Exceeded::Cpu => "Worker exceeded CPU time limit.\n",
              Exceeded::Memory => "Worker exceeded memory limit.\n",
            };
            let (requests, sockets) = {
              let state = js.op_state();
              let state = state.borrow();
              (
                kiln_ops::http::fail_pending(&state, 503, text),
                kiln_ops::websocket::close_connections(&state, 1011, text.trim_end()),
              )
            };
            let why = match exceeded {
              Exceeded::Cpu => format!(
                "its CPU time limit ({} ms of CPU without a pause; the limit is {} ms)",
                watch.used().as_millis(),
                spec.cpu_limit.as_millis()
              ),
              Exceeded::Memory => format!(
                "its memory limit ({} MiB of JavaScript heap, and as much of ArrayBuffer contents)",
                spec.memory_limit >> 20
              ),
            };
            eprintln!(
              "[{}] exceeded {why}: stopped; {requests} request(s) answered 503, {sockets} WebSocket(s) closed 1011; a new isolate takes over",
              spec.name,
            );
            // The old isolate goes first: it holds the request queue.
            drop(js);
            js = match start_isolate(&spec, &receiver, &registry, &assets, &watch).await {
              Ok(js) => js,
              Err(e) => {
                eprintln!("[{}] cannot start a new isolate: {e}", spec.name);
                break;
              }
            };
            *current.borrow_mut() = js.op_state();
          }
        }
      }
    }
    drop(keep_queue_open);
  });
}

/// Replaces the running isolate `js` by one of `new_spec`, as a deploy
/// replaces a version: the old one takes no new requests (they wait in the
/// queue for the new one), sends Close 1012 (Service Restart) on its
/// WebSockets, and has RELOAD_GRACE to answer the requests and finish the
/// `waitUntil()` work it has; what is left then is answered 503. Then the
/// new isolate starts and takes the queue. On an error the old isolate is
/// already gone.
async fn reload(
  mut js: JsRuntime,
  spec: &WorkerSpec,
  new_spec: WorkerSpec,
  receiver: &kiln_ops::http::SharedReceiver,
  registry: &Registry,
  assets: &Option<Arc<Assets>>,
  watch: &Arc<Watch>,
) -> Result<(JsRuntime, WorkerSpec, Reloaded), String> {
  let began = std::time::Instant::now();
  let closed_websockets = {
    let state = js.op_state();
    let state = state.borrow();
    kiln_ops::http::retire(&state);
    kiln_ops::websocket::close_connections(&state, 1012, "Service Restart")
  };
  let deadline = tokio::time::Instant::now() + RELOAD_GRACE;
  loop {
    let busy = {
      let state = js.op_state();
      let state = state.borrow();
      kiln_ops::http::in_flight(&state)
        + state.borrow::<kiln_ops::worker::WaitUntil>().0.get()
        + kiln_ops::websocket::open_connections(&state)
    };
    if busy == 0 || tokio::time::Instant::now() >= deadline {
      break;
    }
    // Polls the old isolate's event loop for one step of 10 ms, whatever
    // the loop says (it may be Ready with requests still waiting on a
    // promise nothing will settle).
    let step = tokio::time::sleep(std::time::Duration::from_millis(10));
    tokio::pin!(step);
    let mut reported = false;
    std::future::poll_fn(|cx| {
      watch.enter();
      let poll = js.poll_event_loop(cx, PollEventLoopOptions::default());
      watch.leave();
      if let Poll::Ready(Err(e)) = &poll {
        if !reported {
          eprintln!("[{}] {}", spec.name, describe_core_error(e));
          reported = true;
        }
      }
      step.as_mut().poll(cx)
    })
    .await;
    let _ = watch.take_exceeded();
  }
  let cut_requests = {
    let state = js.op_state();
    let state = state.borrow();
    kiln_ops::http::fail_pending(
      &state,
      503,
      "Your worker restarted mid-request (kiln dev reloaded it). Please send the request again.\n",
    )
  };
  // The old isolate goes first: two isolates of one thread must end in
  // the reverse of the order they were made.
  drop(js);
  let new_js = start_isolate(&new_spec, receiver, registry, assets, watch)
    .await
    .map_err(|e| e.to_string())?;
  Ok((
    new_js,
    new_spec,
    Reloaded {
      took: began.elapsed(),
      cut_requests,
      closed_websockets,
    },
  ))
}

/// A worker without a running version: answers every request 503 with
/// `why` until a reload brings a version that starts.
async fn until_a_version_starts(
  reloads: &mut mpsc::UnboundedReceiver<ReloadOrder>,
  receiver: &kiln_ops::http::SharedReceiver,
  registry: &Registry,
  assets: &Option<Arc<Assets>>,
  watch: &Arc<Watch>,
  mut why: String,
) -> Option<(JsRuntime, WorkerSpec)> {
  loop {
    let next_request = async {
      let mut rx = RcRef::map(receiver.clone(), |r| r).borrow_mut().await;
      rx.recv().await
    };
    tokio::select! {
      order = reloads.recv() => {
        let order = order?;
        match start_isolate(&order.spec, receiver, registry, assets, watch).await {
          Ok(js) => {
            let _ = order.done.send(Ok(Reloaded {
              took: std::time::Duration::ZERO,
              cut_requests: 0,
              closed_websockets: 0,
            }));
            return Some((js, order.spec));
          }
          Err(e) => {
            why = e.to_string();
            let _ = order.done.send(Err(why.clone()));
          }
        }
      }
      request = next_request => {
        let request = request?;
        let text = format!("The worker's new version did not start; kiln dev waits for a change that fixes it.\n{why}\n");
        let _ = request.reply.send(kiln_host::http::text_response(503, text));
      }
    }
  }
}

/// What woke the worker's loop.
enum Next {
  Polled(Result<Result<(), deno_core::error::CoreError>, Exceeded>),
  Reload(Option<Box<ReloadOrder>>),
}

/// Creates the worker's isolate (its request queue `receiver`, its limits
/// watched by `watch`) and runs its script.
async fn start_isolate(
  spec: &WorkerSpec,
  receiver: &kiln_ops::http::SharedReceiver,
  registry: &Registry,
  assets: &Option<Arc<Assets>>,
  watch: &Arc<Watch>,
) -> Result<JsRuntime, StartupError> {
  kiln_host::timeline::mark("isolate: creating");
  let mut js = create_isolate(
    spec,
    receiver.clone(),
    registry.clone(),
    assets.clone(),
    watch.clone(),
  )?;
  kiln_host::timeline::mark("isolate: created, Web APIs and kiln's JavaScript run");
  watch.watch_isolate(js.v8_isolate().thread_safe_handle());
  let heap = watch.clone();
  let mut raised: u32 = 0;
  js.add_near_heap_limit_callback(move |current, initial| {
    heap.heap_exhausted();
    // Room to unwind the stopped script (the isolate is replaced after):
    // QuickJS sees the stop only every so many operations, so the first
    // raise is large. The error that unwinds it builds a stack trace,
    // which must not itself run out (QuickJS-ng frees a stack trace's
    // call sites twice when an allocation fails while it builds one), so
    // a little more is given twice after that; then no more, so that a
    // script that goes on allocating still meets the limit.
    raised = raised.saturating_add(1);
    match raised {
      1 => current + initial.max(32 << 20),
      n if n <= UNWIND_RAISES => current + (4 << 20),
      _ => current,
    }
  });
  let clock = watch.clone();
  js.op_state()
    .borrow_mut()
    .put(kiln_ops::worker::EventClock(Box::new(move || {
      clock.event_began()
    })));
  // The script's top level is held to the CPU limit too: a version whose
  // start-up never ends is stopped, not waited for.
  watch.enter();
  // A stopped script's module evaluation may never settle; the watch
  // says when it was stopped.
  let stopped = async {
    while !watch.is_exceeded() {
      tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
  };
  let loaded = tokio::select! {
    loaded = load_script(&mut js, spec) => loaded,
    _ = stopped => Ok(()),
  };
  watch.leave();
  if watch.take_exceeded().is_some() {
    return Err(StartupError(format!(
      "worker \"{}\": its script ran past the CPU time limit ({} ms) while starting",
      spec.name,
      spec.cpu_limit.as_millis()
    )));
  }
  loaded?;
  kiln_host::timeline::mark("isolate: worker's script run");
  Ok(js)
}

/// A worker's part of a graceful shutdown (kiln_host::shutdown): once it
/// begins, sends Close 1001 on its WebSockets, then waits until nothing is
/// in flight or the deadline passes, and reports what it cut off.
async fn drain(
  worker: String,
  current: Rc<RefCell<Rc<RefCell<OpState>>>>,
  connections: Rc<Cell<usize>>,
  shutdown: Shutdown,
) {
  let deadline = shutdown::begun(&mut shutdown.subscribe()).await;
  kiln_ops::websocket::going_away(&current.borrow().borrow());
  let report = loop {
    let report = {
      let op_state = current.borrow().clone();
      let state = op_state.borrow();
      Report {
        worker: worker.clone(),
        requests: kiln_ops::http::in_flight(&state),
        wait_until: state.borrow::<kiln_ops::worker::WaitUntil>().0.get(),
        connections: connections.get(),
        websockets: kiln_ops::websocket::open_connections(&state),
      }
    };
    if report.is_clean() || tokio::time::Instant::now() >= deadline.into() {
      break report;
    }
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
  };
  shutdown.report(report);
}
