//! One isolate: created with deno's Web API extensions and kiln's own, its
//! worker's script run in the format wrangler would pick, and its handlers
//! found. Everything here runs on the worker's thread (see worker.rs).

use std::rc::Rc;
use std::sync::Arc;

use deno_core::{v8, JsRuntime, ModuleSpecifier, PollEventLoopOptions, RuntimeOptions};
use kiln_host::actor_id::namespace_key;
use kiln_host::assets::Assets;
use kiln_host::config::WorkerSpec;
use kiln_host::registry::Registry;
use kiln_ops::{
  AssetsBinding, ClassConfig, DurableObjectBindingFacts, DurableObjectClassFacts,
  DurableObjectFacts, DurableObjects, EntryFunction, KvNamespaceFacts, QueueProducerFacts,
  RequestQueue, ServiceBindings, StorageBindings, WorkerInfo,
};

use crate::errors::{describe_core_error, describe_js_error, StartupError};
use crate::loader::WorkerModuleLoader;
use crate::node::NodeCompat;

pub(crate) fn create_isolate(
  spec: &WorkerSpec,
  rx: kiln_ops::http::SharedReceiver,
  registry: Registry,
  assets: Option<Arc<Assets>>,
  watch: Arc<crate::watchdog::Watch>,
) -> Result<JsRuntime, StartupError> {
  let mut extensions = vec![
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
        durable_objects: durable_object_facts(spec),
        kv_namespaces: spec
          .kv_namespaces
          .iter()
          .map(|kv| KvNamespaceFacts {
            binding: kv.binding.clone(),
            id: kv.id.clone(),
          })
          .collect(),
        d1_databases: spec
          .d1_databases
          .iter()
          .map(|db| KvNamespaceFacts {
            binding: db.binding.clone(),
            id: db.id.clone(),
          })
          .collect(),
        queue_producers: spec
          .queue_producers
          .iter()
          .map(|p| QueueProducerFacts {
            binding: p.binding.clone(),
            queue: p.queue.clone(),
            delivery_delay: p.delivery_delay,
          })
          .collect(),
        r2_buckets: spec
          .r2_buckets
          .iter()
          .map(|b| KvNamespaceFacts {
            binding: b.binding.clone(),
            id: b.bucket.clone(),
          })
          .collect(),
        assets_binding: assets
          .as_ref()
          .and_then(|a| a.binding().map(str::to_string)),
        connect_timeout: spec.connect_timeout,
      },
      RequestQueue::new(rx),
      ServiceBindings {
        bindings: spec.services.iter().cloned().collect(),
        registry,
      },
      durable_objects(spec)?,
      StorageBindings::new(spec.state_dir.clone()),
      AssetsBinding(assets),
    ),
  ];
  // QuickJS has no Intl of its own; V8 keeps its ICU-backed one.
  #[cfg(feature = "quickjs")]
  extensions.push(kiln_ops::intl::kiln_intl::init());
  crate::embed::embed(&mut extensions);
  let from_disk = crate::embed::unembedded(&extensions);
  if !from_disk.is_empty() {
    // A file build.rs did not embed: the binary still runs here, but not
    // where it is copied without this machine's files.
    eprintln!(
      "kiln: not embedded, read from disk: {}",
      from_disk.join(", ")
    );
  }
  let loader = Rc::new(WorkerModuleLoader::new(
    spec.root.clone(),
    &spec.module_rules,
    NodeCompat::from_flags(&spec.compat.enabled_names()),
  ));
  let js = JsRuntime::try_new(RuntimeOptions {
    module_loader: Some(loader.clone()),
    extensions,
    create_params: Some(
      v8::CreateParams::default()
        .heap_limits(0, spec.memory_limit)
        .array_buffer_allocator(crate::heap::allocator(spec.memory_limit, watch)),
    ),
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
    .put(crate::permissions::for_workers());
  // load_script asks it for the main module's JavaScript.
  js.op_state().borrow_mut().put(loader);
  Ok(js)
}

/// The facts js/durable_objects.js starts from.
fn durable_object_facts(spec: &WorkerSpec) -> DurableObjectFacts {
  DurableObjectFacts {
    bindings: spec
      .durable_objects
      .iter()
      .map(|b| DurableObjectBindingFacts {
        name: b.name.clone(),
        class_name: b.class_name.clone(),
        unique_key: namespace_key(
          b.script_name.as_deref().unwrap_or(&spec.name),
          &b.class_name,
        ),
        script_name: b.script_name.clone(),
      })
      .collect(),
    classes: spec
      .durable_object_classes
      .iter()
      .map(|c| DurableObjectClassFacts {
        class_name: c.class_name.clone(),
        sqlite: c.sqlite,
      })
      .collect(),
    service_worker_error: spec.service_worker_error.clone(),
    evict_after_ms: spec.evict_after.as_millis() as f64,
    hibernate_after_ms: spec.hibernate_after.as_millis() as f64,
  }
}

/// The worker's classes with where their objects live: under
/// `<state>/v3/do/<worker>-<Class>/`, as wrangler dev keeps them.
fn durable_objects(spec: &WorkerSpec) -> Result<DurableObjects, StartupError> {
  let classes = spec
    .durable_object_classes
    .iter()
    .map(|c| ClassConfig {
      dir: spec.state_dir.as_ref().map(|state| {
        state
          .join("v3")
          .join("do")
          .join(namespace_key(&spec.name, &c.class_name))
      }),
      class_name: c.class_name.clone(),
      sqlite: c.sqlite,
    })
    .collect();
  DurableObjects::new(classes).map_err(|e| StartupError(format!("worker \"{}\": {e}", spec.name)))
}

/// Runs the worker's script, in the format wrangler would pick: a script that
/// is a valid classic script is a service worker; one with `import`/`export`
/// is an ES module, and its default export holds the handlers.
pub(crate) async fn load_script(js: &mut JsRuntime, spec: &WorkerSpec) -> Result<(), StartupError> {
  let fail = |what: String| StartupError(format!("worker \"{}\": {what}", spec.name));
  let loader = js
    .op_state()
    .borrow()
    .borrow::<Rc<WorkerModuleLoader>>()
    .clone();
  let code = loader.main_source(&spec.main).map_err(&fail)?;
  let url = url::Url::from_file_path(&spec.main)
    .map_err(|_| fail(format!("not a file path: {}", spec.main.display())))?;
  let service_worker = compiles_as_classic_script(js, &code);
  call_entry(js, "prepare", |scope| {
    v8::Boolean::new(scope, service_worker).into()
  })
  .await
  .map_err(&fail)?;
  for side in loader.node().side_modules() {
    // Buffer, process and the rest are there before the script's first
    // line, as in Workers.
    let side = ModuleSpecifier::parse(side).expect("a valid URL");
    let id = js
      .load_side_es_module(&side)
      .await
      .map_err(|e| fail(loader.explain(&e)))?;
    evaluate(js, id)
      .await
      .map_err(|e| fail(loader.explain(&e)))?;
  }
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
      .map_err(|e| fail(loader.explain(&e)))?;
    evaluate(js, id)
      .await
      .map_err(|e| fail(loader.explain(&e)))?;
    let namespace = js
      .get_module_namespace(id)
      .map_err(|e| fail(loader.explain(&e)))?;
    call_entry(js, "start", move |scope| {
      v8::Local::new(scope, &namespace).into()
    })
    .await
    .map_err(&fail)?;
  }
  Ok(())
}

/// Runs a loaded module to the end of its top level, top-level awaits
/// included.
async fn evaluate(
  js: &mut JsRuntime,
  id: deno_core::ModuleId,
) -> Result<(), deno_core::error::CoreError> {
  let evaluated = js.mod_evaluate(id);
  js.with_event_loop_future(evaluated, PollEventLoopOptions::default())
    .await
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
