//! What the fuzz targets share: kiln's WebSocket read path run over the
//! bytes of one input, and what must hold of what the worker then gets.

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

/// Small limits, so that the fuzzer reaches them with small inputs.
pub const LIMITS: Limits = Limits {
  max_message: 4096,
  max_frame: 4097,
};

/// What the worker's end received is well-formed: text is valid UTF-8,
/// no message is over [`LIMITS`], Close codes are ones a client may send,
/// nothing meant only for a connection (a pong, a message passed on
/// compressed) reached it, and the connection ended in exactly one way (a
/// Close, an error, or its end), heard last.
pub fn check_what_the_worker_got(got: &[Msg]) {
  let mut ended = false;
  for msg in got {
    assert!(!ended, "a message after the end: {got:?}");
    match msg {
      Msg::Text(text) => {
        assert!(std::str::from_utf8(text).is_ok(), "invalid UTF-8 delivered");
        assert!(text.len() <= LIMITS.max_message);
      }
      Msg::Binary(bytes) => assert!(bytes.len() <= LIMITS.max_message),
      Msg::Close(code, _) => {
        if let Some(code) = code {
          assert!(
            matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999),
            "code {code}"
          );
        }
        ended = true;
      }
      Msg::Error(message) => {
        assert!(message.contains("WebSocket protocol error"), "{message}");
        ended = true;
      }
      Msg::Disconnected => ended = true,
      Msg::Pong(_) => panic!("a pong reached the worker"),
      Msg::Deflated { .. } => panic!("a compressed message reached the worker"),
    }
  }
  assert!(
    ended,
    "the connection ended without the worker hearing it: {got:?}"
  );
}
