use super::*;
use crate::storage::TRANSACTION_STATEMENT_MESSAGE;

const NOT_AUTHORIZED: &str = "not authorized: SQLITE_AUTH";

fn table(storage: &mut ObjectStorage) {
  storage
    .exec(
      "CREATE TABLE t(a INTEGER PRIMARY KEY, b); INSERT INTO t VALUES (1, 'x'), (2, 'y')",
      [],
    )
    .unwrap();
}

#[test]
fn exec_returns_columns_rows_and_all_types() {
  let mut storage = memory();
  let cursor = storage
    .exec(
      "SELECT 1 AS i, 2.5 AS r, 'é' AS t, x'00ff' AS b, NULL AS n, 9007199254740993 AS big, \
       -9223372036854775808 AS min",
      [],
    )
    .unwrap();
  assert_eq!(cursor.column_names, ["i", "r", "t", "b", "n", "big", "min"]);
  assert_eq!(
    cursor.rows,
    vec![vec![
      int(1),
      SqlValue::Real(2.5),
      text("é"),
      SqlValue::Blob(vec![0, 0xff]),
      SqlValue::Null,
      int(9_007_199_254_740_993),
      int(i64::MIN),
    ]]
  );
  // Repeated column names are kept as they are; the ops decide what a row object holds.
  assert_eq!(
    storage
      .exec("SELECT 1 AS a, 2 AS a", [])
      .unwrap()
      .column_names,
    ["a", "a"]
  );
  // A statement without results still has (no) columns and no rows.
  let cursor = storage.exec("CREATE TABLE t(x)", []).unwrap();
  assert_eq!((cursor.column_names.len(), cursor.rows.len()), (0, 0));
}

#[test]
fn bindings_keep_their_types() {
  let mut storage = memory();
  storage.exec("CREATE TABLE t(v)", []).unwrap();
  let values = vec![
    SqlValue::Null,
    int(i64::MAX),
    SqlValue::Real(1.0),
    text("hi"),
    SqlValue::Blob(vec![1, 2]),
    SqlValue::Blob(vec![]),
  ];
  for v in &values {
    storage
      .exec("INSERT INTO t VALUES (?)", [v.clone()])
      .unwrap();
  }
  let got = rows(&mut storage, "SELECT v, typeof(v) FROM t ORDER BY rowid");
  let types: Vec<_> = got.iter().map(|r| r[1].clone()).collect();
  assert_eq!(
    types,
    ["null", "integer", "real", "text", "blob", "blob"].map(text)
  );
  let stored: Vec<_> = got.into_iter().map(|mut r| r.remove(0)).collect();
  assert_eq!(stored, values);

  let cursor = storage
    .exec("SELECT ?1 + ?2, ?3", vec![int(40), int(2), text("z")])
    .unwrap();
  assert_eq!(cursor.rows, vec![vec![int(42), text("z")]]);
  let cursor = storage.exec("SELECT :name", [text("named")]).unwrap();
  assert_eq!(cursor.rows, vec![vec![text("named")]]);
}

#[test]
fn wrong_binding_counts_are_refused() {
  let mut storage = memory();
  for (query, bindings) in [
    ("SELECT ?", vec![]),
    ("SELECT ?", vec![int(1), int(2)]),
    ("SELECT 1", vec![int(1)]),
  ] {
    let err = storage.exec(query, bindings).unwrap_err();
    assert_eq!(
      err,
      error("Wrong number of parameter bindings for SQL query."),
      "{query}"
    );
  }
}

