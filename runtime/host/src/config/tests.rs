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
      "Unexpected fields found in top-level field: \"foo\",\"bar\"",
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

/// Keys in the configurations below are in alphabetical order wherever a
/// message shows an object: serde_json sorts them unless another crate of
/// the build turns on its `preserve_order`.
#[test]
fn durable_object_bindings_are_checked_in_wranglers_words() {
  for (text, error) in [
    (
      r#"{"durable_objects": []}"#,
      "The field \"durable_objects\" should be an object but got [].",
    ),
    (
      r#"{"durable_objects": {}}"#,
      "The field \"durable_objects\" is missing the required \"bindings\" property.",
    ),
    (
      r#"{"durable_objects": {"bindings": 1}}"#,
      "The field \"durable_objects.bindings\" should be an array but got 1.",
    ),
  ] {
    let (_, diag) = diagnose("wrangler.json", text, None);
    assert_eq!(diag.errors, [error], "{text}");
  }

  let (config, diag) = diagnose(
    "wrangler.json",
    r#"{"durable_objects": {"bindings": [
      1,
      {"class_name": 2, "environment": "production", "name": "A", "other": true},
      {"class_name": "C", "environment": 4, "name": "B", "script_name": 3},
      {"class_name": "D", "name": 5, "remote": "yes"},
      {"class_name": "Fine", "name": "FINE", "script_name": "elsewhere"}
    ]}}"#,
    None,
  );
  assert!(diag.errors.is_empty(), "{diag:?}");
  let children: Vec<(&str, Vec<&str>, Vec<&str>)> = diag
    .children
    .iter()
    .map(|c| {
      (
        c.heading.as_str(),
        c.errors.iter().map(String::as_str).collect(),
        c.warnings.iter().map(String::as_str).collect(),
      )
    })
    .collect();
  assert_eq!(
    children,
    [
      (
        "\"durable_objects.bindings[0]\": 1",
        vec!["Expected \"durable_objects.bindings[0]\" to be an object but got 1"],
        vec![],
      ),
      (
        "\"durable_objects.bindings[1]\": {\"class_name\":2,\"environment\":\"production\",\"name\":\"A\",\"other\":true}",
        vec![
          "binding should have a string \"class_name\" field.",
          "binding should have a \"script_name\" field if \"environment\" is present.",
        ],
        vec!["Unexpected fields found in durable_objects.bindings[1] field: \"other\""],
      ),
      (
        "\"durable_objects.bindings[2]\": {\"class_name\":\"C\",\"environment\":4,\"name\":\"B\",\"script_name\":3}",
        vec![
          "the field \"script_name\", when present, should be a string.",
          "the field \"environment\", when present, should be a string.",
        ],
        vec![],
      ),
      (
        "\"durable_objects.bindings[3]\": {\"class_name\":\"D\",\"name\":5,\"remote\":\"yes\"}",
        vec![
          "binding should have a string \"name\" field.",
          "\"durable_objects.bindings[3]\" should, optionally, have a boolean \"remote\" field but got {\"class_name\":\"D\",\"name\":5,\"remote\":\"yes\"}.",
        ],
        vec!["Unexpected fields found in durable_objects.bindings[3] field: \"remote\""],
      ),
    ]
  );
  assert!(diag.has_errors());
  let rendered = diag.render(true);
  assert!(
    rendered.contains("  - \"durable_objects.bindings[1]\": {\"class_name\":2,\"environment\":\"production\",\"name\":\"A\",\"other\":true}\n    - binding should have a string \"class_name\" field.\n"),
    "{rendered}"
  );
  // Only well-formed bindings reach the configuration.
  assert_eq!(
    config.durable_objects,
    [DurableObjectBinding {
      name: "FINE".into(),
      class_name: "Fine".into(),
      script_name: Some("elsewhere".into()),
    }]
  );

  let (_, diag) = diagnose(
    "wrangler.toml",
    "[vars]\nCOUNTER = \"x\"\n[[durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n",
    None,
  );
  assert_eq!(diag.errors, ["COUNTER assigned to Durable Object and environment variable bindings.\nBindings must have unique names, so that they can all be referenced in the worker. Please change your bindings to have unique names."]);
}

