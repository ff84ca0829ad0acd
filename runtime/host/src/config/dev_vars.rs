//! Local secrets, as wrangler dev reads them: `.dev.vars.<env>` or
//! `.dev.vars` beside the configuration; when neither exists, the `.env`
//! files (`.env`, `.env.<env>`, `.env.local`, `.env.<env>.local`, each over
//! the one before; not with `CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV=false`). They
//! become string bindings in `env` over the configured vars. Their values
//! are never printed.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

/// Name/value pairs in file order (a later one wins).
pub type Pairs = Vec<(String, String)>;

/// The secrets for `env` found beside the configuration in `dir`: the files
/// read (for the log) and their pairs.
pub fn load(dir: &Path, env: Option<&str>) -> Result<(Vec<PathBuf>, Pairs), String> {
  let named = |base: &str| -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(env) = env {
      files.push(dir.join(format!("{base}.{env}")));
    }
    files.push(dir.join(base));
    files
  };
  // `.dev.vars.<env>` replaces `.dev.vars` (the first that exists is read).
  if let Some(file) = named(".dev.vars").into_iter().find(|f| f.is_file()) {
    let pairs = read(&file)?;
    return Ok((vec![file], pairs));
  }
  if std::env::var("CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV").is_ok_and(|v| v == "false") {
    return Ok((Vec::new(), Vec::new()));
  }
  // `.env` files merge, lowest priority first: `.env`, `.env.<env>`,
  // `.env.local`, `.env.<env>.local`.
  let mut candidates = vec![dir.join(".env")];
  if let Some(env) = env {
    candidates.push(dir.join(format!(".env.{env}")));
  }
  candidates.push(dir.join(".env.local"));
  if let Some(env) = env {
    candidates.push(dir.join(format!(".env.{env}.local")));
  }
  let files: Vec<PathBuf> = candidates.into_iter().filter(|f| f.is_file()).collect();
  let mut pairs = Vec::new();
  for file in &files {
    pairs.extend(read(file)?);
  }
  Ok((files, pairs))
}

fn read(file: &Path) -> Result<Pairs, String> {
  let text =
    std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
  Ok(parse(&text))
}

/// The `KEY=value` lines of a dotenv file, as the npm `dotenv` package
/// (which wrangler uses) parses them: `export` prefixes, `#` comments,
/// single, double and backtick quotes (values may span lines), `\n` and `\r`
/// expanded inside double quotes only; lines that are not assignments are
/// skipped.
pub fn parse(text: &str) -> Vec<(String, String)> {
  static LINE: OnceLock<Regex> = OnceLock::new();
  let line = LINE.get_or_init(|| {
    Regex::new(
      r#"(?m)^\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?$"#,
    )
    .expect("a valid pattern")
  });
  let text = text.replace("\r\n", "\n").replace('\r', "\n");
  let mut out = Vec::new();
  for caps in line.captures_iter(&text) {
    let key = caps[1].to_string();
    let raw = caps.get(2).map_or("", |m| m.as_str()).trim();
    let quote = raw.chars().next().filter(|c| matches!(c, '\'' | '"' | '`'));
    let mut value = match quote {
      Some(q) if raw.len() >= 2 && raw.ends_with(q) => raw[1..raw.len() - 1].to_string(),
      _ => raw.to_string(),
    };
    if quote == Some('"') {
      value = value.replace("\\n", "\n").replace("\\r", "\r");
    }
    out.push((key, value));
  }
  out
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn parses_what_dotenv_parses() {
    let text = "# a comment\nA=1\nexport B = two words \nC='single # not a comment'\nD=\"line\\nbreak\"\nE=`back`\nF=value # comment\nnot an assignment\nG=\nH=\"multi\nline\"\nI='no\\nexpansion'\n";
    let got = parse(text);
    let want: Vec<(String, String)> = [
      ("A", "1"),
      ("B", "two words"),
      ("C", "single # not a comment"),
      ("D", "line\nbreak"),
      ("E", "back"),
      ("F", "value"),
      ("G", ""),
      ("H", "multi\nline"),
      ("I", "no\\nexpansion"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(got, want);
  }

  #[test]
  fn dev_vars_win_over_dot_env_and_env_files_are_chosen_by_name() {
    let dir = std::env::temp_dir().join(format!("kiln-dev-vars-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".env"), "A=env\nB=env\n").unwrap();
    std::fs::write(dir.join(".env.staging"), "B=env-staging\n").unwrap();
    let (files, pairs) = load(&dir, Some("staging")).unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(
      pairs.last().unwrap(),
      &("B".to_string(), "env-staging".to_string())
    );
    std::fs::write(dir.join(".dev.vars"), "A=dev\n").unwrap();
    let (files, pairs) = load(&dir, Some("staging")).unwrap();
    assert_eq!(files, vec![dir.join(".dev.vars")]);
    assert_eq!(pairs, vec![("A".to_string(), "dev".to_string())]);
    std::fs::write(dir.join(".dev.vars.staging"), "A=dev-staging\n").unwrap();
    let (_, pairs) = load(&dir, Some("staging")).unwrap();
    assert_eq!(pairs, vec![("A".to_string(), "dev-staging".to_string())]);
    std::fs::remove_dir_all(&dir).unwrap();
  }
}
