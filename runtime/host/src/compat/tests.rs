use super::*;

fn today() -> CompatDate {
  CompatDate::parse("2026-11-29").unwrap()
}

fn run(date: &str, flags: &[&str], experimental: bool) -> Result<Resolved, CompatErrors> {
  let flags: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
  resolve(&CompatInput {
    date,
    flags: &flags,
    experimental,
    today: today(),
  })
}

fn errors(date: &str, flags: &[&str]) -> Vec<String> {
  run(date, flags, false).expect_err("expected errors").errors
}

fn reason(resolved: &Resolved, name: &str) -> Reason {
  let index = FLAGS.iter().position(|d| d.enable == name).unwrap();
  resolved.reasons[index]
}

#[test]
fn the_table_is_complete() {
  assert_eq!(FLAGS.len(), 186);
  assert_eq!(
    FLAGS
      .iter()
      .filter(|d| matches!(d.date, FlagDate::On(_)))
      .count(),
    87
  );
  assert_eq!(FLAGS.iter().filter(|d| d.experimental).count(), 38);
  assert_eq!(FLAGS.iter().filter(|d| d.implied.is_some()).count(), 43);
  assert!(matches!(FLAGS[12].date, FlagDate::AllDates));
}

#[test]
fn date_format_rules() {
  for (date, ok) in [
    ("2026-04-07", true),
    ("2000-01-01", true),
    ("2026-02-30", true), // workerd accepts impossible days
    ("1999-12-31", false),
    ("3000-01-01", false),
    ("2026-13-01", false),
    ("2026-00-10", false),
    ("2026-01-32", false),
    ("2026-01-00", false),
    ("2026-1-01", false),
    ("2026/01/01", false),
    ("26-01-2026", false),
    ("2026-01-01 ", false),
    ("abcd-ef-gh", false),
    ("", false),
  ] {
    assert_eq!(CompatDate::parse(date).is_some(), ok, "{date:?}");
  }
  assert_eq!(
    errors("2026-13-01", &[]),
    ["Invalid compatibility date: 2026-13-01"]
  );
}

#[test]
fn dates_after_the_newest_supported_or_after_today_are_errors() {
  assert_eq!(
    errors("2026-11-25", &[]),
    ["This Worker requires compatibility date \"2026-11-25\", but the newest date supported by this server binary is \"2026-11-24\"."]
  );
  let early_today = CompatDate::parse("2026-06-01").unwrap();
  let err = resolve(&CompatInput {
    date: "2026-06-02",
    flags: &[],
    experimental: false,
    today: early_today,
  })
  .unwrap_err();
  assert_eq!(
    err.errors,
    ["Can't set compatibility date in the future: \"2026-06-02\". Today's date (UTC) is \"2026-06-01\"."]
  );
  assert!(run(NEWEST_COMPATIBILITY_DATE, &[], false).is_ok());
}

#[test]
fn a_flag_is_on_from_its_date() {
  let before = run("2026-04-06", &[], false).unwrap();
  assert!(!before.flags.web_socket_auto_reply_to_close);
  assert_eq!(
    reason(&before, "web_socket_auto_reply_to_close"),
    Reason::Before("2026-04-07")
  );
  let on = run("2026-04-07", &[], false).unwrap();
  assert!(on.flags.web_socket_auto_reply_to_close);
  assert_eq!(
    reason(&on, "web_socket_auto_reply_to_close"),
    Reason::Date("2026-04-07")
  );
  // Flags without a date stay off unless named; all-dates flags are always on.
  assert!(!on.flags.nodejs_als);
  assert_eq!(reason(&on, "nodejs_als"), Reason::NotNamed);
  let old = run("2000-01-01", &[], false).unwrap();
  assert!(old.flags.r2_public_beta_bindings);
  assert!(!old.flags.formdata_parser_supports_files);
}

#[test]
fn enable_and_disable_names() {
  let r = run("2026-04-01", &["web_socket_auto_reply_to_close"], false).unwrap();
  assert!(r.flags.web_socket_auto_reply_to_close);
  assert_eq!(reason(&r, "web_socket_auto_reply_to_close"), Reason::Named);
  let r = run("2026-05-01", &["web_socket_manual_reply_to_close"], false).unwrap();
  assert!(!r.flags.web_socket_auto_reply_to_close);
  assert_eq!(
    reason(&r, "web_socket_auto_reply_to_close"),
    Reason::NamedOff
  );
  // A redundant disable flag is accepted silently.
  let r = run("2026-01-01", &["web_socket_manual_reply_to_close"], false).unwrap();
  assert!(r.warnings.is_empty());
}

#[test]
fn both_names_are_contradictory() {
  assert_eq!(
    errors(
      "2026-05-01",
      &["web_socket_auto_reply_to_close", "web_socket_manual_reply_to_close"]
    ),
    ["Compatibility flags are mutually contradictory: web_socket_auto_reply_to_close vs web_socket_manual_reply_to_close"]
  );
}

#[test]
fn unknown_and_duplicate_names() {
  assert_eq!(
    errors("2026-05-01", &["no_such_thing", "nodejs_als", "nodejs_als"]),
    [
      "No such compatibility flag: no_such_thing",
      "Compatibility flag specified multiple times: nodejs_als",
    ]
  );
}

