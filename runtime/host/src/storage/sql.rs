//! `ctx.storage.sql`: `exec()` and `databaseSize`.
//!
//! `exec` talks to SQLite directly rather than through rusqlite's statement API because workerd's
//! observable behaviour depends on details rusqlite hides: exactly where one statement ends and
//! the next begins, the error offset of the failing call, and per-statement counters.

use std::os::raw::{c_char, c_int};
use std::ptr;

use rusqlite::ffi;

use super::authorizer::{self, Mode};
use super::errors;
use super::{ObjectStorage, StorageError};

const SQL_NOT_ENABLED: &str = "SQL is not enabled for this Durable Object class. To enable it, \
  change `new_classes` to `new_sqlite_classes` within the 'migrations' field in your \
  wrangler.jsonc or wrangler.toml file. If using workerd directly,set `enableSql = true` in your \
  workerd config for the class. Note that this change cannot be made after the class is already \
  deployed to production.";
const NO_STATEMENT: &str = "SQL code did not contain a statement.";
const PARAMS_NOT_LAST: &str = "When executing multiple SQL statements in a single call, only the \
  last statement can have parameters.";
const WRONG_BINDING_COUNT: &str = "Wrong number of parameter bindings for SQL query.";

/// A value bound to or read from SQL. Integers stay 64-bit here; converting them to JavaScript
/// numbers (and losing precision above 2^53) is the ops' business.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
  Null,
  Integer(i64),
  Real(f64),
  Text(String),
  Blob(Vec<u8>),
}

/// The result of `exec`: all rows of the last statement, already read.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
  pub column_names: Vec<String>,
  pub rows: Vec<Vec<SqlValue>>,
  /// Approximations of workerd's counters, which come from a patched SQLite: rows written
  /// counts changed rows (triggers included, index entries not); rows read counts rows visited
  /// by full scans, and at least the rows returned.
  pub rows_read: u64,
  pub rows_written: u64,
}

/// Owns a prepared statement and finalizes it.
struct Statement(*mut ffi::sqlite3_stmt);

impl Drop for Statement {
  fn drop(&mut self) {
    // The return value repeats the statement's last error, which was already reported.
    unsafe { ffi::sqlite3_finalize(self.0) };
  }
}

impl ObjectStorage {
  /// `sql.exec(query, ...bindings)`. Every statement of `query` runs; the cursor belongs to the
  /// last one, which alone may take `bindings`. Writes join the implicit transaction.
  pub fn exec(
    &mut self,
    query: &str,
    bindings: impl AsRef<[SqlValue]>,
  ) -> Result<Cursor, StorageError> {
    self.require_sql()?;
    let bindings = bindings.as_ref();
    self.with_mode(Mode::User, |s| s.exec_user(query.as_bytes(), bindings))
  }

  /// SQLite's `total_changes()` and `last_insert_rowid()`: D1 reports each query's effect as
  /// the difference of these before and after it, as wrangler dev does.
  pub fn change_counters(&self) -> (i64, i64) {
    let db = unsafe { self.conn.handle() };
    unsafe {
      (
        ffi::sqlite3_total_changes64(db),
        ffi::sqlite3_last_insert_rowid(db),
      )
    }
  }

  /// `sql.databaseSize`: bytes in use, i.e. the file size less its free pages.
  pub fn database_size(&mut self) -> Result<u64, StorageError> {
    self.require_sql()?;
    let size: i64 = self.conn.query_row(
      "SELECT ((SELECT * FROM pragma_page_count) - (SELECT * FROM pragma_freelist_count)) \
       * (SELECT * FROM pragma_page_size)",
      [],
      |row| row.get(0),
    )?;
    Ok(size.max(0) as u64)
  }

  fn require_sql(&self) -> Result<(), StorageError> {
    if self.sql_enabled {
      Ok(())
    } else {
      Err(StorageError::error(SQL_NOT_ENABLED))
    }
  }

