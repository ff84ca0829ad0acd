//! kiln's host: everything about running workers that does not need a
//! JavaScript engine. Wrangler configuration and compatibility flags decide
//! what runs; HTTP serving turns connections into [`http::IncomingRequest`]s;
//! the [`registry::Registry`] and the [`routes::Router`] decide which worker
//! each request goes to.
//!
//! The Workers APIs (kiln-ops) are built on these types and the composition
//! of an isolate with its listener (kiln-runtime) sits above both; nothing
//! here knows about either, so this crate builds without deno.

pub mod actor_id;
pub mod assets;
pub mod compat;
pub mod config;
pub mod cron;
pub mod d1;
pub mod http;
pub mod kv_store;
pub mod queues;
pub mod r2_store;
pub mod registry;
pub mod routes;
pub mod server;
pub mod shutdown;
pub mod storage;
pub mod timeline;
