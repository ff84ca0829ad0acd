//! Transactions. Every write joins an implicit transaction that the ops commit at the end of the
//! JavaScript turn, so all writes made between two awaits become durable together (and the
//! output gate has something to wait for). Explicit transactions are savepoints inside it.

use rusqlite::ffi;

use super::authorizer::Mode;
use super::{ObjectStorage, StorageError};

const CRITICAL_ERROR_MESSAGE: &str =
  "Cannot commit transaction due to an earlier SQL critical error";
const CONSTRAINT_RESET_PREFIX: &str = "Durable Object was reset and rolled back to its last known \
  good state because the application left the database in a state where constraints were \
  violated: ";
const DELETE_ALL_IN_TRANSACTION: &str = "Cannot call deleteAll() within a transaction";

impl ObjectStorage {
  /// Whether writes are waiting for [`commit`](Self::commit).
  pub fn has_uncommitted_writes(&self) -> bool {
    self.implicit_open
  }

  /// Number of explicit transactions (savepoints) currently open.
  pub fn transaction_depth(&self) -> usize {
    self.savepoint_depth
  }

  /// Makes this turn's writes durable; the ops call it when the turn ends, before anything the
  /// object produced is let out. Returns whether anything was committed.
  ///
  /// While an explicit transaction is still open (an async `transaction()` awaiting inside its
  /// closure) nothing is committed: its writes must stay revocable, so they and the rest of the
  /// turn's writes commit at the first `commit()` after the outermost transaction is released.
  ///
  /// A failed commit rolls back to the last committed state and returns an error with
  /// `resets_object` set; a constraint violation (a deferred foreign key) carries workerd's
  /// "Durable Object was reset and rolled back…" message.
  pub fn commit(&mut self) -> Result<bool, StorageError> {
    if let Some(message) = &self.critical_error {
      return Err(StorageError::error(message.clone()).resetting());
    }
    if !self.implicit_open || self.savepoint_depth > 0 {
      return Ok(false);
    }
    match self.run_internal("COMMIT") {
      Ok(()) => {
        self.implicit_open = false;
        Ok(true)
      }
      Err(mut err) => {
        // The object is about to be reset; leave the file at its last good state for the next
        // instance. A failed COMMIT leaves the transaction open, so this cannot make things worse.
        let _ = self.run_internal("ROLLBACK");
        self.implicit_open = false;
        self.forget_tables();
        if err.sqlite_code == Some(ffi::SQLITE_CONSTRAINT) {
          err.message = format!("{CONSTRAINT_RESET_PREFIX}{}", err.message);
        }
        Err(err.resetting())
      }
    }
  }

  /// Discards every uncommitted write, explicit transactions included (reset, `abort()`).
  pub fn rollback_implicit(&mut self) -> Result<(), StorageError> {
    self.critical_error = None;
    self.savepoint_depth = 0;
    if !self.implicit_open {
      return Ok(());
    }
    self.implicit_open = false;
    self.forget_tables();
    if self.conn.is_autocommit() {
      return Ok(());
    }
    self.run_internal("ROLLBACK")
  }

  /// Opens an explicit transaction and returns its depth (0 for the outermost), which must be
  /// passed back to [`release_savepoint`](Self::release_savepoint) or
  /// [`rollback_savepoint`](Self::rollback_savepoint) in LIFO order.
  pub fn begin_savepoint(&mut self) -> Result<usize, StorageError> {
    self.begin_write()?;
    let depth = self.savepoint_depth;
    self.run_internal(&format!("SAVEPOINT _cf_savepoint_{depth}"))?;
    self.savepoint_depth += 1;
    Ok(depth)
  }

  /// Ends the explicit transaction `depth` successfully; its writes join the enclosing one.
  pub fn release_savepoint(&mut self, depth: usize) -> Result<(), StorageError> {
    self.check_innermost(
      depth,
      "Cannot commit an outer transaction while a nested transaction is still running.",
    )?;
    if self.critical_error.is_some() {
      // SQLite already rolled everything back, savepoints included.
      self.savepoint_depth -= 1;
      return Err(StorageError::error(CRITICAL_ERROR_MESSAGE).resetting());
    }
    self.run_internal(&format!("RELEASE _cf_savepoint_{depth}"))?;
    self.savepoint_depth -= 1;
    Ok(())
  }

