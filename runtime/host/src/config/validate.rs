//! Validation of a parsed wrangler configuration, in wrangler's words: every
//! problem is collected (errors and warnings), unknown keys are warnings, and
//! type errors name the field path and the value.

use serde_json::{Map, Value};

/// Problems found in one configuration, grouped as wrangler prints them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics {
  pub heading: String,
  pub errors: Vec<String>,
  pub warnings: Vec<String>,
  pub children: Vec<Diagnostics>,
}

impl Diagnostics {
  pub fn new(heading: impl Into<String>) -> Self {
    Diagnostics {
      heading: heading.into(),
      ..Default::default()
    }
  }

  pub fn has_errors(&self) -> bool {
    !self.errors.is_empty() || self.children.iter().any(Diagnostics::has_errors)
  }

  pub fn has_warnings(&self) -> bool {
    !self.warnings.is_empty() || self.children.iter().any(Diagnostics::has_warnings)
  }

  /// The errors (or warnings) as an indented tree under the heading.
  pub fn render(&self, errors: bool) -> String {
    let mut out = String::new();
    self.render_into(&mut out, 0, errors);
    out
  }

  fn render_into(&self, out: &mut String, depth: usize, errors: bool) {
    let items = if errors { &self.errors } else { &self.warnings };
    let relevant = |d: &Diagnostics| {
      if errors {
        d.has_errors()
      } else {
        d.has_warnings()
      }
    };
    if !relevant(self) {
      return;
    }
    let indent = "  ".repeat(depth);
    if depth == 0 {
      out.push_str(&self.heading);
      out.push('\n');
    } else {
      out.push_str(&format!("{indent}- {}\n", self.heading));
    }
    for item in items {
      let mut lines = item.lines();
      if let Some(first) = lines.next() {
        out.push_str(&format!("{indent}  - {first}\n"));
      }
      for line in lines {
        if line.is_empty() {
          out.push('\n');
        } else {
          out.push_str(&format!("{indent}    {line}\n"));
        }
      }
    }
    for child in self.children.iter().filter(|c| relevant(c)) {
      child.render_into(out, depth + 1, errors);
    }
  }
}

/// How a value is shown in a message: as JSON, the way wrangler shows it.
pub fn show(value: &Value) -> String {
  serde_json::to_string(value).unwrap_or_default()
}

/// Keys that may only stand at the top level.
pub const TOP_LEVEL_ONLY: &[&str] = &[
  "dev",
  "site",
  "wasm_modules",
  "text_blobs",
  "data_blobs",
  "alias",
  "keep_vars",
  "send_metrics",
  "addresses",
  "pages_build_output_dir",
  "env",
  "$schema",
  "legacy_env",
];

/// Keys an environment inherits from the top level when it omits them.
pub const INHERITABLE: &[&str] = &[
  "name",
  "main",
  "compatibility_date",
  "compatibility_flags",
  "account_id",
  "routes",
  "route",
  "workers_dev",
  "preview_urls",
  "rules",
  "no_bundle",
  "find_additional_modules",
  "preserve_file_names",
  "base_dir",
  "assets",
  "build",
  "triggers",
  "migrations",
  "exports",
  "limits",
  "placement",
  "tsconfig",
  "jsx_factory",
  "jsx_fragment",
  "minify",
  "keep_names",
  "logpush",
  "upload_source_maps",
  "observability",
  "python_modules",
  "compliance_region",
  "usage_model",
  "first_party_worker",
  "tail_consumers",
];

/// Keys an environment does not inherit: it gets an empty default instead.
pub const NON_INHERITABLE: &[&str] = &[
  "vars",
  "define",
  "secrets",
  "durable_objects",
  "kv_namespaces",
  "r2_buckets",
  "d1_databases",
  "services",
  "queues",
  "workflows",
  "send_email",
  "analytics_engine_datasets",
  "ai",
  "browser",
  "hyperdrive",
  "vectorize",
  "mtls_certificates",
  "containers",
  "unsafe",
  "dispatch_namespaces",
  "version_metadata",
  "images",
  "secrets_store_secrets",
  "unsafe_hello_world",
  "pipelines",
  "ratelimits",
  "worker_loaders",
  "vpc_services",
];

fn is_known(key: &str, top_level: bool) -> bool {
  INHERITABLE.contains(&key)
    || NON_INHERITABLE.contains(&key)
    || (top_level && TOP_LEVEL_ONLY.contains(&key))
}

