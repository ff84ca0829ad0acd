//! What application SQL may do, decided the way workerd's SQLite authorizer decides it.
//!
//! SQLite asks the authorizer about every table, column, pragma and function a statement touches
//! while the statement is compiled, which is the only point where all of that is known. kiln's own
//! statements (the KV table, alarms, transactions) run in trusted mode and are only held to the
//! "main database only" rule.

use std::sync::{Arc, Mutex};

use rusqlite::ffi;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};

/// Thrown instead of "not authorized" for BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE.
pub const TRANSACTION_STATEMENT_MESSAGE: &str = "To execute a transaction, please use the \
  state.storage.transaction() or state.storage.transactionSync() APIs instead of the SQL BEGIN \
  TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it will automatically \
  roll back on exceptions, and because it interacts correctly with Durable Objects' automatic \
  atomic write coalescing.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
  /// kiln's own statements.
  Trusted,
  /// `sql.exec()` from the application.
  User,
}

#[derive(Debug)]
pub(crate) struct AuthState {
  pub mode: Mode,
  /// A better message than SQLite's "not authorized", recorded while a statement was denied.
  pub denial: Option<String>,
  /// Set when an application `ALTER TABLE` was authorized: SQLite does not tell the authorizer
  /// the target of `RENAME TO`, so the statement text is checked after compiling.
  pub saw_alter_table: bool,
}

pub(crate) type SharedAuth = Arc<Mutex<AuthState>>;

pub(crate) fn new_shared() -> SharedAuth {
  Arc::new(Mutex::new(AuthState {
    mode: Mode::Trusted,
    denial: None,
    saw_alter_table: false,
  }))
}

pub(crate) fn install(
  conn: &mut rusqlite::Connection,
  shared: &SharedAuth,
) -> rusqlite::Result<()> {
  let shared = Arc::clone(shared);
  conn.authorizer(Some(move |ctx: AuthContext<'_>| {
    let mut state = shared
      .lock()
      .unwrap_or_else(|poisoned| poisoned.into_inner());
    if authorize(&mut state, &ctx) {
      Authorization::Allow
    } else {
      Authorization::Deny
    }
  }))
}

/// Reserved names start with `_cf_` in any letter case.
pub(crate) fn is_allowed_name(name: &str) -> bool {
  let bytes = name.as_bytes();
  bytes.len() < 4 || !bytes[..4].eq_ignore_ascii_case(b"_cf_")
}

fn authorize(state: &mut AuthState, ctx: &AuthContext<'_>) -> bool {
  // SQLite passes the schema of ALTER TABLE and DETACH in the first argument rather than the
  // database-name argument; treat it as the database name like every other action.
  let db_name = match ctx.action {
    AuthAction::AlterTable { database_name, .. } => Some(database_name),
    AuthAction::Detach { database_name } => Some(database_name),
    _ => ctx.database_name,
  };
  match db_name {
    Some("temp") => return authorize_temp(&ctx.action),
    // Only one file per object is tracked, so other schemas (ATTACHed databases) are refused.
    Some(name) if name != "main" => return false,
    _ => {}
  }

  if state.mode == Mode::Trusted {
    return true;
  }

  match ctx.action {
    AuthAction::Select | AuthAction::Recursive => true,
    AuthAction::CreateTable { table_name: name }
    | AuthAction::Delete { table_name: name }
    | AuthAction::DropTable { table_name: name }
    | AuthAction::Insert { table_name: name }
    | AuthAction::CreateView { view_name: name }
    | AuthAction::DropView { view_name: name }
    | AuthAction::Reindex { index_name: name }
    | AuthAction::Read {
      table_name: name, ..
    }
    | AuthAction::Update {
      table_name: name, ..
    } => is_allowed_name(name),
    // `PRAGMA optimize` runs a bare ANALYZE over every table, reserved ones included; the
    // statistics it records hold no row data.
    AuthAction::Analyze { .. } => true,
    AuthAction::AlterTable { table_name, .. } => {
      if !is_allowed_name(table_name) {
        return false;
      }
      state.saw_alter_table = true;
      true
    }
    AuthAction::CreateIndex {
      index_name: a,
      table_name: b,
    }
    | AuthAction::DropIndex {
      index_name: a,
      table_name: b,
    }
    | AuthAction::CreateTrigger {
      trigger_name: a,
      table_name: b,
    }
    | AuthAction::DropTrigger {
      trigger_name: a,
      table_name: b,
    } => is_allowed_name(a) && is_allowed_name(b),
    AuthAction::Transaction { .. } | AuthAction::Savepoint { .. } => {
      state.denial = Some(TRANSACTION_STATEMENT_MESSAGE.to_string());
      false
    }
    AuthAction::Pragma {
      pragma_name,
      pragma_value,
    } => pragma_allowed(pragma_name, pragma_value),
    // SQL function names are case-insensitive (`UPPER`, `CURRENT_TIMESTAMP`).
    AuthAction::Function { function_name } => ALLOWED_FUNCTIONS
      .iter()
      .any(|allowed| allowed.eq_ignore_ascii_case(function_name)),
    AuthAction::CreateVtable {
      table_name,
      module_name,
    }
    | AuthAction::DropVtable {
      table_name,
      module_name,
    } => {
      const MODULES: [&str; 4] = ["fts5", "fts5vocab", "rtree", "rtree_i32"];
      MODULES.iter().any(|m| m.eq_ignore_ascii_case(module_name)) && is_allowed_name(table_name)
    }
    AuthAction::Unknown { code, .. } => code == ffi::SQLITE_ANALYZE || code == ffi::SQLITE_SELECT,
    // ATTACH/DETACH, everything TEMP, and any action this list does not know.
    _ => false,
  }
}

