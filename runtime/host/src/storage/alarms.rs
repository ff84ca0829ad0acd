//! Alarm persistence. An object's alarm lives in its own database (`_cf_METADATA`, key 1), so it
//! commits and rolls back with the object's writes; each namespace also keeps every pending alarm
//! in `metadata.sqlite` so that start-up can schedule them without opening every object.
//! Times are epoch milliseconds here and nanoseconds on disk, as workerd stores them.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::{ObjectStorage, StorageError};

const CREATE_METADATA: &str =
  "CREATE TABLE IF NOT EXISTS _cf_METADATA (key INTEGER PRIMARY KEY, value BLOB)";
const ALARM_KEY: i64 = 1;
const NANOS_PER_MILLI: i64 = 1_000_000;

fn ms_to_ns(ms: i64) -> i64 {
  // Beyond ~292 years from 1970 nanoseconds no longer fit; such an alarm never fires anyway.
  ms.saturating_mul(NANOS_PER_MILLI)
}

fn ns_to_ms(ns: i64) -> i64 {
  ns.div_euclid(NANOS_PER_MILLI)
}

impl ObjectStorage {
  /// The alarm time in epoch ms, including an uncommitted `set_alarm` of this turn.
  pub fn get_alarm(&mut self) -> Result<Option<i64>, StorageError> {
    if !self.metadata_exists()? {
      return Ok(None);
    }
    let result = (|| {
      let mut stmt = self
        .conn
        .prepare_cached("SELECT value FROM _cf_METADATA WHERE key = ?1")?;
      stmt
        .query_row([ALARM_KEY], |row| row.get::<_, Option<i64>>(0))
        .optional()
    })();
    let value = result.map_err(|e| self.note_failure(e.into()))?;
    Ok(value.flatten().map(ns_to_ms))
  }

  /// Sets (`Some`) or clears (`None`) the alarm as part of this turn's writes. The caller
  /// updates the namespace's [`AlarmStore`] once the write is committed.
  pub fn set_alarm(&mut self, scheduled_ms: Option<i64>) -> Result<(), StorageError> {
    if scheduled_ms.is_some_and(|t| t <= 0) {
      return Err(StorageError::type_error(
        "setAlarm() cannot be called with an alarm time <= 0",
      ));
    }
    // Rewriting the same value would only open a transaction for nothing.
    if self.get_alarm()? == scheduled_ms {
      return Ok(());
    }
    self.begin_write()?;
    if !self.metadata_exists()? {
      self.run_internal(CREATE_METADATA)?;
      self.metadata_ready = true;
    }
    let result = (|| {
      let mut stmt = self.conn.prepare_cached(
        "INSERT INTO _cf_METADATA VALUES (?1, ?2) ON CONFLICT DO UPDATE SET value = excluded.value",
      )?;
      // A cleared alarm is a NULL row, as workerd writes it.
      stmt.execute(rusqlite::params![ALARM_KEY, scheduled_ms.map(ms_to_ns)])
    })();
    result.map(drop).map_err(|e| self.note_failure(e.into()))
  }

  pub fn delete_alarm(&mut self) -> Result<(), StorageError> {
    self.set_alarm(None)
  }

  /// Creates `_cf_METADATA` now, as workerd does in every object's database
  /// (a D1 database shows it to SQL, which may not read it).
  pub fn create_metadata_table(&mut self) -> Result<(), StorageError> {
    if !self.metadata_exists()? {
      self.run_internal(CREATE_METADATA)?;
      self.metadata_ready = true;
    }
    Ok(())
  }

  fn metadata_exists(&mut self) -> Result<bool, StorageError> {
    if !self.metadata_ready {
      self.metadata_ready = self.table_exists("_cf_METADATA")?;
    }
    Ok(self.metadata_ready)
  }
}

/// One row of a namespace's alarm table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAlarm {
  /// Lowercase hex id.
  pub actor_id: String,
  pub scheduled_time_ms: i64,
  /// The `idFromName` name, restored as `ctx.id.name` when the alarm wakes the object.
  pub actor_name: Option<String>,
}

