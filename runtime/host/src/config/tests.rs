use super::*;

/// A fresh directory with `files` written into it (unique per call: tests
/// run in parallel).
fn tree(name: &str, files: &[(&str, &str)]) -> PathBuf {
  static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
  let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
  let dir = std::env::temp_dir().join(format!("kiln-config-{name}-{}-{n}", std::process::id()));
  let _ = std::fs::remove_dir_all(&dir);
  std::fs::create_dir_all(&dir).unwrap();
  for (path, text) in files {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
  }
  dir
}

const WORKER: &str = "export default { fetch() { return new Response('x') } }";

fn overrides() -> Overrides {
  Overrides {
    today: CompatDate::parse("2026-11-29").unwrap(),
    ..Overrides::default()
  }
}

fn diagnose(file: &str, text: &str, env: Option<&str>) -> (EffectiveConfig, Diagnostics) {
  let dir = tree("diag", &[(file, text)]);
  let raw = read_config(&dir.join(file)).unwrap();
  let mut diag = Diagnostics::new("test");
  let config = effective_config(&raw, env, &mut diag);
  (config, diag)
}

#[test]
fn discovery_prefers_json_then_jsonc_then_toml_by_name_before_distance() {
  let dir = tree("discovery", &[("a/b/wrangler.toml", "")]);
  let start = dir.join("a/b");
  assert_eq!(discover(&start), Some(start.join("wrangler.toml")));
  // A wrangler.jsonc further up beats the wrangler.toml right here.
  std::fs::write(dir.join("a/wrangler.jsonc"), "{}").unwrap();
  assert_eq!(discover(&start), Some(dir.join("a/wrangler.jsonc")));
  std::fs::write(dir.join("wrangler.json"), "{}").unwrap();
  assert_eq!(discover(&start), Some(dir.join("wrangler.json")));
}

#[test]
fn each_format_reads_the_same_configuration() {
  let toml = "name = \"w\"\nmain = \"w.js\"\ncompatibility_date = \"2026-05-01\"\ncompatibility_flags = [\"nodejs_als\"]\n[vars]\nA = \"1\"\nB = { c = 2 }\n[dev]\nport = 9999\nip = \"127.0.0.1\"\n";
  let json = r#"{
    // comments and trailing commas are fine in both JSON forms
    "name": "w", "main": "w.js", "compatibility_date": "2026-05-01",
    "compatibility_flags": ["nodejs_als",],
    /* block comment */ "vars": {"A": "1", "B": {"c": 2}},
    "dev": {"port": 9999, "ip": "127.0.0.1"},
  }"#;
  for (file, text) in [
    ("wrangler.toml", toml),
    ("wrangler.json", json),
    ("wrangler.jsonc", json),
  ] {
    let (config, diag) = diagnose(file, text, None);
    assert!(
      !diag.has_errors() && !diag.has_warnings(),
      "{file}: {diag:?}"
    );
    assert_eq!(config.name.as_deref(), Some("w"), "{file}");
    assert_eq!(config.main.as_deref(), Some("w.js"));
    assert_eq!(config.compatibility_date.as_deref(), Some("2026-05-01"));
    assert_eq!(config.compatibility_flags, ["nodejs_als"]);
    assert_eq!(
      Value::Object(config.vars),
      serde_json::json!({"A": "1", "B": {"c": 2}})
    );
    assert_eq!(config.dev.port, Some(9999));
    assert_eq!(config.dev.ip.as_deref(), Some("127.0.0.1"));
  }
}

#[test]
fn parse_errors_name_the_file() {
  for (file, text) in [
    ("wrangler.json", ""),
    ("wrangler.json", "{\"name\": }"),
    ("wrangler.toml", "name = "),
    ("wrangler.json", "[1, 2]"),
  ] {
    let dir = tree("parse", &[(file, text)]);
    let err = read_config(&dir.join(file)).unwrap_err();
    assert!(err.contains(file), "{text:?}: {err}");
  }
  let dir = tree("bom", &[]);
  std::fs::write(dir.join("wrangler.json"), [0xFF, 0xFE, b'{', 0, b'}', 0]).unwrap();
  let err = read_config(&dir.join("wrangler.json")).unwrap_err();
  assert!(
    err.starts_with("Configuration file contains UTF-16 LE byte order marker"),
    "{err}"
  );
}

