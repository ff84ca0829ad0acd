//! Wrangler configuration: finding the file, reading it (TOML, JSON, JSONC),
//! validating it in wrangler's words, selecting an environment, and turning
//! it — with the command line's overrides — into a worker to start with its
//! resolved compatibility flags.

pub mod validate;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::compat::{self, CompatDate, CompatInput, Resolved, DEFAULT_COMPATIBILITY_DATE};
pub use validate::Diagnostics;

/// The names wrangler recognises, in its order of preference: each name is
/// looked for walking up the tree before the next name is tried.
pub const CONFIG_NAMES: [&str; 3] = ["wrangler.json", "wrangler.jsonc", "wrangler.toml"];

/// Finds a configuration file for `start` (a directory), wrangler's way.
pub fn discover(start: &Path) -> Option<PathBuf> {
  CONFIG_NAMES.iter().find_map(|name| {
    start
      .ancestors()
      .map(|dir| dir.join(name))
      .find(|candidate| candidate.is_file())
  })
}

/// A configuration file as data, before validation.
#[derive(Debug)]
pub struct RawConfig {
  pub path: PathBuf,
  pub table: Map<String, Value>,
  /// Paths (`vars.X`, `env.E.vars.X`) of TOML date values, which JSON cannot
  /// represent and wrangler rejects.
  pub toml_dates: Vec<String>,
}

/// Reads a configuration file; the format follows the file's ending.
pub fn read_config(path: &Path) -> Result<RawConfig, String> {
  let bytes =
    std::fs::read(path).map_err(|e| format!("Could not read file: {} ({e})", path.display()))?;
  for (bom, encoding) in [
    (&[0xFF, 0xFE, 0, 0][..], "UTF-32 LE"),
    (&[0, 0, 0xFE, 0xFF][..], "UTF-32 BE"),
    (&[0xFF, 0xFE][..], "UTF-16 LE"),
    (&[0xFE, 0xFF][..], "UTF-16 BE"),
  ] {
    if bytes.starts_with(bom) {
      return Err(format!(
        "Configuration file contains {encoding} byte order marker\nThe file \"{}\" appears to be encoded as {encoding}. Please save the file as UTF-8 without BOM.",
        path.display()
      ));
    }
  }
  let text = String::from_utf8(bytes)
    .map_err(|_| format!("{}: the file is not valid UTF-8", path.display()))?;
  let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
  let mut toml_dates = Vec::new();
  let value = match path.extension().and_then(|e| e.to_str()) {
    Some("toml") => {
      let value: toml::Value = toml::from_str(text)
        .map_err(|e| format!("{}: {}", path.display(), e.to_string().trim_end()))?;
      toml_to_json(value, "", &mut toml_dates)
    }
    Some("json" | "jsonc") => {
      let options = jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_loose_object_property_names: false,
        allow_trailing_commas: true,
      };
      jsonc_parser::parse_to_serde_value(text, &options)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .ok_or_else(|| format!("{}: ValueExpected: the file is empty", path.display()))?
    }
    // wrangler reads any other ending as an empty configuration.
    _ => Value::Object(Map::new()),
  };
  let Value::Object(table) = value else {
    return Err(format!(
      "{}: the configuration must be an object, but got {}.",
      path.display(),
      validate::show(&value)
    ));
  };
  Ok(RawConfig {
    path: path.to_path_buf(),
    table,
    toml_dates,
  })
}

fn toml_to_json(value: toml::Value, path: &str, dates: &mut Vec<String>) -> Value {
  match value {
    toml::Value::String(s) => Value::String(s),
    toml::Value::Integer(i) => Value::from(i),
    toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
    toml::Value::Boolean(b) => Value::Bool(b),
    toml::Value::Datetime(d) => {
      dates.push(path.to_string());
      Value::String(d.to_string())
    }
    toml::Value::Array(items) => Value::Array(
      items
        .into_iter()
        .enumerate()
        .map(|(i, v)| toml_to_json(v, &format!("{path}[{i}]"), dates))
        .collect(),
    ),
    toml::Value::Table(table) => Value::Object(
      table
        .into_iter()
        .map(|(k, v)| {
          let child = if path.is_empty() {
            k.clone()
          } else {
            format!("{path}.{k}")
          };
          let v = toml_to_json(v, &child, dates);
          (k, v)
        })
        .collect(),
    ),
  }
}

