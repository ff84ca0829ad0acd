//! Errors as JavaScript will see them: the class to throw and the exact message workerd uses,
//! including its rendering of SQLite failures.

use std::fmt;

use rusqlite::ffi;

/// Which JavaScript error constructor the ops must use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
  Error,
  TypeError,
  RangeError,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError {
  pub class: ErrorClass,
  pub message: String,
  /// The primary SQLite result code, when the failure came from SQLite.
  pub sqlite_code: Option<i32>,
  /// The object must be reset (workerd's `broken.` errors): a commit failed, or SQLite rolled the
  /// transaction back on its own after a critical error, so in-memory state no longer matches
  /// storage.
  pub resets_object: bool,
}

impl StorageError {
  pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
    StorageError {
      class,
      message: message.into(),
      sqlite_code: None,
      resets_object: false,
    }
  }

  pub fn error(message: impl Into<String>) -> Self {
    Self::new(ErrorClass::Error, message)
  }

  pub fn type_error(message: impl Into<String>) -> Self {
    Self::new(ErrorClass::TypeError, message)
  }

  pub(crate) fn from_sqlite(message: String, primary: i32) -> Self {
    StorageError {
      class: ErrorClass::Error,
      message,
      sqlite_code: Some(primary),
      resets_object: false,
    }
  }

  pub(crate) fn resetting(mut self) -> Self {
    self.resets_object = true;
    self
  }
}

impl fmt::Display for StorageError {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let class = match self.class {
      ErrorClass::Error => "Error",
      ErrorClass::TypeError => "TypeError",
      ErrorClass::RangeError => "RangeError",
    };
    write!(f, "{class}: {}", self.message)
  }
}

impl std::error::Error for StorageError {}

impl From<rusqlite::Error> for StorageError {
  fn from(err: rusqlite::Error) -> Self {
    match err {
      rusqlite::Error::SqliteFailure(e, msg) => {
        let primary = e.extended_code & 0xff;
        let msg = msg.unwrap_or_else(|| error_string(e.extended_code));
        StorageError::from_sqlite(render(&msg, None, primary, e.extended_code), primary)
      }
      rusqlite::Error::SqlInputError {
        error, msg, offset, ..
      } => {
        let primary = error.extended_code & 0xff;
        let offset = (offset >= 0).then_some(offset);
        StorageError::from_sqlite(render(&msg, offset, primary, error.extended_code), primary)
      }
      other => StorageError::error(other.to_string()),
    }
  }
}

/// `<errmsg>[ at offset N]: SQLITE_<CODE>[ (extended: SQLITE_<EXT>)]`, workerd's rendering.
pub(crate) fn render(msg: &str, offset: Option<i32>, primary: i32, extended: i32) -> String {
  let mut out = String::from(msg);
  if let Some(offset) = offset {
    out.push_str(&format!(" at offset {offset}"));
  }
  out.push_str(": ");
  match primary_name(primary) {
    Some(name) => out.push_str(name),
    None => out.push_str(&format!("SQLITE_UNKNOWN_ERROR_CODE({primary})")),
  }
  if extended != primary {
    if let Some(name) = extended_name(extended) {
      out.push_str(&format!(" (extended: {name})"));
    }
  }
  out
}

/// Renders the error currently recorded on `db` for a call that returned `rc`.
///
/// # Safety
/// `db` must be a live connection handle, used from this thread only.
pub(crate) unsafe fn from_handle(db: *mut ffi::sqlite3, rc: i32) -> StorageError {
  let primary = rc & 0xff;
  let (msg, offset, extended) = unsafe {
    let msg = cstr_to_string(ffi::sqlite3_errmsg(db));
    let offset = ffi::sqlite3_error_offset(db);
    (msg, offset, ffi::sqlite3_extended_errcode(db))
  };
  let offset = (offset >= 0).then_some(offset);
  StorageError::from_sqlite(render(&msg, offset, primary, extended), primary)
}

pub(crate) fn error_string(code: i32) -> String {
  // sqlite3_errstr returns a static string for every code, known or not.
  unsafe { cstr_to_string(ffi::sqlite3_errstr(code)) }
}

