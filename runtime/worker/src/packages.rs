//! Where an import leads: relative paths with the extensions esbuild tries,
//! and npm packages from `node_modules`, resolved as wrangler's esbuild
//! resolves them for Workers (conditions `workerd`, `worker`, `browser`, then
//! `import` or `require`, then `default`; the `browser`, `module` and `main`
//! fields; tsconfig `paths`; symlinks followed to the real file, so pnpm and
//! workspaces work). oxc_resolver, which rspack and Rolldown use, does the
//! walking; this module only configures it and words its errors.

use std::path::{Path, PathBuf};

use oxc_resolver::{ResolveError, ResolveOptions, Resolver, TsconfigDiscovery};

/// How the import is written, which picks the `import` or `require`
/// condition.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ImportKind {
  Import,
  Require,
}

/// What a specifier came to.
pub enum Resolved {
  /// A file, and the `?query` the specifier carried (`./add.wasm?module`);
  /// for a package import, the package's folder.
  File {
    path: PathBuf,
    query: String,
    package: Option<PathBuf>,
  },
  /// A Node.js built-in module, as the import named it: `node:x`, or a
  /// bare `x` that no package provides.
  Builtin(String),
  /// Nothing: the package's `browser` field maps the path to `false`, and
  /// esbuild gives an empty module.
  Empty,
}

pub struct Packages {
  import: Resolver,
  require: Resolver,
}

/// Node.js's built-in modules by their bare names (`module.builtinModules`
/// without the internal and `node:`-only ones).
const NODE_BUILTINS: [&str; 54] = [
  "assert",
  "async_hooks",
  "buffer",
  "child_process",
  "cluster",
  "console",
  "constants",
  "crypto",
  "dgram",
  "diagnostics_channel",
  "dns",
  "domain",
  "events",
  "fs",
  "http",
  "http2",
  "https",
  "inspector",
  "module",
  "net",
  "os",
  "path",
  "perf_hooks",
  "process",
  "punycode",
  "querystring",
  "readline",
  "repl",
  "stream",
  "string_decoder",
  "sys",
  "timers",
  "tls",
  "trace_events",
  "tty",
  "url",
  "util",
  "v8",
  "vm",
  "wasi",
  "worker_threads",
  "zlib",
  "_http_agent",
  "_http_client",
  "_http_common",
  "_http_incoming",
  "_http_outgoing",
  "_http_server",
  "_stream_duplex",
  "_stream_passthrough",
  "_stream_readable",
  "_stream_transform",
  "_stream_wrap",
  "_stream_writable",
];

/// esbuild's own order.
const EXTENSIONS: [&str; 6] = [".tsx", ".ts", ".jsx", ".js", ".css", ".json"];

/// wrangler's build conditions for Workers.
const CONDITIONS: [&str; 3] = ["workerd", "worker", "browser"];

impl Packages {
  pub fn new() -> Packages {
    let options = |kind: &str| ResolveOptions {
      tsconfig: Some(TsconfigDiscovery::Auto),
      condition_names: CONDITIONS
        .iter()
        .chain([kind, "default"].iter())
        .map(|s| s.to_string())
        .collect(),
      main_fields: ["browser", "module", "main"].map(String::from).to_vec(),
      alias_fields: vec![vec!["browser".to_string()]],
      extensions: EXTENSIONS.map(String::from).to_vec(),
      // TypeScript's convention: `./util.js` in a `.ts` file means
      // `./util.ts`, and esbuild follows it.
      extension_alias: vec![
        (
          ".js".into(),
          vec![".js".into(), ".ts".into(), ".tsx".into()],
        ),
        (".jsx".into(), vec![".jsx".into(), ".tsx".into()]),
        (".mjs".into(), vec![".mjs".into(), ".mts".into()]),
        (".cjs".into(), vec![".cjs".into(), ".cts".into()]),
      ],
      symlinks: true,
      node_path: false,
      // Built-ins are recognised after resolution (see `resolve`), so that
      // a package's `browser` field can still map one away, as in esbuild.
      builtin_modules: false,
      ..ResolveOptions::default()
    };
    let import = Resolver::new(options("import"));
    let require = import.clone_with_options(options("require"));
    Packages { import, require }
  }

