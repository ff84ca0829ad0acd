//! Embeds every JavaScript file the isolate's extensions load (deno_web,
//! deno_fetch, deno_webidl, deno_crypto and kiln's own js/) into the binary.
//!
//! deno_core's `extension!` records each file by its absolute path on the
//! build machine and reads it at every isolate start; kiln swaps those
//! sources for the copies embedded here (src/embed.rs), so that the binary
//! runs wherever it is copied. The files are found through `cargo metadata`
//! (each crate's folder, wherever the registry or a vendor folder keeps
//! it), and listed in `$OUT_DIR/embedded_js.rs` by the same absolute path.

use std::path::{Path, PathBuf};

/// The crates whose extensions kiln instantiates (runtime/worker/src/isolate.rs).
const CRATES: &[&str] = &[
  "deno_webidl",
  "deno_web",
  "deno_fetch",
  "deno_crypto",
  "kiln-ops",
];

fn main() {
  let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
  let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
  // Only this target's packages (the others may not be downloaded), from
  // what is already on disk; the network only if that is not enough.
  let target = std::env::var("TARGET").unwrap();
  let metadata = |offline: bool| {
    let mut command = std::process::Command::new(&cargo);
    command
      .args([
        "metadata",
        "--format-version",
        "1",
        "--filter-platform",
        &target,
      ])
      .current_dir(&manifest_dir);
    if offline {
      command.arg("--offline");
    }
    command.output().expect("run cargo metadata")
  };
  let mut output = metadata(true);
  if !output.status.success() {
    output = metadata(false);
  }
  assert!(
    output.status.success(),
    "cargo metadata failed: {}",
    String::from_utf8_lossy(&output.stderr)
  );
  let metadata: serde_json::Value =
    serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON");
  let mut files = Vec::new();
  for package in metadata["packages"].as_array().expect("packages") {
    let name = package["name"].as_str().unwrap_or_default();
    if !CRATES.contains(&name) {
      continue;
    }
    let dir = Path::new(package["manifest_path"].as_str().expect("manifest_path"))
      .parent()
      .expect("a crate's folder")
      .to_path_buf();
    // kiln-ops declares its files from ../js.
    let dir = if name == "kiln-ops" {
      dir.parent().unwrap().join("js")
    } else {
      dir
    };
    collect(&dir, &mut files);
    println!("cargo:rerun-if-changed={}", dir.display());
  }
  files.sort();
  files.dedup();
  let mut code = String::from(
    "/// Every embedded file, by the absolute path its extension records.\n\
     pub static FILES: &[(&str, deno_core::FastStaticString)] = &[\n",
  );
  for file in &files {
    let path = file.display().to_string();
    let text = std::fs::read(file).expect("read a JavaScript file");
    if !text.is_ascii() {
      // deno_core only runs 7-bit ASCII extension code; such a file is
      // never an extension's.
      continue;
    }
    code.push_str(&format!(
      "  ({path:?}, deno_core::ascii_str_include!({path:?})),\n"
    ));
  }
  code.push_str("];\n");
  let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded_js.rs");
  std::fs::write(out, code).expect("write embedded_js.rs");
  println!("cargo:rerun-if-changed=build.rs");
}

/// Every `.js` file under `dir`, except tests'.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
  let Ok(entries) = std::fs::read_dir(dir) else {
    return;
  };
  for entry in entries.flatten() {
    let path = entry.path();
    let name = entry.file_name();
    let name = name.to_string_lossy();
    if path.is_dir() {
      if !matches!(
        name.as_ref(),
        "tests" | "testdata" | "benches" | "node_modules" | "target"
      ) {
        collect(&path, out);
      }
    } else if name.ends_with(".js") {
      out.push(path);
    }
  }
}
