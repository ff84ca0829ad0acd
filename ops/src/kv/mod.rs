//! Workers KV (`env.NS.get/put/delete/list`), the Rust side of js/kv.js:
//! each namespace's [`KvStore`] (runtime/host/src/kv_store.rs), opened on
//! first use. The checks and error texts people see are in js/kv.js.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use deno_core::{op2, OpState, ToJsBuffer};
use deno_error::JsErrorBox;
use kiln_host::kv_store::{KvEntry, KvStore};
use serde::{Deserialize, Serialize};

/// The worker's KV namespaces, by id; put in the op state by the extension.
pub struct KvNamespaces {
  /// `<state>/v3/kv`, or `None` to keep every namespace in memory.
  dir: Option<PathBuf>,
  open: RefCell<HashMap<String, Rc<KvStore>>>,
}

impl KvNamespaces {
  pub fn new(state_dir: Option<PathBuf>) -> KvNamespaces {
    KvNamespaces {
      dir: state_dir.map(|d| d.join("v3").join("kv")),
      open: RefCell::new(HashMap::new()),
    }
  }

  fn store(&self, id: &str) -> Result<Rc<KvStore>, JsErrorBox> {
    if let Some(store) = self.open.borrow().get(id) {
      return Ok(store.clone());
    }
    // An id is the configuration's text: it names a folder only if it is a
    // plain name.
    let plain = !id.is_empty() && id != "." && id != ".." && !id.contains(['/', '\\', '\0']);
    if !plain {
      return Err(JsErrorBox::type_error(format!(
        "KV namespace id {id:?} cannot name a folder under the state directory"
      )));
    }
    let store = KvStore::open(self.dir.as_ref().map(|d| d.join(id)).as_deref())
      .map(Rc::new)
      .map_err(JsErrorBox::generic)?;
    self.open.borrow_mut().insert(id.to_string(), store.clone());
    Ok(store)
  }
}

fn store(state: &OpState, id: &str) -> Result<Rc<KvStore>, JsErrorBox> {
  state.borrow::<KvNamespaces>().store(id)
}

#[derive(Serialize)]
pub struct Found {
  value: ToJsBuffer,
  /// JSON text.
  metadata: Option<String>,
}

/// The value and metadata of `key`, or null when it is missing or expired.
#[op2]
#[serde]
pub fn op_kv_get(
  state: &mut OpState,
  #[string] id: &str,
  #[string] key: &str,
) -> Result<Option<Found>, JsErrorBox> {
  let entry = store(state, id)?.get(key).map_err(JsErrorBox::generic)?;
  Ok(entry.map(|e| Found {
    value: e.value.into(),
    metadata: e.metadata,
  }))
}

#[derive(Deserialize)]
pub struct PutOptions {
  /// Seconds since the epoch.
  expiration: Option<f64>,
  /// JSON text.
  metadata: Option<String>,
}

#[op2]
pub fn op_kv_put(
  state: &mut OpState,
  #[string] id: &str,
  #[string] key: &str,
  #[anybuffer] value: &[u8],
  #[serde] options: PutOptions,
) -> Result<(), JsErrorBox> {
  let entry = KvEntry {
    value: value.to_vec(),
    metadata: options.metadata,
    expiration: options.expiration,
  };
  store(state, id)?
    .put(key, &entry)
    .map_err(JsErrorBox::generic)
}

#[op2(fast)]
pub fn op_kv_delete(
  state: &mut OpState,
  #[string] id: &str,
  #[string] key: &str,
) -> Result<(), JsErrorBox> {
  store(state, id)?.delete(key).map_err(JsErrorBox::generic)
}

#[derive(Serialize)]
pub struct ListedKey {
  name: String,
  expiration: Option<f64>,
  metadata: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listed {
  keys: Vec<ListedKey>,
  /// The last key's bytes, when more keys follow (js/kv.js makes the
  /// cursor from it).
  next_after: Option<ToJsBuffer>,
}

/// Up to `limit` keys with `prefix` after the bytes `after` (empty: from the
/// start).
#[op2]
#[serde]
pub fn op_kv_list(
  state: &mut OpState,
  #[string] id: &str,
  #[string] prefix: &str,
  #[smi] limit: u32,
  #[anybuffer] after: &[u8],
) -> Result<Listed, JsErrorBox> {
  let page = store(state, id)?
    .list(prefix, limit as usize, after)
    .map_err(JsErrorBox::generic)?;
  Ok(Listed {
    keys: page
      .keys
      .into_iter()
      .map(|k| ListedKey {
        name: k.name,
        expiration: k.expiration,
        metadata: k.metadata,
      })
      .collect(),
    next_after: page.next_after.map(Into::into),
  })
}