#[test]
fn durable_object_bindings_are_not_inherited_by_environments() {
  let text = r#"
name = "app"
[[durable_objects.bindings]]
name = "A"
class_name = "A"
[[durable_objects.bindings]]
name = "B"
class_name = "B"
[[migrations]]
tag = "v1"
new_classes = ["A", "B"]
[env.bare]
[env.partial]
[[env.partial.durable_objects.bindings]]
name = "A"
class_name = "A"
[[env.partial.migrations]]
tag = "v1"
new_classes = ["A"]
[env.broken.durable_objects]
bindings = 3
"#;
  let (top, diag) = diagnose("wrangler.toml", text, None);
  assert!(!diag.has_errors() && !diag.has_warnings(), "{diag:?}");
  assert_eq!(top.durable_objects.len(), 2);

  let (bare, diag) = diagnose("wrangler.toml", text, Some("bare"));
  assert!(!diag.has_errors(), "{diag:?}");
  assert!(bare.durable_objects.is_empty());
  // Migrations are inherited.
  assert_eq!(bare.migrations, top.migrations);
  assert_eq!(
    diag.children[0].warnings,
    ["\"durable_objects\" exists at the top level, but not on \"env.bare\".\nThis is not what you probably want, since \"durable_objects\" is not inherited by environments.\nPlease add \"durable_objects\" to \"env.bare\"."]
  );

  let (partial, diag) = diagnose("wrangler.toml", text, Some("partial"));
  assert!(!diag.has_errors(), "{diag:?}");
  assert_eq!(partial.durable_objects.len(), 1);
  assert_eq!(partial.migrations[0].new_classes, ["A"]);
  assert_eq!(
    diag.children[0].warnings,
    ["The following bindings are at the top level, but not on \"env.partial\".\nThis is not what you probably want, since \"durable_objects\" configuration is not inherited by environments.\nPlease add a binding for each to \"env.partial.durable_objects.bindings\":\n- B"]
  );

  // An invalid block in the environment is reported there, and its names
  // are not compared.
  let (_, diag) = diagnose("wrangler.toml", text, Some("broken"));
  assert_eq!(
    diag.children[0].errors,
    ["The field \"env.broken.durable_objects.bindings\" should be an array but got 3."]
  );
  assert!(diag.children[0].warnings.is_empty(), "{diag:?}");
}

#[test]
fn migrations_are_checked_in_wranglers_words() {
  let (_, diag) = diagnose("wrangler.json", r#"{"migrations": {}}"#, None);
  assert_eq!(
    diag.errors,
    ["The optional \"migrations\" field should be an array, but got {}"]
  );
  let (_, diag) = diagnose(
    "wrangler.json",
    r#"{"migrations": [
      {"deleted_classes": [true], "extra": 1, "new_classes": "A", "new_sqlite_classes": ["B", 2],
       "renamed_classes": [{"from": "A"}], "tag": 1, "transferred_classes": 3},
      {"renamed_classes": "x", "transferred_classes": [{"from": "A", "from_script": "s", "to": "B"}]},
      {"deleted_classes": 1, "tag": "v3"}
    ]}"#,
    None,
  );
  assert_eq!(
    diag.errors,
    [
      "Expected \"migrations[0].tag\" to be of type string but got 1.",
      "Expected \"migrations[0].new_classes\" to be an array of strings but got \"A\"",
      "Expected \"migrations[0].new_sqlite_classes.[1]\" to be of type string but got 2.",
      "Expected \"migrations[0].renamed_classes\" to be an array of \"{from: string, to: string}\" objects but got [{\"from\":\"A\"}].",
      "Expected \"migrations[0].transferred_classes\" to be an array of \"{from: string, from_script: string, to: string}\" objects but got 3.",
      "Expected \"migrations[0].deleted_classes.[0]\" to be of type string but got true.",
      "\"migrations[1].tag\" is a required field.",
      "Expected \"migrations[1].renamed_classes\" to be an array of \"{from: string, to: string}\" objects but got \"x\".",
      "Expected \"migrations[2].deleted_classes\" to be an array of strings but got 1",
    ]
  );
  assert_eq!(
    diag.warnings,
    ["Unexpected fields found in migrations field: \"extra\""]
  );
}

