//! Workers KV namespaces, emulated locally: one SQLite database per
//! namespace at `<state>/v3/kv/<id>/kiln-kv.sqlite` (beside the folder
//! wrangler dev keeps for the same id, which it does not touch), or in
//! memory. Keys are stored as bytes (a key may hold U+0000) and listed in
//! byte order; an entry whose
//! expiration (seconds since the epoch) has passed is gone for every read.
//!
//! The checks people see (key and value sizes, expiration rules, the error
//! texts) are in js/kv.js; this layer stores and reads.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

pub struct KvStore {
  conn: Connection,
}

/// One stored value.
#[derive(Debug, Clone, PartialEq)]
pub struct KvEntry {
  pub value: Vec<u8>,
  /// The metadata as JSON text.
  pub metadata: Option<String>,
  pub expiration: Option<f64>,
}

/// One key of a list().
#[derive(Debug, Clone, PartialEq)]
pub struct KvKey {
  pub name: String,
  pub expiration: Option<f64>,
  pub metadata: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KvPage {
  pub keys: Vec<KvKey>,
  /// The last key of this page, when more keys follow it.
  pub next_after: Option<Vec<u8>>,
}

fn now_seconds() -> f64 {
  std::time::SystemTime::now()
    .duration_since(std::time::UNIX_EPOCH)
    .map_or(0.0, |d| d.as_secs_f64())
}

fn sql_error(e: rusqlite::Error) -> String {
  format!("KV storage error: {e}")
}

impl KvStore {
  /// Opens (creating) the namespace's database under `dir`, or in memory.
  pub fn open(dir: Option<&Path>) -> Result<KvStore, String> {
    let conn = match dir {
      Some(dir) => {
        std::fs::create_dir_all(dir)
          .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let conn = Connection::open(dir.join("kiln-kv.sqlite")).map_err(sql_error)?;
        // Several workers of a process may bind the same namespace.
        conn
          .busy_timeout(std::time::Duration::from_secs(5))
          .map_err(sql_error)?;
        conn
          .pragma_update(None, "journal_mode", "WAL")
          .map_err(sql_error)?;
        conn
      }
      None => Connection::open_in_memory().map_err(sql_error)?,
    };
    conn
      .execute_batch(
        "CREATE TABLE IF NOT EXISTS entries (
           key BLOB PRIMARY KEY,
           value BLOB NOT NULL,
           expiration REAL,
           metadata TEXT
         ) WITHOUT ROWID;",
      )
      .map_err(sql_error)?;
    Ok(KvStore { conn })
  }

  pub fn get(&self, key: &str) -> Result<Option<KvEntry>, String> {
    self
      .conn
      .query_row(
        "SELECT value, metadata, expiration FROM entries
         WHERE key = ?1 AND (expiration IS NULL OR expiration > ?2)",
        params![key.as_bytes(), now_seconds()],
        |row| {
          Ok(KvEntry {
            value: row.get(0)?,
            metadata: row.get(1)?,
            expiration: row.get(2)?,
          })
        },
      )
      .optional()
      .map_err(sql_error)
  }

  pub fn put(&self, key: &str, entry: &KvEntry) -> Result<(), String> {
    self
      .conn
      .execute(
        "INSERT OR REPLACE INTO entries (key, value, expiration, metadata) VALUES (?1, ?2, ?3, ?4)",
        params![
          key.as_bytes(),
          entry.value,
          entry.expiration,
          entry.metadata
        ],
      )
      .map(|_| ())
      .map_err(sql_error)
  }

  pub fn delete(&self, key: &str) -> Result<(), String> {
    self
      .conn
      .execute(
        "DELETE FROM entries WHERE key = ?1",
        params![key.as_bytes()],
      )
      .map(|_| ())
      .map_err(sql_error)
  }

  /// Up to `limit` live keys starting with `prefix`, in byte order, after
  /// the key `after` (a previous page's `next_after`; empty: from the
  /// start). `after` need not be a key, nor UTF-8: a cursor is decoded to it.
  pub fn list(&self, prefix: &str, limit: usize, after: &[u8]) -> Result<KvPage, String> {
    // Expired entries are dropped here, where they would otherwise be
    // skipped on every list.
    self
      .conn
      .execute(
        "DELETE FROM entries WHERE expiration IS NOT NULL AND expiration <= ?1",
        params![now_seconds()],
      )
      .map_err(sql_error)?;
    let mut statement = self
      .conn
      .prepare_cached(
        "SELECT key, expiration, metadata FROM entries
         WHERE substr(key, 1, length(?1)) = ?1 AND key > ?2
         ORDER BY key LIMIT ?3",
      )
      .map_err(sql_error)?;
    let rows = statement
      .query_map(
        params![prefix.as_bytes(), after, (limit + 1) as i64],
        |row| {
          let name: Vec<u8> = row.get(0)?;
          Ok(KvKey {
            name: String::from_utf8_lossy(&name).into_owned(),
            expiration: row.get(1)?,
            metadata: row.get(2)?,
          })
        },
      )
      .map_err(sql_error)?;
    let mut keys = rows.collect::<Result<Vec<_>, _>>().map_err(sql_error)?;
    let next_after = if keys.len() > limit {
      keys.truncate(limit);
      keys.last().map(|k| k.name.clone().into_bytes())
    } else {
      None
    };
    Ok(KvPage { keys, next_after })
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn entry(value: &str) -> KvEntry {
    KvEntry {
      value: value.as_bytes().to_vec(),
      metadata: None,
      expiration: None,
    }
  }

  #[test]
  fn lists_in_byte_order_by_pages() {
    let kv = KvStore::open(None).unwrap();
    for key in ["b", "a", "é", "B", "a/b", "ab", "a\0b"] {
      kv.put(key, &entry(key)).unwrap();
    }
    let all = kv.list("", 10, b"").unwrap();
    let names: Vec<&str> = all.keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["B", "a", "a\0b", "a/b", "ab", "b", "é"]);
    assert_eq!(all.next_after, None);
    let first = kv.list("a", 3, b"").unwrap();
    assert_eq!(first.keys.len(), 3);
    assert_eq!(first.next_after.as_deref(), Some(&b"a/b"[..]));
    let second = kv
      .list("a", 3, first.next_after.as_deref().unwrap())
      .unwrap();
    let names: Vec<&str> = second.keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["ab"]);
    assert_eq!(second.next_after, None);
  }

  #[test]
  fn an_expired_entry_is_gone() {
    let kv = KvStore::open(None).unwrap();
    let mut e = entry("old");
    e.expiration = Some(now_seconds() - 1.0);
    kv.put("k", &e).unwrap();
    assert_eq!(kv.get("k").unwrap(), None);
    assert!(kv.list("", 10, b"").unwrap().keys.is_empty());
    e.expiration = Some(now_seconds() + 100.0);
    kv.put("k", &e).unwrap();
    assert_eq!(kv.get("k").unwrap().unwrap().value, b"old");
  }

  #[test]
  fn a_prefix_is_matched_as_bytes_not_as_a_pattern() {
    let kv = KvStore::open(None).unwrap();
    kv.put("a%c", &entry("1")).unwrap();
    kv.put("abc", &entry("2")).unwrap();
    kv.put("a_c", &entry("3")).unwrap();
    let page = kv.list("a%", 10, b"").unwrap();
    assert_eq!(page.keys.len(), 1);
    assert_eq!(page.keys[0].name, "a%c");
  }
}
