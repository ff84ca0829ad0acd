//! Errors as a person reads them: start-up failures, and JavaScript
//! exceptions with `path:line:column` frames of the worker's own files.

use deno_core::error::{CoreError, CoreErrorKind, JsError};

/// Why a worker could not start: already formatted for a person.
#[derive(Debug)]
pub struct StartupError(pub String);

impl std::fmt::Display for StartupError {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str(&self.0)
  }
}

impl std::error::Error for StartupError {}

/// A JavaScript error as a person wants to read it: the message, then where
/// it happened as `path:line:column` frames.
pub fn describe_js_error(e: &JsError) -> String {
  let mut out = e
    .exception_message
    .trim_start_matches("Uncaught ")
    .to_string();
  // Frames inside kiln's own JavaScript say nothing about the user's script.
  for frame in e.frames.iter().filter(|f| {
    let file = f.file_name.as_deref().unwrap_or("");
    !file.starts_with("ext:") && !file.starts_with("kiln:")
  }) {
    let file = frame
      .file_name
      .as_deref()
      .map(display_url)
      .unwrap_or_default();
    let at = match (frame.line_number, frame.column_number) {
      (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
      _ => file,
    };
    match &frame.function_name {
      Some(f) if !f.is_empty() => out.push_str(&format!("\n    at {f} ({at})")),
      _ => out.push_str(&format!("\n    at {at}")),
    }
  }
  out
}

pub fn describe_core_error(e: &CoreError) -> String {
  match e.as_kind() {
    CoreErrorKind::Js(js) => describe_js_error(js),
    other => other.to_string(),
  }
}

/// `file:///a/b.js` → `/a/b.js`, since people read paths, not URLs.
pub(crate) fn display_url(url: &str) -> String {
  url::Url::parse(url)
    .ok()
    .filter(|u| u.scheme() == "file")
    .and_then(|u| u.to_file_path().ok())
    .map(|p| p.display().to_string())
    .unwrap_or_else(|| url.to_string())
}
