//! What the fuzz targets share: kiln's WebSocket read path run over the
//! bytes of one input.

use kiln_ops::websocket::conn::{received_from_client, Limits};
use kiln_ops::websocket::deflate::Agreement;
use kiln_ops::websocket::hub::Msg;

thread_local! {
  // Time is paused: a connection that ends after a Close lingers 2 s for
  // the reply, which no JavaScript sends here.
  static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
    .enable_all()
    .start_paused(true)
    .build()
    .expect("a runtime");
}

/// What the worker's end receives when a client sends `bytes` and ends its
/// side (`conn::received_from_client`).
pub fn received(bytes: &[u8], limits: Limits) -> Vec<Msg> {
  received_with(bytes, limits, None)
}

/// The same on a connection that agreed to permessage-deflate.
pub fn received_with(bytes: &[u8], limits: Limits, deflate: Option<Agreement>) -> Vec<Msg> {
  RUNTIME.with(|rt| rt.block_on(received_from_client(bytes, limits, deflate)).0)
}