/// Checks one level of the configuration (the top level, or one `env.NAME`
/// table). `path` is "" for the top level, else "env.NAME.".
pub fn check_level(
  table: &Map<String, Value>,
  top_level: bool,
  container: &str,
  toml_dates: &[String],
  diag: &mut Diagnostics,
) {
  let unknown: Vec<&String> = table.keys().filter(|k| !is_known(k, top_level)).collect();
  if !unknown.is_empty() {
    let names: Vec<String> = unknown.iter().map(|k| format!("\"{k}\"")).collect();
    diag.warnings.push(format!(
      "Unexpected fields found in {container} field: {}",
      names.join(",")
    ));
  }
  if !top_level {
    for key in table
      .keys()
      .filter(|k| TOP_LEVEL_ONLY.contains(&k.as_str()))
    {
      diag.warnings.push(format!(
        "The \"{key}\" field is only allowed at the top level of the configuration; it is ignored in {container}."
      ));
    }
  }
  if table.contains_key("legacy_env") {
    diag.errors.push(
      "The \"legacy_env\" field is no longer supported. Please remove it from your configuration."
        .to_string(),
    );
  }
  if table.contains_key("node_compat") {
    diag.errors.push("The \"node_compat\" field is no longer supported as of Wrangler v4. Instead, use the `nodejs_compat` compatibility flag.".to_string());
  }

  if let Some(name) = table.get("name") {
    let ok = name.as_str().is_some_and(|s| {
      s.is_empty() || {
        let mut chars = s.chars();
        let first = chars.next().unwrap();
        (first.is_ascii_lowercase() || first.is_ascii_digit() || first == '_')
          && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
      }
    });
    if !ok {
      diag.errors.push(format!(
        "Expected \"name\" to be of type string, alphanumeric and lowercase with dashes only but got {}.",
        show(name)
      ));
    }
  }
  expect_string(table, "main", diag);
  if let Some(date) = table.get("compatibility_date") {
    let toml_date = toml_dates.contains(&format!(
      "{}compatibility_date",
      container_prefix(container)
    ));
    match date.as_str() {
      // An unquoted TOML date is a date object to wrangler, not a string.
      Some(s) if toml_date => diag.errors.push(format!(
        "Expected \"compatibility_date\" to be of type string but got \"{s}T00:00:00.000Z\"."
      )),
      None => diag.errors.push(format!(
        "Expected \"compatibility_date\" to be of type string but got {}.",
        show(date)
      )),
      Some(s) if s.contains('\u{2013}') || s.contains('\u{2014}') => diag.errors.push(
        "\"compatibility_date\" field should use ISO-8601 accepted hyphens (-) rather than en-dashes (\u{2013}) or em-dashes (\u{2014})."
          .to_string(),
      ),
      Some(s) if !looks_like_iso_date(s) => diag.errors.push(format!(
        "\"compatibility_date\" field should be a valid ISO-8601 date (YYYY-MM-DD), but got \"{s}\"."
      )),
      Some(_) => {}
    }
  }
  if let Some(flags) = table.get("compatibility_flags") {
    let ok = flags
      .as_array()
      .is_some_and(|a| a.iter().all(Value::is_string));
    if !ok {
      diag.errors.push(format!(
        "Expected \"compatibility_flags\" to be of type string array but got {}.",
        show(flags)
      ));
    }
  }
  if let Some(vars) = table.get("vars") {
    match vars.as_object() {
      None => diag.errors.push(format!(
        "The field \"vars\" should be an object but got {}.",
        show(vars)
      )),
      Some(vars) => {
        let prefix = container_prefix(container);
        for key in vars.keys() {
          let path = format!("{prefix}vars.{key}");
          if toml_dates.contains(&path) {
            diag.errors.push(format!(
              "The field \"{path}\" is a TOML date, which is not supported. Please use a string instead, e.g. {key} = \"2025-12-19\"."
            ));
          }
        }
      }
    }
  }
  if top_level {
    if let Some(dev) = table.get("dev") {
      check_dev(dev, diag);
    }
  }
  check_routes(table, diag);
  check_services(table, diag);
  if let Some(value) = table.get("durable_objects") {
    let path = format!("{}durable_objects", container_prefix(container));
    check_durable_objects(value, &path, diag);
  }
  if let Some(value) = table.get("assets") {
    check_assets(value, diag);
  }
  if let Some(triggers) = table.get("triggers") {
    if let Some(crons) = triggers.get("crons") {
      if !crons
        .as_array()
        .is_some_and(|a| a.iter().all(Value::is_string))
      {
        diag.errors.push(format!(
          "Expected \"triggers.crons\" to be of type array, but got {}.",
          show(triggers)
        ));
      }
    }
  }
  if let Some(value) = table.get("kv_namespaces") {
    check_kv_namespaces(
      value,
      &format!("{}kv_namespaces", container_prefix(container)),
      diag,
    );
  }
  if let Some(value) = table.get("d1_databases") {
    check_d1_databases(
      value,
      &format!("{}d1_databases", container_prefix(container)),
      diag,
    );
  }
  if let Some(value) = table.get("r2_buckets") {
    check_r2_buckets(
      value,
      &format!("{}r2_buckets", container_prefix(container)),
      diag,
    );
  }
  if let Some(value) = table.get("queues") {
    check_queues(
      value,
      &format!("{}queues", container_prefix(container)),
      diag,
    );
  }
  if let Some(value) = table.get("migrations") {
    check_migrations(value, diag);
  }
  if let Some(value) = table.get("rules") {
    check_rules(
      value,
      &format!("{}rules", container_prefix(container)),
      diag,
    );
  }
  check_unique_bindings(table, diag);
}

fn container_prefix(container: &str) -> String {
  if container == "top-level" {
    String::new()
  } else {
    format!("{container}.")
  }
}

