//! The Rust side of kiln's Web APIs: ops that the JavaScript in `js/` calls,
//! and the `kiln` extension that bundles that JavaScript.

pub mod http;
pub mod service;
pub mod tls;
pub mod websocket;
pub mod worker;
pub mod ws_client;

pub use http::{IncomingRequest, RequestBody, RequestQueue, ResponseBody};
pub use service::{Registry, ServiceBindings};
pub use worker::{EntryFunction, WorkerInfo};

deno_core::extension!(
  kiln,
  deps = [deno_webidl, deno_web, deno_fetch, deno_crypto],
  ops = [
    http::op_kiln_next_requests,
    http::op_kiln_respond,
    http::op_kiln_respond_text,
    http::op_kiln_respond_websocket,
    websocket::op_ws_pair,
    websocket::op_ws_accept,
    websocket::op_ws_send_text,
    websocket::op_ws_send_binary,
    websocket::op_ws_close,
    websocket::op_ws_release,
    websocket::op_ws_fail,
    websocket::op_ws_wait_events,
    websocket::op_ws_take_events,
    ws_client::op_ws_connect,
    ws_client::op_ws_abort,
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