#[test]
fn every_statement_runs_and_the_cursor_is_the_last_ones() {
  let mut storage = memory();
  let cursor = storage
    .exec(
      "CREATE TABLE t(a);\nINSERT INTO t VALUES (1);\tINSERT INTO t VALUES (2); SELECT a FROM t ORDER BY a",
      [],
    )
    .unwrap();
  assert_eq!(cursor.rows, vec![vec![int(1)], vec![int(2)]]);
  // Only the last statement may take parameters.
  let cursor = storage
    .exec("SELECT 1; SELECT a FROM t WHERE a = ?", [int(2)])
    .unwrap();
  assert_eq!(cursor.rows, vec![vec![int(2)]]);
  assert_eq!(
    exec_error(&mut storage, "INSERT INTO t VALUES (?); SELECT 1"),
    "When executing multiple SQL statements in a single call, only the last statement can have \
     parameters."
  );
  // Statements before a failing one have run.
  assert_eq!(
    exec_error(&mut storage, "INSERT INTO t VALUES (3); SELECT * FROM nope"),
    "no such table: nope: SQLITE_ERROR"
  );
  assert_eq!(
    rows(&mut storage, "SELECT count(*) FROM t"),
    vec![vec![int(3)]]
  );
  // Trailing whitespace is fine.
  assert_eq!(rows(&mut storage, "SELECT 5;  \n\r\t"), vec![vec![int(5)]]);
}

#[test]
fn empty_queries_have_no_statement() {
  let mut storage = memory();
  // workerd skips only whitespace between statements, so a trailing comment or extra `;` is an
  // empty statement too.
  for query in [
    "",
    "   ",
    "-- just a comment",
    ";",
    "SELECT 1;;",
    "SELECT 1; -- trailing",
  ] {
    assert_eq!(
      exec_error(&mut storage, query),
      "SQL code did not contain a statement.",
      "{query:?}"
    );
  }
}

#[test]
fn sqlite_errors_carry_offset_and_codes() {
  let mut storage = memory();
  table(&mut storage);
  assert_eq!(
    exec_error(&mut storage, "SELECT * FRM t"),
    "near \"FRM\": syntax error at offset 9: SQLITE_ERROR"
  );
  assert_eq!(
    exec_error(&mut storage, "SELECT nope FROM t"),
    "no such column: nope at offset 7: SQLITE_ERROR"
  );
  assert_eq!(
    exec_error(&mut storage, "INSERT INTO t VALUES (1, 'dup')"),
    "UNIQUE constraint failed: t.a: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)"
  );
  assert_eq!(
    exec_error(&mut storage, "INSERT INTO t(a) VALUES ('not a number')"),
    "datatype mismatch: SQLITE_MISMATCH"
  );
  let err = storage.exec("SELECT zeroblob(5000000)", []).unwrap_err();
  assert_eq!(err.message, "string or blob too big: SQLITE_TOOBIG");
  assert_eq!(err.sqlite_code, Some(18));
}

#[test]
fn transaction_statements_point_to_the_javascript_api() {
  let mut storage = memory();
  for query in [
    "BEGIN",
    "BEGIN TRANSACTION",
    "BEGIN IMMEDIATE",
    "COMMIT",
    "END",
    "ROLLBACK",
    "SAVEPOINT sp",
    "RELEASE sp",
    "ROLLBACK TO sp",
    "SELECT 1; BEGIN",
  ] {
    assert_eq!(
      exec_error(&mut storage, query),
      TRANSACTION_STATEMENT_MESSAGE,
      "{query}"
    );
  }
  assert!(TRANSACTION_STATEMENT_MESSAGE.starts_with(
    "To execute a transaction, please use the state.storage.transaction() or \
     state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT \
     statements. The JavaScript API is safer"
  ));
}

#[test]
fn attached_and_temporary_databases_are_refused() {
  let mut storage = memory();
  table(&mut storage);
  for query in [
    "ATTACH DATABASE ':memory:' AS other",
    "DETACH DATABASE other",
    "CREATE TEMP TABLE tt(x)",
    "CREATE TEMPORARY VIEW tv AS SELECT 1",
    "CREATE TABLE temp.tt(x)",
    "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
  ] {
    assert_eq!(exec_error(&mut storage, query), NOT_AUTHORIZED, "{query}");
  }
}

