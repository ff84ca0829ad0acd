//! Compatibility flags and configuration, observed from outside: several
//! workers in one process with their own dates, service bindings, routes,
//! command-line overrides, `kiln compat`, and collected diagnostics.

use kiln_tests::{run_to_exit, send, workers_dir, Kiln};

fn multi() -> Kiln {
  Kiln::start_workers(
    &workers_dir(),
    &["-c", "multi/old.toml", "-c", "multi/new.toml"],
    2,
  )
}

#[tokio::test]
async fn two_workers_in_one_process_follow_their_own_dates() {
  let kiln = multi();
  let (old, new) = (kiln.addrs[0], kiln.addrs[1]);
  assert_ne!(old, new);
  assert_eq!(
    send(old, "GET", "/whoami", &[], Default::default())
      .await
      .text(),
    "old"
  );
  assert_eq!(
    send(new, "GET", "/whoami", &[], Default::default())
      .await
      .text(),
    "new"
  );
  // 2024-10-01 is before upper_case_all_http_methods became the default
  // (2024-10-14); 2024-11-01 is after.
  assert_eq!(
    send(old, "GET", "/method", &[], Default::default())
      .await
      .text(),
    "patch"
  );
  assert_eq!(
    send(new, "GET", "/method", &[], Default::default())
      .await
      .text(),
    "PATCH"
  );
}

#[tokio::test]
async fn a_service_binding_calls_the_other_worker() {
  let kiln = multi();
  assert_eq!(kiln.get("/call-new").await.text(), "new said 200 PATCH");

  let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
  let reply = kiln
    .request("POST", "/echo-via-new", &[], payload.clone())
    .await;
  assert_eq!(reply.status, 200);
  assert_eq!(reply.header("x-echoed-by"), Some("new"));
  assert!(
    reply.body == payload,
    "the body did not survive the service binding"
  );

  let reply = kiln.get("/missing-binding").await;
  assert_eq!(reply.status, 502);
  assert_eq!(
    reply.text(),
    "TypeError: Service binding \"GONE\": the worker \"not-running\" is not running in this kiln process."
  );
  kiln.wait_for_output("service binding GONE refers to worker \"not-running\"");
}

#[tokio::test]
async fn routes_send_requests_to_the_matching_worker() {
  let kiln = multi();
  let whoami = |host: &'static str| {
    let addr = kiln.addr;
    async move {
      send(
        addr,
        "GET",
        "/whoami",
        &[("host", host)],
        Default::default(),
      )
      .await
      .text()
    }
  };
  assert_eq!(whoami("new.test").await, "new");
  assert_eq!(whoami("old.test").await, "old");
  // No route matches: the worker whose port it is answers.
  assert_eq!(whoami("elsewhere.example").await, "old");
}

#[tokio::test]
async fn command_line_overrides_replace_the_configuration() {
  let kiln = Kiln::start(&[
    "multi/new.toml",
    "--compatibility-date",
    "2024-10-01",
    "--var",
    "NAME:from-cli",
  ]);
  assert_eq!(kiln.get("/method").await.text(), "patch");
  assert_eq!(kiln.get("/whoami").await.text(), "from-cli");

  let kiln = Kiln::start(&[
    "multi/old.toml",
    "--compatibility-flags",
    "upper_case_all_http_methods",
  ]);
  assert_eq!(kiln.get("/method").await.text(), "PATCH");
}

#[test]
fn bad_configurations_report_every_problem_and_exit_non_zero() {
  let exit = run_to_exit(&workers_dir(), &["dev", "bad-config", "--port", "0"]);
  assert_eq!(exit.code, Some(1), "{}", exit.stderr);
  for needle in [
    "Processing ",
    "Expected \"name\" to be of type string, alphanumeric and lowercase with dashes only but got \"Has Spaces\".",
    "The field \"vars.WHEN\" is a TOML date, which is not supported.",
    "Expected \"dev.port\" to be of type number but got \"eighty\".",
    "nowhere.js\" was not found",
    "Invalid compatibility date: 2026-02-30x",
    "No such compatibility flag: no_such_flag",
    "Compatibility flags are mutually contradictory: nodejs_als vs no_nodejs_als",
    "Unexpected fields found in top-level field: \"unknown_key\"",
  ] {
    assert!(exit.stderr.contains(needle), "{needle:?} missing from:\n{}", exit.stderr);
  }
  assert!(!exit.stderr.contains("panicked"), "{}", exit.stderr);

  let exit = run_to_exit(
    &workers_dir(),
    &[
      "dev",
      "multi/new.toml",
      "--compatibility-flags",
      "durable_object_get_existing",
      "--port",
      "0",
    ],
  );
  assert_eq!(exit.code, Some(1));
  assert!(
    exit.stderr.contains("is experimental and may break"),
    "{}",
    exit.stderr
  );
  let exit = run_to_exit(
    &workers_dir(),
    &["dev", "multi/new.toml", "--var", "novalue", "--port", "0"],
  );
  assert_eq!(exit.code, Some(1));
  assert!(
    exit.stderr.contains("--var expects KEY:VALUE"),
    "{}",
    exit.stderr
  );
}

