//! Real hibernation of Durable Objects with hibernatable WebSockets, on
//! kiln: the object is evicted while its sockets stay open, auto-responses
//! are answered while it sleeps, the next event re-creates it with its
//! sockets' tags and attachments, and `POST /cdn-cgi/kiln/hibernate` (and
//! `kiln hibernate`) force it and say why an object cannot hibernate.
//!
//! The worker is tests/workers/durable-objects/ (class Room); a rise in
//! `/room-constructions` (a module variable counting Room constructors,
//! which outlives instances) is how a test sees that an object woke up.
//! Hibernation as workerd does it on its own 10 s timer is compared with
//! workerd in durable_objects.rs (`hibernation_after_idle`); workerd has no
//! way to force it, so what needs forcing is tested here on kiln alone.
//!
//! Waits have deadlines; the only bounded quiet windows check that
//! something did not happen (no wake-up log line, no frame) and are
//! commented.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kiln_tests::ws::WsClient;
use kiln_tests::{crash_lines, kiln_bin, run_with_deadline, send, workers_dir, Kiln};
use serde_json::{json, Value};

const FRAME_WAIT: Duration = Duration::from_secs(5);

fn start(extra: &[&str]) -> Kiln {
  let mut args = vec!["-c", "durable-objects/wrangler.toml", "--no-persist"];
  args.extend_from_slice(extra);
  Kiln::start_in(&workers_dir(), &args)
}

async fn get_json(addr: SocketAddr, path: &str) -> Value {
  let reply = send(addr, "GET", path, &[], Default::default()).await;
  assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
  reply.json()
}

async fn constructions(kiln: &Kiln) -> u64 {
  get_json(kiln.addr, "/room-constructions")
    .await
    .as_u64()
    .expect("a count")
}

/// `POST /cdn-cgi/kiln/hibernate?query`: the status and the JSON answer.
async fn force(kiln: &Kiln, query: &str) -> (u16, Value) {
  let path = format!("/cdn-cgi/kiln/hibernate{query}");
  let reply = send(kiln.addr, "POST", &path, &[], Default::default()).await;
  (reply.status, reply.json())
}

/// Forces the Room named `name` to hibernate and checks that it did.
async fn force_room(kiln: &Kiln, name: &str, sockets: u64) {
  let (status, report) = force(kiln, &format!("?class=Room&name={name}")).await;
  assert_eq!(status, 200, "{report}");
  let objects = report["objects"].as_array().expect("objects");
  assert_eq!(objects.len(), 1, "{report}");
  assert_eq!(objects[0]["name"], name, "{report}");
  assert_eq!(
    objects[0]["hibernated"],
    true,
    "{report}\n{}",
    kiln.output()
  );
  assert_eq!(objects[0]["webSockets"], sockets, "{report}");
}

async fn frame(client: &mut WsClient) -> String {
  match client.read_frame_within(FRAME_WAIT).await {
    Err(()) => format!("nothing within {FRAME_WAIT:?}"),
    Ok(None) => "connection ended".into(),
    Ok(Some(f)) if f.opcode == 0x8 => {
      let (code, reason) = f.close();
      format!("close {code:?} {reason:?}")
    }
    Ok(Some(f)) if f.opcode == 0x1 => format!("text {}", f.text()),
    Ok(Some(f)) => format!("opcode {} {:?}", f.opcode, f.payload),
  }
}

/// Waits until kiln's output has `needle` at least `count` times.
fn wait_log(kiln: &Kiln, needle: &str, count: usize) {
  if let Err(out) = kiln.output_times_within(needle, count, Duration::from_secs(10)) {
    panic!("kiln did not print {needle:?} {count} time(s) within 10 s; it printed:\n{out}");
  }
}

fn assert_healthy(kiln: &Kiln) {
  kiln.assert_alive();
  let out = kiln.output();
  assert!(crash_lines(&out).is_empty(), "kiln crashed:\n{out}");
}