#[test]
fn reserved_cf_objects_are_out_of_reach() {
  let mut storage = memory();
  storage.put("secret", b"v").unwrap();
  storage.set_alarm(Some(1)).unwrap();
  table(&mut storage);
  assert_eq!(
    exec_error(&mut storage, "SELECT * FROM _cf_KV"),
    "access to _cf_KV.key is prohibited: SQLITE_AUTH"
  );
  assert_eq!(
    exec_error(&mut storage, "SELECT value FROM _CF_kv"),
    "access to _cf_KV.value is prohibited: SQLITE_AUTH"
  );
  assert_eq!(
    exec_error(&mut storage, "SELECT value FROM _cf_METADATA"),
    "access to _cf_METADATA.value is prohibited: SQLITE_AUTH"
  );
  for query in [
    "INSERT INTO _cf_KV VALUES ('k', x'00')",
    "DELETE FROM _cf_KV",
    "UPDATE _cf_KV SET value = NULL",
    "DROP TABLE _cf_KV",
    "CREATE TABLE _cf_mine(x)",
    "CREATE TABLE _CF_Mine(x)",
    "CREATE VIEW _cf_v AS SELECT 1",
    "CREATE INDEX _cf_i ON t(b)",
    "CREATE INDEX i ON _cf_KV(value)",
    "CREATE TRIGGER _cf_tr AFTER INSERT ON t BEGIN SELECT 1; END",
    "CREATE TRIGGER tr AFTER INSERT ON _cf_KV BEGIN SELECT 1; END",
    "ALTER TABLE _cf_KV ADD COLUMN c",
    "ALTER TABLE t RENAME TO _cf_t",
    "ALTER TABLE t RENAME TO \"_Cf_t\"",
    "PRAGMA table_info(_cf_KV)",
    "PRAGMA index_list(_cf_KV)",
  ] {
    assert_eq!(exec_error(&mut storage, query), NOT_AUTHORIZED, "{query}");
  }
  // Nothing above changed anything.
  assert_eq!(storage.get("secret").unwrap(), Some(b"v".to_vec()));
  // A trigger on an application table may not reach into reserved tables either.
  storage
    .exec(
      "CREATE TRIGGER sneaky AFTER INSERT ON t BEGIN DELETE FROM _cf_KV; END",
      [],
    )
    .unwrap();
  assert_eq!(
    exec_error(&mut storage, "INSERT INTO t VALUES (9, 'z')"),
    NOT_AUTHORIZED
  );
  assert_eq!(storage.get("secret").unwrap(), Some(b"v".to_vec()));
  // Nor may a view.
  storage
    .exec("CREATE VIEW leak AS SELECT key FROM _cf_KV", [])
    .unwrap();
  assert_eq!(
    exec_error(&mut storage, "SELECT * FROM leak"),
    "access to _cf_KV.key is prohibited: SQLITE_AUTH"
  );
  // Names that merely contain "_cf_" are ordinary.
  storage
    .exec("ALTER TABLE t RENAME TO my_cf_t; CREATE TABLE cf_x(y)", [])
    .unwrap();
  assert_eq!(
    rows(&mut storage, "SELECT count(*) FROM my_cf_t"),
    vec![vec![int(2)]]
  );
}

#[test]
fn only_listed_virtual_table_modules_are_allowed() {
  let mut storage = memory();
  storage
    .exec(
      "CREATE VIRTUAL TABLE docs USING fts5(body);
       INSERT INTO docs VALUES ('the quick brown fox'), ('lazy dogs');
       CREATE VIRTUAL TABLE vocab USING fts5vocab(docs, row);
       CREATE VIRTUAL TABLE boxes USING rtree(id, x0, x1);
       CREATE VIRTUAL TABLE iboxes USING rtree_i32(id, x0, x1);
       INSERT INTO boxes VALUES (1, 0, 10);",
      [],
    )
    .unwrap();
  assert_eq!(
    rows(&mut storage, "SELECT body FROM docs WHERE docs MATCH 'fox'"),
    vec![vec![text("the quick brown fox")]]
  );
  assert_eq!(
    rows(
      &mut storage,
      "SELECT id FROM boxes WHERE x0 <= 5 AND x1 >= 5"
    ),
    vec![vec![int(1)]]
  );
  assert_eq!(
    exec_error(&mut storage, "CREATE VIRTUAL TABLE old USING fts4(body)"),
    NOT_AUTHORIZED
  );
  assert_eq!(
    exec_error(&mut storage, "CREATE VIRTUAL TABLE _cf_f USING fts5(body)"),
    NOT_AUTHORIZED
  );
  storage.exec("DROP TABLE docs", []).unwrap();
}

