//! One worker = one isolate on its own thread. The thread runs a
//! current-thread tokio runtime that owns the isolate, the worker's listener
//! and every connection to it, so a request never crosses a thread on its way
//! from the socket to JavaScript and back.
//!
//! Starting is two steps so that no request can reach a worker the registry
//! does not know yet: [`Worker::start`] runs the script and returns the
//! worker's request queue; [`Worker::serve`] opens its listener. [`start_all`]
//! starts every worker, registers them all, and only then serves any.

use std::cell::{Cell, RefCell};
use std::net::TcpListener;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;

use deno_core::{JsRuntime, OpState, PollEventLoopOptions};
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
  done: std::sync::mpsc::Sender<Result<(), StartupError>>,
}

/// A worker whose script has run: it answers requests sent to its queue,
/// and serves no listener yet.
pub struct Worker {
  pub name: Arc<str>,
  pub requests: RequestSender,
  serve: oneshot::Sender<ServeOrder>,
}

impl Worker {
  /// Starts the worker's thread, creates its isolate and runs its script.
  /// Returns once the handlers were found, or with the reason it could not
  /// start.
  pub fn start(spec: WorkerSpec, registry: Registry) -> Result<Worker, StartupError> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let name = spec.name.clone();
    std::thread::Builder::new()
      .name(format!("worker:{name}"))
      .spawn(move || run_thread(spec, registry, ready_tx))
      .map_err(|e| StartupError(format!("cannot start a thread for worker \"{name}\": {e}")))?;
    ready_rx
      .recv()
      .map_err(|_| StartupError(format!("worker \"{name}\" stopped during start-up")))?
  }

  /// Serves `listener` from the worker's thread; requests whose URL matches
  /// another worker's route go to that worker.
  pub fn serve(
    self,
    listener: TcpListener,
    router: Arc<Router>,
    limits: HttpLimits,
  ) -> Result<(), StartupError> {
    let (done, result) = std::sync::mpsc::channel();
    let order = ServeOrder {
      listener,
      router,
      limits,
      done,
    };
    let stopped = || StartupError(format!("worker \"{}\" stopped before serving", self.name));
    self.serve.send(order).map_err(|_| stopped())?;
    result.recv().map_err(|_| stopped())?
  }
}

/// Starts every worker, adds each to `registry`, then serves each one's
/// listener: every worker a route or service binding names is registered
/// before the first request is accepted.
pub fn start_all(
  workers: Vec<(WorkerSpec, TcpListener)>,
  registry: &Registry,
  router: Arc<Router>,
  limits: HttpLimits,
) -> Result<(), StartupError> {
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
  for (spec, listener) in workers {
    let worker = Worker::start(spec, registry.clone())?;
    started.push((worker, listener));
  }
  for (worker, _) in &started {
    registry.insert(&worker.name, worker.requests.clone());
  }
  for (worker, listener) in started {
    worker.serve(listener, router.clone(), limits)?;
  }
  Ok(())
}

fn run_thread(
  spec: WorkerSpec,
  registry: Registry,
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
    };
    let crons = spec.crons.clone();
    let consumers = spec.queue_consumers.clone();
    let connections = Rc::new(Cell::new(0));
    tokio::task::spawn_local(drain(
      name.to_string(),
      current.clone(),
      connections.clone(),
      shutdown.clone(),
    ));
    let stop = shutdown.subscribe();
    tokio::task::spawn_local(async move {
      let Ok(order) = serve_rx.await else { return };
      owner.limits = order.limits;
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
    let _ = ready.send(Ok(Worker {
      name,
      requests: tx,
      serve: serve_tx,
    }));
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
      })
      .await;
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
  });
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
  let mut js = create_isolate(
    spec,
    receiver.clone(),
    registry.clone(),
    assets.clone(),
    watch.clone(),
  )?;
  watch.watch_isolate(js.v8_isolate().thread_safe_handle());
  let heap = watch.clone();
  let mut raised = false;
  js.add_near_heap_limit_callback(move |current, initial| {
    heap.heap_exhausted();
    if raised {
      // Once only: QuickJS sees the stop only every so many operations,
      // and a limit raised at every call would let it allocate on.
      return current;
    }
    raised = true;
    // Room to unwind the stopped script; the isolate is replaced after.
    current + initial.max(32 << 20)
  });
  let clock = watch.clone();
  js.op_state()
    .borrow_mut()
    .put(kiln_ops::worker::EventClock(Box::new(move || {
      clock.event_began()
    })));
  load_script(&mut js, spec).await?;
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