fn authorize_temp(action: &AuthAction<'_>) -> bool {
  match action {
    AuthAction::Read { table_name, .. } | AuthAction::Update { table_name, .. } => {
      is_allowed_name(table_name)
    }
    _ => false,
  }
}

fn pragma_allowed(name: &str, value: Option<&str>) -> bool {
  // workerd compares pragma names as written, so `PRAGMA FOREIGN_KEYS` is refused.
  match name {
    "table_list" => true,
    "table_info" | "table_xinfo" => value.is_some_and(is_allowed_name),
    "data_version" | "page_size" => value.is_none(),
    "case_sensitive_like"
    | "foreign_keys"
    | "defer_foreign_keys"
    | "ignore_check_constraints"
    | "legacy_alter_table"
    | "recursive_triggers"
    | "reverse_unordered_selects" => value.is_none_or(is_boolean_word),
    "foreign_key_check" => value.is_none_or(is_allowed_name),
    "foreign_key_list" | "index_info" | "index_list" | "index_xinfo" => {
      value.is_some_and(is_allowed_name)
    }
    "quick_check" => value.is_none_or(|v| parses_as_integer(v, false) || is_allowed_name(v)),
    "optimize" => value.is_none_or(|v| parses_as_integer(v, true)),
    _ => false,
  }
}

/// Whether `value` is a whole 32-bit integer the way workerd parses one (`strtoll` after optional
/// whitespace, hexadecimal with a `0x` prefix, nothing left over); `signed` picks i32 or u32.
fn parses_as_integer(value: &str, signed: bool) -> bool {
  let trimmed = value.trim_start_matches(|c: char| c.is_ascii_whitespace());
  let (negative, unsigned_part) = match trimmed.as_bytes().first() {
    Some(b'-') => (true, &trimmed[1..]),
    Some(b'+') => (false, &trimmed[1..]),
    _ => (false, trimmed),
  };
  if negative && !signed {
    return false;
  }
  let hex_body = value
    .strip_prefix('-')
    .unwrap_or(value)
    .strip_prefix("0x")
    .or_else(|| value.strip_prefix('-').unwrap_or(value).strip_prefix("0X"));
  let parsed = match hex_body {
    Some(digits) => i64::from_str_radix(digits, 16).ok(),
    None if unsigned_part.bytes().all(|c| c.is_ascii_digit()) => unsigned_part.parse::<i64>().ok(),
    None => None,
  };
  let Some(magnitude) = parsed.filter(|_| !unsigned_part.is_empty()) else {
    return false;
  };
  let number = if negative { -magnitude } else { magnitude };
  if signed {
    i32::try_from(number).is_ok()
  } else {
    u32::try_from(number).is_ok()
  }
}

/// workerd accepts any value that *starts* with one of SQLite's boolean spellings (it compares
/// only as many characters as the spelling has), optionally quoted.
fn is_boolean_word(value: &str) -> bool {
  let mut v = value.as_bytes();
  if v.len() >= 2 && (v[0] == b'\'' || v[0] == b'"') && v[v.len() - 1] == v[0] {
    v = &v[1..v.len() - 1];
  }
  ["true", "false", "yes", "no", "on", "off", "1", "0"]
    .iter()
    .any(|word| v.len() >= word.len() && v[..word.len()].eq_ignore_ascii_case(word.as_bytes()))
}