#[test]
fn pragmas_follow_the_allow_list_and_argument_rules() {
  let mut storage = memory();
  table(&mut storage);
  storage.exec("CREATE INDEX tb ON t(b)", []).unwrap();
  storage.commit().unwrap();
  for query in [
    "PRAGMA table_list",
    "PRAGMA main.table_list",
    "PRAGMA table_info(t)",
    "PRAGMA table_xinfo(t)",
    "PRAGMA data_version",
    "PRAGMA page_size",
    "PRAGMA foreign_keys",
    "PRAGMA foreign_keys = OFF",
    "PRAGMA foreign_keys = 'yes'",
    "PRAGMA case_sensitive_like = 1",
    "PRAGMA recursive_triggers = true",
    "PRAGMA reverse_unordered_selects = no",
    "PRAGMA legacy_alter_table = off",
    "PRAGMA ignore_check_constraints = false",
    "PRAGMA defer_foreign_keys = on",
    "PRAGMA foreign_key_check",
    "PRAGMA foreign_key_check(t)",
    "PRAGMA foreign_key_list(t)",
    "PRAGMA index_list(t)",
    "PRAGMA index_info(tb)",
    "PRAGMA index_xinfo(tb)",
    "PRAGMA quick_check",
    "PRAGMA quick_check(3)",
    "PRAGMA quick_check(t)",
    "PRAGMA optimize",
    "PRAGMA optimize(0x10002)",
    "ANALYZE",
  ] {
    storage
      .exec(query, [])
      .unwrap_or_else(|e| panic!("{query}: {e}"));
  }
  assert_eq!(rows(&mut storage, "PRAGMA table_info(t)")[1][1], text("b"));
  for query in [
    "PRAGMA journal_mode",
    "PRAGMA journal_mode = DELETE",
    "PRAGMA synchronous = OFF",
    "PRAGMA writable_schema = 1",
    "PRAGMA max_page_count = 1",
    "PRAGMA page_size = 1024",
    "PRAGMA data_version = 1",
    "PRAGMA foreign_keys = maybe",
    "PRAGMA FOREIGN_KEYS = ON",
    "PRAGMA table_info",
    "PRAGMA index_list",
    "PRAGMA temp.table_list",
    "PRAGMA optimize(t)",
    "PRAGMA integrity_check",
    "PRAGMA compile_options",
    "PRAGMA function_list",
  ] {
    assert_eq!(exec_error(&mut storage, query), NOT_AUTHORIZED, "{query}");
  }
}

#[test]
fn internal_functions_are_denied_by_name() {
  let mut storage = memory();
  table(&mut storage);
  for (query, function, offset) in [
    ("SELECT sqlite_version()", "sqlite_version", 7),
    ("SELECT sqlite_source_id()", "sqlite_source_id", 7),
    (
      "SELECT sqlite_compileoption_used('THREADSAFE')",
      "sqlite_compileoption_used",
      7,
    ),
    (
      "SELECT sqlite_compileoption_get(0)",
      "sqlite_compileoption_get",
      7,
    ),
  ] {
    assert_eq!(
      exec_error(&mut storage, query),
      format!("not authorized to use function: {function} at offset {offset}: SQLITE_ERROR"),
      "{query}"
    );
  }
  // Like workerd's, this SQLite is built without sqlite_offset at all.
  assert_eq!(
    exec_error(&mut storage, "SELECT a, sqlite_offset(b) FROM t"),
    "no such function: sqlite_offset at offset 10: SQLITE_ERROR"
  );
  let cursor = storage
    .exec(
      "SELECT abs(-2), upper('a'), json_extract('{\"x\":3}', '$.x'), '{\"y\":4}' ->> '$.y', \
       count(*), group_concat(b), datetime(0, 'unixepoch') FROM t",
      [],
    )
    .unwrap();
  assert_eq!(
    cursor.rows,
    vec![vec![
      int(2),
      text("A"),
      int(3),
      int(4),
      int(2),
      text("x,y"),
      text("1970-01-01 00:00:00")
    ]]
  );
  assert_eq!(
    rows(&mut storage, "SELECT value FROM json_each('[5,6]')"),
    vec![vec![int(5)], vec![int(6)]]
  );
  assert_eq!(
    rows(
      &mut storage,
      "SELECT a, row_number() OVER (ORDER BY a DESC) FROM t"
    ),
    vec![vec![int(2), int(1)], vec![int(1), int(2)]]
  );
}

