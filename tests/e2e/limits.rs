//! What a listener takes from a client before it refuses (kiln_host::server
//! `HttpLimits`): headers that take too long or are too big, bodies over
//! the limit, more connections than a listener keeps. Each refusal leaves
//! the process serving.

use std::time::{Duration, Instant};

use kiln_tests::{send, workers_dir, Kiln};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection (or `limit` passes):
/// answers what arrived and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
  let mut got = Vec::new();
  let mut buf = [0u8; 4096];
  let deadline = tokio::time::Instant::now() + limit;
  loop {
    match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
      Ok(Ok(0)) | Ok(Err(_)) => return (got, true),
      Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
      Err(_) => return (got, false),
    }
  }
}

async fn still_serves(kiln: &Kiln) {
  let reply = send(kiln.addr, "GET", "/", &[], Default::default()).await;
  assert_eq!(
    (reply.status, reply.text()),
    (200, "ok".to_string()),
    "{}",
    kiln.output()
  );
  kiln.assert_alive();
}

#[tokio::test]
async fn headers_that_take_too_long_end_the_connection() {
  let kiln = Kiln::start_in(
    &workers_dir(),
    &["limits/worker.js", "--header-timeout", "300ms"],
  );
  let mut slow = TcpStream::connect(kiln.addr).await.unwrap();
  slow
    .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n")
    .await
    .unwrap();
  let started = Instant::now();
  let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
  assert!(
    closed,
    "a client that never finished its headers was kept for 5 s"
  );
  assert!(
    started.elapsed() >= Duration::from_millis(250),
    "closed after {:?}",
    started.elapsed()
  );
  still_serves(&kiln).await;
}

#[tokio::test]
async fn headers_over_the_limit_get_431() {
  let kiln = Kiln::start_in(&workers_dir(), &["limits/worker.js"]);
  let mut stream = TcpStream::connect(kiln.addr).await.unwrap();
  let big = "x".repeat(200 * 1024);
  let request = format!("GET / HTTP/1.1\r\nhost: x\r\nx-big: {big}\r\n\r\n");
  // The server may close before it has read everything.
  let _ = stream.write_all(request.as_bytes()).await;
  let (got, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
  let head = String::from_utf8_lossy(&got);
  assert!(head.starts_with("HTTP/1.1 431"), "{head}");
  still_serves(&kiln).await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
  let kiln = Kiln::start_in(&workers_dir(), &["limits/worker.js", "--max-body", "1000"]);
  // A declared length over the limit: 413 before the worker sees it.
  let mut stream = TcpStream::connect(kiln.addr).await.unwrap();
  stream
    .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 200000000\r\n\r\n")
    .await
    .unwrap();
  let (got, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
  assert!(
    String::from_utf8_lossy(&got).starts_with("HTTP/1.1 413"),
    "{}",
    String::from_utf8_lossy(&got)
  );

  // A chunked body that passes the limit fails for its reader.
  let mut stream = TcpStream::connect(kiln.addr).await.unwrap();
  let chunk = "y".repeat(4000);
  let request = format!(
    "POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
    chunk.len()
  );
  let _ = stream.write_all(request.as_bytes()).await;
  let (got, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
  let text = String::from_utf8_lossy(&got);
  assert!(text.starts_with("HTTP/1.1 400"), "{text}");
  assert!(text.contains("the body failed"), "{text}");

  // Within the limit, the body arrives whole.
  let reply = send(
    kiln.addr,
    "POST",
    "/",
    &[],
    "z".repeat(900).into_bytes().into(),
  )
  .await;
  assert_eq!(reply.text(), "read 900 bytes");
  still_serves(&kiln).await;
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once() {
  let kiln = Kiln::start_in(
    &workers_dir(),
    &["limits/worker.js", "--max-connections", "2"],
  );
  let first = TcpStream::connect(kiln.addr).await.unwrap();
  let _second = TcpStream::connect(kiln.addr).await.unwrap();
  // Both are accepted before the third arrives.
  tokio::time::sleep(Duration::from_millis(200)).await;
  let mut third = TcpStream::connect(kiln.addr).await.unwrap();
  let _ = third.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
  let (got, closed) = read_until_closed(&mut third, Duration::from_secs(5)).await;
  assert!(
    closed && got.is_empty(),
    "the third connection was served: {:?}",
    String::from_utf8_lossy(&got)
  );
  // The log line is written before the stream is dropped, but it reaches
  // this process through a pipe read on another thread.
  kiln.wait_for_output("connections are open, the most one listener takes");
  // Once one ends, a new one is served.
  drop(first);
  let deadline = Instant::now() + Duration::from_secs(5);
  loop {
    let mut stream = TcpStream::connect(kiln.addr).await.unwrap();
    let _ = stream
      .write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
      .await;
    let (got, _) = read_until_closed(&mut stream, Duration::from_secs(2)).await;
    if String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200") {
      break;
    }
    assert!(
      Instant::now() < deadline,
      "no connection was served again after one ended"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
  }
}