/// # Safety
/// `p` must be null or a NUL-terminated string.
pub(crate) unsafe fn cstr_to_string(p: *const std::os::raw::c_char) -> String {
  if p.is_null() {
    return String::new();
  }
  unsafe { std::ffi::CStr::from_ptr(p) }
    .to_string_lossy()
    .into_owned()
}

fn primary_name(code: i32) -> Option<&'static str> {
  Some(match code {
    ffi::SQLITE_OK => "SQLITE_OK",
    ffi::SQLITE_ERROR => "SQLITE_ERROR",
    ffi::SQLITE_INTERNAL => "SQLITE_INTERNAL",
    ffi::SQLITE_PERM => "SQLITE_PERM",
    ffi::SQLITE_ABORT => "SQLITE_ABORT",
    ffi::SQLITE_BUSY => "SQLITE_BUSY",
    ffi::SQLITE_LOCKED => "SQLITE_LOCKED",
    ffi::SQLITE_NOMEM => "SQLITE_NOMEM",
    ffi::SQLITE_READONLY => "SQLITE_READONLY",
    ffi::SQLITE_INTERRUPT => "SQLITE_INTERRUPT",
    ffi::SQLITE_IOERR => "SQLITE_IOERR",
    ffi::SQLITE_CORRUPT => "SQLITE_CORRUPT",
    ffi::SQLITE_NOTFOUND => "SQLITE_NOTFOUND",
    ffi::SQLITE_FULL => "SQLITE_FULL",
    ffi::SQLITE_CANTOPEN => "SQLITE_CANTOPEN",
    ffi::SQLITE_PROTOCOL => "SQLITE_PROTOCOL",
    ffi::SQLITE_EMPTY => "SQLITE_EMPTY",
    ffi::SQLITE_SCHEMA => "SQLITE_SCHEMA",
    ffi::SQLITE_TOOBIG => "SQLITE_TOOBIG",
    ffi::SQLITE_CONSTRAINT => "SQLITE_CONSTRAINT",
    ffi::SQLITE_MISMATCH => "SQLITE_MISMATCH",
    ffi::SQLITE_MISUSE => "SQLITE_MISUSE",
    ffi::SQLITE_NOLFS => "SQLITE_NOLFS",
    ffi::SQLITE_AUTH => "SQLITE_AUTH",
    ffi::SQLITE_FORMAT => "SQLITE_FORMAT",
    ffi::SQLITE_RANGE => "SQLITE_RANGE",
    ffi::SQLITE_NOTADB => "SQLITE_NOTADB",
    ffi::SQLITE_NOTICE => "SQLITE_NOTICE",
    ffi::SQLITE_WARNING => "SQLITE_WARNING",
    ffi::SQLITE_ROW => "SQLITE_ROW",
    ffi::SQLITE_DONE => "SQLITE_DONE",
    _ => return None,
  })
}

