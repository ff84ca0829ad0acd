//! Module loading for worker scripts: ES module imports between the files of
//! one worker, and nothing else. A worker has no file system; its imports are
//! what a bundler would have bundled, so the loader refuses anything outside
//! the worker's root directory and anything that is not a `file:` URL. What a
//! file becomes follows the worker's module rules, as wrangler's do.

use std::path::PathBuf;

use deno_core::error::ModuleLoaderError;
use deno_core::{
  resolve_import, ModuleLoadOptions, ModuleLoadReferrer, ModuleLoadResponse, ModuleLoader,
  ModuleSource, ModuleSourceCode, ModuleSpecifier, ModuleType, RequestedModuleType, ResolutionKind,
};
use deno_error::JsErrorBox;
use kiln_host::config::{ModuleKind, ModuleRule, RuleMatcher};

pub struct WorkerModuleLoader {
  /// Every module must live below this directory.
  root: PathBuf,
  rules: RuleMatcher,
}

impl WorkerModuleLoader {
  pub fn new(root: PathBuf, rules: &[ModuleRule]) -> Self {
    Self {
      root,
      rules: RuleMatcher::new(rules),
    }
  }
}

impl ModuleLoader for WorkerModuleLoader {
  fn resolve(
    &self,
    specifier: &str,
    referrer: &str,
    _kind: ResolutionKind,
  ) -> Result<ModuleSpecifier, ModuleLoaderError> {
    resolve_import(specifier, referrer).map_err(JsErrorBox::from_err)
  }

  fn load(
    &self,
    specifier: &ModuleSpecifier,
    _referrer: Option<&ModuleLoadReferrer>,
    options: ModuleLoadOptions,
  ) -> ModuleLoadResponse {
    ModuleLoadResponse::Sync(self.load_sync(specifier, options))
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

/// What the module at a URL is made of.
enum Contents {
  /// The file itself, as a module of this type.
  File(ModuleType),
  /// JavaScript kiln writes: the file imported again under an import
  /// attribute, and exported the way Workers exports it.
  Wrapper(String),
}

impl WorkerModuleLoader {
  fn load_sync(
    &self,
    specifier: &ModuleSpecifier,
    options: ModuleLoadOptions,
  ) -> Result<ModuleSource, ModuleLoaderError> {
    let not_found = || {
      JsErrorBox::type_error(format!(
        "Module not found: \"{specifier}\". A worker can import only files of its own directory ({}).",
        self.root.display()
      ))
    };
    for (name, source) in [
      (CLOUDFLARE_WORKERS, CLOUDFLARE_WORKERS_SOURCE),
      (WASM_COMPILE, WASM_COMPILE_SOURCE),
    ] {
      if specifier.as_str() == name {
        return Ok(ModuleSource::new(
          ModuleType::JavaScript,
          ModuleSourceCode::String(source.to_string().into()),
          specifier,
          None,
        ));
      }
    }
    if specifier.scheme() != "file" {
      return Err(JsErrorBox::type_error(format!(
        "Cannot import \"{specifier}\": a worker imports only its own files."
      )));
    }
    let path = specifier.to_file_path().map_err(|_| not_found())?;
    let path = path.canonicalize().map_err(|_| not_found())?;
    if !path.starts_with(&self.root) {
      return Err(not_found());
    }
    // Rules see the path below the root, with the query an import such as
    // "./add.wasm?module" carries.
    let mut relative = path
      .strip_prefix(&self.root)
      .unwrap_or(&path)
      .components()
      .map(|c| c.as_os_str().to_string_lossy())
      .collect::<Vec<_>>()
      .join("/");
    if let Some(query) = specifier.query() {
      relative.push('?');
      relative.push_str(query);
    }
    let contents = match &options.requested_module_type {
      RequestedModuleType::Json => Contents::File(ModuleType::Json),
      RequestedModuleType::Text => Contents::File(ModuleType::Text),
      RequestedModuleType::Bytes => Contents::File(ModuleType::Bytes),
      RequestedModuleType::Other(kind) => {
        return Err(JsErrorBox::type_error(format!(
          "Cannot import \"{relative}\" with type \"{kind}\": a worker imports JavaScript, JSON, text and bytes."
        )))
      }
      RequestedModuleType::None => self.by_rule(specifier, &relative)?,
    };
    let (module_type, code) = match contents {
      Contents::File(module_type) => {
        let code = std::fs::read(&path).map_err(|_| not_found())?;
        (module_type, code.into_boxed_slice())
      }
      Contents::Wrapper(source) => (
        ModuleType::JavaScript,
        source.into_bytes().into_boxed_slice(),
      ),
    };
    Ok(ModuleSource::new(
      module_type,
      ModuleSourceCode::Bytes(code.into()),
      specifier,
      None,
    ))
  }

  /// An import without an attribute: the first rule matching the path
  /// decides; without one, JSON and JavaScript go by their extension.
  fn by_rule(&self, specifier: &ModuleSpecifier, relative: &str) -> Result<Contents, JsErrorBox> {
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
    let extension = relative
      .split('?')
      .next()
      .and_then(|p| p.rsplit_once('.'))
      .map(|(_, e)| e.to_ascii_lowercase())
      .unwrap_or_default();
    Ok(match self.rules.kind_of(relative) {
      Some(ModuleKind::ESModule) => Contents::File(ModuleType::JavaScript),
      Some(ModuleKind::CommonJS) => {
        return Err(JsErrorBox::type_error(format!(
          "Cannot import \"{relative}\": it matches a CommonJS module rule, and CommonJS modules are not supported yet."
        )))
      }
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
      None if matches!(extension.as_str(), "js" | "mjs") => Contents::File(ModuleType::JavaScript),
      None => {
        return Err(JsErrorBox::type_error(format!(
          "Cannot import \"{relative}\": no module rule matches it, and only .js and .mjs files are JavaScript. Add a [[rules]] entry (type \"ESModule\", \"Text\", \"Data\" or \"CompiledWasm\") whose globs match it."
        )))
      }
    })
  }
}