/// What the command line says on top of the configuration.
#[derive(Clone, Debug)]
pub struct Overrides {
  /// `--env` (or `CLOUDFLARE_ENV`).
  pub env: Option<String>,
  pub compatibility_date: Option<String>,
  /// `--compatibility-flags`: replaces the configured list when given.
  pub compatibility_flags: Option<Vec<String>>,
  /// `--var KEY:VALUE`, added to (and overriding) the configured vars.
  pub vars: Vec<(String, String)>,
  pub experimental: bool,
  pub today: CompatDate,
}

impl Default for Overrides {
  fn default() -> Self {
    Overrides {
      env: None,
      compatibility_date: None,
      compatibility_flags: None,
      vars: Vec::new(),
      experimental: false,
      today: CompatDate::today(),
    }
  }
}

/// `[dev]` settings.
#[derive(Clone, Debug, Default)]
pub struct DevConfig {
  pub ip: Option<String>,
  pub port: Option<u16>,
}

/// A service binding: `env.BINDING` is a fetcher for worker `service`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceBinding {
  pub binding: String,
  pub service: String,
}

/// One environment's effective configuration, after inheritance.
#[derive(Clone, Debug, Default)]
pub struct EffectiveConfig {
  pub name: Option<String>,
  pub main: Option<String>,
  pub compatibility_date: Option<String>,
  pub compatibility_flags: Vec<String>,
  pub vars: Map<String, Value>,
  pub routes: Vec<String>,
  pub services: Vec<ServiceBinding>,
  pub dev: DevConfig,
}

/// Validates a configuration and applies the environment's inheritance.
/// Diagnostics are collected into `diag`; the result is usable only when
/// `diag` has no errors.
pub fn effective_config(
  raw: &RawConfig,
  env: Option<&str>,
  diag: &mut Diagnostics,
) -> EffectiveConfig {
  validate::check_level(&raw.table, true, "top-level", &raw.toml_dates, diag);
  let envs = raw.table.get("env");
  let mut level = raw.table.clone();
  let mut env_suffix = None;
  if let Some(envs_value) = envs {
    if !envs_value.is_object() {
      diag.errors.push(format!(
        "The field \"env\" should be an object but got {}.",
        validate::show(envs_value)
      ));
    }
  }
  if let Some(env_name) = env {
    match envs.and_then(Value::as_object) {
      None => diag.warnings.push(format!(
        "No environment found in configuration with name \"{env_name}\".\nBefore using `--env={env_name}` there should be an equivalent environment section in the configuration.\n\nConsider adding an environment configuration section to the configuration file:\n[env.{env_name}]\n\nUsing the top-level configuration."
      )),
      Some(tables) => match tables.get(env_name) {
        None => {
          let names: Vec<String> = tables.keys().map(|k| format!("\"{k}\"")).collect();
          diag.errors.push(format!(
            "No environment found in configuration with name \"{env_name}\".\nBefore using `--env={env_name}` there should be an equivalent environment section in the configuration.\nThe available configured environment names are: [{}]",
            names.join(",")
          ));
        }
        Some(env_value) => {
          let mut child = Diagnostics::new(format!("\"env.{env_name}\" environment configuration"));
          match env_value.as_object() {
            None => child.errors.push(format!(
              "The field \"env.{env_name}\" should be an object but got {}.",
              validate::show(env_value)
            )),
            Some(env_table) => {
              validate::check_level(
                env_table,
                false,
                &format!("env.{env_name}"),
                &raw.toml_dates,
                &mut child,
              );
              warn_missing_non_inheritable(&raw.table, env_table, env_name, &mut child);
              level = inherit(&raw.table, env_table);
              if !env_table.contains_key("name") {
                env_suffix = Some(env_name.to_string());
              }
            }
          }
          diag.children.push(child);
        }
      },
    }
  }
  to_effective(&level, env_suffix.as_deref())
}