  /// Resolves `specifier` as written in the file `importer`.
  pub fn resolve(
    &self,
    importer: &Path,
    specifier: &str,
    kind: ImportKind,
  ) -> Result<Resolved, String> {
    let resolver = match kind {
      ImportKind::Import => &self.import,
      ImportKind::Require => &self.require,
    };
    if specifier.starts_with("node:") {
      return Ok(Resolved::Builtin(specifier.to_string()));
    }
    match resolver.resolve_file(importer, specifier) {
      Ok(resolution) => {
        let path = resolution.path().to_path_buf();
        Ok(Resolved::File {
          query: resolution.query().unwrap_or_default().to_string(),
          package: if is_bare(specifier) && !specifier.starts_with('#') {
            package_folder(&path, package_name(specifier))
          } else {
            None
          },
          path,
        })
      }
      Err(ResolveError::Builtin { resolved, .. }) => Ok(Resolved::Builtin(resolved)),
      Err(ResolveError::Ignored(_)) => Ok(Resolved::Empty),
      // A Node.js built-in by its bare name that no package provides.
      Err(ResolveError::NotFound(_)) if NODE_BUILTINS.contains(&package_name(specifier)) => {
        Ok(Resolved::Builtin(specifier.to_string()))
      }
      Err(e) => Err(self.explain(importer, specifier, kind, e)),
    }
  }

  /// The tsconfig.json `compilerOptions` in force for `file`, with `extends`
  /// followed.
  pub fn ts_options(&self, file: &Path) -> crate::transpile::TsOptions {
    let Ok(Some(config)) = self.import.find_tsconfig(file) else {
      return Default::default();
    };
    let o = &config.compiler_options;
    crate::transpile::TsOptions {
      jsx: o.jsx.clone().map(|s| s.to_ascii_lowercase()),
      jsx_factory: o.jsx_factory.clone(),
      jsx_fragment_factory: o.jsx_fragment_factory.clone(),
      jsx_import_source: o.jsx_import_source.clone(),
      experimental_decorators: o.experimental_decorators.unwrap_or(false),
      emit_decorator_metadata: o.emit_decorator_metadata.unwrap_or(false),
      verbatim_module_syntax: o.verbatim_module_syntax.unwrap_or(false),
    }
  }

  fn explain(&self, importer: &Path, specifier: &str, kind: ImportKind, e: ResolveError) -> String {
    let from = importer.display();
    let bare = is_bare(specifier);
    let package = package_name(specifier);
    let conditions = || {
      let kind = match kind {
        ImportKind::Import => "import",
        ImportKind::Require => "require",
      };
      format!("{}, {kind}, default", CONDITIONS.join(", "))
    };
    match e {
      ResolveError::NotFound(_) | ResolveError::MatchedAliasNotFound(..) if bare => {
        let looked: Vec<String> = importer
          .ancestors()
          .skip(1)
          .map(|d| d.join("node_modules").display().to_string())
          .collect();
        format!(
          "Could not resolve \"{specifier}\" (imported by {from}): no package \"{package}\" in node_modules (looked in {}). Install it with `npm install {package}`.",
          looked.join(", ")
        )
      }
      ResolveError::NotFound(_) => format!(
        "Could not resolve \"{specifier}\" (imported by {from}): no such file, also with the endings {} or as a folder with an index file.",
        EXTENSIONS.join(", ")
      ),
      ResolveError::PackagePathNotExported { .. } => format!(
        "Could not resolve \"{specifier}\" (imported by {from}): the \"exports\" of package \"{package}\" have no entry for this path under the conditions {}.",
        conditions()
      ),
      ResolveError::PackageImportNotDefined(..) => format!(
        "Could not resolve \"{specifier}\" (imported by {from}): the \"imports\" of the package that holds {from} have no entry for it."
      ),
      other => format!("Could not resolve \"{specifier}\" (imported by {from}): {other}"),
    }
  }
}

/// A package name rather than a path (`#internal` imports count: they lead
/// wherever the package's `imports` say).
pub fn is_bare(specifier: &str) -> bool {
  !(specifier.starts_with('.') || specifier.starts_with('/'))
}

/// The folder of the package named `name` that holds `file`: the nearest
/// folder above it whose package.json has that name. None when the file is
/// not in such a package (a tsconfig `paths` alias leads into the project's
/// own files), so that only a package an import named widens what the
/// worker may load.
fn package_folder(file: &Path, name: &str) -> Option<PathBuf> {
  file.ancestors().skip(1).take(32).find_map(|dir| {
    let bytes = std::fs::read(dir.join("package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    (json.get("name")?.as_str()? == name).then(|| dir.to_path_buf())
  })
}

/// `@scope/name/sub` → `@scope/name`; `name/sub` → `name`.
fn package_name(specifier: &str) -> &str {
  let mut parts = specifier.splitn(3, '/');
  let first = parts.next().unwrap_or(specifier);
  if first.starts_with('@') {
    match parts.next() {
      Some(second) => &specifier[..first.len() + 1 + second.len()],
      None => first,
    }
  } else {
    first
  }
}

#[cfg(test)]
mod tests {
  use super::package_name;

  #[test]
  fn package_names() {
    assert_eq!(package_name("hono"), "hono");
    assert_eq!(package_name("hono/jsx/jsx-runtime"), "hono");
    assert_eq!(package_name("@scope/pkg/sub"), "@scope/pkg");
    assert_eq!(package_name("@scope"), "@scope");
  }
}
