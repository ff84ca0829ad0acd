//! Durable Object storage: one SQLite database per object, laid out and behaving like workerd's
//! SQLite backend so that `.wrangler/state` directories are interchangeable and JavaScript sees
//! the same results and error messages.
//!
//! Everything here is synchronous and meant to be driven from the object's own thread: the ops
//! call the KV and SQL methods during a JavaScript turn and [`ObjectStorage::commit`] at its end.
//! Values are opaque bytes (V8 serializations); nothing here looks inside them.

mod alarms;
mod authorizer;
mod errors;
mod kv;
mod math;
mod sql;
mod txn;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use rusqlite::config::DbConfig;
use rusqlite::limits::Limit;
use rusqlite::{Connection, OpenFlags};

pub use alarms::{AlarmStore, StoredAlarm};
pub use authorizer::TRANSACTION_STATEMENT_MESSAGE;
pub use errors::{ErrorClass, StorageError};
pub use kv::{DeleteAllOutcome, ListOptions};
pub use sql::{Cursor, SqlValue};

use authorizer::{Mode, SharedAuth};

/// The database of one object: `<namespace dir>/<64-hex-id>.sqlite`, or memory only.
pub struct ObjectStorage {
  conn: Connection,
  path: Option<PathBuf>,
  sql_enabled: bool,
  auth: SharedAuth,
  /// An implicit transaction (`BEGIN`) is open and holds this turn's writes.
  implicit_open: bool,
  /// Other connections (other workers, `kiln d1`) write the same file.
  shared: bool,
  /// Open explicit transactions, outermost first; each is the savepoint `_cf_savepoint_<depth>`.
  savepoint_depth: usize,
  /// `_cf_KV` / `_cf_METADATA` are known to exist. Only a cache: cleared whenever a rollback could
  /// have undone their creation.
  kv_ready: bool,
  metadata_ready: bool,
  /// Set when SQLite rolled back an open transaction by itself (disk full, I/O error, ...). The
  /// writes the application believes it made are gone, so nothing may commit any more.
  critical_error: Option<String>,
}

impl std::fmt::Debug for ObjectStorage {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.debug_struct("ObjectStorage")
      .field("path", &self.path)
      .field("sql_enabled", &self.sql_enabled)
      .field("implicit_open", &self.implicit_open)
      .field("savepoint_depth", &self.savepoint_depth)
      .finish_non_exhaustive()
  }
}

impl ObjectStorage {
  /// Opens (creating it and its parent directories if needed) the database at `path`, or an empty
  /// in-memory database when `path` is `None`. `sql_enabled` is the class's `enableSql`
  /// (`new_sqlite_classes`); KV, transactions and alarms work either way.
  pub fn open(path: Option<&Path>, sql_enabled: bool) -> Result<Self, StorageError> {
    if let Some(parent) = path.and_then(Path::parent) {
      if !parent.as_os_str().is_empty() {
        std::fs::create_dir_all(parent)
          .map_err(|e| StorageError::error(format!("cannot create {}: {e}", parent.display())))?;
      }
    }
    let auth = authorizer::new_shared();
    let conn = open_connection(path, &auth)?;
    Ok(ObjectStorage {
      conn,
      path: path.map(Path::to_path_buf),
      sql_enabled,
      auth,
      implicit_open: false,
      shared: false,
      savepoint_depth: 0,
      kv_ready: false,
      metadata_ready: false,
      critical_error: None,
    })
  }

  /// Makes the file one several connections write (a D1 database or R2 bucket bound by several
  /// workers, or migrated while served): a lock another connection holds is waited for up to
  /// `timeout`, and writes take their lock when their transaction begins. An object's database
  /// has one owner and never waits.
  pub fn share(&mut self, timeout: std::time::Duration) -> Result<(), StorageError> {
    self.shared = true;
    Ok(self.conn.busy_timeout(timeout)?)
  }

