use super::*;
use crate::storage::{AlarmStore, StoredAlarm};

#[test]
fn the_alarm_is_stored_in_nanoseconds_and_survives_reopening() {
  let dir = TempDir::new("alarm");
  let mut storage = on_disk(&dir);
  assert_eq!(storage.get_alarm().unwrap(), None);
  storage.set_alarm(Some(1_700_000_000_123)).unwrap();
  assert!(storage.has_uncommitted_writes());
  assert_eq!(storage.get_alarm().unwrap(), Some(1_700_000_000_123));
  let raw: i64 = storage
    .conn
    .query_row("SELECT value FROM _cf_METADATA WHERE key = 1", [], |r| {
      r.get(0)
    })
    .unwrap();
  assert_eq!(raw, 1_700_000_000_123_000_000);
  storage.commit().unwrap();
  drop(storage);

  let mut reopened = on_disk(&dir);
  assert_eq!(reopened.get_alarm().unwrap(), Some(1_700_000_000_123));
  reopened.delete_alarm().unwrap();
  assert_eq!(reopened.get_alarm().unwrap(), None);
  // A deleted alarm is a NULL row, as in workerd.
  let raw: Option<i64> = reopened
    .conn
    .query_row("SELECT value FROM _cf_METADATA WHERE key = 1", [], |r| {
      r.get(0)
    })
    .unwrap();
  assert_eq!(raw, None);
  reopened.commit().unwrap();
  drop(reopened);
  assert_eq!(on_disk(&dir).get_alarm().unwrap(), None);
}

#[test]
fn alarm_changes_roll_back_with_the_turn() {
  let mut storage = memory();
  storage.set_alarm(Some(10)).unwrap();
  storage.commit().unwrap();
  storage.set_alarm(Some(20)).unwrap();
  storage.rollback_implicit().unwrap();
  assert_eq!(storage.get_alarm().unwrap(), Some(10));
  let depth = storage.begin_savepoint().unwrap();
  storage.delete_alarm().unwrap();
  storage.rollback_savepoint(depth).unwrap();
  assert_eq!(storage.get_alarm().unwrap(), Some(10));
}

#[test]
fn setting_the_same_alarm_writes_nothing_and_non_positive_times_are_refused() {
  let mut storage = memory();
  storage.delete_alarm().unwrap();
  assert!(
    !storage.has_uncommitted_writes(),
    "deleting a missing alarm is not a write"
  );
  storage.set_alarm(Some(50)).unwrap();
  storage.commit().unwrap();
  storage.set_alarm(Some(50)).unwrap();
  assert!(!storage.has_uncommitted_writes());
  for bad in [0, -5] {
    let err = storage.set_alarm(Some(bad)).unwrap_err();
    assert_eq!(err.class, ErrorClass::TypeError);
    assert_eq!(
      err.message,
      "setAlarm() cannot be called with an alarm time <= 0"
    );
  }
  assert_eq!(storage.get_alarm().unwrap(), Some(50));
}

#[test]
fn the_namespace_alarm_store_persists_alarms_and_names() {
  let dir = TempDir::new("alarm-store");
  let ns = dir.path().join("my-worker-Counter");
  {
    let store = AlarmStore::open(Some(&ns)).unwrap();
    store.set("bbb", 2_000, Some("named")).unwrap();
    store.set("aaa", 3_000, None).unwrap();
    store.set("ccc", 1_000, None).unwrap();
    // A later set without a name keeps the stored name.
    store.set("bbb", 2_500, None).unwrap();
    assert!(store.delete("ccc").unwrap());
    assert!(!store.delete("ccc").unwrap());
  }
  assert!(ns.join("metadata.sqlite").is_file());

  let store = AlarmStore::open(Some(&ns)).unwrap();
  assert_eq!(
    store.load_all().unwrap(),
    vec![
      StoredAlarm {
        actor_id: "bbb".into(),
        scheduled_time_ms: 2_500,
        actor_name: Some("named".into())
      },
      StoredAlarm {
        actor_id: "aaa".into(),
        scheduled_time_ms: 3_000,
        actor_name: None
      },
    ]
  );
  assert_eq!(
    store.get("aaa").unwrap().map(|a| a.scheduled_time_ms),
    Some(3_000)
  );
  assert_eq!(store.get("ccc").unwrap(), None);
  let raw: i64 = store
    .conn
    .query_row(
      "SELECT scheduled_time FROM _cf_ALARM WHERE actor_id = 'aaa'",
      [],
      |r| r.get(0),
    )
    .unwrap();
  assert_eq!(raw, 3_000_000_000);
  let journal: String = store
    .conn
    .query_row("PRAGMA journal_mode", [], |r| r.get(0))
    .unwrap();
  assert_eq!(journal, "wal");
}

#[test]
fn an_alarm_store_without_the_name_column_is_upgraded() {
  let dir = TempDir::new("alarm-upgrade");
  {
    let conn = rusqlite::Connection::open(dir.path().join("metadata.sqlite")).unwrap();
    conn
      .execute_batch(
        "CREATE TABLE _cf_ALARM (actor_id TEXT PRIMARY KEY, scheduled_time INTEGER) WITHOUT ROWID;
         INSERT INTO _cf_ALARM VALUES ('old', 7000000);",
      )
      .unwrap();
  }
  let store = AlarmStore::open(Some(dir.path())).unwrap();
  assert_eq!(
    store.load_all().unwrap(),
    vec![StoredAlarm {
      actor_id: "old".into(),
      scheduled_time_ms: 7,
      actor_name: None
    }]
  );
  store.set("old", 8, Some("n")).unwrap();
  assert_eq!(
    store.get("old").unwrap().unwrap().actor_name.as_deref(),
    Some("n")
  );
}

#[test]
fn an_in_memory_alarm_store_works_and_starts_empty() {
  let store = AlarmStore::open(None).unwrap();
  assert_eq!(store.load_all().unwrap(), vec![]);
  store.set(ID, 42, Some("foo")).unwrap();
  assert_eq!(
    store.load_all().unwrap(),
    vec![StoredAlarm {
      actor_id: ID.into(),
      scheduled_time_ms: 42,
      actor_name: Some("foo".into())
    }]
  );
  assert!(AlarmStore::open(None)
    .unwrap()
    .load_all()
    .unwrap()
    .is_empty());
}
