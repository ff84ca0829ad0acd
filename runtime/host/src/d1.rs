//! D1 databases (`d1_databases`), run as wrangler dev runs them.
//!
//! wrangler dev keeps each D1 database in a Durable Object of its own
//! (class `D1DatabaseObject`, namespace key `miniflare-D1DatabaseObject`)
//! whose SQLite file is named by the object id derived from the database
//! id. kiln's storage layer writes that same file format (see
//! `storage/`), so a database lives at the same path,
//! `<state>/v3/d1/miniflare-D1DatabaseObject/<object id>.sqlite`, and one
//! made or migrated by wrangler (`wrangler d1 migrations apply --local`) is
//! the one kiln serves, and the other way round.
//!
//! A call of the binding carries one query or a batch as JSON, the body
//! workerd's D1 binding sends; [`D1Database::call`] answers the body
//! wrangler dev's D1 object answers: every query of the call runs in one
//! transaction through the Durable Object SQL API (its authorizer, limits
//! and error texts), and each result carries the same `meta`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::actor_id::{self, NamespaceKey};
use crate::storage::{ObjectStorage, SqlValue, StorageError};

/// The namespace key of wrangler dev's D1 object, from which a database's
/// file name derives.
pub const NAMESPACE_KEY: &str = "miniflare-D1DatabaseObject";

/// What wrangler dev's D1 object calls itself in `meta.served_by`.
const SERVED_BY: &str = "miniflare.db";

const NO_STATEMENTS: &str = "No SQL statements detected.";

/// Where database `database_id` lives under a state directory.
pub fn database_path(state_dir: &Path, database_id: &str) -> PathBuf {
  let id = actor_id::id_from_name(&NamespaceKey::new(NAMESPACE_KEY), database_id);
  state_dir
    .join("v3")
    .join("d1")
    .join(NAMESPACE_KEY)
    .join(format!("{}.sqlite", actor_id::to_hex(&id)))
}

/// One open D1 database.
pub struct D1Database {
  storage: ObjectStorage,
  /// Commits made through this handle: the session bookmark grows with it.
  commits: u64,
}

/// How a query's rows come back: as `{columns, rows}` or as one object per
/// row (the binding's `run()` asks for the latter).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ResultsFormat {
  RowsAndColumns,
  ArrayOfObjects,
}

impl ResultsFormat {
  /// The binding's `resultsFormat` parameter; wrangler dev takes anything
  /// but `ROWS_AND_COLUMNS` (`NONE` included) as objects.
  pub fn parse(text: &str) -> ResultsFormat {
    if text == "ROWS_AND_COLUMNS" {
      ResultsFormat::RowsAndColumns
    } else {
      ResultsFormat::ArrayOfObjects
    }
  }
}

struct Query {
  sql: String,
  params: Vec<SqlValue>,
}

impl D1Database {
  /// Opens (creating) the database at `path`, or one in memory.
  pub fn open(path: Option<&Path>) -> Result<D1Database, String> {
    let mut storage = ObjectStorage::open(path, true).map_err(|e| e.message)?;
    // Several workers of a process, or `kiln d1 migrations apply` while a
    // worker runs, may use the same database.
    storage
      .share(Duration::from_secs(5))
      .map_err(|e| e.message)?;
    storage.create_metadata_table().map_err(|e| e.message)?;
    Ok(D1Database {
      storage,
      commits: 0,
    })
  }

  /// One call: `body` is `{sql, params}` or an array of them. Answers the
  /// reply's JSON body: an array with one result per query, or
  /// `{success: false, error}` when any query failed, in which case none of
  /// them took effect.
  pub fn call(&mut self, body: &str, format: ResultsFormat) -> Value {
    let queries = match parse_queries(body) {
      Ok(queries) => queries,
      Err(message) => return failure(&message),
    };
    let queries: Vec<Query> = queries.into_iter().filter(|q| !is_blank(&q.sql)).collect();
    if queries.is_empty() {
      return failure(NO_STATEMENTS);
    }
    let outcome = self
      .storage
      .transaction_sync(|storage| {
        queries
          .iter()
          .map(|query| run_query(storage, query, format))
          .collect::<Result<Vec<Value>, StorageError>>()
      })
      .and_then(|results| {
        if self.storage.commit()? {
          self.commits += 1;
        }
        Ok(results)
      });
    match outcome {
      Ok(results) => Value::Array(results),
      Err(e) => {
        let _ = self.storage.rollback_implicit();
        failure(&e.message)
      }
    }
  }

