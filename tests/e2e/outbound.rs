//! Outbound WebSockets and proxies over real sockets: a backend run by the
//! test, kiln in the middle (the examples proxy-halfopen and
//! proxy-passthrough, and a worker using new WebSocket / fetch), a client.

use std::time::Duration;

use kiln_tests::backend::Backend;
use kiln_tests::ws::{WsClient, BINARY, CLOSE, TEXT};
use kiln_tests::{examples_dir, send, workers_dir, Kiln};
use serde_json::{json, Value};

fn proxy(example: &str, backend: &Backend, extra: &[&str]) -> Kiln {
  let var = format!("BACKEND_URL:http://{}", backend.addr);
  let mut args = vec![example, "--var", &var];
  args.extend_from_slice(extra);
  Kiln::start_workers(&examples_dir(), &args, 1)
}

fn outbound() -> Kiln {
  Kiln::start(&["outbound"])
}

async fn get_json(kiln: &Kiln, path: &str) -> Value {
  let reply = send(kiln.addr, "GET", path, &[], Default::default()).await;
  assert_eq!(reply.status, 200, "{}", reply.text());
  reply.json()
}

fn close_frame(code: u16, reason: &str) -> Vec<u8> {
  let mut frame = vec![0x88, (2 + reason.len()) as u8];
  frame.extend_from_slice(&code.to_be_bytes());
  frame.extend_from_slice(reason.as_bytes());
  frame
}

#[tokio::test]
async fn the_half_open_proxy_relays_messages_both_ways() {
  let backend = Backend::start().await;
  let kiln = proxy("proxy-halfopen", &backend, &[]);
  let mut client = WsClient::connect(kiln.addr, "/echo").await;
  client.send_text("hello").await;
  client.send_binary(&[1, 2, 3]).await;
  let a = client.read_frame().await.unwrap();
  let b = client.read_frame().await.unwrap();
  assert_eq!((a.opcode, a.text()), (TEXT, "hello".to_string()));
  assert_eq!((b.opcode, b.payload), (BINARY, vec![1, 2, 3]));
  let seen = backend.connection(0, 2, false).await;
  assert_eq!(seen.path, "/echo");
  assert_eq!(seen.frames[0].text(), "hello");
  assert_eq!(seen.frames[1].payload, vec![1, 2, 3]);
}

#[tokio::test]
async fn a_client_close_goes_through_the_half_open_proxy_with_nothing_lost() {
  let backend = Backend::start().await;
  let kiln = proxy("proxy-halfopen", &backend, &[]);
  let mut client = WsClient::connect(kiln.addr, "/echo").await;
  // Messages still in flight when the client closes all reach the backend,
  // and their echoes all reach the client, before the Close.
  for i in 0..50 {
    client.send_text(&format!("m{i}")).await;
  }
  client.send_close(Some(4000), "client bye").await;
  for i in 0..50 {
    let frame = client.read_frame().await.unwrap();
    assert_eq!(frame.text(), format!("m{i}"));
  }
  // The backend's reply, relayed: code and reason intact.
  assert_eq!(
    client.read_frame().await.unwrap().raw,
    close_frame(4000, "client bye")
  );
  assert_eq!(client.read_frame().await, None);
  let seen = backend.connection(0, 51, true).await;
  assert_eq!(seen.frames.len(), 51);
  assert!(seen.frames[..50]
    .iter()
    .enumerate()
    .all(|(i, f)| f.text() == format!("m{i}")));
  assert_eq!(
    seen.frames[50].close(),
    (Some(4000), "client bye".to_string())
  );
}

#[tokio::test]
async fn a_backend_close_goes_through_the_half_open_proxy_and_the_clients_reply_comes_back() {
  let backend = Backend::start().await;
  let kiln = proxy("proxy-halfopen", &backend, &[]);
  let mut client = WsClient::connect(kiln.addr, "/close-first").await;
  client.send_text("hello").await;
  assert_eq!(
    client.read_frame().await.unwrap().raw,
    close_frame(4001, "backend bye")
  );
  // Half-open: the backend has had no reply yet; the client's reply is the
  // one it gets, with the client's code and reason.
  client.send_close(Some(4002), "client ack").await;
  assert_eq!(client.read_frame().await, None);
  let seen = backend.connection(0, 2, true).await;
  assert_eq!(seen.frames[0].text(), "hello");
  assert_eq!(
    seen.frames[1].close(),
    (Some(4002), "client ack".to_string())
  );
}

