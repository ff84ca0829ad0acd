//! Start-up: no request reaches a worker before every worker of the process
//! is registered, so a service binding or a route never finds its target
//! missing just because that worker was still starting.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kiln_tests::{kiln_bin, workers_dir};

/// A port that was free a moment ago.
fn free_port() -> u16 {
  TcpListener::bind("127.0.0.1:0")
    .and_then(|l| l.local_addr())
    .map(|a| a.port())
    .expect("a free port")
}

/// Sends one raw HTTP/1.1 request as soon as the port accepts a connection
/// (retrying refused connects until `deadline`) and returns the whole reply.
fn request_as_soon_as_possible(addr: SocketAddr, host: &str, deadline: Instant) -> String {
  let mut stream = loop {
    match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
      Ok(stream) => break stream,
      Err(e) => {
        assert!(Instant::now() < deadline, "{addr} never accepted: {e}");
        std::thread::sleep(Duration::from_millis(5));
      }
    }
  };
  stream
    .set_read_timeout(Some(Duration::from_secs(20)))
    .unwrap();
  write!(
    stream,
    "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
  )
  .unwrap();
  let mut reply = String::new();
  stream
    .read_to_string(&mut reply)
    .expect("a reply within 20 s");
  reply
}

/// Starts kiln with "front" (primary) and "slow", and sends one request for
/// `host` to the primary port while "slow" is still running its top level.
fn reply_during_start_up(host: &str) -> String {
  let port = free_port();
  let mut kiln = Command::new(kiln_bin())
    .args(["dev", "-c", "front.toml", "-c", "slow.toml", "--port"])
    .arg(port.to_string())
    .current_dir(workers_dir().join("startup-race"))
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("spawn kiln");
  let addr: SocketAddr = ([127, 0, 0, 1], port).into();
  let reply = request_as_soon_as_possible(addr, host, Instant::now() + Duration::from_secs(30));
  let _ = kiln.kill();
  let _ = kiln.wait();
  reply
}

#[test]
fn a_service_binding_called_during_start_up_finds_its_worker() {
  let reply = reply_during_start_up("front.test");
  assert!(
    reply.starts_with("HTTP/1.1 200") && reply.ends_with("front got 200: slow is up"),
    "{reply}"
  );
}

#[test]
fn a_route_used_during_start_up_finds_its_worker() {
  // The primary worker's port, but a URL that "slow"'s route claims.
  let reply = reply_during_start_up("slow.test");
  assert!(
    reply.starts_with("HTTP/1.1 200") && reply.ends_with("slow is up"),
    "{reply}"
  );
}