/// The functions application SQL may call; anything else (notably `sqlite_version`,
/// `sqlite_source_id`, `sqlite_offset` and `sqlite_compileoption_*`) is refused with
/// "not authorized to use function: <f>".
#[rustfmt::skip]
const ALLOWED_FUNCTIONS: &[&str] = &[
  // Core.
  "abs", "changes", "char", "coalesce", "concat", "concat_ws", "format", "glob", "hex", "ifnull",
  "iif", "instr", "last_insert_rowid", "length", "like", "likelihood", "likely", "load_extension",
  "lower", "ltrim", "max_scalar", "min_scalar", "nullif", "octet_length", "printf", "quote",
  "random", "randomblob", "replace", "round", "rtrim", "sign", "soundex", "substr", "substring",
  "total_changes", "trim", "typeof", "unhex", "unicode", "unlikely", "upper", "zeroblob",
  // Date and time.
  "date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff", "current_date",
  "current_time", "current_timestamp",
  // Aggregates.
  "avg", "count", "group_concat", "max", "min", "string_agg", "sum", "total",
  // Window functions.
  "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
  "first_value", "last_value", "nth_value",
  // Math.
  "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "cos", "cosh", "degrees",
  "exp", "floor", "ln", "log", "log2", "mod", "pi", "pow", "radians", "sin", "sinh", "sqrt", "tan",
  "tanh", "trunc",
  // JSON.
  "json", "jsonb", "json_array", "jsonb_array", "json_array_length", "json_extract",
  "jsonb_extract", "->", "->>", "json_insert", "jsonb_insert", "json_object", "jsonb_object",
  "json_patch", "jsonb_patch", "json_remove", "jsonb_remove", "json_replace", "jsonb_replace",
  "json_set", "jsonb_set", "json_type", "json_valid", "json_quote", "json_group_array",
  "jsonb_group_array", "json_group_object", "jsonb_group_object", "json_each", "json_tree",
  // FTS5 and R*Tree.
  "match", "highlight", "bm25", "snippet", "rtreecheck",
  // Used internally by ALTER TABLE.
  "sqlite_rename_column", "sqlite_rename_table", "sqlite_rename_test", "sqlite_drop_column",
  "sqlite_rename_quotefix",
];

/// For `ALTER TABLE [schema.]t RENAME TO n`, the new name `n`; `None` for any other statement.
pub(crate) fn rename_target(sql: &[u8]) -> Option<String> {
  let mut tokens = Tokens { sql, pos: 0 };
  if !tokens.next()?.is_keyword("ALTER") || !tokens.next()?.is_keyword("TABLE") {
    return None;
  }
  tokens.next()?;
  let mut token = tokens.next()?;
  if token.text == b"." {
    tokens.next()?;
    token = tokens.next()?;
  }
  if !token.is_keyword("RENAME") || !tokens.next()?.is_keyword("TO") {
    return None;
  }
  Some(tokens.next()?.name())
}

struct Token<'a> {
  text: &'a [u8],
}

impl Token<'_> {
  fn is_keyword(&self, word: &str) -> bool {
    self.text.eq_ignore_ascii_case(word.as_bytes())
  }

  /// The identifier with SQLite's quoting removed.
  fn name(&self) -> String {
    let t = self.text;
    let (close, inner) = match t.first() {
      Some(b'"') => (b'"', &t[1..t.len().saturating_sub(1).max(1)]),
      Some(b'\'') => (b'\'', &t[1..t.len().saturating_sub(1).max(1)]),
      Some(b'`') => (b'`', &t[1..t.len().saturating_sub(1).max(1)]),
      Some(b'[') => return String::from_utf8_lossy(&t[1..t.len().saturating_sub(1).max(1)]).into(),
      _ => return String::from_utf8_lossy(t).into(),
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
      out.push(inner[i]);
      // A doubled quote inside a quoted name stands for one quote.
      if inner[i] == close && inner.get(i + 1) == Some(&close) {
        i += 1;
      }
      i += 1;
    }
    String::from_utf8_lossy(&out).into()
  }
}

/// Just enough of SQLite's tokenizer to walk an ALTER TABLE statement: whitespace and comments
/// are skipped, quoted names are kept whole, and punctuation comes out one byte at a time.
struct Tokens<'a> {
  sql: &'a [u8],
  pos: usize,
}