/// The environment's own keys, plus inherited keys it omits; bindings are
/// not inherited.
fn inherit(top: &Map<String, Value>, env: &Map<String, Value>) -> Map<String, Value> {
  let mut out = Map::new();
  for (key, value) in top {
    if validate::INHERITABLE.contains(&key.as_str()) || key == "dev" {
      out.insert(key.clone(), value.clone());
    }
  }
  for (key, value) in env {
    if !validate::TOP_LEVEL_ONLY.contains(&key.as_str()) {
      out.insert(key.clone(), value.clone());
    }
  }
  out
}

fn warn_missing_non_inheritable(
  top: &Map<String, Value>,
  env: &Map<String, Value>,
  env_name: &str,
  diag: &mut Diagnostics,
) {
  for field in ["vars", "services"] {
    let Some(top_value) = top.get(field) else {
      continue;
    };
    let top_empty = match top_value {
      Value::Object(o) => o.is_empty(),
      Value::Array(a) => a.is_empty(),
      _ => true,
    };
    if top_empty {
      continue;
    }
    match env.get(field) {
      None => diag.warnings.push(format!(
        "\"{field}\" exists at the top level, but not on \"env.{env_name}\".\nThis is not what you probably want, since \"{field}\" is not inherited by environments.\nPlease add \"{field}\" to \"env.{env_name}\"."
      )),
      Some(env_value) if field == "vars" => {
        let (Some(top_vars), Some(env_vars)) = (top_value.as_object(), env_value.as_object()) else {
          continue;
        };
        let missing: Vec<&String> = top_vars.keys().filter(|k| !env_vars.contains_key(*k)).collect();
        if !missing.is_empty() {
          let list: Vec<String> = missing.iter().map(|k| format!("- {k}")).collect();
          diag.warnings.push(format!(
            "The following vars exist at the top level, but not on \"env.{env_name}.vars\".\nThis is not what you probably want, since \"vars\" configuration is not inherited by environments.\nPlease add these vars to \"env.{env_name}.vars\".\n{}",
            list.join("\n")
          ));
        }
      }
      Some(_) => {}
    }
  }
}

fn to_effective(table: &Map<String, Value>, env_suffix: Option<&str>) -> EffectiveConfig {
  let string = |key: &str| table.get(key).and_then(Value::as_str).map(str::to_string);
  let name = string("name").map(|name| match env_suffix {
    Some(env) => format!("{name}-{env}"),
    None => name,
  });
  let routes = match (table.get("routes"), table.get("route")) {
    (Some(Value::Array(list)), _) => list.iter().filter_map(route_pattern).collect(),
    (_, Some(route)) => route_pattern(route).into_iter().collect(),
    _ => Vec::new(),
  };
  let services = table
    .get("services")
    .and_then(Value::as_array)
    .map(|list| {
      list
        .iter()
        .filter_map(|s| {
          Some(ServiceBinding {
            binding: s.get("binding")?.as_str()?.to_string(),
            service: s.get("service")?.as_str()?.to_string(),
          })
        })
        .collect()
    })
    .unwrap_or_default();
  let dev = table.get("dev").and_then(Value::as_object);
  EffectiveConfig {
    name,
    main: string("main"),
    compatibility_date: string("compatibility_date"),
    compatibility_flags: table
      .get("compatibility_flags")
      .and_then(Value::as_array)
      .map(|a| {
        a.iter()
          .filter_map(|v| v.as_str().map(str::to_string))
          .collect()
      })
      .unwrap_or_default(),
    vars: table
      .get("vars")
      .and_then(Value::as_object)
      .cloned()
      .unwrap_or_default(),
    routes,
    services,
    dev: DevConfig {
      ip: dev.and_then(|d| d.get("ip")?.as_str().map(str::to_string)),
      port: dev
        .and_then(|d| d.get("port")?.as_u64())
        .and_then(|p| u16::try_from(p).ok()),
    },
  }
}

fn route_pattern(route: &Value) -> Option<String> {
  match route {
    Value::String(s) if !s.is_empty() => Some(s.clone()),
    Value::Object(o) => o.get("pattern")?.as_str().map(str::to_string),
    _ => None,
  }
}

/// Where a worker comes from on the command line.
#[derive(Clone, Debug)]
pub enum Source {
  /// A configuration file.
  Config(PathBuf),
  /// A script run without configuration.
  Script(PathBuf),
}

