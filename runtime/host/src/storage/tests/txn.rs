use super::*;

#[test]
fn writes_wait_in_the_implicit_transaction_until_commit() {
  let mut storage = memory();
  assert!(!storage.has_uncommitted_writes());
  assert_eq!(storage.get("k").unwrap(), None);
  assert!(
    !storage.has_uncommitted_writes(),
    "reads do not open a transaction"
  );
  storage.put("k", b"v").unwrap();
  assert!(storage.has_uncommitted_writes());
  assert!(storage.commit().unwrap());
  assert!(!storage.has_uncommitted_writes());
  assert!(!storage.commit().unwrap());
}

#[test]
fn rollback_implicit_discards_the_turns_writes() {
  let mut storage = memory();
  storage.put("kept", b"1").unwrap();
  storage.commit().unwrap();
  storage.put("dropped", b"2").unwrap();
  storage.put("kept", b"changed").unwrap();
  storage.exec("CREATE TABLE t(x)", []).unwrap();
  storage.set_alarm(Some(123)).unwrap();
  storage.rollback_implicit().unwrap();
  assert!(!storage.has_uncommitted_writes());
  assert_eq!(storage.get("dropped").unwrap(), None);
  assert_eq!(storage.get("kept").unwrap(), Some(b"1".to_vec()));
  assert_eq!(storage.get_alarm().unwrap(), None);
  assert_eq!(
    exec_error(&mut storage, "SELECT * FROM t"),
    "no such table: t: SQLITE_ERROR"
  );
}

#[test]
fn rolling_back_the_tables_creation_is_survivable() {
  // The first write creates _cf_KV inside the transaction; after a rollback the table is gone
  // and must be created again.
  let mut storage = memory();
  storage.put("a", b"1").unwrap();
  storage.rollback_implicit().unwrap();
  assert_eq!(storage.list(&Default::default()).unwrap(), vec![]);
  storage.put("b", b"2").unwrap();
  storage.commit().unwrap();
  assert_eq!(storage.get("b").unwrap(), Some(b"2".to_vec()));
}

#[test]
fn committed_writes_are_durable_and_uncommitted_ones_are_not() {
  let dir = TempDir::new("durable");
  let mut storage = on_disk(&dir);
  storage.put("committed", b"yes").unwrap();
  storage
    .exec("CREATE TABLE t(x); INSERT INTO t VALUES (42)", [])
    .unwrap();
  assert!(storage.commit().unwrap());
  storage.put("pending", b"no").unwrap();
  // Leak the connection instead of closing it, as a killed process would: nothing gets flushed
  // or checkpointed, and the open transaction is never rolled back.
  std::mem::forget(storage);

  let mut other = on_disk(&dir);
  assert_eq!(other.get("committed").unwrap(), Some(b"yes".to_vec()));
  assert_eq!(other.get("pending").unwrap(), None);
  assert_eq!(rows(&mut other, "SELECT x FROM t"), vec![vec![int(42)]]);
}

#[test]
fn closing_without_commit_loses_the_turns_writes() {
  let dir = TempDir::new("close");
  let mut storage = on_disk(&dir);
  storage.put("a", b"1").unwrap();
  storage.commit().unwrap();
  storage.put("b", b"2").unwrap();
  drop(storage);
  let mut reopened = on_disk(&dir);
  assert_eq!(keys(&reopened.list(&Default::default()).unwrap()), ["a"]);
}

#[test]
fn savepoints_nest_and_roll_back_independently() {
  let mut storage = memory();
  storage.put("base", b"0").unwrap();
  let outer = storage.begin_savepoint().unwrap();
  assert_eq!(outer, 0);
  storage.put("outer", b"1").unwrap();
  let inner = storage.begin_savepoint().unwrap();
  assert_eq!((inner, storage.transaction_depth()), (1, 2));
  storage.put("inner", b"2").unwrap();
  storage.rollback_savepoint(inner).unwrap();
  assert_eq!(storage.get("inner").unwrap(), None);
  assert_eq!(storage.get("outer").unwrap(), Some(b"1".to_vec()));

  let inner = storage.begin_savepoint().unwrap();
  storage.put("inner2", b"3").unwrap();
  storage.release_savepoint(inner).unwrap();
  storage.release_savepoint(outer).unwrap();
  assert_eq!(storage.transaction_depth(), 0);
  storage.commit().unwrap();
  assert_eq!(
    keys(&storage.list(&Default::default()).unwrap()),
    ["base", "inner2", "outer"]
  );

  // Rolling back the outer transaction undoes an inner one that was released into it.
  let outer = storage.begin_savepoint().unwrap();
  let inner = storage.begin_savepoint().unwrap();
  storage.delete("base").unwrap();
  storage.release_savepoint(inner).unwrap();
  storage.rollback_savepoint(outer).unwrap();
  assert_eq!(storage.get("base").unwrap(), Some(b"0".to_vec()));
}

#[test]
fn savepoints_must_end_innermost_first() {
  let mut storage = memory();
  let outer = storage.begin_savepoint().unwrap();
  let inner = storage.begin_savepoint().unwrap();
  assert_eq!(
    storage.rollback_savepoint(outer).unwrap_err(),
    error("Cannot roll back an outer transaction while a nested transaction is still running.")
  );
  assert_eq!(
    storage.release_savepoint(outer).unwrap_err().message,
    "Cannot commit an outer transaction while a nested transaction is still running."
  );
  storage.release_savepoint(inner).unwrap();
  storage.release_savepoint(outer).unwrap();
  assert_eq!(
    storage.release_savepoint(0).unwrap_err().message,
    "transaction 0 is not open"
  );
}