#[tokio::test]
async fn with_automatic_replies_each_side_is_answered_at_once() {
  let backend = Backend::start().await;
  let kiln = proxy(
    "proxy-halfopen",
    &backend,
    &["--var", "ALLOW_HALF_OPEN:false"],
  );
  // The backend closes: kiln answers it itself with the same Close.
  let mut client = WsClient::connect(kiln.addr, "/close-first").await;
  client.send_text("hello").await;
  assert_eq!(
    client.read_frame().await.unwrap().raw,
    close_frame(4001, "backend bye")
  );
  let seen = backend.connection(0, 2, false).await;
  assert_eq!(
    seen.frames[1].close(),
    (Some(4001), "backend bye".to_string())
  );

  // The client closes: it is answered at once, and the backend gets the Close.
  let mut client = WsClient::connect(kiln.addr, "/echo").await;
  client.send_close(Some(4000), "x").await;
  assert_eq!(
    client.read_frame().await.unwrap().raw,
    close_frame(4000, "x")
  );
  let seen = backend.connection(1, 1, false).await;
  assert_eq!(seen.frames[0].close(), (Some(4000), "x".to_string()));
}

#[tokio::test]
async fn a_vanishing_backend_closes_the_client_with_1011() {
  let backend = Backend::start().await;
  let kiln = proxy("proxy-halfopen", &backend, &[]);
  let mut client = WsClient::connect(kiln.addr, "/vanish").await;
  client.send_text("bye?").await;
  let frame = client.read_frame().await.unwrap();
  assert_eq!(
    frame.close(),
    (Some(1011), "The other side disconnected.".to_string())
  );
}

#[tokio::test]
async fn the_pass_through_proxy_couples_both_connections() {
  let backend = Backend::start().await;
  let kiln = proxy("proxy-passthrough", &backend, &[]);
  let mut client = WsClient::connect(kiln.addr, "/echo").await;
  client.send_text("through").await;
  assert_eq!(client.read_frame().await.unwrap().text(), "through");
  client.send_close(Some(4000), "pass").await;
  assert_eq!(
    client.read_frame().await.unwrap().raw,
    close_frame(4000, "pass")
  );
  let seen = backend.connection(0, 2, false).await;
  assert_eq!(seen.frames[1].close(), (Some(4000), "pass".to_string()));

  // From the backend: 200 messages, then its Close, none lost; the client's
  // reply reaches the backend.
  let mut client = WsClient::connect(kiln.addr, "/flood").await;
  for i in 0..200 {
    assert_eq!(client.read_frame().await.unwrap().text(), format!("b{i}"));
  }
  assert_eq!(
    client.read_frame().await.unwrap().raw,
    close_frame(1000, "flood done")
  );
  client.send_close(Some(1000), "got them").await;
  let seen = backend.connection(1, 1, false).await;
  assert_eq!(seen.frames[0].close(), (Some(1000), "got them".to_string()));
}

/// Large messages through the pass-through proxy, both ways (client →
/// backend → echo → client): each of 1 KiB to 20 MiB arrives whole, in
/// order. A message larger than the 1 MiB a reader lets wait before it
/// pauses used to stall the connection for good: the writer that drains a
/// connection's queue never woke the paused reader on the other side.
#[tokio::test]
async fn large_messages_cross_the_pass_through_proxy() {
  let backend = Backend::start().await;
  let kiln = proxy("proxy-passthrough", &backend, &[]);
  let mut client = WsClient::connect(kiln.addr, "/echo").await;
  let sizes = [1 << 10, 1 << 20, (1 << 20) + 1, 5 << 20, 20 << 20];
  for (i, size) in sizes.into_iter().enumerate() {
    let payload: Vec<u8> = (0..size).map(|n| (n % 251) as u8 ^ i as u8).collect();
    client.send_binary(&payload).await;
    let echo = client
      .read_frame_within(Duration::from_secs(30))
      .await
      .unwrap_or_else(|()| panic!("no echo of {size} bytes within 30 s"))
      .expect("an echo, not the end of the connection");
    assert_eq!(echo.opcode, BINARY);
    assert_eq!(echo.payload.len(), size, "echo of {size} bytes");
    assert!(echo.payload == payload, "echo of {size} bytes differs");
  }
  // Several at once to a backend that reads slowly, so that queues on both
  // sides hold more than 1 MiB and readers pause and resume.
  let mut client = WsClient::connect(kiln.addr, "/slow-echo").await;
  for i in 0..4u8 {
    client.send_binary(&vec![i; 3 << 20]).await;
  }
  for i in 0..4u8 {
    let echo = client
      .read_frame_within(Duration::from_secs(30))
      .await
      .expect("an echo within 30 s")
      .expect("an echo");
    assert_eq!(echo.payload.len(), 3 << 20);
    assert!(
      echo.payload.iter().all(|b| *b == i),
      "echo {i} out of order"
    );
  }
  kiln.assert_alive();
}

