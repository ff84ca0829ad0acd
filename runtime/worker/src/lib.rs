//! kiln's runtime: a worker is an isolate with kiln's ops (kiln-ops),
//! composed with its listener and the process's registry (kiln-host), on a
//! thread of its own. The command line (cli/) starts workers through
//! [`start_all`]; dependencies run one way: cli → runtime → ops → host.

mod commonjs;
mod embed;
mod errors;
mod heap;
mod isolate;
mod loader;
mod node;
mod packages;
mod permissions;
mod transpile;
mod watchdog;
mod worker;

pub use errors::StartupError;
pub use kiln_ops::websocket::handshake::accept_key as websocket_accept_key;
pub use worker::{check, start_all, ReloadHandle, Reloaded, Worker};