/// What JavaScript's `Date` would accept for a compatibility date, roughly:
/// wrangler checks only this, and the runtime checks the exact rules.
fn looks_like_iso_date(s: &str) -> bool {
  let b = s.as_bytes();
  b.len() >= 10
    && b[..4].iter().all(u8::is_ascii_digit)
    && b[4] == b'-'
    && b[5..7].iter().all(u8::is_ascii_digit)
    && b[7] == b'-'
    && b[8..10].iter().all(u8::is_ascii_digit)
}

fn expect_string(table: &Map<String, Value>, field: &str, diag: &mut Diagnostics) {
  if let Some(value) = table.get(field) {
    if !value.is_string() {
      diag.errors.push(format!(
        "Expected \"{field}\" to be of type string but got {}.",
        show(value)
      ));
    }
  }
}

fn check_dev(dev: &Value, diag: &mut Diagnostics) {
  let Some(dev) = dev.as_object() else {
    diag.errors.push(format!(
      "The field \"dev\" should be an object but got {}.",
      show(dev)
    ));
    return;
  };
  const KNOWN: &[&str] = &[
    "ip",
    "port",
    "local_protocol",
    "upstream_protocol",
    "inspector_port",
    "inspector_ip",
    "host",
    "enable_containers",
    "container_engine",
    "generate_types",
  ];
  let unknown: Vec<String> = dev
    .keys()
    .filter(|k| !KNOWN.contains(&k.as_str()))
    .map(|k| format!("\"{k}\""))
    .collect();
  if !unknown.is_empty() {
    diag.warnings.push(format!(
      "Unexpected fields found in dev field: {}",
      unknown.join(",")
    ));
  }
  // In a fixed order, whatever the file's order.
  for (key, value) in KNOWN.iter().filter_map(|k| Some((*k, dev.get(*k)?))) {
    let field = format!("dev.{key}");
    let problem = match key {
      "ip" | "inspector_ip" | "host" | "container_engine" if !value.is_string() => Some("string"),
      "port" | "inspector_port" => match value.as_u64() {
        Some(p) if p <= 65535 => None,
        _ => Some("number"),
      },
      "enable_containers" | "generate_types" if !value.is_boolean() => Some("boolean"),
      "local_protocol" | "upstream_protocol" => {
        if !matches!(value.as_str(), Some("http" | "https")) {
          diag.errors.push(format!(
            "Expected \"{field}\" field to be one of [\"http\",\"https\"] but got {}.",
            show(value)
          ));
        }
        None
      }
      _ => None,
    };
    if let Some(kind) = problem {
      diag.errors.push(format!(
        "Expected \"{field}\" to be of type {kind} but got {}.",
        show(value)
      ));
    }
  }
}

fn check_routes(table: &Map<String, Value>, diag: &mut Diagnostics) {
  if table.contains_key("routes") && table.contains_key("route") {
    diag
      .errors
      .push("Expected exactly one of the following fields [\"routes\",\"route\"].".to_string());
  }
  if let Some(route) = table.get("route") {
    if route.as_str() == Some("") {
      diag
        .warnings
        .push("The \"route\" field in your configuration is an empty string and will be ignored.\nPlease remove the \"route\" field from your configuration.".to_string());
    } else if !valid_route(route) {
      diag.errors.push(format!(
        "Expected \"route\" to be either a string, or an object with shape {{ pattern, custom_domain, zone_id | zone_name }}, but got {}.",
        show(route)
      ));
    }
  }
  if let Some(routes) = table.get("routes") {
    match routes.as_array() {
      None => diag.errors.push(format!(
        "The field \"routes\" should be an array but got {}.",
        show(routes)
      )),
      Some(list) => {
        let bad: Vec<&Value> = list.iter().filter(|r| !valid_route(r)).collect();
        if !bad.is_empty() {
          let bad: Vec<String> = bad.into_iter().map(show).collect();
          diag.errors.push(format!(
            "Expected \"routes\" to be an array of either strings or objects with the shape {{ pattern, custom_domain, zone_id | zone_name, enabled, previews_enabled }}, but these weren't valid: [{}].",
            bad.join(",")
          ));
        }
      }
    }
  }
}

fn valid_route(route: &Value) -> bool {
  match route {
    Value::String(_) => true,
    Value::Object(o) => {
      o.get("pattern").is_some_and(Value::is_string)
        && !(o.contains_key("zone_id") && o.contains_key("zone_name"))
        && o.get("custom_domain").is_none_or(Value::is_boolean)
        && ((!o.contains_key("enabled") && !o.contains_key("previews_enabled"))
          || o.contains_key("custom_domain"))
    }
    _ => false,
  }
}

