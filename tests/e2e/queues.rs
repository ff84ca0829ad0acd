//! Queues, end to end, on wrangler dev (the reference) and on kiln.
//!
//! One worker, tests/workers/queues/ (worker.js + wrangler.toml; worker
//! "queues-worker"), produces to ten queues and consumes them all: its
//! queue() handler records every batch it is given (module state: the
//! handler runs in the worker's own isolate), then acts on each message as
//! its body says (`{t: <tag>, do: [steps], upTo, on}`: ack, retry, ackAll,
//! retryAll, throw; see worker.js). `GET /scenario/<name>` runs a producer
//! scenario and answers its report; `GET /received` answers every batch so
//! far (queue, when it came, and per message its id, timestamp, attempts and
//! body in the tagged form of tests/workers/kv/worker.js).
//!
//! Deliveries are asynchronous: a test runs a scenario, then polls
//! `/received` (with a deadline) until what it expects has come, then
//! asserts what came, and that kiln got what wrangler got. Ids are random,
//! so batches are compared as views where an id is "#<n>", the order in
//! which it was first seen; timestamps are checked against the wall clock
//! and against the message's earlier deliveries. Where the order of
//! deliveries is not deterministic (different queues, timers racing), only
//! the parts that are (the deliveries of one message, one queue's order) are
//! compared. Time is measured with the worker's own Date.now() (when a batch
//! came against when the scenario sent), and only as lower bounds: a delay
//! never ends early, but a loaded machine may deliver late.
//!
//! What wrangler 4.86.0 / Miniflare 4.20260426.0 does that Cloudflare does
//! not (kiln follows wrangler dev): a consumer's defaults are max_batch_size
//! 5, max_batch_timeout 1 s and max_retries 2 (Cloudflare: 10, 5 s, 3); a
//! batch may hold 288000 bytes (Cloudflare: 256 KB); delaySeconds may be up
//! to 86400 (Cloudflare: 43200); a "bytes" body arrives as an ArrayBuffer;
//! every refusal of the broker (too big, bad delay, unparsable JSON) reaches
//! the producer as `Error: Unknown Internal Error (15000)`; ackAll() does not
//! undo an earlier retry(); nothing of a queue survives a restart.
//!
//! How the runtimes are started (each test has its own processes):
//! - wrangler: `tests/support/wrangler.rs` runs `wrangler dev --local
//!   --persist-to <state>` on a copy of tests/workers/queues/.
//! - kiln: `kiln dev -c queues/wrangler.toml --persist-to <state>` from
//!   tests/workers.
//!
//! Running:
//!   cargo test --offline -p kiln-tests --no-default-features \
//!     --features quickjs --test queues
//! runs every test on both runtimes and compares them (kiln must be built:
//! `make build`, or KILN_BIN). With `KILN_QUEUES_REFERENCE_ONLY=1` only
//! wrangler runs: that checks the expectations themselves against the
//! reference. wrangler comes from `make reference` (tests/reference).

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kiln_tests::json::{assert_json, assert_kiln_report, undef};
use kiln_tests::side::{self, Kind, Side, Target};
use kiln_tests::workerd::TempDir;
use kiln_tests::wrangler::{self, Wrangler};
use kiln_tests::{run_to_exit, send, workers_dir, Kiln};
use serde_json::{json, Value};

/// How long a test waits for the deliveries it expects.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(30);

/// How long a line may take to show up in a runtime's output.
const LOG_DEADLINE: Duration = Duration::from_secs(15);

/// How much earlier than its delay a timer may fire (Node's and workerd's
/// timers round to the millisecond).
const TIMER_SLACK_MS: i64 = 50;

/// How far a message's timestamp may lie outside the wall-clock window of
/// the scenario that sent it (workerd's Date.now() stands still while a
/// request runs).
const CLOCK_SLACK_MS: i64 = 2_000;

/// What every refusal of Miniflare's broker reads like in the producer: the
/// broker's own message does not reach workerd (its error response is not
/// valid HTTP), so workerd reports the default cause and code
/// (queue_expose_error_codes, compatibility date 2026-03-12 on).
const INTERNAL: &str = "Unknown Internal Error (15000)";

// ---------------------------------------------------------------------------
// The runtimes.

const REFERENCE_ONLY: &str = "KILN_QUEUES_REFERENCE_ONLY";

fn reference_only() -> bool {
  side::reference_only(REFERENCE_ONLY)
}

fn now_ms() -> i64 {
  SystemTime::now()
    .duration_since(UNIX_EPOCH)
    .expect("a clock after 1970")
    .as_millis() as i64
}

/// What the queue tests ask of a side beyond the shared ones.
trait Consumer {
  async fn received(&self, queue: Option<&str>) -> Vec<Batch>;
  async fn wait_for(
    &self,
    queue: Option<&str>,
    what: &str,
    done: impl Fn(&[Batch]) -> bool,
  ) -> Vec<Batch>;
  async fn expect_output(&self, needle: &str);
}

impl Consumer for Side {
  /// Every batch received so far, of one queue or (`None`) of all.
  async fn received(&self, queue: Option<&str>) -> Vec<Batch> {
    let path = match queue {
      Some(q) => format!("/received?queue={q}"),
      None => "/received".to_string(),
    };
    let got = self.json(&path).await;
    got["batches"]
      .as_array()
      .unwrap_or_else(|| panic!("{}: /received answered {got}", self.label()))
      .iter()
      .map(Batch::parse)
      .collect()
  }

  /// Polls `/received` until `done` holds for what came (of `queue`, or of
  /// every queue), or fails after DELIVERY_DEADLINE.
  async fn wait_for(
    &self,
    queue: Option<&str>,
    what: &str,
    done: impl Fn(&[Batch]) -> bool,
  ) -> Vec<Batch> {
    let deadline = Instant::now() + DELIVERY_DEADLINE;
    loop {
      let batches = self.received(queue).await;
      if done(&batches) {
        return batches;
      }
      assert!(
        Instant::now() < deadline,
        "{}: {what}: not within {DELIVERY_DEADLINE:?}; received so far:\n{}\n-- {} printed:\n{}",
        self.label(),
        serde_json::to_string_pretty(&describe(&batches)).unwrap(),
        self.label(),
        self.tail()
      );
      tokio::time::sleep(Duration::from_millis(100)).await;
    }
  }

  /// Waits (at most LOG_DEADLINE) until the output contains `needle`.
  async fn expect_output(&self, needle: &str) {
    let deadline = Instant::now() + LOG_DEADLINE;
    while !self.output().contains(needle) {
      assert!(
        Instant::now() < deadline,
        "{} never printed {needle:?} (waited {LOG_DEADLINE:?}); it printed:\n{}",
        self.label(),
        self.tail()
      );
      tokio::time::sleep(Duration::from_millis(50)).await;
    }
  }
}

