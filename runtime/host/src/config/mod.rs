//! Wrangler configuration: finding the file, reading it (TOML, JSON, JSONC),
//! validating it in wrangler's words, selecting an environment, and turning
//! it — with the command line's overrides — into a worker to start with its
//! resolved compatibility flags.

pub mod dev_vars;
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
  parse_config(path, bytes)
}

/// Parses the bytes of the configuration file at `path` (named in errors;
/// its ending picks the format).
pub fn parse_config(path: &Path, bytes: Vec<u8>) -> Result<RawConfig, String> {
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
  /// `--persist-to DIR`: local state goes there instead of
  /// `.wrangler/state` beside the configuration (resolved against the cwd).
  pub persist_to: Option<PathBuf>,
  /// `--no-persist`: local state lives in memory and dies with the process.
  pub no_persist: bool,
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
      persist_to: None,
      no_persist: false,
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
  /// `script_name` as configured (not yet compared with the worker's name).
  pub durable_objects: Vec<DurableObjectBinding>,
  pub migrations: Vec<Migration>,
  /// The configured rules only; `module_rules` adds wrangler's defaults.
  pub rules: Vec<RuleConfig>,
  pub kv_namespaces: Vec<KvNamespace>,
  pub d1_databases: Vec<D1DatabaseBinding>,
  pub queue_producers: Vec<QueueProducer>,
  pub queue_consumers: Vec<crate::queues::ConsumerSettings>,
  pub r2_buckets: Vec<R2BucketBinding>,
  /// `[limits] cpu_ms`.
  pub cpu_ms: Option<u64>,
  /// `[triggers] crons`.
  pub crons: Vec<String>,
  /// `[assets]` as configured (checked by `validate`, resolved by
  /// `plan_worker`).
  pub assets: Option<Map<String, Value>>,
  /// Bindings and settings kiln does not emulate, as people would name
  /// them (`R2 bucket "BUCKET" (r2_buckets)`), for a start-up warning.
  pub unemulated: Vec<String>,
}

/// A KV namespace binding: `env.BINDING` reads and writes namespace `id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvNamespace {
  pub binding: String,
  /// The configured id; without one, the binding's name (as wrangler dev
  /// names a local namespace).
  pub id: String,
}

/// A D1 binding: `env.BINDING` queries database `id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct D1DatabaseBinding {
  pub binding: String,
  /// The id a local database is kept under: `preview_database_id`, else
  /// `database_id`, else the binding's name, as wrangler dev picks it.
  pub id: String,
  pub database_name: Option<String>,
  /// Where `kiln d1 migrations apply` finds the `.sql` files, relative to
  /// the configuration (`migrations` by default).
  pub migrations_dir: String,
  /// The table recording applied migrations (`d1_migrations` by default).
  pub migrations_table: String,
}

/// An R2 binding: `env.BINDING` is the local bucket `bucket` (wrangler dev's
/// choice: `preview_bucket_name`, else `bucket_name`, else the binding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct R2BucketBinding {
  pub binding: String,
  pub bucket: String,
}

/// A queue producer binding: `env.BINDING.send()` sends to `queue`.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueProducer {
  pub binding: String,
  pub queue: String,
  /// Seconds every message waits unless it names its own delay.
  pub delivery_delay: Option<f64>,
}

/// A Durable Object binding: `env.NAME` is the namespace of `class_name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurableObjectBinding {
  pub name: String,
  pub class_name: String,
  /// The worker of this process that defines the class, when it is another
  /// worker. In a `WorkerSpec` a `script_name` naming the worker itself is
  /// `None`, which is what makes the binding local.
  pub script_name: Option<String>,
}

/// A Durable Object class the worker itself defines (and must export).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurableObjectClass {
  pub class_name: String,
  /// Declared by `new_sqlite_classes`: wrangler's `enableSql`.
  pub sqlite: bool,
}

/// One `[[migrations]]` entry, keeping only what a local run replays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Migration {
  pub tag: String,
  pub new_classes: Vec<String>,
  pub new_sqlite_classes: Vec<String>,
  /// `(from, to)` pairs.
  pub renamed_classes: Vec<(String, String)>,
  pub deleted_classes: Vec<String>,
}

/// What a module rule turns a matching file into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModuleKind {
  ESModule,
  CommonJS,
  CompiledWasm,
  Text,
  Data,
}

impl ModuleKind {
  /// The rule `type` as written in the configuration.
  pub fn name(self) -> &'static str {
    match self {
      ModuleKind::ESModule => "ESModule",
      ModuleKind::CommonJS => "CommonJS",
      ModuleKind::CompiledWasm => "CompiledWasm",
      ModuleKind::Text => "Text",
      ModuleKind::Data => "Data",
    }
  }

  pub fn parse(name: &str) -> Option<ModuleKind> {
    [
      ModuleKind::ESModule,
      ModuleKind::CommonJS,
      ModuleKind::CompiledWasm,
      ModuleKind::Text,
      ModuleKind::Data,
    ]
    .into_iter()
    .find(|kind| kind.name() == name)
  }
}