#[tokio::test]
async fn refused_backends() {
  let backend = Backend::start().await;
  let kiln = proxy("proxy-halfopen", &backend, &[]);
  // 404: the example answers 502 with the backend's status.
  let (mut client, status) = WsClient::try_connect(kiln.addr, "/404").await;
  assert!(status.starts_with("HTTP/1.1 502"), "{status}");
  let _ = client.read_frame_within(Duration::from_millis(10)).await;

  let kiln = outbound();
  let target = format!("http://{}/404", backend.addr);
  let r = get_json(&kiln, &format!("/fetch?url={target}")).await;
  assert_eq!(
    r,
    json!({"status": 404, "webSocket": null, "body": "no such socket"})
  );

  let target = format!("http://{}/drop", backend.addr);
  let r = get_json(&kiln, &format!("/fetch?url={target}")).await;
  assert!(
    r["threw"]
      .as_str()
      .unwrap()
      .starts_with("TypeError: Failed to connect to 127.0.0.1:"),
    "{r}"
  );
}

#[tokio::test]
async fn fetch_gives_a_socket_to_accept() {
  let backend = Backend::start().await;
  let kiln = outbound();
  let target = format!("ws://{}/echo", backend.addr);
  let r = get_json(&kiln, &format!("/fetch?url={target}")).await;
  let must_accept = "threw TypeError: You must call one of accept() or state.acceptWebSocket() on this WebSocket before sending messages.";
  assert_eq!(
    r,
    json!({"before": [101, 1, must_accept], "echoed": "via fetch"})
  );
  let seen = backend.connection(0, 2, false).await;
  assert_eq!(seen.frames[0].text(), "via fetch");
  assert_eq!(seen.frames[1].close(), (Some(1000), "fetched".to_string()));
  // kiln made the handshake; no compression was offered.
  let head = seen.request_head.to_ascii_lowercase();
  assert!(
    head.contains("upgrade: websocket") && head.contains("sec-websocket-version: 13"),
    "{head}"
  );
  assert!(!head.contains("sec-websocket-extensions"), "{head}");

  let r = get_json(&kiln, &format!("/fetch-aborted?url={target}")).await;
  assert_eq!(r, json!({"threw": "AbortError"}));
  let r = get_json(&kiln, &format!("/fetch-abort-later?url={target}")).await;
  assert_eq!(r, json!({"close": [1006, false]}));
}

#[tokio::test]
async fn new_websocket_opens_sends_and_closes() {
  let backend = Backend::start().await;
  let kiln = outbound();
  let target = format!("ws://{}/echo", backend.addr);
  let log = get_json(
    &kiln,
    &format!("/connect?url={target}&protocols=chat,superchat"),
  )
  .await;
  assert_eq!(
    log,
    json!([
      ["created", 0, target, "", ""],
      ["open", 1, "chat", null],
      ["message", "hi from the worker"],
      ["close", 1000, "done", true, 3],
    ])
  );
  let seen = backend.connection(0, 2, true).await;
  assert!(seen
    .request_head
    .to_ascii_lowercase()
    .contains("sec-websocket-protocol: chat, superchat"));
  assert_eq!(seen.frames[0].text(), "hi from the worker");
  assert_eq!(seen.frames[1].opcode, CLOSE);
}

#[tokio::test]
async fn new_websocket_to_a_closed_port_fails_with_1006() {
  let kiln = outbound();
  // A port nothing listens on: bind one, then let it go.
  let port = std::net::TcpListener::bind("127.0.0.1:0")
    .unwrap()
    .local_addr()
    .unwrap()
    .port();
  let log = get_json(&kiln, &format!("/connect?url=ws://127.0.0.1:{port}/")).await;
  assert_eq!(log[0][1], 0);
  assert_eq!(log[1][0], "error");
  assert!(
    log[1][1].as_str().unwrap().starts_with(&format!(
      "Uncaught TypeError: Failed to connect to 127.0.0.1:{port}"
    )),
    "{log}"
  );
  assert_eq!(log[1][3], 3);
  assert_eq!(
    log[2],
    json!([
      "close",
      1006,
      "Failed to establish websocket connection",
      false,
      3
    ])
  );

  // A server that answers, but not with 101.
  let backend = Backend::start().await;
  let log = get_json(&kiln, &format!("/connect?url=ws://{}/404", backend.addr)).await;
  assert_eq!(
    log[1][1],
    "Uncaught TypeError: Failed to establish the WebSocket connection: expected server to reply with HTTP status code 101 (switching protocols), but received 404 instead."
  );
  assert_eq!(log[2][1], 1006);

  // close() while connecting cancels; error and close follow.
  let log = get_json(
    &kiln,
    &format!("/close-while-connecting?url=ws://{}/echo", backend.addr),
  )
  .await;
  assert_eq!(log[1], json!(["after close()", 1]));
  assert_eq!(log[2][0], "error");
  assert_eq!(
    log[3],
    json!([
      "close",
      1006,
      "Failed to establish websocket connection",
      false,
      3
    ])
  );
}