/// wrangler, then kiln unless KILN_QUEUES_REFERENCE_ONLY is set.
fn sides() -> Vec<Side> {
  side::sides(
    REFERENCE_ONLY,
    &Target::workers("queues/wrangler.toml"),
    "queues",
  )
}

// ---------------------------------------------------------------------------
// What the consumer recorded.

#[derive(Clone, Debug)]
struct Message {
  id: String,
  timestamp: i64,
  attempts: i64,
  body: Value,
}

#[derive(Clone, Debug)]
struct Batch {
  queue: String,
  /// The consumer's Date.now() when the batch came.
  at: i64,
  /// batch.metadata.metrics as the worker summarises it.
  metrics: Value,
  messages: Vec<Message>,
}

impl Batch {
  fn parse(v: &Value) -> Batch {
    let messages = v["messages"]
      .as_array()
      .unwrap_or_else(|| panic!("a batch without messages: {v}"))
      .iter()
      .map(|m| Message {
        id: m["id"]
          .as_str()
          .unwrap_or_else(|| panic!("id: {m}"))
          .to_string(),
        timestamp: m["timestamp"]
          .as_i64()
          .unwrap_or_else(|| panic!("timestamp is not a Date: {m}")),
        attempts: m["attempts"]
          .as_i64()
          .unwrap_or_else(|| panic!("attempts: {m}")),
        body: m["body"].clone(),
      })
      .collect();
    Batch {
      queue: v["queue"]
        .as_str()
        .unwrap_or_else(|| panic!("queue: {v}"))
        .to_string(),
      at: v["at"].as_i64().unwrap_or_else(|| panic!("at: {v}")),
      metrics: v["metrics"].clone(),
      messages,
    }
  }
}

/// A message's tag (`t` of an object body), or its whole body.
fn label(body: &Value) -> Value {
  match body.get("Object").and_then(|o| o.get("t")) {
    Some(t) => t.clone(),
    None => body.clone(),
  }
}

/// Batches as the tests compare them: per batch its queue and, per message,
/// [label, attempts, "#<n>"] where n numbers the ids in the order first seen.
fn view(batches: &[Batch]) -> Value {
  let mut ids: HashMap<&str, usize> = HashMap::new();
  let mut out = Vec::new();
  for b in batches {
    let mut messages = Vec::new();
    for m in &b.messages {
      let n = ids.len();
      let k = *ids.entry(m.id.as_str()).or_insert(n);
      messages.push(json!([label(&m.body), m.attempts, format!("#{k}")]));
    }
    out.push(json!({ "queue": b.queue, "messages": messages }));
  }
  Value::Array(out)
}

/// The same, with times, for failure messages.
fn describe(batches: &[Batch]) -> Value {
  let mut v = view(batches);
  for (b, d) in batches.iter().zip(v.as_array_mut().unwrap()) {
    d["at"] = json!(b.at);
  }
  v
}

/// [label, attempts] of every delivery, in order.
fn deliveries(batches: &[Batch]) -> Vec<(Value, i64)> {
  batches
    .iter()
    .flat_map(|b| b.messages.iter().map(|m| (label(&m.body), m.attempts)))
    .collect()
}

/// How many deliveries of the message labelled `tag` came.
fn count(batches: &[Batch], tag: &str) -> usize {
  deliveries(batches)
    .iter()
    .filter(|(l, _)| l == &json!(tag))
    .count()
}

/// Whether attempt `attempts` of the message labelled `tag` came.
fn has(batches: &[Batch], tag: &str, attempts: i64) -> bool {
  deliveries(batches)
    .iter()
    .any(|(l, a)| l == &json!(tag) && *a == attempts)
}

/// The first delivery of attempt `attempts` of the message labelled `tag`.
fn arrival(batches: &[Batch], tag: &str, attempts: i64) -> (i64, Message) {
  for b in batches {
    for m in &b.messages {
      if label(&m.body) == json!(tag) && m.attempts == attempts {
        return (b.at, m.clone());
      }
    }
  }
  panic!(
    "no attempt {attempts} of {tag} in:\n{}",
    serde_json::to_string_pretty(&describe(batches)).unwrap()
  );
}

/// Every message's id is 32 lowercase hex digits (16 random bytes); its
/// timestamp lies within the window in which it was sent; every delivery of
/// one id has the same timestamp (retries and the dead-letter queue too);
/// distinct messages have distinct ids.
fn check_ids_and_timestamps(side: &Side, batches: &[Batch], sent: (i64, i64)) {
  let mut first: HashMap<&str, i64> = HashMap::new();
  for b in batches {
    for m in &b.messages {
      assert!(
        m.id.len() == 32
          && m
            .id
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "{}: id {:?} is not 32 lowercase hex digits",
        side.label(),
        m.id
      );
      assert!(
        m.timestamp >= sent.0 - CLOCK_SLACK_MS && m.timestamp <= sent.1 + CLOCK_SLACK_MS,
        "{}: timestamp {} of {} is not within the sending window {:?}",
        side.label(),
        m.timestamp,
        m.id,
        sent
      );
      let t = *first.entry(m.id.as_str()).or_insert(m.timestamp);
      assert_eq!(
        t,
        m.timestamp,
        "{}: message {} changed its timestamp between deliveries",
        side.label(),
        m.id
      );
    }
  }
}

/// Runs `/scenario/<name>` on every side, with the wall-clock window around
/// it; wrangler must answer `want`, kiln what wrangler answered.
async fn run(sides: &[Side], name: &str, want: &Value) -> Vec<(i64, i64)> {
  run_except(sides, name, want, &[]).await
}

/// As [`run`], except where kiln deliberately differs from wrangler dev
/// (see [`assert_kiln_report`]).
async fn run_except(
  sides: &[Side],
  name: &str,
  want: &Value,
  differences: &[(&str, Value)],
) -> Vec<(i64, i64)> {
  let mut windows = Vec::new();
  let mut answers = Vec::new();
  for side in sides {
    let before = now_ms();
    let got = side.scenario(name).await;
    windows.push((before, now_ms()));
    answers.push(got);
  }
  agree_except(
    sides,
    &format!("/scenario/{name}"),
    want,
    &answers,
    differences,
  );
  windows
}

/// wrangler's `got` must be `want`, and kiln's must be wrangler's.
fn agree(sides: &[Side], what: &str, want: &Value, got: &[Value]) {
  agree_except(sides, what, want, got, &[]);
}

fn agree_except(
  sides: &[Side],
  what: &str,
  want: &Value,
  got: &[Value],
  differences: &[(&str, Value)],
) {
  let mut reference = None;
  for (side, got) in sides.iter().zip(got) {
    match side.kind {
      Kind::Wrangler => {
        assert_json(&format!("wrangler (the reference) on {what}"), want, got);
        reference = Some(got);
      }
      Kind::Kiln => assert_kiln_report(what, want, reference, got, differences),
    }
  }
}