#[tokio::test]
async fn an_unknown_environment_without_environments_is_a_warning() {
  let kiln = Kiln::start(&["multi/new.toml", "--env", "nope"]);
  kiln.wait_for_output("No environment found in configuration with name \"nope\".");
  assert_eq!(kiln.get("/whoami").await.text(), "new");
}

#[test]
fn kiln_compat_explains_a_date() {
  let json = |args: &[&str]| -> serde_json::Value {
    let mut all = vec!["compat", "--json"];
    all.extend_from_slice(args);
    let exit = run_to_exit(&workers_dir(), &all);
    assert_eq!(exit.code, Some(0), "{}", exit.stderr);
    serde_json::from_str(&exit.stdout).unwrap()
  };
  let flag = |report: &serde_json::Value, name: &str| -> serde_json::Value {
    report["flags"]
      .as_array()
      .unwrap()
      .iter()
      .find(|f| f["flag"] == name)
      .cloned()
      .unwrap()
  };
  let before = json(&["--date", "2026-04-06"]);
  let f = flag(&before, "web_socket_auto_reply_to_close");
  assert_eq!(f["enabled"], false);
  assert_eq!(
    f["reason"],
    serde_json::json!({"kind": "before-date", "date": "2026-04-07"})
  );
  assert_eq!(f["disable_flag"], "web_socket_manual_reply_to_close");

  let after = json(&["--date", "2026-04-07"]);
  assert_eq!(
    flag(&after, "web_socket_auto_reply_to_close")["enabled"],
    true
  );

  let implied = json(&["--date", "2024-09-23", "--flags", "nodejs_compat"]);
  assert_eq!(
    flag(&implied, "nodejs_compat_v2")["reason"],
    serde_json::json!({"kind": "implied", "by": "nodejs_compat", "after": "2024-09-23"})
  );
  assert_eq!(flag(&implied, "nodejs_compat")["reason"]["kind"], "named");

  // A configuration's own date and flags.
  let old = json(&["multi/old.toml"]);
  assert_eq!(old["compatibility_date"], "2024-10-01");
  assert_eq!(flag(&old, "upper_case_all_http_methods")["enabled"], false);

  // The table says why, in words.
  let exit = run_to_exit(&workers_dir(), &["compat", "--date", "2026-05-01"]);
  assert_eq!(exit.code, Some(0));
  let line = exit
    .stdout
    .lines()
    .find(|l| l.starts_with("web_socket_auto_reply_to_close "))
    .unwrap();
  assert!(
    line.contains(" on ") && line.ends_with("default since 2026-04-07"),
    "{line}"
  );
  // And whether kiln follows the flag or only accepts it.
  assert!(line.contains(" implemented "), "{line}");
  let exit = run_to_exit(
    &workers_dir(),
    &[
      "compat",
      "--date",
      "2026-05-01",
      "--flags",
      "nodejs_compat",
      "python_workers",
      "--json",
    ],
  );
  let report: serde_json::Value = serde_json::from_str(&exit.stdout).unwrap();
  assert_eq!(flag(&report, "nodejs_compat")["enabled"], true);
  assert_eq!(flag(&report, "nodejs_compat")["kiln"], "implemented");
  assert_eq!(flag(&report, "python_workers")["enabled"], true);
  assert_eq!(flag(&report, "python_workers")["kiln"], "no effect");
  assert_eq!(
    flag(&report, "web_socket_compression")["kiln"],
    "implemented"
  );

  let exit = run_to_exit(
    &workers_dir(),
    &["compat", "--date", "2026-13-01", "--flags", "x"],
  );
  assert_eq!(exit.code, Some(1));
  assert!(
    exit
      .stderr
      .contains("Invalid compatibility date: 2026-13-01"),
    "{}",
    exit.stderr
  );
  assert!(
    exit.stderr.contains("No such compatibility flag: x"),
    "{}",
    exit.stderr
  );
}

/// `.dev.vars` beside the configuration: its values are in `env` over the
/// configured vars, and never printed; bindings kiln does not emulate are
/// named in a start-up warning, and their `env` entries are undefined.
#[tokio::test]
async fn local_secrets_and_unemulated_bindings() {
  let kiln = Kiln::start(&["secrets", "--no-persist"]);
  let env = kiln.get("/").await.json();
  assert_eq!(
    env,
    serde_json::json!({
      "API_TOKEN": "s3cr3t-value",
      "PLAIN": "from wrangler.toml",
      "OVERRIDDEN": "from .dev.vars",
      "INDEX": "undefined",
      "AI": "undefined",
    })
  );
  let out = kiln.output();
  assert!(out.contains("secrets from "), "{out}");
  assert!(out.contains(".dev.vars are in env"), "{out}");
  assert!(
    !out.contains("s3cr3t-value"),
    "a secret was printed:\n{out}"
  );
  for needle in [
    "kiln does not emulate these yet; their env bindings are undefined:",
    "- Vectorize index \"INDEX\" (vectorize)",
    "- Workers AI \"AI\" (ai)",
  ] {
    assert!(out.contains(needle), "{needle:?} missing from:\n{out}");
  }
}
