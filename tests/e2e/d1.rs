//! D1, end to end, on wrangler dev (the reference) and on kiln.
//!
//! One worker, tests/workers/d1/ (worker.js + wrangler.toml; worker
//! "d1-worker" with one `[[d1_databases]]` bound as env.DB, database_id
//! "test-database"), runs named scenarios: `GET /scenario/<name>` answers
//! the scenario's report as JSON (values in a tagged form, errors as {name,
//! message, cause}, the varying fields of a result's `meta` as {type}).
//! Every test runs its scenarios on every runtime, asserts the concrete
//! values written below (what wrangler 4.86.0 / Miniflare 4.20260426.0 with
//! workerd's `cloudflare-internal:d1-api` wrapper does), and that kiln's
//! answers equal wrangler's.
//!
//! How the runtimes are started (each test has its own processes and state):
//! - wrangler: `tests/support/wrangler.rs` runs `wrangler dev --local
//!   --persist-to <state>` on a copy of the worker's folder; the database is
//!   `<state>/v3/d1/miniflare-D1DatabaseObject/<hash of the id>.sqlite`.
//! - kiln: `kiln dev -c d1/wrangler.toml --persist-to <state>` from
//!   tests/workers.
//!
//! Migrations: `wrangler d1 migrations apply DB --local --persist-to
//! <state>` (non-interactive: its stdin is not a terminal, so it answers
//! its own "continue?" with yes) against `kiln d1 migrations apply DB -c
//! d1/wrangler.toml --persist-to <state>`; then each runtime's dev server
//! is started on its state and the outcome (tables, tracking rows) is
//! compared, not the commands' printed text (beyond the file names and
//! the SQL error).
//!
//! Running:
//!   cargo test --offline -p kiln-tests --no-default-features \
//!     --features quickjs --test d1
//! runs every scenario on both runtimes and compares them (kiln must be
//! built: `make build`, or KILN_BIN). With `KILN_D1_REFERENCE_ONLY=1` only
//! wrangler runs: that checks the expectations themselves against the
//! reference. wrangler comes from `make reference` (tests/reference).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use kiln_tests::json::{assert_json, ok};
use kiln_tests::side::{self, check, check_except, last_lines, Kind, Side, Target};
use kiln_tests::workerd::TempDir;
use kiln_tests::wrangler::{self, wrangler_bin, Wrangler};
use kiln_tests::{kiln_bin, run_with_deadline, send, workers_dir, Exit, Kiln};
use serde_json::{json, Value};

/// What workerd answers to BEGIN, COMMIT, SAVEPOINT and the like.
const NO_TRANSACTIONS: &str = "To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it will automatically roll back on exceptions, and because it interacts correctly with Durable Objects' automatic atomic write coalescing.";
const WRONG_COUNT: &str = "Wrong number of parameter bindings for SQL query.";
const NO_STATEMENTS: &str = "No SQL statements detected.";
const NO_STATEMENT: &str = "SQL code did not contain a statement.";

/// The database files under a --persist-to folder: Miniflare's Durable
/// Object for D1, one SQLite file per database id, named after the object
/// id that `idFromName(<id>)` gives in the namespace whose unique key is
/// "miniflare-D1DatabaseObject".
const D1_DIR: &str = "v3/d1/miniflare-D1DatabaseObject";
/// The file of database_id "test-database".
const TEST_DATABASE_FILE: &str =
  "bb2714e6b0858534e5ea969b7b220199aad5e7e939c5833ea2145745a0a70190.sqlite";
/// ... of "other-db".
const OTHER_DB_FILE: &str =
  "c79d254ed224942dd844a362dc3c0f8685f35f27b10694966d6f2767646841bd.sqlite";
/// ... of "DB" (a binding without a database_id).
const BINDING_NAME_FILE: &str =
  "e7352547963de7050bd7d94658afc4fe78b61811b7815da12d90be8e863abf4d.sqlite";
/// ... of "preview-db".
const PREVIEW_DB_FILE: &str =
  "1a5ef4a8963e526dfd9feea11e81d7c86ace19ceefb69508bcb695f484e52a88.sqlite";

/// How long a `d1 migrations` command may take (wrangler starts a workerd).
const COMMAND_DEADLINE: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------
// The runtimes.

const REFERENCE_ONLY: &str = "KILN_D1_REFERENCE_ONLY";

fn reference_only() -> bool {
  side::reference_only(REFERENCE_ONLY)
}

/// wrangler, then kiln unless KILN_D1_REFERENCE_ONLY is set.
fn kinds() -> Vec<Kind> {
  side::kinds(REFERENCE_ONLY)
}

/// tests/workers/d1/wrangler.toml, from tests/workers.
fn standard() -> Target {
  Target::workers("d1/wrangler.toml")
}

/// The database file of `name` (see D1_DIR) in a side's state.
fn database_file(side: &Side, name: &str) -> PathBuf {
  side.state.path().join(D1_DIR).join(name)
}

/// wrangler, then kiln unless KILN_D1_REFERENCE_ONLY is set.
fn sides() -> Vec<Side> {
  side::sides(REFERENCE_ONLY, &standard(), "d1")
}

/// An error reported by its name only (its message is the engine's).
fn error_named(name: &str) -> Value {
  json!({ "error": { "name": name } })
}

/// An error of D1's, as the worker reports it: its message, and its cause's.
fn d1_error_with(message: &str, cause: &str) -> Value {
  json!({ "error": { "name": "Error", "message": message, "cause": cause } })
}

/// `D1_ERROR: <cause>`: what the database refused.
fn d1_error(cause: &str) -> Value {
  d1_error_with(&format!("D1_ERROR: {cause}"), cause)
}

/// What bind() throws for a value it does not take.
fn type_error(kind: &str, value: &str) -> Value {
  let cause = format!("Type '{kind}' not supported for value '{value}'");
  d1_error_with(&format!("D1_TYPE_ERROR: {cause}"), &cause)
}

/// What exec() answers: {count, duration}, duration being any number.
fn counted(count: u64) -> Value {
  ok(json!({ "count": count, "duration": { "type": "number" } }))
}

/// What exec() throws: always "line 1" and the first line (Miniflare
/// answers one error for the whole query, not one per line).
fn exec_error(first_line: &str, cause: &str) -> Value {
  let cause = format!("Error in line 1: {first_line}: {cause}");
  d1_error_with(&format!("D1_EXEC_ERROR: {cause}"), &cause)
}

fn column_not_found(column: &str) -> Value {
  d1_error_with(
    &format!("D1_COLUMN_NOTFOUND: Column not found ({column})"),
    "Column not found",
  )
}

