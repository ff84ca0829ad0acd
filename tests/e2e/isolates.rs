//! `kiln dev --isolates N`: a worker's requests are served by N isolates on
//! N threads at once, each connection staying with the isolate that
//! accepted it, while a Durable Object keeps one live instance that every
//! isolate's calls reach.

use std::time::{Duration, Instant};

use kiln_tests::workerd::TempDir;
use kiln_tests::{crash_lines, run_to_exit, write_files, Kiln};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WORKER: &str = r#"
// Made once per isolate: which isolate answered.
const isolate = crypto.randomUUID();

export class Counter {
  constructor() {
    this.instance = crypto.randomUUID();
    this.count = 0;
  }
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/ran") {
      // A scheduled event: count it, and whether it ran in this object's
      // isolate (the first).
      this.runs = (this.runs ?? 0) + 1;
      this.own = (this.own ?? 0) + (url.searchParams.get("isolate") === isolate ? 1 : 0);
    }
    if (url.pathname === "/ran" || url.pathname === "/runs") {
      return Response.json({ runs: this.runs ?? 0, own: this.own ?? 0 });
    }
    this.count += 1;
    return Response.json({ count: this.count, instance: this.instance });
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/spin") {
      // Holds this isolate's thread: nothing else runs on it meanwhile.
      const end = Date.now() + 1500;
      while (Date.now() < end) {}
    } else if (url.pathname === "/runs") {
      const stub = env.COUNTER.get(env.COUNTER.idFromName("one"));
      // Read whole, so that the answer has a length from either isolate.
      return new Response(await (await stub.fetch("http://object/runs")).text());
    } else if (url.pathname === "/count") {
      const stub = env.COUNTER.get(env.COUNTER.idFromName("one"));
      const answer = await (await stub.fetch("http://object/")).json();
      return Response.json({ isolate, ...answer });
    }
    return new Response(isolate);
  },
  async scheduled(controller, env) {
    const stub = env.COUNTER.get(env.COUNTER.idFromName("one"));
    await stub.fetch(`http://object/ran?isolate=${isolate}`);
  },
};
"#;

const CONFIG: &str = r#"
name = "isolates"
main = "index.js"
compatibility_date = "2026-11-17"

[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"

[[migrations]]
tag = "v1"
new_classes = ["Counter"]
"#;

fn project() -> TempDir {
  let dir = TempDir::new("isolates");
  write_files(
    dir.path(),
    &[("wrangler.toml", CONFIG), ("index.js", WORKER)],
  );
  dir
}

/// One keep-alive HTTP/1.1 connection: each request is answered on it,
/// so by the isolate that accepted it.
struct Connection(TcpStream);

impl Connection {
  async fn open(kiln: &Kiln) -> Connection {
    Connection(TcpStream::connect(kiln.addr).await.expect("connect"))
  }

  /// The body of `GET path`'s 200 answer, within 10 s.
  async fn get(&mut self, path: &str) -> String {
    tokio::time::timeout(Duration::from_secs(10), self.get_unbounded(path))
      .await
      .unwrap_or_else(|_| panic!("GET {path}: no answer within 10 s"))
  }

  async fn get_unbounded(&mut self, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: kiln\r\n\r\n");
    self.0.write_all(request.as_bytes()).await.expect("write");
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
      let n = self.0.read(&mut chunk).await.expect("read");
      assert!(
        n > 0,
        "the connection closed before the answer to GET {path}"
      );
      buffer.extend_from_slice(&chunk[..n]);
      let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
        continue;
      };
      let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
      assert!(head.starts_with("http/1.1 200"), "GET {path}: {head}");
      let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().expect("a content-length"))
        .unwrap_or_else(|| panic!("GET {path}: no content-length in {head}"));
      if buffer.len() >= end + 4 + length {
        return String::from_utf8_lossy(&buffer[end + 4..end + 4 + length]).into_owned();
      }
    }
  }
}

