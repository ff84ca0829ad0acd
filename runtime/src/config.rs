//! Wrangler configuration: finding the file, reading it, and turning it into
//! the worker kiln starts. This reads the fields a worker needs to run
//! (`name`, `main`, `compatibility_date`, `compatibility_flags`, `vars`,
//! `[dev]`); the rest of wrangler's schema is the compatibility issue's work.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::isolate::WorkerSpec;

/// The names wrangler recognises, in its order of preference: each name is
/// looked for walking up the tree before the next name is tried.
pub const CONFIG_NAMES: [&str; 3] = ["wrangler.json", "wrangler.jsonc", "wrangler.toml"];

#[derive(Debug, Default, Deserialize)]
pub struct RawConfig {
  pub name: Option<String>,
  pub main: Option<String>,
  pub compatibility_date: Option<String>,
  #[serde(default)]
  pub compatibility_flags: Vec<String>,
  #[serde(default)]
  pub vars: serde_json::Map<String, serde_json::Value>,
  #[serde(default)]
  pub dev: DevConfig,
}

#[derive(Debug, Default, Deserialize)]
pub struct DevConfig {
  pub ip: Option<String>,
  pub port: Option<u16>,
}

/// A worker to run, with where its settings came from.
#[derive(Debug)]
pub struct Target {
  pub spec: WorkerSpec,
  pub config_path: Option<PathBuf>,
  pub dev: DevConfig,
}

/// Finds a configuration file for `start` (a directory), wrangler's way.
pub fn discover(start: &Path) -> Option<PathBuf> {
  CONFIG_NAMES.iter().find_map(|name| {
    start
      .ancestors()
      .map(|dir| dir.join(name))
      .find(|candidate| candidate.is_file())
  })
}

/// Reads a configuration file; the format follows the file's ending.
pub fn read_config(path: &Path) -> Result<RawConfig, String> {
  let text = std::fs::read_to_string(path)
    .map_err(|e| format!("Could not read file: {} ({e})", path.display()))?;
  let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
  let is_toml = path.extension().is_some_and(|e| e == "toml");
  let parsed = if is_toml {
    toml::from_str::<RawConfig>(text).map_err(|e| e.to_string())
  } else {
    let options = jsonc_parser::ParseOptions {
      allow_comments: true,
      allow_loose_object_property_names: false,
      allow_trailing_commas: true,
    };
    jsonc_parser::parse_to_serde_value(text, &options)
      .map_err(|e| e.to_string())
      .and_then(|v| v.ok_or_else(|| "the file is empty".to_string()))
      .and_then(|v| serde_json::from_value::<RawConfig>(v).map_err(|e| e.to_string()))
  };
  parsed.map_err(|e| format!("{}: {e}", path.display()))
}

/// Turns `kiln dev [PATH]` into a worker: PATH may be a script, a
/// configuration file, or a directory holding one; without PATH the
/// configuration is discovered from the current directory.
pub fn resolve_target(path: Option<&Path>) -> Result<Target, String> {
  let cwd = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
  let path = path.map(|p| cwd.join(p));
  let config_path = match &path {
    None => Some(discover(&cwd).ok_or_else(|| {
      format!(
        "No worker to run: no wrangler.json, wrangler.jsonc or wrangler.toml in {} or above it, and no script given.",
        cwd.display()
      )
    })?),
    Some(p) if p.is_dir() => Some(discover(p).ok_or_else(|| {
      format!("No wrangler.json, wrangler.jsonc or wrangler.toml in {} or above it.", p.display())
    })?),
    Some(p) if is_config_file(p) => Some(p.clone()),
    Some(_) => None,
  };
  match config_path {
    Some(config_path) => target_from_config(&config_path),
    None => {
      let script = path.expect("a script path");
      let main = script
        .canonicalize()
        .map_err(|e| format!("Cannot open the script {}: {e}", script.display()))?;
      let name = main
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "worker".to_string());
      let root = main.parent().map(Path::to_path_buf).unwrap_or_default();
      Ok(Target {
        spec: WorkerSpec {
          name,
          main,
          root,
          env: serde_json::Value::Object(Default::default()),
        },
        config_path: None,
        dev: DevConfig::default(),
      })
    }
  }
}

