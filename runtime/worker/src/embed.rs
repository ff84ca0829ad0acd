//! The extensions' JavaScript, from inside the binary: each file an
//! extension records by its path on the build machine is replaced by the
//! copy build.rs embedded, so nothing is read from the cargo registry or the
//! source tree at run time.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use deno_core::{Extension, ExtensionFileSource, ExtensionFileSourceCode, FastStaticString};

include!(concat!(env!("OUT_DIR"), "/embedded_js.rs"));

/// A path with `.` and `..` resolved by name (`ops/../js` is `js`), as the
/// extensions' recorded paths and the embedded ones are compared.
fn normal(path: &Path) -> PathBuf {
  let mut out = PathBuf::new();
  for part in path.components() {
    match part {
      Component::CurDir => {}
      Component::ParentDir => {
        out.pop();
      }
      other => out.push(other),
    }
  }
  out
}

fn table() -> &'static HashMap<PathBuf, FastStaticString> {
  static TABLE: OnceLock<HashMap<PathBuf, FastStaticString>> = OnceLock::new();
  TABLE.get_or_init(|| {
    FILES
      .iter()
      .map(|(path, code)| (normal(Path::new(path)), *code))
      .collect()
  })
}

fn swap(files: &mut Cow<'static, [ExtensionFileSource]>) {
  let table = table();
  let swapped: Vec<ExtensionFileSource> = files
    .iter()
    .map(|file| {
      #[allow(
        deprecated,
        reason = "the variant deno_core records extension files with"
      )]
      if let ExtensionFileSourceCode::LoadedFromFsDuringSnapshot(path) = &file.code {
        if let Some(code) = table.get(&normal(Path::new(path))) {
          return ExtensionFileSource::new(file.specifier, *code);
        }
      }
      file.clone()
    })
    .collect();
  *files = Cow::Owned(swapped);
}

/// Makes every extension load its JavaScript from the binary, and its
/// lazily loaded scripts through kiln_ops::scripts (compiled where the
/// engine keeps their bytecode).
pub fn embed(extensions: &mut [Extension]) {
  for extension in extensions.iter_mut() {
    swap(&mut extension.js_files);
    swap(&mut extension.esm_files);
    swap(&mut extension.lazy_loaded_esm_files);
    swap(&mut extension.lazy_loaded_js_files);
  }
  let sources = kiln_ops::scripts::lazy_script_sources(|| {
    extensions
      .iter()
      .flat_map(|extension| extension.lazy_loaded_js_files.iter())
      .filter_map(|file| match &file.code {
        #[allow(deprecated, reason = "the variant embedded files are made with")]
        ExtensionFileSourceCode::IncludedInBinary(code) => Some((file.specifier, code.as_str())),
        _ => None,
      })
      .collect()
  });
  for extension in extensions.iter_mut() {
    let stood_in: Vec<ExtensionFileSource> = extension
      .lazy_loaded_js_files
      .iter()
      .map(|file| {
        if sources.contains_key(file.specifier) {
          ExtensionFileSource::new_computed(
            file.specifier,
            kiln_ops::scripts::stand_in(file.specifier).into(),
          )
        } else {
          file.clone()
        }
      })
      .collect();
    extension.lazy_loaded_js_files = Cow::Owned(stood_in);
  }
}

/// The files an extension would still read from disk (none, unless a file
/// was left out of the embedding).
pub fn unembedded(extensions: &[Extension]) -> Vec<&'static str> {
  let mut out = Vec::new();
  for extension in extensions {
    for file in extension
      .js_files
      .iter()
      .chain(extension.esm_files.iter())
      .chain(extension.lazy_loaded_esm_files.iter())
      .chain(extension.lazy_loaded_js_files.iter())
    {
      #[allow(
        deprecated,
        reason = "the variant deno_core records extension files with"
      )]
      if let ExtensionFileSourceCode::LoadedFromFsDuringSnapshot(path) = &file.code {
        out.push(*path);
      }
    }
  }
  out
}
