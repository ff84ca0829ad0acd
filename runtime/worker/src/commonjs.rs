//! CommonJS files as ES modules, so that npm packages that still ship
//! CommonJS load the way wrangler's esbuild bundle would run them.
//!
//! A CommonJS file becomes two modules:
//! - its *definition*, at the file's own URL: the source wrapped in a
//!   function, registered with js/commonjs.js (`kiln:commonjs`) under the
//!   file's URL, with the files its `require("...")` calls name already
//!   resolved and imported, so that `require()` can stay synchronous. The
//!   function runs at the first `require()`, as in Node and in esbuild's
//!   bundles, so conditional and cyclic requires behave.
//! - its *face* for ES modules (`?kiln=commonjs`): requires the file and
//!   exports `module.exports` as the default, and as named exports the
//!   names cjs-module-lexer's rules find (deno_ast's `analyze_cjs`).
//!
//! A `require()` of anything but a string literal throws esbuild's
//! "Dynamic require of ... is not supported", which is what the same code
//! does once bundled by wrangler. As in that bundle, the function gets
//! `exports`, `require` and `module` only (no `__filename`, `__dirname`,
//! `require.resolve`), and top-level `this` is `exports`: a package that
//! needs more fails under kiln as it would fail deployed.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use deno_ast::swc::ast::{CallExpr, Callee, Expr, Lit};
use deno_ast::swc::ecma_visit::{Visit, VisitWith};
use deno_ast::{MediaType, ParseParams, ProgramRef};

/// The query that names a CommonJS file's face for ES modules.
pub const FACE_QUERY: &str = "kiln=commonjs";
/// The face for importers in Node's mode (`.mjs`, or a package of
/// `"type": "module"`), where the default export is `module.exports` even
/// when it says `__esModule`, as esbuild's `__toESM` does.
pub const NODE_FACE_QUERY: &str = "kiln=commonjs-node";

/// What a JavaScript file is, and for CommonJS what it requires and exports.
#[derive(Debug)]
pub struct Analysis {
  pub commonjs: bool,
  /// String-literal `require()` arguments, in source order.
  pub requires: Vec<String>,
  pub exports: Vec<String>,
  pub reexports: Vec<String>,
}

/// Each file's analysis, with the source it was made from.
type Analyses = Mutex<HashMap<PathBuf, (Arc<str>, Arc<Analysis>)>>;

/// The file a re-export leads to, and its analysis.
pub type Reexported = Option<(PathBuf, Arc<Analysis>)>;

fn cache() -> &'static Analyses {
  static CACHE: OnceLock<Analyses> = OnceLock::new();
  CACHE.get_or_init(Default::default)
}

/// Reads a JavaScript file's form: ES module when it has `import` or
/// `export` (or its name or package says so), CommonJS otherwise.
pub fn analyze(
  path: &Path,
  source: &Arc<str>,
  esm_by_package: Option<bool>,
) -> Result<Arc<Analysis>, String> {
  let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
  let esm_by_name = match extension {
    "mjs" | "mts" => Some(true),
    "cjs" | "cts" => Some(false),
    _ => esm_by_package,
  };
  if esm_by_name == Some(true) {
    return Ok(Arc::new(Analysis {
      commonjs: false,
      requires: vec![],
      exports: vec![],
      reexports: vec![],
    }));
  }
  if let Some((cached_source, analysis)) = cache().lock().unwrap().get(path) {
    if cached_source == source {
      return Ok(analysis.clone());
    }
  }
  let specifier = url::Url::from_file_path(path)
    .map_err(|_| format!("{}: not an absolute path", path.display()))?;
  let parsed = deno_ast::parse_program(ParseParams {
    specifier,
    text: source.clone(),
    media_type: if esm_by_name == Some(false) {
      MediaType::Cjs
    } else {
      MediaType::JavaScript
    },
    capture_tokens: false,
    scope_analysis: false,
    maybe_syntax: None,
  })
  .map_err(|d| crate::transpile::describe_diagnostic(path, source, &d))?;
  let commonjs = esm_by_name == Some(false) || parsed.compute_is_script();
  let analysis = if commonjs {
    let mut finder = RequireFinder::default();
    match parsed.program_ref() {
      ProgramRef::Module(m) => m.visit_with(&mut finder),
      ProgramRef::Script(s) => s.visit_with(&mut finder),
    }
    let found = parsed.analyze_cjs();
    Analysis {
      commonjs,
      requires: finder.requires,
      exports: found.exports,
      reexports: found.reexports,
    }
  } else {
    Analysis {
      commonjs,
      requires: vec![],
      exports: vec![],
      reexports: vec![],
    }
  };
  let analysis = Arc::new(analysis);
  cache()
    .lock()
    .unwrap()
    .insert(path.to_path_buf(), (source.clone(), analysis.clone()));
  Ok(analysis)
}

#[derive(Default)]
struct RequireFinder {
  requires: Vec<String>,
  seen: BTreeSet<String>,
}

impl Visit for RequireFinder {
  fn visit_call_expr(&mut self, call: &CallExpr) {
    if let Callee::Expr(callee) = &call.callee {
      if let Expr::Ident(ident) = &**callee {
        if &*ident.sym == "require" && call.args.len() == 1 && call.args[0].spread.is_none() {
          let literal = match &*call.args[0].expr {
            Expr::Lit(Lit::Str(s)) => s.value.as_str().map(str::to_string),
            Expr::Tpl(t) if t.exprs.is_empty() && t.quasis.len() == 1 => t.quasis[0]
              .cooked
              .as_ref()
              .and_then(|c| c.as_str())
              .map(str::to_string),
            _ => None,
          };
          if let Some(literal) = literal {
            if self.seen.insert(literal.clone()) {
              self.requires.push(literal);
            }
          }
        }
      }
    }
    call.visit_children_with(self);
  }
}

