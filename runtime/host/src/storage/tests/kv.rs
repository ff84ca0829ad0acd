use super::*;
use crate::storage::ListOptions;

/// Keys in the order JavaScript would sort them (UTF-16), which is *not* the order storage
/// returns: U+FF61 sorts after the emoji's surrogate pair in UTF-16 but before it in UTF-8.
const MIXED_KEYS: [&str; 9] = [
  "b",
  "a\u{0}",
  "A",
  "\u{1F600}",
  "é",
  "ab",
  "a",
  "\u{FF61}",
  "z",
];
const BYTE_ORDER: [&str; 9] = [
  "A",
  "a",
  "a\u{0}",
  "ab",
  "b",
  "z",
  "é",
  "\u{FF61}",
  "\u{1F600}",
];

fn with_keys(list: &[&str]) -> ObjectStorage {
  let mut storage = memory();
  for key in list {
    storage.put(key, key.as_bytes()).unwrap();
  }
  storage
}

fn list(storage: &mut ObjectStorage, options: ListOptions) -> Vec<String> {
  storage
    .list(&options)
    .unwrap()
    .into_iter()
    .map(|(k, _)| k)
    .collect()
}

fn list_err(options: ListOptions) -> StorageError {
  memory().list(&options).unwrap_err()
}

const RANGE_KEYS: [&str; 8] = ["a", "aa", "ab", "abc", "ac", "b", "ba", "c"];

fn opt() -> ListOptions {
  ListOptions::default()
}

fn s(v: &str) -> Option<String> {
  Some(v.to_string())
}

#[test]
fn put_get_overwrite_and_missing_keys() {
  let mut storage = memory();
  assert_eq!(storage.get("missing").unwrap(), None);
  storage.put("k", &[1, 2, 3]).unwrap();
  assert_eq!(storage.get("k").unwrap(), Some(vec![1, 2, 3]));
  storage.put("k", &[9]).unwrap();
  assert_eq!(storage.get("k").unwrap(), Some(vec![9]));
  storage.put("empty", &[]).unwrap();
  assert_eq!(storage.get("empty").unwrap(), Some(vec![]));
  assert_eq!(storage.get("K").unwrap(), None, "keys are case-sensitive");
}

#[test]
fn list_orders_keys_by_utf8_bytes() {
  let mut storage = with_keys(&MIXED_KEYS);
  assert_eq!(list(&mut storage, opt()), BYTE_ORDER);
  let mut reversed = BYTE_ORDER.to_vec();
  reversed.reverse();
  assert_eq!(
    list(
      &mut storage,
      ListOptions {
        reverse: true,
        ..opt()
      }
    ),
    reversed
  );
  let entries = storage.list(&opt()).unwrap();
  assert_eq!(entries[6], ("é".to_string(), "é".as_bytes().to_vec()));
}

#[test]
fn get_many_returns_existing_keys_once_in_byte_order() {
  let mut storage = with_keys(&MIXED_KEYS);
  let found = storage
    .get_many(&["z", "\u{1F600}", "missing", "a", "z", "\u{FF61}"])
    .unwrap();
  assert_eq!(keys(&found), ["a", "z", "\u{FF61}", "\u{1F600}"]);
  assert_eq!(found[1].1, b"z".to_vec());
  assert_eq!(memory().get_many(&["a"]).unwrap(), vec![]);
}

#[test]
fn put_many_and_delete_counts() {
  let mut storage = memory();
  storage
    .put_many(&[("a", b"1".as_slice()), ("b", b"2"), ("c", b"3")])
    .unwrap();
  assert_eq!(storage.get("b").unwrap(), Some(b"2".to_vec()));
  assert!(storage.delete("a").unwrap());
  assert!(!storage.delete("a").unwrap());
  assert_eq!(storage.delete_many(&["b", "b", "missing", "c"]).unwrap(), 2);
  assert_eq!(storage.delete_many(&["b", "c"]).unwrap(), 0);
  assert!(!memory().delete("nothing-stored-yet").unwrap());
  assert_eq!(list(&mut storage, opt()), Vec::<String>::new());
}

#[test]
fn list_start_start_after_and_end() {
  let mut st = with_keys(&RANGE_KEYS);
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        start: s("ab"),
        ..opt()
      }
    ),
    ["ab", "abc", "ac", "b", "ba", "c"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        start_after: s("ab"),
        ..opt()
      }
    ),
    ["abc", "ac", "b", "ba", "c"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        end: s("b"),
        ..opt()
      }
    ),
    ["a", "aa", "ab", "abc", "ac"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        start: s("aa"),
        end: s("ac"),
        ..opt()
      }
    ),
    ["aa", "ab", "abc"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        start_after: s("a"),
        end: s("ab"),
        ..opt()
      }
    ),
    ["aa"]
  );
  // Bounds need not be stored keys.
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        start: s("abb"),
        end: s("bb"),
        ..opt()
      }
    ),
    ["abc", "ac", "b", "ba"]
  );
}