#[test]
fn math_functions_behave_like_sqlites() {
  let mut storage = memory();
  let got = rows(
    &mut storage,
    "SELECT sqrt(16), ln(0), log(100), log(2, 8), ceil(1.2), ceil(3), floor(-1.5), trunc(-1.5), \
     pow(2, 10), mod(7, 3), sqrt('9'), sqrt('abc'), sqrt(-1), pi() > 3.14, degrees(pi()), \
     log2(8), exp(0), atan2(1, 1) * 4 = pi()",
  );
  assert_eq!(
    got,
    vec![vec![
      SqlValue::Real(4.0),
      SqlValue::Null,
      SqlValue::Real(2.0),
      SqlValue::Real(3.0),
      SqlValue::Real(2.0),
      int(3),
      SqlValue::Real(-2.0),
      SqlValue::Real(-1.0),
      SqlValue::Real(1024.0),
      SqlValue::Real(1.0),
      SqlValue::Real(3.0),
      SqlValue::Null,
      SqlValue::Null,
      int(1),
      SqlValue::Real(180.0),
      SqlValue::Real(3.0),
      SqlValue::Real(1.0),
      int(1),
    ]]
  );
  // log10 and power are not on workerd's list, even though SQLite has them.
  assert_eq!(
    exec_error(&mut storage, "SELECT log10(100)"),
    "no such function: log10 at offset 7: SQLITE_ERROR"
  );
}

#[test]
fn workerds_limits_are_applied() {
  let mut storage = memory();
  assert_eq!(
    exec_error(
      &mut storage,
      "SELECT 1 UNION SELECT 2 UNION SELECT 3 UNION SELECT 4 UNION SELECT 5 UNION SELECT 6"
    ),
    "too many terms in compound SELECT: SQLITE_ERROR"
  );
  rows(
    &mut storage,
    "SELECT 1 UNION SELECT 2 UNION SELECT 3 UNION SELECT 4 UNION SELECT 5",
  );
  let placeholders = vec!["?"; 101].join(",");
  let err = storage
    .exec(&format!("SELECT {placeholders}"), vec![int(0); 101])
    .unwrap_err();
  assert_eq!(
    err.message,
    "too many SQL variables at offset 207: SQLITE_ERROR"
  );
  let columns: Vec<String> = (0..101).map(|i| format!("c{i}")).collect();
  assert_eq!(
    exec_error(
      &mut storage,
      &format!("CREATE TABLE wide({})", columns.join(","))
    ),
    "too many columns on wide: SQLITE_ERROR"
  );
  assert_eq!(
    exec_error(
      &mut storage,
      &format!("SELECT 'a' LIKE '{}'", "a".repeat(51))
    ),
    "LIKE or GLOB pattern too complex: SQLITE_ERROR"
  );
  let long = format!("SELECT '{}'", "x".repeat(100_000));
  assert_eq!(
    exec_error(&mut storage, &long),
    "statement too long: SQLITE_TOOBIG"
  );
  let args = vec!["1"; 128].join(",");
  assert_eq!(
    exec_error(&mut storage, &format!("SELECT json_array({args})")),
    "too many arguments on function json_array at offset 7: SQLITE_ERROR"
  );
}

