//! Differential tests: the same worker (tests/workers/websocket/worker.js)
//! and the same client steps on workerd (npm `workerd`, installed by
//! `make test` into tests/reference) and on kiln, for compatibility dates on
//! both sides of 2026-04-07, and tests/workers/outbound/worker.js for
//! outbound sockets against a backend run by the test. The transcripts
//! (every frame the client got, every event the worker logged, with
//! readyState, codes, reasons, wasClean, error names and messages) must be
//! equal; what is known to differ elsewhere is in docs/websocket-deviations.md.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiln_tests::ws::{WsClient, BINARY, CONTINUATION, PING, TEXT};
use kiln_tests::{send, workers_dir, Kiln};
use serde_json::Value;

/// workerd serving the test worker at one compatibility date.
struct Workerd {
  child: Child,
  addr: SocketAddr,
  _dir: PathBuf,
}

impl Workerd {
  fn start(date: &str) -> Workerd {
    Self::start_worker(date, "websocket/worker.js")
  }

  fn start_worker(date: &str, worker: &str) -> Workerd {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR"))
      .join("reference/node_modules/@cloudflare/workerd-linux-64/bin/workerd");
    assert!(
      bin.exists(),
      "{} is missing: `make test` installs it (cd tests/reference && npm install)",
      bin.display()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
      .unwrap()
      .local_addr()
      .unwrap()
      .port();
    let dir =
      std::env::temp_dir().join(format!("kiln-workerd-{}-{date}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(workers_dir().join(worker), dir.join("worker.js")).unwrap();
    std::fs::write(
      dir.join("config.capnp"),
      format!(
        "using Workerd = import \"/workerd/workerd.capnp\";\n\
         const config :Workerd.Config = (\n\
           services = [(name = \"main\", worker = .w),\n\
             (name = \"net\", network = (allow = [\"public\", \"private\", \"local\"]))],\n\
           sockets = [(name = \"http\", address = \"127.0.0.1:{port}\", http = (), service = \"main\")],\n\
         );\n\
         const w :Workerd.Worker = (\n\
           modules = [(name = \"worker.js\", esModule = embed \"worker.js\")],\n\
           compatibilityDate = \"{date}\",\n\
           globalOutbound = \"net\",\n\
         );\n"
      ),
    )
    .unwrap();
    // Its output goes to a file, read only to explain a failed start.
    let log = dir.join("workerd.log");
    let log_file = std::fs::File::create(&log).unwrap();
    let mut child = Command::new(bin)
      .args(["serve", "config.capnp"])
      .current_dir(&dir)
      .stdin(Stdio::null())
      .stdout(log_file.try_clone().unwrap())
      .stderr(log_file)
      .spawn()
      .expect("start workerd");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
      let exited = child.try_wait().expect("wait for workerd");
      if exited.is_none() && std::net::TcpStream::connect(addr).is_ok() {
        return Workerd {
          child,
          addr,
          _dir: dir,
        };
      }
      if exited.is_some() || Instant::now() >= deadline {
        let _ = child.kill();
        let status = child.wait();
        panic!(
          "workerd did not start on {addr} ({status:?}); it printed:\n{}",
          std::fs::read_to_string(&log).unwrap_or_default()
        );
      }
      std::thread::sleep(Duration::from_millis(20));
    }
  }
}

impl Drop for Workerd {
  fn drop(&mut self) {
    // workerd does not always stop on SIGTERM while a socket is half-open.
    let _ = self.child.kill();
    let _ = self.child.wait();
  }
}

/// What one run of a scenario saw.
type Transcript = Vec<String>;

async fn frames(c: &mut WsClient, out: &mut Transcript, max: usize, wait_ms: u64) {
  for _ in 0..max {
    match c.read_frame_within(Duration::from_millis(wait_ms)).await {
      Err(()) => {
        out.push("client: nothing more".into());
        return;
      }
      Ok(None) => {
        out.push("client: connection ended".into());
        return;
      }
      Ok(Some(f)) => out.push(match f.opcode {
        0x8 => {
          let (code, reason) = f.close();
          format!("client got Close {code:?} {reason:?}")
        }
        0x1 => format!("client got text {:?}", f.text()),
        op => format!("client got opcode {op} {:?}", f.payload),
      }),
    }
  }
}

async fn worker_log(addr: SocketAddr, id: &str, out: &mut Transcript) {
  tokio::time::sleep(Duration::from_millis(150)).await;
  let reply = send(
    addr,
    "GET",
    &format!("/log?id={id}"),
    &[],
    Default::default(),
  )
  .await;
  for entry in reply.json().as_array().cloned().unwrap_or_default() {
    out.push(format!("worker: {entry}"));
  }
}

async fn get(addr: SocketAddr, path: &str, out: &mut Transcript) {
  let reply = send(addr, "GET", path, &[], Default::default()).await;
  out.push(format!("GET {path} -> {}", reply.status));
  if let Ok(json) = serde_json::from_slice::<Value>(&reply.body) {
    out.push(format!("body {json}"));
  }
}

/// One scenario: a name, and the client's steps against a server.
async fn run(name: &str, addr: SocketAddr, tag: &str) -> Transcript {
  let id = format!("{name}-{tag}");
  let mut out = Vec::new();
  let ws = |query: &str| format!("/ws?id={id}{query}");
  match name {
    "handshake" => {
      let _c = WsClient::connect(addr, &ws("")).await;
      worker_log(addr, &id, &mut out).await;
    }
    "client-close" | "client-close-late-close" | "half-open-forced" | "auto-reply-forced" => {
      let query = match name {
        "client-close" => "",
        "client-close-late-close" => "&onclose=close:1000:done",
        "half-open-forced" => "&accept=halfopen&onclose=close:4000:later",
        _ => "&accept=autoreply",
      };
      let mut c = WsClient::connect(addr, &ws(query)).await;
      c.send_close(Some(1001), "going away").await;
      frames(&mut c, &mut out, 3, 500).await;
      worker_log(addr, &id, &mut out).await;
    }
    "client-close-no-code" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      c.send_close(None, "").await;
      frames(&mut c, &mut out, 2, 500).await;
      worker_log(addr, &id, &mut out).await;
    }
    "app-close" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      c.send_text("cmd:close 1000 app done").await;
      frames(&mut c, &mut out, 1, 2000).await;
      worker_log(addr, &id, &mut out).await;
      c.send_close(Some(1000), "ack").await;
      frames(&mut c, &mut out, 1, 500).await;
      worker_log(addr, &id, &mut out).await;
    }
    "close-no-args" | "send-after-close" | "send-values" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      c.send_text(&format!("cmd:{name}")).await;
      frames(&mut c, &mut out, 6, 500).await;
      worker_log(addr, &id, &mut out).await;
    }
    "vanish" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      c.send_text("still here").await;
      frames(&mut c, &mut out, 1, 2000).await;
      c.drop_connection().await;
      tokio::time::sleep(Duration::from_millis(200)).await;
      worker_log(addr, &id, &mut out).await;
    }
    "ping" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      c.send_frame(true, PING, b"abc").await;
      c.send_text("after ping").await;
      frames(&mut c, &mut out, 2, 2000).await;
      worker_log(addr, &id, &mut out).await;
    }
    "fragments" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      c.send_frame(false, TEXT, b"hel").await;
      c.send_frame(false, CONTINUATION, b"lo ").await;
      c.send_frame(true, CONTINUATION, b"world").await;
      c.send_frame(false, BINARY, &[1, 2]).await;
      c.send_frame(true, CONTINUATION, &[3]).await;
      frames(&mut c, &mut out, 2, 2000).await;
    }
    "binary-type" => {
      let mut c = WsClient::connect(addr, &ws("&report=1")).await;
      c.send_text("hi").await;
      c.send_binary(&[1, 2, 3]).await;
      c.send_text("cmd:binaryType arraybuffer").await;
      c.send_binary(&[1, 2, 3, 4]).await;
      c.send_text("cmd:binaryType BLOB").await;
      frames(&mut c, &mut out, 5, 2000).await;
    }
    "message-too-big" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      // The server may drop the connection before the whole message is in.
      let _ = c
        .try_send_frame(true, BINARY, &vec![7u8; 33 * 1024 * 1024])
        .await;
      frames(&mut c, &mut out, 1, 5000).await;
      worker_log(addr, &id, &mut out).await;
    }
    "rules" => get(addr, "/rules", &mut out).await,
    "local-pair" => get(addr, "/local-pair", &mut out).await,
    "local-pair-manual" => get(addr, "/local-pair?mode=manual", &mut out).await,
    "listener-rules" => get(addr, "/listener-rules", &mut out).await,
    "websocket-to-plain-request" => {
      let reply = send(addr, "GET", &ws(""), &[], Default::default()).await;
      out.push(format!("status {}", reply.status));
    }
    "accepted-then-returned" | "returned-twice" => {
      let path = format!("/{name}");
      for _ in 0..2 {
        let (mut c, status) = WsClient::try_connect(addr, &path).await;
        out.push(status.split_whitespace().nth(1).unwrap_or("").to_string());
        if status.contains(" 101") {
          frames(&mut c, &mut out, 1, 1000).await;
        }
      }
    }
    "text-echo" | "binary-echo" | "order" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      match name {
        "text-echo" => c.send_text("h\u{e9}llo").await,
        "binary-echo" => c.send_binary(&[0, 1, 254, 255]).await,
        _ => {
          for i in 0..100 {
            c.send_text(&format!("m{i}")).await;
          }
        }
      }
      frames(
        &mut c,
        &mut out,
        if name == "order" { 100 } else { 1 },
        2000,
      )
      .await;
      c.send_close(Some(1000), "done").await;
      frames(&mut c, &mut out, 2, 1000).await;
    }
    other => panic!("no scenario {other}"),
  }
  out
}

