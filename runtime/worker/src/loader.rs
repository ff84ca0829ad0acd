//! Module loading for worker scripts: the worker's own files and the npm
//! packages they import, as wrangler's bundle would have held them, and
//! nothing else. A worker has no file system: the loader refuses anything
//! outside the worker's root directory and the packages an import led to,
//! and anything that is not a `file:` URL. What a file becomes follows the
//! worker's module rules, as wrangler's do; TypeScript and JSX are
//! transpiled (transpile.rs), bare specifiers found in node_modules
//! (packages.rs), and CommonJS files wrapped (commonjs.rs).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use deno_core::error::ModuleLoaderError;
use deno_core::{
  resolve_import, ModuleLoadOptions, ModuleLoadReferrer, ModuleLoadResponse, ModuleLoader,
  ModuleSource, ModuleSourceCode, ModuleSpecifier, ModuleType, RequestedModuleType, ResolutionKind,
};
use deno_error::JsErrorBox;
use kiln_host::config::{ModuleKind, ModuleRule, RuleMatcher};

use crate::commonjs::{self, Dependency, FACE_QUERY, NODE_FACE_QUERY};
use crate::node::NodeCompat;
use crate::packages::{ImportKind, Packages, Resolved};
use crate::transpile;

pub struct WorkerModuleLoader {
  /// Every module must live below this directory or in a package folder
  /// an import led to.
  root: PathBuf,
  rules: RuleMatcher,
  packages: Packages,
  /// The folders (real paths) of the npm packages imports led to: a
  /// workspace package may live outside the root.
  package_dirs: RefCell<Vec<PathBuf>>,
  /// Source maps of transpiled modules, by module URL.
  source_maps: RefCell<HashMap<String, Arc<[u8]>>>,
  /// Which module imports which, by URL, for naming an import cycle.
  imports: RefCell<std::collections::BTreeSet<(String, String)>>,
  /// Whether the package.json nearest a folder says `"type": "module"`,
  /// read once per isolate (a reload reads them again).
  package_types: RefCell<std::collections::BTreeMap<PathBuf, Option<bool>>>,
  /// Which `node:` modules the worker's flags allow.
  node: NodeCompat,
}

impl WorkerModuleLoader {
  pub fn new(root: PathBuf, rules: &[ModuleRule], node: NodeCompat) -> Self {
    Self {
      node,
      root,
      rules: RuleMatcher::new(rules),
      packages: Packages::new(),
      package_dirs: RefCell::new(Vec::new()),
      source_maps: RefCell::new(HashMap::new()),
      imports: RefCell::new(Default::default()),
      package_types: RefCell::new(Default::default()),
    }
  }

  /// What the worker's flags allow of Node.js.
  pub fn node(&self) -> NodeCompat {
    self.node
  }

  /// A start-up error as a person reads it, with what kiln can add: for a
  /// binding read before its module ran, the import cycle that caused it;
  /// for a missing export of a TypeScript module, that a type must be
  /// imported or exported with `type`.
  pub fn explain(&self, e: &deno_core::error::CoreError) -> String {
    let mut text = crate::errors::describe_core_error(e);
    let deno_core::error::CoreErrorKind::Js(js) = e.as_kind() else {
      return text;
    };
    let file = js
      .frames
      .iter()
      .find_map(|f| f.file_name.clone().filter(|f| f.starts_with("file:")));
    let message = &js.exception_message;
    if message.contains("is not initialized") || message.contains("before initialization") {
      if let Some(cycle) = file.as_deref().and_then(|f| self.cycle_through(f)) {
        let names: Vec<String> = cycle
          .iter()
          .map(|u| crate::errors::display_url(u))
          .collect();
        text.push_str(&format!(
          "\nThese modules import each other, so one of them runs before a binding it reads was set: {}. Move what they share into a module of its own.",
          names.join(" -> ")
        ));
      }
    }
    if message.contains("does not provide an export named")
      && file
        .as_deref()
        .is_some_and(|f| transpile::needs_transpiling(Path::new(f)))
    {
      text.push_str("\nIf it is a type, import or export it with `type` (`import type { ... }`, `export type { ... }`): types are removed when TypeScript becomes JavaScript.");
    }
    text
  }