/// A result's `meta` as the worker reports it: the varying fields (and the
/// row counters) as their type.
fn meta(changes: u64, last_row_id: u64, changed_db: bool) -> Value {
  json!({
    "served_by": { "type": "string" },
    "duration": { "type": "number" },
    "changes": changes,
    "last_row_id": last_row_id,
    "changed_db": changed_db,
    "size_after": { "type": "number" },
    "rows_read": { "type": "number" },
    "rows_written": { "type": "number" },
  })
}

/// A result of all(), run() or batch(), as the worker's `res` reports it.
fn result(meta: Value, results: Value) -> Value {
  json!({
    "keys": ["success", "meta", "results"],
    "success": true,
    "meta": meta,
    "results": results,
  })
}

// ---------------------------------------------------------------------------
// The binding.

#[tokio::test]
async fn the_binding_is_a_d1_database() {
  let sides = sides();
  check(
    &sides,
    "binding",
    &json!({
      "string": "[object Object]",
      "tag": "[object Object]",
      "typeof": "object",
      "constructor": "D1Database",
      "methods": ["batch", "constructor", "dump", "exec", "prepare", "withSession"],
      "typeofs": ["function", "function", "function", "function", "function"],
      "envKeys": ["DB"],
      "same": true,
      "statement": {
        "string": "[object Object]",
        "constructor": "D1PreparedStatement",
        "methods": ["all", "bind", "constructor", "first", "raw", "run"],
        "statement": "SELECT 1",
        "params": [],
        "fresh": true,
      },
      "bind": { "isNew": true, "params": [1], "originalParams": [], "statement": "SELECT ?" },
      "prepareBadSql": ok(json!("NOT SQL AT ALL")),
      "session": {
        "constructor": "D1DatabaseSession",
        "typeofs": ["function", "function", "function", "undefined", "undefined", "undefined"],
      },
    }),
  )
  .await;
}

// ---------------------------------------------------------------------------
// Values.

/// A value bound into columns of every affinity (none, INTEGER, REAL, TEXT,
/// BLOB, NUMERIC), read back with typeof(). Bound numbers (and booleans,
/// bound as 1 and 0) are REAL: a TEXT column stores 1 as "1.0". NaN and
/// Infinity become NULL (they travel as JSON), -0 becomes 0. BLOBs come
/// back as arrays of numbers; integers beyond 2^53 lose precision.
#[tokio::test]
async fn values_of_every_type_round_trip() {
  let sides = sides();
  // The six columns' [value, typeof] pairs.
  let cells = |cols: [(Value, &str); 6]| -> Value {
    Value::Array(cols.into_iter().flat_map(|(v, t)| [v, json!(t)]).collect())
  };
  let same = |v: Value, t: &str| cells(std::array::from_fn(|_| (v.clone(), t)));
  // A bound number: REAL, except where the column's affinity makes it an
  // INTEGER; `text` is how the TEXT column stores it.
  let number = |v: Value, text: &str, int_type: &str| {
    cells([
      (v.clone(), "real"),
      (v.clone(), int_type),
      (v.clone(), "real"),
      (json!(text), "text"),
      (v.clone(), "real"),
      (v, int_type),
    ])
  };
  let blob = |bytes: &[u8]| same(json!(bytes), "blob");
  let nulls = same(Value::Null, "null");
  // A REAL as TEXT: kiln's SQLite (3.54) writes the shortest text that
  // reads back as the same number, workerd's older one 15 digits.
  check_except(
    &sides,
    "types",
    &json!({
      "inserted": ok(json!(20)),
      "stored": ok(json!({
        "null": nulls,
        "zero": number(json!(0), "0.0", "integer"),
        "one": number(json!(1), "1.0", "integer"),
        "minus one": number(json!(-1), "-1.0", "integer"),
        "one and a half": number(json!(1.5), "1.5", "real"),
        "2^53": number(json!(9007199254740992u64), "9.00719925474099e+15", "integer"),
        "text": same(json!("text"), "text"),
        "empty text": same(json!(""), "text"),
        "numeric text": cells([
          (json!("42"), "text"),
          (json!(42), "integer"),
          (json!(42), "real"),
          (json!("42"), "text"),
          (json!("42"), "text"),
          (json!(42), "integer"),
        ]),
        "float text": cells([
          (json!("1.5"), "text"),
          (json!(1.5), "real"),
          (json!(1.5), "real"),
          (json!("1.5"), "text"),
          (json!("1.5"), "text"),
          (json!(1.5), "real"),
        ]),
        "unicode": same(json!("é中😀"), "text"),
        "true": number(json!(1), "1.0", "integer"),
        "false": number(json!(0), "0.0", "integer"),
        "Uint8Array": blob(&[0, 1, 255]),
        "ArrayBuffer": blob(&[7, 8]),
        "byte array": blob(&[1, 2]),
        "no bytes": blob(&[]),
        "NaN": nulls,
        "Infinity": nulls,
        "-0": number(json!(0), "0.0", "integer"),
      })),
      "literals": ok(json!({
        "big": ["number", "9007199254740992"],
        "max": ["number", "9223372036854776000"],
        "min": ["number", "-9223372036854776000"],
        "sum": ["number", "0.30000000000000004"],
        "inf": null,
        "ninf": null,
        "intdiv": ["number", "2"],
        "div": ["number", "2.5"],
        "divzero": null,
        "blob": [0, 255],
        "noblob": [],
        "nul": null,
        "nulchar": "a\u{0}b",
        "t": "integer",
      })),
      "blobIsArray": ok(json!([true, false, false])),
    }),
    &[("/stored/ok/2^53/6", json!("9007199254740992.0"))],
  )
  .await;
}

