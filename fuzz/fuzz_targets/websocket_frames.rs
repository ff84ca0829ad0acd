//! Any bytes from a client, after the handshake, through kiln's whole read
//! path (ops/src/websocket/conn.rs). Beyond "no panic, no hang": what the
//! worker receives is well-formed, within the limits, and ends in exactly
//! one way (a Close, an error, or the connection's end).
#![no_main]

use kiln_fuzz::{check_what_the_worker_got, received, LIMITS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
  // The 1 MiB backlog is not drained here (no JavaScript): stay below it
  // (an empty frame is 2 bytes and weighs 16).
  if data.len() > 64 * 1024 {
    return;
  }
  check_what_the_worker_got(&received(data, LIMITS));
});
