//! The CPU-time limit (`[limits] cpu_ms`, `--cpu-ms`): a handler that runs
//! without a pause past it is stopped, its client gets 503 with workerd's
//! text, its WebSockets are closed 1011, the log says which worker and how
//! long, and a new isolate serves the next request; the process's other
//! workers never notice. CPU in bursts between awaits is not stopped.

use std::time::{Duration, Instant};

use kiln_tests::ws::{WsClient, CLOSE};
use kiln_tests::{send, workers_dir, Kiln};

fn start() -> Kiln {
  Kiln::start_workers(
    &workers_dir(),
    &["-c", "cpu/wrangler.toml", "-c", "cpu/other.toml"],
    2,
  )
}

#[tokio::test]
async fn a_runaway_handler_is_stopped_and_the_worker_keeps_serving() {
  let kiln = start();
  let (cpu, other) = (kiln.addrs[0], kiln.addrs[1]);
  let mut socket = WsClient::connect(cpu, "/ws").await;
  assert_eq!(
    send(cpu, "GET", "/", &[], Default::default()).await.text(),
    "served 2"
  );

  let spin = tokio::spawn(async move { send(cpu, "GET", "/spin", &[], Default::default()).await });
  // Meanwhile the other worker answers at once.
  tokio::time::sleep(Duration::from_millis(50)).await;
  let asked = Instant::now();
  let reply = send(other, "GET", "/", &[], Default::default()).await;
  assert_eq!(reply.text(), "other ok");
  assert!(
    asked.elapsed() < Duration::from_millis(150),
    "the other worker took {:?}",
    asked.elapsed()
  );

  let reply = tokio::time::timeout(Duration::from_secs(10), spin)
    .await
    .expect("the runaway request was answered within 10 s")
    .unwrap();
  assert_eq!(
    (reply.status, reply.text()),
    (503, "Worker exceeded CPU time limit.\n".to_string()),
    "{}",
    kiln.output()
  );
  let frame = socket.read_frame().await.expect("a Close frame");
  assert_eq!(frame.opcode, CLOSE);
  assert_eq!(&frame.payload[..2], &1011u16.to_be_bytes());

  // A new isolate (its module state fresh) serves the next request.
  assert_eq!(
    send(cpu, "GET", "/", &[], Default::default()).await.text(),
    "served 1"
  );
  let output = kiln.output();
  assert!(
    output.contains("[cpu] exceeded its CPU time limit (")
      && output.contains("the limit is 200 ms"),
    "{output}"
  );
  kiln.assert_alive();
}

#[tokio::test]
async fn cpu_in_bursts_between_awaits_is_not_stopped() {
  let kiln = start();
  let reply = send(kiln.addrs[0], "GET", "/bursts", &[], Default::default()).await;
  assert_eq!(
    (reply.status, reply.text()),
    (200, "bursts done".to_string()),
    "{}",
    kiln.output()
  );
  assert!(!kiln.output().contains("exceeded"), "{}", kiln.output());
}

#[tokio::test]
async fn the_command_line_sets_the_limit() {
  let kiln = Kiln::start_workers(
    &workers_dir(),
    &["-c", "cpu/wrangler.toml", "--cpu-ms", "700"],
    1,
  );
  let started = Instant::now();
  let reply = send(kiln.addr, "GET", "/spin", &[], Default::default()).await;
  assert_eq!(reply.status, 503);
  assert!(
    started.elapsed() >= Duration::from_millis(650),
    "stopped after {:?}",
    started.elapsed()
  );
  kiln.wait_for_output("the limit is 700 ms");
}