#[test]
fn list_empty_ranges_are_empty() {
  let mut st = with_keys(&RANGE_KEYS);
  assert!(list(
    &mut st,
    ListOptions {
      start: s("b"),
      end: s("a"),
      ..opt()
    }
  )
  .is_empty());
  assert!(list(
    &mut st,
    ListOptions {
      start: s("b"),
      end: s("b"),
      ..opt()
    }
  )
  .is_empty());
  assert!(list(
    &mut st,
    ListOptions {
      start_after: s("b"),
      end: s("b\u{0}"),
      ..opt()
    }
  )
  .is_empty());
  assert!(list(
    &mut st,
    ListOptions {
      start: s("d"),
      ..opt()
    }
  )
  .is_empty());
  assert!(list(&mut memory(), opt()).is_empty());
}

#[test]
fn list_prefix_alone_and_combined() {
  let mut st = with_keys(&RANGE_KEYS);
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        prefix: s("ab"),
        ..opt()
      }
    ),
    ["ab", "abc"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        prefix: s(""),
        ..opt()
      }
    )
    .len(),
    RANGE_KEYS.len()
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        prefix: s("a"),
        start: s("ab"),
        ..opt()
      }
    ),
    ["ab", "abc", "ac"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        prefix: s("a"),
        start_after: s("ab"),
        ..opt()
      }
    ),
    ["abc", "ac"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        prefix: s("ab"),
        start: s("a"),
        ..opt()
      }
    ),
    ["ab", "abc"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        prefix: s("a"),
        end: s("ab"),
        ..opt()
      }
    ),
    ["a", "aa"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        prefix: s("a"),
        end: s("zz"),
        ..opt()
      }
    ),
    ["a", "aa", "ab", "abc", "ac"]
  );
  assert!(list(
    &mut st,
    ListOptions {
      prefix: s("a"),
      start: s("b"),
      ..opt()
    }
  )
  .is_empty());
  assert!(list(
    &mut st,
    ListOptions {
      prefix: s("b"),
      end: s("b"),
      ..opt()
    }
  )
  .is_empty());
  assert!(list(
    &mut st,
    ListOptions {
      prefix: s("x"),
      ..opt()
    }
  )
  .is_empty());
}

#[test]
fn list_prefix_with_multibyte_and_boundary_bytes() {
  // The key just past prefix "\x7f" is the byte 0x80, which is not UTF-8 on its own: the bound
  // must still compare as TEXT.
  let mut st = with_keys(&["\u{7f}", "\u{7f}a", "\u{80}", "é1", "é2", "ê", "e"]);
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        prefix: s("\u{7f}"),
        ..opt()
      }
    ),
    ["\u{7f}", "\u{7f}a"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        prefix: s("é"),
        ..opt()
      }
    ),
    ["é1", "é2"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        prefix: s("é"),
        reverse: true,
        limit: Some(1),
        ..opt()
      }
    ),
    ["é2"]
  );
}

#[test]
fn list_reverse_and_limit() {
  let mut st = with_keys(&RANGE_KEYS);
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        limit: Some(3),
        ..opt()
      }
    ),
    ["a", "aa", "ab"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        reverse: true,
        limit: Some(2),
        ..opt()
      }
    ),
    ["c", "ba"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        reverse: true,
        prefix: s("a"),
        limit: Some(2),
        ..opt()
      }
    ),
    ["ac", "abc"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        reverse: true,
        start_after: s("a"),
        end: s("b"),
        ..opt()
      }
    ),
    ["ac", "abc", "ab", "aa"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        start: s("aa"),
        end: s("b"),
        limit: Some(10),
        ..opt()
      }
    ),
    ["aa", "ab", "abc", "ac"]
  );
  assert_eq!(
    list(
      &mut st,
      ListOptions {
        limit: Some(1),
        reverse: true,
        ..opt()
      }
    ),
    ["c"]
  );
}