fn is_config_file(path: &Path) -> bool {
  matches!(
    path.extension().and_then(|e| e.to_str()),
    Some("toml" | "json" | "jsonc")
  )
}

fn target_from_config(config_path: &Path) -> Result<Target, String> {
  let config = read_config(config_path)?;
  let dir = config_path
    .parent()
    .map(Path::to_path_buf)
    .unwrap_or_default();
  let main = config.main.as_deref().ok_or_else(|| {
    format!(
      "{}: no \"main\" field: kiln needs to know which script to run.",
      config_path.display()
    )
  })?;
  let main_path = dir.join(main);
  let main = main_path.canonicalize().map_err(|e| {
    format!(
      "The entry-point file at \"{}\" was not found ({e}).",
      main_path.display()
    )
  })?;
  let root = dir.canonicalize().unwrap_or(dir);
  let name = config.name.clone().unwrap_or_else(|| {
    main
      .file_stem()
      .map(|s| s.to_string_lossy().into_owned())
      .unwrap_or_else(|| "worker".to_string())
  });
  Ok(Target {
    spec: WorkerSpec {
      name,
      main,
      root,
      env: serde_json::Value::Object(config.vars),
    },
    config_path: Some(config_path.to_path_buf()),
    dev: config.dev,
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  fn temp_tree(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln-config-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    dir
  }

  #[test]
  fn discovery_prefers_json_then_jsonc_then_toml_by_name_before_distance() {
    let dir = temp_tree("discovery");
    let start = dir.join("a/b");
    std::fs::write(start.join("wrangler.toml"), "").unwrap();
    assert_eq!(discover(&start), Some(start.join("wrangler.toml")));
    // A wrangler.jsonc further up beats the wrangler.toml right here.
    std::fs::write(dir.join("a/wrangler.jsonc"), "{}").unwrap();
    assert_eq!(discover(&start), Some(dir.join("a/wrangler.jsonc")));
    std::fs::write(dir.join("wrangler.json"), "{}").unwrap();
    assert_eq!(discover(&start), Some(dir.join("wrangler.json")));
  }

  #[test]
  fn json_configs_accept_comments_and_trailing_commas() {
    let dir = temp_tree("jsonc");
    let path = dir.join("wrangler.json");
    std::fs::write(
      &path,
      "\u{feff}{\n // comment\n \"name\": \"w\", /* block */ \"vars\": {\"A\": 1,},\n}",
    )
    .unwrap();
    let config = read_config(&path).unwrap();
    assert_eq!(config.name.as_deref(), Some("w"));
    assert_eq!(config.vars["A"], 1);
  }

  #[test]
  fn toml_configs_read_dev_and_vars() {
    let dir = temp_tree("toml");
    let path = dir.join("wrangler.toml");
    std::fs::write(
      &path,
      "name = \"t\"\nmain = \"x.js\"\n[vars]\nK = \"v\"\n[dev]\nport = 9999\nip = \"0.0.0.0\"\n",
    )
    .unwrap();
    let config = read_config(&path).unwrap();
    assert_eq!(config.main.as_deref(), Some("x.js"));
    assert_eq!(config.vars["K"], "v");
    assert_eq!(config.dev.port, Some(9999));
    assert_eq!(config.dev.ip.as_deref(), Some("0.0.0.0"));
  }

  #[test]
  fn bad_configs_are_errors_naming_the_file() {
    let dir = temp_tree("bad");
    let path = dir.join("wrangler.json");
    std::fs::write(&path, "").unwrap();
    let err = read_config(&path).unwrap_err();
    assert!(err.contains("wrangler.json"), "{err}");
    std::fs::write(&path, "{\"name\": }").unwrap();
    assert!(read_config(&path).is_err());
    let toml_path = dir.join("wrangler.toml");
    std::fs::write(&toml_path, "name = ").unwrap();
    assert!(read_config(&toml_path)
      .unwrap_err()
      .contains("wrangler.toml"));
    std::fs::write(&toml_path, "main = \"missing.js\"").unwrap();
    let err = resolve_target(Some(&toml_path)).unwrap_err();
    assert!(err.contains("missing.js"), "{err}");
  }
}