#[test]
fn type_errors_name_the_field_and_the_value() {
  let (_, diag) = diagnose(
    "wrangler.json",
    r#"{"name": "Not Valid", "main": 3, "compatibility_date": 333,
        "compatibility_flags": [444, 555], "vars": "no", "dev": {"port": "FOO", "ip": 222, "local_protocol": "wss"},
        "routes": [1], "services": [{"binding": 2}]}"#,
    None,
  );
  assert_eq!(
    diag.errors,
    [
      "Expected \"name\" to be of type string, alphanumeric and lowercase with dashes only but got \"Not Valid\".",
      "Expected \"main\" to be of type string but got 3.",
      "Expected \"compatibility_date\" to be of type string but got 333.",
      "Expected \"compatibility_flags\" to be of type string array but got [444,555].",
      "The field \"vars\" should be an object but got \"no\".",
      "Expected \"dev.ip\" to be of type string but got 222.",
      "Expected \"dev.port\" to be of type number but got \"FOO\".",
      "Expected \"dev.local_protocol\" field to be one of [\"http\",\"https\"] but got \"wss\".",
      "Expected \"routes\" to be an array of either strings or objects with the shape { pattern, custom_domain, zone_id | zone_name, enabled, previews_enabled }, but these weren't valid: [1].",
      "\"services[0]\" bindings should have a string \"binding\" field but got {\"binding\":2}.",
      "\"services[0]\" bindings should have a string \"service\" field but got {\"binding\":2}.",
    ]
  );
}

#[test]
fn compatibility_date_shapes() {
  let (_, diag) = diagnose(
    "wrangler.json",
    "{\"compatibility_date\": \"2026\u{2013}05\u{2013}01\"}",
    None,
  );
  assert_eq!(diag.errors, ["\"compatibility_date\" field should use ISO-8601 accepted hyphens (-) rather than en-dashes (\u{2013}) or em-dashes (\u{2014})."]);
  let (_, diag) = diagnose("wrangler.json", "{\"compatibility_date\": \"abc\"}", None);
  assert_eq!(
    diag.errors,
    ["\"compatibility_date\" field should be a valid ISO-8601 date (YYYY-MM-DD), but got \"abc\"."]
  );
  let (_, diag) = diagnose(
    "wrangler.toml",
    "compatibility_date = 2026-05-01\n[vars]\nD = 2025-12-19\n",
    None,
  );
  assert_eq!(
    diag.errors,
    [
      "Expected \"compatibility_date\" to be of type string but got \"2026-05-01T00:00:00.000Z\".",
      "The field \"vars.D\" is a TOML date, which is not supported. Please use a string instead, e.g. D = \"2025-12-19\".",
    ]
  );
}

#[test]
fn unknown_keys_are_warnings_in_wranglers_words() {
  let (_, diag) = diagnose(
    "wrangler.toml",
    "foo = 1\nbar = 2\n[dev]\nwhat = true\n[env.staging]\nnope = 1\n",
    Some("staging"),
  );
  assert!(!diag.has_errors(), "{diag:?}");
  assert_eq!(
    diag.warnings,
    [
      "Unexpected fields found in top-level field: \"bar\",\"foo\"",
      "Unexpected fields found in dev field: \"what\"",
    ]
  );
  assert_eq!(
    diag.children[0].warnings,
    ["Unexpected fields found in env.staging field: \"nope\""]
  );
  let rendered = diag.render(false);
  assert!(rendered.contains("  - \"env.staging\" environment configuration\n    - Unexpected fields found in env.staging field: \"nope\""), "{rendered}");
}

#[test]
fn environments_inherit_some_keys_and_not_bindings() {
  let text = r#"
name = "app"
main = "w.js"
compatibility_date = "2026-01-01"
compatibility_flags = ["nodejs_als"]
routes = ["example.com/*"]
[vars]
A = "top"
B = "top"
[[services]]
binding = "API"
service = "api"
[env.staging]
compatibility_date = "2026-05-01"
[env.staging.vars]
A = "staging"
[env.prod]
name = "production"
"#;
  let (top, diag) = diagnose("wrangler.toml", text, None);
  assert!(!diag.has_errors() && !diag.has_warnings(), "{diag:?}");
  assert_eq!(top.name.as_deref(), Some("app"));
  assert_eq!(
    top.services,
    [ServiceBinding {
      binding: "API".into(),
      service: "api".into()
    }]
  );

  let (staging, diag) = diagnose("wrangler.toml", text, Some("staging"));
  assert!(!diag.has_errors(), "{diag:?}");
  assert_eq!(staging.name.as_deref(), Some("app-staging"));
  assert_eq!(staging.main.as_deref(), Some("w.js"));
  assert_eq!(staging.compatibility_date.as_deref(), Some("2026-05-01"));
  assert_eq!(staging.compatibility_flags, ["nodejs_als"]);
  assert_eq!(staging.routes, ["example.com/*"]);
  assert_eq!(
    Value::Object(staging.vars),
    serde_json::json!({"A": "staging"})
  );
  assert!(staging.services.is_empty());
  assert_eq!(
    diag.children[0].warnings,
    [
      "The following vars exist at the top level, but not on \"env.staging.vars\".\nThis is not what you probably want, since \"vars\" configuration is not inherited by environments.\nPlease add these vars to \"env.staging.vars\".\n- B",
      "\"services\" exists at the top level, but not on \"env.staging\".\nThis is not what you probably want, since \"services\" is not inherited by environments.\nPlease add \"services\" to \"env.staging\".",
    ]
  );

  let (prod, diag) = diagnose("wrangler.toml", text, Some("prod"));
  assert_eq!(prod.name.as_deref(), Some("production"));
  assert!(prod.vars.is_empty());
  assert!(diag.children[0].warnings[0]
    .starts_with("\"vars\" exists at the top level, but not on \"env.prod\"."));
}

