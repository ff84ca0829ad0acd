//! Module loading for worker scripts: ES module imports between the files of
//! one worker, and nothing else. A worker has no file system; its imports are
//! what a bundler would have bundled, so the loader refuses anything outside
//! the worker's root directory and anything that is not a `file:` URL.

use std::path::PathBuf;

use deno_core::error::ModuleLoaderError;
use deno_core::{
  resolve_import, ModuleLoadOptions, ModuleLoadReferrer, ModuleLoadResponse, ModuleLoader,
  ModuleSource, ModuleSourceCode, ModuleSpecifier, ModuleType, RequestedModuleType, ResolutionKind,
};
use deno_error::JsErrorBox;

pub struct WorkerModuleLoader {
  /// Every module must live below this directory.
  root: PathBuf,
}

impl WorkerModuleLoader {
  pub fn new(root: PathBuf) -> Self {
    Self { root }
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
    let code = std::fs::read(&path).map_err(|_| not_found())?;
    let extension = path
      .extension()
      .map(|e| e.to_string_lossy().to_ascii_lowercase())
      .unwrap_or_default();
    // Wrangler's default module rules: JSON is data, .txt/.html are text,
    // .bin is bytes; everything else is JavaScript.
    let module_type = match (extension.as_str(), &options.requested_module_type) {
      ("json", _) | (_, RequestedModuleType::Json) => ModuleType::Json,
      ("txt" | "html", _) | (_, RequestedModuleType::Text) => ModuleType::Text,
      ("bin", _) | (_, RequestedModuleType::Bytes) => ModuleType::Bytes,
      _ => ModuleType::JavaScript,
    };
    Ok(ModuleSource::new(
      module_type,
      ModuleSourceCode::Bytes(code.into_boxed_slice().into()),
      specifier,
      None,
    ))
  }
}