fn check_services(table: &Map<String, Value>, diag: &mut Diagnostics) {
  let Some(services) = table.get("services") else {
    return;
  };
  let Some(list) = services.as_array() else {
    diag.errors.push(format!(
      "The field \"services\" should be an array but got {}.",
      show(services)
    ));
    return;
  };
  for (i, entry) in list.iter().enumerate() {
    let Some(binding) = entry.as_object() else {
      diag.errors.push(format!(
        "\"services\" bindings should be objects, but got {}",
        show(entry)
      ));
      continue;
    };
    for field in ["binding", "service"] {
      if !binding.get(field).is_some_and(Value::is_string) {
        diag.errors.push(format!(
          "\"services[{i}]\" bindings should have a string \"{field}\" field but got {}.",
          show(entry)
        ));
      }
    }
    for field in ["environment", "entrypoint"] {
      if binding.get(field).is_some_and(|v| !v.is_string()) {
        diag.errors.push(format!(
          "\"services[{i}]\" bindings should, optionally, have a string \"{field}\" field but got {}.",
          show(entry)
        ));
      }
    }
    let unknown: Vec<String> = binding
      .keys()
      .filter(|k| {
        ![
          "binding",
          "service",
          "environment",
          "entrypoint",
          "remote",
          "props",
        ]
        .contains(&k.as_str())
      })
      .map(|k| format!("\"{k}\""))
      .collect();
    if !unknown.is_empty() {
      diag.warnings.push(format!(
        "Unexpected fields found in services[{i}] field: {}",
        unknown.join(",")
      ));
    }
  }
}

/// `[assets]`: its shape (the directory is checked once it is resolved).
fn check_assets(value: &Value, diag: &mut Diagnostics) {
  let Some(assets) = value.as_object() else {
    diag.errors.push(format!(
      "The field \"assets\" should be an object but got {}.",
      show(value)
    ));
    return;
  };
  for (field, allowed) in [
    (
      "html_handling",
      &[
        "auto-trailing-slash",
        "force-trailing-slash",
        "drop-trailing-slash",
        "none",
      ][..],
    ),
    (
      "not_found_handling",
      &["single-page-application", "404-page", "none"][..],
    ),
  ] {
    if let Some(v) = assets.get(field) {
      if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
        let list: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
        diag.errors.push(format!(
          "Expected \"assets.{field}\" field to be one of [{}] but got {}.",
          list.join(","),
          show(v)
        ));
      }
    }
  }
  for field in ["directory", "binding"] {
    if let Some(v) = assets.get(field) {
      if !v.is_string() {
        diag.errors.push(format!(
          "Expected \"assets.{field}\" to be of type string but got {}.",
          show(v)
        ));
      }
    }
  }
  if let Some(v) = assets.get("run_worker_first") {
    let ok = v.is_boolean() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
    if !ok {
      diag.errors.push(format!(
        "The field \"assets.run_worker_first\" should be an array of strings or a boolean, but got {}.",
        show(v)
      ));
    }
  }
  warn_unexpected_fields(
    assets,
    &[
      "directory",
      "binding",
      "html_handling",
      "not_found_handling",
      "run_worker_first",
      "experimental_serve_directly",
    ],
    "assets",
    diag,
  );
}

/// `kv_namespaces` (at `path`), with wrangler's messages.
fn check_kv_namespaces(value: &Value, path: &str, diag: &mut Diagnostics) {
  let Some(list) = value.as_array() else {
    diag.errors.push(format!(
      "The field \"{path}\" should be an array but got {}.",
      show(value)
    ));
    return;
  };
  for (i, binding) in list.iter().enumerate() {
    let Some(object) = binding.as_object() else {
      diag.errors.push(format!(
        "\"{path}\" bindings should be objects, but got {}",
        show(binding)
      ));
      continue;
    };
    if !object.get("binding").is_some_and(Value::is_string) {
      diag.errors.push(format!(
        "\"{path}[{i}]\" bindings should have a string \"binding\" field but got {}.",
        show(binding)
      ));
    }
    if let Some(id) = object.get("id") {
      if id.as_str().is_none_or(str::is_empty) {
        diag.errors.push(format!(
          "\"{path}[{i}]\" bindings should have a string \"id\" field but got {}.",
          show(binding)
        ));
      }
    }
    warn_unexpected_fields(
      object,
      &["binding", "id", "preview_id", "remote"],
      &format!("{path}[{i}]"),
      diag,
    );
  }
}

/// `d1_databases` (at `path`), with wrangler's messages.
fn check_d1_databases(value: &Value, path: &str, diag: &mut Diagnostics) {
  let Some(list) = value.as_array() else {
    diag.errors.push(format!(
      "The field \"{path}\" should be an array but got {}.",
      show(value)
    ));
    return;
  };
  for (i, binding) in list.iter().enumerate() {
    let Some(object) = binding.as_object() else {
      diag.errors.push(format!(
        "\"{path}\" bindings should be objects, but got {}",
        show(binding)
      ));
      continue;
    };
    if !object.get("binding").is_some_and(Value::is_string) {
      diag.errors.push(format!(
        "\"{path}[{i}]\" bindings should have a string \"binding\" field but got {}.",
        show(binding)
      ));
    }
    for key in ["database_id", "preview_database_id"] {
      if object.get(key).is_some_and(|v| !v.is_string()) {
        diag.errors.push(format!(
          "\"{path}[{i}]\" bindings must have a \"{key}\" field but got {}.",
          show(binding)
        ));
      }
    }
    for key in ["database_name", "migrations_dir", "migrations_table"] {
      if object.get(key).is_some_and(|v| !v.is_string()) {
        diag.errors.push(format!(
          "\"{path}[{i}]\" bindings should, optionally, have a string \"{key}\" field but got {}.",
          show(binding)
        ));
      }
    }
    warn_unexpected_fields(
      object,
      &[
        "binding",
        "database_id",
        "database_name",
        "preview_database_id",
        "migrations_dir",
        "migrations_table",
        "database_internal_env",
        "remote",
      ],
      &format!("{path}[{i}]"),
      diag,
    );
  }
}