fn migration(tag: &str) -> Migration {
  Migration {
    tag: tag.into(),
    ..Migration::default()
  }
}

fn names(list: &[&str]) -> Vec<String> {
  list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn migrations_fold_into_classes_and_their_storage() {
  let v1 = Migration {
    new_classes: names(&["A", "Gone"]),
    new_sqlite_classes: names(&["B"]),
    ..migration("v1")
  };
  let v2 = Migration {
    renamed_classes: vec![("A".into(), "C".into())],
    deleted_classes: names(&["Gone"]),
    ..migration("v2")
  };
  // Deletions apply before additions within one migration, so a class can
  // be deleted and declared again at once.
  let v3 = Migration {
    deleted_classes: names(&["B"]),
    new_classes: names(&["B"]),
    ..migration("v3")
  };
  assert_eq!(
    fold_migrations(std::slice::from_ref(&v1)).unwrap(),
    [
      ("A".to_string(), false),
      ("Gone".to_string(), false),
      ("B".to_string(), true)
    ]
  );
  assert_eq!(
    fold_migrations(&[v1.clone(), v2.clone(), v3.clone()]).unwrap(),
    [("C".to_string(), false), ("B".to_string(), false)]
  );

  let fails = |extra: Migration| {
    fold_migrations(&[v1.clone(), v2.clone(), extra])
      .unwrap_err()
      .to_string()
  };
  assert_eq!(
    fails(Migration {
      new_classes: names(&["C"]),
      ..migration("v3")
    }),
    "Cannot apply new_classes migration to existing class C"
  );
  assert_eq!(
    fails(Migration {
      new_sqlite_classes: names(&["B"]),
      ..migration("v3")
    }),
    "Cannot apply new_sqlite_classes migration to existing class B"
  );
  // A renamed class is gone under its old name.
  assert_eq!(
    fails(Migration {
      renamed_classes: vec![("A".into(), "D".into())],
      ..migration("v3")
    }),
    "Cannot apply renamed_classes migration to non-existent class A"
  );
  assert_eq!(
    fails(Migration {
      deleted_classes: names(&["Gone"]),
      ..migration("v3")
    }),
    "Cannot apply deleted_classes migration to non-existent class Gone"
  );
}

#[test]
fn a_worker_spec_carries_its_durable_objects() {
  let dir = tree(
    "durable",
    &[
      ("w.js", WORKER),
      (
        "wrangler.toml",
        r#"
name = "app"
main = "w.js"
compatibility_date = "2026-04-01"
[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"
[[durable_objects.bindings]]
name = "ROOM"
class_name = "Room"
script_name = "app"
[[durable_objects.bindings]]
name = "OTHER_THING"
class_name = "Remote"
script_name = "other"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["Room", "Unbound"]
"#,
      ),
    ],
  );
  let plan = plan_worker(&Source::Config(dir.join("wrangler.toml")), &overrides()).unwrap();
  let spec = &plan.spec;
  let binding = |name: &str, class_name: &str, script_name: Option<&str>| DurableObjectBinding {
    name: name.into(),
    class_name: class_name.into(),
    script_name: script_name.map(str::to_string),
  };
  assert_eq!(
    spec.durable_objects,
    [
      binding("COUNTER", "Counter", None),
      // Naming the worker itself makes a binding local.
      binding("ROOM", "Room", None),
      binding("OTHER_THING", "Remote", Some("other")),
    ]
  );
  let class = |class_name: &str, sqlite: bool| DurableObjectClass {
    class_name: class_name.into(),
    sqlite,
  };
  assert_eq!(
    spec.durable_object_classes,
    [
      class("Counter", false),
      class("Room", true),
      class("Unbound", true)
    ]
  );
  assert!(spec.has_local_durable_objects());
  let refusal = spec.service_worker_error.as_deref().unwrap();
  assert_eq!(
    refusal,
    "You seem to be trying to use Durable Objects in a Worker written as a service-worker.\nYou can use Durable Objects defined in other Workers by specifying a `script_name` in your wrangler.toml file, where `script_name` is the name of the Worker that implements that Durable Object. For example:\n{ name = COUNTER, class_name = Counter } ==> { name = COUNTER, class_name = Counter, script_name = counter-worker }\n{ name = ROOM, class_name = Room } ==> { name = ROOM, class_name = Room, script_name = room-worker }\nAlternatively, migrate your worker to ES Module syntax to implement a Durable Object in this Worker:\nhttps://developers.cloudflare.com/workers/learning/migrating-to-module-workers/"
  );

  // Only other workers' classes, and migrations: the migrations refusal.
  std::fs::write(
    dir.join("wrangler.json"),
    r#"{"name": "app", "main": "w.js", "compatibility_date": "2026-04-01",
        "durable_objects": {"bindings": [{"class_name": "Remote", "name": "R", "script_name": "other"}]},
        "migrations": [{"tag": "v1"}]}"#,
  )
  .unwrap();
  let plan = plan_worker(&Source::Config(dir.join("wrangler.json")), &overrides()).unwrap();
  assert!(!plan.spec.has_local_durable_objects());
  assert!(plan.spec.durable_object_classes.is_empty());
  assert!(plan
    .spec
    .service_worker_error
    .as_deref()
    .unwrap()
    .starts_with("Durable Object migrations require ES Module format Workers, but yours is being built as service-worker format. Migrations cannot be applied to service-worker format Workers.\nTo use Durable Object migrations, deploy in ES Module format by adding a default export handler"));

  std::fs::write(
    dir.join("wrangler.json"),
    r#"{"name": "app", "main": "w.js", "compatibility_date": "2026-04-01",
        "durable_objects": {"bindings": [{"class_name": "Remote", "name": "R", "script_name": "other"}]}}"#,
  )
  .unwrap();
  let plan = plan_worker(&Source::Config(dir.join("wrangler.json")), &overrides()).unwrap();
  assert_eq!(plan.spec.service_worker_error, None);

  // A migration that cannot apply stops the worker.
  std::fs::write(
    dir.join("wrangler.json"),
    r#"{"main": "w.js", "compatibility_date": "2026-04-01",
        "migrations": [{"tag": "v1", "new_classes": ["A"]}, {"tag": "v2", "deleted_classes": ["B"]}]}"#,
  )
  .unwrap();
  let err = plan_worker(&Source::Config(dir.join("wrangler.json")), &overrides()).unwrap_err();
  assert!(
    err.contains("  - Cannot apply deleted_classes migration to non-existent class B"),
    "{err}"
  );
}