/// A plain object, as the worker's `enc` tags it.
fn obj(v: Value) -> Value {
  json!({ "Object": v })
}

/// What send() and sendBatch() resolve to, as the worker summarises it:
/// `{metadata: {metrics: {backlogCount, backlogBytes, oldestMessageTimestamp}}}`
/// (the numbers are not compared; oldestMessageTimestamp is undefined when
/// the broker holds nothing).
fn sent_ok() -> Value {
  json!({ "ok": obj(json!({ "sent": obj(json!({
    "keys": ["metadata"],
    "metadataKeys": ["metrics"],
    "metricsKeys": ["backlogCount", "backlogBytes", "oldestMessageTimestamp"],
    "counts": ["number", "number"],
    "oldest": "undefined",
  })) })) })
}

/// A call that answered a promise which rejected with `name: message`.
fn rejected(name: &str, message: &str) -> Value {
  json!({ "rejected": { "name": name, "message": message } })
}

fn rejected_named(name: &str) -> Value {
  json!({ "rejected": { "name": name } })
}

// ---------------------------------------------------------------------------
// The producer.

/// env.QUEUE is a WorkerQueue with send, sendBatch and metrics; metrics()
/// of an idle queue is zeros with an undefined oldestMessageTimestamp (the
/// key is there).
#[tokio::test]
async fn the_binding_is_a_worker_queue() {
  let sides = sides();
  run(
    &sides,
    "binding",
    &json!({
      "string": "[object WorkerQueue]",
      "tag": "[object WorkerQueue]",
      "typeof": "object",
      "constructor": "WorkerQueue",
      "ownKeys": [],
      "methods": ["constructor", "metrics", "send", "sendBatch"],
      "typeofs": ["function", "function", "function"],
      "envKeys": ["DEFAULTS", "DROP", "LATE", "PAIRS", "QUEUE", "RETRY", "SINGLE", "SLOW", "SLOWRETRY"],
      "same": true,
      "distinct": true,
      "metrics": { "ok": obj(json!({ "backlogCount": 0, "backlogBytes": 0, "oldestMessageTimestamp": undef() })) },
    }),
  )
  .await;
}

/// Every content type by send() and sendBatch(), and how the consumer gets
/// it: text a string, bytes an ArrayBuffer (whatever view was sent), json
/// the parsed value, v8 a structured clone; without a contentType JSON
/// (queues_json_messages), so a Date arrives as its ISO string. The type is
/// case-insensitive. send() detaches the buffer of a "bytes" view (it is
/// empty afterwards), sendBatch() does not. Messages come in the order they were sent, every one
/// on attempt 1 with an id of its own and the time it was sent; the batch
/// and its messages have the shape below.
#[tokio::test]
async fn every_content_type_is_delivered_decoded() {
  let sides = sides();
  let sent = sent_ok();
  let windows = run(
    &sides,
    "send-types",
    &json!({
      "text": sent, "bytes": sent, "bytesDetached": true, "bytesView": sent, "json": sent,
      "jsonString": sent, "v8": sent, "defaultType": sent, "upperCase": sent, "batch": sent,
      "batchBytesKept": 2,
    }),
  )
  .await;
  let want = json!([
    ["hello", 1],
    [{ "ArrayBuffer": [1, 2, 255] }, 1],
    // new Uint16Array([0x0102, 0x0304]).subarray(1): its two bytes.
    [{ "ArrayBuffer": [4, 3] }, 1],
    [obj(json!({ "a": [1, "x", null], "b": obj(json!({ "c": true })) })), 1],
    ["just a string", 1],
    [obj(json!({
      "map": { "Map": [["k", 1]] },
      "date": { "Date": "1970-01-01T00:00:00.000Z" },
      "bytes": { "Uint8Array": [7] },
      "big": { "BigInt": "5" },
      "set": { "Set": ["s"] },
    })), 1],
    [obj(json!({ "when": "1970-01-01T00:00:00.000Z", "n": 1 })), 1],
    ["upper", 1],
    ["b-text", 1],
    [{ "ArrayBuffer": [9, 8] }, 1],
    [obj(json!({ "b": "json" })), 1],
    [[{ "Map": [[1, 2]] }], 1],
    [obj(json!({ "b": "default" })), 1],
  ]);
  let mut got = Vec::new();
  for (side, window) in sides.iter().zip(&windows) {
    let batches = side
      .wait_for(Some("test-queue"), "13 messages", |b| {
        deliveries(b).len() >= 13
      })
      .await;
    check_ids_and_timestamps(side, &batches, *window);
    assert!(
      batches.iter().all(|b| b.messages.len() <= 10),
      "{}: max_batch_size is 10: {:?}",
      side.label(),
      describe(&batches)
    );
    got.push(json!(deliveries(&batches)));
  }
  agree(&sides, "test-queue's deliveries", &want, &got);

  let mut shapes = Vec::new();
  for side in &sides {
    shapes.push(side.json("/shape").await);
  }
  agree(
    &sides,
    "/shape (the last batch)",
    &json!({
      "batchKeys": ["messages", "metadata", "queue"],
      "batchProto": ["ackAll", "constructor", "retryAll"],
      "batchTag": "[object QueueController]",
      "messagesIsArray": true,
      "messagesFrozen": false,
      // batch.messages is a new array at every read.
      "sameMessages": false,
      "messageKeys": ["attempts", "body", "id", "timestamp"],
      "messageProto": ["ack", "constructor", "retry"],
      "messageTag": "[object QueueMessage]",
      "typeofQueue": "string",
      "typeofId": "string",
      "timestampIsDate": true,
      "typeofAttempts": "number",
      "metadata": obj(json!({ "metrics": obj(json!({
        "backlogCount": 0, "backlogBytes": 0, "oldestMessageTimestamp": undef(),
      })) })),
    }),
    &shapes,
  );
}

