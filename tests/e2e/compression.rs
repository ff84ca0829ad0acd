//! permessage-deflate side by side with workerd (npm `workerd`): what a
//! worker's 101 agrees to for each client offer (and for a header the
//! worker sets itself), at dates and flags that turn
//! `web_socket_compression` on and off; what `new WebSocket()` and
//! `fetch()` offer, and what a worker sees for each answer of a server.
//! Every case must first show on workerd what it exists for (the agreement
//! expected, compressed frames, the 502); then kiln must match workerd.
//! Also a real client: Node's `ws` with compression on, against kiln.

use std::net::SocketAddr;
use std::time::Duration;

use kiln_tests::backend::Backend;
use kiln_tests::deflate::Deflate;
use kiln_tests::workerd::{Workerd, WorkerdConfig};
use kiln_tests::ws::{WsClient, BINARY, TEXT};
use kiln_tests::{workers_dir, Kiln};
use serde_json::{json, Value};

/// The three configurations: flag on by date, off by flag, off by date.
const CONFIGS: [(&str, bool); 3] = [("on.toml", true), ("off.toml", false), ("old.toml", false)];

fn start_both(config: &str) -> (Kiln, Workerd) {
  let path = format!("compression/{config}");
  let kiln = Kiln::start(&[&path]);
  let mut config = WorkerdConfig::from_wrangler_toml(&workers_dir().join(&path));
  config.local_network = true;
  let workerd = Workerd::start(&config, None);
  (kiln, workerd)
}