/// bind() takes null, numbers, strings, booleans (as 1 and 0), ArrayBuffers,
/// views (each element taken as a byte: Array.from of the view, so a
/// Uint16Array's 258 is stored as 2 and a DataView gives no bytes) and
/// arrays of numbers 0..255; anything else throws D1_TYPE_ERROR at once.
/// Parameters are bound by position whatever their form; a count that does
/// not match the statement's fails when it runs.
#[tokio::test]
async fn bind_accepts_converts_and_refuses() {
  let sides = sides();
  let accepted =
    |params: Value, v: Value, t: &str| ok(json!({ "params": [params], "row": { "v": v, "t": t } }));
  let real = |v: Value| accepted(v.clone(), v, "real");
  let blob = |params: Value, bytes: Value| accepted(params, bytes, "blob");
  check(
    &sides,
    "binds",
    &json!({
      "accepted": {
        "null": accepted(Value::Null, Value::Null, "null"),
        "integer": real(json!(7)),
        "fraction": real(json!(0.25)),
        "negative": real(json!(-3)),
        "maxSafe": real(json!(9007199254740991u64)),
        "string": accepted(json!("s"), json!("s"), "text"),
        "emptyString": accepted(json!(""), json!(""), "text"),
        "true": accepted(json!(1), json!(1), "real"),
        "false": accepted(json!(0), json!(0), "real"),
        "NaN": accepted(json!({ "Number": "NaN" }), Value::Null, "null"),
        "Infinity": accepted(json!({ "Number": "Infinity" }), Value::Null, "null"),
        "negativeZero": accepted(json!({ "Number": "-0" }), json!(0), "real"),
        "byteArray": blob(json!([1, 2, 255]), json!([1, 2, 255])),
        "emptyArray": blob(json!([]), json!([])),
        "ArrayBuffer": blob(json!([1, 2]), json!([1, 2])),
        "Uint8Array": blob(json!([3, 4]), json!([3, 4])),
        "subarray": blob(json!([2, 3]), json!([2, 3])),
        "Int8Array": blob(json!([-1, 2]), json!([255, 2])),
        "Uint16Array": blob(json!([258, 3]), json!([2, 3])),
        "Float64Array": blob(json!([1.5]), json!([1])),
        "DataView": blob(json!([]), json!([])),
      },
      "refused": {
        "undefined": type_error("undefined", "undefined"),
        "bigint": type_error("bigint", "5"),
        "object": type_error("object", "[object Object]"),
        "nestedArray": type_error("object", "1"),
        "arrayOver255": type_error("object", "1,256"),
        "arrayNegative": type_error("object", "-1"),
        // Fractions pass the 0..255 check and are truncated.
        "arrayFraction": blob(json!([1.5]), json!([1])),
        "arrayOfStrings": type_error("object", "a"),
        "Map": type_error("object", "[object Map]"),
        "symbol": error_named("TypeError"),
      },
      "throwsInBind": "threw",
      "refusesAmongOthers": type_error("undefined", "undefined"),
      "numbered": ok(json!({ "b": "two", "a": "one", "again": "one" })),
      "named": ok(json!({ "x": 1, "y": 2, "z": 3 })),
      "mixed": ok(json!({ "a": 1, "n": 2, "b": 3 })),
      "tooMany": d1_error(WRONG_COUNT),
      "tooFew": d1_error(WRONG_COUNT),
      "noneBound": d1_error(WRONG_COUNT),
      // ?2 makes two parameters.
      "gap": d1_error(WRONG_COUNT),
      "gapFilled": ok(json!({ "a": 2 })),
      "noParameters": d1_error(WRONG_COUNT),
      "bindNothing": ok(json!({ "a": 1 })),
      "rebind": ok(json!({ "a": 2, "b": 3 })),
      "reuse": ok(json!([1, 2, []])),
      "numberIntoText": ok(json!([["1.0", "text", 1, "integer"], ["1.0", "text", 2, "integer"]])),
    }),
  )
  .await;
}

// ---------------------------------------------------------------------------
// Results.

/// all(), run() and batch() answer {success, meta, results} (in that key
/// order); run() answers a query's rows too; meta has served_by,
/// duration, changes, last_row_id (the connection's last_insert_rowid()),
/// changed_db, size_after, rows_read, rows_written, and nothing else
/// (no served_by_region, served_by_primary, timings locally). raw() answers
/// arrays, with the column names first if asked, even without rows.
#[tokio::test]
async fn result_shapes_of_all_run_raw_and_first() {
  let sides = sides();
  check(
    &sides,
    "shapes",
    &json!({
      "insertRun": ok(result(meta(1, 1, true), json!([]))),
      "insertTwo": ok(result(meta(2, 3, true), json!([]))),
      "insertAll": ok(result(meta(1, 4, true), json!([]))),
      "selectAll": ok(result(meta(0, 4, false), json!([
        { "id": 1, "name": "a", "n": 1.5 },
        { "id": 2, "name": "b", "n": 2 },
        { "id": 3, "name": "c", "n": null },
        { "id": 4, "name": "d", "n": null },
      ]))),
      "selectRun": ok(result(meta(0, 4, false), json!([{ "name": "a" }, { "name": "b" }]))),
      "emptyAll": ok(result(meta(0, 4, false), json!([]))),
      "returning": ok(result(meta(1, 5, true), json!([{ "id": 5, "name": "e" }]))),
      "update": ok(result(meta(3, 5, true), json!([]))),
      "updateNone": ok(result(meta(0, 5, false), json!([]))),
      "deleteOne": ok(result(meta(1, 5, true), json!([]))),
      "create": ok(result(meta(0, 5, true), json!([]))),
      "createIfNotExists": ok(result(meta(0, 5, false), json!([]))),
      "raw": ok(json!([[1, "a"], [2, "b"], [3, "c"], [4, "d"]])),
      "rawColumnNames": ok(json!([["id", "name"], [1, "a"], [2, "b"]])),
      "rawColumnNamesFalse": ok(json!([[1]])),
      "rawColumnNamesTruthy": ok(json!([["id"], [1]])),
      "rawEmpty": ok(json!([])),
      "rawEmptyColumnNames": ok(json!([["id", "name"]])),
      "rawInsert": ok(json!([])),
      "rawInsertColumnNames": ok(json!([[]])),
      "duplicateAll": ok(json!([{ "a": 2 }])),
      "duplicateRaw": ok(json!([["a", "a"], [1, 2]])),
      "duplicateFirst": ok(json!({ "a": 2 })),
      "columnOrder": ok(json!(["z", "a", "m"])),
      "expressionNames": ok(json!(["1", "1 + 1", "'x'", "NULL"])),
      "metaServedBy": ok(json!("miniflare.db")),
      "resultClass": ok(json!([true, true, "number"])),
    }),
  )
  .await;

  // first(): the first row or null; first(column) that row's value, null
  // without rows, D1_COLUMN_NOTFOUND for a column the row lacks.
  check(
    &sides,
    "first",
    &json!({
      "row": ok(json!({ "a": 1, "b": "x", "c": null })),
      "column": ok(json!("x")),
      "nullColumn": ok(Value::Null),
      "missingColumn": column_not_found("nope"),
      "noRows": ok(Value::Null),
      "noRowsMissingColumn": ok(Value::Null),
      "numberColumn": column_not_found("5"),
      "numberNamedColumn": ok(json!(1)),
      "nullArgument": ok(json!(1)),
      "undefinedArgument": ok(json!({ "a": 1, "b": "x", "c": null })),
      "emptyName": column_not_found(""),
      "secondRowIgnored": ok(json!(2)),
      "error": d1_error("no such table: nope: SQLITE_ERROR"),
    }),
  )
  .await;
}

// ---------------------------------------------------------------------------
// Errors and limits.

