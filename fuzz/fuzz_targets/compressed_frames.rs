//! Any bytes from a client on a connection that agreed to permessage-deflate
//! (the first byte picks the agreement), through kiln's whole read path with
//! RSV1 and inflating (ops/src/websocket/conn.rs, deflate.rs). Beyond "no
//! panic, no hang": no message over the limit however far it would inflate,
//! text always valid UTF-8, and exactly one end (`check_what_the_worker_got`).
#![no_main]

use kiln_fuzz::{check_what_the_worker_got, received_with, LIMITS};
use kiln_ops::websocket::deflate::Agreement;
use libfuzzer_sys::fuzz_target;

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
  check_what_the_worker_got(&received_with(data, LIMITS, Some(agreement)));
});