/// A module rule in force: files whose path (relative to the worker's root)
/// matches one of `globs` are imported as `kind`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleRule {
  pub kind: ModuleKind,
  pub globs: Vec<String>,
  pub fallthrough: bool,
}

/// A `[[rules]]` entry as configured. An explicit `fallthrough = false`
/// silences wrangler's warning about the rules it shadows, so it is kept
/// apart from an absent one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleConfig {
  pub kind: ModuleKind,
  pub globs: Vec<String>,
  pub fallthrough: Option<bool>,
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
  for field in [
    "vars",
    "services",
    "durable_objects",
    "kv_namespaces",
    "d1_databases",
    "queues",
    "r2_buckets",
  ] {
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
      Some(env_value) if field == "durable_objects" => {
        // Wrangler compares names only when the environment's block is valid.
        if !validate::check_durable_objects(env_value, field, &mut Diagnostics::default()) {
          continue;
        }
        let env_names = validate::durable_object_binding_names(Some(env_value));
        let missing: Vec<String> = validate::durable_object_binding_names(Some(top_value))
          .into_iter()
          .filter(|name| !env_names.contains(name))
          .map(|name| format!("- {name}"))
          .collect();
        if !missing.is_empty() {
          diag.warnings.push(format!(
            "The following bindings are at the top level, but not on \"env.{env_name}\".\nThis is not what you probably want, since \"durable_objects\" configuration is not inherited by environments.\nPlease add a binding for each to \"env.{env_name}.durable_objects.bindings\":\n{}",
            missing.join("\n")
          ));
        }
      }
      Some(env_value) if field == "kv_namespaces" => {
        let names = |v: &Value| -> Vec<String> {
          v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| Some(b.get("binding")?.as_str()?.to_string()))
            .collect()
        };
        let env_names = names(env_value);
        for name in names(top_value).iter().filter(|n| !env_names.contains(n)) {
          diag.warnings.push(format!(
            "There is a kv_namespaces binding with name \"{name}\" at the top level, but not on \"env.{env_name}\".\nThis is not what you probably want, since \"kv_namespaces\" configuration is not inherited by environments.\nPlease add a binding for \"{name}\" to \"env.{env_name}.kv_namespaces\"."
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
  let strings = |value: Option<&Value>| -> Vec<String> {
    value
      .and_then(Value::as_array)
      .map(|a| {
        a.iter()
          .filter_map(|v| v.as_str().map(str::to_string))
          .collect()
      })
      .unwrap_or_default()
  };
  let durable_objects = table
    .get("durable_objects")
    .and_then(|d| d.get("bindings"))
    .and_then(Value::as_array)
    .map(|list| {
      list
        .iter()
        .filter_map(|b| {
          Some(DurableObjectBinding {
            name: b.get("name")?.as_str()?.to_string(),
            class_name: b.get("class_name")?.as_str()?.to_string(),
            script_name: match b.get("script_name") {
              None => None,
              Some(script) => Some(script.as_str()?.to_string()),
            },
          })
        })
        .collect()
    })
    .unwrap_or_default();
  let migrations = table
    .get("migrations")
    .and_then(Value::as_array)
    .map(|list| {
      list
        .iter()
        .map(|m| Migration {
          tag: m
            .get("tag")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
          new_classes: strings(m.get("new_classes")),
          new_sqlite_classes: strings(m.get("new_sqlite_classes")),
          renamed_classes: m
            .get("renamed_classes")
            .and_then(Value::as_array)
            .map(|pairs| {
              pairs
                .iter()
                .filter_map(|p| {
                  Some((
                    p.get("from")?.as_str()?.to_string(),
                    p.get("to")?.as_str()?.to_string(),
                  ))
                })
                .collect()
            })
            .unwrap_or_default(),
          deleted_classes: strings(m.get("deleted_classes")),
        })
        .collect()
    })
    .unwrap_or_default();
  let rules = table
    .get("rules")
    .and_then(Value::as_array)
    .map(|list| {
      list
        .iter()
        .filter_map(|r| {
          Some(RuleConfig {
            kind: ModuleKind::parse(r.get("type")?.as_str()?)?,
            globs: strings(r.get("globs")),
            fallthrough: r.get("fallthrough").and_then(Value::as_bool),
          })
        })
        .collect()
    })
    .unwrap_or_default();
  let kv_namespaces = table
    .get("kv_namespaces")
    .and_then(Value::as_array)
    .map(|list| {
      list
        .iter()
        .filter_map(|b| {
          let binding = b.get("binding")?.as_str()?.to_string();
          let id = b
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map_or_else(|| binding.clone(), str::to_string);
          Some(KvNamespace { binding, id })
        })
        .collect()
    })
    .unwrap_or_default();
  let d1_databases = table
    .get("d1_databases")
    .and_then(Value::as_array)
    .map(|list| list.iter().filter_map(d1_binding).collect())
    .unwrap_or_default();
  let (queue_producers, queue_consumers) = queue_bindings(table);
  let r2_buckets = table
    .get("r2_buckets")
    .and_then(Value::as_array)
    .map(|list| {
      list
        .iter()
        .filter_map(|b| {
          let binding = b.get("binding")?.as_str()?.to_string();
          let text = |key: &str| b.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
          let bucket = text("preview_bucket_name")
            .or_else(|| text("bucket_name"))
            .unwrap_or(&binding)
            .to_string();
          Some(R2BucketBinding { binding, bucket })
        })
        .collect()
    })
    .unwrap_or_default();
  EffectiveConfig {
    cpu_ms: table
      .get("limits")
      .and_then(|l| l.get("cpu_ms"))
      .and_then(Value::as_f64)
      .filter(|ms| *ms >= 1.0)
      .map(|ms| ms as u64),
    r2_buckets,
    d1_databases,
    queue_producers,
    queue_consumers,
    crons: strings(table.get("triggers").and_then(|t| t.get("crons"))),
    assets: table.get("assets").and_then(Value::as_object).cloned(),
    unemulated: unemulated(table),
    kv_namespaces,
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
    durable_objects,
    migrations,
    rules,
  }
}

/// `[assets]` resolved against the configuration's folder, with wrangler's
/// messages for what is missing.
fn resolve_assets(
  table: &Map<String, Value>,
  config_dir: &Path,
  diag: &mut Diagnostics,
) -> Option<crate::assets::AssetsConfig> {
  use crate::assets::{AssetsConfig, HtmlHandling, NotFoundHandling, RunWorkerFirst};
  let directory = match table.get("directory").and_then(Value::as_str) {
    None => {
      diag.errors.push(
        "The `assets` property in your configuration is missing the required `directory` property."
          .to_string(),
      );
      return None;
    }
    Some("") => {
      diag
        .errors
        .push("The assets directory cannot be an empty string.".to_string());
      return None;
    }
    Some(dir) => config_dir.join(dir),
  };
  let absolute = std::env::current_dir().unwrap_or_default().join(&directory);
  if !absolute.exists() {
    diag.errors.push(format!(
      "The directory specified by the \"assets.directory\" field in your configuration file does not exist:\n{}",
      absolute.display()
    ));
    return None;
  }
  if !absolute.is_dir() {
    diag.errors.push(format!(
      "The path specified by the \"assets.directory\" field in your configuration file doesn't point to a directory:\n{}",
      absolute.display()
    ));
    return None;
  }
  if table.get("run_worker_first") == Some(&Value::Bool(true)) && table.get("binding").is_none() {
    diag.warnings.push("run_worker_first=true set without an assets binding\nSetting run_worker_first to true will always invoke your Worker script.\nTo fetch your assets from your Worker, please set the [assets.binding] key in your configuration file.".to_string());
  }
  let run_worker_first = match table.get("run_worker_first") {
    Some(Value::Bool(true)) => RunWorkerFirst::Always,
    Some(Value::Array(rules)) => {
      let rules: Vec<&str> = rules.iter().filter_map(Value::as_str).collect();
      let mut worker = Vec::new();
      let mut assets = Vec::new();
      let mut invalid = Vec::new();
      for rule in &rules {
        if let Some(rest) = rule.strip_prefix('!') {
          if rest.starts_with('/') {
            assets.push(rest.to_string());
          } else {
            invalid.push(format!("'{rule}': negative rules must start with '!/'"));
          }
        } else if rule.starts_with('/') {
          worker.push(rule.to_string());
        } else {
          invalid.push(format!("'{rule}': rules must start with '/' or '!/'"));
        }
      }
      if rules.is_empty() {
        diag.errors.push(
          "No `run_worker_first` rules were provided; must provide at least 1 rule.".to_string(),
        );
      } else if !invalid.is_empty() {
        diag.errors.push(format!(
          "Invalid routes in `run_worker_first`:\n{}",
          invalid.join("\n")
        ));
      } else if worker.is_empty() {
        diag.errors.push("Only negative `run_worker_first` rules were provided; must provide at least 1 non-negative rule".to_string());
      }
      RunWorkerFirst::Rules { worker, assets }
    }
    _ => RunWorkerFirst::Never,
  };
  Some(AssetsConfig {
    directory: absolute.canonicalize().unwrap_or(absolute),
    binding: table
      .get("binding")
      .and_then(Value::as_str)
      .map(str::to_string),
    html_handling: table
      .get("html_handling")
      .and_then(Value::as_str)
      .and_then(HtmlHandling::parse)
      .unwrap_or(HtmlHandling::AutoTrailingSlash),
    not_found_handling: table
      .get("not_found_handling")
      .and_then(Value::as_str)
      .and_then(NotFoundHandling::parse)
      .unwrap_or(NotFoundHandling::None),
    run_worker_first,
  })
}

/// The script of an assets-only worker: every request goes to the assets,
/// so it never runs; it exists because every worker has an isolate.
fn assets_only_script() -> Result<PathBuf, String> {
  let dir = std::env::temp_dir().join(format!("kiln-assets-only-{}", std::process::id()));
  std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
  let path = dir.join("assets-only.js");
  std::fs::write(
    &path,
    "// kiln: the script of a worker that only serves assets.\nexport default { fetch() { return new Response(null, { status: 404 }); } };\n",
  )
  .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
  Ok(path)
}

/// `queues.producers` and `queues.consumers`; what `validate` refused is
/// left out.
fn queue_bindings(
  table: &Map<String, Value>,
) -> (Vec<QueueProducer>, Vec<crate::queues::ConsumerSettings>) {
  use crate::queues::{self, ConsumerSettings};
  let list = |key: &str| -> Vec<Value> {
    table
      .get("queues")
      .and_then(|q| q.get(key))
      .and_then(Value::as_array)
      .cloned()
      .unwrap_or_default()
  };
  let producers = list("producers")
    .iter()
    .filter_map(|p| {
      Some(QueueProducer {
        binding: p.get("binding")?.as_str()?.to_string(),
        queue: p.get("queue")?.as_str()?.to_string(),
        delivery_delay: p.get("delivery_delay").and_then(Value::as_f64),
      })
    })
    .collect();
  let mut consumers: Vec<ConsumerSettings> = list("consumers")
    .iter()
    .filter_map(|c| {
      let number = |key: &str| c.get(key).and_then(Value::as_f64);
      Some(ConsumerSettings {
        queue: c.get("queue")?.as_str()?.to_string(),
        max_batch_size: number("max_batch_size").map_or(queues::DEFAULT_BATCH_SIZE, |n| n as usize),
        max_batch_timeout: number("max_batch_timeout").map_or(queues::DEFAULT_BATCH_TIMEOUT, |n| {
          std::time::Duration::from_secs_f64(n.max(0.0))
        }),
        max_retries: number("max_retries").map_or(queues::DEFAULT_RETRIES, |n| n as u32),
        dead_letter_queue: c
          .get("dead_letter_queue")
          .and_then(Value::as_str)
          .map(str::to_string),
        retry_delay: number("retry_delay").unwrap_or(0.0),
      })
    })
    .collect();
  // The same queue consumed twice by one worker: the last entry counts, as
  // in wrangler dev.
  let mut seen = std::collections::HashSet::new();
  consumers.reverse();
  consumers.retain(|c| seen.insert(c.queue.clone()));
  consumers.reverse();
  (producers, consumers)
}

fn d1_binding(b: &Value) -> Option<D1DatabaseBinding> {
  let binding = b.get("binding")?.as_str()?.to_string();
  let text = |key: &str| {
    b.get(key)
      .and_then(Value::as_str)
      .filter(|s| !s.is_empty())
      .map(str::to_string)
  };
  Some(D1DatabaseBinding {
    id: text("preview_database_id")
      .or_else(|| text("database_id"))
      .unwrap_or_else(|| binding.clone()),
    database_name: text("database_name"),
    migrations_dir: text("migrations_dir").unwrap_or_else(|| "migrations".into()),
    migrations_table: text("migrations_table").unwrap_or_else(|| "d1_migrations".into()),
    binding,
  })
}

/// What a configuration asks for that kiln does not emulate: each binding by
/// its kind and name, each other setting by its key.
fn unemulated(table: &Map<String, Value>) -> Vec<String> {
  // (key, what one binding is, the field naming it)
  const LISTS: &[(&str, &str, &str)] = &[
    ("hyperdrive", "Hyperdrive config", "binding"),
    ("vectorize", "Vectorize index", "binding"),
    (
      "analytics_engine_datasets",
      "Analytics Engine dataset",
      "binding",
    ),
    ("send_email", "email sender", "name"),
    ("mtls_certificates", "mTLS certificate", "binding"),
    ("dispatch_namespaces", "dispatch namespace", "binding"),
    ("workflows", "Workflow", "binding"),
    ("secrets_store_secrets", "Secrets Store secret", "binding"),
    ("pipelines", "Pipeline", "binding"),
    ("ratelimits", "rate limiter", "name"),
    ("worker_loaders", "Worker Loader", "binding"),
    ("vpc_services", "VPC service", "binding"),
  ];
  // (key, what it is) for bindings given as one object with `binding`.
  const SINGLE: &[(&str, &str)] = &[
    ("ai", "Workers AI"),
    ("browser", "Browser Rendering"),
    ("images", "Images"),
    ("version_metadata", "version metadata"),
  ];
  let mut out = Vec::new();
  for (key, what, field) in LISTS {
    for item in table
      .get(*key)
      .and_then(Value::as_array)
      .into_iter()
      .flatten()
    {
      let name = item.get(*field).and_then(Value::as_str).unwrap_or("?");
      out.push(format!("{what} \"{name}\" ({key})"));
    }
  }
  for (key, what) in SINGLE {
    if let Some(item) = table.get(*key) {
      let name = item.get("binding").and_then(Value::as_str).unwrap_or("?");
      out.push(format!("{what} \"{name}\" ({key})"));
    }
  }
  for item in table
    .get("unsafe")
    .and_then(|u| u.get("bindings"))
    .and_then(Value::as_array)
    .into_iter()
    .flatten()
  {
    let name = item.get("name").and_then(Value::as_str).unwrap_or("?");
    out.push(format!("unsafe binding \"{name}\" (unsafe.bindings)"));
  }
  out
}

/// Replays the migrations in order, as wrangler does for a local run, into
/// the classes they leave and whether each uses SQLite (in the order a
/// JavaScript `Map` would hold them). Wrangler stops at the first migration
/// that cannot apply, and so does this.
pub fn fold_migrations(migrations: &[Migration]) -> Result<Vec<(String, bool)>, String> {
  let mut classes: Vec<(String, bool)> = Vec::new();
  let position =
    |classes: &[(String, bool)], name: &str| classes.iter().position(|(c, _)| c == name);
  for migration in migrations {
    for class in &migration.deleted_classes {
      let Some(i) = position(&classes, class) else {
        return Err(format!(
          "Cannot apply deleted_classes migration to non-existent class {class}"
        ));
      };
      classes.remove(i);
    }
    for (from, to) in &migration.renamed_classes {
      let Some(i) = position(&classes, from) else {
        return Err(format!(
          "Cannot apply renamed_classes migration to non-existent class {from}"
        ));
      };
      let (_, sqlite) = classes.remove(i);
      // A Map's set() keeps an existing key's place and appends a new one.
      match position(&classes, to) {
        Some(j) => classes[j].1 = sqlite,
        None => classes.push((to.clone(), sqlite)),
      }
    }
    for (list, key, sqlite) in [
      (&migration.new_classes, "new_classes", false),
      (&migration.new_sqlite_classes, "new_sqlite_classes", true),
    ] {
      for class in list {
        if position(&classes, class).is_some() {
          return Err(format!(
            "Cannot apply {key} migration to existing class {class}"
          ));
        }
        classes.push((class.clone(), sqlite));
      }
    }
  }
  Ok(classes)
}

/// Wrangler's default module rules, which follow the configured ones.
pub const DEFAULT_MODULE_RULES: [(ModuleKind, &[&str]); 3] = [
  (ModuleKind::Text, &["**/*.txt", "**/*.html", "**/*.sql"]),
  (ModuleKind::Data, &["**/*.bin"]),
  (ModuleKind::CompiledWasm, &["**/*.wasm", "**/*.wasm?module"]),
];

/// The rules in force: the configured rules, then wrangler's defaults. The
/// first rule of a type without `fallthrough = true` completes that type and
/// later rules of the type are dropped, with wrangler's warning unless the
/// completing rule says `fallthrough = false`.
pub fn module_rules(configured: &[RuleConfig], warnings: &mut Vec<String>) -> Vec<ModuleRule> {
  let defaults = DEFAULT_MODULE_RULES.iter().map(|(kind, globs)| RuleConfig {
    kind: *kind,
    globs: globs.iter().map(|g| g.to_string()).collect(),
    fallthrough: None,
  });
  let all: Vec<RuleConfig> = configured.iter().cloned().chain(defaults).collect();
  let is_default = |i: usize| i >= configured.len();
  let mut completed: Vec<(ModuleKind, usize)> = Vec::new();
  let mut ignored: Vec<(ModuleKind, Vec<usize>)> = Vec::new();
  let mut kept = Vec::new();
  for (i, rule) in all.iter().enumerate() {
    match completed.iter().find(|(kind, _)| *kind == rule.kind) {
      Some(&(_, by)) => {
        if all[by].fallthrough != Some(false) {
          match ignored.iter_mut().find(|(kind, _)| *kind == rule.kind) {
            Some((_, list)) => list.push(i),
            None => ignored.push((rule.kind, vec![i])),
          }
        }
      }
      None => {
        kept.push(ModuleRule {
          kind: rule.kind,
          globs: rule.globs.clone(),
          fallthrough: rule.fallthrough == Some(true),
        });
        if rule.fallthrough != Some(true) {
          completed.push((rule.kind, i));
        }
      }
    }
  }
  for (kind, by) in &completed {
    let Some((_, list)) = ignored.iter().find(|(k, _)| k == kind) else {
      continue;
    };
    let mut warning = format!(
      "The {}module rule {} does not have a fallback, the following rules will be ignored:",
      if is_default(*by) { "default " } else { "" },
      rule_json(&all[*by])
    );
    for &i in list {
      warning.push_str(&format!(
        "\n {}{}",
        rule_json(&all[i]),
        if is_default(i) { " (DEFAULT)" } else { "" }
      ));
    }
    warning.push_str("\n\nAdd `fallthrough = true` to rule to allow next rule to be used or `fallthrough = false` to silence this warning");
    warnings.push(warning);
  }
  kept
}

/// A rule as wrangler's `JSON.stringify` shows it, in the order people
/// write the keys (wrangler keeps the file's order; kiln cannot always).
fn rule_json(rule: &RuleConfig) -> String {
  let mut out = format!(
    "{{\"type\":\"{}\",\"globs\":{}",
    rule.kind.name(),
    validate::show(&Value::from(rule.globs.clone()))
  );
  if let Some(fallthrough) = rule.fallthrough {
    out.push_str(&format!(",\"fallthrough\":{fallthrough}"));
  }
  out.push('}');
  out
}

/// Wrangler's glob syntax (the `glob-to-regexp` package with `globstar`)
/// as an anchored regular expression: `*` stays within one path segment, a
/// whole segment of `**` spans any number of segments, and every other
/// character (`?`, `[`, `{` included) is itself.
pub fn glob_to_regex(glob: &str) -> String {
  let chars: Vec<char> = glob.chars().collect();
  let mut out = String::from("^");
  let mut i = 0;
  while i < chars.len() {
    if chars[i] != '*' {
      out.push_str(&regex::escape(&chars[i].to_string()));
      i += 1;
      continue;
    }
    let start = i;
    while chars.get(i + 1) == Some(&'*') {
      i += 1;
    }
    let before = start.checked_sub(1).map(|j| chars[j]);
    let after = chars.get(i + 1).copied();
    let globstar =
      i > start && matches!(before, None | Some('/')) && matches!(after, None | Some('/'));
    if globstar {
      out.push_str("((?:[^/]*(?:/|$))*)");
      // The segment's "/" belongs to the globstar.
      i += 1;
    } else {
      out.push_str("([^/]*)");
    }
    i += 1;
  }
  out.push('$');
  out
}

/// Module rules compiled for matching paths.
#[derive(Clone, Debug)]
pub struct RuleMatcher {
  rules: Vec<(ModuleKind, Vec<regex::Regex>)>,
}

impl RuleMatcher {
  pub fn new(rules: &[ModuleRule]) -> RuleMatcher {
    RuleMatcher {
      rules: rules
        .iter()
        .map(|rule| {
          let globs = rule
            .globs
            .iter()
            // Every character but `*` is escaped, so the pattern compiles.
            .filter_map(|glob| regex::Regex::new(&glob_to_regex(glob)).ok())
            .collect();
          (rule.kind, globs)
        })
        .collect(),
    }
  }

  /// The kind of the first rule matching `path`: relative to the worker's
  /// root, `/`-separated, with a `?query` when the import had one.
  pub fn kind_of(&self, path: &str) -> Option<ModuleKind> {
    self
      .rules
      .iter()
      .find(|(_, globs)| globs.iter().any(|g| g.is_match(path)))
      .map(|(kind, _)| *kind)
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
  /// Durable Object bindings; one with a `script_name` is another worker's
  /// class, which the runtime finds among the workers of the process.
  pub durable_objects: Vec<DurableObjectBinding>,
  /// Every class this worker defines: those of its local bindings, then
  /// those the migrations leave (bound or not: each gets a namespace).
  pub durable_object_classes: Vec<DurableObjectClass>,
  /// The module rules in force, wrangler's defaults and completion applied.
  pub module_rules: Vec<ModuleRule>,
  /// `[assets]`, resolved; `main` is kiln's stand-in script when the
  /// worker is assets only (`has_script` false).
  pub assets: Option<crate::assets::AssetsConfig>,
  /// The worker has a script of its own (false for an assets-only worker).
  pub has_script: bool,
  /// KV namespaces, in `<state_dir>/v3/kv/<id>/`.
  pub kv_namespaces: Vec<KvNamespace>,
  /// D1 databases, where wrangler dev keeps them (see `crate::d1`).
  pub d1_databases: Vec<D1DatabaseBinding>,
  pub queue_producers: Vec<QueueProducer>,
  /// The queues this worker consumes (`crate::queues`).
  pub queue_consumers: Vec<crate::queues::ConsumerSettings>,
  /// R2 buckets, where wrangler dev keeps them (see `crate::r2_store`).
  pub r2_buckets: Vec<R2BucketBinding>,
  /// Cron triggers, checked.
  pub crons: Vec<crate::cron::Schedule>,
  /// Where local state lives (Durable Objects under
  /// `<state_dir>/v3/do/<worker>-<Class>/`); `None` keeps it in memory.
  pub state_dir: Option<PathBuf>,
  /// What wrangler refuses if the script turns out to be a service worker:
  /// local Durable Object bindings, else any migrations. Its exact message.
  // TODO(runtime): isolate.rs learns the format only when it compiles the
  // script; once it knows it has a service worker, it must fail start-up
  // with this message. It begins "You seem to be trying to use Durable
  // Objects in a Worker written as a service-worker." (local bindings) or
  // "Durable Object migrations require ES Module format Workers, but yours
  // is being built as service-worker format. Migrations cannot be applied
  // to service-worker format Workers." (migrations).
  pub service_worker_error: Option<String>,
  /// How long a Durable Object with nothing to do stays in memory before it
  /// is evicted (workerd: 10 s; `kiln dev --evict-after`).
  pub evict_after: std::time::Duration,
  /// How long an object whose only activity is hibernatable WebSockets
  /// stays in memory before it hibernates (workerd: 10 s; `kiln dev
  /// --hibernate-after`).
  pub hibernate_after: std::time::Duration,
  /// CPU time one event may use without a pause (`limits.cpu_ms`; Workers'
  /// 30 s by default).
  pub cpu_limit: std::time::Duration,
  /// The most the isolate's JavaScript heap may hold (Workers' 128 MB by
  /// default; `kiln dev --memory-mb`).
  pub memory_limit: usize,
  /// How long an outbound WebSocket may take to connect and finish its
  /// handshake (`kiln dev --connect-timeout`).
  pub connect_timeout: std::time::Duration,
}

/// How long an outbound WebSocket may take to connect and finish its
/// handshake by default.
pub const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Workers' CPU time per request on the paid plan, when `limits.cpu_ms`
/// says nothing.
pub const DEFAULT_CPU_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Workers' memory limit for an isolate.
pub const DEFAULT_MEMORY_LIMIT: usize = 128 << 20;

/// workerd's idle time before an object is evicted.
pub const DEFAULT_EVICT_AFTER: std::time::Duration = std::time::Duration::from_secs(10);

/// A duration as people write it on a command line: `250ms`, `10s`, `2m`,
/// or a bare number of milliseconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
  let text = text.trim();
  let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
    Some(i) => text.split_at(i),
    None => (text, "ms"),
  };
  let n: u64 = digits
    .parse()
    .map_err(|_| format!("not a duration: {text:?} (write e.g. 250ms, 10s or 2m)"))?;
  match unit {
    "ms" => Ok(std::time::Duration::from_millis(n)),
    "s" => Ok(std::time::Duration::from_secs(n)),
    "m" => Ok(std::time::Duration::from_secs(n * 60)),
    _ => Err(format!(
      "not a duration: {text:?} (write e.g. 250ms, 10s or 2m)"
    )),
  }
}

impl WorkerSpec {
  /// Whether a binding names a class this worker must export itself.
  pub fn has_local_durable_objects(&self) -> bool {
    self.durable_objects.iter().any(|b| b.script_name.is_none())
  }
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
  /// The files local secrets were read from (`.dev.vars`, `.env`…).
  pub secrets_from: Vec<PathBuf>,
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

  let assets = config
    .assets
    .as_ref()
    .and_then(|table| resolve_assets(table, &config_dir, &mut diag));
  let crons: Vec<crate::cron::Schedule> = config
    .crons
    .iter()
    .filter_map(|c| {
      crate::cron::Schedule::parse(c)
        .map_err(|e| diag.errors.push(format!("[triggers] crons: {e}")))
        .ok()
    })
    .collect();
  let has_script = script.is_some() || config.main.is_some();
  if let (Some(table), false) = (&config.assets, has_script) {
    if table.get("binding").is_some() {
      diag.errors.push("Cannot use assets with a binding in an assets-only Worker.\nPlease remove the asset binding from your configuration file, or provide a Worker script in your configuration file (`main`).".to_string());
    }
    if table.get("run_worker_first").is_some() {
      diag.errors.push("Cannot set run_worker_first without a Worker script.\nPlease remove run_worker_first from your configuration file, or provide a Worker script in your configuration file (`main`).".to_string());
    }
  }
  let main = match (&script, &config.main) {
    (Some(script), _) => Some(script.clone()),
    (None, Some(main)) => Some(config_dir.join(main)),
    (None, None) if assets.is_some() => match assets_only_script() {
      Ok(path) => Some(path),
      Err(e) => {
        diag.errors.push(e);
        None
      }
    },
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

  // Wrangler replays the migrations only once the configuration is valid.
  let migrated = if diag.has_errors() {
    Vec::new()
  } else {
    fold_migrations(&config.migrations).unwrap_or_else(|e| {
      diag.errors.push(e);
      Vec::new()
    })
  };
  // Wrangler sorts the rules out only once the configuration is valid.
  let module_rules = if diag.has_errors() {
    Vec::new()
  } else {
    module_rules(&config.rules, &mut diag.warnings)
  };
  let cwd = std::env::current_dir().unwrap_or_default();
  let state_dir = match (&overrides.persist_to, overrides.no_persist) {
    (Some(_), true) => {
      diag
        .errors
        .push("--persist-to and --no-persist cannot be used together.".to_string());
      None
    }
    (None, true) => None,
    (Some(dir), false) => Some(cwd.join(dir)),
    (None, false) => Some(cwd.join(&config_dir).join(".wrangler").join("state")),
  };

  let mut vars = config.vars.clone();
  // Local secrets over the configured vars, `--var` over both.
  let mut secrets_from = Vec::new();
  if raw.is_some() {
    match dev_vars::load(&config_dir, overrides.env.as_deref()) {
      Ok((files, pairs)) => {
        secrets_from = files;
        for (key, value) in pairs {
          vars.insert(key, Value::String(value));
        }
      }
      Err(e) => diag.errors.push(e),
    }
  }
  for (key, value) in &overrides.vars {
    vars.insert(key.clone(), Value::String(value.clone()));
  }
  if !config.unemulated.is_empty() {
    diag.warnings.push(format!(
      "kiln does not emulate these yet; their env bindings are undefined:\n{}",
      config
        .unemulated
        .iter()
        .map(|u| format!("  - {u}"))
        .collect::<Vec<_>>()
        .join("\n")
    ));
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
  let durable_objects: Vec<DurableObjectBinding> = config
    .durable_objects
    .iter()
    .map(|b| DurableObjectBinding {
      script_name: b.script_name.clone().filter(|s| *s != name),
      ..b.clone()
    })
    .collect();
  let mut durable_object_classes: Vec<DurableObjectClass> = Vec::new();
  let local_classes = durable_objects
    .iter()
    .filter(|b| b.script_name.is_none())
    .map(|b| b.class_name.clone());
  for class_name in local_classes.chain(migrated.iter().map(|(c, _)| c.clone())) {
    if durable_object_classes
      .iter()
      .all(|c| c.class_name != class_name)
    {
      // A bound class the migrations do not declare runs without SQL.
      let sqlite = migrated
        .iter()
        .any(|(c, sqlite)| *c == class_name && *sqlite);
      durable_object_classes.push(DurableObjectClass { class_name, sqlite });
    }
  }
  let config_file = match raw
    .as_ref()
    .and_then(|r| r.path.extension())
    .and_then(|e| e.to_str())
  {
    Some("toml") => "wrangler.toml",
    Some("json") => "wrangler.json",
    Some("jsonc") => "wrangler.jsonc",
    _ => "Wrangler configuration",
  };
  let service_worker_error =
    service_worker_error(&durable_objects, &config.migrations, config_file);
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
      durable_objects,
      durable_object_classes,
      module_rules,
      kv_namespaces: config.kv_namespaces.clone(),
      d1_databases: config.d1_databases.clone(),
      queue_producers: config.queue_producers.clone(),
      queue_consumers: config.queue_consumers.clone(),
      r2_buckets: config.r2_buckets.clone(),
      crons,
      assets,
      has_script,
      state_dir,
      service_worker_error,
      evict_after: DEFAULT_EVICT_AFTER,
      hibernate_after: DEFAULT_EVICT_AFTER,
      cpu_limit: config
        .cpu_ms
        .map_or(DEFAULT_CPU_LIMIT, std::time::Duration::from_millis),
      memory_limit: DEFAULT_MEMORY_LIMIT,
      connect_timeout: DEFAULT_CONNECT_TIMEOUT,
    },
    dev: config.dev,
    routes: config.routes,
    services: config.services,
    warnings,
    secrets_from,
  })
}

/// Wrangler's refusal of Durable Objects in a service-worker script, word for
/// word (`config_file` is how it names the configuration file).
fn service_worker_error(
  bindings: &[DurableObjectBinding],
  migrations: &[Migration],
  config_file: &str,
) -> Option<String> {
  let local: Vec<&DurableObjectBinding> = bindings
    .iter()
    .filter(|b| b.script_name.is_none())
    .collect();
  if !local.is_empty() {
    let examples: Vec<String> = local
      .iter()
      .map(|b| {
        let (name, class) = (&b.name, &b.class_name);
        let script = format!("{}-worker", name.to_lowercase().replace('_', "-"));
        format!("{{ name = {name}, class_name = {class} }} ==> {{ name = {name}, class_name = {class}, script_name = {script} }}")
      })
      .collect();
    return Some(format!(
      "You seem to be trying to use Durable Objects in a Worker written as a service-worker.\nYou can use Durable Objects defined in other Workers by specifying a `script_name` in your {config_file} file, where `script_name` is the name of the Worker that implements that Durable Object. For example:\n{}\nAlternatively, migrate your worker to ES Module syntax to implement a Durable Object in this Worker:\nhttps://developers.cloudflare.com/workers/learning/migrating-to-module-workers/",
      examples.join("\n")
    ));
  }
  if !migrations.is_empty() {
    return Some("Durable Object migrations require ES Module format Workers, but yours is being built as service-worker format. Migrations cannot be applied to service-worker format Workers.\nTo use Durable Object migrations, deploy in ES Module format by adding a default export handler (e.g. \"export default { fetch() {} }\"), or remove \"migrations\" from your config if you don't need them. See:\nhttps://developers.cloudflare.com/workers/learning/migrating-to-module-workers/".to_string());
  }
  None
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
