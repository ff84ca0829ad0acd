//! Durable Objects, the Rust side (js/durable_objects.js owns the objects
//! themselves): ids, and each object's storage on SQLite through
//! `kiln_host::storage`, opened on the object's first storage call and
//! addressed from JavaScript by a small integer handle.
//!
//! Every op here is synchronous: SQLite answers at once, so a storage call's
//! promise is already settled when JavaScript gets it, and nothing else can
//! run between a storage call and its continuation (the input gate).

use std::cell::{RefCell, RefMut};
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use deno_core::{op2, v8, JsBuffer, OpState, ToJsBuffer};
use deno_error::JsErrorBox;
use kiln_host::actor_id::{self, NamespaceKey};
use kiln_host::storage::{
  AlarmStore, ErrorClass, ListOptions, ObjectStorage, SqlValue, StorageError,
};
use serde::{Deserialize, Serialize, Serializer};

/// A Durable Object class this worker defines.
#[derive(Clone, Debug)]
pub struct ClassConfig {
  pub class_name: String,
  /// Declared with `new_sqlite_classes`: `ctx.storage.sql` works.
  pub sqlite: bool,
  /// Where its objects' databases live; `None` keeps them in memory.
  pub dir: Option<PathBuf>,
}

struct Namespace {
  config: ClassConfig,
  alarms: AlarmStore,
}

type Shared = Rc<RefCell<ObjectStorage>>;

/// One open object: its namespace (class name), id and storage.
struct Open {
  class_name: String,
  hex: String,
  storage: Shared,
}

/// The op state: this worker's classes and every object's open storage.
pub struct DurableObjects {
  namespaces: HashMap<String, Namespace>,
  handles: HashMap<u32, Open>,
  next_handle: u32,
  /// Open storage by (class, id). In memory an object's database must
  /// outlive the instance (eviction is not data loss), so it stays here
  /// after the object closes it; on disk it is closed.
  storages: HashMap<(String, String), Shared>,
}

impl DurableObjects {
  pub fn new(classes: Vec<ClassConfig>) -> Result<Self, String> {
    let mut namespaces = HashMap::new();
    for config in classes {
      let alarms = AlarmStore::open(config.dir.as_deref()).map_err(|e| {
        format!(
          "cannot open the alarm store of Durable Object class \"{}\": {}",
          config.class_name, e.message
        )
      })?;
      namespaces.insert(config.class_name.clone(), Namespace { config, alarms });
    }
    Ok(Self {
      namespaces,
      handles: HashMap::new(),
      next_handle: 0,
      storages: HashMap::new(),
    })
  }

  fn namespace(&self, class_name: &str) -> Result<&Namespace, JsErrorBox> {
    self.namespaces.get(class_name).ok_or_else(|| {
      JsErrorBox::generic(format!(
        "Durable Object class \"{class_name}\" is not defined by this worker."
      ))
    })
  }

  fn storage(&mut self, handle: u32) -> Result<RefMut<'_, ObjectStorage>, JsErrorBox> {
    Ok(
      self
        .handles
        .get(&handle)
        .ok_or_else(gone)?
        .storage
        .borrow_mut(),
    )
  }

  /// The object's storage and its namespace's alarm store, together.
  fn with_alarms(
    &mut self,
    handle: u32,
  ) -> Result<(RefMut<'_, ObjectStorage>, &mut AlarmStore, String), JsErrorBox> {
    let open = self.handles.get(&handle).ok_or_else(gone)?;
    let namespace = self.namespaces.get_mut(&open.class_name).ok_or_else(gone)?;
    Ok((
      open.storage.borrow_mut(),
      &mut namespace.alarms,
      open.hex.clone(),
    ))
  }
}

/// A handle whose object was evicted or reset.
fn gone() -> JsErrorBox {
  JsErrorBox::generic("Durable Object storage is no longer accessible.")
}

fn js_error(e: StorageError) -> JsErrorBox {
  let class = match e.class {
    ErrorClass::TypeError => "TypeError",
    ErrorClass::RangeError => "RangeError",
    _ => "Error",
  };
  JsErrorBox::new(class, e.message)
}

fn state(state: &mut OpState) -> &mut DurableObjects {
  state.borrow_mut::<DurableObjects>()
}

// ---------------------------------------------------------------------------
// Ids: a namespace is named by its unique key, so that a binding to another
// worker's class makes the same ids as that worker.

#[op2]
#[string]
pub fn op_do_id_from_name(#[string] unique_key: &str, #[string] name: &str) -> String {
  actor_id::to_hex(&actor_id::id_from_name(
    &NamespaceKey::new(unique_key),
    name,
  ))
}