#[test]
fn a_missing_environment_is_an_error_only_when_environments_exist() {
  let (_, diag) = diagnose("wrangler.toml", "[env.a]\n[env.b]\n", Some("c"));
  assert_eq!(
    diag.errors,
    ["No environment found in configuration with name \"c\".\nBefore using `--env=c` there should be an equivalent environment section in the configuration.\nThe available configured environment names are: [\"a\",\"b\"]"]
  );
  let (_, diag) = diagnose("wrangler.toml", "name = \"x\"\n", Some("c"));
  assert!(!diag.has_errors());
  assert!(diag.warnings[0].starts_with("No environment found in configuration with name \"c\"."));
}

#[test]
fn routes_and_bindings_rules() {
  let (_, diag) = diagnose(
    "wrangler.json",
    r#"{"routes": ["a.com/*"], "route": "b.com/*"}"#,
    None,
  );
  assert_eq!(
    diag.errors,
    ["Expected exactly one of the following fields [\"routes\",\"route\"]."]
  );
  let (config, diag) = diagnose(
    "wrangler.json",
    r#"{"route": {"pattern": "a.com/x", "zone_name": "a.com"}}"#,
    None,
  );
  assert!(!diag.has_errors());
  assert_eq!(config.routes, ["a.com/x"]);
  let (_, diag) = diagnose(
    "wrangler.json",
    r#"{"vars": {"API": "x"}, "services": [{"binding": "API", "service": "api"}]}"#,
    None,
  );
  assert_eq!(diag.errors, ["API assigned to environment variable and Service bindings.\nBindings must have unique names, so that they can all be referenced in the worker. Please change your bindings to have unique names."]);
}

#[test]
fn plans_resolve_main_date_flags_and_overrides() {
  let dir = tree(
    "plan",
    &[
      ("src/w.js", WORKER),
      (
        "wrangler.toml",
        "name = \"w\"\nmain = \"src/w.js\"\ncompatibility_date = \"2026-04-01\"\n[vars]\nA = \"1\"\n",
      ),
    ],
  );
  let source = Source::Config(dir.join("wrangler.toml"));
  let plan = plan_worker(&source, &overrides()).unwrap();
  assert_eq!(plan.spec.main, dir.join("src/w.js").canonicalize().unwrap());
  assert!(!plan.spec.compat.flags.web_socket_auto_reply_to_close);
  assert!(plan.warnings.is_empty(), "{}", plan.warnings);

  let plan = plan_worker(
    &source,
    &Overrides {
      compatibility_date: Some("2026-05-01".into()),
      compatibility_flags: Some(vec!["nodejs_als".into()]),
      vars: vec![("A".into(), "cli".into()), ("B".into(), "2".into())],
      ..overrides()
    },
  )
  .unwrap();
  assert!(plan.spec.compat.flags.web_socket_auto_reply_to_close);
  assert!(plan.spec.compat.flags.nodejs_als);
  assert_eq!(plan.spec.env, serde_json::json!({"A": "cli", "B": "2"}));
}

#[test]
fn a_missing_date_uses_the_default_with_a_warning() {
  let dir = tree(
    "nodate",
    &[("w.js", WORKER), ("wrangler.json", "{\"main\": \"w.js\"}")],
  );
  let plan = plan_worker(&Source::Config(dir.join("wrangler.json")), &overrides()).unwrap();
  assert_eq!(
    plan.spec.compat.date.to_string(),
    DEFAULT_COMPATIBILITY_DATE
  );
  assert!(plan.warnings.contains(&format!(
    "No compatibility_date was specified. Using the default compatibility date: {DEFAULT_COMPATIBILITY_DATE}."
  )), "{}", plan.warnings);
}

#[test]
fn every_problem_of_a_worker_is_reported_together() {
  let dir = tree(
    "problems",
    &[(
      "wrangler.toml",
      "main = \"missing.js\"\ncompatibility_date = \"2026-13-01\"\ncompatibility_flags = [\"bogus\"]\nname = \"UPPER\"\n",
    )],
  );
  let err = plan_worker(&Source::Config(dir.join("wrangler.toml")), &overrides()).unwrap_err();
  for needle in [
    "Processing ",
    "alphanumeric and lowercase",
    "missing.js\" was not found",
    "Invalid compatibility date: 2026-13-01",
    "No such compatibility flag: bogus",
  ] {
    assert!(err.contains(needle), "{needle:?} missing from:\n{err}");
  }
}
