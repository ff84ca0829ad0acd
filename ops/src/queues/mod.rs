//! Queues, the Rust side of js/queues.js: a producer binding's `send()` and
//! `sendBatch()` hand their messages (already checked and serialised in
//! JavaScript) to the process's broker (runtime/host/src/queues.rs), which
//! delivers them to the consuming worker.

use deno_core::{op2, JsBuffer, OpState};
use kiln_host::queues::{Broker, Message, Metrics};

use crate::service::ServiceBindings;

fn broker(state: &OpState) -> &Broker {
  state.borrow::<ServiceBindings>().registry.queues()
}

/// Sends `(contentType, body, delaySeconds)` messages to `queue`, in order;
/// answers the queue's backlog as it was when they arrived.
#[op2]
#[serde]
pub fn op_queue_send(
  state: &mut OpState,
  #[string] queue: &str,
  #[serde] messages: Vec<(String, JsBuffer, f64)>,
) -> Metrics {
  let broker = broker(state);
  let before = broker.metrics(queue);
  let messages = messages
    .into_iter()
    .map(|(content_type, body, delay)| (Message::new(&content_type, body.to_vec()), delay))
    .collect();
  broker.send(queue, messages);
  before
}

/// Whether some worker of the process consumes `queue`.
#[op2(fast)]
pub fn op_queue_consumed(state: &mut OpState, #[string] queue: &str) -> bool {
  broker(state).is_consumed(queue)
}

/// `queue.metrics()`: what waits in `queue`.
#[op2]
#[serde]
pub fn op_queue_metrics(state: &mut OpState, #[string] queue: &str) -> Metrics {
  broker(state).metrics(queue)
}