#[op2]
#[string]
pub fn op_do_new_unique_id(#[string] unique_key: &str) -> String {
  actor_id::to_hex(&actor_id::new_unique_id(&NamespaceKey::new(unique_key)))
}

#[op2]
#[string]
pub fn op_do_id_from_string(
  #[string] unique_key: &str,
  #[string] text: &str,
) -> Result<String, JsErrorBox> {
  actor_id::parse(&NamespaceKey::new(unique_key), text)
    .map(|id| actor_id::to_hex(&id))
    .map_err(|e| JsErrorBox::type_error(e.message()))
}

// ---------------------------------------------------------------------------
// Opening and closing.

/// Opens object `hex` of class `class_name` (its database is created on
/// first use) and returns the handle its storage calls use.
#[op2(fast)]
pub fn op_do_open(
  op_state: &mut OpState,
  #[string] class_name: &str,
  #[string] hex: &str,
) -> Result<u32, JsErrorBox> {
  let objects = state(op_state);
  let config = objects.namespace(class_name)?.config.clone();
  let key = (class_name.to_string(), hex.to_string());
  let storage = match objects.storages.get(&key) {
    Some(storage) => storage.clone(),
    None => {
      let path = config
        .dir
        .as_ref()
        .map(|dir| dir.join(format!("{hex}.sqlite")));
      let storage = ObjectStorage::open(path.as_deref(), config.sqlite).map_err(js_error)?;
      let storage = Rc::new(RefCell::new(storage));
      objects.storages.insert(key.clone(), storage.clone());
      storage
    }
  };
  objects.next_handle += 1;
  let handle = objects.next_handle;
  objects.handles.insert(
    handle,
    Open {
      class_name: key.0,
      hex: key.1,
      storage,
    },
  );
  Ok(handle)
}

/// The object is gone (evicted or reset): its handle ends, and on disk its
/// database is closed.
#[op2(fast)]
pub fn op_do_close(op_state: &mut OpState, #[smi] handle: u32) {
  let objects = state(op_state);
  let Some(open) = objects.handles.remove(&handle) else {
    return;
  };
  let key = (open.class_name, open.hex);
  let on_disk = objects
    .namespaces
    .get(&key.0)
    .is_some_and(|n| n.config.dir.is_some());
  if on_disk
    && !objects
      .handles
      .values()
      .any(|o| o.class_name == key.0 && o.hex == key.1)
  {
    objects.storages.remove(&key);
  }
}

// ---------------------------------------------------------------------------
// KV.

/// The value stored under `key` as an ArrayBuffer, or null. Built straight
/// as V8 values: a get is the hottest storage call.
#[op2]
pub fn op_do_get<'s>(
  scope: &mut v8::PinScope<'s, '_>,
  #[smi] handle: u32,
  #[string] key: &str,
) -> Result<v8::Local<'s, v8::Value>, JsErrorBox> {
  let bytes = {
    let state = deno_core::JsRuntime::op_state_from(scope);
    let mut state = state.borrow_mut();
    let mut storage = state.borrow_mut::<DurableObjects>().storage(handle)?;
    storage.get(key).map_err(js_error)?
  };
  Ok(match bytes {
    None => v8::null(scope).into(),
    Some(bytes) => {
      let store = v8::ArrayBuffer::new_backing_store_from_vec(bytes).make_shared();
      v8::ArrayBuffer::with_backing_store(scope, &store).into()
    }
  })
}

#[op2]
#[serde]
pub fn op_do_get_many(
  op_state: &mut OpState,
  #[smi] handle: u32,
  #[serde] keys: Vec<String>,
) -> Result<Vec<(String, ToJsBuffer)>, JsErrorBox> {
  let mut storage = state(op_state).storage(handle)?;
  let entries = storage.get_many(&keys).map_err(js_error)?;
  Ok(entries.into_iter().map(|(k, v)| (k, v.into())).collect())
}

#[op2]
pub fn op_do_put(
  op_state: &mut OpState,
  #[smi] handle: u32,
  #[string] key: &str,
  #[anybuffer] value: &[u8],
) -> Result<(), JsErrorBox> {
  let mut storage = state(op_state).storage(handle)?;
  storage.put(key, value).map_err(js_error)
}

#[op2]
pub fn op_do_put_many(
  op_state: &mut OpState,
  #[smi] handle: u32,
  #[serde] entries: Vec<(String, JsBuffer)>,
) -> Result<(), JsErrorBox> {
  let mut storage = state(op_state).storage(handle)?;
  let entries: Vec<(String, &[u8])> = entries.iter().map(|(k, v)| (k.clone(), &v[..])).collect();
  storage.put_many(&entries).map_err(js_error)
}