#[test]
fn list_argument_errors_are_type_errors_with_workerds_text() {
  let both = list_err(ListOptions {
    start: s("a"),
    start_after: s("b"),
    ..opt()
  });
  assert_eq!(both.class, ErrorClass::TypeError);
  assert_eq!(
    both.message,
    "list() cannot be called with both start and startAfter values."
  );
  for limit in [0, -1] {
    let err = list_err(ListOptions {
      limit: Some(limit),
      ..opt()
    });
    assert_eq!(err.class, ErrorClass::TypeError);
    assert_eq!(err.message, "List limit must be positive.");
  }
}

#[test]
fn values_are_bounded_by_sqlites_length_limit() {
  let mut storage = memory();
  // workerd's limit, 2,200,000 bytes (measured through D1 in tests/e2e/d1.rs).
  let big = vec![7u8; 2_200_000 - 64];
  storage.put("big", &big).unwrap();
  assert_eq!(
    storage.get("big").unwrap().map(|v| v.len()),
    Some(big.len())
  );
  // Long keys are not checked on the SQLite backend.
  storage.put(&"k".repeat(5000), b"v").unwrap();

  let too_big = vec![0u8; 2_200_000 + 1];
  let err = storage.put("x", &too_big).unwrap_err();
  assert_eq!(
    err,
    StorageError {
      sqlite_code: Some(18),
      ..error("string or blob too big: SQLITE_TOOBIG")
    }
  );
  assert_eq!(storage.get("x").unwrap(), None);

  // A multi-put fails as a whole.
  let err = storage
    .put_many(&[("first", vec![1u8]), ("second", too_big)])
    .unwrap_err();
  assert_eq!(err.message, "string or blob too big: SQLITE_TOOBIG");
  assert_eq!(storage.get("first").unwrap(), None);
  storage.put("after", b"ok").unwrap();
  assert_eq!(storage.get("after").unwrap(), Some(b"ok".to_vec()));
}

#[test]
fn delete_all_resets_kv_and_sql_tables() {
  let dir = TempDir::new("delete-all");
  let mut storage = on_disk(&dir);
  storage.put_many(&[("a", b"1"), ("b", b"2")]).unwrap();
  storage
    .exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)", [])
    .unwrap();
  storage.commit().unwrap();
  storage.put("c", b"3").unwrap();

  let outcome = storage.delete_all(true).unwrap();
  assert_eq!(outcome.keys_deleted, 3);
  assert!(!outcome.alarm_deleted);
  assert!(!storage.has_uncommitted_writes());
  assert_eq!(storage.get("a").unwrap(), None);
  assert_eq!(
    exec_error(&mut storage, "SELECT * FROM t"),
    "no such table: t: SQLITE_ERROR"
  );
  assert_eq!(
    rows(&mut storage, "SELECT count(*) FROM sqlite_master"),
    vec![vec![int(0)]]
  );

  // The reset is on disk, and the database works normally afterwards.
  storage.put("d", b"4").unwrap();
  storage.commit().unwrap();
  drop(storage);
  let mut reopened = on_disk(&dir);
  assert_eq!(keys(&reopened.list(&opt()).unwrap()), ["d"]);
  assert_eq!(reopened.delete_all(false).unwrap().keys_deleted, 1);
  assert_eq!(memory().delete_all(false).unwrap().keys_deleted, 0);
}

#[test]
fn delete_all_keeps_the_alarm_unless_told_otherwise() {
  let mut storage = memory();
  storage.put("k", b"v").unwrap();
  storage.set_alarm(Some(5_000)).unwrap();
  storage.commit().unwrap();

  let kept = storage.delete_all(false).unwrap();
  assert!(!kept.alarm_deleted);
  assert_eq!(storage.get_alarm().unwrap(), Some(5_000));
  assert_eq!(storage.get("k").unwrap(), None);
  storage.commit().unwrap();

  let deleted = storage.delete_all(true).unwrap();
  assert_eq!(
    deleted,
    crate::storage::DeleteAllOutcome {
      keys_deleted: 0,
      alarm_deleted: true
    }
  );
  assert_eq!(storage.get_alarm().unwrap(), None);
}

#[test]
fn delete_all_is_refused_inside_a_transaction() {
  let mut storage = memory();
  storage.put("k", b"v").unwrap();
  let depth = storage.begin_savepoint().unwrap();
  let err = storage.delete_all(true).unwrap_err();
  assert_eq!(err, error("Cannot call deleteAll() within a transaction"));
  storage.release_savepoint(depth).unwrap();
  assert_eq!(storage.get("k").unwrap(), Some(b"v".to_vec()));
  let err = storage
    .transaction_sync(|s| s.delete_all(false).map(drop))
    .unwrap_err();
  assert_eq!(err.message, "Cannot call deleteAll() within a transaction");
}