#[test]
fn rules_are_checked_in_wranglers_words() {
  let (_, diag) = diagnose("wrangler.json", r#"{"rules": {}}"#, None);
  assert_eq!(
    diag.errors,
    ["The field \"rules\" should be an array but got {}."]
  );
  let bad_type = "bindings should have a string \"type\" field, which contains one of \"ESModule\", \"CommonJS\", \"CompiledWasm\", \"Text\", or \"Data\".";
  let (config, diag) = diagnose(
    "wrangler.json",
    r#"{"rules": [
      1,
      {"type": "PythonModule", "globs": ["**/*.py"]},
      {"type": "Text", "globs": "x", "fallthrough": "yes"},
      {"type": "Data", "globs": ["a", 2]},
      {"type": "Text", "globs": ["**/*.md"], "fallthrough": true}
    ]}"#,
    None,
  );
  assert_eq!(
    diag.errors,
    [
      "\"rules[0]\" should be an object but got 1.",
      bad_type,
      "Expected \"rules[2].globs\" to be an array of strings but got \"x\"",
      "the field \"fallthrough\", when present, should be a boolean.",
      "Expected \"rules[3].globs.[1]\" to be of type string but got 2.",
    ]
  );
  assert_eq!(
    config.rules.last(),
    Some(&RuleConfig {
      kind: ModuleKind::Text,
      globs: vec!["**/*.md".into()],
      fallthrough: Some(true),
    })
  );
  let (_, diag) = diagnose("wrangler.json", r#"{"rules": [{"type": "Text"}]}"#, None);
  assert_eq!(
    diag.errors,
    ["Expected \"rules[0].globs\" to be an array of strings but got undefined"]
  );

  // Rules are inherited; inside an environment the path says so.
  let text = "[[rules]]\ntype = \"Text\"\nglobs = [\"**/*.md\"]\n[env.a]\n[env.b]\nrules = 3\n";
  let (a, diag) = diagnose("wrangler.toml", text, Some("a"));
  assert!(!diag.has_errors(), "{diag:?}");
  assert_eq!(a.rules.len(), 1);
  let (_, diag) = diagnose("wrangler.toml", text, Some("b"));
  assert_eq!(
    diag.children[0].errors,
    ["The field \"env.b.rules\" should be an array but got 3."]
  );
}