  fn exec_user(&mut self, sql: &[u8], bindings: &[SqlValue]) -> Result<Cursor, StorageError> {
    // Valid for as long as `self.conn` is not replaced, which nothing below does.
    let db = unsafe { self.conn.handle() };
    let mut rest = sql;
    loop {
      let (stmt, consumed) = self.prepare_user(db, rest)?;
      let mut next = &rest[consumed..];
      // workerd skips only whitespace here: a trailing comment or `;` counts as another,
      // empty, statement and fails below.
      while let Some((first, tail)) = next.split_first() {
        if !matches!(first, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
          break;
        }
        next = tail;
      }
      if next.is_empty() {
        return self.run_last(db, &stmt, bindings);
      }
      if unsafe { ffi::sqlite3_bind_parameter_count(stmt.0) } != 0 {
        return Err(StorageError::error(PARAMS_NOT_LAST));
      }
      if unsafe { ffi::sqlite3_stmt_readonly(stmt.0) } == 0 {
        self.begin_write()?;
      }
      // An earlier statement is stepped once, like workerd does; any rows it yields are dropped.
      let rc = unsafe { ffi::sqlite3_step(stmt.0) };
      if rc != ffi::SQLITE_ROW && rc != ffi::SQLITE_DONE {
        let err = unsafe { errors::from_handle(db, rc) };
        return Err(self.note_failure(err));
      }
      rest = next;
    }
  }

  /// Compiles the first statement of `sql` under the application's rules; returns it and how
  /// many bytes it took.
  fn prepare_user(
    &mut self,
    db: *mut ffi::sqlite3,
    sql: &[u8],
  ) -> Result<(Statement, usize), StorageError> {
    let Ok(len) = c_int::try_from(sql.len()) else {
      let message = errors::render(
        "statement too long",
        None,
        ffi::SQLITE_TOOBIG,
        ffi::SQLITE_TOOBIG,
      );
      return Err(StorageError::from_sqlite(message, ffi::SQLITE_TOOBIG));
    };
    {
      let mut state = self.auth_state();
      state.denial = None;
      state.saw_alter_table = false;
    }
    let mut raw: *mut ffi::sqlite3_stmt = ptr::null_mut();
    let mut tail: *const c_char = ptr::null();
    let rc =
      unsafe { ffi::sqlite3_prepare_v3(db, sql.as_ptr().cast(), len, 0, &mut raw, &mut tail) };
    let (denial, saw_alter_table) = {
      let mut state = self.auth_state();
      (
        state.denial.take(),
        std::mem::take(&mut state.saw_alter_table),
      )
    };
    if rc != ffi::SQLITE_OK {
      if rc & 0xff == ffi::SQLITE_AUTH {
        if let Some(message) = denial {
          return Err(StorageError::error(message));
        }
      }
      let err = unsafe { errors::from_handle(db, rc) };
      return Err(self.note_failure(err));
    }
    if raw.is_null() {
      return Err(StorageError::error(NO_STATEMENT));
    }
    let stmt = Statement(raw);
    let consumed = if tail.is_null() {
      sql.len()
    } else {
      (tail as usize)
        .saturating_sub(sql.as_ptr() as usize)
        .min(sql.len())
    };
    // Stock SQLite does not show the authorizer the target of RENAME TO, so a table could be
    // renamed into the reserved `_cf_` namespace; workerd's patched SQLite denies that.
    if saw_alter_table {
      if let Some(target) = authorizer::rename_target(&sql[..consumed]) {
        if !authorizer::is_allowed_name(&target) {
          let message = errors::render("not authorized", None, ffi::SQLITE_AUTH, ffi::SQLITE_AUTH);
          return Err(StorageError::from_sqlite(message, ffi::SQLITE_AUTH));
        }
      }
    }
    Ok((stmt, consumed))
  }