/// SQLite's messages as workerd words them ("<message>[ at offset N]:
/// <code>[ (extended: <code>)]"), after "D1_ERROR: "; what workerd's
/// authorizer refuses; blank SQL (Miniflare's check) against SQL that is
/// only a comment (workerd's).
#[tokio::test]
async fn sql_errors_and_what_d1_refuses() {
  let sides = sides();
  let not_authorized = d1_error("not authorized: SQLITE_AUTH");
  check(
    &sides,
    "sql-errors",
    &json!({
      "noSuchTable": d1_error("no such table: nope: SQLITE_ERROR"),
      "noSuchColumn": d1_error("no such column: nope at offset 7: SQLITE_ERROR"),
      "syntax": d1_error("near \"SELEC\": syntax error at offset 0: SQLITE_ERROR"),
      "syntaxAtEnd": d1_error("incomplete input: SQLITE_ERROR"),
      "syntaxOffset": d1_error("near \"=\": syntax error at offset 28: SQLITE_ERROR"),
      "unique": d1_error("UNIQUE constraint failed: se.u: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)"),
      "primaryKey": d1_error("UNIQUE constraint failed: se.id: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)"),
      "notNull": d1_error("NOT NULL constraint failed: se.nn: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_NOTNULL)"),
      "check": d1_error("CHECK constraint failed: ck > 0: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_CHECK)"),
      "foreignKey": d1_error("FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)"),
      "mismatch": d1_error("datatype mismatch: SQLITE_MISMATCH"),
      "tableExists": d1_error("table se already exists at offset 13: SQLITE_ERROR"),
      "emptySql": d1_error(NO_STATEMENTS),
      "blankSql": d1_error(NO_STATEMENTS),
      // Miniflare drops lines of whitespace then "--" before looking for
      // statements; a comment at the very start reaches workerd.
      "indentedComment": d1_error(NO_STATEMENTS),
      "comment": d1_error(NO_STATEMENT),
      "blockComment": d1_error(NO_STATEMENT),
      "begin": d1_error(NO_TRANSACTIONS),
      "beginPlain": d1_error(NO_TRANSACTIONS),
      "commit": d1_error(NO_TRANSACTIONS),
      "rollback": d1_error(NO_TRANSACTIONS),
      "savepoint": d1_error(NO_TRANSACTIONS),
      "release": d1_error(NO_TRANSACTIONS),
      "attach": not_authorized,
      "cfTable": not_authorized,
      "cfRead": d1_error("access to _cf_METADATA.key is prohibited: SQLITE_AUTH"),
      "sqliteVersion": d1_error("not authorized to use function: sqlite_version at offset 7: SQLITE_ERROR"),
      "vacuum": d1_error("cannot VACUUM from within a transaction: SQLITE_ERROR"),
      "foreignKeysOn": ok(json!([[1]])),
      "stillThere": ok(json!([[1, "taken", "d", null]])),
      "childEmpty": ok(json!(0)),
    }),
  )
  .await;

  // workerd's limits: 100 bound parameters, 100,000 bytes of SQL, 100
  // result columns, 2,200,000 bytes in a string or blob.
  let too_big = d1_error("string or blob too big: SQLITE_TOOBIG");
  check(
    &sides,
    "limits",
    &json!({
      "params100": ok(json!(100)),
      "params101": d1_error("too many SQL variables at offset 207: SQLITE_ERROR"),
      "sql100000": ok(json!(1)),
      "sql100001": d1_error("statement too long: SQLITE_TOOBIG"),
      "columns100": ok(json!(100)),
      "columns101": d1_error("too many columns in result set: SQLITE_ERROR"),
      "string2200000": ok(json!(2200000)),
      "string2200001": too_big,
      "blob2200000": ok(json!(2200000)),
      "blob2200001": too_big,
      "zeroblob2200001": too_big,
    }),
  )
  .await;
}

// ---------------------------------------------------------------------------
// batch() and exec().

/// batch() runs its statements in one transaction: one failing statement
/// and none of them stays; its error is the failing statement's. A
/// statement of blank SQL is dropped (with its result); anything with
/// `statement` and `params` passes for a statement.
#[tokio::test]
async fn batch_is_one_transaction() {
  let sides = sides();
  let unique = d1_error(
    "UNIQUE constraint failed: ba.v: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)",
  );
  let no_table = d1_error("no such table: nope: SQLITE_ERROR");
  let kept = ok(json!([[1, "one!"], [2, "two!"]]));
  check(
    &sides,
    "batch",
    &json!({
      "results": ok(json!([
        result(meta(1, 1, true), json!([])),
        result(meta(1, 2, true), json!([])),
        result(meta(0, 2, false), json!([{ "id": 1, "v": "one" }, { "id": 2, "v": "two" }])),
        result(meta(2, 2, true), json!([])),
        result(meta(0, 2, false), json!([{ "n": 2 }])),
      ])),
      "failing": unique,
      "afterFailing": kept,
      "failingFirst": no_table,
      "failingLast": no_table,
      "failingBind": d1_error(WRONG_COUNT),
      "afterAll": kept,
      // The rolled-back insert of "three" had row id 3.
      "lastRowIdAfterRollback": ok(json!(3)),
      "seesEarlierWrites": ok(json!([[], [], [{ "s": 3 }]])),
      "single": ok(json!([result(meta(0, 2, false), json!([{ "one": 1 }]))])),
      "sameStatementTwice": ok(json!([[{ "v": 1 }], [{ "v": 2 }], [{ "v": 1 }]])),
    }),
  )
  .await;

  check(
    &sides,
    "batch-errors",
    &json!({
      "empty": d1_error(NO_STATEMENTS),
      // The engine's TypeErrors (`statements.map is not a function`, ...).
      "notAnArray": error_named("TypeError"),
      "noArgument": error_named("TypeError"),
      "nullElement": error_named("TypeError"),
      "lookalike": ok(json!([[{ "x": 7 }]])),
      "blankDropped": ok(json!([[{ "a": 1 }], [{ "b": 2 }]])),
      "onlyBlank": d1_error(NO_STATEMENTS),
      "transaction": d1_error(NO_TRANSACTIONS),
    }),
  )
  .await;
}

