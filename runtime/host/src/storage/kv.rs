//! The KV API (`storage.get/put/delete/list/deleteAll` and `storage.kv`), stored in `_cf_KV` the
//! way workerd stores it. Keys compare as UTF-8 bytes (SQLite's BINARY collation), which is also
//! the order every result comes back in.

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::OptionalExtension;

use super::{ObjectStorage, StorageError};

const CREATE_KV: &str =
  "CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID";

/// `list()` options as JavaScript passed them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
  /// Inclusive.
  pub start: Option<String>,
  /// Exclusive; may not be combined with `start`.
  pub start_after: Option<String>,
  /// Exclusive.
  pub end: Option<String>,
  pub prefix: Option<String>,
  pub reverse: bool,
  /// Must be positive when present.
  pub limit: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteAllOutcome {
  /// Keys that were in the KV table.
  pub keys_deleted: u64,
  /// An alarm was set and is now gone (only with `delete_all_deletes_alarm`); the ops must take
  /// it out of the namespace's [`AlarmStore`](super::AlarmStore) too.
  pub alarm_deleted: bool,
}

/// A key range as byte strings: `start` inclusive, `end` exclusive.
#[derive(Debug, PartialEq, Eq)]
struct Range {
  start: Vec<u8>,
  end: Option<Vec<u8>>,
}

