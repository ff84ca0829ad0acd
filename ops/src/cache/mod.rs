//! The Cache API (`caches.default`, `caches.open(name)`), the Rust side of
//! js/cache.js: each cache is a key-value store (runtime/host/src/kv_store.rs)
//! at `<state>/v3/cache/<name>/`, holding a response's body under its URL
//! with its status and headers as metadata and its expiry. What may be
//! stored, for how long and with which headers is decided in js/cache.js.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use deno_core::{op2, OpState, ToJsBuffer};
use deno_error::JsErrorBox;
use kiln_host::kv_store::{KvEntry, KvStore};
use serde::Serialize;

/// The worker's caches, by name; put in the op state by the extension.
pub struct Caches {
  /// `<state>/v3/cache`, or `None` to keep every cache in memory.
  dir: Option<PathBuf>,
  open: RefCell<HashMap<String, Rc<KvStore>>>,
}

impl Caches {
  pub fn new(state_dir: Option<PathBuf>) -> Caches {
    Caches {
      dir: state_dir.map(|d| d.join("v3").join("cache")),
      open: RefCell::new(HashMap::new()),
    }
  }

  fn store(&self, name: &str) -> Result<Rc<KvStore>, JsErrorBox> {
    if let Some(store) = self.open.borrow().get(name) {
      return Ok(store.clone());
    }
    // A cache's name may be any text; its folder is named by its hex.
    let folder: String = name.bytes().map(|b| format!("{b:02x}")).collect();
    let folder = if folder.is_empty() {
      "-".to_string()
    } else {
      folder
    };
    let store = KvStore::open(self.dir.as_ref().map(|d| d.join(folder)).as_deref())
      .map(Rc::new)
      .map_err(JsErrorBox::generic)?;
    self
      .open
      .borrow_mut()
      .insert(name.to_string(), store.clone());
    Ok(store)
  }
}

fn store(state: &OpState, name: &str) -> Result<Rc<KvStore>, JsErrorBox> {
  state.borrow::<Caches>().store(name)
}

/// Stores a response: its body, and `head` (JSON: status and headers)
/// until `expiration` (seconds since the epoch).
#[op2]
pub fn op_cache_put(
  state: &mut OpState,
  #[string] cache: &str,
  #[string] key: &str,
  #[string] head: String,
  #[anybuffer] body: &[u8],
  expiration: f64,
) -> Result<(), JsErrorBox> {
  let entry = KvEntry {
    value: body.to_vec(),
    metadata: Some(head),
    expiration: Some(expiration),
  };
  store(state, cache)?
    .put(key, &entry)
    .map_err(JsErrorBox::generic)
}

#[derive(Serialize)]
pub struct Cached {
  /// JSON: status and headers.
  head: String,
  body: ToJsBuffer,
}

/// The response stored under `key`, unless it is missing or has expired.
#[op2]
#[serde]
pub fn op_cache_match(
  state: &mut OpState,
  #[string] cache: &str,
  #[string] key: &str,
) -> Result<Option<Cached>, JsErrorBox> {
  let entry = store(state, cache)?.get(key).map_err(JsErrorBox::generic)?;
  Ok(entry.and_then(|e| {
    Some(Cached {
      head: e.metadata?,
      body: e.value.into(),
    })
  }))
}

/// Removes `key`; answers whether a live entry was there.
#[op2(fast)]
pub fn op_cache_delete(
  state: &mut OpState,
  #[string] cache: &str,
  #[string] key: &str,
) -> Result<bool, JsErrorBox> {
  let store = store(state, cache)?;
  let found = store.get(key).map_err(JsErrorBox::generic)?.is_some();
  store.delete(key).map_err(JsErrorBox::generic)?;
  Ok(found)
}