/// Outbound scenarios (section 4): tests/workers/outbound/worker.js talking
/// to a backend run by the test.
async fn run_outbound(name: &str, addr: SocketAddr, backend: SocketAddr) -> Transcript {
  let mut out = Vec::new();
  let path = match name {
    "new-websocket" => format!("/connect?url=ws://{backend}/echo&protocols=chat,superchat"),
    "new-websocket-404" => format!("/connect?url=ws://{backend}/404"),
    "new-websocket-close-while-connecting" => {
      format!("/close-while-connecting?url=ws://{backend}/echo")
    }
    "fetch-upgrade" => format!("/fetch?url=http://{backend}/echo"),
    "fetch-upgrade-404" => format!("/fetch?url=http://{backend}/404"),
    "fetch-upgrade-aborted" => format!("/fetch-aborted?url=http://{backend}/echo"),
    "constructor-checks" => "/constructor".to_string(),
    other => panic!("no scenario {other}"),
  };
  get(addr, &path, &mut out).await;
  out
}

const OUTBOUND: [&str; 7] = [
  "new-websocket",
  "new-websocket-404",
  "new-websocket-close-while-connecting",
  "fetch-upgrade",
  "fetch-upgrade-404",
  "fetch-upgrade-aborted",
  "constructor-checks",
];