/// What send() and sendBatch() refuse: always as a rejected promise, never
/// a synchronous throw. A body that JSON cannot represent (a function, a
/// symbol: JSON.stringify answers undefined) is sent as "undefined" and
/// refused by the broker.
#[tokio::test]
async fn producer_errors() {
  let sides = sides();
  let text_type = |got: &str| {
    rejected(
      "TypeError",
      &format!("Content Type \"text\" requires a value of type string, but received: {got}"),
    )
  };
  let bytes_type = |got: &str| {
    rejected(
      "TypeError",
      &format!(
        "Content Type \"bytes\" requires a value of type ArrayBufferView, but received: {got}"
      ),
    )
  };
  let not_sequence = rejected(
    "TypeError",
    "Failed to execute 'sendBatch' on 'WorkerQueue': parameter 1 is not of type 'Sequence'.",
  );
  let undefined_body = rejected("TypeError", "Message body cannot be undefined");
  // Deliberate differences: where wrangler dev's broker fails with
  // "Unknown Internal Error (15000)" (its error response is malformed), kiln
  // says what is wrong.
  let no_json = rejected(
    "Error",
    "Queue send failed: the message body has no JSON form",
  );
  run_except(
    &sides,
    "send-errors",
    &json!({
      "noArgument": rejected("TypeError", "Failed to execute 'send' on 'WorkerQueue': parameter 1 is not of type 'JsValue'."),
      "undefined": undefined_body,
      "badType": rejected("TypeError", "Unsupported queue message content type: foo"),
      "nullType": rejected("TypeError", "Unsupported queue message content type: null"),
      "textNumber": text_type("number"),
      "textObject": text_type("object"),
      "bytesArrayBuffer": bytes_type("object"),
      "bytesString": bytes_type("string"),
      "jsonFunction": rejected("Error", INTERNAL),
      "jsonSymbol": rejected("Error", INTERNAL),
      "defaultFunction": rejected("Error", INTERNAL),
      // JSON.stringify's TypeError, the structured clone's DataCloneError
      // (their messages are the engine's).
      "jsonBigInt": rejected_named("TypeError"),
      "v8Function": rejected_named("DataCloneError"),
      "optionsNotObject": rejected("TypeError", "Failed to execute 'send' on 'WorkerQueue': parameter 2 is not of type 'SendOptions'."),
      "batchEmpty": rejected("TypeError", "sendBatch() requires at least one message"),
      "batchNoArgument": not_sequence,
      "batchNotArray": not_sequence,
      "batchUndefinedBody": undefined_body,
      "batchNoBody": undefined_body,
      "batchBadType": rejected("TypeError", "Unsupported queue message content type: yaml"),
      "batchTextNumber": text_type("number"),
    }),
    &[
      ("/jsonFunction", no_json.clone()),
      ("/jsonSymbol", no_json.clone()),
      ("/defaultFunction", no_json),
    ],
  )
  .await;
}

/// Miniflare's limits: a message of 128000 bytes (serialized: a JSON string
/// counts its quotes, "é" two bytes), a batch of 100 messages and 288000
/// bytes, a delay of 0 to 86400 s (integers: 1.5 is 1, "abc" is 0). Past
/// them the broker refuses, and the producer sees INTERNAL.
#[tokio::test]
async fn size_count_and_delay_limits() {
  let sides = sides();
  let ok = sent_ok();
  let over = rejected("Error", INTERNAL);
  // Deliberate differences, as for send-errors: kiln names the limit.
  let send = |m: &str| rejected("Error", &format!("Queue send failed: {m}"));
  let batch = |m: &str| rejected("Error", &format!("Queue sendBatch failed: {m}"));
  let length = |n: usize| {
    send(&format!(
      "message length of {n} bytes exceeds limit of 128000"
    ))
  };
  let delay = |d: i64| {
    format!("message delay {d} is invalid: it must be a whole number of seconds from 0 to 86400")
  };
  run_except(
    &sides,
    "limits",
    &json!({
      "text128000": ok,
      "text128001": over,
      "json127998": ok,
      "json127999": over,
      "bytes128001": over,
      "multibyte": over,
      "batch100": ok,
      "batch101": over,
      "batchLargest128001": over,
      "batchTotal288000": ok,
      "batchTotal288001": over,
      "delay0": ok,
      "delay86400": ok,
      "delay86401": over,
      "delayNegative": over,
      "delayFraction": ok,
      "delayString": ok,
      // delaySeconds is a 32-bit integer to workerd.
      "delayHuge": rejected("TypeError", "Value out of range. Must be between -2147483648 and 2147483647 (inclusive)."),
      "batchDelay86401": over,
      "batchMessageDelay86401": over,
      "batchMessageDelayNegative": over,
    }),
    &[
      ("/text128001", length(128001)),
      ("/json127999", length(128001)),
      ("/bytes128001", length(128001)),
      ("/multibyte", length(128002)),
      ("/batch101", batch("batch message count of 101 exceeds limit of 100")),
      (
        "/batchLargest128001",
        batch("message in batch has length 128001 bytes which exceeds single message size limit of 128000"),
      ),
      ("/batchTotal288001", batch("batch size of 288001 bytes exceeds limit of 288000")),
      ("/delay86401", send(&delay(86401))),
      ("/delayNegative", send(&delay(-1))),
      ("/batchDelay86401", batch(&delay(86401))),
      ("/batchMessageDelay86401", batch(&delay(86401))),
      ("/batchMessageDelayNegative", batch(&delay(-1))),
    ],
  )
  .await;
}

// ---------------------------------------------------------------------------
// Batching.

/// A batch is flushed as soon as it holds max_batch_size messages, else
/// max_batch_timeout after its first message came. pairs-queue (2, 1 s):
/// five messages of one sendBatch come as 2, 2, then 1 a second later,
/// each batch's metadata.metrics counting what the broker still holds
/// (bytes: the JSON's, 10 a message). slow-queue (3, 2 s): three sends fill
/// a batch at once; one alone waits the 2 s.
#[tokio::test]
async fn batches_fill_up_or_time_out() {
  let sides = sides();
  run(&sides, "pairs", &sent_ok()).await;
  let mut windows = Vec::new();
  for side in &sides {
    windows.push(
      side.scenario("slow-three").await["sentAt"]
        .as_i64()
        .expect("sentAt"),
    );
  }
  let mut views = Vec::new();
  let mut metrics = Vec::new();
  for side in &sides {
    let batches = side
      .wait_for(Some("pairs-queue"), "five messages", |b| {
        deliveries(b).len() >= 5
      })
      .await;
    assert!(
      batches[2].at - batches[1].at >= 1_000 - TIMER_SLACK_MS,
      "{}: the last, lone, message waits max_batch_timeout (1 s): {}",
      side.label(),
      describe(&batches)
    );
    views.push(view(&batches));
    metrics.push(json!(batches
      .iter()
      .map(|b| b.metrics.clone())
      .collect::<Vec<_>>()));
  }
  let pairs = |ms: &[&str]| {
    json!({ "queue": "pairs-queue", "messages": ms.iter().map(|m| {
      let n = m[1..].parse::<usize>().unwrap() - 1;
      json!([m, 1, format!("#{n}")])
    }).collect::<Vec<_>>() })
  };
  agree(
    &sides,
    "pairs-queue's batches",
    &json!([pairs(&["p1", "p2"]), pairs(&["p3", "p4"]), pairs(&["p5"])]),
    &views,
  );
  agree(
    &sides,
    "pairs-queue's batch.metadata.metrics",
    &json!([
      { "backlogCount": 3, "backlogBytes": 30, "oldestIsDate": true },
      { "backlogCount": 1, "backlogBytes": 10, "oldestIsDate": true },
      { "backlogCount": 0, "backlogBytes": 0, "oldestIsDate": false },
    ]),
    &metrics,
  );

  // Three sends fill slow-queue's batch: it comes before the timeout.
  let mut views = Vec::new();
  for (side, sent_at) in sides.iter().zip(&windows) {
    let batches = side
      .wait_for(Some("slow-queue"), "s1 to s3", |b| deliveries(b).len() >= 3)
      .await;
    assert!(
      batches[0].at - sent_at < 2_000,
      "{}: a full batch does not wait for max_batch_timeout (2 s): sent at {sent_at}, {}",
      side.label(),
      describe(&batches)
    );
    views.push(view(&batches));
  }
  agree(
    &sides,
    "slow-queue's first batch",
    &json!([{ "queue": "slow-queue", "messages": [["s1", 1, "#0"], ["s2", 1, "#1"], ["s3", 1, "#2"]] }]),
    &views,
  );

  // One message alone waits max_batch_timeout.
  let mut sent = Vec::new();
  for side in &sides {
    sent.push(
      side.scenario("slow-one").await["sentAt"]
        .as_i64()
        .expect("sentAt"),
    );
  }
  let mut views = Vec::new();
  for (side, sent_at) in sides.iter().zip(&sent) {
    let batches = side
      .wait_for(Some("slow-queue"), "s4", |b| has(b, "s4", 1))
      .await;
    let (at, _) = arrival(&batches, "s4", 1);
    assert!(
      at - sent_at >= 2_000 - TIMER_SLACK_MS,
      "{}: s4, alone, came {} ms after it was sent, before max_batch_timeout (2 s)",
      side.label(),
      at - sent_at
    );
    views.push(view(&batches[1..]));
  }
  agree(
    &sides,
    "slow-queue's second batch",
    &json!([{ "queue": "slow-queue", "messages": [["s4", 1, "#0"]] }]),
    &views,
  );
}