#[tokio::test]
async fn two_isolates_serve_at_once_and_share_one_durable_object() {
  let dir = project();
  let kiln = Kiln::start_in(dir.path(), &["--isolates", "2", "--quiet"]);

  // The first connection's isolate is then held busy for 1.5 s.
  let mut first = Connection::open(&kiln).await;
  let busy = first.get("/").await;
  let spinning = tokio::spawn(async move {
    let answer = first.get("/spin").await;
    (first, answer, Instant::now())
  });

  // Meanwhile new connections are answered by the other isolate. Each
  // isolate has a socket of its own on the port and the kernel picks one
  // per connection, so of 20 new connections some (all but once in 2^19
  // runs) go to the free isolate and are answered before the spin ends; a
  // single isolate answers all of them only after it.
  let mut asking = tokio::task::JoinSet::new();
  for _ in 0..20 {
    let mut connection = Connection::open(&kiln).await;
    asking.spawn(async move {
      let answer = connection.get("/").await;
      (connection, answer, Instant::now())
    });
  }
  let mut other_isolate = None;
  while let Some(done) = asking.join_next().await {
    let (connection, answer, at) = done.expect("a request");
    if answer != busy && other_isolate.is_none() {
      other_isolate = Some((connection, answer, at));
    }
  }
  let (mut second, other, answered) =
    other_isolate.unwrap_or_else(|| panic!("no other isolate answered: {}", kiln.output()));
  let (mut first, spun, spun_at) = spinning.await.expect("the spinning request");
  assert_eq!(
    spun, busy,
    "a connection stays with the isolate that accepted it"
  );
  assert!(
    answered < spun_at,
    "the other isolate answered only after the busy one was done"
  );

  // Calls from both isolates reach one instance of the object, in order.
  let mut instances = std::collections::HashSet::new();
  for i in 0..4 {
    let connection = if i % 2 == 0 { &mut first } else { &mut second };
    let answer: serde_json::Value =
      serde_json::from_str(&connection.get("/count").await).expect("JSON");
    let expected_isolate = if i % 2 == 0 { &busy } else { &other };
    assert_eq!(answer["isolate"], expected_isolate.as_str(), "{answer}");
    assert_eq!(answer["count"], i + 1, "{answer}");
    instances.insert(
      answer["instance"]
        .as_str()
        .expect("an instance")
        .to_string(),
    );
  }
  assert_eq!(
    instances.len(),
    1,
    "more than one instance of the object: {instances:?}"
  );

  kiln.assert_alive();
  assert!(crash_lines(&kiln.output()).is_empty(), "{}", kiln.output());
}

#[tokio::test]
async fn every_isolate_drains_on_sigterm() {
  let dir = project();
  let kiln = Kiln::start_in(dir.path(), &["--isolates", "3"]);
  let mut connection = Connection::open(&kiln).await;
  connection.get("/").await;
  // The keep-alive connection stays open: its isolate closes it.
  let status = std::process::Command::new("kill")
    .args(["-TERM", &kiln.pid().to_string()])
    .status()
    .expect("run kill");
  assert!(status.success());
  assert_eq!(
    kiln.wait_for_exit(Duration::from_secs(15)),
    Some(0),
    "{}",
    kiln.output()
  );
  // Three reports were waited for, and all were clean.
  let output = kiln.output();
  assert!(output.contains("kiln: shut down cleanly"), "{output}");
  assert!(!output.contains("did not answer the shutdown"), "{output}");
}

#[test]
fn in_memory_state_is_refused_with_several_isolates() {
  let dir = project();
  let exit = run_to_exit(
    dir.path(),
    &["dev", "--isolates", "2", "--no-persist", "--port", "0"],
  );
  assert_eq!(exit.code, Some(1), "{}{}", exit.stdout, exit.stderr);
  assert!(
    exit
      .stderr
      .contains("--isolates above 1 keeps local state on disk"),
    "{}",
    exit.stderr
  );
  let exit = run_to_exit(dir.path(), &["dev", "--isolates", "0", "--port", "0"]);
  assert_eq!(exit.code, Some(2), "{}", exit.stderr);
  assert!(exit.stderr.contains("--isolates"), "{}", exit.stderr);
}

#[tokio::test]
async fn cdn_cgi_requests_go_to_the_first_isolate() {
  let dir = project();
  let kiln = Kiln::start_in(dir.path(), &["--isolates", "2", "--quiet"]);

  // New connections are spread over both isolates (all 20 on one: once in
  // 2^19 runs)...
  let mut isolates = std::collections::HashSet::new();
  for _ in 0..20 {
    isolates.insert(Connection::open(&kiln).await.get("/").await);
  }
  assert_eq!(isolates.len(), 2, "20 connections, one isolate");

  // ...but /cdn-cgi/ requests, as wrangler dev's scheduled trigger, all
  // reach the first isolate, the one holding the Durable Object.
  for _ in 0..20 {
    Connection::open(&kiln)
      .await
      .get("/cdn-cgi/handler/scheduled")
      .await;
  }
  let deadline = Instant::now() + Duration::from_secs(10);
  let runs = loop {
    let answer = Connection::open(&kiln).await.get("/runs").await;
    let runs: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
    if runs["runs"] == 20 || Instant::now() > deadline {
      break runs;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
  };
  assert_eq!(
    runs,
    serde_json::json!({ "runs": 20, "own": 20 }),
    "{}",
    kiln.output()
  );
  // Asked from either isolate, the object answers the same.
  for _ in 0..10 {
    let answer = Connection::open(&kiln).await.get("/runs").await;
    assert_eq!(
      serde_json::from_str::<serde_json::Value>(&answer).expect("JSON"),
      runs
    );
  }
  kiln.assert_alive();
  assert!(crash_lines(&kiln.output()).is_empty(), "{}", kiln.output());
}
