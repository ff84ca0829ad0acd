//! The Rust side of kiln's Workers APIs: one folder per API, each beside its
//! JavaScript twin in js/ (http/ ↔ dispatch.js, websocket/ ↔ websocket.js,
//! service/ ↔ service.js), plus the worker's own facts (worker.rs ↔
//! global_scope.js) and the TLS roots outbound connections trust (tls.rs).
//! The `kiln` extension declared here bundles the ops and that JavaScript.
//!
//! The plain types these APIs exchange with the host (requests, bodies, the
//! registry of workers) come from kiln-host; what is exported here is the
//! extension and what its `init` takes.

pub mod http;
pub mod service;
pub mod tls;
pub mod websocket;
pub mod worker;

pub use http::RequestQueue;
pub use service::ServiceBindings;
pub use worker::{EntryFunction, WorkerInfo};

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
    websocket::ops::op_ws_fail,
    websocket::ops::op_ws_wait_events,
    websocket::ops::op_ws_take_events,
    websocket::ops::op_ws_connect,
    websocket::ops::op_ws_abort,
    service::op_kiln_service_fetch,
    worker::op_kiln_worker_info,
    worker::op_kiln_register_entry,
    worker::op_kiln_print,
  ],
  esm_entry_point = "ext:kiln/bootstrap.js",
  esm = [dir "../js", "bootstrap.js"],
  lazy_loaded_js = [
    dir "../js",
    "global_scope.js",
    "dispatch.js",
    "service.js",
    "websocket.js",
    "ext:deno_net/02_tls.js" = "deno_shims.js",
  ],
  options = {
    info: WorkerInfo,
    queue: RequestQueue,
    services: ServiceBindings,
  },
  // The bootstrap module already asks for the worker's facts, so they must be
  // in the op state before any JavaScript runs.
  state = |state, options| {
    state.put(options.info);
    state.put(options.queue);
    state.put(options.services);
    state.put(websocket::new_hub());
  },
);
