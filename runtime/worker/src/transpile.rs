//! TypeScript and JSX to JavaScript, as wrangler's esbuild would have done it
//! before the worker ran: types stripped, JSX per the nearest tsconfig.json,
//! decorators per `experimentalDecorators`, with a source map so that stack
//! traces point at the `.ts` lines. deno_ast (swc), which Deno uses for the
//! same job, does the work.
//!
//! The output is kept for the life of the process, keyed by path and
//! compared by the whole source text: several workers, an isolate replaced
//! after a fault, and a reload that did not touch a file all reuse it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use deno_ast::{
  DecoratorsTranspileOption, EmitOptions, ImportsNotUsedAsValues, JsxAutomaticOptions,
  JsxClassicOptions, JsxRuntime, MediaType, ParseParams, SourceMapOption, TranspileModuleOptions,
  TranspileOptions,
};

/// The parts of tsconfig.json's `compilerOptions` that change the output.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TsOptions {
  pub jsx: Option<String>,
  pub jsx_factory: Option<String>,
  pub jsx_fragment_factory: Option<String>,
  pub jsx_import_source: Option<String>,
  pub experimental_decorators: bool,
  pub emit_decorator_metadata: bool,
  pub verbatim_module_syntax: bool,
}

/// JavaScript made from a TypeScript or JSX file.
pub struct Emitted {
  pub code: Arc<str>,
  /// A source map in JSON, with the original source inlined.
  pub source_map: Option<Arc<[u8]>>,
}

struct Entry {
  source: Arc<str>,
  options: TsOptions,
  emitted: Arc<Emitted>,
}

fn cache() -> &'static Mutex<HashMap<PathBuf, Entry>> {
  static CACHE: OnceLock<Mutex<HashMap<PathBuf, Entry>>> = OnceLock::new();
  CACHE.get_or_init(Default::default)
}

/// Whether a file of this name is written in TypeScript or JSX.
pub fn needs_transpiling(path: &Path) -> bool {
  matches!(
    MediaType::from_path(path),
    MediaType::TypeScript
      | MediaType::Mts
      | MediaType::Cts
      | MediaType::Tsx
      | MediaType::Jsx
      | MediaType::Dts
      | MediaType::Dmts
      | MediaType::Dcts
  )
}

/// The JavaScript for `path`, whose text is `source`. Errors are written for
/// a person: `path:line:column: what is wrong`.
pub fn transpile(
  path: &Path,
  source: Arc<str>,
  options: &TsOptions,
) -> Result<Arc<Emitted>, String> {
  if let Some(entry) = cache().lock().unwrap().get(path) {
    if entry.source == source && entry.options == *options {
      return Ok(entry.emitted.clone());
    }
  }
  let emitted = Arc::new(emit(path, source.clone(), options)?);
  cache().lock().unwrap().insert(
    path.to_path_buf(),
    Entry {
      source,
      options: options.clone(),
      emitted: emitted.clone(),
    },
  );
  Ok(emitted)
}