  /// The shortest import path from `url` back to itself.
  fn cycle_through(&self, url: &str) -> Option<Vec<String>> {
    let imports = self.imports.borrow();
    let mut came_from: HashMap<&str, &str> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([url]);
    while let Some(at) = queue.pop_front() {
      for (from, to) in imports.iter().filter(|(from, _)| from == at) {
        if to == url {
          let mut path = vec![url.to_string()];
          let mut step = from.as_str();
          while step != url {
            path.push(step.to_string());
            step = came_from[step];
          }
          path.push(url.to_string());
          path.reverse();
          return Some(path);
        }
        if !came_from.contains_key(to.as_str()) {
          came_from.insert(to, from);
          queue.push_back(to);
        }
      }
    }
    None
  }
}

impl ModuleLoader for WorkerModuleLoader {
  fn resolve(
    &self,
    specifier: &str,
    referrer: &str,
    kind: ResolutionKind,
  ) -> Result<ModuleSpecifier, ModuleLoaderError> {
    let resolved = self.resolve_import(specifier, referrer)?;
    // Static imports only, each once: a dynamic import() is resolved again
    // at every call.
    if kind != ResolutionKind::DynamicImport {
      self
        .imports
        .borrow_mut()
        .insert((referrer.to_string(), resolved.to_string()));
    }
    Ok(resolved)
  }

  fn load(
    &self,
    specifier: &ModuleSpecifier,
    _referrer: Option<&ModuleLoadReferrer>,
    options: ModuleLoadOptions,
  ) -> ModuleLoadResponse {
    ModuleLoadResponse::Sync(self.load_sync(specifier, options))
  }

  fn get_source_map(&self, file_name: &str) -> Option<std::borrow::Cow<'_, [u8]>> {
    self
      .source_maps
      .borrow()
      .get(file_name)
      .map(|m| std::borrow::Cow::Owned(m.to_vec()))
  }
}

/// The one built-in module: the base classes of Durable Objects and
/// entrypoints, and `env`.
const CLOUDFLARE_WORKERS: &str = "cloudflare:workers";

/// js/dispatch.js leaves the module's exports under a global symbol before
/// the worker's script runs; the module takes them from there, once, and
/// removes them.
const CLOUDFLARE_WORKERS_SOURCE: &str = r#"const key = Symbol.for("kiln.cloudflare:workers");
const m = globalThis[key];
delete globalThis[key];
export const DurableObject = m.DurableObject;
export const WorkerEntrypoint = m.WorkerEntrypoint;
export const RpcTarget = m.RpcTarget;
export const env = m.env;
export default { DurableObject, WorkerEntrypoint, RpcTarget, env };
"#;

/// Compiles a `CompiledWasm` module's bytes: Workers refuses Wasm compiled
/// from bytes at run time, so js/global_scope.js keeps the real compiler
/// for the modules a worker imports, under a global symbol this module
/// takes once (js/dispatch.js removes it once the script has run).
const WASM_COMPILE: &str = "kiln:wasm-compile";

const WASM_COMPILE_SOURCE: &str = r#"const key = Symbol.for("kiln.wasm-compile");
const compile = globalThis[key];
delete globalThis[key];
export default compile;
"#;

/// `kiln:commonjs`: require() for CommonJS files (js/commonjs.js).
const COMMONJS: &str = "kiln:commonjs";

const COMMONJS_SOURCE: &str = include_str!("../../../js/commonjs.js");

/// What an import of a path that a package's `browser` field maps to
/// `false` gets, as in esbuild's bundles: an empty module.
const EMPTY: &str = "kiln:empty";

/// The modules kiln itself serves, by specifier.
const BUILT_IN: [(&str, &str); 4] = [
  (CLOUDFLARE_WORKERS, CLOUDFLARE_WORKERS_SOURCE),
  (WASM_COMPILE, WASM_COMPILE_SOURCE),
  (COMMONJS, COMMONJS_SOURCE),
  (EMPTY, "export default {};\n"),
];

/// What the module at a URL is made of.
enum Contents {
  /// The file itself, as a module of this type.
  File(ModuleType),
  /// JavaScript: the file's own, transpiled or with defines applied, or
  /// what kiln writes: the file imported again under an import attribute
  /// and exported the way Workers exports it, or a CommonJS file's
  /// definition or face.
  Wrapper(String),
}

