//! Any bytes as wrangler.toml or wrangler.jsonc (the first byte picks),
//! parsed and validated with and without an environment: errors are
//! messages, never panics.
#![no_main]

use std::path::Path;

use kiln_host::config::{effective_config, parse_config, Diagnostics};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
  let Some((pick, bytes)) = data.split_first() else {
    return;
  };
  let name = if pick & 1 == 0 {
    "wrangler.toml"
  } else {
    "wrangler.jsonc"
  };
  let Ok(raw) = parse_config(Path::new(name), bytes.to_vec()) else {
    return;
  };
  for env in [None, Some("staging")] {
    let mut diag = Diagnostics::default();
    let _ = effective_config(&raw, env, &mut diag);
  }
});
