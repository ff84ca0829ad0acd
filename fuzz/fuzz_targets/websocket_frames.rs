//! Any bytes from a client, after the handshake, through kiln's whole read
//! path (ops/src/websocket/conn.rs). Beyond "no panic, no hang": what the
//! worker receives is well-formed, within the limits, and ends in exactly
//! one way (a Close, an error, or the connection's end).
#![no_main]

use kiln_fuzz::received;
use kiln_ops::websocket::conn::Limits;
use kiln_ops::websocket::hub::Msg;
use libfuzzer_sys::fuzz_target;

/// Small limits, so that the fuzzer reaches them with small inputs.
const LIMITS: Limits = Limits {
  max_message: 4096,
  max_frame: 4097,
};

fuzz_target!(|data: &[u8]| {
  // The 1 MiB backlog is not drained here (no JavaScript): stay below it
  // (an empty frame is 2 bytes and weighs 16).
  if data.len() > 64 * 1024 {
    return;
  }
  let got = received(data, LIMITS);
  let mut ended = false;
  for msg in &got {
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
});
