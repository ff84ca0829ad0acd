//! Tests of the storage layer against real SQLite databases, in memory and in temporary
//! directories.

mod alarms;
mod kv;
mod sql;
mod txn;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{ErrorClass, ObjectStorage, SqlValue, StorageError};

pub(super) const ID: &str = "8d8d52167eba73e7f0268ab71258e747f36d3bda25975c74ec438beeadb76dd6";

/// A fresh directory under the system temp dir, removed on drop.
pub(super) struct TempDir(PathBuf);

impl TempDir {
  pub fn new(name: &str) -> Self {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("kiln-storage-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
  }

  pub fn path(&self) -> &Path {
    &self.0
  }

  /// Where an object's database goes: `<dir>/<uniqueKey>/<id>.sqlite`.
  pub fn object_db(&self) -> PathBuf {
    self
      .0
      .join("my-worker-Counter")
      .join(format!("{ID}.sqlite"))
  }
}

impl Drop for TempDir {
  fn drop(&mut self) {
    let _ = std::fs::remove_dir_all(&self.0);
  }
}

pub(super) fn memory() -> ObjectStorage {
  ObjectStorage::open(None, true).unwrap()
}

pub(super) fn on_disk(dir: &TempDir) -> ObjectStorage {
  ObjectStorage::open(Some(&dir.object_db()), true).unwrap()
}

/// Runs `query` and returns its rows.
pub(super) fn rows(storage: &mut ObjectStorage, query: &str) -> Vec<Vec<SqlValue>> {
  storage
    .exec(query, [])
    .unwrap_or_else(|e| panic!("{query}: {e}"))
    .rows
}

/// The message of the error `query` fails with, which must be a plain `Error`.
pub(super) fn exec_error(storage: &mut ObjectStorage, query: &str) -> String {
  match storage.exec(query, []) {
    Ok(cursor) => panic!("{query} succeeded with {:?}", cursor.rows),
    Err(err) => {
      assert_eq!(err.class, ErrorClass::Error, "{query}: {err}");
      err.message
    }
  }
}

pub(super) fn int(i: i64) -> SqlValue {
  SqlValue::Integer(i)
}

pub(super) fn text(s: &str) -> SqlValue {
  SqlValue::Text(s.to_string())
}

pub(super) fn keys(entries: &[(String, Vec<u8>)]) -> Vec<&str> {
  entries.iter().map(|(k, _)| k.as_str()).collect()
}

pub(super) fn error(message: &str) -> StorageError {
  StorageError::error(message)
}

#[test]
fn storage_can_move_to_the_objects_thread() {
  fn assert_send<T: Send>() {}
  assert_send::<ObjectStorage>();
  assert_send::<crate::storage::AlarmStore>();
}

#[test]
fn opening_a_path_creates_the_directory_and_a_wal_database() {
  let dir = TempDir::new("open");
  let mut storage = on_disk(&dir);
  assert!(dir.object_db().is_file());
  let journal: String = storage
    .conn
    .query_row("PRAGMA journal_mode", [], |r| r.get(0))
    .unwrap();
  assert_eq!(journal, "wal");
  let synchronous: i64 = storage
    .conn
    .query_row("PRAGMA synchronous", [], |r| r.get(0))
    .unwrap();
  assert_eq!(synchronous, 2, "synchronous=FULL");
  storage.put("k", b"v").unwrap();
  storage.commit().unwrap();
  let wal = dir
    .path()
    .join("my-worker-Counter")
    .join(format!("{ID}.sqlite-wal"));
  assert!(wal.is_file());
  assert_eq!(storage.path(), Some(dir.object_db().as_path()));
}

#[test]
fn kiln_tables_are_created_lazily_with_workerds_schema() {
  let mut storage = memory();
  assert_eq!(storage.get("k").unwrap(), None);
  let names = |s: &mut ObjectStorage| {
    rows(
      s,
      "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name",
    )
  };
  assert_eq!(names(&mut storage), Vec::<Vec<SqlValue>>::new());
  storage.put("k", b"v").unwrap();
  assert_eq!(
    names(&mut storage),
    vec![vec![
      text("_cf_KV"),
      text("CREATE TABLE _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID")
    ]]
  );
  storage.set_alarm(Some(1000)).unwrap();
  assert_eq!(
    names(&mut storage)[1],
    vec![
      text("_cf_METADATA"),
      text("CREATE TABLE _cf_METADATA (key INTEGER PRIMARY KEY, value BLOB)")
    ]
  );
}
