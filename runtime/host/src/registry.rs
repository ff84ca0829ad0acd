//! Every worker of the process by name: how a route or a service binding
//! finds the worker it names. A worker is added after its script has run and
//! before any listener serves it, so a request never reaches a worker that
//! the registry does not know yet (see `kiln_runtime::start`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::http::RequestSender;
use crate::queues::Broker;
use crate::shutdown::Shutdown;

/// The workers, and what they share: the queues between them and the
/// shutdown.
#[derive(Clone, Default)]
pub struct Registry {
  workers: Arc<RwLock<HashMap<String, RequestSender>>>,
  queues: Broker,
  shutdown: Shutdown,
}

impl Registry {
  pub fn insert(&self, name: &str, requests: RequestSender) {
    self
      .workers
      .write()
      .unwrap_or_else(|poisoned| poisoned.into_inner())
      .insert(name.to_string(), requests);
  }

  /// The request queue of the worker called `name`, once it has started.
  pub fn get(&self, name: &str) -> Option<RequestSender> {
    self
      .workers
      .read()
      .unwrap_or_else(|poisoned| poisoned.into_inner())
      .get(name)
      .cloned()
  }

  /// How many workers are registered.
  pub fn len(&self) -> usize {
    self
      .workers
      .read()
      .unwrap_or_else(|poisoned| poisoned.into_inner())
      .len()
  }

  pub fn is_empty(&self) -> bool {
    self.len() == 0
  }

  /// The process's queues (`env.QUEUE.send()` in one worker, `queue()` in
  /// another).
  pub fn queues(&self) -> &Broker {
    &self.queues
  }

  /// The process's shutdown, which every worker follows.
  pub fn shutdown(&self) -> &Shutdown {
    &self.shutdown
  }
}
