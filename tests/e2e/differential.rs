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

use kiln_tests::ws::{RawFrame, WsClient, BINARY, CONTINUATION, PING, PONG, TEXT};
use kiln_tests::{send, workers_dir, Kiln};
use serde_json::{json, Value};

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

/// How long a frame or a log entry that a scenario expects may take to
/// come: only a lost one reaches it.
const EXPECTED: Duration = Duration::from_secs(10);

/// How long the client listens to see that nothing (more) comes. Used only
/// where the absence of a frame is what a scenario observes (a Close that is
/// not answered before 2026-04-07, a send() after close()): absence can only
/// be seen over a bounded quiet window.
const QUIET: Duration = Duration::from_millis(500);

/// From this date on (web_socket_auto_reply_to_close) a received Close is
/// answered at once; before, the worker's end is left half-open.
const AUTO_REPLY: &str = "2026-04-07";

const ENDED: &str = "client: connection ended";
const NOTHING_MORE: &str = "client: nothing more";

/// What one run of a scenario saw, and what it had to see.
#[derive(Debug, Default)]
struct Run {
  transcript: Vec<String>,
  /// The events the scenario exists for, in the order they must appear:
  /// equal transcripts prove nothing if both are empty or cut short.
  wants: Vec<Want>,
}

#[derive(Debug, Clone)]
enum Want {
  /// This exact line.
  Line(String),
  /// A `worker: {...}` line whose entry contains this (see `contains`).
  Worker(Value),
  /// A `body {...}` line whose JSON contains this.
  Body(Value),
}

impl Want {
  fn met_by(&self, line: &str) -> bool {
    let json = |prefix: &str| {
      line
        .strip_prefix(prefix)
        .and_then(|json| serde_json::from_str::<Value>(json).ok())
    };
    match self {
      Want::Line(want) => line == want,
      Want::Worker(want) => json("worker: ").is_some_and(|have| contains(&have, want)),
      Want::Body(want) => json("body ").is_some_and(|have| contains(&have, want)),
    }
  }
}

/// Whether `have` has everything `want` has: an object's keys (others may
/// be there too), an array's elements in order (others may be between),
/// anything else equal.
fn contains(have: &Value, want: &Value) -> bool {
  match (have, want) {
    (Value::Object(have), Value::Object(want)) => want
      .iter()
      .all(|(key, want)| have.get(key).is_some_and(|have| contains(have, want))),
    (Value::Array(have), Value::Array(want)) => {
      let mut have = have.iter();
      want
        .iter()
        .all(|want| have.any(|have| contains(have, want)))
    }
    _ => have == want,
  }
}

/// `Err` with the first of `wants` that `lines` lack, in order.
fn check(lines: &[String], wants: &[Want]) -> Result<(), String> {
  let mut rest = lines.iter();
  for want in wants {
    if !rest.any(|line| want.met_by(line)) {
      return Err(format!("{want:?}"));
    }
  }
  Ok(())
}

fn describe(f: &RawFrame) -> String {
  match f.opcode {
    0x8 => {
      let (code, reason) = f.close();
      close(code, &reason)
    }
    0x1 => text(&f.text()),
    op => opcode(op, &f.payload),
  }
}

fn text(text: &str) -> String {
  format!("client got text {text:?}")
}

fn close(code: Option<u16>, reason: &str) -> String {
  format!("client got Close {code:?} {reason:?}")
}

fn opcode(op: u8, payload: &[u8]) -> String {
  format!("client got opcode {op} {payload:?}")
}

/// After the frames a step expects: stop, or listen for QUIET to see that
/// nothing more comes (only where that absence is the point).
#[derive(PartialEq)]
enum Then {
  Stop,
  Quiet,
}

impl Run {
  /// Reads the frames `expected` lists (`ENDED` for the end of the
  /// connection), each within EXPECTED, and records whatever came instead.
  async fn frames(&mut self, c: &mut WsClient, expected: Vec<String>, then: Then) {
    let count = expected.len();
    self.wants.extend(expected.into_iter().map(Want::Line));
    if then == Then::Quiet {
      self.wants.push(Want::Line(NOTHING_MORE.into()));
    }
    for _ in 0..count {
      match c.read_frame_within(EXPECTED).await {
        Err(()) => {
          self
            .transcript
            .push(format!("client: nothing within {EXPECTED:?}"));
          return;
        }
        Ok(None) => {
          self.transcript.push(ENDED.into());
          return;
        }
        Ok(Some(f)) => self.transcript.push(describe(&f)),
      }
    }
    if then == Then::Stop {
      return;
    }
    // A few frames at most: whatever comes is recorded, a flood is not.
    for _ in 0..8 {
      match c.read_frame_within(QUIET).await {
        Err(()) => {
          self.transcript.push(NOTHING_MORE.into());
          return;
        }
        Ok(None) => {
          self.transcript.push(ENDED.into());
          return;
        }
        Ok(Some(f)) => self.transcript.push(describe(&f)),
      }
    }
  }