#[test]
fn commit_waits_for_open_explicit_transactions() {
  let mut storage = memory();
  let depth = storage.begin_savepoint().unwrap();
  storage.put("k", b"v").unwrap();
  assert!(!storage.commit().unwrap());
  assert!(storage.has_uncommitted_writes());
  storage.release_savepoint(depth).unwrap();
  assert!(storage.commit().unwrap());
  assert_eq!(storage.get("k").unwrap(), Some(b"v".to_vec()));
}

#[test]
fn transaction_sync_rolls_back_on_error_and_keeps_on_success() {
  let mut storage = memory();
  let result: Result<(), StorageError> = storage.transaction_sync(|s| {
    s.put("a", b"1")?;
    s.exec("CREATE TABLE t(x)", [])?;
    Err(error("thrown by the callback"))
  });
  assert_eq!(result.unwrap_err().message, "thrown by the callback");
  assert_eq!(storage.get("a").unwrap(), None);
  assert_eq!(
    exec_error(&mut storage, "SELECT * FROM t"),
    "no such table: t: SQLITE_ERROR"
  );

  let value = storage
    .transaction_sync(|s| {
      s.put("b", b"2")?;
      s.transaction_sync(|s| s.put("c", b"3"))?;
      Ok::<_, StorageError>(7)
    })
    .unwrap();
  assert_eq!(value, 7);
  assert_eq!(storage.transaction_depth(), 0);
  storage.commit().unwrap();
  assert_eq!(
    keys(&storage.list(&Default::default()).unwrap()),
    ["b", "c"]
  );
}

#[test]
fn a_constraint_violation_at_commit_resets_to_the_last_good_state() {
  let mut storage = memory();
  storage
    .exec(
      "CREATE TABLE parent(id INTEGER PRIMARY KEY);
       CREATE TABLE child(pid INTEGER REFERENCES parent(id));
       INSERT INTO parent VALUES (1)",
      [],
    )
    .unwrap();
  storage.commit().unwrap();
  // Foreign keys are on by default, as in workerd.
  assert_eq!(
    exec_error(&mut storage, "INSERT INTO child VALUES (2)"),
    "FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)"
  );
  storage.rollback_implicit().unwrap();

  storage.exec("PRAGMA defer_foreign_keys = on", []).unwrap();
  storage.exec("INSERT INTO child VALUES (2)", []).unwrap();
  storage.put("k", b"v").unwrap();
  let err = storage.commit().unwrap_err();
  assert_eq!(
    err.message,
    "Durable Object was reset and rolled back to its last known good state because the \
     application left the database in a state where constraints were violated: FOREIGN KEY \
     constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)"
  );
  assert!(err.resets_object);
  assert_eq!(err.sqlite_code, Some(19));
  assert!(!storage.has_uncommitted_writes());
  assert_eq!(storage.get("k").unwrap(), None);
  assert_eq!(
    rows(&mut storage, "SELECT count(*) FROM child"),
    vec![vec![int(0)]]
  );
}

#[test]
fn sqlite_rolling_back_by_itself_is_a_critical_error() {
  let mut storage = memory();
  storage.put("a", b"small").unwrap();
  storage.commit().unwrap();
  storage.put("b", b"small").unwrap();
  let pages: i64 = storage
    .conn
    .query_row("PRAGMA page_count", [], |r| r.get(0))
    .unwrap();
  storage
    .conn
    .execute_batch(&format!("PRAGMA max_page_count = {pages}"))
    .unwrap();

  let err = storage.put("c", &vec![1u8; 100_000]).unwrap_err();
  assert_eq!(err.message, "database or disk is full: SQLITE_FULL");
  assert!(err.resets_object);
  assert_eq!(
    storage.get("b").unwrap(),
    None,
    "SQLite rolled the transaction back"
  );
  let err = storage.commit().unwrap_err();
  assert_eq!(
    (err.message.as_str(), err.resets_object),
    ("database or disk is full: SQLITE_FULL", true)
  );
  assert_eq!(
    storage.put("d", b"x").unwrap_err().message,
    "database or disk is full: SQLITE_FULL"
  );

  storage.rollback_implicit().unwrap();
  storage
    .conn
    .execute_batch("PRAGMA max_page_count = 100000")
    .unwrap();
  storage.put("d", b"x").unwrap();
  storage.commit().unwrap();
  assert_eq!(
    keys(&storage.list(&Default::default()).unwrap()),
    ["a", "d"]
  );
}

#[test]
fn a_critical_error_inside_transaction_sync_refuses_to_commit() {
  let mut storage = memory();
  storage.put("a", b"small").unwrap();
  storage.commit().unwrap();
  let pages: i64 = storage
    .conn
    .query_row("PRAGMA page_count", [], |r| r.get(0))
    .unwrap();
  storage
    .conn
    .execute_batch(&format!("PRAGMA max_page_count = {pages}"))
    .unwrap();
  let err = storage
    .transaction_sync(|s| {
      // The callback swallows the error, as JavaScript could.
      let _ = s.put("c", &vec![1u8; 100_000]);
      Ok::<_, StorageError>(())
    })
    .unwrap_err();
  assert_eq!(
    err.message,
    "Cannot commit transaction due to an earlier SQL critical error"
  );
  assert_eq!(storage.transaction_depth(), 0);
}
