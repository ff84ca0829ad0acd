//! The heap limit (`kiln dev --memory-mb`, runtime/worker/src/watchdog.rs):
//! a worker that allocates without end is stopped with Workers' answer, its
//! isolate replaced, and kiln's resident memory stays near the limit. The
//! worker is tests/workers/memory/worker.js.

use std::time::Duration;

use kiln_tests::{send, try_send, Kiln};

async fn stopped_at_the_limit(path: &str) {
  let kiln = Kiln::start(&["memory/worker.js", "--memory-mb", "64"]);
  // Three times, each on the isolate that replaced the last: the stop
  // unwinds a script at its heap limit, which once crashed the process
  // now and then (an allocation failing while the unwinding error built
  // its stack trace).
  for round in 1..=3 {
    let reply = tokio::time::timeout(
      Duration::from_secs(60),
      try_send(kiln.addr, "GET", path, &[], Default::default()),
    )
    .await
    .unwrap_or_else(|_| panic!("{path} not answered within 60 s\n{}", kiln.output()))
    .unwrap_or_else(|why| panic!("{path}, round {round}: {why}\n{}", kiln.output()));
    assert_eq!(
      (reply.status, reply.text()),
      (503, "Worker exceeded memory limit.\n".to_string()),
      "{}",
      kiln.output()
    );
    let said = "exceeded its memory limit (64 MiB of JavaScript heap";
    if let Err(out) = kiln.output_times_within(said, round, Duration::from_secs(10)) {
      panic!("round {round}: kiln never said {said:?}\n{out}");
    }
    if round == 1 {
      let (_, peak) = kiln.memory_kib();
      assert!(
        peak < 320 * 1024,
        "peak RSS {peak} KiB with a 64 MiB heap limit"
      );
    }
    // A new isolate serves, with nothing of the old one's.
    let reply = send(kiln.addr, "GET", "/", &[], Default::default()).await;
    assert_eq!(reply.text(), "ok, 0 kept", "{}", kiln.output());
  }
  kiln.assert_alive();
}

#[tokio::test]
async fn strings_and_objects_without_end_are_stopped() {
  stopped_at_the_limit("/grow").await;
}

#[tokio::test]
async fn array_buffers_without_end_are_stopped() {
  stopped_at_the_limit("/buffers").await;
}