  /// The session bookmark after the latest call: later calls give greater
  /// bookmarks, as the binding's `withSession()` expects.
  pub fn bookmark(&self) -> String {
    format!("{:08x}-{:08x}-{:08x}-{:032x}", 0, self.commits, 0, 0)
  }

  /// Applies one migration file as `wrangler d1 migrations apply` does:
  /// its statements (split by [`split_statements`]) and the row recording
  /// `name` in `table` run as one batch, so a failure leaves nothing of the
  /// file behind. Answers how many statements ran.
  pub fn apply_migration(&mut self, table: &str, name: &str, sql: &str) -> Result<usize, String> {
    let text = format!(
      "{sql}\n\t\t\t\t\t\t\t\tINSERT INTO {table} (name)\n\t\t\t\t\t\t\t\tvalues ('{}');\n\t\t\t\t\t\t",
      name.replace('\'', "''")
    );
    let statements = split_statements(&text)?;
    let count = statements.len();
    let batch: Vec<Value> = statements
      .into_iter()
      .map(|sql| json!({ "sql": sql, "params": [] }))
      .collect();
    let reply = self.call(
      &Value::Array(batch).to_string(),
      ResultsFormat::RowsAndColumns,
    );
    match reply.get("error").and_then(Value::as_str) {
      Some(error) => Err(error.to_string()),
      None => Ok(count),
    }
  }

  /// The migrations already applied, from `table` (created if missing, as
  /// wrangler creates it).
  pub fn applied_migrations(&mut self, table: &str) -> Result<Vec<String>, String> {
    let create = format!(
      "CREATE TABLE IF NOT EXISTS {table}(\n\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n\t\tname       TEXT UNIQUE,\n\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n);"
    );
    let reply = self.call(
      &json!([
        { "sql": create, "params": [] },
        { "sql": format!("SELECT name FROM {table} ORDER BY id"), "params": [] },
      ])
      .to_string(),
      ResultsFormat::RowsAndColumns,
    );
    if let Some(error) = reply.get("error").and_then(Value::as_str) {
      return Err(error.to_string());
    }
    Ok(
      reply[1]["results"]["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| row[0].as_str().map(str::to_string))
        .collect(),
    )
  }
}

const SEVERAL_TRANSACTIONS: &str = "Wrangler could not process the provided SQL file, as it contains several transactions.\nD1 runs your SQL in a transaction for you.\nPlease export an SQL file from your SQLite database and try again.";

/// Splits a SQL file into statements as wrangler does before it runs a
/// migration: at each `;` outside quotes (`'`, `"`, backticks, `$tag$`),
/// comments and `BEGIN … END` / `CASE … END` blocks; `--` comments are
/// dropped up to their line end and `/* */` ones entirely; each statement
/// trimmed, empty ones left out. One `BEGIN TRANSACTION;` … `COMMIT;` pair
/// is removed first (D1 runs the file in a transaction of its own), and a
/// second one is refused.
pub fn split_statements(sql: &str) -> Result<Vec<String>, String> {
  let mut sql = sql.to_string();
  if sql.contains("BEGIN TRANSACTION") {
    sql = sql
      .replacen("BEGIN TRANSACTION;", "", 1)
      .replacen("COMMIT;", "", 1);
    if sql.contains("BEGIN TRANSACTION") {
      return Err(SEVERAL_TRANSACTIONS.to_string());
    }
  }
  let trimmed = sql.trim_end();
  let body = trimmed.strip_suffix(';').unwrap_or(trimmed);
  if !body.contains(';') {
    return Ok(vec![sql]);
  }
  let chars: Vec<char> = sql.chars().collect();
  let mut statements = Vec::new();
  let mut current = String::new();
  let mut depth = 0usize;
  let mut i = 0;
  while i < chars.len() {
    let c = chars[i];
    let next = chars.get(i + 1).copied();
    match c {
      '\'' | '"' | '`' => {
        // A quoted run, with its quotes; a doubled quote stays inside.
        current.push(c);
        i += 1;
        while i < chars.len() {
          current.push(chars[i]);
          if chars[i] == c {
            if chars.get(i + 1) == Some(&c) {
              current.push(c);
              i += 2;
              continue;
            }
            break;
          }
          i += 1;
        }
        i += 1;
        continue;
      }
      '$' => {
        // A dollar-quoted run: $tag$ … $tag$.
        let tag_end = chars[i + 1..].iter().position(|&t| t == '$').filter(|&n| {
          chars[i + 1..i + 1 + n]
            .iter()
            .all(|t| t.is_alphanumeric() || *t == '_')
        });
        if let Some(n) = tag_end {
          let tag: String = chars[i..i + n + 2].iter().collect();
          let rest: String = chars[i + n + 2..].iter().collect();
          if let Some(close) = rest.find(&tag) {
            let run = format!("{tag}{}", &rest[..close + tag.len()]);
            i += run.chars().count();
            current.push_str(&run);
            continue;
          }
        }
      }
      '-' if next == Some('-') => {
        // Dropped up to the line's end; the line break stays.
        while i < chars.len() && chars[i] != '\n' {
          i += 1;
        }
        continue;
      }
      '/' if next == Some('*') => {
        i += 2;
        while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
          i += 1;
        }
        i += 2;
        continue;
      }
      ';' if depth == 0 => {
        let statement = current.trim();
        if !statement.is_empty() {
          statements.push(statement.to_string());
        }
        current.clear();
        i += 1;
        continue;
      }
      _ => {}
    }
    current.push(c);
    i += 1;
    if c.is_whitespace() && ends_with_keyword(&current, &["BEGIN", "CASE"]) {
      depth += 1;
    } else if (c.is_whitespace() || c == ';') && depth > 0 && ends_with_keyword(&current, &["END"])
    {
      depth -= 1;
      if depth == 0 && c == ';' {
        // The block's end ends the statement too.
        current.pop();
        let statement = current.trim();
        if !statement.is_empty() {
          statements.push(statement.to_string());
        }
        current.clear();
      }
    }
  }
  let statement = current.trim();
  if !statement.is_empty() {
    statements.push(statement.to_string());
  }
  Ok(statements)
}

