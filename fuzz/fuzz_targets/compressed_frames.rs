//! Any bytes from a client on a connection that agreed to permessage-deflate
//! (the first byte picks the agreement), through kiln's whole read path with
//! RSV1 and inflating (ops/src/websocket/conn.rs, deflate.rs). Beyond "no
//! panic, no hang": no message over the limit however far it would inflate,
//! text always valid UTF-8, and exactly one end.
#![no_main]

use kiln_fuzz::received_with;
use kiln_ops::websocket::conn::Limits;
use kiln_ops::websocket::deflate::Agreement;
use kiln_ops::websocket::hub::Msg;
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
  max_message: 4096,
  max_frame: 4097,
};

fuzz_target!(|data: &[u8]| {
  let Some((&choice, data)) = data.split_first() else {
    return;
  };
  if data.len() > 64 * 1024 {
    return;
  }
  let agreement = Agreement {
    client_no_context_takeover: choice & 1 != 0,
    server_no_context_takeover: choice & 2 != 0,
    client_max_window_bits: (choice & 4 != 0).then_some(9 + (choice >> 5) % 7),
    server_max_window_bits: (choice & 8 != 0).then_some(8 + (choice >> 4) % 8),
  };
  let got = received_with(data, LIMITS, Some(agreement));
  let mut ended = false;
  for msg in &got {
    assert!(!ended, "a message after the end: {got:?}");
    match msg {
      Msg::Text(text) => {
        assert!(std::str::from_utf8(text).is_ok(), "invalid UTF-8 delivered");
        assert!(text.len() <= LIMITS.max_message);
      }
      Msg::Binary(bytes) => assert!(bytes.len() <= LIMITS.max_message),
      Msg::Close(..) => ended = true,
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
