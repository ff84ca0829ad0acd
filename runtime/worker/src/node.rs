//! Node.js modules (`nodejs_compat`): which `node:` modules a worker may
//! import, under which flags, and their sources. The modules are
//! js/node/*.js, written over npm packages that build/vendor-node bundles
//! into js/node/vendor/; all of it is compiled into the binary.

use deno_core::ModuleSpecifier;

/// What a worker's compatibility flags allow of Node.js.
#[derive(Clone, Copy, Debug, Default)]
pub struct NodeCompat {
  /// `node:` modules (nodejs_compat or nodejs_compat_v2).
  modules: bool,
  /// node:async_hooks alone (nodejs_als).
  als: bool,
  /// Bare names (`"buffer"`) and the Node.js globals (nodejs_compat_v2).
  v2: bool,
}

/// The `node:` modules kiln serves, by the file they are made of.
const MODULES: [(&str, &str); 15] = [
  ("node:assert", include_str!("../../../js/node/assert.js")),
  (
    "node:assert/strict",
    include_str!("../../../js/node/assert_strict.js"),
  ),
  (
    "node:async_hooks",
    include_str!("../../../js/node/async_hooks.js"),
  ),
  ("node:buffer", include_str!("../../../js/node/buffer.js")),
  ("node:events", include_str!("../../../js/node/events.js")),
  ("node:path", include_str!("../../../js/node/path.js")),
  (
    "node:path/posix",
    include_str!("../../../js/node/path_posix.js"),
  ),
  ("node:process", include_str!("../../../js/node/process.js")),
  ("node:stream", include_str!("../../../js/node/stream.js")),
  (
    "node:stream/promises",
    include_str!("../../../js/node/stream_promises.js"),
  ),
  (
    "node:stream/web",
    include_str!("../../../js/node/stream_web.js"),
  ),
  (
    "node:string_decoder",
    include_str!("../../../js/node/string_decoder.js"),
  ),
  ("node:url", include_str!("../../../js/node/url.js")),
  ("node:util", include_str!("../../../js/node/util.js")),
  (
    "node:util/types",
    include_str!("../../../js/node/util_types.js"),
  ),
];

/// What those modules are built on, served to them only, and the module
/// that defines the Node.js globals, which the isolate loads itself.
const INTERNAL: [(&str, &str); 12] = [
  (GLOBALS, include_str!("../../../js/node/globals.js")),
  (INTERNALS, include_str!("../../../js/node/internals.js")),
  (
    "kiln:node-vendor/assert",
    include_str!("../../../js/node/vendor/assert.js"),
  ),
  (
    "kiln:node-vendor/buffer",
    include_str!("../../../js/node/vendor/buffer.js"),
  ),
  (
    "kiln:node-vendor/events",
    include_str!("../../../js/node/vendor/events.js"),
  ),
  (
    "kiln:node-vendor/inspect",
    include_str!("../../../js/node/vendor/inspect.js"),
  ),
  (
    "kiln:node-vendor/path",
    include_str!("../../../js/node/vendor/path.js"),
  ),
  (
    "kiln:node-vendor/punycode",
    include_str!("../../../js/node/vendor/punycode.js"),
  ),
  (
    "kiln:node-vendor/stream",
    include_str!("../../../js/node/vendor/stream.js"),
  ),
  (
    "kiln:node-vendor/string_decoder",
    include_str!("../../../js/node/vendor/string_decoder.js"),
  ),
  (
    "kiln:node-vendor/url",
    include_str!("../../../js/node/vendor/url.js"),
  ),
  (
    "kiln:node-vendor/util",
    include_str!("../../../js/node/vendor/util.js"),
  ),
];

/// The module that defines the Node.js globals (js/node/globals.js).
const GLOBALS: &str = "kiln:node-globals";
/// What the modules take from js/dispatch.js (js/node/internals.js).
const INTERNALS: &str = "kiln:node-internals";

impl NodeCompat {
  pub fn from_flags(flags: &[&str]) -> NodeCompat {
    let v2 = flags.contains(&"nodejs_compat_v2");
    NodeCompat {
      modules: flags.contains(&"nodejs_compat") || v2,
      als: flags.contains(&"nodejs_als"),
      v2,
    }
  }

