//! Graceful shutdown: on SIGTERM (or SIGINT) kiln stops accepting
//! connections, sends Close 1001 on every WebSocket, lets requests in
//! flight and their `waitUntil()` work finish within `--shutdown-grace`,
//! says what it cut off, and exits 0; a second signal stops it at once.

use std::time::{Duration, Instant};

use kiln_tests::ws::{WsClient, CLOSE};
use kiln_tests::{send, workers_dir, Kiln};

fn signal(kiln: &Kiln, name: &str) {
  let status = std::process::Command::new("kill")
    .args([&format!("-{name}"), &kiln.pid().to_string()])
    .status()
    .expect("run kill");
  assert!(status.success(), "kill -{name} failed");
}

#[tokio::test]
async fn sigterm_drains_what_is_in_flight_then_exits_0() {
  let kiln = Kiln::start_in(
    &workers_dir(),
    &["shutdown/worker.js", "--shutdown-grace", "10s"],
  );
  let mut socket = WsClient::connect(kiln.addr, "/ws").await;
  let addr = kiln.addr;
  let slow = tokio::spawn(async move { send(addr, "GET", "/slow", &[], Default::default()).await });
  // The slow request is in the worker before the signal.
  tokio::time::sleep(Duration::from_millis(200)).await;
  signal(&kiln, "TERM");

  // The WebSocket is told the server is going away.
  let frame = socket.read_frame().await.expect("a Close frame");
  assert_eq!(frame.opcode, CLOSE, "{}", kiln.output());
  assert_eq!(
    &frame.payload[..2],
    &1001u16.to_be_bytes(),
    "{}",
    kiln.output()
  );
  socket.send_close(Some(1001), "").await;

  // The request in flight is answered.
  let reply = slow.await.expect("the slow request");
  assert_eq!(
    (reply.status, reply.text()),
    (200, "slow answer".to_string())
  );

  // No new connection is accepted meanwhile (or kiln is already gone).
  let refused =
    tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr)).await;
  assert!(
    !matches!(refused, Ok(Ok(_))),
    "a new connection was accepted during the shutdown"
  );

  assert_eq!(kiln.wait_for_exit(Duration::from_secs(10)), Some(0));
  let output = kiln.output();
  assert!(output.contains("waitUntil finished"), "{output}");
  assert!(output.contains("websocket closed 1001"), "{output}");
  assert!(output.contains("kiln: shut down cleanly"), "{output}");
  assert!(kiln_tests::crash_lines(&output).is_empty(), "{output}");
}

#[tokio::test]
async fn the_grace_period_ends_the_wait_and_says_what_was_cut_off() {
  let kiln = Kiln::start_in(
    &workers_dir(),
    &["shutdown/worker.js", "--shutdown-grace", "500ms"],
  );
  let addr = kiln.addr;
  let never = tokio::spawn(async move {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
      .write_all(b"GET /never HTTP/1.1\r\nhost: x\r\n\r\n")
      .await
      .expect("send");
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
  });
  tokio::time::sleep(Duration::from_millis(200)).await;
  let signalled = Instant::now();
  signal(&kiln, "INT");
  assert_eq!(kiln.wait_for_exit(Duration::from_secs(5)), Some(0));
  let took = signalled.elapsed();
  assert!(
    took >= Duration::from_millis(450),
    "kiln exited after {took:?}, before the grace period"
  );
  let output = kiln.output();
  assert!(
    output.contains("the shutdown cut off 1 request(s)"),
    "{output}"
  );
  never.abort();
}

#[tokio::test]
async fn a_second_signal_stops_at_once() {
  let kiln = Kiln::start_in(
    &workers_dir(),
    &["shutdown/worker.js", "--shutdown-grace", "60s"],
  );
  let addr = kiln.addr;
  let never =
    tokio::spawn(async move { send(addr, "GET", "/never", &[], Default::default()).await });
  tokio::time::sleep(Duration::from_millis(200)).await;
  signal(&kiln, "TERM");
  kiln.wait_for_output("shutting down");
  let signalled = Instant::now();
  signal(&kiln, "TERM");
  assert_eq!(kiln.wait_for_exit(Duration::from_secs(5)), Some(1));
  assert!(signalled.elapsed() < Duration::from_secs(3));
  kiln.wait_for_output("second signal");
  never.abort();
}