/// Whether `text` ends with whitespace, one of `words` (any case), and the
/// one character just pushed.
fn ends_with_keyword(text: &str, words: &[&str]) -> bool {
  // Only the tail matters: whitespace, the longest word, the last character.
  let tail: Vec<char> = text.chars().rev().take(8).collect();
  let Some((_, before)) = tail.split_first() else {
    return false;
  };
  words.iter().any(|word| {
    let n = word.len();
    before.len() > n
      && before[..n]
        .iter()
        .rev()
        .copied()
        .collect::<String>()
        .eq_ignore_ascii_case(word)
      && before[n].is_whitespace()
  })
}

fn failure(message: &str) -> Value {
  json!({ "success": false, "error": message })
}

fn parse_queries(body: &str) -> Result<Vec<Query>, String> {
  let value: Value =
    serde_json::from_str(body).map_err(|e| format!("the D1 request is not JSON: {e}"))?;
  match value {
    Value::Array(items) => items.iter().map(parse_query).collect(),
    single => Ok(vec![parse_query(&single)?]),
  }
}

fn parse_query(value: &Value) -> Result<Query, String> {
  let sql = value
    .get("sql")
    .and_then(Value::as_str)
    .ok_or("a D1 query needs its \"sql\" text")?
    .to_string();
  let params = match value.get("params") {
    None | Some(Value::Null) => Vec::new(),
    Some(Value::Array(params)) => params.iter().map(param).collect::<Result<_, _>>()?,
    Some(_) => return Err("a D1 query's \"params\" must be an array".into()),
  };
  Ok(Query { sql, params })
}