/// A consumer without settings gets Miniflare's defaults: max_batch_size 5,
/// max_batch_timeout 1 s, max_retries 2 (Cloudflare's documentation says
/// 10, 5 s and 3). Seven messages come as 5, then 2 with the first retry
/// of d2 (retried at once, it joins the batch still waiting for its
/// timeout), then d2's third attempt alone; then d2 is dropped.
#[tokio::test]
async fn a_consumer_without_settings_gets_miniflare_defaults() {
  let sides = sides();
  let windows = run(&sides, "defaults", &sent_ok()).await;
  let mut views = Vec::new();
  for (side, window) in sides.iter().zip(&windows) {
    let batches = side
      .wait_for(Some("defaults-queue"), "d2's third attempt", |b| {
        has(b, "d2", 3)
      })
      .await;
    let (_, d2) = arrival(&batches, "d2", 1);
    side
      .expect_output(&format!(
        "Dropped message \"{}\" on queue \"defaults-queue\" after 3 failed attempts!",
        d2.id
      ))
      .await;
    side.expect_output("QUEUE defaults-queue 4/5 (").await;
    side.expect_output("QUEUE defaults-queue 2/3 (").await;
    side.expect_output("QUEUE defaults-queue 0/1 (").await;
    let batches = side.received(Some("defaults-queue")).await;
    check_ids_and_timestamps(side, &batches, *window);
    views.push(view(&batches));
  }
  let m = |t: &str, attempts: i64, id: usize| json!([t, attempts, format!("#{id}")]);
  agree(
    &sides,
    "defaults-queue's batches",
    &json!([
      { "queue": "defaults-queue", "messages": [m("d1", 1, 0), m("d2", 1, 1), m("d3", 1, 2), m("d4", 1, 3), m("d5", 1, 4)] },
      { "queue": "defaults-queue", "messages": [m("d6", 1, 5), m("d7", 1, 6), m("d2", 2, 1)] },
      { "queue": "defaults-queue", "messages": [m("d2", 3, 1)] },
    ]),
    &views,
  );
}

// ---------------------------------------------------------------------------
// Acknowledging and retrying.

/// ack() and retry() per message, in one batch of test-queue (on the first
/// attempt): whichever of the two comes first wins (the other is ignored
/// with a warning); a message neither acked nor retried is acked when the
/// handler returns. The retried ones come again together, a batch timeout
/// later, with attempts 2, their id and timestamp. wrangler logs each batch
/// as "QUEUE <queue> <acked>/<size> (<n>ms)".
#[tokio::test]
async fn ack_and_retry_per_message() {
  let sides = sides();
  let windows = run(&sides, "acks", &sent_ok()).await;
  let mut views = Vec::new();
  for (side, window) in sides.iter().zip(&windows) {
    let batches = side
      .wait_for(Some("test-queue"), "the retried messages", |b| {
        has(b, "retry", 2) && has(b, "retry-then-ack", 2) && has(b, "retry-twice", 2)
      })
      .await;
    check_ids_and_timestamps(side, &batches, *window);
    side.expect_output("QUEUE test-queue 4/7 (").await;
    side.expect_output("QUEUE test-queue 3/3 (").await;
    let (_, acked) = arrival(&batches, "ack-then-retry", 1);
    let (_, retried) = arrival(&batches, "retry-then-ack", 1);
    side
      .expect_output(&format!(
        "Received a call to retry() on message {} after ack() was already called. \
         Calling retry() on a message after calling ack() has no effect.",
        acked.id
      ))
      .await;
    side
      .expect_output(&format!(
        "Received a call to ack() on message {} after retry() was already called. \
         Calling ack() on a message after calling retry() has no effect.",
        retried.id
      ))
      .await;
    views.push(view(&batches));
  }
  let m = |t: &str, attempts: i64, id: usize| json!([t, attempts, format!("#{id}")]);
  agree(
    &sides,
    "test-queue's batches",
    &json!([
      { "queue": "test-queue", "messages": [
        m("ack", 1, 0), m("retry", 1, 1), m("nothing", 1, 2), m("ack-then-retry", 1, 3),
        m("retry-then-ack", 1, 4), m("retry-twice", 1, 5), m("plain text", 1, 6),
      ] },
      { "queue": "test-queue", "messages": [m("retry", 2, 1), m("retry-then-ack", 2, 4), m("retry-twice", 2, 5)] },
    ]),
    &views,
  );
}

