//! WebSockets: `WebSocketPair`, accept/send/close and their events
//! (js/websocket.js), coupled to client connections and outbound sockets.
//!
//! One owner per state machine:
//! - The Workers state machine of a socket (readyState, `allowHalfOpen`,
//!   which call is allowed when, which event fires, the close handshake per
//!   compatibility flag) is owned by js/websocket.js.
//! - Rust mirrors one fact of it per end, its [`hub::Route`]: where what the
//!   end receives goes (held while pending, to JavaScript once accepted, to a
//!   connection once returned in a 101). JavaScript moves the mirror only
//!   through the ops in ops.rs, and each of those refuses a move its mirror
//!   does not allow, so the two cannot drift apart in silence.
//! - The RFC 6455 side of a connection (frames, fragments, pings, protocol
//!   errors and when the Close that fails a connection goes out) is owned by
//!   conn.rs; JavaScript never sees a frame.
//!
//! Files: hub.rs (ends and delivery), conn.rs (the read and write loops of a
//! connection), deflate.rs (permessage-deflate: the offer, the agreement,
//! each connection's compressor), handshake.rs (both handshakes and the 101
//! header rules),
//! ops.rs (what JavaScript calls), hibernation.rs (what outlives a
//! hibernating Durable Object's `WebSocket` objects, and its ops).

pub mod conn;
pub mod deflate;
pub mod handshake;
pub mod hibernation;
pub mod hub;
pub mod ops;

pub use hub::{new_hub, SharedHub};

/// For a graceful shutdown: sends Close 1001 ("going away") on every open
/// connection that has not been closed from the worker's side yet (the
/// worker's end learns of it when the other side answers). Answers how many
/// connections are open.
pub fn going_away(state: &deno_core::OpState) -> usize {
  close_connections(state, 1001, "")
}

/// Sends Close `code` with `reason` on every open connection whose worker
/// side has not closed; answers how many connections are open.
pub fn close_connections(state: &deno_core::OpState, code: u16, reason: &str) -> usize {
  let hub = state.borrow::<SharedHub>();
  let mut hub = hub.borrow_mut();
  hub.close_connections(code, reason)
}

/// How many WebSocket connections are still open.
pub fn open_connections(state: &deno_core::OpState) -> usize {
  let hub = state.borrow::<SharedHub>();
  let hub = hub.borrow();
  hub.network_ends()
}
