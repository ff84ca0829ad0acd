//! `kiln dev` as a development server, as wrangler dev users expect it: a
//! line per request, `--version`, and `--watch`, which reloads a worker when
//! its files or configuration change, without restarting the process.
//!
//! Every reload test writes a project into a temporary folder, starts kiln
//! on it with `--watch`, changes a file and waits (with a deadline) for
//! kiln's reload line before it asks again.

use std::path::Path;
use std::time::Duration;

use kiln_tests::workerd::TempDir;
use kiln_tests::ws::WsClient;
use kiln_tests::{crash_lines, run_to_exit, Kiln};

const WRANGLER_TOML: &str = "name = \"w\"\nmain = \"src/index.ts\"\ncompatibility_date = \"2026-05-01\"\n[vars]\nGREETING = \"hello\"\n";

/// A worker whose answers say which version it is: `/` the version, `/slow`
/// the version after a pause it announces, `/ws` a WebSocket echo, `/env`
/// the GREETING var.
fn worker(version: &str) -> String {
  format!(
    r#"const version: string = "{version}";
export default {{
  async fetch(request: Request, env: {{ GREETING: string }}) {{
    const path = new URL(request.url).pathname;
    if (path === "/slow") {{
      console.log(`slow request started on ${{version}}`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      return new Response(version);
    }}
    if (path === "/ws") {{
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener("message", (e) => server.send(`${{version}}: ${{e.data}}`));
      return new Response(null, {{ status: 101, webSocket: client }});
    }}
    if (path === "/env") return new Response(env.GREETING);
    console.log(`served ${{path}}`);
    return new Response(version);
  }},
}};
"#
  )
}

fn project(version: &str) -> TempDir {
  let dir = TempDir::new("watch");
  std::fs::create_dir_all(dir.path().join("src")).unwrap();
  std::fs::write(dir.path().join("wrangler.toml"), WRANGLER_TOML).unwrap();
  write(dir.path(), "src/index.ts", &worker(version));
  dir
}

fn write(dir: &Path, name: &str, text: &str) {
  std::fs::write(dir.join(name), text).unwrap();
}

/// Waits for the `n`-th line that contains `needle` (counting from 1).
fn wait_for_nth(kiln: &Kiln, needle: &str, n: usize) -> String {
  kiln
    .output_times_within(needle, n, Duration::from_secs(20))
    .unwrap_or_else(|out| panic!("kiln never printed {needle:?} {n} time(s):\n{out}"))
}

#[tokio::test]
async fn every_request_gets_a_line_as_wrangler_dev_prints_it() {
  let dir = project("one");
  let kiln = Kiln::start_in(dir.path(), &["--no-watch"]);
  assert_eq!(kiln.get("/some/path?secret=1").await.text(), "one");
  let out = kiln.wait_for_output("[w] GET /some/path 200 OK (");
  // The query stays out of the log, as in wrangler dev.
  assert!(!out.contains("secret"), "{out}");
  let line = out
    .lines()
    .find(|l| l.starts_with("[w] GET /some/path"))
    .unwrap();
  assert!(line.ends_with("ms)"), "{line}");
  kiln.get("/missing.txt").await;
  kiln.wait_for_output("[w] GET /missing.txt 200 OK (");
}

#[tokio::test]
async fn quiet_leaves_the_request_lines_out() {
  let dir = project("one");
  let kiln = Kiln::start_in(dir.path(), &["--no-watch", "--quiet"]);
  kiln.get("/first").await;
  kiln.get("/second").await;
  // The worker's own line for the second request comes after the first
  // request's line would have been printed.
  let out = kiln.wait_for_output("served /second");
  assert!(!out.contains("GET /first"), "{out}");
}

#[test]
fn version_names_the_engine_and_the_newest_date_kiln_accepts() {
  let exit = run_to_exit(Path::new("."), &["--version"]);
  assert_eq!(exit.code, Some(0));
  let engine = if cfg!(feature = "quickjs") {
    "QuickJS-ng"
  } else {
    "V8"
  };
  let text = exit.stdout.trim();
  assert!(
    text.starts_with(&format!(
      "kiln {} (engine: {engine}; compatibility dates up to ",
      env!("CARGO_PKG_VERSION")
    )),
    "{text}"
  );
  // The date it names is accepted, and the day after it is not.
  let date = text.rsplit(' ').next().unwrap().trim_end_matches(')');
  let accepted = run_to_exit(Path::new("."), &["compat", "--compatibility-date", date]);
  assert!(
    !accepted.stderr.contains("newest date supported"),
    "{}",
    accepted.stderr
  );
  let next = next_day(date);
  let refused = run_to_exit(Path::new("."), &["compat", "--compatibility-date", &next]);
  assert!(
    refused.stderr.contains(&format!(
      "but the newest date supported by this server binary is \"{date}\""
    )),
    "{}",
    refused.stderr
  );
}

/// The calendar day after `date` (YYYY-MM-DD), for the days this test meets.
fn next_day(date: &str) -> String {
  let parts: Vec<u32> = date.split('-').map(|p| p.parse().unwrap()).collect();
  let (y, m, d) = (parts[0], parts[1], parts[2]);
  let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  let days = [
    31,
    if leap { 29 } else { 28 },
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ][(m - 1) as usize];
  match (d < days, m < 12) {
    (true, _) => format!("{y:04}-{m:02}-{:02}", d + 1),
    (false, true) => format!("{y:04}-{:02}-01", m + 1),
    (false, false) => format!("{:04}-01-01", y + 1),
  }
}

// Multi-threaded: the slow request goes on while the test waits for lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_reloads_and_a_request_in_flight_finishes_on_the_old_version() {
  let dir = project("one");
  let kiln = Kiln::start_in(dir.path(), &["--watch"]);
  assert_eq!(kiln.get("/").await.text(), "one");
  let addr = kiln.addr;
  let slow = tokio::spawn(async move {
    kiln_tests::send(addr, "GET", "/slow", &[], Vec::<u8>::new().into()).await
  });
  kiln.wait_for_output("slow request started on one");
  write(dir.path(), "src/index.ts", &worker("two"));
  let out = wait_for_nth(
    &kiln,
    "kiln: worker \"w\" reloaded (src/index.ts changed) in ",
    1,
  );
  let slow = slow.await.unwrap();
  assert_eq!((slow.status, slow.text()), (200, "one".to_string()));
  // The swap waited for the slow request (2 s, begun before the change),
  // rather than cutting it off.
  let line = out
    .lines()
    .find(|l| l.contains("reloaded (src/index.ts changed) in "))
    .unwrap();
  let ms: u64 = line
    .split(" in ")
    .nth(1)
    .unwrap()
    .trim_end_matches("ms")
    .parse()
    .unwrap();
  assert!(ms >= 500, "{line}");
  assert_eq!(kiln.get("/").await.text(), "two");
  assert!(crash_lines(&out).is_empty(), "{out}");
  kiln.assert_alive();
}