/// ackAll() and retryAll() (single-queue: a batch per message, each acting
/// on its first attempt only). retryAll() retries every message whatever
/// else was called, before or after (ack(), ackAll() are ignored with a
/// warning); ackAll() makes a later retryAll() or retry() a no-op, but not
/// an earlier retry(). Retried messages go to the back of the queue, so
/// the order of all deliveries is fixed.
#[tokio::test]
async fn ack_all_and_retry_all() {
  let sides = sides();
  let windows = run(&sides, "batch-calls", &sent_ok()).await;
  let mut got = Vec::new();
  for (side, window) in sides.iter().zip(&windows) {
    let batches = side
      .wait_for(Some("single-queue"), "the last retry", |b| {
        has(b, "retry-then-ackAll", 2)
      })
      .await;
    check_ids_and_timestamps(side, &batches, *window);
    for warning in [
      "Received a call to retryAll() after ackAll() was already called. Calling retryAll() after calling ackAll() has no effect.".to_string(),
      "Received a call to ackAll() after retryAll() was already called. Calling ackAll() after calling retryAll() has no effect.".to_string(),
      format!(
        "Received a call to ack() on message {} after retryAll() was already called. Calling ack() on a message after calling retryAll() has no effect.",
        arrival(&batches, "retryAll-then-ack", 1).1.id
      ),
      format!(
        "Received a call to retry() on message {} after ackAll() was already called. Calling retry() on a message after calling ackAll() has no effect.",
        arrival(&batches, "ackAll-then-retry", 1).1.id
      ),
    ] {
      side.expect_output(&warning).await;
    }
    got.push(json!(deliveries(&batches)));
  }
  agree(
    &sides,
    "single-queue's deliveries",
    &json!([
      ["retryAll", 1],
      ["ackAll", 1],
      ["ackAll-then-retryAll", 1],
      ["retryAll-then-ackAll", 1],
      ["retryAll-then-ack", 1],
      ["ack-then-retryAll", 1],
      ["ackAll-then-retry", 1],
      ["retry-then-ackAll", 1],
      ["retryAll", 2],
      ["retryAll-then-ackAll", 2],
      ["retryAll-then-ack", 2],
      ["ack-then-retryAll", 2],
      ["retry-then-ackAll", 2],
    ]),
    &got,
  );
}

/// A handler that throws retries its whole batch, the messages it acked
/// too; wrangler prints the error and "QUEUE test-queue 0/3".
#[tokio::test]
async fn a_throwing_handler_retries_the_whole_batch() {
  let sides = sides();
  let windows = run(&sides, "throws", &sent_ok()).await;
  let mut views = Vec::new();
  for (side, window) in sides.iter().zip(&windows) {
    let batches = side
      .wait_for(Some("test-queue"), "the second attempt", |b| {
        has(b, "acked-1", 2) && has(b, "thrower", 2) && has(b, "acked-2", 2)
      })
      .await;
    check_ids_and_timestamps(side, &batches, *window);
    side
      .expect_output("consumer told to throw by thrower")
      .await;
    side.expect_output("QUEUE test-queue 0/3 (").await;
    side.expect_output("QUEUE test-queue 3/3 (").await;
    views.push(view(&batches));
  }
  let m = |t: &str, attempts: i64, id: usize| json!([t, attempts, format!("#{id}")]);
  agree(
    &sides,
    "test-queue's batches",
    &json!([
      { "queue": "test-queue", "messages": [m("acked-1", 1, 0), m("thrower", 1, 1), m("acked-2", 1, 2)] },
      { "queue": "test-queue", "messages": [m("acked-1", 2, 0), m("thrower", 2, 1), m("acked-2", 2, 2)] },
    ]),
    &views,
  );
}

/// retry-queue (max_retries 1, dead_letter_queue "test-dlq"): a message
/// retried on both attempts moves to test-dlq, with its id and timestamp
/// and its attempts counted afresh from 1; batch.queue names the queue.
#[tokio::test]
async fn exhausted_retries_go_to_the_dead_letter_queue() {
  let sides = sides();
  let windows = run(&sides, "dead-letter", &sent_ok()).await;
  let mut views = Vec::new();
  for (side, window) in sides.iter().zip(&windows) {
    side
      .wait_for(None, "doomed in test-dlq", |b| {
        b.iter()
          .any(|b| b.queue == "test-dlq" && !b.messages.is_empty())
      })
      .await;
    let mut batches = side.received(Some("retry-queue")).await;
    batches.extend(side.received(Some("test-dlq")).await);
    check_ids_and_timestamps(side, &batches, *window);
    let (_, doomed) = arrival(&batches, "doomed", 1);
    side
      .expect_output(&format!(
        "Moving message \"{}\" on queue \"retry-queue\" to dead letter queue \"test-dlq\" after 2 failed attempts...",
        doomed.id
      ))
      .await;
    side.expect_output("QUEUE retry-queue 1/2 (").await;
    side.expect_output("QUEUE retry-queue 0/1 (").await;
    side.expect_output("QUEUE test-dlq 1/1 (").await;
    views.push(view(&batches));
  }
  agree(
    &sides,
    "retry-queue's and test-dlq's batches",
    &json!([
      { "queue": "retry-queue", "messages": [["doomed", 1, "#0"], ["fine", 1, "#1"]] },
      { "queue": "retry-queue", "messages": [["doomed", 2, "#0"]] },
      { "queue": "test-dlq", "messages": [["doomed", 1, "#0"]] },
    ]),
    &views,
  );
}

/// drop-queue (max_retries 1, no dead-letter queue): after its second
/// failed attempt the message is dropped, with a warning; a message sent
/// after that (delayed 1 s, so that a third attempt, which would be retried
/// at once, would come first) comes, and the dropped one never again.
#[tokio::test]
async fn exhausted_retries_without_a_dead_letter_queue_drop_the_message() {
  let sides = sides();
  run(&sides, "drop", &sent_ok()).await;
  for side in &sides {
    let batches = side
      .wait_for(Some("drop-queue"), "the second attempt", |b| {
        has(b, "dropped", 2)
      })
      .await;
    let (_, dropped) = arrival(&batches, "dropped", 1);
    side
      .expect_output(&format!(
        "Dropped message \"{}\" on queue \"drop-queue\" after 2 failed attempts!",
        dropped.id
      ))
      .await;
    side.expect_output("QUEUE drop-queue 0/1 (").await;
  }
  run(&sides, "drop-sentinel", &sent_ok()).await;
  let mut views = Vec::new();
  for side in &sides {
    let batches = side
      .wait_for(Some("drop-queue"), "the sentinel", |b| {
        has(b, "sentinel", 1)
      })
      .await;
    assert_eq!(
      count(&batches, "dropped"),
      2,
      "{}: {}",
      side.label(),
      describe(&batches)
    );
    views.push(view(&batches));
  }
  agree(
    &sides,
    "drop-queue's batches",
    &json!([
      { "queue": "drop-queue", "messages": [["dropped", 1, "#0"]] },
      { "queue": "drop-queue", "messages": [["dropped", 2, "#0"]] },
      { "queue": "drop-queue", "messages": [["sentinel", 1, "#1"]] },
    ]),
    &views,
  );
}

// ---------------------------------------------------------------------------
// Delays.