/// A bound value as it arrives: numbers (bound as SQLite reals, as the
/// Durable Object SQL API binds them), strings, null, or an array of bytes
/// for a blob.
fn param(value: &Value) -> Result<SqlValue, String> {
  Ok(match value {
    Value::Null => SqlValue::Null,
    Value::Number(n) => SqlValue::Real(n.as_f64().unwrap_or(f64::NAN)),
    Value::String(s) => SqlValue::Text(s.clone()),
    // As a Uint8Array takes numbers: truncated, modulo 256.
    Value::Array(bytes) => SqlValue::Blob(
      bytes
        .iter()
        .map(|b| {
          b.as_f64().map(|b| {
            if b.is_finite() {
              (b.trunc() as i64).rem_euclid(256) as u8
            } else {
              0
            }
          })
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or("a D1 blob parameter must be an array of bytes")?,
    ),
    other => return Err(format!("D1 cannot bind {other}")),
  })
}

/// Whether a query is nothing but space and comments, by wrangler dev's
/// rule: a `--` comment counts only where a line starts with space before
/// it, so a comment at the very start of the text is a statement (and
/// fails as SQL).
fn is_blank(sql: &str) -> bool {
  let chars: Vec<char> = sql.chars().collect();
  let line_break = |c: char| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}');
  let mut kept = String::with_capacity(sql.len());
  let mut i = 0;
  while i < chars.len() {
    let at_line_start = i == 0 || line_break(chars[i - 1]);
    if at_line_start {
      let mut j = i;
      while j < chars.len() && chars[j].is_whitespace() {
        j += 1;
      }
      if j > i && chars.get(j) == Some(&'-') && chars.get(j + 1) == Some(&'-') {
        // Drop the space and the comment, up to the end of its line.
        let mut end = j + 2;
        while end < chars.len() && !line_break(chars[end]) {
          end += 1;
        }
        i = end;
        continue;
      }
    }
    kept.push(chars[i]);
    i += 1;
  }
  kept
    .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
    .is_empty()
}

fn run_query(
  storage: &mut ObjectStorage,
  query: &Query,
  format: ResultsFormat,
) -> Result<Value, StorageError> {
  let started = Instant::now();
  let size_before = storage.database_size()?;
  let (changes_before, last_row_before) = storage.change_counters();
  let cursor = storage.exec(&query.sql, &query.params)?;
  let size_after = storage.database_size()?;
  let (changes_after, last_row_id) = storage.change_counters();
  let changes = changes_after - changes_before;
  let rows: Vec<Vec<Value>> = cursor
    .rows
    .into_iter()
    .map(|row| row.into_iter().map(cell).collect())
    .collect();
  let results = match format {
    ResultsFormat::RowsAndColumns => json!({ "columns": cursor.column_names, "rows": rows }),
    ResultsFormat::ArrayOfObjects => Value::Array(
      rows
        .into_iter()
        .map(|row| {
          let mut object = Map::new();
          for (name, value) in cursor.column_names.iter().zip(row) {
            object.insert(name.clone(), value);
          }
          Value::Object(object)
        })
        .collect(),
    ),
  };
  Ok(json!({
    "success": true,
    "results": results,
    "meta": {
      "served_by": SERVED_BY,
      "duration": started.elapsed().as_secs_f64() * 1000.0,
      "changes": changes,
      "last_row_id": last_row_id,
      "changed_db": changes != 0 || last_row_id != last_row_before || size_after != size_before,
      "size_after": size_after,
      "rows_read": cursor.rows_read,
      "rows_written": cursor.rows_written,
    },
  }))
}

/// A value read from SQL as JSON carries it: a blob as an array of bytes, a
/// real that JSON cannot write (infinity) as null.
fn cell(value: SqlValue) -> Value {
  match value {
    SqlValue::Null => Value::Null,
    SqlValue::Integer(i) => Value::from(i),
    SqlValue::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
    SqlValue::Text(s) => Value::String(s),
    SqlValue::Blob(bytes) => Value::Array(bytes.into_iter().map(Value::from).collect()),
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn blank_queries_follow_wranglers_rule() {
    assert!(is_blank(""));
    assert!(is_blank("  \n\t "));
    assert!(is_blank(" -- a comment"));
    assert!(is_blank("\n-- a comment\n  -- another"));
    // A comment with nothing before it on the first line is not removed.
    assert!(!is_blank("-- a comment"));
    assert!(!is_blank("SELECT 1"));
    assert!(!is_blank(" -- comment\nSELECT 1"));
  }

  #[test]
  fn a_call_runs_in_one_transaction() {
    let mut db = D1Database::open(None).unwrap();
    let created = db.call(
      r#"{"sql": "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)", "params": []}"#,
      ResultsFormat::RowsAndColumns,
    );
    assert_eq!(created[0]["success"], json!(true), "{created}");
    let failed = db.call(
      r#"[{"sql": "INSERT INTO t (b) VALUES (?)", "params": ["x"]},
          {"sql": "INSERT INTO nope VALUES (1)", "params": []}]"#,
      ResultsFormat::RowsAndColumns,
    );
    assert_eq!(failed["success"], json!(false), "{failed}");
    assert_eq!(
      failed["error"],
      json!("no such table: nope: SQLITE_ERROR"),
      "{failed}"
    );
    let count = db.call(
      r#"{"sql": "SELECT count(*) AS n FROM t"}"#,
      ResultsFormat::ArrayOfObjects,
    );
    assert_eq!(count[0]["results"], json!([{ "n": 0 }]), "{count}");
  }

  #[test]
  fn meta_reports_changes_and_rows() {
    let mut db = D1Database::open(None).unwrap();
    db.call(
      r#"{"sql": "CREATE TABLE t (a INTEGER PRIMARY KEY, b BLOB)"}"#,
      ResultsFormat::RowsAndColumns,
    );
    let inserted = db.call(
      r#"{"sql": "INSERT INTO t (b) VALUES (?), (?)", "params": [[1, 2, 255], null]}"#,
      ResultsFormat::RowsAndColumns,
    );
    let meta = &inserted[0]["meta"];
    assert_eq!(meta["changes"], json!(2), "{inserted}");
    assert_eq!(meta["last_row_id"], json!(2), "{inserted}");
    assert_eq!(meta["changed_db"], json!(true), "{inserted}");
    let read = db.call(
      r#"{"sql": "SELECT a, b FROM t ORDER BY a"}"#,
      ResultsFormat::RowsAndColumns,
    );
    assert_eq!(
      read[0]["results"],
      json!({ "columns": ["a", "b"], "rows": [[1, [1, 2, 255]], [2, null]] }),
      "{read}"
    );
    assert_eq!(read[0]["meta"]["changed_db"], json!(false), "{read}");
  }

  #[test]
  fn migrations_are_recorded() {
    let mut db = D1Database::open(None).unwrap();
    assert!(db.applied_migrations("d1_migrations").unwrap().is_empty());
    db.apply_migration("d1_migrations", "0001_a.sql", "CREATE TABLE a (x);")
      .unwrap();
    let err = db
      .apply_migration(
        "d1_migrations",
        "0002_b.sql",
        "CREATE TABLE b (x); nonsense;",
      )
      .unwrap_err();
    assert_eq!(
      db.apply_migration("d1_migrations", "0003_c.sql", "SELECT upper('a');"),
      Ok(2),
      "function names are case-insensitive to the authorizer"
    );
    assert!(err.contains("syntax error"), "{err}");
    assert_eq!(
      db.applied_migrations("d1_migrations").unwrap(),
      vec!["0001_a.sql".to_string(), "0003_c.sql".to_string()]
    );
    // The failed file left nothing behind.
    let tables = db.call(
      r#"{"sql": "SELECT name FROM sqlite_master WHERE name = 'b'"}"#,
      ResultsFormat::RowsAndColumns,
    );
    assert_eq!(tables[0]["results"]["rows"], json!([]), "{tables}");
  }

  #[test]
  fn migrations_split_as_wrangler_splits_them() {
    assert_eq!(split_statements("SELECT 1;").unwrap(), ["SELECT 1;"]);
    assert_eq!(
      split_statements(
        "CREATE TABLE t (a TEXT DEFAULT 'x;y' -- a;b\n);\n/* c; */INSERT INTO t VALUES (1);"
      )
      .unwrap(),
      [
        "CREATE TABLE t (a TEXT DEFAULT 'x;y' \n)",
        "INSERT INTO t VALUES (1)"
      ]
    );
    assert_eq!(
      split_statements(
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n UPDATE t SET a = 1; END;\nSELECT 2;"
      )
      .unwrap(),
      [
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n UPDATE t SET a = 1; END",
        "SELECT 2"
      ]
    );
    assert_eq!(
      split_statements("BEGIN TRANSACTION;\nSELECT 1;\nSELECT 2;\nCOMMIT;").unwrap(),
      ["SELECT 1", "SELECT 2"]
    );
    assert!(
      split_statements("BEGIN TRANSACTION; COMMIT; BEGIN TRANSACTION; SELECT 1; COMMIT;").is_err()
    );
  }

  #[test]
  fn several_connections_write_one_database_without_failing() {
    let dir = std::env::temp_dir().join(format!("kiln-d1-shared-{}", std::process::id()));
    let path = dir.join("db.sqlite");
    let mut first = D1Database::open(Some(&path)).unwrap();
    first.call(
      r#"{"sql": "CREATE TABLE t (n)"}"#,
      ResultsFormat::RowsAndColumns,
    );
    let writers: Vec<_> = (0..2)
      .map(|_| {
        let path = path.clone();
        std::thread::spawn(move || {
          let mut db = D1Database::open(Some(&path)).unwrap();
          for i in 0..100 {
            // A read before the write, as every D1 query does (its size).
            let reply = db.call(
              &format!(r#"{{"sql": "INSERT INTO t VALUES ({i})"}}"#),
              ResultsFormat::RowsAndColumns,
            );
            assert_eq!(reply[0]["success"], json!(true), "{reply}");
          }
        })
      })
      .collect();
    for writer in writers {
      writer.join().unwrap();
    }
    let count = first.call(
      r#"{"sql": "SELECT count(*) AS n FROM t"}"#,
      ResultsFormat::ArrayOfObjects,
    );
    assert_eq!(count[0]["results"], json!([{ "n": 200 }]), "{count}");
    let _ = std::fs::remove_dir_all(dir);
  }
}