  pub fn path(&self) -> Option<&Path> {
    self.path.as_deref()
  }

  pub fn sql_enabled(&self) -> bool {
    self.sql_enabled
  }

  /// Throws away the whole database and starts an empty one in its place, as workerd does for
  /// `deleteAll()`. No transaction may be open.
  fn reset_database(&mut self) -> Result<(), StorageError> {
    debug_assert!(!self.implicit_open && self.savepoint_depth == 0);
    // Swap in a placeholder so the real connection can be closed before its files are removed.
    let placeholder = Connection::open_in_memory()?;
    let old = std::mem::replace(&mut self.conn, placeholder);
    if let Err((old, err)) = old.close() {
      self.conn = old;
      return Err(err.into());
    }
    self.kv_ready = false;
    self.metadata_ready = false;
    let mut removal = Ok(());
    if let Some(path) = &self.path {
      for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        match std::fs::remove_file(&file) {
          Ok(()) => {}
          Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
          Err(e) => {
            let shown = Path::new(&file).display().to_string();
            removal = Err(StorageError::error(format!("cannot remove {shown}: {e}")));
            break;
          }
        }
      }
    }
    // Reopen whatever is there now, so that a failure above still leaves a usable database.
    self.conn =
      open_connection(self.path.as_deref(), &self.auth).map_err(StorageError::resetting)?;
    removal
  }

  /// Runs `f` with the authorizer in `mode`, restoring the previous mode afterwards.
  fn with_mode<T>(&mut self, mode: Mode, f: impl FnOnce(&mut Self) -> T) -> T {
    let previous = {
      let mut state = self.auth_state();
      std::mem::replace(&mut state.mode, mode)
    };
    let result = f(self);
    self.auth_state().mode = previous;
    result
  }

  fn auth_state(&self) -> std::sync::MutexGuard<'_, authorizer::AuthState> {
    self
      .auth
      .lock()
      .unwrap_or_else(|poisoned| poisoned.into_inner())
  }

  fn table_exists(&self, name: &str) -> Result<bool, StorageError> {
    let mut stmt = self
      .conn
      .prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?;
    Ok(stmt.exists([name])?)
  }
}

/// The limits workerd sets with `sqlite3_limit` (from sqlite.org/security.html, with its own
/// values where it differs).
const LIMITS: &[(Limit, i32)] = &[
  (Limit::SQLITE_LIMIT_LENGTH, 2_200_000),
  (Limit::SQLITE_LIMIT_SQL_LENGTH, 100_000),
  (Limit::SQLITE_LIMIT_COLUMN, 100),
  (Limit::SQLITE_LIMIT_EXPR_DEPTH, 100),
  (Limit::SQLITE_LIMIT_COMPOUND_SELECT, 5),
  (Limit::SQLITE_LIMIT_VDBE_OP, 25_000),
  (Limit::SQLITE_LIMIT_FUNCTION_ARG, 127),
  (Limit::SQLITE_LIMIT_ATTACHED, 0),
  (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 50),
  (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 100),
  (Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 10),
  (Limit::SQLITE_LIMIT_WORKER_THREADS, 0),
];

fn open_connection(path: Option<&Path>, auth: &SharedAuth) -> Result<Connection, StorageError> {
  let mut conn = match path {
    Some(path) => Connection::open_with_flags(
      path,
      OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?,
    None => Connection::open_in_memory()?,
  };
  // Defensive mode stops application SQL from corrupting the file through writable_schema and
  // similar back doors.
  conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
  for &(limit, value) in LIMITS {
    conn.set_limit(limit, value)?;
  }
  if path.is_some() {
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
      return Err(StorageError::error(format!(
        "could not enable WAL mode (got {mode})"
      )));
    }
  }
  // An acknowledged write must survive the process being killed, so every commit is synced.
  conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
  math::register(&conn)?;
  authorizer::install(&mut conn, auth)?;
  Ok(conn)
}