impl ObjectStorage {
  pub fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
    if !self.kv_exists()? {
      return Ok(None);
    }
    let result = (|| {
      let mut stmt = self
        .conn
        .prepare_cached("SELECT value FROM _cf_KV WHERE key = ?1")?;
      stmt
        .query_row([key], |row| Ok(blob(row.get_ref(0)?)))
        .optional()
    })();
    result.map_err(|e| self.note_failure(e.into()))
  }

  /// `get(keys[])`: only the keys that exist, each once, in key order.
  pub fn get_many<K: AsRef<str>>(
    &mut self,
    keys: &[K],
  ) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
    let mut sorted: Vec<&str> = keys.iter().map(AsRef::as_ref).collect();
    sorted.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    sorted.dedup();
    let mut found = Vec::new();
    for key in sorted {
      if let Some(value) = self.get(key)? {
        found.push((key.to_string(), value));
      }
    }
    Ok(found)
  }

  pub fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StorageError> {
    self.ensure_kv()?;
    self.put_row(key, value)
  }

  /// `put(entries)`: all or nothing.
  pub fn put_many<K: AsRef<str>, V: AsRef<[u8]>>(
    &mut self,
    entries: &[(K, V)],
  ) -> Result<(), StorageError> {
    self.ensure_kv()?;
    // A value that is too big must not leave the entries before it written.
    self.run_internal("SAVEPOINT _cf_put_multiple_savepoint")?;
    for (key, value) in entries {
      if let Err(err) = self.put_row(key.as_ref(), value.as_ref()) {
        if self.critical_error.is_none() {
          self.run_internal(
            "ROLLBACK TO _cf_put_multiple_savepoint; RELEASE _cf_put_multiple_savepoint;",
          )?;
        }
        return Err(err);
      }
    }
    self.run_internal("RELEASE _cf_put_multiple_savepoint")
  }

  /// Returns whether the key existed.
  pub fn delete(&mut self, key: &str) -> Result<bool, StorageError> {
    if !self.kv_exists()? {
      return Ok(false);
    }
    self.begin_write()?;
    let result = (|| {
      let mut stmt = self
        .conn
        .prepare_cached("DELETE FROM _cf_KV WHERE key = ?1")?;
      stmt.execute([key])
    })();
    let changed = result.map_err(|e| self.note_failure(e.into()))?;
    Ok(changed > 0)
  }

  /// Returns how many of the keys existed (a key listed twice counts once).
  pub fn delete_many<K: AsRef<str>>(&mut self, keys: &[K]) -> Result<u64, StorageError> {
    let mut count = 0;
    for key in keys {
      if self.delete(key.as_ref())? {
        count += 1;
      }
    }
    Ok(count)
  }

  pub fn list(&mut self, options: &ListOptions) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
    let Some(range) = compile_range(options)? else {
      return Ok(Vec::new());
    };
    if !self.kv_exists()? {
      return Ok(Vec::new());
    }
    let order = if options.reverse { "DESC" } else { "ASC" };
    let end_clause = if range.end.is_some() {
      " AND key < ?2"
    } else {
      ""
    };
    let limit_clause = if options.limit.is_some() {
      " LIMIT ?3"
    } else {
      ""
    };
    let sql = format!(
      "SELECT key, value FROM _cf_KV WHERE key >= ?1{end_clause} ORDER BY key {order}{limit_clause}"
    );
    let result = (|| {
      let mut stmt = self.conn.prepare_cached(&sql)?;
      // Bound as TEXT from raw bytes: a computed bound (a prefix with its last byte incremented)
      // need not be valid UTF-8, yet must compare as TEXT under BINARY collation.
      stmt.raw_bind_parameter(1, ToSqlOutput::Borrowed(ValueRef::Text(&range.start)))?;
      if let Some(end) = &range.end {
        stmt.raw_bind_parameter(2, ToSqlOutput::Borrowed(ValueRef::Text(end)))?;
      }
      if let Some(limit) = options.limit {
        stmt.raw_bind_parameter(3, limit)?;
      }
      let mut rows = stmt.raw_query();
      let mut out = Vec::new();
      while let Some(row) = rows.next()? {
        let key = String::from_utf8_lossy(row.get_ref(0)?.as_bytes()?).into_owned();
        out.push((key, blob(row.get_ref(1)?)));
      }
      Ok::<_, rusqlite::Error>(out)
    })();
    result.map_err(|e| self.note_failure(e.into()))
  }

  /// `deleteAll()`: replaces the whole database with an empty one (KV data and every SQL table).
  /// The alarm survives unless `delete_alarm` (the `delete_all_deletes_alarm` flag) is set.
  /// Uncommitted writes of this turn are discarded with everything else.
  pub fn delete_all(&mut self, delete_alarm: bool) -> Result<DeleteAllOutcome, StorageError> {
    self.check_delete_all_allowed()?;
    if let Some(message) = &self.critical_error {
      return Err(StorageError::error(message.clone()).resetting());
    }
    let alarm = self.get_alarm()?;
    let keys_deleted = if self.kv_exists()? {
      let count: i64 = self
        .conn
        .query_row("SELECT count(*) FROM _cf_KV", [], |row| row.get(0))
        .map_err(StorageError::from)?;
      count as u64
    } else {
      0
    };
    self.rollback_implicit()?;
    self.reset_database()?;
    if let Some(alarm) = alarm {
      if !delete_alarm {
        self.set_alarm(Some(alarm))?;
      }
    }
    Ok(DeleteAllOutcome {
      keys_deleted,
      alarm_deleted: alarm.is_some() && delete_alarm,
    })
  }

  fn put_row(&mut self, key: &str, value: &[u8]) -> Result<(), StorageError> {
    let result = (|| {
      let mut stmt = self.conn.prepare_cached(
        "INSERT INTO _cf_KV VALUES (?1, ?2) ON CONFLICT DO UPDATE SET value = excluded.value",
      )?;
      stmt.execute(rusqlite::params![key, value])
    })();
    result.map(drop).map_err(|e| self.note_failure(e.into()))
  }

  fn kv_exists(&mut self) -> Result<bool, StorageError> {
    if !self.kv_ready {
      self.kv_ready = self.table_exists("_cf_KV")?;
    }
    Ok(self.kv_ready)
  }

  /// Creates `_cf_KV` on first use, inside the implicit transaction like any other write.
  fn ensure_kv(&mut self) -> Result<(), StorageError> {
    self.begin_write()?;
    if !self.kv_exists()? {
      self.run_internal(CREATE_KV)?;
      self.kv_ready = true;
    }
    Ok(())
  }
}