/// delaySeconds holds a message back that long: send()'s, sendBatch()'s for
/// the whole batch, a message's own in a batch (which wins, 0 too), and a
/// producer's delivery_delay (late-queue: 1 s; an explicit 0 wins). The
/// queues flush every message at once (max_batch_size 1), so the order of
/// arrival is the order in which the delays end.
#[tokio::test]
async fn delay_seconds_postpones_delivery() {
  let sides = sides();
  let ok = sent_ok();
  let mut sent = Vec::new();
  for side in &sides {
    let report = side.scenario("delays").await;
    let sent_at = report["sentAt"].as_i64().expect("sentAt");
    let mut rest = report.clone();
    rest.as_object_mut().unwrap().remove("sentAt");
    agree(
      std::slice::from_ref(side),
      "/scenario/delays",
      &json!({ "delayed2": ok, "batch1": ok, "now": ok, "late": ok, "lateZero": ok, "lateBatch": ok }),
      &[rest],
    );
    sent.push(sent_at);
  }
  let delays = [
    ("send-2s", 2_000),
    ("batch-1s", 1_000),
    ("batch-own-0s", 0),
    ("batch-own-2s", 2_000),
    ("now", 0),
    ("late-default", 1_000),
    ("late-0s", 0),
    ("late-batch", 1_000),
  ];
  let mut got = Vec::new();
  for (side, sent_at) in sides.iter().zip(&sent) {
    let batches = side
      .wait_for(None, "every delayed message", |b| {
        delays.iter().all(|(t, _)| has(b, t, 1))
      })
      .await;
    for (tag, delay) in delays {
      let (at, _) = arrival(&batches, tag, 1);
      assert!(
        at - sent_at >= delay - TIMER_SLACK_MS,
        "{}: {tag} came {} ms after it was sent, before its delay of {delay} ms",
        side.label(),
        at - sent_at
      );
    }
    let of = |q: &str| {
      let mine: Vec<Batch> = batches.iter().filter(|b| b.queue == q).cloned().collect();
      json!(deliveries(&mine)
        .into_iter()
        .map(|(l, _)| l)
        .collect::<Vec<_>>())
    };
    got.push(json!({ "single-queue": of("single-queue"), "late-queue": of("late-queue") }));
  }
  agree(
    &sides,
    "the order of arrival",
    &json!({
      "single-queue": ["batch-own-0s", "now", "batch-1s", "send-2s", "batch-own-2s"],
      "late-queue": ["late-0s", "late-default", "late-batch"],
    }),
    &got,
  );
}

/// retry({delaySeconds}) and retryAll({delaySeconds}) hold the retry back
/// that long (0: at once); a consumer's retry_delay (slow-retry-queue: 1 s)
/// is the default for both.
#[tokio::test]
async fn retry_delays() {
  let sides = sides();
  let ok = sent_ok();
  run(
    &sides,
    "retry-delays",
    &json!({ "retry": ok, "retryAll": ok, "retryZero": ok, "configured": ok, "configuredOverridden": ok }),
  )
  .await;
  let tags = [
    ("retry-1s", 1_000),
    ("retryAll-2s", 2_000),
    ("retry-0s", 0),
    ("retry-config", 1_000),
    ("retry-config-0s", 0),
  ];
  let mut got = Vec::new();
  for side in &sides {
    let batches = side
      .wait_for(None, "every retry", |b| {
        tags.iter().all(|(t, _)| has(b, t, 2))
      })
      .await;
    for (tag, delay) in tags {
      let (first, _) = arrival(&batches, tag, 1);
      let (second, _) = arrival(&batches, tag, 2);
      assert!(
        second - first >= delay - TIMER_SLACK_MS,
        "{}: {tag} came again {} ms after its first attempt, before its retry delay of {delay} ms",
        side.label(),
        second - first
      );
    }
    let of = |q: &str| {
      let mine: Vec<Batch> = batches.iter().filter(|b| b.queue == q).cloned().collect();
      json!(deliveries(&mine))
    };
    got.push(
      json!({ "single-queue": of("single-queue"), "slow-retry-queue": of("slow-retry-queue") }),
    );
  }
  agree(
    &sides,
    "the order of arrival",
    &json!({
      "single-queue": [
        ["retry-1s", 1], ["retryAll-2s", 1], ["retry-0s", 1], ["retry-0s", 2],
        ["retry-1s", 2], ["retryAll-2s", 2],
      ],
      "slow-retry-queue": [
        ["retry-config", 1], ["retry-config-0s", 1], ["retry-config-0s", 2], ["retry-config", 2],
      ],
    }),
    &got,
  );
}

// ---------------------------------------------------------------------------
// Persistence.