  /// Records the worker's log once it has entries containing each of
  /// `until`, in order; or as it is after EXPECTED.
  async fn worker_log(&mut self, addr: SocketAddr, id: &str, until: &[Value]) {
    let until: Vec<Want> = until.iter().cloned().map(Want::Worker).collect();
    let deadline = Instant::now() + EXPECTED;
    let lines = loop {
      let reply = send(
        addr,
        "GET",
        &format!("/log?id={id}"),
        &[],
        Default::default(),
      )
      .await;
      let lines: Vec<String> = reply
        .json()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|entry| format!("worker: {entry}"))
        .collect();
      if check(&lines, &until).is_ok() || Instant::now() >= deadline {
        break lines;
      }
      tokio::time::sleep(Duration::from_millis(10)).await;
    };
    self.transcript.extend(lines);
    self.wants.extend(until);
  }

  /// A plain request: its status, and its JSON body if it has one.
  async fn get(&mut self, addr: SocketAddr, path: &str, body: Value) {
    let reply = send(addr, "GET", path, &[], Default::default()).await;
    let status = format!("GET {path} -> {}", reply.status);
    self.transcript.push(status);
    if let Ok(json) = serde_json::from_slice::<Value>(&reply.body) {
      self.transcript.push(format!("body {json}"));
    }
    self.wants.push(Want::Line(format!("GET {path} -> 200")));
    self.wants.push(Want::Body(body));
  }

  /// A line the client saw for itself (a status, say) that must be `want`.
  fn saw(&mut self, line: String, want: &str) {
    self.transcript.push(line);
    self.wants.push(Want::Line(want.into()));
  }

  fn check(&self) -> Result<(), String> {
    check(&self.transcript, &self.wants)
  }
}

