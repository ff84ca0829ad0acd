//! The Rust side of kiln's Workers APIs: one folder per API, each beside its
//! JavaScript twin in js/ (http/ ↔ dispatch.js, websocket/ ↔ websocket.js,
//! service/ ↔ service.js, durable_objects/ ↔ durable_objects.js), plus the worker's own facts (worker.rs ↔
//! global_scope.js) and the TLS roots outbound connections trust (tls.rs).
//! The `kiln` extension declared here bundles the ops and that JavaScript.
//!
//! The plain types these APIs exchange with the host (requests, bodies, the
//! registry of workers) come from kiln-host; what is exported here is the
//! extension and what its `init` takes.

pub mod cache;
pub mod d1;
pub mod durable_objects;
pub mod http;
#[cfg(feature = "quickjs")]
pub mod intl;
pub mod kv;
pub mod queues;
pub mod r2;
pub mod scripts;
pub mod service;
pub mod tls;
pub mod websocket;
pub mod worker;

pub use cache::Caches;
pub use d1::D1Databases;
pub use durable_objects::{ClassConfig, DurableObjects};
pub use http::RequestQueue;
pub use kv::KvNamespaces;
pub use service::{AssetsBinding, ServiceBindings};
pub use worker::{
  DurableObjectBindingFacts, DurableObjectClassFacts, DurableObjectFacts, EntryFunction,
  KvNamespaceFacts, QueueProducerFacts, WorkerInfo,
};

/// The bindings kept in the state folder, each opened on first use.
pub struct StorageBindings {
  pub kv: KvNamespaces,
  pub d1: D1Databases,
  pub caches: Caches,
  pub r2: r2::R2Buckets,
}

impl StorageBindings {
  /// Every binding kept under `state_dir`, or in memory.
  pub fn new(state_dir: Option<std::path::PathBuf>) -> StorageBindings {
    StorageBindings {
      kv: KvNamespaces::new(state_dir.clone()),
      d1: D1Databases::new(state_dir.clone()),
      caches: Caches::new(state_dir.clone()),
      r2: r2::R2Buckets::new(state_dir),
    }
  }
}

deno_core::extension!(
  kiln,
  deps = [deno_webidl, deno_web, deno_fetch, deno_crypto],
  ops = [
    http::op_kiln_next_requests,
    http::op_kiln_respond,
    http::op_kiln_respond_stream,
    http::op_kiln_respond_text,
    websocket::ops::op_kiln_respond_websocket,
    websocket::ops::op_ws_pair,
    websocket::ops::op_ws_accept,
    websocket::ops::op_ws_send_text,
    websocket::ops::op_ws_send_binary,
    websocket::ops::op_ws_close,
    websocket::ops::op_ws_close_without_code,
    websocket::ops::op_ws_release,
    websocket::ops::op_ws_forget,
    websocket::ops::op_ws_fail,
    websocket::ops::op_ws_wait_events,
    websocket::ops::op_ws_take_events,
    websocket::ops::op_ws_connect,
    websocket::ops::op_ws_abort,
    websocket::hibernation::op_ws_accept_hibernatable,
    websocket::hibernation::op_ws_leave,
    websocket::hibernation::op_ws_set_auto_response,
    websocket::hibernation::op_ws_clear_auto_response,
    websocket::hibernation::op_ws_auto_response,
    websocket::hibernation::op_ws_auto_response_at,
    websocket::hibernation::op_ws_hibernate,
    websocket::hibernation::op_ws_sleeping_object,
    websocket::hibernation::op_ws_wake,
    websocket::hibernation::op_ws_sleeping_objects,
    websocket::hibernation::op_ws_release_memory,
    service::op_kiln_service_fetch,
    service::op_do_remote_call,
    service::op_kiln_assets_fetch,
    kv::op_kv_get,
    kv::op_kv_put,
    kv::op_kv_delete,
    kv::op_kv_list,
    d1::op_d1_call,
    queues::op_queue_send,
    queues::op_queue_consumed,
    queues::op_queue_metrics,
    cache::op_cache_put,
    cache::op_cache_match,
    cache::op_cache_delete,
    r2::op_r2_head,
    r2::op_r2_read,
    r2::op_r2_put,
    r2::op_r2_delete,
    r2::op_r2_list,
    r2::op_r2_create_upload,
    r2::op_r2_upload_part,
    r2::op_r2_complete_upload,
    r2::op_r2_abort_upload,
    durable_objects::op_do_id_from_name,
    durable_objects::op_do_new_unique_id,
    durable_objects::op_do_id_from_string,
    durable_objects::op_do_open,
    durable_objects::op_do_close,
    durable_objects::op_do_get,
    durable_objects::op_do_get_many,
    durable_objects::op_do_put,
    durable_objects::op_do_put_many,
    durable_objects::op_do_delete,
    durable_objects::op_do_delete_many,
    durable_objects::op_do_list,
    durable_objects::op_do_delete_all,
    durable_objects::op_do_commit,
    durable_objects::op_do_rollback,
    durable_objects::op_do_savepoint,
    durable_objects::op_do_release,
    durable_objects::op_do_rollback_to,
    durable_objects::op_do_sql_exec,
    durable_objects::op_do_database_size,
    durable_objects::op_do_get_alarm,
    durable_objects::op_do_set_alarm,
    durable_objects::op_do_delete_alarm,
    durable_objects::op_do_alarms,
    worker::op_kiln_worker_info,
    worker::op_kiln_register_entry,
    worker::op_kiln_print,
    worker::op_kiln_wait_until,
    worker::op_kiln_event_began,
    scripts::op_kiln_compile_ext_script,
  ],
  esm_entry_point = "ext:kiln/bootstrap.js",
  esm = [dir "../js", "bootstrap.js"],
  lazy_loaded_js = [
    dir "../js",
    "global_scope.js",
    "dispatch.js",
    "service.js",
    "websocket.js",
    "durable_objects.js",
    "kv.js",
    "d1.js",
    "queues.js",
    "cache.js",
    "streams.js",
    "structured_clone.js",
    "r2.js",
    "ext:deno_net/02_tls.js" = "deno_shims.js",
  ],
  options = {
    info: WorkerInfo,
    queue: RequestQueue,
    services: ServiceBindings,
    durable_objects: DurableObjects,
    bindings: StorageBindings,
    assets: AssetsBinding,
  },
  // The bootstrap module already asks for the worker's facts, so they must be
  // in the op state before any JavaScript runs.
  state = |state, options| {
    let increased = options.info.flags.contains(&"increase_websocket_message_size");
    state.put(options.info);
    state.put(options.queue);
    state.put(options.services);
    state.put(options.durable_objects);
    state.put(options.bindings.kv);
    state.put(options.bindings.d1);
    state.put(options.bindings.caches);
    state.put(options.bindings.r2);
    state.put(options.assets);
    let hub = websocket::new_hub();
    hub.borrow_mut().limits = websocket::conn::Limits::new(increased);
    state.put(hub);
    state.put(worker::WaitUntil::default());
  },
);