/// `r2_buckets` (at `path`), with wrangler's messages.
fn check_r2_buckets(value: &Value, path: &str, diag: &mut Diagnostics) {
  let Some(list) = value.as_array() else {
    diag.errors.push(format!(
      "The field \"{path}\" should be an array but got {}.",
      show(value)
    ));
    return;
  };
  // Cloudflare's rule for bucket names.
  let valid_name = |name: &str| {
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
      && bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
      && bytes[0] != b'-'
      && bytes[bytes.len() - 1] != b'-'
  };
  const NAME_RULE: &str = "is invalid. Bucket names must begin and end with an alphanumeric character, only contain lowercase letters, numbers, and hyphens, and be between 3 and 63 characters long.";
  for (i, binding) in list.iter().enumerate() {
    let Some(object) = binding.as_object() else {
      diag.errors.push(format!(
        "\"{path}\" bindings should be objects, but got {}",
        show(binding)
      ));
      continue;
    };
    if !object.get("binding").is_some_and(Value::is_string) {
      diag.errors.push(format!(
        "\"{path}[{i}]\" bindings should have a string \"binding\" field but got {}.",
        show(binding)
      ));
    }
    match object.get("bucket_name") {
      None => {}
      Some(Value::String(name)) if !name.is_empty() && valid_name(name) => {}
      Some(Value::String(name)) if !name.is_empty() => diag
        .errors
        .push(format!("{path}[{i}].bucket_name=\"{name}\" {NAME_RULE}")),
      Some(_) => diag.errors.push(format!(
        "\"{path}[{i}]\" bindings should have a string \"bucket_name\" field but got {}.",
        show(binding)
      )),
    }
    if let Some(Value::String(name)) = object.get("preview_bucket_name") {
      if !valid_name(name) {
        // wrangler's own spacing.
        diag.errors.push(format!(
          "{path}[{i}].preview_bucket_name= \"{name}\" {NAME_RULE}"
        ));
      }
    }
    if object.get("jurisdiction").is_some_and(|v| !v.is_string()) {
      diag.errors.push(format!(
        "\"{path}[{i}]\" bindings should, optionally, have a string \"jurisdiction\" field but got {}.",
        show(binding)
      ));
    }
    warn_unexpected_fields(
      object,
      &[
        "binding",
        "bucket_name",
        "preview_bucket_name",
        "jurisdiction",
        "remote",
      ],
      &format!("{path}[{i}]"),
      diag,
    );
  }
}