/// One scenario: a name, and the client's steps against a server running
/// the worker at `date`.
async fn run(name: &str, date: &str, addr: SocketAddr, tag: &str) -> Run {
  let id = format!("{name}-{tag}");
  let mut r = Run::default();
  let ws = |query: &str| format!("/ws?id={id}{query}");
  let auto_reply = date >= AUTO_REPLY;
  let accepted = json!({"event": "accepted", "readyState": 1, "binaryType": "blob"});
  let too_large = "Message is too large: 34603008 > 33554432";
  match name {
    "handshake" => {
      let _c = WsClient::connect(addr, &ws("")).await;
      r.worker_log(addr, &id, &[accepted]).await;
    }
    "client-close" | "client-close-late-close" | "half-open-forced" | "auto-reply-forced" => {
      let (query, auto, reply) = match name {
        "client-close" => ("", auto_reply, None),
        "client-close-late-close" => ("&onclose=close:1000:done", auto_reply, Some((1000, "done"))),
        "half-open-forced" => (
          "&accept=halfopen&onclose=close:4000:later",
          false,
          Some((4000, "later")),
        ),
        _ => ("&accept=autoreply", true, None),
      };
      let mut c = WsClient::connect(addr, &ws(query)).await;
      c.send_close(Some(1001), "going away").await;
      match (auto, reply) {
        // The Close comes straight back; the handler can no longer send.
        (true, _) => {
          let back = vec![close(Some(1001), "going away"), ENDED.into()];
          r.frames(&mut c, back, Then::Stop).await;
        }
        // Half-open: the handler still sends, and its close() is the reply.
        (false, Some((code, reason))) => {
          let back = vec![
            text("from close handler"),
            close(Some(code), reason),
            ENDED.into(),
          ];
          r.frames(&mut c, back, Then::Stop).await;
        }
        // Half-open, and the worker never calls close(): no Close comes.
        (false, None) => {
          r.frames(&mut c, vec![text("from close handler")], Then::Quiet)
            .await;
        }
      }
      let event = json!({
        "event": "close", "code": 1001, "reason": "going away", "wasClean": true,
        "readyState": if auto { 3 } else { 2 },
      });
      r.worker_log(addr, &id, &[event]).await;
    }
    "client-close-no-code" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      c.send_close(None, "").await;
      if auto_reply {
        r.frames(&mut c, vec![close(None, ""), ENDED.into()], Then::Stop)
          .await;
      } else {
        r.frames(&mut c, vec![text("from close handler")], Then::Quiet)
          .await;
      }
      let event = json!({
        "event": "close", "code": 1005, "reason": "", "wasClean": true,
        "readyState": if auto_reply { 3 } else { 2 },
      });
      r.worker_log(addr, &id, &[event]).await;
    }
    "app-close" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      c.send_text("cmd:close 1000 app done").await;
      r.frames(&mut c, vec![close(Some(1000), "app done")], Then::Stop)
        .await;
      let called = json!({"event": "close-called", "result": "ok", "readyState": 2});
      r.worker_log(addr, &id, &[called]).await;
      c.send_close(Some(1000), "ack").await;
      r.frames(&mut c, vec![ENDED.into()], Then::Stop).await;
      let event = json!({
        "event": "close", "code": 1000, "reason": "ack", "wasClean": true, "readyState": 3,
      });
      r.worker_log(addr, &id, &[event]).await;
    }
    "close-no-args" | "send-after-close" | "send-values" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      c.send_text(&format!("cmd:{name}")).await;
      let (frames, entry) = match name {
        "close-no-args" => (
          vec![close(None, "")],
          json!({"event": "close-called", "result": "ok", "readyState": 2}),
        ),
        "send-after-close" => (
          vec![close(Some(1000), "closing")],
          json!({
            "event": "send-after-close", "readyState": 2,
            "result": "threw TypeError: Can't call WebSocket send() after close().",
          }),
        ),
        _ => (
          vec![
            text("123"),
            text("null"),
            text("[object Blob]"),
            opcode(BINARY, &[1, 2]),
            opcode(BINARY, &[8, 7]),
          ],
          accepted,
        ),
      };
      // Nothing follows: the worker's Close waits for the client's reply,
      // the late send() sends nothing, the five values are all there is.
      r.frames(&mut c, frames, Then::Quiet).await;
      r.worker_log(addr, &id, &[entry]).await;
    }
    "vanish" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      c.send_text("still here").await;
      r.frames(&mut c, vec![text("still here")], Then::Stop).await;
      c.drop_connection().await;
      let event = json!({
        "event": "close", "code": 1006, "wasClean": false,
        "reason": "WebSocket disconnected without sending Close frame.",
      });
      r.worker_log(addr, &id, &[event]).await;
    }
    "ping" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      c.send_frame(true, PING, b"abc").await;
      c.send_text("after ping").await;
      let back = vec![opcode(PONG, b"abc"), text("after ping")];
      r.frames(&mut c, back, Then::Stop).await;
      r.worker_log(addr, &id, &[accepted]).await;
    }
    "fragments" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      c.send_frame(false, TEXT, b"hel").await;
      c.send_frame(false, CONTINUATION, b"lo ").await;
      c.send_frame(true, CONTINUATION, b"world").await;
      c.send_frame(false, BINARY, &[1, 2]).await;
      c.send_frame(true, CONTINUATION, &[3]).await;
      let back = vec![text("hello world"), opcode(BINARY, &[1, 2, 3])];
      r.frames(&mut c, back, Then::Stop).await;
    }
    "binary-type" => {
      let mut c = WsClient::connect(addr, &ws("&report=1")).await;
      c.send_text("hi").await;
      c.send_binary(&[1, 2, 3]).await;
      c.send_text("cmd:binaryType arraybuffer").await;
      c.send_binary(&[1, 2, 3, 4]).await;
      c.send_text("cmd:binaryType BLOB").await;
      let back = vec![
        text("text:hi"),
        text("blob:3"),
        text("binaryType arraybuffer"),
        text("arraybuffer:4"),
        text("binaryType arraybuffer"),
      ];
      r.frames(&mut c, back, Then::Stop).await;
    }
    "message-too-big" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      // The server may drop the connection before the whole message is in.
      let _ = c
        .try_send_frame(true, BINARY, &vec![7u8; 33 * 1024 * 1024])
        .await;
      r.frames(&mut c, vec![close(Some(1009), too_large)], Then::Stop)
        .await;
      let error = json!({
        "event": "error", "isErrorEvent": true, "readyState": 3,
        "errorMessage": format!(
          "WebSocket protocol error; protocolError.statusCode = 1009; protocolError.description = {too_large}"
        ),
      });
      r.worker_log(addr, &id, &[error]).await;
      // No close event follows the error: seen over a quiet window.
      tokio::time::sleep(QUIET).await;
      r.worker_log(addr, &id, &[]).await;
    }
    "rules" => {
      let invalid = "threw InvalidAccessError: Invalid WebSocket close code: 999.";
      let body = json!({
        "acceptTwice": "ok", "doubleClose": "ok", "iterable": true,
        "response": [101, true, null], "closeCodes": {"1000": "ok", "999": invalid},
      });
      r.get(addr, "/rules", body).await;
    }
    "local-pair" | "local-pair-manual" => {
      let a_state = if auto_reply { 3 } else { 2 };
      let a_closes = json!(["a", "close", 1000, "b closes", true, a_state]);
      let body = match (auto_reply, name) {
        (true, _) => json!({
          "log": [a_closes, ["b", "close", 1000, "b closes", true, 3]], "finalStates": [3, 3],
        }),
        // Without the automatic reply, b waits (for as long as the worker
        // gives it) unless a replies itself.
        (false, "local-pair") => json!({"log": [a_closes], "finalStates": [2, 2]}),
        (false, _) => json!({
          "log": [a_closes, ["b", "close", 1000, "a replies", true, 3]], "finalStates": [3, 3],
        }),
      };
      let path = if name == "local-pair" {
        "/local-pair"
      } else {
        "/local-pair?mode=manual"
      };
      r.get(addr, path, body).await;
    }
    "listener-rules" => {
      let body = json!({
        "log": [["onmessage", "1"], ["once", "1"], ["handleEvent", "2"]], "after": [{}, 0],
      });
      r.get(addr, "/listener-rules", body).await;
    }
    "websocket-to-plain-request" => {
      let reply = send(addr, "GET", &ws(""), &[], Default::default()).await;
      r.saw(format!("status {}", reply.status), "status 500");
    }
    "accepted-then-returned" => {
      for _ in 0..2 {
        let (mut c, status) = WsClient::try_connect(addr, "/accepted-then-returned").await;
        r.saw(status_code(&status), "101");
        r.frames(&mut c, vec![ENDED.into()], Then::Stop).await;
      }
    }
    "returned-twice" => {
      let (mut c, status) = WsClient::try_connect(addr, "/returned-twice").await;
      r.saw(status_code(&status), "101");
      // Nobody accepted the server's end: nothing comes on it.
      r.frames(&mut c, Vec::new(), Then::Quiet).await;
      drop(c);
      let (_, status) = WsClient::try_connect(addr, "/returned-twice").await;
      r.saw(status_code(&status), "500");
    }
    "text-echo" | "binary-echo" | "order" => {
      let mut c = WsClient::connect(addr, &ws("")).await;
      let echoes = match name {
        "text-echo" => {
          c.send_text("h\u{e9}llo").await;
          vec![text("h\u{e9}llo")]
        }
        "binary-echo" => {
          c.send_binary(&[0, 1, 254, 255]).await;
          vec![opcode(BINARY, &[0, 1, 254, 255])]
        }
        _ => {
          for i in 0..100 {
            c.send_text(&format!("m{i}")).await;
          }
          (0..100).map(|i| text(&format!("m{i}"))).collect()
        }
      };
      r.frames(&mut c, echoes, Then::Stop).await;
      c.send_close(Some(1000), "done").await;
      if auto_reply {
        r.frames(
          &mut c,
          vec![close(Some(1000), "done"), ENDED.into()],
          Then::Stop,
        )
        .await;
      } else {
        // Half-open: the close handler's send goes out, and no Close comes.
        r.frames(&mut c, vec![text("from close handler")], Then::Quiet)
          .await;
      }
    }
    other => panic!("no scenario {other}"),
  }
  r
}

