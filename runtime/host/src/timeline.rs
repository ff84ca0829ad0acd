//! `KILN_TRACE_STARTUP=1`: one line on stderr per step of start-up, with
//! the milliseconds since `main` began, so where start-up goes can be read
//! from a single run (the README's start-up breakdown is made this way).

use std::sync::OnceLock;
use std::time::Instant;

fn zero() -> Option<Instant> {
  static ZERO: OnceLock<Option<Instant>> = OnceLock::new();
  *ZERO.get_or_init(|| {
    std::env::var_os("KILN_TRACE_STARTUP")
      .filter(|v| !v.is_empty() && v != "0")
      .map(|_| Instant::now())
  })
}

/// Starts the clock; `main` calls it first.
pub fn begin() {
  mark("main");
}

/// Prints `step` with the time since [`begin`], when tracing is on.
pub fn mark(step: &str) {
  if let Some(zero) = zero() {
    eprintln!(
      "kiln: start-up {:7.2} ms  {step}",
      zero.elapsed().as_secs_f64() * 1000.0
    );
  }
}
