//! `kiln dev` over real sockets: worker formats, module imports, the day-one
//! Web APIs, isolation from deno's internals, and error handling.

use std::time::{Duration, Instant};

use kiln_tests::{run_to_exit, workers_dir, Kiln};
use serde_json::json;

fn modules() -> Kiln {
  Kiln::start(&["modules"])
}

#[tokio::test]
async fn module_worker_answers_with_status_headers_and_body() {
  let kiln = modules();
  let reply = kiln.get("/hello").await;
  assert_eq!(reply.status, 200);
  assert_eq!(reply.header("x-kiln-test"), Some("yes"));
  assert_eq!(
    reply.header("content-type"),
    Some("text/plain;charset=UTF-8")
  );
  assert_eq!(reply.text(), "Hello, kiln!");
  let missing = kiln.get("/nowhere").await;
  assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn module_worker_imports_another_file() {
  let kiln = modules();
  assert_eq!(kiln.get("/import").await.text(), "hello from lib.js");
}

#[tokio::test]
async fn vars_from_the_configuration_are_the_env() {
  let kiln = modules();
  let env = kiln.get("/env").await.json();
  assert_eq!(
    env,
    json!({"GREETING": "hi there", "LIMITS": {"max": 3, "names": ["a", "b"]}})
  );
}

#[tokio::test]
async fn service_worker_format_with_vars_as_globals() {
  let kiln = Kiln::start(&["service-worker"]);
  let reply = kiln.get("/path").await;
  assert_eq!(reply.status, 200);
  assert_eq!(reply.header("x-format"), Some("service-worker"));
  assert_eq!(reply.text(), "service worker says hello to /path");
  // respondWith(undefined) is a handler error, not a crash.
  assert_eq!(kiln.get("/no-respond").await.status, 500);
  assert_eq!(kiln.get("/again").await.status, 200);
  // So is a listener that throws; the worker keeps serving (it used to stop
  // its event loop, and with it every later request).
  assert_eq!(kiln.get("/throw").await.status, 500);
  assert_eq!(kiln.get("/after-throw").await.status, 200);
  kiln.wait_for_output("Uncaught Error: listener threw");
  // A listener of the worker's own EventTarget that throws is reported and
  // the dispatch goes on (it used to stop the worker the same way).
  let reply = kiln.get("/target-throws").await;
  assert_eq!(
    (reply.status, reply.text()),
    (200, "first,second".to_string())
  );
  kiln.wait_for_output("Uncaught Error: a listener threw");
  assert_eq!(kiln.get("/still-serving").await.status, 200);
  kiln.assert_alive();
}

#[tokio::test]
async fn a_script_path_uses_the_configuration_beside_it() {
  // As with wrangler, the configuration is discovered from the script's
  // directory: its vars apply.
  let kiln = Kiln::start(&["service-worker/sw.js"]);
  assert_eq!(
    kiln.get("/x").await.text(),
    "service worker says hello to /x"
  );
}

#[tokio::test]
async fn a_script_without_configuration_has_no_vars() {
  let dir = std::env::temp_dir().join(format!("kiln-bare-{}", std::process::id()));
  std::fs::create_dir_all(&dir).unwrap();
  std::fs::copy(
    workers_dir().join("service-worker/sw.js"),
    dir.join("sw.js"),
  )
  .unwrap();
  let kiln = Kiln::start_in(&dir, &["sw.js"]);
  let reply = kiln.get("/").await;
  assert_eq!(reply.status, 500);
  kiln.wait_for_output("GREETING");
}

#[tokio::test]
async fn the_worker_sees_no_deno_internals() {
  let kiln = modules();
  let globals = kiln.get("/globals").await.json();
  assert_eq!(
    globals,
    json!({
      "deno": "undefined",
      "bootstrap": "undefined",
      "self": true,
      "navigator": "Cloudflare-Workers",
      "internals": [],
    })
  );
}

#[tokio::test]
async fn request_method_url_headers_and_body_reach_the_handler() {
  let kiln = modules();
  let reply = kiln
    .request("POST", "/request?q=1", &[("x-custom", "value")], "the body")
    .await
    .json();
  assert_eq!(reply["method"], "POST");
  assert_eq!(reply["url"], kiln.url("/request?q=1"));
  assert_eq!(reply["header"], "value");
  assert_eq!(reply["body"], "the body");
  assert_eq!(reply["immutable"], true);
  let get = kiln.get("/request").await.json();
  assert_eq!(get["body"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_request_body_streams_back_out() {
  let kiln = modules();
  let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
  let reply = kiln
    .request(
      "POST",
      "/echo",
      &[("content-type", "application/octet-stream")],
      payload.clone(),
    )
    .await;
  assert_eq!(reply.status, 200);
  assert_eq!(
    reply.header("content-type"),
    Some("application/octet-stream")
  );
  assert_eq!(reply.body.len(), payload.len());
  assert!(reply.body == payload, "echoed bytes differ");
}

#[tokio::test]
async fn every_kind_of_response_body() {
  let kiln = modules();
  let string = kiln.get("/body/string").await;
  assert_eq!(string.text(), "a string body");
  assert_eq!(string.header("content-length"), Some("13"));

  assert_eq!(kiln.get("/body/arraybuffer").await.text(), "KILN");
  // Uint16Array [0x4b4b, 0x4e4e] in little-endian byte order.
  assert_eq!(kiln.get("/body/typed").await.text(), "KKNN");

  let stream = kiln.get("/body/stream").await;
  assert_eq!(stream.status, 200);
  assert_eq!(stream.header("transfer-encoding"), Some("chunked"));
  assert_eq!(stream.text(), "chunk0;chunk1;chunk2;chunk3;chunk4;");

  let null = kiln.get("/body/null").await;
  assert_eq!(null.status, 204);
  assert_eq!(null.header("x-null"), Some("1"));
  assert!(null.body.is_empty());

  let json_reply = kiln.get("/body/json").await;
  assert_eq!(json_reply.status, 201);
  assert_eq!(json_reply.header("content-type"), Some("application/json"));
  assert_eq!(json_reply.json(), json!({"ok": true, "n": 42}));
}

#[tokio::test]
async fn the_day_one_web_apis_work() {
  let kiln = modules();
  let apis = kiln.get("/apis").await.json();
  let expect = |name: &str, value: serde_json::Value| {
    assert_eq!(apis[name], value, "{name}: got {}", apis[name]);
  };
  expect("headers", json!(["1, 2", "3", false, "a,b"]));
  expect(
    "url",
    json!(["https://example.com/a/x?y=1#z", "/a/x", "1", "#z"]),
  );
  expect("urlSearchParams", json!([["1", "3"], "a=1&b=2&a=3&c=x+y"]));
  expect("textEncoder", json!([104, 195, 169, 226, 130, 172]));
  expect("textDecoder", json!("h\u{e9}\u{20ac}"));
  expect("base64", json!(["a2lsbv8=", "kiln"]));
  expect("setTimeout", json!(["x", "y", true]));
  expect("clearTimeout", json!(false));
  expect("setInterval", json!(3));
  expect("queueMicrotask", json!(["sync", "microtask", "promise"]));
  expect("structuredClone", json!([true, true, "one"]));
  expect("getRandomValues", json!([32, true]));
  expect("getRandomValuesQuota", json!("QuotaExceededError"));
  expect("getRandomValuesFloat", json!("TypeMismatchError"));
  expect("randomUUID", json!([true, true]));
  expect("atobInvalid", json!(["InvalidCharacterError", true]));
  expect(
    "subtleDigest",
    json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
  );
  // RFC 4231-style known answer: HMAC-SHA256("key", "The quick brown fox...").
  expect(
    "subtleHmac",
    json!("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"),
  );
  expect("subtleAesGcm", json!([22, "secret"]));
  expect("subtleEcdsa", json!([true, true]));
  expect("eventTarget", json!(["ping:true", "once", "ping:true"]));
  expect("abortController", json!([true, "why", "abort"]));
  expect("readableStream", json!("ab"));
  expect("responseJson", json!(["application/json", [1, 2]]));
  expect(
    "request",
    json!(["POST", "https://example.com/p", "payload"]),
  );
  expect("console", json!(true));

  // Console output carries the worker's name; warn and error go to stderr,
  // which is read by its own thread: wait for each line.
  for line in [
    "[web-apis] console.log works { nested: [ 1, 2 ] }",
    "[web-apis] console.info works",
    "[web-apis] console.warn works",
    "[web-apis] console.error works",
    "[web-apis] console.debug works",
  ] {
    kiln.wait_for_output(line);
  }
}

#[tokio::test]
async fn a_handler_exception_is_a_500_and_the_server_keeps_serving() {
  let kiln = modules();
  let reply = kiln.get("/throw").await;
  assert_eq!(reply.status, 500);
  let out = kiln.wait_for_output("boom from the handler");
  // The stack names the worker's own file and line.
  assert!(out.contains("worker.js:"), "no stack in:\n{out}");

  assert_eq!(kiln.get("/reject").await.status, 500);
  kiln.wait_for_output("async boom");

  assert_eq!(kiln.get("/not-a-response").await.status, 500);
  kiln.wait_for_output("did not resolve to 'Response'");

  // An exception in a timer is reported and does not stop the worker.
  assert_eq!(kiln.get("/uncaught-timer").await.status, 200);
  kiln.wait_for_output("thrown inside a timer");

  let reply = kiln.get("/hello").await;
  assert_eq!(reply.status, 200);
  assert_eq!(reply.text(), "Hello, kiln!");
}

#[tokio::test]
async fn concurrent_requests_interleave_on_one_isolate() {
  let kiln = modules();
  let addr = kiln.addr;
  let waiting =
    tokio::spawn(
      async move { kiln_tests::send(addr, "GET", "/wait", &[], Default::default()).await },
    );
  // Retry until the first request has reached the worker.
  let deadline = Instant::now() + Duration::from_secs(10);
  while kiln.get("/release?v=42").await.status != 200 {
    assert!(
      Instant::now() < deadline,
      "the waiting request never reached the worker"
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
  }
  let reply = waiting.await.unwrap();
  assert_eq!(reply.text(), "released with 42");
}

#[tokio::test]
async fn wait_until_runs_after_the_response() {
  let kiln = modules();
  assert_eq!(kiln.get("/wait-until").await.text(), "scheduled");
  let deadline = Instant::now() + Duration::from_secs(10);
  loop {
    let status = kiln.get("/wait-until/status").await.text();
    if status == "true" {
      break;
    }
    assert!(
      Instant::now() < deadline,
      "waitUntil's work never ran: {status}"
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
  }
}

#[tokio::test]
async fn fetch_reaches_another_server_but_not_files() {
  let upstream = Kiln::start(&["service-worker"]);
  let kiln = modules();
  let target = upstream.url("/via-fetch");
  let reply = kiln.get(&format!("/fetch?url={target}")).await;
  assert_eq!(
    reply.text(),
    "upstream 200: service worker says hello to /via-fetch"
  );

  let reply = kiln.get("/fetch?url=file:///etc/passwd").await;
  assert_eq!(reply.status, 502);
  assert!(
    reply.text().starts_with("fetch failed: TypeError"),
    "{}",
    reply.text()
  );
}

#[test]
fn a_syntax_error_stops_start_up_naming_file_line_and_column() {
  let exit = run_to_exit(
    &workers_dir(),
    &["dev", "broken/syntax-error.js", "--port", "0"],
  );
  assert_eq!(exit.code, Some(1));
  assert!(exit.stderr.contains("SyntaxError"), "{}", exit.stderr);
  assert!(
    exit.stderr.contains("broken/syntax-error.js:4:3"),
    "no file:line:column in {}",
    exit.stderr
  );
  assert!(!exit.stdout.contains("ready on"), "{}", exit.stdout);
}

#[test]
fn a_missing_handler_is_a_start_up_error() {
  for (script, message) in [
    ("broken/no-handler.js", "has no fetch handler"),
    ("broken/no-listener.js", "has no fetch handler"),
    (
      "broken/throws-at-start.js",
      "RangeError: thrown while the script runs",
    ),
    ("broken/missing-import.js", "does-not-exist.js"),
    ("broken/escape-import.js", "Module not found"),
  ] {
    let exit = run_to_exit(&workers_dir(), &["dev", script, "--port", "0"]);
    assert_eq!(exit.code, Some(1), "{script}: {}", exit.stderr);
    assert!(exit.stderr.contains(message), "{script}: {}", exit.stderr);
    assert!(
      !exit.stderr.contains("panicked"),
      "{script}: {}",
      exit.stderr
    );
  }
}

#[test]
fn a_missing_script_or_config_is_a_clear_error() {
  let exit = run_to_exit(&workers_dir(), &["dev", "nope.js", "--port", "0"]);
  assert_eq!(exit.code, Some(1));
  assert!(exit.stderr.contains("nope.js"), "{}", exit.stderr);
  let empty = std::env::temp_dir().join(format!("kiln-empty-{}", std::process::id()));
  std::fs::create_dir_all(&empty).unwrap();
  let exit = run_to_exit(&empty, &["dev", "--port", "0"]);
  assert_eq!(exit.code, Some(1));
  assert!(exit.stderr.contains("No worker to run"), "{}", exit.stderr);
}

/// What the edge adds, as wrangler dev emulates it: the client's address in
/// CF-Connecting-IP (a client's own value kept), the encodings the edge
/// accepts, and request.cf with wrangler dev's fixed location.
#[tokio::test]
async fn requests_arrive_as_the_edge_delivers_them() {
  let kiln = modules();
  let reply = kiln.get("/edge").await.json();
  assert_eq!(
    reply,
    serde_json::json!({
      "connectingIp": "127.0.0.1",
      "acceptEncoding": "br, gzip",
      "colo": "DFW",
      "country": "US",
      "asn": 395747,
      "constructedCf": null
    })
  );
  let reply = kiln
    .request("GET", "/edge", &[("cf-connecting-ip", "203.0.113.9")], "")
    .await
    .json();
  assert_eq!(reply["connectingIp"], "203.0.113.9");
}
