//! One worker = one isolate on its own thread. The thread runs a
//! single-threaded tokio runtime that owns the isolate, the worker's listening
//! socket and every connection to it, so a request never crosses a thread on
//! its way from the socket to JavaScript and back.

use std::net::TcpListener;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use deno_core::error::{CoreError, CoreErrorKind, JsError};
use deno_core::{v8, JsRuntime, PollEventLoopOptions, RuntimeOptions};
use kiln_ops::{
  EntryFunction, IncomingRequest, Registry, RequestQueue, ServiceBindings, WorkerInfo,
};
use tokio::sync::mpsc;

use crate::loader::WorkerModuleLoader;
use crate::routes::Router;

/// Everything needed to start one worker.
#[derive(Clone, Debug)]
pub struct WorkerSpec {
  pub name: String,
  /// The entry script (canonical path).
  pub main: PathBuf,
  /// Imports are allowed below this directory only.
  pub root: PathBuf,
  /// The vars of the `env` given to handlers.
  pub env: serde_json::Value,
  /// The resolved compatibility date and flags.
  pub compat: crate::compat::Resolved,
  /// Service bindings: binding name → name of the worker it calls.
  pub services: Vec<(String, String)>,
}

/// A worker that started: its queue, to send it requests.
#[derive(Clone)]
pub struct WorkerHandle {
  pub name: Arc<str>,
  pub requests: mpsc::UnboundedSender<IncomingRequest>,
}

/// Why a worker could not start: already formatted for a person.
#[derive(Debug)]
pub struct StartupError(pub String);

impl std::fmt::Display for StartupError {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str(&self.0)
  }
}

impl std::error::Error for StartupError {}

/// Starts the worker's thread, loads its script, and serves `listener` from
/// it. Returns once the script has run and its handler was found, or with the
/// reason it could not start.
pub fn start_worker(
  spec: WorkerSpec,
  listener: TcpListener,
  registry: Registry,
  router: Arc<Router>,
) -> Result<WorkerHandle, StartupError> {
  let (ready_tx, ready_rx) = std::sync::mpsc::channel();
  let name = spec.name.clone();
  std::thread::Builder::new()
    .name(format!("worker:{name}"))
    .spawn(move || run_worker_thread(spec, listener, registry, router, ready_tx))
    .map_err(|e| StartupError(format!("cannot start a thread for worker \"{name}\": {e}")))?;
  ready_rx
    .recv()
    .map_err(|_| StartupError(format!("worker \"{name}\" stopped during start-up")))?
}

fn run_worker_thread(
  spec: WorkerSpec,
  listener: TcpListener,
  registry: Registry,
  router: Arc<Router>,
  ready: std::sync::mpsc::Sender<Result<WorkerHandle, StartupError>>,
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
    let mut js = match create_isolate(&spec, rx, registry) {
      Ok(js) => js,
      Err(e) => {
        let _ = ready.send(Err(e));
        return;
      }
    };
    if let Err(e) = load_script(&mut js, &spec).await {
      let _ = ready.send(Err(e));
      return;
    }
    let listener = match tokio::net::TcpListener::from_std(listener) {
      Ok(l) => l,
      Err(e) => {
        let _ = ready.send(Err(StartupError(format!("cannot listen: {e}"))));
        return;
      }
    };
    let handle = WorkerHandle {
      name: spec.name.as_str().into(),
      requests: tx,
    };
    tokio::task::spawn_local(crate::server::accept_loop(listener, handle.clone(), router));
    let _ = ready.send(Ok(handle));
    // The event loop only ends when nothing is pending, which for a serving
    // worker means its request queue was closed. An error that escaped
    // JavaScript is reported and the worker keeps serving.
    loop {
      match js.run_event_loop(PollEventLoopOptions::default()).await {
        Ok(()) => break,
        Err(e) => eprintln!("[{}] {}", spec.name, describe_core_error(&e)),
      }
    }
  });
}

fn create_isolate(
  spec: &WorkerSpec,
  rx: mpsc::UnboundedReceiver<IncomingRequest>,
  registry: Registry,
) -> Result<JsRuntime, StartupError> {
  let extensions = vec![
    deno_webidl::deno_webidl::init(),
    deno_web::deno_web::init(
      Arc::new(deno_web::BlobStore::default()),
      None,
      false,
      deno_web::InMemoryBroadcastChannel::default(),
    ),
    deno_fetch::deno_fetch::init(deno_fetch::Options {
      user_agent: "kiln".to_string(),
      root_cert_store_provider: Some(Arc::new(kiln_ops::tls::RootStoreProvider)),
      ..Default::default()
    }),
    deno_crypto::deno_crypto::init(None),
    kiln_ops::kiln::init(
      WorkerInfo {
        name: spec.name.clone(),
        env: spec.env.clone(),
        services: spec
          .services
          .iter()
          .map(|(binding, _)| binding.clone())
          .collect(),
        flags: spec.compat.enabled_names(),
      },
      RequestQueue::new(rx),
      ServiceBindings {
        bindings: spec.services.iter().cloned().collect(),
        registry,
      },
    ),
  ];
  let js = JsRuntime::try_new(RuntimeOptions {
    module_loader: Some(Rc::new(WorkerModuleLoader::new(spec.root.clone()))),
    extensions,
    ..Default::default()
  })
  .map_err(|e| {
    StartupError(format!(
      "cannot create the isolate: {}",
      describe_core_error(&e)
    ))
  })?;
  js.op_state()
    .borrow_mut()
    .put(crate::permissions::network_only());
  Ok(js)
}