/// `queues` (at `path`): wrangler's shape checks with its messages, then
/// the ranges wrangler dev's queue broker accepts (its messages name the
/// option as Miniflare spells it).
fn check_queues(value: &Value, path: &str, diag: &mut Diagnostics) {
  let Some(queues) = value.as_object() else {
    diag.errors.push(format!(
      "The field \"{path}\" should be an object but got {}.",
      show(value)
    ));
    return;
  };
  let range = |diag: &mut Diagnostics,
               item: &Map<String, Value>,
               key: &str,
               option: &str,
               max: f64,
               integer: bool| {
    let Some(n) = item.get(key).and_then(Value::as_f64) else {
      return;
    };
    if n < 0.0 {
      diag.errors.push(format!(
        "{option}: {n},\n  ^ Number must be greater than or equal to 0 (\"{key}\")"
      ));
    } else if n > max {
      diag.errors.push(format!(
        "{option}: {n},\n  ^ Number must be less than or equal to {max} (\"{key}\")"
      ));
    } else if integer && n.fract() != 0.0 {
      diag.errors.push(format!(
        "{option}: {n},\n  ^ Expected integer, received float (\"{key}\")"
      ));
    }
  };
  if let Some(producers) = queues.get("producers") {
    let Some(list) = producers.as_array() else {
      diag.errors.push(format!(
        "The field \"{path}.producers\" should be an array but got {}.",
        show(producers)
      ));
      return;
    };
    for (i, producer) in list.iter().enumerate() {
      let at = format!("{path}.producers[{i}]");
      let Some(object) = producer.as_object() else {
        diag.errors.push(format!(
          "\"{at}\" bindings should be objects, but got {}",
          show(producer)
        ));
        continue;
      };
      for key in ["binding", "queue"] {
        if object
          .get(key)
          .and_then(Value::as_str)
          .is_none_or(str::is_empty)
        {
          diag.errors.push(format!(
            "\"{at}\" bindings should have a string \"{key}\" field but got {}.",
            show(producer)
          ));
        }
      }
      if object.get("delivery_delay").is_some_and(|v| !v.is_number()) {
        diag.errors.push(format!(
          "\"{at}\" should, optionally, have a number \"delivery_delay\" field but got {}.",
          show(producer)
        ));
      }
      range(
        diag,
        object,
        "delivery_delay",
        "deliveryDelay",
        86400.0,
        true,
      );
      warn_unexpected_fields(
        object,
        &["binding", "queue", "delivery_delay", "remote"],
        &at,
        diag,
      );
    }
  }
  if let Some(consumers) = queues.get("consumers") {
    let Some(list) = consumers.as_array() else {
      diag.errors.push(format!(
        "The field \"{path}.consumers\" should be an array but got {}.",
        show(consumers)
      ));
      return;
    };
    for (i, consumer) in list.iter().enumerate() {
      let at = format!("{path}.consumers[{i}]");
      let Some(object) = consumer.as_object() else {
        diag.errors.push(format!(
          "\"{at}\" should be an object but got {}.",
          show(consumer)
        ));
        continue;
      };
      let queue = object.get("queue").and_then(Value::as_str);
      if queue.is_none_or(str::is_empty) {
        diag.errors.push(format!(
          "\"{at}\" should have a string \"queue\" field but got {}.",
          show(consumer)
        ));
      }
      for key in [
        "max_batch_size",
        "max_batch_timeout",
        "max_retries",
        "max_concurrency",
        "visibility_timeout_ms",
        "retry_delay",
      ] {
        if object.get(key).is_some_and(|v| !v.is_number()) {
          diag.errors.push(format!(
            "\"{at}\" should, optionally, have a number \"{key}\" field but got {}.",
            show(consumer)
          ));
        }
      }
      for key in ["dead_letter_queue", "type"] {
        if object.get(key).is_some_and(|v| !v.is_string()) {
          diag.errors.push(format!(
            "\"{at}\" should, optionally, have a string \"{key}\" field but got {}.",
            show(consumer)
          ));
        }
      }
      if let Some(kind) = object.get("type").and_then(Value::as_str) {
        if kind != "worker" {
          diag.errors.push(format!(
            "\"{at}.type\" has an invalid value \"{kind}\". Only \"worker\" consumers can be configured in your Wrangler configuration."
          ));
        }
      }
      range(diag, object, "max_batch_size", "maxBatchSize", 100.0, false);
      range(
        diag,
        object,
        "max_batch_timeout",
        "maxBatchTimeout",
        60.0,
        false,
      );
      range(diag, object, "max_retries", "maxRetries", 100.0, false);
      range(diag, object, "retry_delay", "retryDelay", 86400.0, true);
      if let (Some(queue), Some(dlq)) = (
        queue,
        object.get("dead_letter_queue").and_then(Value::as_str),
      ) {
        if queue == dlq {
          diag.errors.push(format!(
            "Dead letter queue for queue \"{queue}\" cannot be itself (\"dead_letter_queue\")"
          ));
        }
      }
      warn_unexpected_fields(
        object,
        &[
          "queue",
          "type",
          "max_batch_size",
          "max_batch_timeout",
          "max_retries",
          "dead_letter_queue",
          "max_concurrency",
          "visibility_timeout_ms",
          "retry_delay",
        ],
        &at,
        diag,
      );
    }
  }
}

/// A name bound twice (a var and a service, say) is an error.
fn check_unique_bindings(table: &Map<String, Value>, diag: &mut Diagnostics) {
  let mut names: Vec<(String, &str)> = Vec::new();
  names.extend(
    durable_object_binding_names(table.get("durable_objects"))
      .into_iter()
      .map(|name| (name, "Durable Object")),
  );
  if let Some(vars) = table.get("vars").and_then(Value::as_object) {
    names.extend(vars.keys().map(|k| (k.clone(), "environment variable")));
  }
  if let Some(binding) = table
    .get("assets")
    .and_then(|a| a.get("binding"))
    .and_then(Value::as_str)
  {
    names.push((binding.to_string(), "Assets"));
  }
  if let Some(list) = table.get("kv_namespaces").and_then(Value::as_array) {
    names.extend(
      list
        .iter()
        .filter_map(|b| b.get("binding")?.as_str())
        .map(|b| (b.to_string(), "KV Namespace")),
    );
  }
  if let Some(list) = table.get("r2_buckets").and_then(Value::as_array) {
    names.extend(
      list
        .iter()
        .filter_map(|b| b.get("binding")?.as_str())
        .map(|b| (b.to_string(), "R2 Bucket")),
    );
  }
  if let Some(list) = table.get("d1_databases").and_then(Value::as_array) {
    names.extend(
      list
        .iter()
        .filter_map(|b| b.get("binding")?.as_str())
        .map(|b| (b.to_string(), "D1 Database")),
    );
  }
  if let Some(list) = table
    .get("queues")
    .and_then(|q| q.get("producers"))
    .and_then(Value::as_array)
  {
    names.extend(
      list
        .iter()
        .filter_map(|b| b.get("binding")?.as_str())
        .map(|b| (b.to_string(), "Queue")),
    );
  }
  if let Some(services) = table.get("services").and_then(Value::as_array) {
    names.extend(
      services
        .iter()
        .filter_map(|s| s.get("binding")?.as_str())
        .map(|b| (b.to_string(), "Service")),
    );
  }
  let mut reported: Vec<&str> = Vec::new();
  for (name, _) in &names {
    if reported.contains(&name.as_str()) {
      continue;
    }
    let kinds: Vec<&str> = names
      .iter()
      .filter(|(n, _)| n == name)
      .map(|(_, k)| *k)
      .collect();
    if kinds.len() < 2 {
      continue;
    }
    reported.push(name);
    let first = kinds[0];
    let what = if kinds.iter().all(|k| *k == first) {
      format!("{name} assigned to multiple {first} bindings.")
    } else {
      format!("{name} assigned to {} and {} bindings.", kinds[0], kinds[1])
    };
    diag.errors.push(format!("{what}\nBindings must have unique names, so that they can all be referenced in the worker. Please change your bindings to have unique names."));
  }
}