  /// Undoes everything since the explicit transaction `depth` began, and ends it.
  pub fn rollback_savepoint(&mut self, depth: usize) -> Result<(), StorageError> {
    self.check_innermost(
      depth,
      "Cannot roll back an outer transaction while a nested transaction is still running.",
    )?;
    self.savepoint_depth -= 1;
    if self.critical_error.is_some() {
      return Ok(());
    }
    self.forget_tables();
    self.run_internal(&format!(
      "ROLLBACK TO _cf_savepoint_{depth}; RELEASE _cf_savepoint_{depth};"
    ))
  }

  /// `transactionSync(fn)`: runs `f` in a nested explicit transaction, rolled back if it fails.
  pub fn transaction_sync<T, E>(
    &mut self,
    f: impl FnOnce(&mut Self) -> Result<T, E>,
  ) -> Result<T, E>
  where
    E: From<StorageError>,
  {
    let depth = self.begin_savepoint()?;
    match f(self) {
      Ok(value) => {
        self.release_savepoint(depth)?;
        Ok(value)
      }
      Err(err) => {
        self.rollback_savepoint(depth)?;
        Err(err)
      }
    }
  }

  /// Called before anything that writes: joins (or opens) the implicit transaction.
  pub(crate) fn begin_write(&mut self) -> Result<(), StorageError> {
    if let Some(message) = &self.critical_error {
      return Err(StorageError::error(message.clone()).resetting());
    }
    if !self.implicit_open {
      // A file several connections write (D1, R2) takes its write lock at
      // once, so that a busy file is waited for rather than failing when a
      // read transaction tries to become a write one.
      self.run_internal(if self.shared {
        "BEGIN IMMEDIATE"
      } else {
        "BEGIN"
      })?;
      self.implicit_open = true;
    }
    Ok(())
  }

  pub(crate) fn check_delete_all_allowed(&self) -> Result<(), StorageError> {
    if self.savepoint_depth > 0 {
      return Err(StorageError::error(DELETE_ALL_IN_TRANSACTION));
    }
    Ok(())
  }

  /// Runs kiln's own statement(s), bypassing the application's authorizer rules.
  pub(crate) fn run_internal(&mut self, sql: &str) -> Result<(), StorageError> {
    let result = self.with_mode(Mode::Trusted, |s| s.conn.execute_batch(sql));
    result.map_err(|e| self.note_failure(e.into()))
  }

  /// Inspects every SQLite failure: after disk-full, I/O, out-of-memory and interrupt errors
  /// SQLite may roll the whole transaction back by itself, which kiln must not paper over.
  pub(crate) fn note_failure(&mut self, err: StorageError) -> StorageError {
    let critical = matches!(
      err.sqlite_code,
      Some(ffi::SQLITE_FULL | ffi::SQLITE_IOERR | ffi::SQLITE_NOMEM | ffi::SQLITE_INTERRUPT)
    );
    if critical && self.implicit_open && self.conn.is_autocommit() {
      self.critical_error = Some(err.message.clone());
      self.implicit_open = false;
      self.forget_tables();
      return err.resetting();
    }
    err
  }

  /// A rollback may have undone the creation of kiln's tables.
  pub(crate) fn forget_tables(&mut self) {
    self.kv_ready = false;
    self.metadata_ready = false;
  }

  fn check_innermost(&self, depth: usize, message: &str) -> Result<(), StorageError> {
    if depth + 1 == self.savepoint_depth {
      return Ok(());
    }
    if depth >= self.savepoint_depth {
      return Err(StorageError::error(format!(
        "transaction {depth} is not open"
      )));
    }
    Err(StorageError::error(message))
  }
}