fn status_code(status_line: &str) -> String {
  status_line
    .split_whitespace()
    .nth(1)
    .unwrap_or("")
    .to_string()
}

/// Outbound scenarios (section 4): tests/workers/outbound/worker.js talking
/// to a backend run by the test.
async fn run_outbound(name: &str, addr: SocketAddr, backend: SocketAddr) -> Run {
  let mut r = Run::default();
  let failed = "Failed to establish websocket connection";
  let (path, body) = match name {
    "new-websocket" => (
      format!("/connect?url=ws://{backend}/echo&protocols=chat,superchat"),
      json!([
        ["open", 1, "chat", null],
        ["message", "hi from the worker"],
        ["close", 1000, "done", true, 3],
      ]),
    ),
    "new-websocket-404" => (
      format!("/connect?url=ws://{backend}/404"),
      json!([
        ["error", "Uncaught TypeError: Failed to establish the WebSocket connection: expected server to reply with HTTP status code 101 (switching protocols), but received 404 instead.", "TypeError", 3],
        ["close", 1006, failed, false, 3],
      ]),
    ),
    "new-websocket-close-while-connecting" => (
      format!("/close-while-connecting?url=ws://{backend}/echo"),
      json!([["after close()", 1], ["close", 1006, failed, false, 3]]),
    ),
    "fetch-upgrade" => (
      format!("/fetch?url=http://{backend}/echo"),
      json!({"echoed": "via fetch"}),
    ),
    "fetch-upgrade-404" => (
      format!("/fetch?url=http://{backend}/404"),
      json!({"status": 404, "webSocket": null, "body": "no such socket"}),
    ),
    "fetch-upgrade-aborted" => (
      format!("/fetch-aborted?url=http://{backend}/echo"),
      json!({"threw": "AbortError"}),
    ),
    "constructor-checks" => (
      "/constructor".to_string(),
      json!({
        "caseDiffers": "ok",
        "http": "threw SyntaxError: WebSocket Constructor: The url scheme must be ws or wss.",
      }),
    ),
    other => panic!("no scenario {other}"),
  };
  r.get(addr, &path, body).await;
  r
}