#[test]
fn row_counters_follow_workerds_examples() {
  let mut storage = memory();
  storage
    .exec("CREATE TABLE tbl (id INTEGER PRIMARY KEY, value TEXT)", [])
    .unwrap();
  storage
    .exec(
      "INSERT INTO tbl VALUES (?, ?)",
      [int(100000), text("initial")],
    )
    .unwrap();
  let cursor = storage
    .exec(
      "INSERT INTO tbl (id, value) VALUES (?, ?)",
      [int(1), text("v")],
    )
    .unwrap();
  assert_eq!(cursor.rows_written, 1);
  let cursor = storage.exec("SELECT * FROM tbl", []).unwrap();
  assert_eq!((cursor.rows_read, cursor.rows_written), (2, 0));
  let cursor = storage
    .exec("SELECT * FROM tbl WHERE value IN ('a', 'b', 'v')", [])
    .unwrap();
  assert_eq!(
    (cursor.rows.len(), cursor.rows_read, cursor.rows_written),
    (1, 2, 0)
  );
  let cursor = storage.exec("DELETE FROM tbl", []).unwrap();
  assert_eq!(cursor.rows_written, 2);
  for i in 1..=10 {
    storage
      .exec("INSERT INTO tbl VALUES (?, 'x')", [int(i)])
      .unwrap();
  }
  let cursor = storage.exec("SELECT * FROM tbl", []).unwrap();
  assert_eq!(cursor.rows_read, 10);
  let cursor = storage
    .exec("UPDATE tbl SET value = 'y' WHERE id > 5 RETURNING id", [])
    .unwrap();
  assert_eq!((cursor.rows.len(), cursor.rows_written), (5, 5));
}

#[test]
fn database_size_counts_used_pages() {
  let mut storage = memory();
  let page_size: i64 = storage
    .conn
    .query_row("PRAGMA page_size", [], |r| r.get(0))
    .unwrap();
  let empty = storage.database_size().unwrap();
  storage.exec("CREATE TABLE t(x)", []).unwrap();
  for _ in 0..50 {
    storage
      .exec("INSERT INTO t VALUES (randomblob(1000))", [])
      .unwrap();
  }
  let grown = storage.database_size().unwrap();
  assert!(grown >= empty + 50_000, "{empty} -> {grown}");
  assert_eq!(grown % page_size as u64, 0);
  let (count, free): (i64, i64) = storage
    .conn
    .query_row(
      "SELECT (SELECT * FROM pragma_page_count), (SELECT * FROM pragma_freelist_count)",
      [],
      |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap();
  assert_eq!(grown, ((count - free) * page_size) as u64);
  storage.exec("DELETE FROM t", []).unwrap();
  assert!(
    storage.database_size().unwrap() < grown,
    "freed pages are not counted"
  );
}

#[test]
fn sql_is_refused_when_the_class_has_it_disabled() {
  let mut storage = ObjectStorage::open(None, false).unwrap();
  let expected = error(
    "SQL is not enabled for this Durable Object class. To enable it, change `new_classes` to \
     `new_sqlite_classes` within the 'migrations' field in your wrangler.jsonc or wrangler.toml \
     file. If using workerd directly,set `enableSql = true` in your workerd config for the class. \
     Note that this change cannot be made after the class is already deployed to production.",
  );
  assert_eq!(storage.exec("SELECT 1", []).unwrap_err(), expected);
  assert_eq!(storage.database_size().unwrap_err(), expected);
  assert!(!storage.sql_enabled());
  // KV and transactions still work.
  storage.transaction_sync(|s| s.put("k", b"v")).unwrap();
  storage.commit().unwrap();
  assert_eq!(storage.get("k").unwrap(), Some(b"v".to_vec()));
}

#[test]
fn sql_writes_join_the_implicit_transaction_and_reads_do_not() {
  let mut storage = memory();
  storage.exec("SELECT 1", []).unwrap();
  assert!(!storage.has_uncommitted_writes());
  storage.exec("CREATE TABLE t(x)", []).unwrap();
  assert!(storage.has_uncommitted_writes());
  storage.commit().unwrap();
  storage
    .exec("SELECT * FROM t; INSERT INTO t VALUES (1); SELECT 1", [])
    .unwrap();
  assert!(storage.has_uncommitted_writes());
  storage.rollback_implicit().unwrap();
  assert_eq!(
    rows(&mut storage, "SELECT count(*) FROM t"),
    vec![vec![int(0)]]
  );
}