fn rule(kind: ModuleKind, globs: &[&str], fallthrough: Option<bool>) -> RuleConfig {
  RuleConfig {
    kind,
    globs: names(globs),
    fallthrough,
  }
}

fn kinds_and_globs(rules: &[ModuleRule]) -> Vec<(ModuleKind, String)> {
  rules.iter().map(|r| (r.kind, r.globs.join(","))).collect()
}

#[test]
fn module_rules_follow_the_configured_ones_with_wranglers_defaults() {
  use ModuleKind::*;
  let mut warnings = Vec::new();
  let rules = module_rules(&[], &mut warnings);
  assert!(warnings.is_empty());
  assert_eq!(
    kinds_and_globs(&rules),
    [
      (Text, "**/*.txt,**/*.html,**/*.sql".to_string()),
      (Data, "**/*.bin".to_string()),
      (CompiledWasm, "**/*.wasm,**/*.wasm?module".to_string()),
    ]
  );

  // A rule completes its type: the default Text rule is dropped.
  let rules = module_rules(&[rule(Text, &["**/*.md"], None)], &mut warnings);
  assert_eq!(
    kinds_and_globs(&rules),
    [
      (Text, "**/*.md".to_string()),
      (Data, "**/*.bin".to_string()),
      (CompiledWasm, "**/*.wasm,**/*.wasm?module".to_string()),
    ]
  );
  assert_eq!(
    warnings,
    ["The module rule {\"type\":\"Text\",\"globs\":[\"**/*.md\"]} does not have a fallback, the following rules will be ignored:\n {\"type\":\"Text\",\"globs\":[\"**/*.txt\",\"**/*.html\",\"**/*.sql\"]} (DEFAULT)\n\nAdd `fallthrough = true` to rule to allow next rule to be used or `fallthrough = false` to silence this warning"]
  );

  // fallthrough = true lets the next rule of the type stand.
  let mut warnings = Vec::new();
  let rules = module_rules(&[rule(Text, &["**/*.md"], Some(true))], &mut warnings);
  assert!(warnings.is_empty(), "{warnings:?}");
  assert_eq!(rules.len(), 4);
  assert!(rules[0].fallthrough && !rules[1].fallthrough);
  assert_eq!(rules[1].globs, ["**/*.txt", "**/*.html", "**/*.sql"]);

  // fallthrough = false says the dropping is meant: no warning.
  let rules = module_rules(
    &[
      rule(Data, &["**/*.dat"], Some(false)),
      rule(Data, &["**/*.raw"], None),
    ],
    &mut warnings,
  );
  assert!(warnings.is_empty(), "{warnings:?}");
  assert_eq!(
    kinds_and_globs(&rules),
    [
      (Data, "**/*.dat".to_string()),
      (Text, "**/*.txt,**/*.html,**/*.sql".to_string()),
      (CompiledWasm, "**/*.wasm,**/*.wasm?module".to_string()),
    ]
  );

  // Every dropped rule is named, the user's and the default alike.
  let rules = module_rules(
    &[
      rule(CompiledWasm, &["**/*.w"], None),
      rule(ESModule, &["**/*.js"], None),
      rule(CompiledWasm, &["**/*.x"], Some(true)),
    ],
    &mut warnings,
  );
  assert_eq!(rules.len(), 4);
  assert_eq!(
    warnings,
    ["The module rule {\"type\":\"CompiledWasm\",\"globs\":[\"**/*.w\"]} does not have a fallback, the following rules will be ignored:\n {\"type\":\"CompiledWasm\",\"globs\":[\"**/*.x\"],\"fallthrough\":true}\n {\"type\":\"CompiledWasm\",\"globs\":[\"**/*.wasm\",\"**/*.wasm?module\"]} (DEFAULT)\n\nAdd `fallthrough = true` to rule to allow next rule to be used or `fallthrough = false` to silence this warning"]
  );
}