/// exec() splits its query at "\n" and runs each non-blank line as one
/// statement, all in one transaction; it answers {count, duration}, count
/// being the lines run. A failure names line 1 and quotes the first line,
/// whichever line failed. One prepare() of several statements runs them
/// all and answers the last one's rows.
#[tokio::test]
async fn exec_and_several_statements_at_once() {
  let sides = sides();
  check(
    &sides,
    "exec",
    &json!({
      "one": counted(1),
      "lines": counted(3),
      "sameLine": counted(1),
      "crlf": counted(2),
      "padded": counted(1),
      "select": counted(1),
      "count": ok(json!(7)),
      "failingSecond": exec_error("INSERT INTO ex VALUES (8);", "no such table: nope: SQLITE_ERROR"),
      "failingFirst": exec_error("SELEC 1", "near \"SELEC\": syntax error at offset 0: SQLITE_ERROR"),
      "countAfter": ok(json!(7)),
      "statementOverLines": exec_error("SELECT", "incomplete input: SQLITE_ERROR"),
      "empty": exec_error("", NO_STATEMENTS),
      "blank": exec_error("", NO_STATEMENTS),
      "comment": exec_error("-- a comment", NO_STATEMENT),
      "indentedComment": counted(1),
      "trailingComment": exec_error("SELECT 1; -- a comment", NO_STATEMENT),
      "noArgument": error_named("TypeError"),
      "number": error_named("TypeError"),
      "keys": ok(json!(["count", "duration"])),
      "durationType": ok(json!("number")),
    }),
  )
  .await;

  check(
    &sides,
    "multi-statement",
    &json!({
      "lastRows": ok(json!([{ "b": 2 }])),
      "trailingSemicolon": ok(json!([{ "c": 3 }])),
      "writes": ok(json!({ "changes": 3, "last_row_id": 3, "changed_db": true })),
      "failingSecond": d1_error("no such table: nope: SQLITE_ERROR"),
      "rows": ok(json!([[1], [2], [3]])),
      "trailingComment": d1_error(NO_STATEMENT),
      "bindsSpanStatements": d1_error("When executing multiple SQL statements in a single call, only the last statement can have parameters."),
    }),
  )
  .await;
}

/// dump() fails locally (Miniflare has no /dump); withSession() answers a
/// D1DatabaseSession whose bookmark is null until a query answers one.
#[tokio::test]
async fn dump_and_sessions() {
  let sides = sides();
  check(
    &sides,
    "dump-session",
    &json!({
      "dump": d1_error_with("D1_DUMP_ERROR: Status + 404", "Status 404"),
      "bookmarkBefore": ok(Value::Null),
      "first": ok(json!({ "x": 1 })),
      "bookmarkAfter": ok(json!(["string", true])),
      "batch": ok(json!([[{ "y": 2 }]])),
      "all": ok(json!({ "keys": ["success", "meta", "results"], "success": true, "results": [{ "z": 3 }] })),
      "firstPrimary": ok(Value::Null),
      "firstUnconstrained": ok(Value::Null),
      "blank": ok(Value::Null),
      "givenBookmark": ok(json!(["abc", 4])),
      "notAString": error_named("TypeError"),
    }),
  )
  .await;
}

/// meta.rows_read and meta.rows_written, [read, written], as workerd's
/// patched SQLite counts them: every row a cursor steps to or seeks (a
/// scan of an empty table reads 1), every row inserted, updated or deleted
/// (index entries count too); DELETE without WHERE reads nothing.
///
/// kiln approximates these counters (SQLite's own statement counters:
/// rows returned and changed, and full-scan steps), so where workerd's
/// patched SQLite counts otherwise kiln's own values are asserted.
#[tokio::test]
async fn row_counters_in_meta() {
  let sides = sides();
  check_except(
    &sides,
    "row-counts",
    &json!({
      "selectConstant": ok(json!([0, 0])),
      "create": ok(json!([1, 2])),
      "selectEmpty": ok(json!([1, 0])),
      "insertOne": ok(json!([0, 1])),
      "insertThree": ok(json!([0, 3])),
      "selectAll": ok(json!([4, 0])),
      "selectWhere": ok(json!([4, 0])),
      "count": ok(json!([4, 0])),
      "updateAll": ok(json!([4, 4])),
      "updateOne": ok(json!([4, 1])),
      "deleteOne": ok(json!([4, 1])),
      "deleteAll": ok(json!([0, 3])),
    }),
    &[
      ("/selectConstant/ok", json!([1, 0])),
      ("/create/ok", json!([0, 0])),
      ("/selectEmpty/ok", json!([0, 0])),
      ("/count/ok", json!([1, 0])),
    ],
  )
  .await;
}

// ---------------------------------------------------------------------------
// Persistence.

/// Rows survive a kill -9 and a start on the same --persist-to folder, in
/// the same file under <state>/v3/d1/; a new process starts its
/// last_insert_rowid() at 0, and a new row takes the largest id + 1 (the
/// deleted row 3's id again: no AUTOINCREMENT).
#[tokio::test]
async fn data_survives_a_restart() {
  let mut sides = sides();
  let rows = json!([[1, "kept", [0, 1, 255]], [2, "updated", null]]);
  check(&sides, "persist-write", &rows).await;
  for side in &mut sides {
    side.restart();
  }
  for side in &sides {
    let file = database_file(side, TEST_DATABASE_FILE);
    assert!(
      file.is_file(),
      "{}: the database should be {}",
      side.label(),
      file.display()
    );
  }
  check(
    &sides,
    "persist-read",
    &json!({
      "rows": ok(rows),
      "schema": ok(json!(["table pe"])),
      "lastRowId": ok(json!(0)),
      "nextId": ok(json!(3)),
    }),
  )
  .await;
}

// ---------------------------------------------------------------------------
// Migrations.

/// Runs `wrangler d1 migrations <args> --local --persist-to <state>` in
/// `project` (which has wrangler.toml), non-interactively, within
/// COMMAND_DEADLINE.
fn wrangler_migrations(project: &Path, state: &Path, args: &[&str]) -> Exit {
  let home = TempDir::new("wrangler-home");
  let mut command = Command::new(wrangler_bin());
  command
    .args(["d1", "migrations"])
    .args(args)
    .args(["-c", "wrangler.toml", "--local", "--persist-to"])
    .arg(state)
    .current_dir(project)
    .env("WRANGLER_SEND_METRICS", "false")
    .env("WRANGLER_SEND_ERROR_REPORTS", "false")
    .env("XDG_CONFIG_HOME", home.path())
    .env("WRANGLER_LOG_PATH", home.path().join("logs"))
    .env("WRANGLER_REGISTRY_PATH", home.path().join("registry"))
    .env("NO_COLOR", "1")
    .env("FORCE_COLOR", "0")
    .process_group(0);
  run_or_kill_group(&mut command, &format!("wrangler d1 migrations {args:?}"))
}

/// Runs `kiln d1 migrations <args> -c <config> --persist-to <state>` in
/// the target's folder.
fn kiln_migrations(target: &Target, state: &Path, args: &[&str]) -> Exit {
  let mut command = Command::new(kiln_bin());
  command
    .args(["d1", "migrations"])
    .args(args)
    .args(["-c", &target.config, "--persist-to"])
    .arg(state)
    .current_dir(&target.dir)
    .env("RUST_BACKTRACE", "0")
    .process_group(0);
  run_or_kill_group(&mut command, &format!("kiln d1 migrations {args:?}"))
}

/// Runs `command` (in a process group of its own) to its end within
/// COMMAND_DEADLINE; past that its whole group is killed.
fn run_or_kill_group(command: &mut Command, what: &str) -> Exit {
  match run_with_deadline(command, COMMAND_DEADLINE) {
    Ok(exit) => exit,
    Err(overdue) => {
      let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", overdue.pid)])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
      panic!("{what}: {overdue}");
    }
  }
}