/// Adds to `report` what is wrong with one scenario's pair of runs: a run
/// without the events it exists for, or transcripts that differ.
fn compare(report: &mut Vec<String>, title: &str, theirs: Run, ours: Run) {
  let mut problems: Vec<String> = [("workerd", &theirs), ("kiln", &ours)]
    .into_iter()
    .filter_map(|(who, run)| {
      run
        .check()
        .err()
        .map(|want| format!("{who}'s transcript lacks {want}"))
    })
    .collect();
  if theirs.transcript != ours.transcript {
    problems.push("the transcripts differ".into());
  }
  if !problems.is_empty() {
    report.push(format!(
      "== {title}: {}\n-- workerd:\n{}\n-- kiln:\n{}",
      problems.join("; "),
      theirs.transcript.join("\n"),
      ours.transcript.join("\n")
    ));
  }
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
      let theirs = run(name, date, workerd.addr, &format!("workerd-{date}")).await;
      let ours = run(name, date, kiln_addr, &format!("kiln-{date}")).await;
      compare(&mut report, &format!("{name} ({date})"), theirs, ours);
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
      compare(
        &mut report,
        &format!("{name} (outbound, {date})"),
        theirs,
        ours,
      );
    }
  }
  println!(
    "{} scenarios, {runs} runs, {} with problems",
    SCENARIOS.len() + OUTBOUND.len(),
    report.len()
  );
  assert!(report.is_empty(), "{}", report.join("\n\n"));
}

/// The check that keeps a scenario from passing on two empty, or equally
/// truncated, transcripts.
#[test]
fn a_transcript_without_its_events_fails_the_check() {
  let wants = vec![
    Want::Line(close(Some(1001), "going away")),
    Want::Line(ENDED.into()),
    Want::Worker(json!({"event": "close", "code": 1001, "readyState": 3})),
    Want::Body(json!({"log": [["a", 1], ["b", 2]], "final": [3, 3]})),
  ];
  let whole: Vec<String> = vec![
    close(Some(1001), "going away"),
    ENDED.into(),
    "worker: {\"event\":\"accepted\"}".into(),
    "worker: {\"code\":1001,\"event\":\"close\",\"readyState\":3,\"wasClean\":true}".into(),
    "body {\"final\":[3,3],\"log\":[[\"a\",1],[\"x\"],[\"b\",2]]}".into(),
  ];
  assert_eq!(check(&whole, &wants), Ok(()));
  assert!(check(&[], &wants).is_err());
  assert!(check(&[NOTHING_MORE.into()], &wants).is_err());
  // Out of order, or short of one entry, is not enough either.
  let mut swapped = whole.clone();
  swapped.swap(0, 1);
  assert!(check(&swapped, &wants).is_err());
  let mut early = whole.clone();
  early[3] = early[3].replace("\"readyState\":3", "\"readyState\":2");
  assert!(check(&early, &wants).is_err());
  let mut short = whole.clone();
  short[4] = "body {\"final\":[3,3],\"log\":[[\"b\",2],[\"a\",1]]}".into();
  assert!(check(&short, &wants).is_err());
}