fn emit(path: &Path, source: Arc<str>, options: &TsOptions) -> Result<Emitted, String> {
  let specifier = url::Url::from_file_path(path)
    .map_err(|_| format!("{}: not an absolute path", path.display()))?;
  let media_type = MediaType::from_path(path);
  if matches!(
    media_type,
    MediaType::Dts | MediaType::Dmts | MediaType::Dcts
  ) {
    // A declaration file holds only types: importing one is a type-only
    // import written without `import type`.
    return Err(format!(
      "{}: a declaration file has no JavaScript to run. Import its types with `import type`, so that the import is removed.",
      path.display()
    ));
  }
  let parsed = deno_ast::parse_module(ParseParams {
    specifier: specifier.clone(),
    text: source.clone(),
    media_type,
    capture_tokens: false,
    scope_analysis: false,
    maybe_syntax: None,
  })
  .map_err(|d| describe_diagnostic(path, &source, &d))?;
  let jsx = match options.jsx.as_deref() {
    Some("react-jsx") | Some("react-jsxdev") => JsxRuntime::Automatic(JsxAutomaticOptions {
      development: options.jsx.as_deref() == Some("react-jsxdev"),
      import_source: Some(
        options
          .jsx_import_source
          .clone()
          .unwrap_or_else(|| "react".to_string()),
      ),
    }),
    // esbuild's default, and what "react" and "preserve" come to when the
    // output has to run as it is.
    _ => JsxRuntime::Classic(JsxClassicOptions {
      factory: options
        .jsx_factory
        .clone()
        .unwrap_or_else(|| "React.createElement".to_string()),
      fragment_factory: options
        .jsx_fragment_factory
        .clone()
        .unwrap_or_else(|| "React.Fragment".to_string()),
    }),
  };
  let transpile_options = TranspileOptions {
    decorators: if options.experimental_decorators {
      DecoratorsTranspileOption::LegacyTypeScript {
        emit_metadata: options.emit_decorator_metadata,
      }
    } else {
      // QuickJS and V8 do not run decorators yet; esbuild lowers them too.
      DecoratorsTranspileOption::Ecma
    },
    verbatim_module_syntax: options.verbatim_module_syntax,
    imports_not_used_as_values: ImportsNotUsedAsValues::Remove,
    jsx: Some(jsx),
    var_decl_imports: false,
  };
  let emit_options = EmitOptions {
    source_map: SourceMapOption::Separate,
    source_map_base: None,
    source_map_file: None,
    inline_sources: true,
    remove_comments: false,
  };
  let result = parsed
    .transpile(
      &transpile_options,
      &TranspileModuleOptions::default(),
      &emit_options,
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
  let text = result.into_source();
  Ok(Emitted {
    code: text.text.into(),
    source_map: text.source_map.map(|m| Arc::from(m.into_bytes())),
  })
}

/// `/a/b.ts:3:5: what is wrong`, then the line with a caret under the place,
/// as esbuild shows it.
pub fn describe_diagnostic(path: &Path, source: &str, d: &deno_ast::ParseDiagnostic) -> String {
  let pos = d.display_position();
  let (line, column) = (pos.line_number, pos.column_number);
  let mut out = format!("{}:{line}:{column}: {}", path.display(), d.kind().msg());
  if let Some(text) = source.lines().nth(line.saturating_sub(1)) {
    let prefix: String = text.chars().take(column.saturating_sub(1)).collect();
    let pad: String = prefix
      .chars()
      .map(|c| if c == '\t' { '\t' } else { ' ' })
      .collect();
    out.push_str(&format!(
      "\n    {line} | {text}\n    {} | {pad}^",
      " ".repeat(line.to_string().len())
    ));
  }
  out
}

/// NODE_ENV of kiln's own environment, else wrangler dev's "development"
/// (an empty value counts as unset, as in wrangler).
fn node_env() -> String {
  std::env::var("NODE_ENV")
    .ok()
    .filter(|v| !v.is_empty())
    .unwrap_or_else(|| "development".to_string())
}

/// wrangler's esbuild `define` for `wrangler dev`: `process.env.NODE_ENV`
/// (also through `global.` or `globalThis.`) becomes `"development"`, or
/// the value of NODE_ENV in kiln's own environment. Packages choose their
/// development or production build by it, and without it they would read
/// `process`, which a worker without nodejs_compat does not have.
///
/// Only whole expressions are replaced, never text in strings or comments,
/// and the replacement is padded to the same length so that columns (and
/// source maps) stay right. `None` when there is nothing to replace.
pub fn define_node_env(code: &str) -> Option<String> {
  if !code.contains("NODE_ENV") {
    return None;
  }
  let value = serde_json::to_string(&node_env()).expect("a string serializes");
  let tokens: Vec<std::ops::Range<usize>> = deno_ast::lex(code, MediaType::JavaScript)
    .into_iter()
    .filter(|item| matches!(item.inner, deno_ast::TokenOrComment::Token(_)))
    .map(|item| item.range)
    .collect();
  let text = |i: usize| tokens.get(i).map(|r| &code[r.clone()]).unwrap_or("");
  let mut out = String::with_capacity(code.len());
  let mut copied = 0;
  let mut i = 0;
  while i < tokens.len() {
    let matches = text(i) == "process"
      && text(i + 1) == "."
      && text(i + 2) == "env"
      && text(i + 3) == "."
      && text(i + 4) == "NODE_ENV";
    if !matches {
      i += 1;
      continue;
    }
    let mut first = i;
    if i >= 2 && text(i - 1) == "." && matches!(text(i - 2), "global" | "globalThis") {
      first = i - 2;
    }
    let member_of_something_else = first >= 1 && matches!(text(first - 1), "." | "?.");
    // Written to, not read: `=`, `+=`, `??=`, `++` and the like.
    let after = text(i + 5);
    let assigned = (after.ends_with('=')
      && !matches!(after, "==" | "===" | "!=" | "!==" | "<=" | ">="))
      || matches!(after, "++" | "--")
      || (first >= 1 && matches!(text(first - 1), "++" | "--"));
    if member_of_something_else || assigned {
      i += 5;
      continue;
    }
    let range = tokens[first].start..tokens[i + 4].end;
    out.push_str(&code[copied..range.start]);
    out.push_str(&value);
    // Spaces to the same width, and the line breaks of an expression
    // written over several lines, so that later lines keep their numbers.
    let original = &code[range.clone()];
    let breaks: String = original
      .chars()
      .filter(|c| *c == '\n' || *c == '\r')
      .collect();
    let width = original.lines().last().unwrap_or("").chars().count();
    if breaks.is_empty() {
      out.push_str(&" ".repeat(width.saturating_sub(value.chars().count())));
    } else {
      out.push_str(&breaks);
    }
    copied = range.end;
    i += 5;
  }
  if copied == 0 {
    return None;
  }
  out.push_str(&code[copied..]);
  Some(out)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn node_env_is_replaced_as_an_expression_only() {
    let code = "if (process.env.NODE_ENV === 'production') a();\nconst s = \"process.env.NODE_ENV\"; // process.env.NODE_ENV\nglobalThis.process.env.NODE_ENV; x.process.env.NODE_ENV; process.env.NODE_ENV = 1;\nprocess.env.NODE_ENV ||= 'x'; process.env.NODE_ENV++;\n";
    let out = define_node_env(code).unwrap();
    let value = node_env();
    assert!(out.starts_with(&format!("if (\"{value}\"")), "{out}");
    assert!(
      out.contains("const s = \"process.env.NODE_ENV\"; // process.env.NODE_ENV\n"),
      "{out}"
    );
    assert!(!out.contains("globalThis.process"), "{out}");
    assert!(out.contains("x.process.env.NODE_ENV;"), "{out}");
    assert!(out.contains("process.env.NODE_ENV = 1;"), "{out}");
    assert!(
      out.contains("process.env.NODE_ENV ||= 'x'; process.env.NODE_ENV++;"),
      "{out}"
    );
    // Over two lines: the line break stays.
    let split = define_node_env("a(process\n  .env.NODE_ENV);\nb();\n").unwrap();
    assert_eq!(split.lines().count(), 3, "{split}");
    // Every line keeps its length, so columns stay where they were.
    for (a, b) in code.lines().zip(out.lines()) {
      assert_eq!(a.len(), b.len(), "{b}");
    }
    assert_eq!(define_node_env("const a = 1;"), None);
  }
}