/// Turns `kiln dev [PATH]` into a source: PATH may be a script, a
/// configuration file, or a directory; without PATH the configuration is
/// discovered from the current directory.
pub fn find_source(path: Option<&Path>) -> Result<Source, String> {
  let cwd = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
  let Some(path) = path.map(|p| cwd.join(p)) else {
    return discover(&cwd).map(Source::Config).ok_or_else(|| {
      format!(
        "No worker to run: no wrangler.json, wrangler.jsonc or wrangler.toml in {} or above it, and no script given.",
        cwd.display()
      )
    });
  };
  if path.is_dir() {
    return discover(&path).map(Source::Config).ok_or_else(|| {
      format!(
        "No wrangler.json, wrangler.jsonc or wrangler.toml in {} or above it.",
        path.display()
      )
    });
  }
  if matches!(
    path.extension().and_then(|e| e.to_str()),
    Some("toml" | "json" | "jsonc")
  ) {
    return Ok(Source::Config(path));
  }
  // A script: wrangler still reads the configuration found from the script's
  // directory (for its date, flags and vars), with the script as `main`.
  Ok(Source::Script(path))
}

/// Everything needed to start one worker, as plain data.
#[derive(Clone, Debug)]
pub struct WorkerSpec {
  pub name: String,
  /// The entry script (canonical path).
  pub main: PathBuf,
  /// Imports are allowed below this directory only.
  pub root: PathBuf,
  /// The vars of the `env` given to handlers.
  pub env: Value,
  /// The resolved compatibility date and flags.
  pub compat: Resolved,
  /// Service bindings: binding name → name of the worker it calls.
  pub services: Vec<(String, String)>,
}

/// A worker ready to start, and what kiln has to say about its configuration.
#[derive(Debug)]
pub struct WorkerPlan {
  pub spec: WorkerSpec,
  pub dev: DevConfig,
  pub routes: Vec<String>,
  pub services: Vec<ServiceBinding>,
  /// Rendered warnings (empty when there are none).
  pub warnings: String,
}

/// Reads, validates and resolves one worker. On failure the error is every
/// problem found, rendered for a person.
pub fn plan_worker(source: &Source, overrides: &Overrides) -> Result<WorkerPlan, String> {
  let (raw, script) = match source {
    Source::Config(path) => (Some(read_config(path)?), None),
    Source::Script(script) => {
      let dir = script.parent().unwrap_or(Path::new("."));
      let raw = discover(dir).map(|p| read_config(&p)).transpose()?;
      (raw, Some(script.clone()))
    }
  };
  let heading = match &raw {
    Some(raw) => format!("Processing {} configuration:", display_relative(&raw.path)),
    None => "Processing wrangler configuration:".to_string(),
  };
  let mut diag = Diagnostics::new(heading);
  let config = match &raw {
    Some(raw) => effective_config(raw, overrides.env.as_deref(), &mut diag),
    None => EffectiveConfig::default(),
  };
  let config_dir = raw
    .as_ref()
    .and_then(|r| r.path.parent().map(Path::to_path_buf))
    .unwrap_or_else(|| std::env::current_dir().unwrap_or_default());

  let main = match (&script, &config.main) {
    (Some(script), _) => Some(script.clone()),
    (None, Some(main)) => Some(config_dir.join(main)),
    (None, None) => {
      diag.errors.push(
        "Missing entry-point to Worker script or to assets directory\nAdd \"main\" to the configuration, or run `kiln dev path/to/script.js`."
          .to_string(),
      );
      None
    }
  };
  let main = main.and_then(|main| match main.canonicalize() {
    Ok(path) => Some(path),
    Err(_) => {
      diag.errors.push(format!(
        "The entry-point file at \"{}\" was not found.",
        display_relative(&main)
      ));
      None
    }
  });

  if overrides.compatibility_date.is_none() && config.compatibility_date.is_none() {
    if let Some(raw) = &raw {
      let suggestion = match raw.path.extension().and_then(|e| e.to_str()) {
        Some("toml") => format!("compatibility_date = \"{DEFAULT_COMPATIBILITY_DATE}\""),
        _ => format!("\"compatibility_date\": \"{DEFAULT_COMPATIBILITY_DATE}\""),
      };
      diag.warnings.push(format!(
        "No compatibility_date was specified. Using the default compatibility date: {DEFAULT_COMPATIBILITY_DATE}.\n❯❯ Add one to your {} file: {suggestion}, or\n❯❯ Pass it in your terminal: kiln dev --compatibility-date={DEFAULT_COMPATIBILITY_DATE}",
        display_relative(&raw.path)
      ));
    }
  }
  let compat = resolve_compat(&config, overrides, &mut diag);

  let mut vars = config.vars.clone();
  for (key, value) in &overrides.vars {
    vars.insert(key.clone(), Value::String(value.clone()));
  }

  let warnings = if diag.has_warnings() {
    diag.render(false)
  } else {
    String::new()
  };
  if diag.has_errors() {
    let mut out = diag.render(true);
    if !warnings.is_empty() {
      out.push_str("\nWarnings:\n");
      out.push_str(&warnings);
    }
    return Err(out.trim_end().to_string());
  }
  let (main, compat) = (main.expect("checked above"), compat.expect("checked above"));
  let name = config.name.clone().unwrap_or_else(|| {
    main
      .file_stem()
      .map(|s| s.to_string_lossy().into_owned())
      .unwrap_or_else(|| "worker".to_string())
  });
  let root = if raw.is_some() && main.starts_with(config_dir.canonicalize().unwrap_or_default()) {
    config_dir.canonicalize().unwrap_or(config_dir)
  } else {
    main.parent().map(Path::to_path_buf).unwrap_or_default()
  };
  Ok(WorkerPlan {
    spec: WorkerSpec {
      name,
      main,
      root,
      env: Value::Object(vars),
      compat,
      services: Vec::new(),
    },
    dev: config.dev,
    routes: config.routes,
    services: config.services,
    warnings,
  })
}

