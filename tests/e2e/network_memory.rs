//! What a client, or a worker, can make kiln hold for a WebSocket connection
//! (ops/src/websocket: conn.rs reads, hub.rs queues), each bounded, with
//! kiln's resident memory measured around it. The worker is
//! tests/workers/network-memory/worker.js.

use std::time::Duration;

use kiln_tests::ws::{encode_frame, WsClient, CLOSE, PING};
use kiln_tests::{send, Kiln};

const MIB_IN_KIB: u64 = 1024;

fn start() -> Kiln {
  Kiln::start(&["network-memory/worker.js"])
}

#[tokio::test]
async fn a_frame_over_the_message_limit_is_refused_from_its_header() {
  let kiln = start();
  let mut ws = WsClient::connect(kiln.addr, "/echo").await;
  // A binary frame declaring 48 MiB (over the 32 MiB limit): only its header
  // and a few bytes are sent, so only a refusal from the header answers.
  let mut bytes = vec![0x82, 0x80 | 127];
  bytes.extend_from_slice(&(48u64 << 20).to_be_bytes());
  bytes.extend_from_slice(&[1, 2, 3, 4]);
  bytes.extend_from_slice(&[0; 16]);
  ws.send_raw(&bytes).await;
  let frame = ws
    .read_frame_within(Duration::from_secs(10))
    .await
    .unwrap_or_else(|()| panic!("no answer to the header within 10 s\n{}", kiln.output()))
    .expect("a Close frame, not the end of the connection");
  assert_eq!(frame.opcode, CLOSE);
  assert_eq!(
    frame.close(),
    (
      Some(1009),
      "Message is too large: 50331648 > 33554432".to_string()
    )
  );
  kiln.assert_alive();
}

#[tokio::test]
async fn pings_from_a_client_that_reads_no_pongs_stop_being_read() {
  let kiln = start();
  let mut ws = WsClient::connect(kiln.addr, "/echo").await;
  let (before, _) = kiln.memory_kib();
  // About 1 MiB of 125-byte pings per write, up to 160 MiB in all; the
  // client never reads the pongs, so kiln must stop taking pings once its
  // queue for this connection is full, long before that.
  let burst = encode_frame(true, 0, PING, &[7u8; 125]).repeat(8000);
  let mut sent = 0usize;
  let stalled = loop {
    if sent >= 160 << 20 {
      break false;
    }
    match ws.write_within(&burst, Duration::from_secs(3)).await {
      Some(Ok(())) => sent += burst.len(),
      Some(Err(e)) => panic!("write: {e}\n{}", kiln.output()),
      None => break true,
    }
  };
  let (after, _) = kiln.memory_kib();
  assert!(
    stalled,
    "kiln read {sent} bytes of pings whose pongs nobody reads; RSS {before} -> {after} KiB"
  );
  assert!(
    after < before + 48 * MIB_IN_KIB,
    "RSS {before} -> {after} KiB after {sent} bytes of pings"
  );
  kiln.assert_alive();
}

#[tokio::test]
async fn a_worker_sending_more_than_its_client_reads_loses_the_connection() {
  let kiln = start();
  let mut ws = WsClient::connect(kiln.addr, "/flood?mib=200").await;
  // The worker sends 200 MiB at once; the client reads none of it.
  ws.send_text("go").await;
  let out = kiln.wait_for_output("flood error:");
  assert!(
    out.contains(
      "flood error: Uncaught Error: WebSocket send queue over 128 MiB: the other side is not reading what is sent, so its connection was dropped"
    ),
    "{out}"
  );
  assert!(
    ws.wait_until_closed(Duration::from_secs(10)).await,
    "the connection was not dropped"
  );
  // Other connections are served as before.
  let mut other = WsClient::connect(kiln.addr, "/echo").await;
  other.send_text("still here").await;
  let echo = other.read_frame().await.expect("an echo");
  assert_eq!(echo.text(), "still here");
  kiln.assert_alive();
}