impl WorkerModuleLoader {
  fn resolve_import(&self, specifier: &str, referrer: &str) -> Result<ModuleSpecifier, JsErrorBox> {
    if BUILT_IN.iter().any(|(name, _)| *name == specifier) {
      return ModuleSpecifier::parse(specifier).map_err(JsErrorBox::from_err);
    }
    // What kiln's Node.js modules are built on is theirs alone: imported
    // by them, or loaded by the isolate itself (referrer ".").
    if NodeCompat::is_internal(specifier) {
      if referrer == "." || referrer.starts_with("node:") || referrer.starts_with("kiln:node-") {
        return ModuleSpecifier::parse(specifier).map_err(JsErrorBox::from_err);
      }
      return Err(JsErrorBox::type_error(format!(
        "Cannot import \"{specifier}\" (imported by {}): it is internal to kiln's node: modules.",
        crate::errors::display_url(referrer)
      )));
    }
    // Absolute URLs (kiln's own modules, `cloudflare:`, `node:`, and the
    // resolved URLs in the modules commonjs.rs writes) are kept as they are.
    if let Ok(url) = ModuleSpecifier::parse(specifier) {
      if url.scheme() == "node" {
        return self
          .node
          .resolve(specifier, referrer)
          .map_err(JsErrorBox::generic);
      }
      return Ok(url);
    }
    let importer = ModuleSpecifier::parse(referrer)
      .ok()
      .filter(|r| r.scheme() == "file")
      .and_then(|r| r.to_file_path().ok());
    let Some(importer) = importer else {
      return resolve_import(specifier, referrer).map_err(JsErrorBox::from_err);
    };
    // Before node_modules, and before a package's `browser` field mapping
    // the name to `false`, as in wrangler's build.
    if let Some(url) = self.node.takes_bare(specifier, referrer) {
      return Ok(url);
    }
    match self
      .packages
      .resolve(&importer, specifier, ImportKind::Import)
      .map_err(JsErrorBox::generic)?
    {
      Resolved::Builtin(name) => self
        .node
        .resolve(&name, referrer)
        .map_err(JsErrorBox::generic),
      Resolved::Empty => ModuleSpecifier::parse(EMPTY).map_err(JsErrorBox::from_err),
      Resolved::File {
        path,
        query,
        package,
      } => {
        self.note_package(package);
        let mut url = file_url(&path)?;
        if !query.is_empty() {
          url.set_query(Some(query.trim_start_matches('?')));
        } else if self.is_commonjs(&path)? {
          let node_mode = matches!(
            importer.extension().and_then(|e| e.to_str()),
            Some("mjs" | "mts")
          ) || self.package_is_esm(&importer) == Some(true);
          url.set_query(Some(if node_mode {
            NODE_FACE_QUERY
          } else {
            FACE_QUERY
          }));
        }
        Ok(url)
      }
    }
  }