/// Forced hibernation: the sockets stay open, an auto-response is answered
/// without waking the object, the next message re-creates it (constructor
/// again) with every socket's tags and attachment, and the object's answers
/// and a close handshake work as before.
#[tokio::test]
async fn a_hibernated_room_keeps_its_sockets_and_wakes_on_a_message() {
  let kiln = start(&[]);
  let addr = kiln.addr;
  let mut alice = WsClient::connect(
    addr,
    "/room-ws?name=h&tags=red,blue&client=alice&onclose=close",
  )
  .await;
  let mut bob = WsClient::connect(addr, "/room-ws?name=h&tags=blue&client=bob").await;
  get_json(
    addr,
    "/scenario/room-auto-response?name=h&request=ping&response=pong",
  )
  .await;
  let before = constructions(&kiln).await;

  force_room(&kiln, "h", 2).await;
  wait_log(&kiln, "Room \"h\" hibernated (2 WebSockets stay open)", 1);

  // Answered while asleep: no wake-up.
  alice.send_text("ping").await;
  assert_eq!(frame(&mut alice).await, "text pong");
  assert_eq!(
    constructions(&kiln).await,
    before,
    "an auto-response woke the object"
  );

  // A message wakes it: the constructor runs again, then the handler.
  bob.send_text("hello").await;
  assert_eq!(frame(&mut bob).await, "text echo:hello");
  assert_eq!(constructions(&kiln).await, before + 1);
  wait_log(
    &kiln,
    "Room \"h\" woke for a WebSocket message (2 WebSockets)",
    1,
  );

  // The new instance has both sockets with their tags and attachments,
  // and alice's auto-response timestamp.
  assert_eq!(
    get_json(addr, "/scenario/room-sockets?name=h&tag=blue").await,
    json!({ "all": ["bob", "alice"], "tags": [["blue"], ["red", "blue"]], "tagged": ["alice", "bob"], "unknownTag": 0 })
  );
  assert_eq!(
    get_json(addr, "/scenario/room-auto-state?name=h").await,
    json!([
      { "client": "bob", "isDate": false, "recent": null },
      { "client": "alice", "isDate": true, "recent": true },
    ])
  );

  // Asleep again, a Close wakes it; alice's handler completes the handshake.
  force_room(&kiln, "h", 2).await;
  alice.send_close(Some(1000), "bye").await;
  assert_eq!(frame(&mut alice).await, "close Some(1000) \"done\"");
  assert_eq!(frame(&mut alice).await, "connection ended");
  wait_log(&kiln, "Room \"h\" woke for a WebSocket Close", 1);
  let events = get_json(addr, "/scenario/room-events?name=h").await;
  assert_eq!(
    events,
    json!([
      { "type": "message", "client": "bob", "kind": "string", "data": "hello" },
      { "type": "close", "client": "alice", "code": 1000, "reason": "bye", "wasClean": true, "closeResult": { "ok": { "undefined": null } } },
    ])
  );
  // bob is unaffected.
  bob.send_text("still here").await;
  assert_eq!(frame(&mut bob).await, "text echo:still here");
  assert_healthy(&kiln);
}

/// With `--hibernate-after 0` an object hibernates as soon as it is idle:
/// every message wakes it again.
#[tokio::test]
async fn hibernate_after_zero_hibernates_between_messages() {
  let kiln = start(&["--hibernate-after", "0"]);
  let mut client = WsClient::connect(kiln.addr, "/room-ws?name=z&client=c1").await;
  wait_log(&kiln, "Room \"z\" hibernated (1 WebSocket stay open)", 1);
  let before = constructions(&kiln).await;
  for i in 1..=3 {
    client.send_text(&format!("m{i}")).await;
    assert_eq!(frame(&mut client).await, format!("text echo:m{i}"));
    wait_log(
      &kiln,
      "Room \"z\" hibernated (1 WebSocket stay open)",
      i + 1,
    );
  }
  // The /room-constructions requests do not touch the room.
  assert_eq!(constructions(&kiln).await, before + 3);
  assert_healthy(&kiln);
}