  /// The module a worker's import of `name` (`node:x`, or `x` from a
  /// package) gets, or why it gets none.
  pub fn resolve(&self, name: &str, referrer: &str) -> Result<ModuleSpecifier, String> {
    let bare = !name.starts_with("node:");
    let specifier = if bare {
      format!("node:{name}")
    } else {
      name.to_string()
    };
    let served = MODULES.iter().any(|(s, _)| *s == specifier);
    let allowed = if specifier == "node:async_hooks" {
      self.modules || self.als
    } else {
      self.modules
    };
    if served && allowed && (!bare || self.v2) {
      return ModuleSpecifier::parse(&specifier).map_err(|e| e.to_string());
    }
    let importer = crate::errors::display_url(referrer);
    Err(if !allowed {
      format!(
        "No such module \"{specifier}\" (imported by {importer}). Node.js modules need the nodejs_compat compatibility flag: add compatibility_flags = [\"nodejs_compat\"] to the worker's configuration."
      )
    } else if served {
      // Only a bare name without nodejs_compat_v2 gets here.
      format!(
        "No such module \"{name}\" (imported by {importer}). Import it as \"{specifier}\": Node.js modules are found by their bare names only from nodejs_compat_v2 on (nodejs_compat with a compatibility date of 2024-09-23 or later)."
      )
    } else {
      format!(
        "No such module \"{specifier}\" (imported by {importer}). kiln does not provide this Node.js module yet; it provides {}.",
        provided().join(", ")
      )
    })
  }

  /// Under nodejs_compat_v2 a bare name of a module kiln has (`"events"`,
  /// not `"events/"`) is that module before anything in node_modules, as
  /// wrangler's build sends it to workerd's.
  pub fn takes_bare(&self, specifier: &str, referrer: &str) -> Option<ModuleSpecifier> {
    if !self.v2 || specifier.starts_with("node:") {
      return None;
    }
    if !MODULES
      .iter()
      .any(|(s, _)| s.strip_prefix("node:") == Some(specifier))
    {
      return None;
    }
    self.resolve(specifier, referrer).ok()
  }

  /// The modules the isolate loads before the worker's script: what kiln's
  /// Node.js modules take from js/dispatch.js (taken at once, so that it
  /// does not stay on the global object), and under nodejs_compat_v2 the
  /// Node.js globals.
  pub fn side_modules(&self) -> Vec<&'static str> {
    let mut modules = Vec::new();
    if self.modules || self.als {
      modules.push(INTERNALS);
    }
    if self.v2 {
      modules.push(GLOBALS);
    }
    modules
  }

  /// The source of a module kiln serves for Node.js, by its URL.
  pub fn source(specifier: &str) -> Option<&'static str> {
    MODULES
      .iter()
      .chain(INTERNAL.iter())
      .find(|(s, _)| *s == specifier)
      .map(|(_, source)| *source)
  }

  /// Whether `specifier` is one of the modules only kiln's own Node.js
  /// modules may import.
  pub fn is_internal(specifier: &str) -> bool {
    INTERNAL.iter().any(|(s, _)| *s == specifier)
  }
}

/// The `node:` modules kiln serves, for messages and the README.
pub fn provided() -> Vec<&'static str> {
  MODULES.iter().map(|(s, _)| *s).collect()
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn modules_follow_the_flags() {
    let none = NodeCompat::from_flags(&[]);
    let als = NodeCompat::from_flags(&["nodejs_als"]);
    let v1 = NodeCompat::from_flags(&["nodejs_compat"]);
    let v2 = NodeCompat::from_flags(&["nodejs_compat", "nodejs_compat_v2"]);
    let at = "file:///w/index.js";
    let err = none.resolve("node:buffer", at).unwrap_err();
    assert!(err.contains("nodejs_compat"), "{err}");
    assert!(als.resolve("node:async_hooks", at).is_ok());
    assert!(als.resolve("node:events", at).is_err());
    assert!(v1.resolve("node:events", at).is_ok());
    assert!(v1
      .resolve("events", at)
      .unwrap_err()
      .contains("Import it as \"node:events\""));
    assert_eq!(v2.resolve("events", at).unwrap().as_str(), "node:events");
    let err = v2.resolve("node:crypto", at).unwrap_err();
    assert!(
      err.contains("kiln does not provide this Node.js module yet"),
      "{err}"
    );
    assert!(err.contains("node:buffer"), "{err}");
    assert!(v2.resolve(GLOBALS, at).is_err());
  }

  #[test]
  fn every_module_and_what_it_imports_is_served() {
    let import = regex::Regex::new(r#"(?m)^\s*(?:import|export)\b[^;]*?from\s+"([^"]+)""#).unwrap();
    let bare = regex::Regex::new(r#"(?m)^import\s+"([^"]+)""#).unwrap();
    for (name, source) in MODULES.iter().chain(INTERNAL.iter()) {
      for found in import
        .captures_iter(source)
        .chain(bare.captures_iter(source))
      {
        let target = &found[1];
        assert!(
          NodeCompat::source(target).is_some(),
          "{name} imports {target}, which is not served"
        );
      }
    }
  }
}