impl<'a> Tokens<'a> {
  fn next(&mut self) -> Option<Token<'a>> {
    let s = self.sql;
    loop {
      while self.pos < s.len() && s[self.pos].is_ascii_whitespace() {
        self.pos += 1;
      }
      if s[self.pos..].starts_with(b"--") {
        while self.pos < s.len() && s[self.pos] != b'\n' {
          self.pos += 1;
        }
      } else if s[self.pos..].starts_with(b"/*") {
        match s[self.pos + 2..].windows(2).position(|w| w == b"*/") {
          Some(end) => self.pos += 2 + end + 2,
          None => self.pos = s.len(),
        }
      } else {
        break;
      }
    }
    let start = self.pos;
    let first = *s.get(start)?;
    let end = match first {
      b'"' | b'\'' | b'`' => {
        let mut i = start + 1;
        loop {
          match s.get(i) {
            None => break s.len(),
            Some(&c) if c == first => {
              if s.get(i + 1) == Some(&first) {
                i += 2;
              } else {
                break i + 1;
              }
            }
            Some(_) => i += 1,
          }
        }
      }
      b'[' => s[start..]
        .iter()
        .position(|&c| c == b']')
        .map_or(s.len(), |p| start + p + 1),
      c if is_ident_byte(c) => {
        start
          + s[start..]
            .iter()
            .position(|&c| !is_ident_byte(c))
            .unwrap_or(s.len() - start)
      }
      _ => start + 1,
    };
    self.pos = end;
    Some(Token {
      text: &s[start..end],
    })
  }
}

fn is_ident_byte(c: u8) -> bool {
  c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn reserved_names_are_case_insensitive() {
    assert!(!is_allowed_name("_cf_KV"));
    assert!(!is_allowed_name("_CF_kv"));
    assert!(!is_allowed_name("_cf_"));
    assert!(is_allowed_name("_cf"));
    assert!(is_allowed_name("cf_KV"));
    assert!(is_allowed_name("x_cf_KV"));
  }

  #[test]
  fn boolean_pragma_values() {
    for ok in [
      "on", "OFF", "'yes'", "\"No\"", "1", "0", "true", "False", "trueish", "10",
    ] {
      assert!(is_boolean_word(ok), "{ok}");
    }
    for bad in ["", "2", "maybe", "'on", "-1", "enable"] {
      assert!(!is_boolean_word(bad), "{bad}");
    }
  }

  #[test]
  fn pragma_argument_rules() {
    assert!(pragma_allowed("table_list", None));
    assert!(pragma_allowed("table_info", Some("t")));
    assert!(!pragma_allowed("table_info", Some("_cf_KV")));
    assert!(!pragma_allowed("table_info", None));
    assert!(pragma_allowed("page_size", None));
    assert!(!pragma_allowed("page_size", Some("4096")));
    assert!(!pragma_allowed("data_version", Some("1")));
    assert!(pragma_allowed("foreign_keys", Some("off")));
    assert!(!pragma_allowed("foreign_keys", Some("maybe")));
    assert!(!pragma_allowed("FOREIGN_KEYS", None));
    assert!(pragma_allowed("foreign_key_check", None));
    assert!(!pragma_allowed("foreign_key_check", Some("_cf_KV")));
    assert!(!pragma_allowed("index_list", None));
    assert!(pragma_allowed("quick_check", Some("5")));
    assert!(pragma_allowed("quick_check", Some("t")));
    assert!(!pragma_allowed("quick_check", Some("_cf_KV")));
    assert!(pragma_allowed("optimize", Some("-1")));
    assert!(pragma_allowed("optimize", Some("0x10002")));
    assert!(!pragma_allowed("optimize", Some("0x1ffffffff")));
    assert!(!pragma_allowed("optimize", Some("")));
    // Not a count, but it could be an object's name.
    assert!(pragma_allowed("quick_check", Some("-1")));
    assert!(!pragma_allowed("optimize", Some("t")));
    assert!(!pragma_allowed("journal_mode", None));
    assert!(!pragma_allowed("max_page_count", Some("1")));
  }

  #[test]
  fn rename_target_reads_the_new_name() {
    assert_eq!(
      rename_target(b"ALTER TABLE t RENAME TO _cf_x"),
      Some("_cf_x".into())
    );
    assert_eq!(
      rename_target(b"alter table main.t rename to \"_cf_\"\"q\""),
      Some("_cf_\"q".into())
    );
    assert_eq!(
      rename_target(b"ALTER /* c */ TABLE [t] -- x\n RENAME TO [n]"),
      Some("n".into())
    );
    assert_eq!(
      rename_target(b"ALTER TABLE t RENAME COLUMN a TO _cf_b"),
      None
    );
    assert_eq!(rename_target(b"ALTER TABLE t ADD COLUMN c"), None);
    assert_eq!(rename_target(b"SELECT 1"), None);
  }
}