/// A query value, encoded.
fn encode(value: &str) -> String {
  url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// What one handshake and exchange with the echo worker showed.
async fn server_side(addr: SocketAddr, offer: Option<&str>, worker: Option<&str>) -> Value {
  let path = match worker {
    Some(ext) => format!("/echo?ext={}", encode(ext)),
    None => "/echo".to_string(),
  };
  let headers: Vec<(&str, &str)> = offer
    .map(|o| vec![("Sec-WebSocket-Extensions", o)])
    .unwrap_or_default();
  let mut c = WsClient::connect_with(addr, &path, &headers).await;
  let agreed = c.response_header("sec-websocket-extensions");
  let mut deflate = agreed.as_deref().map(|a| {
    Deflate::new(
      15,
      15,
      a.contains("client_no_context_takeover"),
      a.contains("server_no_context_takeover"),
    )
  });
  let mut echoes = Vec::new();
  for message in ["hello", "hello", "extensions?"] {
    match deflate.as_mut() {
      Some(d) => c.send_compressed(TEXT, message.as_bytes(), d, 0).await,
      None => c.send_text(message).await,
    }
    let m = c
      .read_message(deflate.as_mut())
      .await
      .unwrap_or_else(|e| panic!("{path} offering {offer:?}: {e}"));
    echoes.push(json!([String::from_utf8_lossy(&m.data), m.compressed]));
  }
  json!({ "agreed": agreed, "echoes": echoes })
}

#[tokio::test]
async fn what_a_101_agrees_to_matches_workerd() {
  // (client's offer, the worker's own header, workerd's answer with the
  // flag on: what the case exists for).
  let cases: [(Option<&str>, Option<&str>, Option<&str>); 18] = [
    (Some("permessage-deflate"), None, Some("permessage-deflate")),
    (
      Some("permessage-deflate; client_max_window_bits"),
      None,
      Some("permessage-deflate; client_max_window_bits=15"),
    ),
    (
      Some("permessage-deflate; server_no_context_takeover"),
      None,
      Some("permessage-deflate; server_no_context_takeover"),
    ),
    (
      Some("permessage-deflate; client_no_context_takeover"),
      None,
      Some("permessage-deflate; client_no_context_takeover"),
    ),
    (
      Some("permessage-deflate; server_max_window_bits=10"),
      None,
      Some("permessage-deflate; server_max_window_bits=10"),
    ),
    (
      Some("permessage-deflate; server_max_window_bits=8"),
      None,
      Some("permessage-deflate; server_max_window_bits=8"),
    ),
    (
      Some("permessage-deflate; server_max_window_bits=010"),
      None,
      Some("permessage-deflate; server_max_window_bits=10"),
    ),
    (
      Some("permessage-deflate; client_max_window_bits; server_max_window_bits=12; client_no_context_takeover; server_no_context_takeover"),
      None,
      Some("permessage-deflate; client_no_context_takeover; server_no_context_takeover; client_max_window_bits=15; server_max_window_bits=12"),
    ),
    (Some("permessage-deflate; server_max_window_bits=7, permessage-deflate"), None, Some("permessage-deflate")),
    (Some("foo, permessage-deflate"), None, Some("permessage-deflate")),
    (Some("permessage-deflate; unknown_param"), None, None),
    (Some("permessage-deflate; server_no_context_takeover; server_no_context_takeover"), None, None),
    (Some("Permessage-Deflate"), None, None),
    (Some("x-webkit-deflate-frame"), None, None),
    (
      Some("permessage-deflate"),
      Some("permessage-deflate; server_no_context_takeover"),
      Some("permessage-deflate; server_no_context_takeover"),
    ),
    (
      Some("permessage-deflate; client_max_window_bits"),
      Some("permessage-deflate; client_max_window_bits=10"),
      Some("permessage-deflate; client_max_window_bits=10"),
    ),
    (
      Some("permessage-deflate; server_max_window_bits=12"),
      Some("permessage-deflate; server_no_context_takeover"),
      None,
    ),
    (None, Some("permessage-deflate"), None),
  ];
  let mut problems = Vec::new();
  for (config, on) in CONFIGS {
    let (kiln, workerd) = start_both(config);
    for (offer, worker, expected) in cases {
      let title = format!("{config}: offer {offer:?}, worker's header {worker:?}");
      let theirs = server_side(workerd.addr, offer, worker).await;
      let ours = server_side(kiln.addr, offer, worker).await;
      let expected = if on { expected } else { None };
      // The case shows what it is for on workerd, or it proves nothing.
      if theirs["agreed"] != json!(expected) {
        problems.push(format!(
          "{title}: workerd agreed to {}, not {expected:?}",
          theirs["agreed"]
        ));
      }
      let compressed = expected.is_some();
      let echoes = json!([
        ["hello", compressed],
        ["hello", compressed],
        ["\"\"", compressed]
      ]);
      if theirs["echoes"] != echoes {
        problems.push(format!("{title}: workerd echoed {}", theirs["echoes"]));
      }
      if ours != theirs {
        problems.push(format!("{title}:\n  workerd: {theirs}\n  kiln:    {ours}"));
      }
    }
    kiln
      .check_alive_since(0)
      .expect("kiln lived through the cases");
  }
  assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Whether the worker saw its handshake refused with a 502: `fetch()`
/// resolving with it, or `new WebSocket()` failing on it.
fn refused(log: &Value) -> bool {
  let events = log.as_array().map(Vec::as_slice).unwrap_or_default();
  events.iter().any(|e| {
    (e[0] == "response" && e[1] == 502)
      || (e[0] == "error"
        && e[1]
          .as_str()
          .is_some_and(|m| m.ends_with("but received 502 instead.")))
  })
}

/// What the worker logged, what the backend was offered, and how the
/// worker's two messages reached it (compressed or not, inflated).
async fn client_side(
  worker: SocketAddr,
  backend: &Backend,
  route: &str,
  answer: Option<&str>,
  offer: Option<&str>,
) -> Value {
  let target = match answer {
    Some(a) => format!("ws://{}/deflate?answer={}", backend.addr, encode(a)),
    None => format!("ws://{}/deflate", backend.addr),
  };
  let mut path = format!("{route}?url={}", encode(&target));
  if let Some(offer) = offer {
    path.push_str(&format!("&offer={}", encode(offer)));
  }
  let n = backend.connections.lock().unwrap().len();
  let log = kiln_tests::send(worker, "GET", &path, &[], Default::default())
    .await
    .json();
  let refused = refused(&log);
  let connection = backend
    .connection(n, if refused { 0 } else { 2 }, false)
    .await;
  let offered = connection.request_head.lines().find_map(|l| {
    let (name, value) = l.split_once(':')?;
    name
      .eq_ignore_ascii_case("sec-websocket-extensions")
      .then(|| value.trim().to_string())
  });
  let frames: Vec<Value> = connection
    .frames
    .iter()
    .filter(|f| f.opcode == 1 || f.opcode == 2)
    .map(|f| json!([f.text(), f.rsv1]))
    .collect();
  json!({ "log": log, "offered": offered, "frames": frames })
}

#[tokio::test]
async fn outbound_offers_and_answers_match_workerd() {
  let backend = Backend::start().await;
  let agreed = json!([["hello", true], ["hello", true]]);
  let plain = json!([["hello", false], ["hello", false]]);
  // (route, offer given to fetch(), the backend's answer, with the flag on:
  // the offer the backend must see, and whether the worker's messages
  // arrive compressed; None when the handshake must fail with a 502).
  type Case<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<(Option<&'a str>, &'a Value)>,
  );
  let cases: Vec<Case> = vec![
    ("/new-websocket", None, None, Some((Some("permessage-deflate"), &plain))),
    ("/new-websocket", None, Some("permessage-deflate"), Some((Some("permessage-deflate"), &agreed))),
    (
      "/new-websocket",
      None,
      Some("permessage-deflate; server_no_context_takeover; client_max_window_bits=10"),
      Some((Some("permessage-deflate"), &agreed)),
    ),
    ("/new-websocket", None, Some("permessage-deflate; client_no_context_takeover"), Some((Some("permessage-deflate"), &agreed))),
    ("/new-websocket", None, Some("foo"), None),
    ("/new-websocket", None, Some("permessage-deflate, permessage-deflate"), None),
    ("/new-websocket", None, Some("permessage-deflate; bogus"), None),
    ("/new-websocket", None, Some("permessage-deflate; client_max_window_bits"), None),
    ("/new-websocket", None, Some("permessage-deflate; server_max_window_bits=7"), None),
    ("/new-websocket", None, Some("garbage;;;"), None),
    ("/fetch", None, None, Some((None, &plain))),
    ("/fetch", None, Some("permessage-deflate"), None),
    ("/fetch", Some("permessage-deflate"), Some("permessage-deflate"), Some((Some("permessage-deflate"), &agreed))),
    (
      "/fetch",
      Some("foo, permessage-deflate; client_max_window_bits, permessage-deflate; server_no_context_takeover"),
      Some("permessage-deflate; client_max_window_bits=12"),
      Some((Some("permessage-deflate; client_max_window_bits=15, permessage-deflate; server_no_context_takeover"), &agreed)),
    ),
    ("/fetch", Some("permessage-deflate"), None, Some((Some("permessage-deflate"), &plain))),
    ("/fetch", Some("permessage-deflate"), Some("permessage-deflate; bogus"), None),
  ];
  let mut problems = Vec::new();
  for (config, on) in CONFIGS {
    let (kiln, workerd) = start_both(config);
    for (route, offer, answer, expected) in &cases {
      let title = format!("{config}: {route}, offer {offer:?}, answer {answer:?}");
      let theirs = client_side(workerd.addr, &backend, route, *answer, *offer).await;
      let ours = client_side(kiln.addr, &backend, route, *answer, *offer).await;
      // What the case is for, on workerd: the offer, and compressed
      // messages or a refused handshake. With the flag off, no offer is
      // made and any answer is refused.
      let expected = if on {
        *expected
      } else if answer.is_none() {
        Some((None, &plain))
      } else {
        None
      };
      match expected {
        Some((offered, frames)) => {
          if theirs["offered"] != json!(offered) || theirs["frames"] != *frames {
            problems.push(format!(
              "{title}: workerd did not show what the case is for: {theirs}"
            ));
          }
        }
        None => {
          if !refused(&theirs["log"]) {
            problems.push(format!(
              "{title}: workerd did not refuse the answer: {theirs}"
            ));
          }
        }
      }
      if ours != theirs {
        problems.push(format!("{title}:\n  workerd: {theirs}\n  kiln:    {ours}"));
      }
    }
    kiln
      .check_alive_since(0)
      .expect("kiln lived through the cases");
  }
  assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Node's `ws` client with compression on (its default offer, with a
/// threshold of 0 so that every message is compressed, and then all four
/// parameters), against kiln's echo worker: every message comes back
/// intact, and far fewer bytes came over the wire than were received.
#[test]
fn node_ws_client_with_compression() {
  let modules = kiln_tests::repo_dir().join("tests/reference/node_modules");
  assert!(
    modules.join("ws").exists(),
    "{} has no ws: run `make reference`",
    modules.display()
  );
  let kiln = Kiln::start(&["compression/on.toml"]);
  let script = kiln_tests::repo_dir().join("tests/clients/ws-compression.cjs");
  let output = kiln_tests::run_with_deadline(
    std::process::Command::new("node")
      .arg(&script)
      .arg(format!("ws://{}/echo", kiln.addr))
      .env("NODE_PATH", &modules),
    Duration::from_secs(60),
  )
  .unwrap_or_else(|overdue| panic!("node: {overdue}"));
  assert_eq!(output.code, Some(0), "{}{}", output.stdout, output.stderr);
  let report: Value = serde_json::from_str(output.stdout.trim())
    .unwrap_or_else(|e| panic!("not JSON ({e}): {}", output.stdout));
  let runs = report.as_array().expect("one report per connection");
  assert_eq!(runs.len(), 2, "{report}");
  for run in runs {
    assert_eq!(run["code"], json!(1000), "{run}");
    assert_eq!(run["received"], json!(200), "{run}");
    assert_eq!(run["mismatches"], json!(0), "{run}");
    let payload = run["payloadBytes"].as_u64().unwrap();
    let wire = run["wireBytes"].as_u64().unwrap();
    assert!(payload > 1_000_000 && wire * 10 < payload, "{run}");
  }
  assert_eq!(
    runs[0]["extensions"],
    json!("permessage-deflate"),
    "{report}"
  );
  kiln.check_alive_since(0).expect("kiln lived");
}

/// zlib's state for a 15-bit window is some 300 KiB per direction: a
/// connection that agreed to compression but sends nothing must not hold
/// it (made up front, 1,000 idle connections took 680 MiB).
#[tokio::test]
async fn idle_compressed_connections_hold_no_compressor() {
  let kiln = Kiln::start(&["compression/on.toml"]);
  let offer = [("Sec-WebSocket-Extensions", "permessage-deflate")];
  // Warm up (the isolate's first sockets), then measure 200 more.
  let mut warm = Vec::new();
  for _ in 0..20 {
    warm.push(WsClient::connect_with(kiln.addr, "/echo", &offer).await);
  }
  let (before, _) = kiln.memory_kib();
  let mut idle = Vec::new();
  for _ in 0..200 {
    let c = WsClient::connect_with(kiln.addr, "/echo", &offer).await;
    assert_eq!(
      c.response_header("sec-websocket-extensions").as_deref(),
      Some("permessage-deflate")
    );
    idle.push(c);
  }
  // The last connection is served once its echo comes back.
  let last = idle.last_mut().unwrap();
  let mut deflate = Deflate::default_params();
  last.send_compressed(TEXT, b"ping", &mut deflate, 0).await;
  assert_eq!(
    last.read_message(Some(&mut deflate)).await.unwrap().data,
    b"ping"
  );
  let per_connection = kiln.memory_kib().0.saturating_sub(before) / 200;
  assert!(
    per_connection < 64,
    "{per_connection} KiB per idle compressed connection"
  );
  drop(warm);
}

/// A pass-through (a worker returns the socket of its `fetch()`) whose two
/// connections agreed compatible parameters passes compressed messages on
/// as they came: the backend receives the client's compressed bytes, and
/// the client the backend's (made at zlib level 1, where kiln would use 6).
/// Where the client's window is smaller than the backend's, kiln inflates
/// and compresses again within the client's window instead.
#[tokio::test]
async fn a_pass_through_passes_compressed_messages_on_as_they_came() {
  let backend = Backend::start().await;
  let kiln = Kiln::start(&["compression/on.toml"]);
  // Varied text, on which zlib's level 1 and level 6 make different bytes.
  let message = |i: usize| {
    let words = [
      "pass",
      "through",
      "compressed",
      "chat",
      "frame",
      "window",
      "the",
      "a",
      "kiln",
      "level",
    ];
    let mut state = 7 + i as u64;
    let text: Vec<&str> = (0..300)
      .map(|_| {
        state = state
          .wrapping_mul(6364136223846793005)
          .wrapping_add(1442695040888963407);
        words[(state >> 33) as usize % words.len()]
      })
      .collect();
    format!("{i}: {}", text.join(" "))
  };

  // Compatible: the backend starts afresh for each message; the client's
  // reader keeps its context, which such messages do not need.
  let answer = "permessage-deflate; server_no_context_takeover";
  let target = format!("ws://{}/deflate?answer={}", backend.addr, encode(answer));
  let n = backend.connections.lock().unwrap().len();
  let offer = [("Sec-WebSocket-Extensions", "permessage-deflate")];
  let mut c = WsClient::connect_with(
    kiln.addr,
    &format!("/proxy?url={}", encode(&target)),
    &offer,
  )
  .await;
  assert_eq!(
    c.response_header("sec-websocket-extensions").as_deref(),
    Some(answer)
  );
  // The client compresses at level 1 as well, so that what kiln would
  // compress again differs from what the client sent.
  let mut deflate = Deflate::new(15, 15, false, true).with_level(15, 1);
  let mut sent: Vec<Vec<u8>> = Vec::new();
  for i in 0..3 {
    let mut probe = Deflate::new(15, 15, false, false).with_level(15, 1);
    // What the client's compressor makes of the message (its context is
    // the earlier messages, so a copy of it is needed: compress twice).
    for earlier in &sent {
      probe.compress(earlier);
    }
    let wire = probe.compress(message(i).as_bytes());
    c.send_compressed(TEXT, message(i).as_bytes(), &mut deflate, 0)
      .await;
    sent.push(message(i).into_bytes());
    let frame = c.read_frame().await.expect("an echo");
    let expected = Deflate::new(15, 15, true, false)
      .with_level(15, 1)
      .compress(message(i).as_bytes());
    let kilns = Deflate::new(15, 15, true, false).compress(message(i).as_bytes());
    assert_ne!(
      expected, kilns,
      "level 1 and level 6 must differ for the test to tell"
    );
    assert!(frame.rsv1, "{frame:?}");
    assert_eq!(
      frame.payload, expected,
      "message {i}: not the backend's own bytes"
    );
    assert_eq!(
      deflate.decompress(&frame.payload).unwrap(),
      message(i).as_bytes()
    );
    let seen = backend.connection(n, i + 1, false).await;
    assert_eq!(
      seen.frames[i].wire, wire,
      "message {i}: not the client's own bytes"
    );
    assert_eq!(seen.frames[i].payload, message(i).as_bytes());
  }

  // Not compatible: the client asks for a 1 KiB window, the backend (which
  // oversteps what it was offered, as the test backend does) keeps 32 KiB.
  let answer = "permessage-deflate; server_max_window_bits=15";
  let target = format!("ws://{}/deflate?answer={}", backend.addr, encode(answer));
  let offer = [(
    "Sec-WebSocket-Extensions",
    "permessage-deflate; server_max_window_bits=10",
  )];
  let mut c = WsClient::connect_with(
    kiln.addr,
    &format!("/proxy?url={}", encode(&target)),
    &offer,
  )
  .await;
  assert_eq!(
    c.response_header("sec-websocket-extensions").as_deref(),
    Some("permessage-deflate; server_max_window_bits=10")
  );
  let mut deflate = Deflate::new(15, 10, false, false);
  let long: Vec<u8> = (0..6000u32)
    .map(|i| (i.wrapping_mul(2654435761) >> 23) as u8)
    .collect();
  let twice = [&long[..], &long[..]].concat();
  c.send_compressed(BINARY, &twice, &mut deflate, 0).await;
  let m = c.read_compressed(&mut deflate).await.unwrap();
  assert_eq!(m.data, twice);
  let farthest = m.farthest_reference.unwrap();
  assert!(
    farthest <= 1024,
    "kiln passed on a frame referring {farthest} bytes back"
  );
  kiln.check_alive_since(0).expect("kiln lived");
}
