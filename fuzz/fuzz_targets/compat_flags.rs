//! Any compatibility date (first line) and flags (the other lines) through
//! the resolver (runtime/host/src/compat): an answer or errors with text,
//! never a panic.
#![no_main]

use kiln_host::compat::{resolve, CompatDate, CompatInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
  let mut lines = text.lines();
  let date = lines.next().unwrap_or("");
  let flags: Vec<String> = lines.map(str::to_string).collect();
  let today = CompatDate::parse("2026-11-30").expect("a date");
  for experimental in [false, true] {
    let input = CompatInput {
      date,
      flags: &flags,
      experimental,
      today,
    };
    match resolve(&input) {
      Ok(resolved) => {
        let _ = resolved.enabled_names();
      }
      Err(errors) => assert!(!errors.to_string().is_empty()),
    }
  }
});
