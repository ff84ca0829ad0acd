//! Queues (`queues.producers` / `queues.consumers`), brokered in the
//! process as wrangler dev brokers them: messages live in memory (a restart
//! loses them, as it does under wrangler dev), a queue with no consumer in
//! the process drops what is sent to it, and each consumer gets its batches
//! one at a time on its own worker's request queue.
//!
//! A batch is delivered as an internal request (`IncomingRequest::queue`)
//! whose body is JSON: `{messages: [{id, timestamp, contentType, body,
//! attempts}]}` with `body` in base64; js/queues.js runs the worker's
//! `queue()` handler and answers what became of each message:
//! `{outcome, retryBatch: {retry, delaySeconds}, retryMessages: [{msgId,
//! delaySeconds}]}`. Retried messages come back after their delay; a message
//! out of attempts goes to the dead-letter queue when there is one, and is
//! dropped (with a warning) when there is not.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

use crate::http::{IncomingRequest, RequestSender};

/// A consumer's settings, as configured (wrangler dev's defaults where
/// not).
#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerSettings {
  pub queue: String,
  pub max_batch_size: usize,
  pub max_batch_timeout: Duration,
  pub max_retries: u32,
  pub dead_letter_queue: Option<String>,
  /// Seconds a retried message waits when the retry names no delay.
  pub retry_delay: f64,
}

/// wrangler dev's defaults (they differ from production's 10, 5 s and 3).
pub const DEFAULT_BATCH_SIZE: usize = 5;
pub const DEFAULT_BATCH_TIMEOUT: Duration = Duration::from_secs(1);
pub const DEFAULT_RETRIES: u32 = 2;

/// One message on its way.
#[derive(Clone, Debug)]
pub struct Message {
  pub id: String,
  /// Milliseconds since the epoch when it was sent.
  pub timestamp: f64,
  /// `text`, `json`, `bytes` or `v8`.
  pub content_type: String,
  pub body: Vec<u8>,
  failed_attempts: u32,
}

impl Message {
  pub fn new(content_type: &str, body: Vec<u8>) -> Message {
    let now = std::time::SystemTime::now()
      .duration_since(std::time::UNIX_EPOCH)
      .map_or(0.0, |d| d.as_millis() as f64);
    Message {
      id: random_id(),
      timestamp: now,
      content_type: content_type.to_string(),
      body,
      failed_attempts: 0,
    }
  }
}

fn random_id() -> String {
  let mut bytes = [0u8; 16];
  getrandom::fill(&mut bytes).unwrap_or_default();
  bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Default)]
struct Backlog {
  ready: VecDeque<Message>,
  /// Messages waiting out a delay, with the time they become ready.
  delayed: Vec<(Instant, Message)>,
}

impl Backlog {
  /// Moves every delayed message whose time has come to the ready end, in
  /// the order their delays end.
  fn promote(&mut self, now: Instant) {
    if self.delayed.is_empty() {
      return;
    }
    self.delayed.sort_by_key(|(at, _)| *at);
    let due = self.delayed.partition_point(|(at, _)| *at <= now);
    for (_, message) in self.delayed.drain(..due) {
      self.ready.push_back(message);
    }
  }

  fn next_due(&self) -> Option<Instant> {
    self.delayed.iter().map(|(at, _)| *at).min()
  }
}

/// A queue's backlog as `metrics()` and a batch's `metadata` report it.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
  pub backlog_count: f64,
  pub backlog_bytes: f64,
  /// Milliseconds since the epoch; absent when nothing waits.
  pub oldest_message_timestamp: Option<f64>,
}

fn metrics(backlog: &Backlog) -> Metrics {
  Metrics {
    backlog_count: backlog.ready.len() as f64,
    backlog_bytes: backlog
      .ready
      .iter()
      .map(|m| m.body.len() as f64)
      .fold(0.0, |a, b| a + b),
    oldest_message_timestamp: backlog.ready.front().map(|m| m.timestamp),
  }
}

#[derive(Default)]
struct Queue {
  backlog: Mutex<Backlog>,
  arrived: Notify,
}

/// Every queue of the process.
#[derive(Clone, Default)]
pub struct Broker {
  inner: Arc<BrokerInner>,
}

#[derive(Default)]
struct BrokerInner {
  queues: Mutex<HashMap<String, Arc<Queue>>>,
  /// Queues some worker of the process consumes.
  consumed: Mutex<HashSet<String>>,
  /// Queues already warned about (sent to, with no consumer).
  warned: Mutex<HashSet<String>>,
}

impl Broker {
  /// Says that a worker of the process consumes `queue`: from now on what
  /// is sent to it is kept until that worker takes it.
  pub fn declare_consumer(&self, queue: &str) {
    lock(&self.inner.consumed).insert(queue.to_string());
  }