#[tokio::test]
async fn every_constructor_check_and_message() {
  let kiln = outbound();
  let r = get_json(&kiln, "/constructor").await;
  let syntax = |m: &str| format!("threw SyntaxError: WebSocket Constructor: {m}");
  assert_eq!(r["empty"], syntax("The url is invalid."));
  assert_eq!(r["relative"], syntax("The url is invalid."));
  assert_eq!(r["http"], syntax("The url scheme must be ws or wss."));
  assert_eq!(r["fragment"], syntax("The url fragment must be empty."));
  assert_eq!(
    r["emptyFragment"],
    syntax("The url fragment must be empty.")
  );
  assert_eq!(
    r["badToken"],
    syntax("The protocol header token is invalid.")
  );
  assert_eq!(
    r["badTokenInList"],
    syntax("One of the protocol header tokens is invalid.")
  );
  assert_eq!(
    r["repeated"],
    syntax("The protocols header cannot have repeating values.")
  );
  assert_eq!(r["caseDiffers"], "ok");
  assert_eq!(r["emptyList"], "ok");
  // The URL is kept as given; readyState is CONNECTING.
  assert_eq!(
    r["connecting"],
    json!([0, "ws://EXAMPLE.com:1/a?b", "", ""])
  );
  let accept_first = "threw TypeError: You must call one of accept() or state.acceptWebSocket() on this WebSocket before sending messages.";
  assert_eq!(r["sendWhileConnecting"], accept_first);
  assert_eq!(
    r["acceptWhileConnecting"],
    "threw TypeError: Websockets obtained from the 'new WebSocket()' constructor cannot call accept"
  );
  assert_eq!(r["closeWhileConnecting"], "ok");
  assert_eq!(r["readyStateAfterClose"], 1);
  assert_eq!(
    r["returnInResponse"], "ok [object Response]",
    "the check happens when the Response is sent, not when it is made"
  );
}

#[tokio::test]
async fn wss_backends_are_trusted_through_kiln_extra_ca_certs() {
  let backend = Backend::start_tls().await;
  let dir = std::env::temp_dir().join(format!("kiln-ca-{}", std::process::id()));
  std::fs::create_dir_all(&dir).unwrap();
  let pem = dir.join("ca.pem");
  std::fs::write(&pem, backend.cert_pem.as_ref().unwrap()).unwrap();
  let kiln = Kiln::start_with_env(
    &workers_dir(),
    &["outbound"],
    1,
    &[("KILN_EXTRA_CA_CERTS", pem.to_str().unwrap())],
  );
  let target = format!("wss://localhost:{}/echo", backend.addr.port());
  let log = get_json(&kiln, &format!("/connect?url={target}")).await;
  assert_eq!(log[1], json!(["open", 1, null, null]), "{log}");
  assert_eq!(log[2], json!(["message", "hi from the worker"]));
  assert_eq!(log[3], json!(["close", 1000, "done", true, 3]));

  // Without the certificate, the handshake fails.
  let untrusting = outbound();
  let log = get_json(&untrusting, &format!("/connect?url={target}")).await;
  assert_eq!(log[1][0], "error", "{log}");
  assert_eq!(log[2][1], 1006);
}

/// A server that accepts the connection and never answers the handshake:
/// the attempt fails after `--connect-timeout` (close 1006), instead of
/// holding the socket for good.
#[tokio::test]
async fn a_handshake_that_never_ends_times_out() {
  let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
  let port = silent.local_addr().unwrap().port();
  let held = tokio::spawn(async move {
    let mut held = Vec::new();
    while let Ok((stream, _)) = silent.accept().await {
      held.push(stream);
    }
  });
  let kiln = Kiln::start(&["outbound", "--connect-timeout", "500ms"]);
  let started = std::time::Instant::now();
  let log = get_json(&kiln, &format!("/connect?url=ws://127.0.0.1:{port}/")).await;
  let took = started.elapsed();
  assert_eq!(log[1][0], "error", "{log}");
  assert!(
    log[1][1]
      .as_str()
      .unwrap()
      .contains("did not connect and finish its handshake within 500 ms"),
    "{log}"
  );
  assert_eq!(log[2][0], "close", "{log}");
  assert_eq!(log[2][1], 1006, "{log}");
  assert!(
    took >= std::time::Duration::from_millis(450) && took < std::time::Duration::from_secs(4),
    "the attempt ended after {took:?}"
  );
  held.abort();
}
