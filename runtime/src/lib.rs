//! kiln's runtime: isolates and their event loops, HTTP serving, module
//! loading, and (soon) compatibility flags and configuration.

pub mod compat;
pub mod config;
pub mod isolate;
mod loader;
mod permissions;
pub mod routes;
mod server;

pub use isolate::{start_worker, StartupError, WorkerHandle, WorkerSpec};
pub use kiln_ops::websocket::accept_key as websocket_accept_key;
pub use kiln_ops::Registry;
pub use routes::Router;