fn printed(exit: &Exit) -> String {
  format!("{}{}", exit.stdout, exit.stderr)
}

/// Asserts that a command exited with `code` (None: any failure) and
/// printed every one of `needles`.
fn assert_exit(what: &str, exit: &Exit, code: Option<i32>, needles: &[&str]) {
  let out = printed(exit);
  match code {
    Some(code) => assert_eq!(
      exit.code,
      Some(code),
      "{what} exit code; it printed:\n{out}"
    ),
    None => assert!(
      exit.code.is_some_and(|c| c != 0),
      "{what} should fail; it exited with {:?} and printed:\n{out}",
      exit.code
    ),
  }
  for needle in needles {
    assert!(
      out.contains(needle),
      "{what} should print {needle:?}; it printed:\n{out}"
    );
  }
}

/// Copies the folder `from` into `to`, recursively (but not a `.wrangler`
/// left by a manual run).
fn copy_tree(from: &Path, to: &Path) {
  std::fs::create_dir_all(to).expect("create the copy");
  for entry in std::fs::read_dir(from)
    .expect("read the folder")
    .map_while(Result::ok)
  {
    let path = entry.path();
    if entry.file_name() == ".wrangler" {
      continue;
    }
    if path.is_dir() {
      copy_tree(&path, &to.join(entry.file_name()));
    } else {
      std::fs::copy(&path, to.join(entry.file_name()))
        .unwrap_or_else(|e| panic!("copy {}: {e}", path.display()));
    }
  }
}

/// A project folder with the test worker's worker.js and the given files
/// (path relative to the folder, contents).
fn project(tag: &str, files: &[(&str, &str)]) -> TempDir {
  let dir = TempDir::new(tag);
  std::fs::copy(
    workers_dir().join("d1/worker.js"),
    dir.path().join("worker.js"),
  )
  .expect("copy worker.js");
  for (path, contents) in files {
    let path = dir.path().join(path);
    std::fs::create_dir_all(path.parent().unwrap()).expect("create the file's folder");
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
  }
  dir
}

fn read_migration(name: &str) -> String {
  std::fs::read_to_string(workers_dir().join("d1/migrations").join(name))
    .unwrap_or_else(|e| panic!("read migration {name}: {e}"))
}

/// The standard worker's configuration, with `extra` added to its
/// `[[d1_databases]]`.
fn config_with(extra: &str) -> String {
  format!(
    "name = \"d1-worker\"\nmain = \"worker.js\"\ncompatibility_date = \"2026-05-01\"\n\n\
     [[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"test-db\"\n{extra}"
  )
}

/// `migrations list`, `apply`, `apply` again and `list` again on a fresh
/// state: both migrations of tests/workers/d1/migrations/ are applied in
/// order, each with its row in d1_migrations (id, name, applied_at), and a
/// second run has nothing to do. Each file runs as one batch with its
/// tracking row, split into statements by wrangler's splitter (which
/// keeps a `;` inside a string and a trigger's BEGIN ... END together, and
/// drops comments).
#[tokio::test]
async fn migrations_apply_and_list() {
  let copy = TempDir::new("d1-migrations-wrangler-project");
  copy_tree(&workers_dir().join("d1"), copy.path());
  let names = ["0001_create_users.sql", "0002_add_posts.sql"];
  let mut sides = Vec::new();
  for kind in kinds() {
    let state = TempDir::new(&format!("d1-migrations-{}", kind.label()));
    let run = |args: &[&str]| match kind {
      Kind::Wrangler => wrangler_migrations(copy.path(), state.path(), args),
      Kind::Kiln => kiln_migrations(&standard(), state.path(), args),
    };
    let listed = run(&["list", "DB"]);
    let applied = run(&["apply", "DB"]);
    let again = run(&["apply", "DB"]);
    let listed_again = run(&["list", "DB"]);
    match kind {
      Kind::Wrangler => {
        assert_exit(
          "wrangler list",
          &listed,
          Some(0),
          &["Migrations to be applied:", names[0], names[1]],
        );
        assert_exit(
          "wrangler apply",
          &applied,
          Some(0),
          &[
            "Migrations to be applied:",
            "About to apply 2 migration(s)",
            "🚣 3 commands executed successfully.",
            "🚣 6 commands executed successfully.",
            names[0],
            names[1],
            "✅",
          ],
        );
        assert_exit(
          "wrangler apply again",
          &again,
          Some(0),
          &["✅ No migrations to apply!"],
        );
        assert_exit(
          "wrangler list again",
          &listed_again,
          Some(0),
          &["✅ No migrations to apply!"],
        );
      }
      Kind::Kiln => {
        assert_exit("kiln list", &listed, Some(0), &names);
        assert_exit("kiln apply", &applied, Some(0), &names);
        assert_exit(
          "kiln apply again",
          &again,
          Some(0),
          &["No migrations to apply"],
        );
        assert_exit(
          "kiln list again",
          &listed_again,
          Some(0),
          &["No migrations to apply"],
        );
      }
    }
    sides.push(Side::start_on(kind, standard(), state));
  }
  check(
    &sides,
    "tables",
    &json!({
      "schema": ok(json!([
        "trigger count_posts",
        "table d1_migrations",
        "table post_count",
        "table posts",
        "table users",
      ])),
      "applied": ok(json!([[1, names[0]], [2, names[1]]])),
      "appliedAt": ok(json!([true, true])),
      "columns": ok(json!([
        ["id", "INTEGER", 0, null, 1],
        ["name", "TEXT", 0, null, 0],
        ["applied_at", "TIMESTAMP", 1, "CURRENT_TIMESTAMP", 0],
      ])),
    }),
  )
  .await;
  check(
    &sides,
    "migrated",
    &json!({
      "users": ok(json!([[1, "ada", "a;b"], [2, "grace", "a;b"]])),
      "posts": ok(json!([[1, 1, "hello"]])),
      "postCount": ok(json!(1)),
      "triggerFires": ok(json!(2)),
      // The comment after `'a;b'` is gone, the space before it stays.
      "usersSql": ok(json!("CREATE TABLE users (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n  name TEXT NOT NULL UNIQUE,\n  note TEXT DEFAULT 'a;b' \n)")),
      "triggerSql": ok(json!("CREATE TRIGGER count_posts AFTER INSERT ON posts BEGIN\n  UPDATE post_count SET n = n + 1;\nEND")),
      "autoincrement": ok(json!([["d1_migrations", 2], ["users", 2]])),
    }),
  )
  .await;
}