/// What one `require("...")` in a CommonJS file leads to.
pub enum Dependency {
  /// Another CommonJS file, by URL.
  CommonJs(String),
  /// An ES module, by URL: required as esbuild's `__toCommonJS` gives it.
  EsModule(String),
  /// A Node.js module kiln serves, by URL: required, it gives the module's
  /// default export, as wrangler's bundles give workerd's.
  Builtin(String),
  /// A JSON file's text.
  Json(String),
  /// The import cannot work; the message is thrown at the `require()`.
  Fails(String),
}

/// The definition module for a CommonJS file at `url` with `source`.
///
/// Everything kiln adds sits before the source on its first line, so every
/// line keeps its number (only line 1's columns move).
pub fn definition(url: &str, source: &str, dependencies: &[(String, Dependency)]) -> String {
  let mut head = String::from("import { define as __kiln_define } from \"kiln:commonjs\";");
  let mut table = Vec::new();
  for (i, (specifier, dependency)) in dependencies.iter().enumerate() {
    let key = json(specifier);
    let value = match dependency {
      Dependency::CommonJs(url) => {
        head.push_str(&format!(" import {};", json(url)));
        format!("{{ commonjs: {} }}", json(url))
      }
      Dependency::EsModule(url) => {
        head.push_str(&format!(" import * as __kiln_ns{i} from {};", json(url)));
        format!("{{ namespace: __kiln_ns{i} }}")
      }
      Dependency::Builtin(url) => {
        head.push_str(&format!(" import * as __kiln_ns{i} from {};", json(url)));
        format!("{{ builtin: __kiln_ns{i} }}")
      }
      Dependency::Json(text) => format!("{{ json: {} }}", json(text)),
      Dependency::Fails(message) => format!("{{ fails: {} }}", json(message)),
    };
    table.push(format!("{key}: {value}"));
  }
  // A shebang is only allowed as a file's first characters.
  let source = match source.strip_prefix("#!") {
    Some(rest) => format!("//{rest}"),
    None => source.to_string(),
  };
  format!(
    "{head} __kiln_define({}, {{ {} }}, function (exports, require, module) {{{source}\n}});\n",
    json(url),
    table.join(", ")
  )
}

/// The face an ES module imports: `module.exports` as default, and the
/// named exports found in the file and the files it re-exports.
pub fn face(url: &str, names: &BTreeSet<String>, node_mode: bool) -> String {
  let mut out = format!(
    "import {};\nimport {{ load }} from \"kiln:commonjs\";\nconst m = load({});\n",
    json(url),
    json(url)
  );
  if node_mode {
    out.push_str("export default m;\n");
  } else {
    out.push_str(
      "export default m !== null && typeof m === \"object\" && m.__esModule ? m.default : m;\n",
    );
  }
  for (i, name) in names
    .iter()
    .filter(|n| *n != "default" && *n != "__esModule" && is_identifier(n))
    .enumerate()
  {
    out.push_str(&format!(
      "const __kiln_e{i} = m == null ? undefined : m[{}];\nexport {{ __kiln_e{i} as {name} }};\n",
      json(name)
    ));
  }
  out
}

/// The names a CommonJS file exports, its re-exports' included (`reexport`
/// resolves one re-exported specifier from a file to that file's analysis).
pub fn exported_names(
  file: &Path,
  analysis: Arc<Analysis>,
  reexport: &mut dyn FnMut(&Path, &str) -> Reexported,
) -> BTreeSet<String> {
  let mut names = BTreeSet::new();
  let mut seen = BTreeSet::new();
  let mut todo = vec![(file.to_path_buf(), analysis)];
  while let Some((path, analysis)) = todo.pop() {
    if !seen.insert(path.clone()) || seen.len() > 256 {
      continue;
    }
    names.extend(analysis.exports.iter().cloned());
    for specifier in &analysis.reexports {
      if let Some((target, found)) = reexport(&path, specifier) {
        if found.commonjs {
          todo.push((target, found));
        }
      }
    }
  }
  names
}

fn is_identifier(name: &str) -> bool {
  let mut chars = name.chars();
  matches!(chars.next(), Some(c) if c == '_' || c == '$' || c.is_ascii_alphabetic())
    && chars.all(|c| c == '_' || c == '$' || c.is_ascii_alphanumeric())
    && !RESERVED.contains(&name)
}

const RESERVED: [&str; 38] = [
  "await",
  "break",
  "case",
  "catch",
  "class",
  "const",
  "continue",
  "debugger",
  "default",
  "delete",
  "do",
  "else",
  "enum",
  "export",
  "extends",
  "false",
  "finally",
  "for",
  "function",
  "if",
  "import",
  "in",
  "instanceof",
  "new",
  "null",
  "return",
  "super",
  "switch",
  "this",
  "throw",
  "true",
  "try",
  "typeof",
  "var",
  "void",
  "while",
  "with",
  "yield",
];

fn json(s: &str) -> String {
  serde_json::to_string(s).expect("a string serializes")
}