/// Runs the worker's script, in the format wrangler would pick: a script that
/// is a valid classic script is a service worker; one with `import`/`export`
/// is an ES module, and its default export holds the handlers.
async fn load_script(js: &mut JsRuntime, spec: &WorkerSpec) -> Result<(), StartupError> {
  let fail = |what: String| StartupError(format!("worker \"{}\": {what}", spec.name));
  let code = std::fs::read_to_string(&spec.main)
    .map_err(|e| fail(format!("cannot read {}: {e}", spec.main.display())))?;
  let url = url::Url::from_file_path(&spec.main)
    .map_err(|_| fail(format!("not a file path: {}", spec.main.display())))?;
  let service_worker = compiles_as_classic_script(js, &code);
  call_entry(js, "prepare", |scope| {
    v8::Boolean::new(scope, service_worker).into()
  })
  .await
  .map_err(&fail)?;
  if service_worker {
    js.execute_script(url.to_string(), code)
      .map_err(|e| fail(describe_js_error(&e)))?;
    call_entry(js, "start", |scope| v8::undefined(scope).into())
      .await
      .map_err(&fail)?;
  } else {
    let id = js
      .load_main_es_module_from_code(&url, code)
      .await
      .map_err(|e| fail(describe_core_error(&e)))?;
    let evaluated = js.mod_evaluate(id);
    js.with_event_loop_future(evaluated, PollEventLoopOptions::default())
      .await
      .map_err(|e| fail(describe_core_error(&e)))?;
    let namespace = js
      .get_module_namespace(id)
      .map_err(|e| fail(describe_core_error(&e)))?;
    call_entry(js, "start", move |scope| {
      v8::Local::new(scope, &namespace).into()
    })
    .await
    .map_err(&fail)?;
  }
  Ok(())
}

fn compiles_as_classic_script(js: &mut JsRuntime, code: &str) -> bool {
  deno_core::scope!(scope, js);
  let Some(source) = v8::String::new(scope, code) else {
    return false;
  };
  v8::tc_scope!(let tc, scope);
  v8::Script::compile(tc, source, None).is_some()
}

/// Calls `entry(kind, arg)` of js/dispatch.js and waits for it.
async fn call_entry(
  js: &mut JsRuntime,
  kind: &str,
  arg: impl for<'s> FnOnce(&mut v8::PinScope<'s, '_>) -> v8::Local<'s, v8::Value>,
) -> Result<(), String> {
  let entry = js
    .op_state()
    .borrow()
    .try_borrow::<EntryFunction>()
    .map(|e| e.0.clone())
    .ok_or_else(|| "the runtime's bootstrap did not complete".to_string())?;
  let args = {
    deno_core::scope!(scope, js);
    let kind = v8::String::new(scope, kind).unwrap();
    let kind = v8::Global::new(scope, v8::Local::<v8::Value>::from(kind));
    let arg = arg(scope);
    let arg = v8::Global::new(scope, arg);
    [kind, arg]
  };
  let call = js.call_with_args(&entry, &args);
  js.with_event_loop_future(call, PollEventLoopOptions::default())
    .await
    .map(|_| ())
    .map_err(|e| describe_js_error(&e))
}

/// A JavaScript error as a person wants to read it: the message, then where
/// it happened as `path:line:column` frames.
pub fn describe_js_error(e: &JsError) -> String {
  let mut out = e
    .exception_message
    .trim_start_matches("Uncaught ")
    .to_string();
  // Frames inside kiln's own JavaScript say nothing about the user's script.
  for frame in e
    .frames
    .iter()
    .filter(|f| !f.file_name.as_deref().unwrap_or("").starts_with("ext:"))
  {
    let file = frame
      .file_name
      .as_deref()
      .map(display_url)
      .unwrap_or_default();
    let at = match (frame.line_number, frame.column_number) {
      (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
      _ => file,
    };
    match &frame.function_name {
      Some(f) if !f.is_empty() => out.push_str(&format!("\n    at {f} ({at})")),
      _ => out.push_str(&format!("\n    at {at}")),
    }
  }
  out
}

fn describe_core_error(e: &CoreError) -> String {
  match e.as_kind() {
    CoreErrorKind::Js(js) => describe_js_error(js),
    other => other.to_string(),
  }
}

/// `file:///a/b.js` → `/a/b.js`, since people read paths, not URLs.
fn display_url(url: &str) -> String {
  url::Url::parse(url)
    .ok()
    .filter(|u| u.scheme() == "file")
    .and_then(|u| u.to_file_path().ok())
    .map(|p| p.display().to_string())
    .unwrap_or_else(|| url.to_string())
}