/// A migration that fails stops the run with exit code 1: its own
/// statements are rolled back (it is one batch with its tracking row), the
/// ones before it stay applied, the ones after it are not tried.
#[tokio::test]
async fn a_failing_migration_stops_and_rolls_back() {
  let first = read_migration("0001_create_users.sql");
  let bad = "CREATE TABLE tags (x);\nINSERT INTO tags VALUES (1);\nINSERT INTO nope VALUES (1);\n";
  let dir = project(
    "d1-failing-migration",
    &[
      (
        "wrangler.toml",
        &config_with("database_id = \"test-database\"\n"),
      ),
      ("migrations/0001_create_users.sql", &first),
      ("migrations/0002_bad.sql", bad),
      ("migrations/0003_later.sql", "CREATE TABLE later (x);\n"),
    ],
  );
  let target = Target::project(dir.path());
  let mut sides = Vec::new();
  for kind in kinds() {
    let state = TempDir::new(&format!("d1-failing-{}", kind.label()));
    match kind {
      Kind::Wrangler => {
        let exit = wrangler_migrations(dir.path(), state.path(), &["apply", "DB"]);
        assert_exit(
          "wrangler apply",
          &exit,
          Some(1),
          &[
            "0001_create_users.sql",
            "❌",
            "Migration 0002_bad.sql failed with the following errors:",
            "no such table: nope: SQLITE_ERROR",
          ],
        );
      }
      Kind::Kiln => {
        let exit = kiln_migrations(&target, state.path(), &["apply", "DB"]);
        assert_exit(
          "kiln apply",
          &exit,
          None,
          &["0002_bad.sql", "no such table: nope"],
        );
      }
    }
    sides.push(Side::start_on(kind, target.clone(), state));
  }
  check(
    &sides,
    "tables",
    &json!({
      "schema": ok(json!(["table d1_migrations", "table users"])),
      "applied": ok(json!([[1, "0001_create_users.sql"]])),
      "appliedAt": ok(json!([true])),
      "columns": ok(json!([
        ["id", "INTEGER", 0, null, 1],
        ["name", "TEXT", 0, null, 0],
        ["applied_at", "TIMESTAMP", 1, "CURRENT_TIMESTAMP", 0],
      ])),
    }),
  )
  .await;
}

/// `migrations_dir` and `migrations_table` move the files and the tracking
/// table; files are taken in the order of the number before their first
/// "_" (9_b before 10_a before 0011_c), only `.sql` files; the database
/// can be named by its database_name; a name the configuration lacks is
/// refused.
#[tokio::test]
async fn migrations_dir_and_table_settings() {
  let dir = project(
    "d1-migration-settings",
    &[
      (
        "wrangler.toml",
        &config_with(
          "database_id = \"other-db\"\nmigrations_dir = \"db/migs\"\nmigrations_table = \"my_migrations\"\n",
        ),
      ),
      ("db/migs/10_a.sql", "CREATE TABLE a (x);\n"),
      ("db/migs/9_b.sql", "CREATE TABLE b (x);\n"),
      ("db/migs/0011_c.sql", "CREATE TABLE c (x);\n"),
      ("db/migs/notes.txt", "not a migration\n"),
      // The default folder, which the setting replaces.
      ("migrations/0001_unused.sql", "CREATE TABLE unused (x);\n"),
    ],
  );
  let target = Target::project(dir.path());
  let mut sides = Vec::new();
  for kind in kinds() {
    let state = TempDir::new(&format!("d1-settings-{}", kind.label()));
    let run = |args: &[&str]| match kind {
      Kind::Wrangler => wrangler_migrations(dir.path(), state.path(), args),
      Kind::Kiln => kiln_migrations(&target, state.path(), args),
    };
    let unknown = run(&["apply", "NOPE"]);
    let applied = run(&["apply", "test-db"]);
    match kind {
      Kind::Wrangler => {
        assert_exit(
          "wrangler apply NOPE",
          &unknown,
          Some(1),
          &["Couldn't find a D1 DB with the name or binding 'NOPE' in your wrangler.toml file."],
        );
        assert_exit(
          "wrangler apply",
          &applied,
          Some(0),
          &["9_b.sql", "10_a.sql", "0011_c.sql"],
        );
        assert!(!printed(&applied).contains("notes.txt"));
      }
      Kind::Kiln => {
        assert_exit("kiln apply NOPE", &unknown, None, &["NOPE"]);
        assert_exit(
          "kiln apply",
          &applied,
          Some(0),
          &["9_b.sql", "10_a.sql", "0011_c.sql"],
        );
      }
    }
    let side = Side::start_on(kind, target.clone(), state);
    let file = database_file(&side, OTHER_DB_FILE);
    assert!(
      file.is_file(),
      "{}: the database should be {}",
      side.label(),
      file.display()
    );
    sides.push(side);
  }
  check(
    &sides,
    "tables?table=my_migrations",
    &json!({
      "schema": ok(json!(["table a", "table b", "table c", "table my_migrations"])),
      "applied": ok(json!([[1, "9_b.sql"], [2, "10_a.sql"], [3, "0011_c.sql"]])),
      "appliedAt": ok(json!([true, true, true])),
      "columns": ok(json!([
        ["id", "INTEGER", 0, null, 1],
        ["name", "TEXT", 0, null, 0],
        ["applied_at", "TIMESTAMP", 1, "CURRENT_TIMESTAMP", 0],
      ])),
    }),
  )
  .await;
}

/// kiln opens the file wrangler's migrations wrote (the same file, the
/// same format). kiln only.
#[tokio::test]
async fn kiln_reads_what_wrangler_migrated() {
  if reference_only() {
    return;
  }
  let copy = TempDir::new("d1-cross-project");
  copy_tree(&workers_dir().join("d1"), copy.path());
  let state = TempDir::new("d1-cross-state");
  let exit = wrangler_migrations(copy.path(), state.path(), &["apply", "DB"]);
  assert_exit("wrangler apply", &exit, Some(0), &["0002_add_posts.sql"]);
  let kiln = Side::start_on(Kind::Kiln, standard(), state);
  let got = kiln.json("/scenario/migrated").await;
  assert_json(
    "kiln on a database wrangler migrated",
    &json!({
      "users": ok(json!([[1, "ada", "a;b"], [2, "grace", "a;b"]])),
      "posts": ok(json!([[1, 1, "hello"]])),
      "postCount": ok(json!(1)),
      "triggerFires": ok(json!(2)),
      "usersSql": ok(json!("CREATE TABLE users (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n  name TEXT NOT NULL UNIQUE,\n  note TEXT DEFAULT 'a;b' \n)")),
      "triggerSql": ok(json!("CREATE TRIGGER count_posts AFTER INSERT ON posts BEGIN\n  UPDATE post_count SET n = n + 1;\nEND")),
      "autoincrement": ok(json!([["d1_migrations", 2], ["users", 2]])),
    }),
    &got,
  );
}

