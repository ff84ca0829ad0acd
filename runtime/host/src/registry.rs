//! Every worker of the process by name: how a route or a service binding
//! finds the worker it names. A worker is added after its script has run and
//! before any listener serves it, so a request never reaches a worker that
//! the registry does not know yet (see `kiln_runtime::start`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::http::RequestSender;

#[derive(Clone, Default)]
pub struct Registry(Arc<RwLock<HashMap<String, RequestSender>>>);

impl Registry {
  pub fn insert(&self, name: &str, requests: RequestSender) {
    self
      .0
      .write()
      .unwrap_or_else(|poisoned| poisoned.into_inner())
      .insert(name.to_string(), requests);
  }

  /// The request queue of the worker called `name`, once it has started.
  pub fn get(&self, name: &str) -> Option<RequestSender> {
    self
      .0
      .read()
      .unwrap_or_else(|poisoned| poisoned.into_inner())
      .get(name)
      .cloned()
  }
}