// workerd names only these extended codes; any other extended code is left out of the message,
// so newer codes must not be added here.
fn extended_name(code: i32) -> Option<&'static str> {
  Some(match code {
    ffi::SQLITE_ABORT_ROLLBACK => "SQLITE_ABORT_ROLLBACK",
    ffi::SQLITE_AUTH_USER => "SQLITE_AUTH_USER",
    ffi::SQLITE_BUSY_RECOVERY => "SQLITE_BUSY_RECOVERY",
    ffi::SQLITE_BUSY_SNAPSHOT => "SQLITE_BUSY_SNAPSHOT",
    ffi::SQLITE_BUSY_TIMEOUT => "SQLITE_BUSY_TIMEOUT",
    ffi::SQLITE_CANTOPEN_CONVPATH => "SQLITE_CANTOPEN_CONVPATH",
    ffi::SQLITE_CANTOPEN_DIRTYWAL => "SQLITE_CANTOPEN_DIRTYWAL",
    ffi::SQLITE_CANTOPEN_FULLPATH => "SQLITE_CANTOPEN_FULLPATH",
    ffi::SQLITE_CANTOPEN_ISDIR => "SQLITE_CANTOPEN_ISDIR",
    ffi::SQLITE_CANTOPEN_NOTEMPDIR => "SQLITE_CANTOPEN_NOTEMPDIR",
    ffi::SQLITE_CANTOPEN_SYMLINK => "SQLITE_CANTOPEN_SYMLINK",
    ffi::SQLITE_CONSTRAINT_CHECK => "SQLITE_CONSTRAINT_CHECK",
    ffi::SQLITE_CONSTRAINT_COMMITHOOK => "SQLITE_CONSTRAINT_COMMITHOOK",
    ffi::SQLITE_CONSTRAINT_DATATYPE => "SQLITE_CONSTRAINT_DATATYPE",
    ffi::SQLITE_CONSTRAINT_FOREIGNKEY => "SQLITE_CONSTRAINT_FOREIGNKEY",
    ffi::SQLITE_CONSTRAINT_FUNCTION => "SQLITE_CONSTRAINT_FUNCTION",
    ffi::SQLITE_CONSTRAINT_NOTNULL => "SQLITE_CONSTRAINT_NOTNULL",
    ffi::SQLITE_CONSTRAINT_PINNED => "SQLITE_CONSTRAINT_PINNED",
    ffi::SQLITE_CONSTRAINT_PRIMARYKEY => "SQLITE_CONSTRAINT_PRIMARYKEY",
    ffi::SQLITE_CONSTRAINT_ROWID => "SQLITE_CONSTRAINT_ROWID",
    ffi::SQLITE_CONSTRAINT_TRIGGER => "SQLITE_CONSTRAINT_TRIGGER",
    ffi::SQLITE_CONSTRAINT_UNIQUE => "SQLITE_CONSTRAINT_UNIQUE",
    ffi::SQLITE_CONSTRAINT_VTAB => "SQLITE_CONSTRAINT_VTAB",
    ffi::SQLITE_CORRUPT_INDEX => "SQLITE_CORRUPT_INDEX",
    ffi::SQLITE_CORRUPT_SEQUENCE => "SQLITE_CORRUPT_SEQUENCE",
    ffi::SQLITE_CORRUPT_VTAB => "SQLITE_CORRUPT_VTAB",
    ffi::SQLITE_ERROR_MISSING_COLLSEQ => "SQLITE_ERROR_MISSING_COLLSEQ",
    ffi::SQLITE_ERROR_RETRY => "SQLITE_ERROR_RETRY",
    ffi::SQLITE_ERROR_SNAPSHOT => "SQLITE_ERROR_SNAPSHOT",
    ffi::SQLITE_IOERR_ACCESS => "SQLITE_IOERR_ACCESS",
    ffi::SQLITE_IOERR_AUTH => "SQLITE_IOERR_AUTH",
    ffi::SQLITE_IOERR_BEGIN_ATOMIC => "SQLITE_IOERR_BEGIN_ATOMIC",
    ffi::SQLITE_IOERR_BLOCKED => "SQLITE_IOERR_BLOCKED",
    ffi::SQLITE_IOERR_CHECKRESERVEDLOCK => "SQLITE_IOERR_CHECKRESERVEDLOCK",
    ffi::SQLITE_IOERR_CLOSE => "SQLITE_IOERR_CLOSE",
    ffi::SQLITE_IOERR_COMMIT_ATOMIC => "SQLITE_IOERR_COMMIT_ATOMIC",
    ffi::SQLITE_IOERR_CONVPATH => "SQLITE_IOERR_CONVPATH",
    ffi::SQLITE_IOERR_CORRUPTFS => "SQLITE_IOERR_CORRUPTFS",
    ffi::SQLITE_IOERR_DATA => "SQLITE_IOERR_DATA",
    ffi::SQLITE_IOERR_DELETE => "SQLITE_IOERR_DELETE",
    ffi::SQLITE_IOERR_DELETE_NOENT => "SQLITE_IOERR_DELETE_NOENT",
    ffi::SQLITE_IOERR_DIR_CLOSE => "SQLITE_IOERR_DIR_CLOSE",
    ffi::SQLITE_IOERR_DIR_FSYNC => "SQLITE_IOERR_DIR_FSYNC",
    ffi::SQLITE_IOERR_FSTAT => "SQLITE_IOERR_FSTAT",
    ffi::SQLITE_IOERR_FSYNC => "SQLITE_IOERR_FSYNC",
    ffi::SQLITE_IOERR_GETTEMPPATH => "SQLITE_IOERR_GETTEMPPATH",
    ffi::SQLITE_IOERR_LOCK => "SQLITE_IOERR_LOCK",
    ffi::SQLITE_IOERR_MMAP => "SQLITE_IOERR_MMAP",
    ffi::SQLITE_IOERR_NOMEM => "SQLITE_IOERR_NOMEM",
    ffi::SQLITE_IOERR_RDLOCK => "SQLITE_IOERR_RDLOCK",
    ffi::SQLITE_IOERR_READ => "SQLITE_IOERR_READ",
    ffi::SQLITE_IOERR_ROLLBACK_ATOMIC => "SQLITE_IOERR_ROLLBACK_ATOMIC",
    ffi::SQLITE_IOERR_SEEK => "SQLITE_IOERR_SEEK",
    ffi::SQLITE_IOERR_SHMLOCK => "SQLITE_IOERR_SHMLOCK",
    ffi::SQLITE_IOERR_SHMMAP => "SQLITE_IOERR_SHMMAP",
    ffi::SQLITE_IOERR_SHMOPEN => "SQLITE_IOERR_SHMOPEN",
    ffi::SQLITE_IOERR_SHMSIZE => "SQLITE_IOERR_SHMSIZE",
    ffi::SQLITE_IOERR_SHORT_READ => "SQLITE_IOERR_SHORT_READ",
    ffi::SQLITE_IOERR_TRUNCATE => "SQLITE_IOERR_TRUNCATE",
    ffi::SQLITE_IOERR_UNLOCK => "SQLITE_IOERR_UNLOCK",
    ffi::SQLITE_IOERR_VNODE => "SQLITE_IOERR_VNODE",
    ffi::SQLITE_IOERR_WRITE => "SQLITE_IOERR_WRITE",
    ffi::SQLITE_LOCKED_SHAREDCACHE => "SQLITE_LOCKED_SHAREDCACHE",
    ffi::SQLITE_LOCKED_VTAB => "SQLITE_LOCKED_VTAB",
    ffi::SQLITE_NOTICE_RECOVER_ROLLBACK => "SQLITE_NOTICE_RECOVER_ROLLBACK",
    ffi::SQLITE_NOTICE_RECOVER_WAL => "SQLITE_NOTICE_RECOVER_WAL",
    ffi::SQLITE_OK_LOAD_PERMANENTLY => "SQLITE_OK_LOAD_PERMANENTLY",
    ffi::SQLITE_READONLY_CANTINIT => "SQLITE_READONLY_CANTINIT",
    ffi::SQLITE_READONLY_CANTLOCK => "SQLITE_READONLY_CANTLOCK",
    ffi::SQLITE_READONLY_DBMOVED => "SQLITE_READONLY_DBMOVED",
    ffi::SQLITE_READONLY_DIRECTORY => "SQLITE_READONLY_DIRECTORY",
    ffi::SQLITE_READONLY_RECOVERY => "SQLITE_READONLY_RECOVERY",
    ffi::SQLITE_READONLY_ROLLBACK => "SQLITE_READONLY_ROLLBACK",
    ffi::SQLITE_WARNING_AUTOINDEX => "SQLITE_WARNING_AUTOINDEX",
    _ => return None,
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn render_follows_workerds_shape() {
    assert_eq!(render("boom", None, 1, 1), "boom: SQLITE_ERROR");
    assert_eq!(
      render("near \"x\": syntax error", Some(7), 1, 1),
      "near \"x\": syntax error at offset 7: SQLITE_ERROR"
    );
    assert_eq!(
      render("UNIQUE constraint failed: t.a", None, 19, 2067),
      "UNIQUE constraint failed: t.a: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)"
    );
    // SQLITE_IOERR_IN_PAGE (8714) is newer than workerd's table, so it is not named.
    assert_eq!(
      render("disk I/O error", None, 10, 8714),
      "disk I/O error: SQLITE_IOERR"
    );
    assert_eq!(
      render("?", None, 77, 77),
      "?: SQLITE_UNKNOWN_ERROR_CODE(77)"
    );
  }
}