/// What keeps an object awake is reported, and released: a timer set in a
/// handler, a waitUntil() promise, a socket accepted with accept(). Once
/// the hold ends, the object hibernates.
#[tokio::test]
async fn what_keeps_an_object_awake_is_reported() {
  let kiln = start(&[]);
  let mut client = WsClient::connect(kiln.addr, "/room-ws?name=busy&client=c1").await;
  let holds = [
    ("hold-timer:1500", "timer set", "a timer set during one of its events is pending"),
    ("hold-wait-until:1500", "waitUntil set", "a ctx.waitUntil() promise has not settled"),
    (
      "hold-plain-socket",
      "plain socket accepted",
      "it has a WebSocket accepted with accept() or opened with new WebSocket() (only ctx.acceptWebSocket() sockets can hibernate)",
    ),
  ];
  for (message, answer, reason) in holds {
    client.send_text(message).await;
    assert_eq!(frame(&mut client).await, format!("text {answer}"));
    let (status, report) = force(&kiln, "?class=Room&name=busy").await;
    assert_eq!(status, 200);
    assert_eq!(
      report,
      json!({ "objects": [{
        "class": "Room",
        "id": report["objects"][0]["id"],
        "name": "busy",
        "hibernated": false,
        "webSockets": 1,
        "reason": reason,
      }] }),
      "after {message}"
    );
    wait_log(
      &kiln,
      &format!("Room \"busy\" cannot hibernate: {reason}"),
      1,
    );
    // Release the hold, then it can hibernate.
    match message {
      "hold-timer:1500" => assert_eq!(frame(&mut client).await, "text timer fired"),
      "hold-plain-socket" => {
        client.send_text("release-plain-socket").await;
        assert_eq!(frame(&mut client).await, "text plain socket closed");
      }
      _ => {}
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
      let (_, report) = force(&kiln, "?class=Room&name=busy").await;
      if report["objects"][0]["hibernated"] == true {
        break;
      }
      assert!(
        Instant::now() < deadline,
        "still awake after {message}: {report}"
      );
      tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Wake it for the next round.
    client.send_text("awake?").await;
    assert_eq!(frame(&mut client).await, "text echo:awake?");
  }
  assert_healthy(&kiln);
}

/// A client that vanishes while its object sleeps wakes it for
/// webSocketClose (1006); an over-size message (32 MiB + 1) from another
/// client while asleep fails that connection with 1009 and reaches
/// webSocketError; a third client is unaffected throughout.
#[tokio::test]
async fn faults_while_hibernated_touch_only_their_socket() {
  let kiln = start(&[]);
  let addr = kiln.addr;
  let gone = WsClient::connect(addr, "/room-ws?name=f&client=gone").await;
  let mut big = WsClient::connect(addr, "/room-ws?name=f&client=big").await;
  let mut calm = WsClient::connect(addr, "/room-ws?name=f&client=calm").await;
  force_room(&kiln, "f", 3).await;

  gone.drop_connection().await;
  wait_log(&kiln, "Room \"f\" woke for a WebSocket disconnect", 1);
  force_room(&kiln, "f", 2).await;

  big.send_binary(&vec![7u8; (32 << 20) + 1]).await;
  let answer = frame(&mut big).await;
  assert!(answer.starts_with("close Some(1009)"), "{answer}");
  calm.send_text("fine?").await;
  assert_eq!(frame(&mut calm).await, "text echo:fine?");

  let events = get_json(addr, "/scenario/room-events?name=f").await;
  let events = events.as_array().expect("events").clone();
  assert_eq!(events.len(), 3, "{events:?}");
  assert_eq!(
    events[0],
    json!({ "type": "close", "client": "gone", "code": 1006, "reason": "WebSocket disconnected without sending Close frame.", "wasClean": false })
  );
  assert_eq!(events[1]["type"], "error", "{events:?}");
  assert_eq!(events[1]["client"], "big");
  let message = events[1]["error"]["message"].as_str().unwrap_or_default();
  assert!(message.contains("Message is too large"), "{message}");
  assert_eq!(events[2]["data"], "fine?");
  assert_eq!(
    get_json(addr, "/scenario/room-sockets?name=f").await["all"],
    json!(["calm"])
  );
  assert_healthy(&kiln);
}

/// A webSocketClose handler that returns without closing leaves the client
/// waiting; kiln says so in its log.
#[tokio::test]
async fn an_unanswered_close_is_warned_about() {
  let kiln = start(&[]);
  let mut client = WsClient::connect(kiln.addr, "/room-ws?name=w&client=c1&onclose=none").await;
  client.send_close(Some(1000), "bye").await;
  wait_log(
    &kiln,
    "Room \"w\" warning: webSocketClose returned without calling ws.close(); the client sent Close 1000 and waits for the reply.",
    1,
  );
  // And a handler that does close is not warned about.
  let mut closing = WsClient::connect(kiln.addr, "/room-ws?name=w2&client=c1&onclose=close").await;
  closing.send_close(Some(1000), "bye").await;
  assert_eq!(frame(&mut closing).await, "close Some(1000) \"done\"");
  get_json(kiln.addr, "/scenario/room-events?name=w2").await;
  assert!(
    !kiln.output().contains("Room \"w2\" warning"),
    "{}",
    kiln.output()
  );
  drop(client);
  assert_healthy(&kiln);
}

/// The control endpoint's answers to bad requests, the objects asleep
/// already, and `kiln hibernate`.
#[tokio::test]
async fn the_control_endpoint_and_command() {
  let kiln = start(&[]);
  let addr = kiln.addr;
  let _client = WsClient::connect(addr, "/room-ws?name=ctl&tags=t&client=c1").await;

  let reply = send(
    addr,
    "GET",
    "/cdn-cgi/kiln/hibernate",
    &[],
    Default::default(),
  )
  .await;
  assert_eq!(reply.status, 405, "{}", reply.text());
  let reply = send(
    addr,
    "POST",
    "/cdn-cgi/kiln/nothing",
    &[],
    Default::default(),
  )
  .await;
  assert_eq!(reply.status, 404, "{}", reply.text());
  let (status, report) = force(&kiln, "?id=zz").await;
  assert_eq!(status, 400);
  assert_eq!(
    report["error"],
    "id= must be an object id: 64 lowercase hexadecimal digits"
  );
  let (status, report) = force(&kiln, "?class=Nope").await;
  assert_eq!(status, 400);
  assert_eq!(
    report["error"],
    "this worker defines no Durable Object class \"Nope\""
  );
  let (status, report) = force(&kiln, "?name=ctl").await;
  assert_eq!(status, 400);
  assert_eq!(
    report["error"],
    "name= needs class= (an idFromName name belongs to one class)"
  );

  // The command line: hibernates it, then reports it as asleep.
  let url = format!("http://{addr}");
  for _ in 0..2 {
    let exit = run_with_deadline(
      std::process::Command::new(kiln_bin()).args(["hibernate", "--url", &url, "--class", "Room"]),
      Duration::from_secs(20),
    )
    .unwrap_or_else(|overdue| panic!("kiln hibernate: {overdue}"));
    assert_eq!(exit.code, Some(0), "{}\n{}", exit.stdout, exit.stderr);
    assert_eq!(
      exit.stdout.trim(),
      "Room \"ctl\": hibernated, 1 WebSocket(s) kept open",
      "{}",
      exit.stderr
    );
  }
  // Nothing reached the worker's own fetch handler.
  assert!(
    !kiln.output().contains("no scenario /cdn-cgi"),
    "{}",
    kiln.output()
  );
  assert_healthy(&kiln);
}