#[test]
fn globs_match_like_wranglers_glob_to_regexp_with_globstar() {
  let matches = |glob: &str, path: &str| {
    regex::Regex::new(&glob_to_regex(glob))
      .unwrap()
      .is_match(path)
  };
  for (glob, path, expected) in [
    ("**/*.txt", "a.txt", true),
    ("**/*.txt", "d/e/a.txt", true),
    ("**/*.txt", "a.txt.js", false),
    ("*.txt", "a.txt", true),
    ("*.txt", "d/a.txt", false),
    ("src/**/*.md", "src/a.md", true),
    ("src/**/*.md", "src/x/y/a.md", true),
    ("src/**/*.md", "a.md", false),
    ("src/**", "src/x/y", true),
    // "**" inside a segment is one "*".
    ("a**b", "axxb", true),
    ("a**b", "ax/xb", false),
    // "?" and braces are themselves, not wildcards.
    ("**/*.wasm?module", "x.wasm?module", true),
    ("**/*.wasm?module", "x.wasmXmodule", false),
    ("**/*.wasm", "x.wasm?module", false),
    ("{a,b}.txt", "a.txt", false),
    ("{a,b}.txt", "{a,b}.txt", true),
    ("a+(b).txt", "a+(b).txt", true),
  ] {
    assert_eq!(matches(glob, path), expected, "{glob} on {path}");
  }

  let mut warnings = Vec::new();
  let matcher = RuleMatcher::new(&module_rules(
    &[rule(ModuleKind::Text, &["**/*.bin"], Some(true))],
    &mut warnings,
  ));
  // The first matching rule wins.
  assert_eq!(matcher.kind_of("a.bin"), Some(ModuleKind::Text));
  assert_eq!(matcher.kind_of("x/a.html"), Some(ModuleKind::Text));
  assert_eq!(
    matcher.kind_of("a.wasm?module"),
    Some(ModuleKind::CompiledWasm)
  );
  assert_eq!(matcher.kind_of("a.js"), None);
}

#[test]
fn local_state_lives_beside_the_configuration_unless_told_otherwise() {
  let dir = tree(
    "state",
    &[
      ("w.js", WORKER),
      (
        "wrangler.toml",
        "main = \"w.js\"\ncompatibility_date = \"2026-04-01\"\n",
      ),
    ],
  );
  let source = Source::Config(dir.join("wrangler.toml"));
  let plan = |overrides: Overrides| plan_worker(&source, &overrides);
  assert_eq!(
    plan(overrides()).unwrap().spec.state_dir,
    Some(dir.join(".wrangler").join("state"))
  );
  let cwd = std::env::current_dir().unwrap();
  assert_eq!(
    plan(Overrides {
      persist_to: Some("some/dir".into()),
      ..overrides()
    })
    .unwrap()
    .spec
    .state_dir,
    Some(cwd.join("some/dir"))
  );
  assert_eq!(
    plan(Overrides {
      persist_to: Some(dir.join("abs")),
      ..overrides()
    })
    .unwrap()
    .spec
    .state_dir,
    Some(dir.join("abs"))
  );
  assert_eq!(
    plan(Overrides {
      no_persist: true,
      ..overrides()
    })
    .unwrap()
    .spec
    .state_dir,
    None
  );
  let err = plan(Overrides {
    no_persist: true,
    persist_to: Some("x".into()),
    ..overrides()
  })
  .unwrap_err();
  assert!(
    err.contains("--persist-to and --no-persist cannot be used together."),
    "{err}"
  );

  // Without a configuration, the state is the current directory's.
  let bare = tree("state-bare", &[("w.js", WORKER)]);
  let plan = plan_worker(&Source::Script(bare.join("w.js")), &overrides()).unwrap();
  assert_eq!(
    plan.spec.state_dir,
    Some(cwd.join(".wrangler").join("state"))
  );
}