const SCENARIOS: [&str; 25] = [
  "text-echo",
  "binary-echo",
  "order",
  "returned-twice",
  "handshake",
  "client-close",
  "client-close-late-close",
  "half-open-forced",
  "auto-reply-forced",
  "client-close-no-code",
  "app-close",
  "close-no-args",
  "send-after-close",
  "send-values",
  "vanish",
  "ping",
  "fragments",
  "binary-type",
  "message-too-big",
  "rules",
  "local-pair",
  "local-pair-manual",
  "listener-rules",
  "websocket-to-plain-request",
  "accepted-then-returned",
];

#[tokio::test]
async fn kiln_and_workerd_agree() {
  let kiln = Kiln::start_workers(
    &workers_dir(),
    &["-c", "websocket/new.toml", "-c", "websocket/old.toml"],
    2,
  );
  let mut report = Vec::new();
  let mut runs = 0;
  for (date, kiln_addr) in [("2026-05-01", kiln.addrs[0]), ("2026-04-01", kiln.addrs[1])] {
    let workerd = Workerd::start(date);
    for name in SCENARIOS {
      runs += 1;
      let theirs = run(name, workerd.addr, &format!("workerd-{date}")).await;
      let ours = run(name, kiln_addr, &format!("kiln-{date}")).await;
      if theirs != ours {
        report.push(format!(
          "== {name} ({date})\n-- workerd:\n{}\n-- kiln:\n{}",
          theirs.join("\n"),
          ours.join("\n")
        ));
      }
    }
  }
  // Section 4: outbound sockets, against a backend both runtimes reach.
  let backend = kiln_tests::backend::Backend::start().await;
  for (date, config) in [("2026-05-01", "outbound")] {
    let kiln = Kiln::start(&[config]);
    let workerd = Workerd::start_worker(date, "outbound/worker.js");
    for name in OUTBOUND {
      runs += 1;
      let theirs = run_outbound(name, workerd.addr, backend.addr).await;
      let ours = run_outbound(name, kiln.addr, backend.addr).await;
      if theirs != ours {
        report.push(format!(
          "== {name} (outbound, {date})\n-- workerd:\n{}\n-- kiln:\n{}",
          theirs.join("\n"),
          ours.join("\n")
        ));
      }
    }
  }
  println!(
    "{} scenarios, {runs} runs, {} differ",
    SCENARIOS.len() + OUTBOUND.len(),
    report.len()
  );
  assert!(report.is_empty(), "{}", report.join("\n\n"));
}