/// Queues are in memory only: a message due 3 s after it was sent, sent
/// before a kill -9 and a start on the same --persist-to folder, is lost.
/// (A message sent with the same delay after the restart is due later than
/// the lost one, and comes.) wrangler keeps nothing of queues in <state>.
#[tokio::test]
async fn queued_messages_do_not_survive_a_restart() {
  let mut sides = sides();
  run(&sides, "persist-before", &sent_ok()).await;
  for side in &mut sides {
    side.restart();
  }
  run(&sides, "persist-after", &sent_ok()).await;
  let mut got = Vec::new();
  for side in &sides {
    let batches = side
      .wait_for(Some("single-queue"), "after-restart", |b| {
        has(b, "after-restart", 1)
      })
      .await;
    got.push(view(&batches));
  }
  agree(
    &sides,
    "single-queue after the restart",
    &json!([{ "queue": "single-queue", "messages": [["after-restart", 1, "#0"]] }]),
    &got,
  );
  let v3 = sides[0].state.path().join("v3");
  let kept: Vec<String> = std::fs::read_dir(&v3)
    .map(|d| {
      d.map_while(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
    })
    .unwrap_or_default();
  assert!(
    !kept.iter().any(|k| k.contains("queue")),
    "wrangler kept queue state in {}: {kept:?}",
    v3.display()
  );
}

// ---------------------------------------------------------------------------
// Configuration.

/// A worker folder in a temporary directory: tests/workers/queues/worker.js
/// and `files` (name, contents).
fn project(files: &[(&str, &str)]) -> TempDir {
  let dir = TempDir::new("queues-config");
  std::fs::copy(
    workers_dir().join("queues/worker.js"),
    dir.path().join("worker.js"),
  )
  .expect("copy worker.js");
  for (name, contents) in files {
    std::fs::write(dir.path().join(name), contents).expect("write a configuration");
  }
  dir
}

const HEAD: &str =
  "name = \"bad-queues\"\nmain = \"worker.js\"\ncompatibility_date = \"2026-05-01\"\n";

/// Configurations wrangler refuses to start with: (file name, queue tables,
/// what wrangler prints, the key kiln's error must name). Errors in the
/// shape of a table are wrangler's own; out-of-range values are refused by
/// Miniflare's option schema (printed as the options object with the value
/// marked), a dead-letter queue that is the queue itself by Miniflare.
const REFUSED: [(&str, &str, &[&str], &str); 9] = [
  (
    "no-queue.toml",
    "[[queues.producers]]\nbinding = \"QUEUE\"\n",
    &["\"queues.producers[0]\" bindings should have a string \"queue\" field but got {\"binding\":\"QUEUE\"}."],
    "queue",
  ),
  (
    "no-binding.toml",
    "[[queues.producers]]\nqueue = \"q\"\n",
    &["\"queues.producers[0]\" bindings should have a string \"binding\" field but got {\"queue\":\"q\"}."],
    "binding",
  ),
  (
    "consumer-no-queue.toml",
    "[[queues.consumers]]\nmax_batch_size = 3\n",
    &["\"queues.consumers[0]\" should have a string \"queue\" field but got {\"max_batch_size\":3}."],
    "queue",
  ),
  (
    "size-string.toml",
    "[[queues.consumers]]\nqueue = \"q\"\nmax_batch_size = \"10\"\n",
    &["\"queues.consumers[0]\" should, optionally, have a number \"max_batch_size\" field but got {\"queue\":\"q\",\"max_batch_size\":\"10\"}."],
    "max_batch_size",
  ),
  (
    "size-101.toml",
    "[[queues.producers]]\nbinding = \"QUEUE\"\nqueue = \"q\"\n[[queues.consumers]]\nqueue = \"q\"\nmax_batch_size = 101\n",
    &["maxBatchSize: 101,", "Number must be less than or equal to 100"],
    "max_batch_size",
  ),
  (
    "timeout-61.toml",
    "[[queues.producers]]\nbinding = \"QUEUE\"\nqueue = \"q\"\n[[queues.consumers]]\nqueue = \"q\"\nmax_batch_timeout = 61\n",
    &["maxBatchTimeout: 61,", "Number must be less than or equal to 60"],
    "max_batch_timeout",
  ),
  (
    "retries-101.toml",
    "[[queues.producers]]\nbinding = \"QUEUE\"\nqueue = \"q\"\n[[queues.consumers]]\nqueue = \"q\"\nmax_retries = 101\n",
    &["maxRetries: 101,", "Number must be less than or equal to 100"],
    "max_retries",
  ),
  (
    "dlq-itself.toml",
    "[[queues.producers]]\nbinding = \"QUEUE\"\nqueue = \"q\"\n[[queues.consumers]]\nqueue = \"q\"\ndead_letter_queue = \"q\"\n",
    &["Dead letter queue for queue \"q\" cannot be itself"],
    "dead_letter_queue",
  ),
  (
    "delay-86401.toml",
    "[[queues.producers]]\nbinding = \"QUEUE\"\nqueue = \"q\"\ndelivery_delay = 86401\n[[queues.consumers]]\nqueue = \"q\"\n",
    &["deliveryDelay: 86401,", "Number must be less than or equal to 86400"],
    "delivery_delay",
  ),
];

/// Every configuration in REFUSED: wrangler exits 1 with its message (they
/// run in parallel); kiln must refuse too, naming the key (its message is
/// not compared).
#[test]
fn bad_configurations_are_refused() {
  let files: Vec<(String, String)> = REFUSED
    .iter()
    .map(|(name, tables, _, _)| (name.to_string(), format!("{HEAD}{tables}")))
    .collect();
  let refs: Vec<(&str, &str)> = files
    .iter()
    .map(|(n, c)| (n.as_str(), c.as_str()))
    .collect();
  let dir = project(&refs);
  let dir_path = dir.path().to_path_buf();
  let runs: Vec<_> = REFUSED
    .iter()
    .map(|(name, _, _, _)| {
      let name = name.to_string();
      let dir = dir_path.clone();
      std::thread::spawn(move || wrangler::refuses(&name, &dir))
    })
    .collect();
  for ((name, _, needles, _), run) in REFUSED.iter().zip(runs) {
    let (code, printed) = run
      .join()
      .unwrap_or_else(|_| panic!("wrangler on {name} failed"));
    assert_eq!(code, Some(1), "wrangler on {name} printed:\n{printed}");
    for needle in *needles {
      assert!(
        printed.contains(needle),
        "wrangler on {name} does not say {needle:?}; it printed:\n{printed}"
      );
    }
  }
  if reference_only() {
    return;
  }
  for (name, tables, _, key) in REFUSED {
    let kiln = run_to_exit(
      &dir_path,
      &["dev", "-c", name, "--no-persist", "--port", "0"],
    );
    let printed = format!("{}{}", kiln.stdout, kiln.stderr);
    assert!(
      kiln.code.is_some_and(|c| c != 0),
      "kiln started with {name} ({tables}) (exit {:?}); it printed:\n{printed}",
      kiln.code
    );
    assert!(
      printed.contains(key),
      "kiln's error for {name} does not name {key:?}:\n{printed}"
    );
  }
}

/// `queues` is not inherited by an environment: with `--env staging` and
/// queues only at the top level the worker has no queue bindings, and
/// wrangler warns (the text kiln must print too).
#[tokio::test]
async fn queues_are_not_inherited_by_environments() {
  let toml = format!(
    "{HEAD}[[queues.producers]]\nbinding = \"QUEUE\"\nqueue = \"q\"\n[[queues.consumers]]\nqueue = \"q\"\n\n[env.staging]\nname = \"bad-queues-staging\"\n"
  );
  let dir = project(&[("wrangler.toml", &toml)]);
  let _home = TempDir::new("queues-wrangler-home");
  let state = TempDir::new("queues-env-state");
  let _state_arg = state.path().to_string_lossy().into_owned();
  let warning = [
    "\"queues\" exists at the top level, but not on \"env.staging\".",
    "This is not what you probably want, since \"queues\" is not inherited by environments.",
    "Please add \"queues\" to \"env.staging\".",
  ];
  let want = json!({ "envKeys": [] });

  let wrangler = Wrangler::start_with(
    &dir.path().join("wrangler.toml"),
    state.path(),
    &["--env", "staging"],
  );
  let got = send(
    wrangler.addr,
    "GET",
    "/scenario/binding",
    &[],
    Default::default(),
  )
  .await;
  assert_json("wrangler's env with --env staging", &want, &got.json());
  let printed = wrangler.output();
  for line in warning {
    assert!(
      printed.contains(line),
      "wrangler does not say {line:?}; it printed:\n{printed}"
    );
  }
  drop(wrangler);
  if reference_only() {
    return;
  }
  let kiln = Kiln::start_in(
    dir.path(),
    &["-c", "wrangler.toml", "--env", "staging", "--no-persist"],
  );
  let got = send(
    kiln.addr,
    "GET",
    "/scenario/binding",
    &[],
    Default::default(),
  )
  .await;
  assert_json("kiln's env with --env staging", &want, &got.json());
  let printed = kiln.output();
  for line in warning {
    assert!(
      printed.contains(line),
      "kiln does not say {line:?}; it printed:\n{printed}"
    );
  }
}