#[op2(fast)]
pub fn op_do_delete(
  op_state: &mut OpState,
  #[smi] handle: u32,
  #[string] key: &str,
) -> Result<bool, JsErrorBox> {
  let mut storage = state(op_state).storage(handle)?;
  storage.delete(key).map_err(js_error)
}

#[op2]
pub fn op_do_delete_many(
  op_state: &mut OpState,
  #[smi] handle: u32,
  #[serde] keys: Vec<String>,
) -> Result<f64, JsErrorBox> {
  let mut storage = state(op_state).storage(handle)?;
  Ok(storage.delete_many(&keys).map_err(js_error)? as f64)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListArgs {
  start: Option<String>,
  start_after: Option<String>,
  end: Option<String>,
  prefix: Option<String>,
  reverse: bool,
  limit: Option<f64>,
}

#[op2]
#[serde]
pub fn op_do_list(
  op_state: &mut OpState,
  #[smi] handle: u32,
  #[serde] args: ListArgs,
) -> Result<Vec<(String, ToJsBuffer)>, JsErrorBox> {
  let mut storage = state(op_state).storage(handle)?;
  let options = ListOptions {
    start: args.start,
    start_after: args.start_after,
    end: args.end,
    prefix: args.prefix,
    reverse: args.reverse,
    limit: args.limit.map(|l| l as i64),
  };
  let entries = storage.list(&options).map_err(js_error)?;
  Ok(entries.into_iter().map(|(k, v)| (k, v.into())).collect())
}

/// Empties the object's database; the alarm too when `delete_alarm` (the
/// `delete_all_deletes_alarm` flag).
#[op2(fast)]
pub fn op_do_delete_all(
  op_state: &mut OpState,
  #[smi] handle: u32,
  delete_alarm: bool,
) -> Result<(), JsErrorBox> {
  let (mut storage, alarms, hex) = state(op_state).with_alarms(handle)?;
  let outcome = storage.delete_all(delete_alarm).map_err(js_error)?;
  if outcome.alarm_deleted {
    alarms.delete(&hex).map_err(js_error)?;
  }
  Ok(())
}

// ---------------------------------------------------------------------------
// Transactions.

/// Commits the writes of the turn (and of the event that just ended).
#[op2(fast)]
pub fn op_do_commit(op_state: &mut OpState, #[smi] handle: u32) -> Result<(), JsErrorBox> {
  let mut storage = state(op_state).storage(handle)?;
  storage.commit().map(|_| ()).map_err(js_error)
}

/// Discards writes not committed yet (the object is being reset).
#[op2(fast)]
pub fn op_do_rollback(op_state: &mut OpState, #[smi] handle: u32) -> Result<(), JsErrorBox> {
  let mut storage = state(op_state).storage(handle)?;
  storage.rollback_implicit().map_err(js_error)
}

#[op2(fast)]
pub fn op_do_savepoint(op_state: &mut OpState, #[smi] handle: u32) -> Result<u32, JsErrorBox> {
  let mut storage = state(op_state).storage(handle)?;
  Ok(storage.begin_savepoint().map_err(js_error)? as u32)
}

#[op2(fast)]
pub fn op_do_release(
  op_state: &mut OpState,
  #[smi] handle: u32,
  #[smi] depth: u32,
) -> Result<(), JsErrorBox> {
  let mut storage = state(op_state).storage(handle)?;
  storage.release_savepoint(depth as usize).map_err(js_error)
}

#[op2(fast)]
pub fn op_do_rollback_to(
  op_state: &mut OpState,
  #[smi] handle: u32,
  #[smi] depth: u32,
) -> Result<(), JsErrorBox> {
  let mut storage = state(op_state).storage(handle)?;
  storage.rollback_savepoint(depth as usize).map_err(js_error)
}

// ---------------------------------------------------------------------------
// SQL.

/// A result value: INTEGER and REAL become numbers (integers beyond 2^53
/// lose precision, as in workerd), BLOB a Uint8Array that JavaScript turns
/// into an ArrayBuffer.
pub struct SqlOut(SqlValue);

impl Serialize for SqlOut {
  fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
    match &self.0 {
      SqlValue::Null => serializer.serialize_none(),
      SqlValue::Integer(i) => serializer.serialize_f64(*i as f64),
      SqlValue::Real(r) => serializer.serialize_f64(*r),
      SqlValue::Text(t) => serializer.serialize_str(t),
      SqlValue::Blob(b) => ToJsBuffer::from(b.clone()).serialize(serializer),
    }
  }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SqlResult {
  columns: Vec<String>,
  rows: Vec<Vec<SqlOut>>,
  rows_read: f64,
  rows_written: f64,
}

/// `exec(query, ...bindings)`. The bindings arrive as JavaScript values
/// (js/durable_objects.js has already turned booleans into text and buffers
/// into Uint8Arrays) and are read straight from V8: a number is bound as
/// REAL, as workerd binds it.
#[op2]
#[serde]
pub fn op_do_sql_exec<'s>(
  scope: &mut v8::PinScope<'s, '_>,
  #[smi] handle: u32,
  #[string] query: String,
  bindings: v8::Local<'s, v8::Array>,
) -> Result<SqlResult, JsErrorBox> {
  let mut values = Vec::with_capacity(bindings.length() as usize);
  for i in 0..bindings.length() {
    let value = bindings
      .get_index(scope, i)
      .ok_or_else(|| JsErrorBox::type_error("a binding could not be read"))?;
    values.push(if value.is_null_or_undefined() {
      SqlValue::Null
    } else if value.is_number() {
      SqlValue::Real(value.number_value(scope).unwrap_or(f64::NAN))
    } else if value.is_string() {
      SqlValue::Text(value.to_rust_string_lossy(scope))
    } else if let Ok(view) = v8::Local::<v8::ArrayBufferView>::try_from(value) {
      let mut bytes = vec![0u8; view.byte_length()];
      view.copy_contents(&mut bytes);
      SqlValue::Blob(bytes)
    } else {
      return Err(JsErrorBox::type_error("Unsupported SQL binding type."));
    });
  }
  let state = deno_core::JsRuntime::op_state_from(scope);
  let mut state = state.borrow_mut();
  let mut storage = state.borrow_mut::<DurableObjects>().storage(handle)?;
  let cursor = storage.exec(&query, values).map_err(js_error)?;
  Ok(SqlResult {
    columns: cursor.column_names,
    rows: cursor
      .rows
      .into_iter()
      .map(|row| row.into_iter().map(SqlOut).collect())
      .collect(),
    rows_read: cursor.rows_read as f64,
    rows_written: cursor.rows_written as f64,
  })
}