fn blob(value: ValueRef<'_>) -> Vec<u8> {
  match value {
    ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
    ValueRef::Null => Vec::new(),
    ValueRef::Integer(i) => i.to_string().into_bytes(),
    ValueRef::Real(r) => r.to_string().into_bytes(),
  }
}

/// workerd's reduction of the list options to one byte range; `None` when it is empty.
fn compile_range(options: &ListOptions) -> Result<Option<Range>, StorageError> {
  let mut start: Vec<u8> = Vec::new();
  if let Some(s) = &options.start {
    if options.start_after.is_some() {
      return Err(StorageError::type_error(
        "list() cannot be called with both start and startAfter values.",
      ));
    }
    start = s.as_bytes().to_vec();
  }
  if let Some(after) = &options.start_after {
    // The smallest key greater than `after` is `after` followed by a NUL.
    start = after.as_bytes().to_vec();
    start.push(0);
  }
  let mut end: Option<Vec<u8>> = options.end.as_ref().map(|e| e.as_bytes().to_vec());
  if let Some(limit) = options.limit {
    if limit <= 0 {
      return Err(StorageError::type_error("List limit must be positive."));
    }
  }
  if let Some(prefix) = options
    .prefix
    .as_ref()
    .map(|p| p.as_bytes())
    .filter(|p| !p.is_empty())
  {
    if start.as_slice() < prefix {
      start = prefix.to_vec();
    } else if !start.starts_with(prefix) {
      return Ok(None);
    }
    // The first key after every key with the prefix: drop trailing 0xff bytes, then increment
    // the last byte. A prefix of only 0xff bytes has no such key.
    let mut after_prefix = prefix.to_vec();
    while after_prefix.last() == Some(&0xff) {
      after_prefix.pop();
    }
    if let Some(last) = after_prefix.last_mut() {
      *last += 1;
      match &end {
        Some(e) if e.as_slice() <= prefix => return Ok(None),
        Some(e) if e.starts_with(prefix) => {}
        _ => end = Some(after_prefix),
      }
    }
  }
  if let Some(e) = &end {
    if *e <= start {
      return Ok(None);
    }
  }
  Ok(Some(Range { start, end }))
}

#[cfg(test)]
mod range_tests {
  use super::*;

  fn opts() -> ListOptions {
    ListOptions::default()
  }

  #[test]
  fn prefix_clamps_both_ends() {
    let r = compile_range(&ListOptions {
      prefix: Some("ab".into()),
      ..opts()
    })
    .unwrap()
    .unwrap();
    assert_eq!(
      r,
      Range {
        start: b"ab".to_vec(),
        end: Some(b"ac".to_vec())
      }
    );
    let r = compile_range(&ListOptions {
      prefix: Some("ab".into()),
      start: Some("abc".into()),
      end: Some("abd".into()),
      ..opts()
    })
    .unwrap()
    .unwrap();
    assert_eq!(
      r,
      Range {
        start: b"abc".to_vec(),
        end: Some(b"abd".to_vec())
      }
    );
    assert_eq!(
      compile_range(&ListOptions {
        prefix: Some("ab".into()),
        start: Some("b".into()),
        ..opts()
      })
      .unwrap(),
      None
    );
    assert_eq!(
      compile_range(&ListOptions {
        prefix: Some("ab".into()),
        end: Some("ab".into()),
        ..opts()
      })
      .unwrap(),
      None
    );
  }

  #[test]
  fn start_after_becomes_an_inclusive_start() {
    let r = compile_range(&ListOptions {
      start_after: Some("k".into()),
      ..opts()
    })
    .unwrap()
    .unwrap();
    assert_eq!(r.start, b"k\0".to_vec());
  }
}