/// `<namespace dir>/metadata.sqlite`: every pending alarm of one namespace.
pub struct AlarmStore {
  pub(super) conn: Connection,
}

impl std::fmt::Debug for AlarmStore {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.debug_struct("AlarmStore")
      .field("path", &self.conn.path())
      .finish()
  }
}

impl AlarmStore {
  /// Opens the store in `namespace_dir` (created if needed), or an in-memory one for `None`.
  pub fn open(namespace_dir: Option<&Path>) -> Result<Self, StorageError> {
    let conn = match namespace_dir {
      Some(dir) => {
        std::fs::create_dir_all(dir)
          .map_err(|e| StorageError::error(format!("cannot create {}: {e}", dir.display())))?;
        let conn = Connection::open_with_flags(
          dir.join("metadata.sqlite"),
          OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
        conn
      }
      None => Connection::open_in_memory()?,
    };
    conn.execute_batch(
      "PRAGMA synchronous=FULL;
       CREATE TABLE IF NOT EXISTS _cf_ALARM (
         actor_id TEXT PRIMARY KEY,
         scheduled_time INTEGER,
         actor_name TEXT
       ) WITHOUT ROWID;",
    )?;
    // Stores written before names were kept lack the column.
    let has_name = conn
      .prepare("SELECT 1 FROM pragma_table_info('_cf_ALARM') WHERE name = 'actor_name'")?
      .exists([])?;
    if !has_name {
      conn.execute_batch("ALTER TABLE _cf_ALARM ADD COLUMN actor_name TEXT")?;
    }
    Ok(AlarmStore { conn })
  }

  /// Records the alarm of `actor_id`. A `None` name keeps the one already stored, since a wake-up
  /// of an object first reached through `idFromString` does not know it.
  pub fn set(
    &self,
    actor_id: &str,
    scheduled_time_ms: i64,
    actor_name: Option<&str>,
  ) -> Result<(), StorageError> {
    let mut stmt = self.conn.prepare_cached(
      "INSERT INTO _cf_ALARM VALUES (?1, ?2, ?3) ON CONFLICT DO UPDATE SET \
       scheduled_time = excluded.scheduled_time, \
       actor_name = COALESCE(excluded.actor_name, _cf_ALARM.actor_name)",
    )?;
    stmt.execute(rusqlite::params![
      actor_id,
      ms_to_ns(scheduled_time_ms),
      actor_name
    ])?;
    Ok(())
  }

  /// Returns whether an alarm was stored.
  pub fn delete(&self, actor_id: &str) -> Result<bool, StorageError> {
    let mut stmt = self
      .conn
      .prepare_cached("DELETE FROM _cf_ALARM WHERE actor_id = ?1")?;
    Ok(stmt.execute([actor_id])? > 0)
  }

  pub fn get(&self, actor_id: &str) -> Result<Option<StoredAlarm>, StorageError> {
    let mut stmt = self.conn.prepare_cached(
      "SELECT actor_id, scheduled_time, actor_name FROM _cf_ALARM WHERE actor_id = ?1",
    )?;
    Ok(stmt.query_row([actor_id], stored_alarm).optional()?)
  }

  /// Every stored alarm, earliest first, for scheduling at start-up.
  pub fn load_all(&self) -> Result<Vec<StoredAlarm>, StorageError> {
    let mut stmt = self.conn.prepare_cached(
      "SELECT actor_id, scheduled_time, actor_name FROM _cf_ALARM \
       ORDER BY scheduled_time, actor_id",
    )?;
    let rows = stmt.query_map([], stored_alarm)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
  }
}

fn stored_alarm(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredAlarm> {
  Ok(StoredAlarm {
    actor_id: row.get(0)?,
    scheduled_time_ms: ns_to_ms(row.get::<_, Option<i64>>(1)?.unwrap_or(0)),
    actor_name: row.get(2)?,
  })
}