#[op2(fast)]
pub fn op_do_database_size(op_state: &mut OpState, #[smi] handle: u32) -> Result<f64, JsErrorBox> {
  let mut storage = state(op_state).storage(handle)?;
  Ok(storage.database_size().map_err(js_error)? as f64)
}

// ---------------------------------------------------------------------------
// Alarms: the object's own record (in its database) and its namespace's
// schedule (metadata.sqlite), which start-up reads to re-arm every alarm.

/// Milliseconds since the epoch, as JavaScript's Date counts them.
#[derive(Serialize)]
pub struct Millis(f64);

#[op2]
#[serde]
pub fn op_do_get_alarm(
  op_state: &mut OpState,
  #[smi] handle: u32,
) -> Result<Option<Millis>, JsErrorBox> {
  let mut storage = state(op_state).storage(handle)?;
  Ok(
    storage
      .get_alarm()
      .map_err(js_error)?
      .map(|ms| Millis(ms as f64)),
  )
}

/// An alarm to set: when, and the object's name to restore when it wakes.
#[derive(Deserialize)]
pub struct AlarmArgs {
  name: Option<String>,
  time: f64,
}

#[op2]
pub fn op_do_set_alarm(
  op_state: &mut OpState,
  #[smi] handle: u32,
  #[serde] alarm: AlarmArgs,
) -> Result<(), JsErrorBox> {
  let (mut storage, alarms, hex) = state(op_state).with_alarms(handle)?;
  let ms = alarm.time as i64;
  storage.set_alarm(Some(ms)).map_err(js_error)?;
  alarms
    .set(&hex, ms, alarm.name.as_deref())
    .map_err(js_error)
}

#[op2(fast)]
pub fn op_do_delete_alarm(op_state: &mut OpState, #[smi] handle: u32) -> Result<(), JsErrorBox> {
  let (mut storage, alarms, hex) = state(op_state).with_alarms(handle)?;
  storage.delete_alarm().map_err(js_error)?;
  alarms.delete(&hex).map(|_| ()).map_err(js_error)
}

/// Every pending alarm of a class, earliest first: `[hex, name, ms]`.
#[op2]
#[serde]
pub fn op_do_alarms(
  op_state: &mut OpState,
  #[string] class_name: &str,
) -> Result<Vec<(String, Option<String>, f64)>, JsErrorBox> {
  let namespace = state(op_state)
    .namespaces
    .get_mut(class_name)
    .ok_or_else(|| JsErrorBox::generic(format!("no Durable Object class \"{class_name}\"")))?;
  let alarms = namespace.alarms.load_all().map_err(js_error)?;
  Ok(
    alarms
      .into_iter()
      .map(|a| (a.actor_id, a.actor_name, a.scheduled_time_ms as f64))
      .collect(),
  )
}