/// JavaScript's `typeof v === "object"` (and not null) as wrangler tests it:
/// an array passes too, and its keys are its indices.
fn js_object(value: &Value) -> Option<Map<String, Value>> {
  match value {
    Value::Object(map) => Some(map.clone()),
    Value::Array(items) => Some(
      items
        .iter()
        .enumerate()
        .map(|(i, v)| (i.to_string(), v.clone()))
        .collect(),
    ),
    _ => None,
  }
}

fn warn_unexpected_fields(
  object: &Map<String, Value>,
  known: &[&str],
  field: &str,
  diag: &mut Diagnostics,
) {
  let unknown: Vec<String> = object
    .keys()
    .filter(|k| !known.contains(&k.as_str()))
    .map(|k| format!("\"{k}\""))
    .collect();
  if !unknown.is_empty() {
    diag.warnings.push(format!(
      "Unexpected fields found in {field} field: {}",
      unknown.join(",")
    ));
  }
}

/// `durable_objects` (at `path`: `durable_objects` or
/// `env.NAME.durable_objects`). Each binding's problems go into a child
/// headed by the binding, as wrangler groups them. True when all is valid.
pub fn check_durable_objects(value: &Value, path: &str, diag: &mut Diagnostics) -> bool {
  let Some(object) = value.as_object() else {
    diag.errors.push(format!(
      "The field \"{path}\" should be an object but got {}.",
      show(value)
    ));
    return false;
  };
  let Some(bindings) = object.get("bindings") else {
    diag.errors.push(format!(
      "The field \"{path}\" is missing the required \"bindings\" property."
    ));
    return false;
  };
  let Some(list) = bindings.as_array() else {
    diag.errors.push(format!(
      "The field \"{path}.bindings\" should be an array but got {}.",
      show(bindings)
    ));
    return false;
  };
  let mut valid = true;
  for (i, binding) in list.iter().enumerate() {
    let field = format!("{path}.bindings[{i}]");
    let mut child = Diagnostics::new(format!("\"{field}\": {}", show(binding)));
    valid &= check_durable_object_binding(binding, &field, &mut child);
    if child.has_errors() || child.has_warnings() {
      diag.children.push(child);
    }
  }
  valid
}

fn check_durable_object_binding(value: &Value, field: &str, diag: &mut Diagnostics) -> bool {
  let Some(binding) = js_object(value) else {
    diag.errors.push(format!(
      "Expected \"{field}\" to be an object but got {}",
      show(value)
    ));
    return false;
  };
  let before = diag.errors.len();
  let is = |key: &str, test: fn(&Value) -> bool| binding.get(key).is_some_and(test);
  let absent_or = |key: &str, test: fn(&Value) -> bool| binding.get(key).is_none_or(test);
  if !is("name", Value::is_string) {
    diag
      .errors
      .push("binding should have a string \"name\" field.".to_string());
  }
  if !is("class_name", Value::is_string) {
    diag
      .errors
      .push("binding should have a string \"class_name\" field.".to_string());
  }
  if !absent_or("script_name", Value::is_string) {
    diag
      .errors
      .push("the field \"script_name\", when present, should be a string.".to_string());
  }
  if !absent_or("environment", Value::is_string) {
    diag
      .errors
      .push("the field \"environment\", when present, should be a string.".to_string());
  }
  if binding.contains_key("environment") && !binding.contains_key("script_name") {
    diag.errors.push(
      "binding should have a \"script_name\" field if \"environment\" is present.".to_string(),
    );
  }
  if !absent_or("remote", Value::is_boolean) {
    diag.errors.push(format!(
      "\"{field}\" should, optionally, have a boolean \"remote\" field but got {}.",
      show(value)
    ));
  }
  // "remote" is checked above yet still reported as unexpected: wrangler's
  // list of known keys for this binding leaves it out.
  warn_unexpected_fields(
    &binding,
    &["class_name", "environment", "name", "script_name"],
    field,
    diag,
  );
  diag.errors.len() == before
}

/// The names of a `durable_objects` value's bindings, as wrangler collects
/// them for its warnings and its unique-name check: only when every binding
/// has a string name.
pub fn durable_object_binding_names(value: Option<&Value>) -> Vec<String> {
  let Some(list) = value
    .and_then(|v| v.get("bindings"))
    .and_then(Value::as_array)
  else {
    return Vec::new();
  };
  list
    .iter()
    .map(|b| b.get("name").and_then(Value::as_str).map(str::to_string))
    .collect::<Option<Vec<_>>>()
    .unwrap_or_default()
}