  /// The `"type"` of the package.json nearest `file`: `Some(true)` for
  /// `"module"`, `Some(false)` otherwise, `None` without a package.json.
  fn package_is_esm(&self, file: &Path) -> Option<bool> {
    let mut dir = file.parent()?;
    let mut visited = Vec::new();
    let found = loop {
      if let Some(known) = self.package_types.borrow().get(dir) {
        break *known;
      }
      visited.push(dir.to_path_buf());
      if let Ok(bytes) = std::fs::read(dir.join("package.json")) {
        break Some(
          serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| {
              v.get("type")
                .and_then(|t| t.as_str())
                .map(|t| t == "module")
            })
            .unwrap_or(false),
        );
      }
      match dir.parent() {
        Some(parent) => dir = parent,
        None => break None,
      }
    };
    let mut known = self.package_types.borrow_mut();
    for dir in visited {
      known.insert(dir, found);
    }
    found
  }

  fn note_package(&self, package: Option<PathBuf>) {
    if let Some(dir) = package {
      if !dir.starts_with(&self.root)
        && !self
          .package_dirs
          .borrow()
          .iter()
          .any(|d| dir.starts_with(d))
      {
        self.package_dirs.borrow_mut().push(dir);
      }
    }
  }

  fn allowed(&self, path: &Path) -> bool {
    path.starts_with(&self.root)
      || self
        .package_dirs
        .borrow()
        .iter()
        .any(|d| path.starts_with(d))
  }

  /// The module rule for a path (relative to the root when below it), with
  /// the import's `?query`.
  fn rule_path(&self, path: &Path, query: Option<&str>) -> String {
    let mut relative = path
      .strip_prefix(&self.root)
      .unwrap_or(path)
      .components()
      .map(|c| c.as_os_str().to_string_lossy())
      .collect::<Vec<_>>()
      .join("/");
    if let Some(query) = query {
      relative.push('?');
      relative.push_str(query);
    }
    relative
  }

  /// Whether a file imported without attributes runs as CommonJS: a rule
  /// says so, or a JavaScript file has no `import`/`export` and neither its
  /// name nor its package says it is an ES module.
  fn is_commonjs(&self, path: &Path) -> Result<bool, JsErrorBox> {
    match self.rules.kind_of(&self.rule_path(path, None)) {
      Some(ModuleKind::CommonJS) => return Ok(true),
      Some(_) => return Ok(false),
      None => {}
    }
    match extension(path).as_str() {
      "cts" => return Ok(true),
      "js" | "cjs" => {}
      _ => return Ok(false),
    }
    if !self.allowed(path) {
      return Ok(false);
    }
    let source = read_text(path)?;
    let esm = self.package_is_esm(path);
    Ok(
      commonjs::analyze(path, &source, esm)
        .map_err(JsErrorBox::generic)?
        .commonjs,
    )
  }

  /// The JavaScript of the worker's main module, transpiled if it is
  /// TypeScript; its source map is kept for stack traces.
  pub fn main_source(&self, path: &Path) -> Result<String, String> {
    let url = file_url(path).map_err(|e| e.to_string())?;
    Ok(
      self
        .code_of(&url, path)
        .map_err(|e| e.to_string())?
        .to_string(),
    )
  }

  fn keep_source_map(&self, url: &ModuleSpecifier, emitted: &transpile::Emitted) {
    if let Some(map) = &emitted.source_map {
      self
        .source_maps
        .borrow_mut()
        .insert(url.to_string(), map.clone());
    }
  }

  fn load_sync(
    &self,
    specifier: &ModuleSpecifier,
    options: ModuleLoadOptions,
  ) -> Result<ModuleSource, ModuleLoaderError> {
    let not_found = || {
      JsErrorBox::type_error(format!(
        "Module not found: \"{specifier}\". A worker can import only files of its own directory ({}) and the npm packages in its node_modules.",
        self.root.display()
      ))
    };
    if let Some(source) = BUILT_IN
      .iter()
      .find(|(name, _)| *name == specifier.as_str())
      .map(|(_, source)| *source)
      .or_else(|| NodeCompat::source(specifier.as_str()))
    {
      return Ok(ModuleSource::new(
        ModuleType::JavaScript,
        ModuleSourceCode::String(source.to_string().into()),
        specifier,
        None,
      ));
    }
    if specifier.scheme() != "file" {
      return Err(JsErrorBox::type_error(format!(
        "Cannot import \"{specifier}\": a worker imports only its own files and npm packages."
      )));
    }
    let path = specifier.to_file_path().map_err(|_| not_found())?;
    let path = path.canonicalize().map_err(|_| not_found())?;
    if !self.allowed(&path) {
      return Err(not_found());
    }
    let mut plain = specifier.clone();
    plain.set_query(None);
    let contents = match specifier.query() {
      Some(q @ (FACE_QUERY | NODE_FACE_QUERY)) => Contents::Wrapper(self.face(&path, &plain, q == NODE_FACE_QUERY)?),
      query => match &options.requested_module_type {
        RequestedModuleType::Json => Contents::File(ModuleType::Json),
        RequestedModuleType::Text => Contents::File(ModuleType::Text),
        RequestedModuleType::Bytes => Contents::File(ModuleType::Bytes),
        RequestedModuleType::Other(kind) => {
          return Err(JsErrorBox::type_error(format!(
            "Cannot import \"{}\" with type \"{kind}\": a worker imports JavaScript, JSON, text and bytes.",
            self.rule_path(&path, query)
          )))
        }
        RequestedModuleType::None => self.by_rule(specifier, &path, query)?,
      },
    };
    let (module_type, code) = match contents {
      Contents::File(module_type) => {
        let code = std::fs::read(&path).map_err(|_| not_found())?;
        (
          module_type,
          ModuleSourceCode::Bytes(code.into_boxed_slice().into()),
        )
      }
      Contents::Wrapper(source) => (
        ModuleType::JavaScript,
        ModuleSourceCode::String(source.into()),
      ),
    };
    Ok(ModuleSource::new(module_type, code, specifier, None))
  }

  /// An import without an attribute: the first rule matching the path
  /// decides; without one, the extension.
  fn by_rule(
    &self,
    specifier: &ModuleSpecifier,
    path: &Path,
    query: Option<&str>,
  ) -> Result<Contents, JsErrorBox> {
    let relative = self.rule_path(path, query);
    // deno_core keys a module by its URL and the type it was asked for, and
    // an import without an attribute only finds a JavaScript module. So
    // every other kind is a JavaScript module importing the same URL with
    // the matching attribute.
    let url = serde_json::to_string(specifier.as_str()).expect("a string serializes");
    let wrapper = |attribute: &str, export: &str| {
      Contents::Wrapper(format!(
        "import value from {url} with {{ type: \"{attribute}\" }};\nexport default {export};\n"
      ))
    };
    let extension = extension(path);
    Ok(match self.rules.kind_of(&relative) {
      Some(ModuleKind::ESModule) => self.javascript(specifier, path, false)?,
      Some(ModuleKind::CommonJS) => self.javascript(specifier, path, true)?,
      Some(ModuleKind::Text) => wrapper("text", "value"),
      // Workers gives an ArrayBuffer; deno_core's bytes are a Uint8Array
      // over a buffer of their own.
      Some(ModuleKind::Data) => wrapper(
        "bytes",
        "value.byteOffset === 0 && value.byteLength === value.buffer.byteLength\n  ? value.buffer\n  : value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength)",
      ),
      Some(ModuleKind::CompiledWasm) => Contents::Wrapper(format!(
        "import value from {url} with {{ type: \"bytes\" }};\nimport compile from \"{WASM_COMPILE}\";\nexport default compile(value);\n"
      )),
      None if extension == "json" => wrapper("json", "value"),
      None if matches!(
        extension.as_str(),
        "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" | "tsx" | "jsx"
      ) =>
      {
        let commonjs = self.is_commonjs(path)? || matches!(extension.as_str(), "cts");
        self.javascript(specifier, path, commonjs)?
      }
      None => {
        return Err(JsErrorBox::type_error(format!(
          "Cannot import \"{relative}\": no module rule matches it, and only .js, .mjs, .cjs, .ts, .mts, .cts, .tsx and .jsx files are JavaScript. Add a [[rules]] entry (type \"ESModule\", \"CommonJS\", \"Text\", \"Data\" or \"CompiledWasm\") whose globs match it."
        )))
      }
    })
  }

  /// A JavaScript, TypeScript or JSX file as a module: transpiled where it
  /// needs it, with wrangler's `process.env.NODE_ENV` define applied, and
  /// as a CommonJS definition where it is CommonJS.
  fn javascript(
    &self,
    specifier: &ModuleSpecifier,
    path: &Path,
    commonjs: bool,
  ) -> Result<Contents, JsErrorBox> {
    let code = self.code_of(specifier, path)?;
    if !commonjs {
      return Ok(Contents::Wrapper(code.to_string()));
    }
    let analysis = commonjs::analyze(path, &code, Some(false)).map_err(JsErrorBox::generic)?;
    let dependencies: Vec<(String, Dependency)> = analysis
      .requires
      .iter()
      .filter(|s| s.as_str() != "__proto__")
      .map(|required| (required.clone(), self.dependency(path, required)))
      .collect();
    Ok(Contents::Wrapper(commonjs::definition(
      specifier.as_str(),
      &code,
      &dependencies,
    )))
  }

  /// The JavaScript a file runs as: transpiled if it is TypeScript or JSX
  /// (its source map kept under `url`), with `process.env.NODE_ENV`
  /// defined.
  fn code_of(&self, url: &ModuleSpecifier, path: &Path) -> Result<Arc<str>, JsErrorBox> {
    let source = read_text(path)?;
    let code = if transpile::needs_transpiling(path) {
      let emitted = transpile::transpile(path, source, &self.packages.ts_options(path))
        .map_err(JsErrorBox::generic)?;
      self.keep_source_map(url, &emitted);
      emitted.code.clone()
    } else {
      source
    };
    Ok(match transpile::define_node_env(&code) {
      Some(defined) => defined.into(),
      None => code,
    })
  }

  /// What `require(required)` in the CommonJS file `from` leads to.
  fn dependency(&self, from: &Path, required: &str) -> Dependency {
    let from_url = file_url(from).map(|u| u.to_string()).unwrap_or_default();
    // Under nodejs_compat_v2 this also wins over a package's `browser`
    // field mapping the name to `false`, as in wrangler's build.
    if let Some(url) = self.node.takes_bare(required, &from_url) {
      return Dependency::Builtin(url.to_string());
    }
    let resolved = match self.packages.resolve(from, required, ImportKind::Require) {
      Ok(resolved) => resolved,
      Err(message) => return Dependency::Fails(message),
    };
    let (path, package) = match resolved {
      Resolved::Builtin(name) => {
        return match self.node.resolve(&name, &from_url) {
          Ok(url) => Dependency::Builtin(url.to_string()),
          Err(message) => Dependency::Fails(message),
        };
      }
      Resolved::Empty => return Dependency::Json("{}".to_string()),
      Resolved::File { path, package, .. } => (path, package),
    };
    self.note_package(package);
    let Ok(url) = file_url(&path) else {
      return Dependency::Fails(format!(
        "Cannot require \"{required}\": {} is not a file path",
        path.display()
      ));
    };
    if !self.allowed(&path) {
      return Dependency::Fails(format!(
        "Cannot require \"{required}\" from {}: {} is outside the worker's folder and its packages",
        from.display(),
        path.display()
      ));
    }
    if extension(&path) == "json" && self.rules.kind_of(&self.rule_path(&path, None)).is_none() {
      return match std::fs::read_to_string(&path) {
        Ok(text) => Dependency::Json(text),
        Err(e) => Dependency::Fails(format!("Cannot read {}: {e}", path.display())),
      };
    }
    match self.is_commonjs(&path) {
      Ok(true) => Dependency::CommonJs(url.to_string()),
      Ok(false) => Dependency::EsModule(url.to_string()),
      Err(e) => Dependency::Fails(e.to_string()),
    }
  }

  /// The ES module face of the CommonJS file at `path`.
  fn face(
    &self,
    path: &Path,
    url: &ModuleSpecifier,
    node_mode: bool,
  ) -> Result<String, JsErrorBox> {
    let code = self.code_of(url, path)?;
    let analysis = commonjs::analyze(path, &code, Some(false)).map_err(JsErrorBox::generic)?;
    let names = commonjs::exported_names(path, analysis, &mut |from, specifier| {
      let Ok(Resolved::File { path, package, .. }) =
        self.packages.resolve(from, specifier, ImportKind::Require)
      else {
        return None;
      };
      self.note_package(package);
      if !self.allowed(&path) {
        return None;
      }
      let source = read_text(&path).ok()?;
      let esm = self.package_is_esm(&path);
      let found = commonjs::analyze(&path, &source, esm).ok()?;
      Some((path, found))
    });
    Ok(commonjs::face(url.as_str(), &names, node_mode))
  }
}

/// A source file's text, without a byte-order mark (which esbuild drops
/// too, and which would stand before a shebang or the CommonJS wrapper).
fn read_text(path: &Path) -> Result<Arc<str>, JsErrorBox> {
  let bytes = std::fs::read(path)
    .map_err(|e| JsErrorBox::generic(format!("Cannot read {}: {e}", path.display())))?;
  let text = String::from_utf8(bytes)
    .map_err(|_| JsErrorBox::generic(format!("{} is not valid UTF-8", path.display())))?;
  Ok(match text.strip_prefix('\u{feff}') {
    Some(rest) => Arc::from(rest),
    None => Arc::from(text),
  })
}

fn file_url(path: &Path) -> Result<ModuleSpecifier, JsErrorBox> {
  ModuleSpecifier::from_file_path(path)
    .map_err(|_| JsErrorBox::generic(format!("{} is not an absolute path", path.display())))
}

fn extension(path: &Path) -> String {
  path
    .extension()
    .and_then(|e| e.to_str())
    .unwrap_or_default()
    .to_ascii_lowercase()
}