#[test]
fn experimental_flags_need_the_switch() {
  let message = "The compatibility flag durable_object_get_existing is experimental and may break or be removed in a future version of workerd. To use this flag, you must pass --experimental on the command line.";
  assert_eq!(
    errors("2026-05-01", &["durable_object_get_existing"]),
    [message]
  );
  let r = run("2026-05-01", &["durable_object_get_existing"], true).unwrap();
  assert!(r.flags.durable_object_get_existing);
  // The catch-all `experimental` flag is itself experimental.
  assert_eq!(errors("2026-05-01", &["experimental"]).len(), 1);
}

#[test]
fn redundant_enable_flags_are_warnings() {
  let r = run("2026-05-01", &["web_socket_auto_reply_to_close"], false).unwrap();
  assert_eq!(
    r.warnings,
    ["The compatibility flag web_socket_auto_reply_to_close became the default as of 2026-04-07 so does not need to be specified anymore."]
  );
  let r = run("2026-05-01", &["r2_public_beta_bindings"], false).unwrap();
  assert_eq!(
    r.warnings,
    ["The compatibility flag r2_public_beta_bindings is the default, so does not need to be specified anymore."]
  );
}

#[test]
fn implied_flags_follow_the_date_and_their_source() {
  // nodejs_compat implies nodejs_compat_v2 on/after 2024-09-23.
  let before = run("2024-09-22", &["nodejs_compat"], false).unwrap();
  assert!(before.flags.nodejs_compat && !before.flags.nodejs_compat_v2);
  let after = run("2024-09-23", &["nodejs_compat"], false).unwrap();
  assert!(after.flags.nodejs_compat_v2);
  assert_eq!(
    reason(&after, "nodejs_compat_v2"),
    Reason::Implied {
      by: "nodejs_compat",
      after: "2024-09-23"
    }
  );
  // The implied flag's own disable name wins.
  let off = run(
    "2024-09-23",
    &["nodejs_compat", "no_nodejs_compat_v2"],
    false,
  )
  .unwrap();
  assert!(!off.flags.nodejs_compat_v2);
  // "a or b": nodejs_zlib is implied by either.
  let zlib = run("2024-10-01", &["nodejs_compat_v2"], false).unwrap();
  assert!(zlib.flags.nodejs_zlib);
  // Implications chain in table order: enable_nodejs_http_modules (implied by
  // nodejs_compat) implies enable_nodejs_http_server_modules, listed later.
  let chain = run("2025-09-01", &["nodejs_compat"], false).unwrap();
  assert!(chain.flags.enable_nodejs_http_modules);
  assert!(chain.flags.enable_nodejs_http_server_modules);
  // A flag implied by an experimental one is not itself checked.
  let python = run("2026-01-01", &["python_workers_development"], true).unwrap();
  assert!(python.flags.python_workers);
}

#[test]
fn every_error_is_reported_together() {
  let err = errors(
    "2026-99-01",
    &["bogus", "nodejs_als", "no_nodejs_als", "bogus"],
  );
  assert_eq!(
    err,
    [
      "Invalid compatibility date: 2026-99-01",
      "No such compatibility flag: bogus",
      "Compatibility flag specified multiple times: bogus",
      "Compatibility flags are mutually contradictory: nodejs_als vs no_nodejs_als",
    ]
  );
}

#[test]
fn today_is_a_real_date() {
  let today = CompatDate::today();
  assert!(today >= CompatDate::parse("2026-01-01").unwrap());
  assert!(CompatDate::parse(&today.to_string()).is_some());
}

/// IMPLEMENTED lists exactly the flags kiln's code reads: `flags.has("…")`
/// in js/ and `.contains(&"…")` in the Rust of ops/ and runtime/.
#[test]
fn implemented_flags_are_the_ones_the_code_reads() {
  let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
  let mut read = std::collections::BTreeSet::new();
  let mut files = Vec::new();
  for dir in ["js", "ops/src", "runtime/worker/src", "runtime/host/src"] {
    collect(&root.join(dir), &mut files);
  }
  let patterns = [
    regex::Regex::new(r#"flags\.has\("([a-z0-9_]+)"\)"#).unwrap(),
    regex::Regex::new(r#"\.contains\(&"([a-z0-9_]+)"\)"#).unwrap(),
  ];
  for file in files {
    let text = std::fs::read_to_string(&file).unwrap();
    for pattern in &patterns {
      for found in pattern.captures_iter(&text) {
        if FLAGS.iter().any(|f| f.enable == &found[1]) {
          read.insert(found[1].to_string());
        }
      }
    }
  }
  let listed: std::collections::BTreeSet<String> =
    IMPLEMENTED.iter().map(|s| s.to_string()).collect();
  assert_eq!(read, listed);
}

fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
  for entry in std::fs::read_dir(dir).unwrap() {
    let path = entry.unwrap().path();
    if path.is_dir() {
      collect(&path, out);
    } else if matches!(path.extension().and_then(|e| e.to_str()), Some("rs" | "js"))
      && !path.ends_with("compat/tests.rs")
    {
      out.push(path);
    }
  }
}