// ---------------------------------------------------------------------------
// Configuration.

/// Configurations wrangler dev refuses (exit code 1), with the line it
/// prints; kiln must refuse them too, printing the same words.
#[test]
fn config_errors() {
  let header = "name = \"d1-worker\"\nmain = \"worker.js\"\ncompatibility_date = \"2026-05-01\"\n";
  let cases: [(&str, String, &str); 4] = [
    (
      "no-binding.toml",
      format!("{header}\n[[d1_databases]]\ndatabase_name = \"test-db\"\ndatabase_id = \"test-database\"\n"),
      "\"d1_databases[0]\" bindings should have a string \"binding\" field but got {\"database_name\":\"test-db\",\"database_id\":\"test-database\"}.",
    ),
    (
      "number-id.toml",
      format!("{header}d1_databases = [{{ binding = \"DB\", database_id = 5 }}]\n"),
      "\"d1_databases[0]\" bindings must have a \"database_id\" field but got {\"binding\":\"DB\",\"database_id\":5}.",
    ),
    (
      "not-array.toml",
      format!("{header}d1_databases = {{ binding = \"DB\", database_id = \"x\" }}\n"),
      "The field \"d1_databases\" should be an array but got {\"binding\":\"DB\",\"database_id\":\"x\"}.",
    ),
    (
      "duplicate.toml",
      format!(
        "{header}d1_databases = [{{ binding = \"DB\", database_id = \"x\" }}, {{ binding = \"DB\", database_id = \"y\" }}]\n"
      ),
      "DB assigned to multiple D1 Database bindings.",
    ),
  ];
  let files: Vec<(&str, &str)> = cases.iter().map(|(f, c, _)| (*f, c.as_str())).collect();
  let dir = project("d1-bad-config", &files);
  let mut failures = Vec::new();
  for (file, _, needle) in &cases {
    let (code, out) = wrangler::refuses(file, dir.path());
    if code != Some(1) || !out.contains(needle) {
      failures.push(format!(
        "wrangler, {file}: exit {code:?}, {needle:?} expected in:\n{out}"
      ));
    }
    if reference_only() {
      continue;
    }
    let mut command = Command::new(kiln_bin());
    command
      .args(["dev", "-c", file, "--port", "0", "--no-persist"])
      .current_dir(dir.path())
      .env("RUST_BACKTRACE", "0");
    match run_with_deadline(&mut command, Duration::from_secs(15)) {
      Ok(exit) => {
        let out = printed(&exit);
        if exit.code == Some(0) || exit.code.is_none() {
          failures.push(format!(
            "kiln dev -c {file} should fail; it exited with {:?}:\n{out}",
            exit.code
          ));
        } else if !out.contains(needle) {
          failures.push(format!("kiln, {file}: {needle:?} missing from:\n{out}"));
        }
      }
      Err(overdue) => failures.push(format!("kiln dev -c {file} should fail at once: {overdue}")),
    }
  }
  assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A binding without a database_id is a database all the same, its id
/// being the binding's name; preview_database_id, when given, is the one
/// wrangler dev uses.
#[tokio::test]
async fn database_ids_and_preview_ids() {
  let cases = [
    ("binding only", "d1_databases = [{ binding = \"DB\" }]\n", BINDING_NAME_FILE),
    (
      "preview id",
      "d1_databases = [{ binding = \"DB\", database_id = \"test-database\", preview_database_id = \"preview-db\" }]\n",
      PREVIEW_DB_FILE,
    ),
  ];
  for (what, d1, file) in cases {
    let config = format!(
      "name = \"d1-worker\"\nmain = \"worker.js\"\ncompatibility_date = \"2026-05-01\"\n{d1}"
    );
    let dir = project("d1-ids", &[("wrangler.toml", &config)]);
    let target = Target::project(dir.path());
    let sides: Vec<Side> = kinds()
      .into_iter()
      .map(|kind| {
        Side::start_on(
          kind,
          target.clone(),
          TempDir::new(&format!("d1-ids-{}", kind.label())),
        )
      })
      .collect();
    check(&sides, "touch", &counted(1)).await;
    for side in &sides {
      let path = database_file(side, file);
      assert!(
        path.is_file(),
        "{}, {what}: the database should be {}",
        side.label(),
        path.display()
      );
      assert!(
        !database_file(side, TEST_DATABASE_FILE).exists(),
        "{}, {what}: nothing should be in the database_id's file",
        side.label()
      );
    }
  }
}

/// d1_databases is not inherited by an `[env.X]`: wrangler warns, and the
/// worker has no DB there.
#[tokio::test]
async fn d1_databases_is_not_inherited_by_environments() {
  let config = format!(
    "{}database_id = \"test-database\"\n\n[env.staging]\nname = \"d1-staging\"\n",
    config_with("")
  );
  let dir = project("d1-env", &[("wrangler.toml", &config)]);
  let warning = "\"d1_databases\" exists at the top level, but not on \"env.staging\".";
  let why =
    "This is not what you probably want, since \"d1_databases\" is not inherited by environments.";
  let fix = "Please add \"d1_databases\" to \"env.staging\".";
  let want = json!({ "envKeys": [], "db": "undefined" });

  let state = TempDir::new("d1-env-wrangler");
  let dev = Wrangler::start_with(
    &dir.path().join("wrangler.toml"),
    state.path(),
    &["--env", "staging"],
  );
  let reply = send(dev.addr, "GET", "/scenario/env", &[], Default::default()).await;
  assert_eq!(
    reply.status,
    200,
    "wrangler: {}\n{}",
    reply.text(),
    last_lines(&dev.output())
  );
  assert_json(
    "wrangler (the reference) on /scenario/env",
    &want,
    &reply.json(),
  );
  let out = last_lines(&dev.output());
  for needle in [warning, why, fix] {
    assert!(
      out.contains(needle),
      "wrangler should warn {needle:?}; it printed:\n{out}"
    );
  }
  drop(dev);

  if reference_only() {
    return;
  }
  let state = TempDir::new("d1-env-kiln");
  let state_arg = state.path().to_string_lossy().into_owned();
  let kiln = Kiln::start_in(
    dir.path(),
    &[
      "-c",
      "wrangler.toml",
      "--env",
      "staging",
      "--persist-to",
      &state_arg,
    ],
  );
  let reply = send(kiln.addr, "GET", "/scenario/env", &[], Default::default()).await;
  assert_eq!(
    reply.status,
    200,
    "kiln: {}\n{}",
    reply.text(),
    kiln.output()
  );
  assert_json("kiln on /scenario/env", &want, &reply.json());
  let out = kiln.output();
  for needle in [warning, why, fix] {
    assert!(
      out.contains(needle),
      "kiln should warn {needle:?}; it printed:\n{out}"
    );
  }
}