/// `[[migrations]]`. Wrangler names the field `migrations` even inside an
/// environment.
pub fn check_migrations(value: &Value, diag: &mut Diagnostics) -> bool {
  if value.is_null() {
    return true;
  }
  let Some(list) = value.as_array() else {
    diag.errors.push(format!(
      "The optional \"migrations\" field should be an array, but got {}",
      show(value)
    ));
    return false;
  };
  let before = diag.errors.len();
  for (i, entry) in list.iter().enumerate() {
    // Wrangler destructures each entry, so a non-object has none of the keys.
    let entry = entry.as_object().cloned().unwrap_or_default();
    warn_unexpected_fields(
      &entry,
      &[
        "tag",
        "new_classes",
        "new_sqlite_classes",
        "renamed_classes",
        "deleted_classes",
        "transferred_classes",
      ],
      "migrations",
      diag,
    );
    match entry.get("tag") {
      None => diag
        .errors
        .push(format!("\"migrations[{i}].tag\" is a required field.")),
      Some(tag) if !tag.is_string() => diag.errors.push(format!(
        "Expected \"migrations[{i}].tag\" to be of type string but got {}.",
        show(tag)
      )),
      Some(_) => {}
    }
    for key in ["new_classes", "new_sqlite_classes"] {
      if let Some(classes) = entry.get(key) {
        check_string_array(classes, &format!("migrations[{i}].{key}"), diag);
      }
    }
    let objects_with = |value: &Value, keys: &[&str]| {
      value.as_array().is_some_and(|items| {
        items.iter().all(|item| {
          js_object(item)
            .is_some_and(|o| keys.iter().all(|k| o.get(*k).is_some_and(Value::is_string)))
        })
      })
    };
    if let Some(renamed) = entry.get("renamed_classes") {
      if !objects_with(renamed, &["from", "to"]) {
        diag.errors.push(format!(
          "Expected \"migrations[{i}].renamed_classes\" to be an array of \"{{from: string, to: string}}\" objects but got {}.",
          show(renamed)
        ));
      }
    }
    if let Some(transferred) = entry.get("transferred_classes") {
      if !objects_with(transferred, &["from", "from_script", "to"]) {
        diag.errors.push(format!(
          "Expected \"migrations[{i}].transferred_classes\" to be an array of \"{{from: string, from_script: string, to: string}}\" objects but got {}.",
          show(transferred)
        ));
      }
    }
    if let Some(classes) = entry.get("deleted_classes") {
      check_string_array(classes, &format!("migrations[{i}].deleted_classes"), diag);
    }
  }
  diag.errors.len() == before
}

/// Wrangler's `validateTypedArray` for strings: the whole value, then each
/// element (its path really is `<field>.[j]`).
fn check_string_array(value: &Value, field: &str, diag: &mut Diagnostics) {
  let Some(items) = value.as_array() else {
    diag.errors.push(format!(
      "Expected \"{field}\" to be an array of strings but got {}",
      show(value)
    ));
    return;
  };
  for (j, item) in items.iter().enumerate() {
    if !item.is_string() {
      diag.errors.push(format!(
        "Expected \"{field}.[{j}]\" to be of type string but got {}.",
        show(item)
      ));
    }
  }
}

/// `[[rules]]` (at `path`: `rules` or `env.NAME.rules`).
pub fn check_rules(value: &Value, path: &str, diag: &mut Diagnostics) -> bool {
  // Wrangler skips a falsy value without a word.
  if matches!(value, Value::Null | Value::Bool(false))
    || value.as_str() == Some("")
    || value.as_f64() == Some(0.0)
  {
    return true;
  }
  let Some(list) = value.as_array() else {
    diag.errors.push(format!(
      "The field \"{path}\" should be an array but got {}.",
      show(value)
    ));
    return false;
  };
  let before = diag.errors.len();
  for (i, rule) in list.iter().enumerate() {
    let field = format!("{path}[{i}]");
    let Some(rule) = js_object(rule) else {
      diag.errors.push(format!(
        "\"{field}\" should be an object but got {}.",
        show(rule)
      ));
      continue;
    };
    if rule
      .get("type")
      .and_then(Value::as_str)
      .and_then(super::ModuleKind::parse)
      .is_none()
    {
      // "bindings" is wrangler's word here, a copy of the bindings' message.
      diag.errors.push(
        "bindings should have a string \"type\" field, which contains one of \"ESModule\", \"CommonJS\", \"CompiledWasm\", \"Text\", or \"Data\"."
          .to_string(),
      );
    }
    match rule.get("globs") {
      Some(globs) => check_string_array(globs, &format!("{field}.globs"), diag),
      None => diag.errors.push(format!(
        "Expected \"{field}.globs\" to be an array of strings but got undefined"
      )),
    }
    if !rule.get("fallthrough").is_none_or(Value::is_boolean) {
      diag
        .errors
        .push("the field \"fallthrough\", when present, should be a boolean.".to_string());
    }
  }
  diag.errors.len() == before
}
