//! kiln's runtime: isolates and their event loops, HTTP serving, module
//! loading, and (soon) compatibility flags and configuration.

pub mod config;
pub mod isolate;
mod loader;
mod permissions;
mod server;

pub use isolate::{start_worker, StartupError, WorkerHandle, WorkerSpec};