#[tokio::test]
async fn pair_ends_never_accepted_are_freed_with_what_was_sent_to_them() {
  let kiln = start();
  for _ in 0..20 {
    send(kiln.addr, "GET", "/pair?kib=256", &[], Default::default()).await;
  }
  let (before, _) = kiln.memory_kib();
  // 1,200 requests each leave 256 KiB (300 MiB in all) in an end that was
  // never accepted nor returned, and answer without a WebSocket.
  for _ in 0..1200 {
    let reply = send(kiln.addr, "GET", "/pair?kib=256", &[], Default::default()).await;
    assert_eq!(reply.text(), "pair dropped", "{}", kiln.output());
  }
  let (after, _) = kiln.memory_kib();
  assert!(
    after < before + 64 * MIB_IN_KIB,
    "RSS {before} -> {after} KiB after 300 MiB sent into pair ends nobody can read"
  );
  kiln.assert_alive();
}

#[tokio::test]
async fn a_client_that_ends_its_side_after_its_close_still_gets_the_reply() {
  // kiln watches a connection after its Close only for the client leaving
  // (so that it is not kept for good); a client that merely ends its
  // sending side still gets the worker's answer.
  let kiln = start();
  let mut ws = WsClient::connect(kiln.addr, "/echo").await;
  ws.send_close(Some(1000), "done").await;
  ws.end_sending().await;
  let frame = ws.read_frame().await.expect("the worker's Close");
  assert_eq!(frame.opcode, CLOSE);
  assert_eq!(frame.close(), (Some(1000), "done".to_string()));
  kiln.assert_alive();
}

/// Opens `count` connections, `concurrency` at a time: each sends a message,
/// reads its echo and drops its TCP connection without a Close frame.
async fn open_and_drop(kiln: &Kiln, count: usize, concurrency: usize) {
  let addr = kiln.addr;
  let mut tasks = tokio::task::JoinSet::new();
  for i in 0..count {
    if tasks.len() >= concurrency {
      tasks.join_next().await.unwrap().unwrap();
    }
    tasks.spawn(async move {
      let mut ws = WsClient::connect(addr, "/echo").await;
      let text = format!("message {i}");
      ws.send_text(&text).await;
      let echo = ws.read_frame().await.expect("an echo");
      assert_eq!(echo.text(), text);
      ws.drop_connection().await;
    });
  }
  while let Some(done) = tasks.join_next().await {
    done.unwrap();
  }
}

/// kiln's open file descriptors.
fn open_fds(kiln: &Kiln) -> usize {
  std::fs::read_dir(format!("/proc/{}/fd", kiln.pid()))
    .map(|dir| dir.count())
    .unwrap_or(0)
}

#[tokio::test]
async fn connections_dropped_without_a_close_leave_nothing_behind() {
  let kiln = start();
  let fds_before = open_fds(&kiln);
  // A first round brings the allocator and the maps to their working size.
  open_and_drop(&kiln, 10_000, 100).await;
  let settled = |kiln: &Kiln| {
    // Each connection ends once kiln has read its end: wait for that.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while open_fds(kiln) > fds_before + 5 && std::time::Instant::now() < deadline {
      std::thread::sleep(Duration::from_millis(50));
    }
    // Freed memory goes back to the system a second after every 1,024
    // ended connections: both measurements are taken after that.
    std::thread::sleep(Duration::from_millis(1500));
    open_fds(kiln)
  };
  let fds = settled(&kiln);
  assert!(
    fds <= fds_before + 5,
    "{fds} descriptors open after 10,000 dropped connections, {fds_before} before"
  );
  let (first, _) = kiln.memory_kib();
  // A second round of as many must not add to what stays.
  open_and_drop(&kiln, 10_000, 100).await;
  let fds = settled(&kiln);
  let (second, _) = kiln.memory_kib();
  assert!(fds <= fds_before + 5, "{fds} descriptors open");
  assert!(
    second < first + 8 * MIB_IN_KIB,
    "RSS {first} KiB after 10,000 dropped connections, {second} KiB after 10,000 more"
  );
  kiln.assert_alive();
}
