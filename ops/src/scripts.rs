//! The extensions' lazily loaded scripts (deno_web's, deno_fetch's and
//! kiln's own js/), compiled where the engine can keep their bytecode.
//!
//! deno_core compiles a `lazy_loaded_js` file with
//! `ScriptCompiler::CompileFunction`, which QuickJS (v8x) parses afresh in
//! every isolate: about 1 MB of JavaScript, half of a worker's start-up.
//! v8x keeps the bytecode of the modules it compiles (in its cache,
//! `$XDG_CACHE_HOME/v8x/quickjs-bytecode`, keyed by their text), so
//! runtime/worker/src/embed.rs gives deno_core a one-line stand-in for each
//! such file, which asks `op_kiln_compile_ext_script` for the real file
//! compiled as a module: the same function deno_core would have made, whose
//! parameter is the `__bootstrap` view the file expects.

use std::collections::HashMap;
use std::sync::OnceLock;

use deno_core::{op2, v8};
use deno_error::JsErrorBox;

static SOURCES: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();

/// The real text of each lazily loaded script, by specifier. Set once per
/// process (every isolate's extensions carry the same files).
pub fn lazy_script_sources(
  init: impl FnOnce() -> HashMap<&'static str, &'static str>,
) -> &'static HashMap<&'static str, &'static str> {
  SOURCES.get_or_init(init)
}

/// What deno_core is given in place of `specifier`'s text: it compiles
/// this as the body of `function (__bootstrap)`.
pub fn stand_in(specifier: &str) -> String {
  format!(
    "\"use strict\"; return (__bootstrap.core.ops.op_kiln_compile_ext_script({specifier:?})(__bootstrap));"
  )
}

/// `specifier`'s script as `function (__bootstrap)`: the default export of
/// a module of its own, named by the specifier. A module, because v8x
/// keeps a module's bytecode and finds it again by the module's text, where
/// it parses a classic script at every compile.
#[op2]
pub fn op_kiln_compile_ext_script(
  scope: &mut v8::PinScope,
  #[string] specifier: &str,
) -> Result<v8::Global<v8::Value>, JsErrorBox> {
  let source = SOURCES
    .get()
    .and_then(|sources| sources.get(specifier))
    .ok_or_else(|| JsErrorBox::generic(format!("no extension script {specifier}")))?;
  // The body deno_core would compile (its prologue of comments dropped,
  // as deno_core drops it), made the module's default export.
  let code = format!(
    "export default function (__bootstrap) {{ {} }}",
    deno_core::wrap_lazy_ext_script(source)
  );
  let code = v8::String::new(scope, &code)
    .ok_or_else(|| JsErrorBox::generic(format!("{specifier} is too long")))?;
  let name = v8::String::new(scope, specifier).unwrap();
  let origin = v8::ScriptOrigin::new(
    scope,
    name.into(),
    0,
    0,
    false,
    -1,
    None,
    false,
    false,
    true,
    None,
  );
  v8::tc_scope!(let tc, scope);
  let mut source = v8::script_compiler::Source::new(code, Some(&origin));
  let function = v8::script_compiler::compile_module(tc, &mut source).and_then(|module| {
    module.instantiate_module(tc, no_imports)?;
    module.evaluate(tc)?;
    let namespace = module.get_module_namespace().to_object(tc)?;
    let default = v8::String::new(tc, "default")?;
    namespace.get(tc, default.into())
  });
  match function {
    Some(function) if function.is_function() => Ok(v8::Global::new(tc, function)),
    _ => {
      let message = tc
        .exception()
        .map(|e| e.to_rust_string_lossy(tc))
        .unwrap_or_else(|| "it did not make a function".into());
      Err(JsErrorBox::generic(format!(
        "cannot compile {specifier}: {message}"
      )))
    }
  }
}

/// The stand-in modules import nothing.
fn no_imports<'s>(
  _context: v8::Local<'s, v8::Context>,
  _specifier: v8::Local<'s, v8::String>,
  _attributes: v8::Local<'s, v8::FixedArray>,
  _referrer: v8::Local<'s, v8::Module>,
) -> Option<v8::Local<'s, v8::Module>> {
  None
}
