//! The repository's own rules, checked: docs/architecture.md names every
//! source file, the host crate stays free of any JavaScript engine, and no
//! file points at documents outside the repository.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
  Path::new(env!("CARGO_MANIFEST_DIR"))
    .parent()
    .expect("the repository")
    .to_path_buf()
}

/// Every file git tracks (or would track) below `dir`.
fn tracked(dir: &str) -> Vec<String> {
  let out = Command::new("git")
    .args([
      "ls-files",
      "--cached",
      "--others",
      "--exclude-standard",
      dir,
    ])
    .current_dir(repo())
    .output()
    .expect("git ls-files");
  assert!(out.status.success(), "git ls-files failed");
  String::from_utf8_lossy(&out.stdout)
    .lines()
    .filter(|path| repo().join(path).exists())
    .map(str::to_string)
    .collect()
}

#[test]
fn the_architecture_page_names_every_source_file() {
  let doc =
    std::fs::read_to_string(repo().join("docs/architecture.md")).expect("docs/architecture.md");
  let mut missing = Vec::new();
  for dir in [
    "cli/src",
    "runtime/host/src",
    "runtime/worker/src",
    "ops/src",
    "js",
  ] {
    for path in tracked(dir) {
      // Unit-test files are covered by the module they test.
      if !(path.ends_with(".rs") || path.ends_with(".js")) || path.contains("/tests/") {
        continue;
      }
      let file = Path::new(&path);
      let name = file.file_name().unwrap().to_string_lossy().into_owned();
      let folder = file
        .parent()
        .and_then(Path::file_name)
        .map(|f| format!("{}/", f.to_string_lossy()))
        .unwrap_or_default();
      // A module's mod.rs, lib.rs and tests.rs are named by their folder.
      let named = if matches!(name.as_str(), "mod.rs" | "tests.rs") {
        doc.contains(&format!("`{folder}`")) || doc.contains(&format!("{folder}`"))
      } else if name == "lib.rs" {
        doc.contains("`lib.rs`")
      } else {
        doc.contains(&format!("`{name}`")) || doc.contains(&name)
      };
      if !named {
        missing.push(path);
      }
    }
  }
  assert!(
    missing.is_empty(),
    "docs/architecture.md does not say what these files are: {missing:?}"
  );
}

#[test]
fn the_host_crate_depends_on_no_javascript_engine() {
  let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
  let out = Command::new(cargo)
    .args([
      "tree",
      "--offline",
      "--locked",
      "-p",
      "kiln-host",
      "-e",
      "normal,build",
      "--prefix",
      "none",
    ])
    .current_dir(repo())
    .output()
    .expect("cargo tree");
  let tree = String::from_utf8_lossy(&out.stdout);
  assert!(
    out.status.success(),
    "cargo tree failed: {}",
    String::from_utf8_lossy(&out.stderr)
  );
  assert!(tree.contains("kiln-host"), "an empty tree: {tree}");
  let engine: Vec<&str> = tree
    .lines()
    .filter(|line| {
      let krate = line.split_whitespace().next().unwrap_or("");
      krate.starts_with("deno") || krate == "v8" || krate == "v8x" || krate.starts_with("kiln-ops")
    })
    .collect();
  assert!(engine.is_empty(), "kiln-host depends on {engine:?}");
}

#[test]
fn no_file_points_outside_the_repository() {
  // Documents beside the repository are not there for people who clone it.
  let outside = format!("..{}shared{}", '/', '/');
  let mut hits = Vec::new();
  for path in tracked(".") {
    let Ok(text) = std::fs::read_to_string(repo().join(&path)) else {
      continue; // not text
    };
    for (n, line) in text.lines().enumerate() {
      if line.contains(&outside) {
        hits.push(format!("{path}:{}", n + 1));
      }
    }
  }
  assert!(hits.is_empty(), "these lines cite {outside}: {hits:?}");
}