#[tokio::test]
async fn a_websocket_open_at_a_reload_is_closed_1012_service_restart() {
  let dir = project("one");
  let kiln = Kiln::start_in(dir.path(), &["--watch"]);
  let mut client = WsClient::connect(kiln.addr, "/ws").await;
  client.send_text("hi").await;
  let echo = client.read_message(None).await.unwrap();
  assert_eq!(String::from_utf8(echo.data).unwrap(), "one: hi");
  write(dir.path(), "src/index.ts", &worker("two"));
  let frame = client
    .read_frame_within(Duration::from_secs(20))
    .await
    .expect("a frame before the deadline")
    .expect("a Close frame, not the end of the connection");
  assert_eq!(frame.opcode, 0x8);
  assert_eq!(&frame.payload[..2], &1012u16.to_be_bytes());
  assert_eq!(&frame.payload[2..], b"Service Restart");
  wait_for_nth(
    &kiln,
    "1 WebSocket(s) were sent Close 1012 (Service Restart)",
    1,
  );
  // A new connection reaches the new version.
  let mut again = WsClient::connect(kiln.addr, "/ws").await;
  again.send_text("hi").await;
  let echo = again.read_message(None).await.unwrap();
  assert_eq!(String::from_utf8(echo.data).unwrap(), "two: hi");
}