#[test]
fn kv_namespaces_are_checked_in_wranglers_words_and_not_inherited() {
  let (config, diag) = diagnose(
    "wrangler.toml",
    "kv_namespaces = [{ binding = \"KV\", id = \"abc\" }, { binding = \"NOID\" }]\n[env.staging]\nname = \"w\"\n",
    Some("staging"),
  );
  assert!(config.kv_namespaces.is_empty(), "not inherited");
  let text = diag.render(false);
  assert!(
    text.contains("\"kv_namespaces\" exists at the top level, but not on \"env.staging\"."),
    "{text}"
  );
  let (config, diag) = diagnose(
    "wrangler.toml",
    "kv_namespaces = [{ binding = \"KV\", id = \"abc\" }]\n[env.staging]\nkv_namespaces = [{ binding = \"OTHER\", id = \"o\" }]\n",
    Some("staging"),
  );
  assert_eq!(
    config.kv_namespaces,
    vec![KvNamespace {
      binding: "OTHER".into(),
      id: "o".into()
    }]
  );
  let text = diag.render(false);
  assert!(
    text.contains("There is a kv_namespaces binding with name \"KV\" at the top level, but not on \"env.staging\"."),
    "{text}"
  );
  let (config, _) = diagnose(
    "wrangler.toml",
    "kv_namespaces = [{ binding = \"KV\", id = \"abc\" }, { binding = \"NOID\" }]\n",
    None,
  );
  assert_eq!(
    config.kv_namespaces,
    vec![
      KvNamespace {
        binding: "KV".into(),
        id: "abc".into()
      },
      // Without an id, wrangler dev names the namespace after the binding.
      KvNamespace {
        binding: "NOID".into(),
        id: "NOID".into()
      },
    ]
  );
  let (_, diag) = diagnose(
    "wrangler.json",
    r#"{"kv_namespaces": [{"id": "x"}, 5, {"binding": "A", "id": ""}], "vars": {"A": "1"}}"#,
    None,
  );
  let text = diag.render(true);
  for expected in [
    "\"kv_namespaces[0]\" bindings should have a string \"binding\" field but got {\"id\":\"x\"}.",
    "\"kv_namespaces\" bindings should be objects, but got 5",
    "\"kv_namespaces[2]\" bindings should have a string \"id\" field but got {\"binding\":\"A\",\"id\":\"\"}.",
    "A assigned to environment variable and KV Namespace bindings.",
  ] {
    assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
  }
  let (_, diag) = diagnose(
    "wrangler.json",
    r#"{"kv_namespaces": {"binding": "A"}}"#,
    None,
  );
  assert!(diag
    .render(true)
    .contains("The field \"kv_namespaces\" should be an array but got {\"binding\":\"A\"}."));
}

#[test]
fn bindings_kiln_does_not_emulate_are_named() {
  let (config, _) = diagnose(
    "wrangler.toml",
    "r2_buckets = [{ binding = \"BUCKET\", bucket_name = \"b\" }]\nd1_databases = [{ binding = \"DB\", database_name = \"d\", database_id = \"x\" }]\nai = { binding = \"AI\" }\n[triggers]\ncrons = [\"* * * * *\"]\n[[queues.producers]]\nbinding = \"Q\"\nqueue = \"q\"\n",
    None,
  );
  assert_eq!(config.unemulated, ["Workers AI \"AI\" (ai)",]);
  let (config, _) = diagnose("wrangler.toml", "name = \"plain\"\n", None);
  assert!(config.unemulated.is_empty());
}
