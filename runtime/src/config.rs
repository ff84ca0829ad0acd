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
      ..Default::default()
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
  let main = main_path
    .canonicalize()
    .map_err(|e| format!("The entry-point file at \"{}\" was not found ({e}).", main_path.display()))?;
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