/// Resolves the compatibility flags of a configuration (for `kiln compat`).
pub fn plan_compat(
  source: Option<&Source>,
  overrides: &Overrides,
) -> Result<(Resolved, String), String> {
  let raw = match source {
    Some(Source::Config(path)) => Some(read_config(path)?),
    _ => None,
  };
  let mut diag = Diagnostics::new(match &raw {
    Some(raw) => format!("Processing {} configuration:", display_relative(&raw.path)),
    None => "Compatibility flags:".to_string(),
  });
  let config = match &raw {
    Some(raw) => effective_config(raw, overrides.env.as_deref(), &mut diag),
    None => EffectiveConfig::default(),
  };
  let resolved = resolve_compat(&config, overrides, &mut diag);
  match resolved {
    Some(resolved) if !diag.has_errors() => {
      let warnings = if diag.has_warnings() {
        diag.render(false)
      } else {
        String::new()
      };
      Ok((resolved, warnings))
    }
    _ => Err(diag.render(true).trim_end().to_string()),
  }
}

/// The compatibility date (the command line's, else the configuration's,
/// else kiln's default) and flags (the command line's list replaces the
/// configuration's), resolved; every problem goes into `diag`.
fn resolve_compat(
  config: &EffectiveConfig,
  overrides: &Overrides,
  diag: &mut Diagnostics,
) -> Option<Resolved> {
  let date = overrides
    .compatibility_date
    .as_deref()
    .or(config.compatibility_date.as_deref())
    .unwrap_or(DEFAULT_COMPATIBILITY_DATE);
  let flags = overrides
    .compatibility_flags
    .as_ref()
    .unwrap_or(&config.compatibility_flags);
  match compat::resolve(&CompatInput {
    date,
    flags,
    experimental: overrides.experimental,
    today: overrides.today,
  }) {
    Ok(resolved) => {
      diag.warnings.extend(resolved.warnings.iter().cloned());
      Some(resolved)
    }
    Err(errors) => {
      diag.errors.extend(errors.errors);
      diag.warnings.extend(errors.warnings);
      None
    }
  }
}

/// A path relative to the current directory when it is below it.
fn display_relative(path: &Path) -> String {
  let cwd = std::env::current_dir().unwrap_or_default();
  path
    .strip_prefix(&cwd)
    .map(|p| p.display().to_string())
    .unwrap_or_else(|_| path.display().to_string())
}

#[cfg(test)]
mod tests;