  fn run_last(
    &mut self,
    db: *mut ffi::sqlite3,
    stmt: &Statement,
    bindings: &[SqlValue],
  ) -> Result<Cursor, StorageError> {
    let expected = unsafe { ffi::sqlite3_bind_parameter_count(stmt.0) };
    if usize::try_from(expected).ok() != Some(bindings.len()) {
      return Err(StorageError::error(WRONG_BINDING_COUNT));
    }
    for (i, value) in bindings.iter().enumerate() {
      // Bound without copying: `bindings` outlives the statement's use below.
      let rc = unsafe { bind(stmt.0, i as c_int + 1, value) };
      if rc != ffi::SQLITE_OK {
        let err = unsafe { errors::from_handle(db, rc) };
        return Err(self.note_failure(err));
      }
    }
    if unsafe { ffi::sqlite3_stmt_readonly(stmt.0) } == 0 {
      self.begin_write()?;
    }

    let column_count = unsafe { ffi::sqlite3_column_count(stmt.0) };
    let column_names = (0..column_count)
      .map(|i| unsafe { errors::cstr_to_string(ffi::sqlite3_column_name(stmt.0, i)) })
      .collect();
    let changes_before = unsafe { ffi::sqlite3_total_changes64(db) };
    let mut rows = Vec::new();
    loop {
      match unsafe { ffi::sqlite3_step(stmt.0) } {
        ffi::SQLITE_ROW => rows.push(
          (0..column_count)
            .map(|i| unsafe { column_value(stmt.0, i) })
            .collect(),
        ),
        ffi::SQLITE_DONE => break,
        rc => {
          let err = unsafe { errors::from_handle(db, rc) };
          return Err(self.note_failure(err));
        }
      }
    }
    let rows_written = (unsafe { ffi::sqlite3_total_changes64(db) } - changes_before).max(0) as u64;
    let full_scan_steps =
      unsafe { ffi::sqlite3_stmt_status(stmt.0, ffi::SQLITE_STMTSTATUS_FULLSCAN_STEP, 0) }.max(0)
        as u64;
    // Each full scan step moves to a further row; the row the scan starts on is not a step.
    let scanned = if full_scan_steps > 0 {
      full_scan_steps + 1
    } else {
      0
    };
    let rows_read = scanned.max(rows.len() as u64);
    Ok(Cursor {
      column_names,
      rows,
      rows_read,
      rows_written,
    })
  }
}

/// # Safety
/// `stmt` must be a live statement and `value` must outlive its next reset.
unsafe fn bind(stmt: *mut ffi::sqlite3_stmt, index: c_int, value: &SqlValue) -> c_int {
  unsafe {
    match value {
      SqlValue::Null => ffi::sqlite3_bind_null(stmt, index),
      SqlValue::Integer(i) => ffi::sqlite3_bind_int64(stmt, index, *i),
      SqlValue::Real(r) => ffi::sqlite3_bind_double(stmt, index, *r),
      SqlValue::Text(s) => ffi::sqlite3_bind_text64(
        stmt,
        index,
        s.as_ptr().cast(),
        s.len() as ffi::sqlite3_uint64,
        ffi::SQLITE_STATIC(),
        ffi::SQLITE_UTF8 as u8,
      ),
      // An empty blob must stay a BLOB rather than become NULL.
      SqlValue::Blob(b) if b.is_empty() => ffi::sqlite3_bind_zeroblob(stmt, index, 0),
      SqlValue::Blob(b) => ffi::sqlite3_bind_blob64(
        stmt,
        index,
        b.as_ptr().cast(),
        b.len() as ffi::sqlite3_uint64,
        ffi::SQLITE_STATIC(),
      ),
    }
  }
}

/// # Safety
/// `stmt` must have just returned SQLITE_ROW and `i` must be a valid column.
unsafe fn column_value(stmt: *mut ffi::sqlite3_stmt, i: c_int) -> SqlValue {
  unsafe {
    match ffi::sqlite3_column_type(stmt, i) {
      ffi::SQLITE_INTEGER => SqlValue::Integer(ffi::sqlite3_column_int64(stmt, i)),
      ffi::SQLITE_FLOAT => SqlValue::Real(ffi::sqlite3_column_double(stmt, i)),
      ffi::SQLITE_TEXT => {
        let p = ffi::sqlite3_column_text(stmt, i);
        let n = ffi::sqlite3_column_bytes(stmt, i).max(0) as usize;
        let bytes = if p.is_null() {
          &[][..]
        } else {
          std::slice::from_raw_parts(p, n)
        };
        // Text made from a blob can be invalid UTF-8; V8 would replace it the same way.
        SqlValue::Text(String::from_utf8_lossy(bytes).into_owned())
      }
      ffi::SQLITE_BLOB => {
        let p = ffi::sqlite3_column_blob(stmt, i).cast::<u8>();
        let n = ffi::sqlite3_column_bytes(stmt, i).max(0) as usize;
        SqlValue::Blob(if p.is_null() {
          Vec::new()
        } else {
          std::slice::from_raw_parts(p, n).to_vec()
        })
      }
      _ => SqlValue::Null,
    }
  }
}