/// Starts kiln with `args` on version "one", saves `broken`, and checks
/// that the error (containing `why`) is printed, "one" still answers, and a
/// fixed version then reloads.
async fn a_broken_version_leaves_the_running_one(args: &[&str], broken: &str, why: &str) {
  let dir = project("one");
  let kiln = Kiln::start_in(dir.path(), args);
  write(dir.path(), "src/index.ts", broken);
  // The reason is printed after the line that announces it.
  let out = wait_for_nth(&kiln, why, 1);
  assert!(
    out.contains("the new version does not start, so the running version stays"),
    "{out}"
  );
  assert_eq!(kiln.get("/").await.text(), "one");
  write(dir.path(), "src/index.ts", &worker("three"));
  wait_for_nth(
    &kiln,
    "kiln: worker \"w\" reloaded (src/index.ts changed)",
    1,
  );
  assert_eq!(kiln.get("/").await.text(), "three");
}

#[tokio::test]
async fn a_version_that_does_not_start_leaves_the_running_one() {
  a_broken_version_leaves_the_running_one(
    &["--watch"],
    "const broken: = 1;\n",
    "src/index.ts:1:15: Unexpected token `=`",
  )
  .await;
}

#[tokio::test]
async fn a_configuration_change_reloads_with_the_new_vars() {
  let dir = project("one");
  let kiln = Kiln::start_in(dir.path(), &["--watch"]);
  assert_eq!(kiln.get("/env").await.text(), "hello");
  write(
    dir.path(),
    "wrangler.toml",
    &WRANGLER_TOML.replace("\"hello\"", "\"bonjour\""),
  );
  wait_for_nth(
    &kiln,
    "kiln: worker \"w\" reloaded (wrangler.toml changed)",
    1,
  );
  assert_eq!(kiln.get("/env").await.text(), "bonjour");
  // A configuration with errors leaves the running version.
  write(dir.path(), "wrangler.toml", "name = \"w\"\nmain = 3\n");
  wait_for_nth(
    &kiln,
    "the configuration has errors, so the running version stays",
    1,
  );
  assert_eq!(kiln.get("/env").await.text(), "bonjour");
}

#[tokio::test]
async fn a_named_flag_kiln_does_not_follow_is_a_warning_at_start_up() {
  let dir = project("one");
  write(
    dir.path(),
    "wrangler.toml",
    &WRANGLER_TOML.replace(
      "[vars]",
      "compatibility_flags = [\"nodejs_compat\", \"enable_nodejs_http_modules\"]\n[vars]",
    ),
  );
  let kiln = Kiln::start_in(dir.path(), &["--no-watch"]);
  assert_eq!(kiln.get("/").await.text(), "one");
  let warning = "warning: worker \"w\": compatibility flag enable_nodejs_http_modules has no effect in kiln: kiln does not provide the Node.js module it enables";
  let out = kiln.wait_for_output(warning);
  assert_eq!(out.matches(warning).count(), 1, "{out}");
  // A flag kiln follows is not warned about, nor are the flags a named one
  // implies (enable_nodejs_http_server_modules).
  assert!(!out.contains("flag nodejs_compat "), "{out}");
  assert!(
    !out.contains("flag enable_nodejs_http_server_modules"),
    "{out}"
  );
}

#[tokio::test]
async fn a_version_whose_start_up_never_ends_is_stopped_and_the_running_one_stays() {
  a_broken_version_leaves_the_running_one(
    &["--watch", "--cpu-ms", "300"],
    &format!("while (true) {{}}\n{}", worker("two")),
    "its script ran past the CPU time limit (300 ms) while starting",
  )
  .await;
}