  /// The worker consuming `queue` has stopped: what waits is dropped, and
  /// what is sent from now on too.
  pub fn undeclare_consumer(&self, queue: &str) {
    lock(&self.inner.consumed).remove(queue);
    if let Some(target) = lock(&self.inner.queues).remove(queue) {
      let mut backlog = lock(&target.backlog);
      backlog.ready.clear();
      backlog.delayed.clear();
    }
  }

  /// Whether a worker of the process consumes `queue`: a queue nobody
  /// consumes takes anything and keeps nothing, so nothing is checked.
  pub fn is_consumed(&self, queue: &str) -> bool {
    lock(&self.inner.consumed).contains(queue)
  }

  /// What waits in `queue` for its consumer (delayed messages not
  /// included): count, bytes, and the oldest one's timestamp.
  pub fn metrics(&self, queue: &str) -> Metrics {
    metrics(&lock(&self.queue(queue).backlog))
  }

  fn queue(&self, name: &str) -> Arc<Queue> {
    lock(&self.inner.queues)
      .entry(name.to_string())
      .or_default()
      .clone()
  }

  /// Sends messages to `queue`, each after its delay in seconds.
  pub fn send(&self, queue: &str, messages: Vec<(Message, f64)>) {
    if !lock(&self.inner.consumed).contains(queue) {
      if lock(&self.inner.warned).insert(queue.to_string()) {
        eprintln!(
          "kiln: no worker of this process consumes queue \"{queue}\"; messages sent to it are dropped (as in wrangler dev)"
        );
      }
      return;
    }
    let target = self.queue(queue);
    {
      let mut backlog = lock(&target.backlog);
      let now = Instant::now();
      for (message, delay) in messages {
        if delay > 0.0 {
          backlog
            .delayed
            .push((now + Duration::from_secs_f64(delay), message));
        } else {
          backlog.ready.push_back(message);
        }
      }
    }
    target.arrived.notify_one();
  }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
  m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the worker's handler made of a batch.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct Outcome {
  outcome: String,
  #[serde(default)]
  retry_batch: RetryBatch,
  #[serde(default)]
  retry_messages: Vec<RetryMessage>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct RetryBatch {
  #[serde(default)]
  retry: bool,
  delay_seconds: Option<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
struct RetryMessage {
  msg_id: String,
  delay_seconds: Option<f64>,
}

/// Takes batches from `settings.queue` and hands them to the worker whose
/// request queue is `requests`, until that queue closes.
pub async fn consume(broker: Broker, settings: ConsumerSettings, requests: RequestSender) {
  let queue = broker.queue(&settings.queue);
  let batch_size = settings.max_batch_size.max(1);
  loop {
    // Wait for a first message, then for a full batch or the timeout.
    let deadline = loop {
      let next_due = {
        let mut backlog = lock(&queue.backlog);
        backlog.promote(Instant::now());
        if !backlog.ready.is_empty() {
          break Instant::now() + settings.max_batch_timeout;
        }
        backlog.next_due()
      };
      wait(&queue, next_due).await;
    };
    loop {
      let next_due = {
        let mut backlog = lock(&queue.backlog);
        let now = Instant::now();
        backlog.promote(now);
        if backlog.ready.len() >= batch_size || now >= deadline {
          break;
        }
        backlog.next_due().map_or(deadline, |due| due.min(deadline))
      };
      wait(&queue, Some(next_due)).await;
    }
    let (batch, left): (Vec<Message>, Metrics) = {
      let mut backlog = lock(&queue.backlog);
      let n = backlog.ready.len().min(batch_size);
      let batch = backlog.ready.drain(..n).collect();
      (batch, metrics(&backlog))
    };
    if batch.is_empty() {
      continue;
    }
    let started = Instant::now();
    let outcome = match deliver(&settings.queue, &batch, left, &requests).await {
      Ok(outcome) => outcome,
      Err(Closed) => {
        // The worker is gone: nothing will take what waits or comes.
        broker.undeclare_consumer(&settings.queue);
        return;
      }
    };
    settle(&broker, &settings, batch, outcome, started.elapsed());
  }
}

async fn wait(queue: &Queue, until: Option<Instant>) {
  match until {
    Some(at) => {
      let _ = tokio::time::timeout_at(at, queue.arrived.notified()).await;
    }
    None => queue.arrived.notified().await,
  }
}

struct Closed;

/// Hands a batch to the worker and waits for its verdict. A handler that
/// fails in any way counts as an exception: the whole batch is retried.
async fn deliver(
  queue: &str,
  batch: &[Message],
  left: Metrics,
  requests: &RequestSender,
) -> Result<Outcome, Closed> {
  let base64 = base64::engine::general_purpose::STANDARD;
  let messages: Vec<serde_json::Value> = batch
    .iter()
    .map(|m| {
      json!({
        "id": m.id,
        "timestamp": m.timestamp,
        "contentType": m.content_type,
        "body": base64.encode(&m.body),
        "attempts": m.failed_attempts + 1,
      })
    })
    .collect();
  let body = json!({ "queue": queue, "messages": messages, "metrics": left }).to_string();
  let (reply, response) = oneshot::channel();
  let request = IncomingRequest {
    method: "POST".to_string(),
    url: "http://localhost/".to_string(),
    headers: http::HeaderMap::new(),
    body: Some(
      http_body_util::Full::new(Bytes::from(body))
        .map_err(|never| match never {})
        .boxed_unsync(),
    ),
    reply,
    upgrade: None,
    durable_object: None,
    queue: Some(queue.to_string()),
  };
  if requests.send(request).is_err() {
    return Err(Closed);
  }
  let exception = Outcome {
    outcome: "exception".into(),
    ..Outcome::default()
  };
  let Ok(response) = response.await else {
    return Ok(exception);
  };
  let Ok(collected) = response.into_body().collect().await else {
    return Ok(exception);
  };
  Ok(serde_json::from_slice(&collected.to_bytes()).unwrap_or(exception))
}

/// Puts retried messages back, moves exhausted ones to the dead-letter
/// queue (or drops them), and logs the batch as wrangler dev does.
fn settle(
  broker: &Broker,
  settings: &ConsumerSettings,
  batch: Vec<Message>,
  outcome: Outcome,
  took: Duration,
) {
  let retry_all = outcome.retry_batch.retry || outcome.outcome != "ok";
  let retries: HashMap<&str, Option<f64>> = outcome
    .retry_messages
    .iter()
    .map(|r| (r.msg_id.as_str(), r.delay_seconds))
    .collect();
  let default_delay = outcome
    .retry_batch
    .delay_seconds
    .unwrap_or(settings.retry_delay);
  let max_attempts = settings.max_retries + 1;
  let plural = if max_attempts == 1 { "" } else { "s" };
  let total = batch.len();
  let mut failed = 0;
  let mut retried = Vec::new();
  let mut dead = Vec::new();
  for mut message in batch {
    let retry = retries.get(message.id.as_str());
    if !retry_all && retry.is_none() {
      continue;
    }
    failed += 1;
    message.failed_attempts += 1;
    if message.failed_attempts < max_attempts {
      let delay = retry.copied().flatten().unwrap_or(default_delay);
      retried.push((message, delay));
    } else if let Some(dlq) = &settings.dead_letter_queue {
      eprintln!(
        "Moving message \"{}\" on queue \"{}\" to dead letter queue \"{dlq}\" after {max_attempts} failed attempt{plural}...",
        message.id, settings.queue
      );
      message.failed_attempts = 0;
      dead.push((message, 0.0));
    } else {
      eprintln!(
        "Dropped message \"{}\" on queue \"{}\" after {max_attempts} failed attempt{plural}!",
        message.id, settings.queue
      );
    }
  }
  eprintln!(
    "QUEUE {} {}/{total} ({}ms)",
    settings.queue,
    total - failed,
    took.as_millis()
  );
  if !retried.is_empty() {
    broker.requeue(&settings.queue, retried);
  }
  if let Some(dlq) = &settings.dead_letter_queue {
    if !dead.is_empty() {
      broker.send(dlq, dead);
    }
  }
}

impl Broker {
  /// Puts retried messages back on their own queue.
  fn requeue(&self, queue: &str, messages: Vec<(Message, f64)>) {
    let target = self.queue(queue);
    {
      let mut backlog = lock(&target.backlog);
      let now = Instant::now();
      for (message, delay) in messages {
        backlog
          .delayed
          .push((now + Duration::from_secs_f64(delay.max(0.0)), message));
      }
    }
    target.arrived.notify_one();
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn delayed_messages_become_ready_in_due_order() {
    let mut backlog = Backlog::default();
    let now = Instant::now();
    let m = |id: &str| Message {
      id: id.into(),
      ..Message::new("text", Vec::new())
    };
    backlog
      .delayed
      .push((now + Duration::from_secs(2), m("late")));
    backlog
      .delayed
      .push((now + Duration::from_secs(1), m("soon")));
    backlog.ready.push_back(m("now"));
    backlog.promote(now + Duration::from_millis(1500));
    let ids: Vec<&str> = backlog.ready.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["now", "soon"]);
    assert_eq!(backlog.next_due(), Some(now + Duration::from_secs(2)));
  }

  #[test]
  fn a_queue_nobody_consumes_drops_messages() {
    let broker = Broker::default();
    broker.send("nobody", vec![(Message::new("text", b"x".to_vec()), 0.0)]);
    assert!(lock(&broker.queue("nobody").backlog).ready.is_empty());
    broker.declare_consumer("somebody");
    broker.send("somebody", vec![(Message::new("text", b"x".to_vec()), 0.0)]);
    assert_eq!(lock(&broker.queue("somebody").backlog).ready.len(), 1);
  }
}
