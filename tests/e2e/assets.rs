//! Workers static assets (`[assets]` in wrangler.toml), end to end, on
//! wrangler dev (the reference) and on kiln.
//!
//! The worker is tests/workers/assets/: worker.js (asset misses reach it; it
//! answers `worker: <pathname>` with `x-from: worker`, and exercises the
//! `ASSETS` binding under `/binding`, see worker.js) with public/ as its
//! assets. wrangler.toml is the default configuration (html_handling
//! auto-trailing-slash, not_found_handling none, binding ASSETS); the other
//! .toml files there are variants (one per html_handling, per
//! not_found_handling with and without a worker, run_worker_first) and the
//! `bad-*.toml` ones are configurations wrangler rejects.
//!
//! Every test sends the same raw HTTP/1.1 requests (no redirect is
//! followed, no Accept-Encoding is sent) to both runtimes and asserts
//! 1. the concrete answer written below (what wrangler 4.86.0 does; the
//!    rules are in Miniflare's assets.worker.js and router.worker.js under
//!    tests/reference/node_modules/miniflare/dist/src/workers/assets/):
//!    the status, `Location`, `Content-Type`, `Cache-Control`, the shape of
//!    the `ETag` (strong, a quoted 32-digit lowercase hex: wrangler derives
//!    it from the file's absolute path and mtime, so values differ between
//!    runtimes and only the shape is fixed), `CF-Cache-Status`, and the body
//!    (which file of public/, or the worker's answer); a file's ETag is the
//!    same on every request and differs from every other file's;
//! 2. that kiln's answer equals wrangler's: the status, the body, and every
//!    header except `date`, `server`, `content-length`,
//!    `transfer-encoding`, `connection`, `keep-alive` and Miniflare's
//!    `x-mf-*`, with ETag values replaced by a placeholder when they have the
//!    right shape. (Content-Length is left out because wrangler dev streams
//!    HTML assets chunked and answers HEAD without one; the body is
//!    compared instead.)
//!
//! How the runtimes are started (each test has its own processes):
//! - wrangler: `tests/support/wrangler.rs` runs `wrangler dev --local` on a
//!   copy of the configuration's folder. It copies regular files only, so
//!   the copy of the configuration names public/ by its absolute path.
//! - kiln: `kiln dev -c assets/<config> --no-persist` from tests/workers.
//!
//! Running:
//!   cargo test --offline -p kiln-tests --no-default-features \
//!     --features quickjs --test assets
//! runs every request on both runtimes and compares them (kiln must be
//! built: `make build`, or KILN_BIN). With `KILN_ASSETS_REFERENCE_ONLY=1`
//! only wrangler runs: that checks the expectations themselves against the
//! reference. wrangler comes from `make reference` (tests/reference).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use kiln_tests::workerd::TempDir;
use kiln_tests::wrangler::{self, Wrangler};
use kiln_tests::{kiln_bin, run_with_deadline, send, workers_dir, Kiln, Reply};
use serde_json::{json, Value};

const CACHE_CONTROL: &str = "public, max-age=0, must-revalidate";
const HTML: &str = "text/html; charset=utf-8";
/// What the worker's own `new Response(string)` is labelled.
const WORKER_TEXT: &str = "text/plain;charset=UTF-8";
/// Stands for a well-formed ETag in JSON expectations and comparisons.
const ETAG: &str = "<etag>";
/// Headers that are not compared between the runtimes.
const NOT_COMPARED: [&str; 6] = [
  "date",
  "server",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
];

// ---------------------------------------------------------------------------
// The worker and its files.

fn reference_only() -> bool {
  std::env::var("KILN_ASSETS_REFERENCE_ONLY").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn assets_dir() -> PathBuf {
  workers_dir().join("assets")
}

fn public_dir() -> PathBuf {
  assets_dir().join("public")
}

/// The bytes of a file of public/.
fn file(name: &str) -> Vec<u8> {
  let path = public_dir().join(name);
  std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn file_text(name: &str) -> String {
  String::from_utf8(file(name)).expect("a text file")
}

/// The Content-Type wrangler serves a file with: by its extension (npm
/// mime's table), with `; charset=utf-8` added to `text/*`; none at all
/// for a name without a known extension (`noext`, `.hidden`).
fn content_type(name: &str) -> Option<&'static str> {
  match Path::new(name).extension().and_then(|e| e.to_str()) {
    Some("html") => Some(HTML),
    Some("css") => Some("text/css; charset=utf-8"),
    Some("js") => Some("text/javascript; charset=utf-8"),
    Some("json") => Some("application/json"),
    Some("png") => Some("image/png"),
    Some("txt") => Some("text/plain; charset=utf-8"),
    None => None,
    Some(other) => panic!("no expected Content-Type for .{other}"),
  }
}

/// A strong ETag as wrangler makes them: `"` + 32 lowercase hex digits + `"`.
fn is_etag(value: &str) -> bool {
  value.len() == 34
    && value.starts_with('"')
    && value.ends_with('"')
    && value[1..33]
      .bytes()
      .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

// ---------------------------------------------------------------------------
// The runtimes.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
  Wrangler,
  Kiln,
}

enum Process {
  Wrangler {
    wrangler: Wrangler,
    _config: TempDir,
    _state: TempDir,
  },
  Kiln(Kiln),
}

struct Side {
  kind: Kind,
  process: Process,
}

impl Side {
  fn label(&self) -> &'static str {
    match self.kind {
      Kind::Wrangler => "wrangler",
      Kind::Kiln => "kiln",
    }
  }

  fn addr(&self) -> SocketAddr {
    match &self.process {
      Process::Wrangler { wrangler, .. } => wrangler.addr,
      Process::Kiln(kiln) => kiln.addr,
    }
  }

  /// The last lines the runtime printed.
  fn output(&self) -> String {
    let out = match &self.process {
      Process::Wrangler { wrangler, .. } => wrangler.output(),
      Process::Kiln(kiln) => kiln.output(),
    };
    let lines: Vec<&str> = out.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
  }
}

/// A folder with a copy of `config` (and worker.js) for wrangler:
/// tests/support/wrangler.rs runs wrangler on a copy of the regular files
/// beside the configuration, without public/, so this copy names public/
/// by its absolute path.
fn reference_copy(config: &str) -> TempDir {
  let dir = TempDir::new("assets-config");
  let source = assets_dir().join(config);
  let text =
    std::fs::read_to_string(&source).unwrap_or_else(|e| panic!("read {}: {e}", source.display()));
  let public = public_dir();
  let public = public.to_str().expect("a UTF-8 path");
  assert!(
    !public.contains(['"', '\\']),
    "{public} cannot be written in a TOML string as it is"
  );
  let text = text.replace(
    "directory = \"public\"",
    &format!("directory = \"{public}\""),
  );
  std::fs::write(dir.path().join(config), text).expect("write the configuration's copy");
  std::fs::copy(assets_dir().join("worker.js"), dir.path().join("worker.js"))
    .expect("copy worker.js");
  dir
}

/// wrangler, then kiln unless KILN_ASSETS_REFERENCE_ONLY is set, both
/// serving tests/workers/assets/<config>.
fn sides(config: &str) -> Vec<Side> {
  let copy = reference_copy(config);
  let state = TempDir::new("assets-wrangler-state");
  let wrangler = Wrangler::start(&copy.path().join(config), state.path());
  let mut sides = vec![Side {
    kind: Kind::Wrangler,
    process: Process::Wrangler {
      wrangler,
      _config: copy,
      _state: state,
    },
  }];
  if !reference_only() {
    let config = format!("assets/{config}");
    sides.push(Side {
      kind: Kind::Kiln,
      process: Process::Kiln(Kiln::start_in(
        &workers_dir(),
        &["-c", &config, "--no-persist"],
      )),
    });
  }
  sides
}

// ---------------------------------------------------------------------------
// Requests and what they must get.

#[derive(Debug)]
enum Want {
  /// 200 with this file of public/ and the asset headers (Content-Type by
  /// extension, Cache-Control unless the request has `Range` or
  /// `Authorization`, an ETag, `CF-Cache-Status: HIT`); no body for HEAD.
  Asset(&'static str),
  /// The same with 404: a 404.html served by not_found_handling = 404-page.
  NotFoundPage(&'static str),
  /// 304, no body, the asset headers of this file.
  NotModified(&'static str),
  /// 307 with this `Location` and nothing else: no body, no Content-Type,
  /// no ETag, no Cache-Control.
  Redirect(&'static str),
  /// The worker ran and saw this pathname.
  Worker(&'static str),
  /// This status (404 or 405) with no body and none of the headers above.
  Empty(u16),
  /// 200 `application/json` from the worker: this value, ETag values
  /// replaced by [`ETAG`] (after checking their shape).
  Json(Value),
}

struct Case {
  method: &'static str,
  path: &'static str,
  /// A value `…etag-of:/path` is sent as `…` followed by the ETag that
  /// `GET /path` gets from the same runtime (see [`resolve_headers`]).
  headers: Vec<(&'static str, &'static str)>,
  want: Want,
}

fn get(path: &'static str, want: Want) -> Case {
  req("GET", path, &[], want)
}

fn req(
  method: &'static str,
  path: &'static str,
  headers: &[(&'static str, &'static str)],
  want: Want,
) -> Case {
  Case {
    method,
    path,
    headers: headers.to_vec(),
    want,
  }
}

fn describe(case: &Case) -> String {
  let mut out = format!("{} {}", case.method, case.path);
  for (name, value) in &case.headers {
    out.push_str(&format!(" [{name}: {value}]"));
  }
  out
}

/// The case's headers, with `etag-of:` values resolved on `side`. The
/// ETag is taken from a `GET` sent with `x-via-binding: 1`, which changes
/// nothing where the assets answer before the worker, and makes the worker
/// answer with `env.ASSETS.fetch(request)` where it runs first.
async fn resolve_headers(side: &Side, case: &Case) -> Vec<(&'static str, String)> {
  let mut headers = Vec::new();
  for (name, value) in &case.headers {
    let value = match value.split_once("etag-of:") {
      Some((prefix, path)) => {
        let via_binding = [("x-via-binding", "1")];
        let reply = send(side.addr(), "GET", path, &via_binding, Bytes::new()).await;
        let etag = reply.header("etag").unwrap_or_else(|| {
          panic!(
            "{}: GET {path} (for the ETag of {}) answered {} without an ETag",
            side.label(),
            describe(case),
            reply.status
          )
        });
        format!("{prefix}{etag}")
      }
      None => value.to_string(),
    };
    headers.push((*name, value));
  }
  headers
}

/// `value` with the ETag of a `{status, headers, body}` report (the worker's
/// /binding answers) replaced by [`ETAG`] when it is well formed.
fn normalize_report(mut value: Value) -> Value {
  if let Some(etag) = value.pointer_mut("/headers/etag") {
    if etag.as_str().is_some_and(is_etag) {
      *etag = Value::String(ETAG.into());
    }
  }
  value
}

/// How `reply` differs from what `case` wants.
fn problems(case: &Case, reply: &Reply) -> Vec<String> {
  let mut bad = Vec::new();
  let head = case.method.eq_ignore_ascii_case("HEAD");
  let cacheable = !case.headers.iter().any(|(name, _)| {
    name.eq_ignore_ascii_case("range") || name.eq_ignore_ascii_case("authorization")
  });
  let status = |bad: &mut Vec<String>, want: u16| {
    if reply.status != want {
      bad.push(format!("status {} (expected {want})", reply.status));
    }
  };
  let header = |bad: &mut Vec<String>, name: &str, want: Option<&str>| {
    let got = reply.header(name);
    if got != want {
      bad.push(format!("{name}: {got:?} (expected {want:?})"));
    }
  };
  let body = |bad: &mut Vec<String>, want: &[u8]| {
    let want = if head { &[][..] } else { want };
    if reply.body[..] != *want {
      bad.push(format!(
        "body \"{}\" (expected \"{}\")",
        reply.body.escape_ascii(),
        want.escape_ascii()
      ));
    }
  };
  let etag = |bad: &mut Vec<String>| match reply.header("etag") {
    Some(value) if is_etag(value) => {}
    other => bad.push(format!(
      "etag: {other:?} (expected a strong ETag: a quoted 32-digit lowercase hex)"
    )),
  };
  match &case.want {
    Want::Asset(name) | Want::NotFoundPage(name) => {
      status(
        &mut bad,
        if matches!(case.want, Want::Asset(_)) {
          200
        } else {
          404
        },
      );
      body(&mut bad, &file(name));
      header(&mut bad, "content-type", content_type(name));
      header(
        &mut bad,
        "cache-control",
        cacheable.then_some(CACHE_CONTROL),
      );
      etag(&mut bad);
      header(&mut bad, "cf-cache-status", Some("HIT"));
      header(&mut bad, "location", None);
      header(&mut bad, "x-from", None);
    }
    Want::NotModified(name) => {
      status(&mut bad, 304);
      body(&mut bad, b"");
      header(&mut bad, "content-type", content_type(name));
      header(&mut bad, "cache-control", Some(CACHE_CONTROL));
      etag(&mut bad);
      header(&mut bad, "cf-cache-status", Some("HIT"));
      header(&mut bad, "location", None);
      header(&mut bad, "x-from", None);
    }
    Want::Redirect(location) => {
      status(&mut bad, 307);
      header(&mut bad, "location", Some(location));
      body(&mut bad, b"");
      for name in [
        "content-type",
        "etag",
        "cache-control",
        "cf-cache-status",
        "x-from",
      ] {
        header(&mut bad, name, None);
      }
    }
    Want::Worker(pathname) => {
      status(&mut bad, 200);
      header(&mut bad, "x-from", Some("worker"));
      header(&mut bad, "content-type", Some(WORKER_TEXT));
      body(&mut bad, format!("worker: {pathname}").as_bytes());
      for name in ["etag", "cache-control", "cf-cache-status", "location"] {
        header(&mut bad, name, None);
      }
    }
    Want::Empty(want) => {
      status(&mut bad, *want);
      body(&mut bad, b"");
      for name in [
        "content-type",
        "etag",
        "cache-control",
        "cf-cache-status",
        "location",
        "x-from",
      ] {
        header(&mut bad, name, None);
      }
    }
    Want::Json(want) => {
      status(&mut bad, 200);
      header(&mut bad, "content-type", Some("application/json"));
      match serde_json::from_slice::<Value>(&reply.body) {
        Ok(got) => {
          if let Some(etag) = got.pointer("/headers/etag").and_then(Value::as_str) {
            if !is_etag(etag) {
              bad.push(format!(
                "reported etag {etag:?} is not a quoted 32-digit lowercase hex"
              ));
            }
          }
          let got = normalize_report(got);
          if got != *want {
            bad.push(format!("JSON {got} (expected {want})"));
          }
        }
        Err(e) => bad.push(format!("not JSON ({e}): {}", reply.text())),
      }
    }
  }
  bad
}

/// What is compared between the runtimes: the status, every header but
/// [`NOT_COMPARED`] and `x-mf-*` (sorted; well-formed ETags replaced by
/// [`ETAG`]) and the body (JSON reports with their ETag replaced).
fn comparable(reply: &Reply) -> String {
  let mut headers: Vec<(String, String)> = reply
    .headers
    .iter()
    .map(|(name, value)| {
      let name = name.as_str().to_ascii_lowercase();
      let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
      (name, value)
    })
    .filter(|(name, _)| !NOT_COMPARED.contains(&name.as_str()) && !name.starts_with("x-mf-"))
    .map(|(name, value)| {
      if name == "etag" && is_etag(&value) {
        (name, ETAG.to_string())
      } else {
        (name, value)
      }
    })
    .collect();
  headers.sort();
  let body = match serde_json::from_slice::<Value>(&reply.body) {
    Ok(value) if reply.header("content-type") == Some("application/json") => {
      normalize_report(value).to_string()
    }
    _ => reply.body.escape_ascii().to_string(),
  };
  let mut out = format!("{}\n", reply.status);
  for (name, value) in headers {
    out.push_str(&format!("{name}: {value}\n"));
  }
  out.push_str(&format!("body: {body}"));
  out
}

/// Sends every case to every side of `config`: wrangler must answer what
/// the case wants (else the expectation is wrong), kiln must too, and
/// kiln's answer must equal wrangler's. Every problem is collected, then
/// reported together.
async fn run(config: &str, cases: &[Case]) {
  let sides = sides(config);
  let mut failures = Vec::new();
  // Per side: the ETag each file was served with.
  let mut etags: Vec<BTreeMap<&str, String>> = sides.iter().map(|_| BTreeMap::new()).collect();
  for case in cases {
    let mut reference: Option<String> = None;
    for (index, side) in sides.iter().enumerate() {
      let headers = resolve_headers(side, case).await;
      let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
      let reply = send(side.addr(), case.method, case.path, &headers, Bytes::new()).await;
      for problem in problems(case, &reply) {
        failures.push(format!(
          "{} ({config}), {}: {problem}",
          side.label(),
          describe(case)
        ));
      }
      if let (Want::Asset(name) | Want::NotFoundPage(name) | Want::NotModified(name), Some(etag)) =
        (&case.want, reply.header("etag"))
      {
        if let Some(before) = etags[index].insert(name, etag.to_string()) {
          if before != etag {
            failures.push(format!(
              "{} ({config}), {}: {name} has ETag {etag}, but {before} before",
              side.label(),
              describe(case)
            ));
          }
        }
      }
      let got = comparable(&reply);
      match &reference {
        None => reference = Some(got),
        Some(want) if *want != got => failures.push(format!(
          "kiln differs from wrangler ({config}), {}:\n--- wrangler:\n{want}\n--- kiln:\n{got}",
          describe(case)
        )),
        Some(_) => {}
      }
    }
  }
  for (side, etags) in sides.iter().zip(&etags) {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, etag) in etags {
      if let Some(other) = seen.insert(etag, name) {
        failures.push(format!(
          "{} ({config}): {other} and {name} have the same ETag {etag}",
          side.label()
        ));
      }
    }
  }
  if !failures.is_empty() {
    let mut message = format!("{} problem(s):\n", failures.len());
    for failure in &failures {
      message.push_str(&format!("- {failure}\n"));
    }
    for side in &sides {
      message.push_str(&format!(
        "-- {} printed (last lines):\n{}\n",
        side.label(),
        side.output()
      ));
    }
    panic!("{message}");
  }
}

/// The JSON the worker's /binding reports for a 200 (or 404-page) answer
/// through env.ASSETS: the asset headers as a Response has them (no
/// Content-Length).
fn binding_asset(status: u16, name: &str) -> Value {
  let mut headers = json!({
    "cache-control": CACHE_CONTROL,
    "cf-cache-status": "HIT",
    "etag": ETAG,
  });
  if let Some(content_type) = content_type(name) {
    headers["content-type"] = json!(content_type);
  }
  json!({ "status": status, "headers": headers, "body": file_text(name) })
}

fn binding_empty(status: u16) -> Value {
  json!({ "status": status, "headers": {}, "body": "" })
}

const NAVIGATE: (&str, &str) = ("sec-fetch-mode", "navigate");

// ---------------------------------------------------------------------------
// html_handling.

#[tokio::test]
async fn html_handling_auto_trailing_slash() {
  use Want::*;
  run(
    "wrangler.toml",
    &[
      get("/", Asset("index.html")),
      get("/index", Redirect("/")),
      get("/index.html", Redirect("/")),
      get("/about", Asset("about.html")),
      get("/about/", Redirect("/about")),
      get("/about.html", Redirect("/about")),
      get("/blog", Redirect("/blog/")),
      get("/blog/", Asset("blog/index.html")),
      get("/blog/index", Redirect("/blog/")),
      get("/blog/index.html", Redirect("/blog/")),
      get("/blog/post", Asset("blog/post.html")),
      get("/blog/post/", Redirect("/blog/post")),
      get("/blog/post.html", Redirect("/blog/post")),
      get("/missing", Worker("/missing")),
      get("/style.css", Asset("style.css")),
      // sub/ has no index.html.
      get("/sub/", Worker("/sub/")),
      get("/sub/missing", Worker("/sub/missing")),
      get("/sub/page", Asset("sub/page.html")),
      get("/sub/page.html", Redirect("/sub/page")),
      // 404.html is an ordinary page under not_found_handling none.
      get("/404", Asset("404.html")),
      get("/404.html", Redirect("/404")),
      get("/sub/404.html", Redirect("/sub/404")),
    ],
  )
  .await;
}

#[tokio::test]
async fn html_handling_force_trailing_slash() {
  use Want::*;
  run(
    "force-trailing-slash.toml",
    &[
      get("/", Asset("index.html")),
      get("/index", Redirect("/")),
      get("/index.html", Redirect("/")),
      get("/about", Redirect("/about/")),
      get("/about/", Asset("about.html")),
      get("/about.html", Redirect("/about/")),
      get("/blog", Redirect("/blog/")),
      get("/blog/", Asset("blog/index.html")),
      get("/blog/index", Redirect("/blog/")),
      get("/blog/index.html", Redirect("/blog/")),
      get("/blog/post", Redirect("/blog/post/")),
      get("/blog/post/", Asset("blog/post.html")),
      get("/blog/post.html", Redirect("/blog/post/")),
      get("/missing", Worker("/missing")),
      get("/style.css", Asset("style.css")),
      get("/sub/", Worker("/sub/")),
      get("/sub/missing", Worker("/sub/missing")),
    ],
  )
  .await;
}

#[tokio::test]
async fn html_handling_drop_trailing_slash() {
  use Want::*;
  run(
    "drop-trailing-slash.toml",
    &[
      get("/", Asset("index.html")),
      get("/index", Redirect("/")),
      get("/index.html", Redirect("/")),
      get("/about", Asset("about.html")),
      get("/about/", Redirect("/about")),
      get("/about.html", Redirect("/about")),
      get("/blog", Asset("blog/index.html")),
      get("/blog/", Redirect("/blog")),
      get("/blog/index", Redirect("/blog")),
      get("/blog/index.html", Redirect("/blog")),
      get("/blog/post", Asset("blog/post.html")),
      get("/blog/post/", Redirect("/blog/post")),
      get("/blog/post.html", Redirect("/blog/post")),
      get("/missing", Worker("/missing")),
      get("/style.css", Asset("style.css")),
      get("/sub/", Worker("/sub/")),
      get("/sub/missing", Worker("/sub/missing")),
    ],
  )
  .await;
}

#[tokio::test]
async fn html_handling_none() {
  use Want::*;
  run(
    "html-none.toml",
    &[
      get("/", Worker("/")),
      get("/index", Worker("/index")),
      get("/index.html", Asset("index.html")),
      get("/about", Worker("/about")),
      get("/about/", Worker("/about/")),
      get("/about.html", Asset("about.html")),
      get("/blog", Worker("/blog")),
      get("/blog/", Worker("/blog/")),
      get("/blog/index", Worker("/blog/index")),
      get("/blog/index.html", Asset("blog/index.html")),
      get("/blog/post", Worker("/blog/post")),
      get("/blog/post/", Worker("/blog/post/")),
      get("/blog/post.html", Asset("blog/post.html")),
      get("/missing", Worker("/missing")),
      get("/style.css", Asset("style.css")),
      get("/sub/", Worker("/sub/")),
      get("/sub/missing", Worker("/sub/missing")),
    ],
  )
  .await;
}

// ---------------------------------------------------------------------------
// What an asset is served with.

#[tokio::test]
async fn content_types_etags_and_cache_control() {
  use Want::*;
  run(
    "wrangler.toml",
    &[
      get("/index.html", Redirect("/")),
      get("/", Asset("index.html")),
      get("/about", Asset("about.html")),
      get("/style.css", Asset("style.css")),
      get("/app.js", Asset("app.js")),
      get("/data.json", Asset("data.json")),
      get("/img.png", Asset("img.png")),
      get("/file.txt", Asset("file.txt")),
      // No extension, a dotfile: served, without a Content-Type.
      get("/noext", Asset("noext")),
      get("/.hidden", Asset(".hidden")),
      get("/weird%20name.txt", Asset("weird name.txt")),
      get("/api/file.txt", Asset("api/file.txt")),
      get("/api/static/s.txt", Asset("api/static/s.txt")),
      // The same file again: the same ETag (checked by `run`).
      get("/style.css", Asset("style.css")),
      // Range is ignored (the whole file, 200) and, like Authorization,
      // drops Cache-Control.
      req(
        "GET",
        "/style.css",
        &[("range", "bytes=0-3")],
        Asset("style.css"),
      ),
      req(
        "GET",
        "/style.css",
        &[("authorization", "Bearer x")],
        Asset("style.css"),
      ),
    ],
  )
  .await;
}

#[tokio::test]
async fn conditional_requests_head_and_methods() {
  use Want::*;
  run(
    "wrangler.toml",
    &[
      req(
        "GET",
        "/style.css",
        &[("if-none-match", "etag-of:/style.css")],
        NotModified("style.css"),
      ),
      req(
        "GET",
        "/style.css",
        &[("if-none-match", "W/etag-of:/style.css")],
        NotModified("style.css"),
      ),
      req(
        "GET",
        "/about",
        &[("if-none-match", "etag-of:/about")],
        NotModified("about.html"),
      ),
      // Only one exact (strong or weak) value matches.
      req(
        "GET",
        "/style.css",
        &[("if-none-match", "\"nope\"")],
        Asset("style.css"),
      ),
      req(
        "GET",
        "/style.css",
        &[("if-none-match", "*")],
        Asset("style.css"),
      ),
      req(
        "GET",
        "/style.css",
        &[("if-none-match", "\"nope\", etag-of:/style.css")],
        Asset("style.css"),
      ),
      req(
        "GET",
        "/style.css",
        &[("if-none-match", "etag-of:/app.js")],
        Asset("style.css"),
      ),
      req(
        "GET",
        "/style.css",
        &[("if-modified-since", "Wed, 21 Oct 2099 07:28:00 GMT")],
        Asset("style.css"),
      ),
      req("HEAD", "/style.css", &[], Asset("style.css")),
      req("HEAD", "/about", &[], Asset("about.html")),
      req("HEAD", "/about.html", &[], Redirect("/about")),
      req("HEAD", "/missing", &[], Worker("/missing")),
      // A path that resolves to an asset (or to a redirect) answers 405 to
      // other methods; the worker does not run. Misses reach the worker.
      req("POST", "/style.css", &[], Empty(405)),
      req("PUT", "/about", &[], Empty(405)),
      req("DELETE", "/about.html", &[], Empty(405)),
      req("OPTIONS", "/style.css", &[], Empty(405)),
      req("POST", "/missing", &[], Worker("/missing")),
    ],
  )
  .await;
}

#[tokio::test]
async fn queries_encodings_and_traversal() {
  use Want::*;
  run(
    "wrangler.toml",
    &[
      get("/style.css?v=1", Asset("style.css")),
      get("/about?x=1", Asset("about.html")),
      // Redirects keep the query.
      get("/about.html?x=1", Redirect("/about?x=1")),
      get("/blog?y=2", Redirect("/blog/?y=2")),
      // Case-sensitive.
      get("/STYLE.CSS", Worker("/STYLE.CSS")),
      get("/weird%20name.txt", Asset("weird name.txt")),
      get("/weird+name.txt", Worker("/weird+name.txt")),
      // A path that reaches an asset only once decoded (or with its
      // slashes collapsed) is redirected to its canonical spelling.
      get("/%61bout", Redirect("/about")),
      get("/%2fstyle.css", Redirect("/style.css")),
      get("/about%2F", Redirect("/about")),
      get("//style.css", Redirect("/style.css")),
      // Dot segments are resolved before anything is looked up; nothing
      // outside public/ is served.
      get("/./style.css", Asset("style.css")),
      get("/blog/../style.css", Asset("style.css")),
      get("/../wrangler.toml", Worker("/wrangler.toml")),
      get("/%2e%2e/wrangler.toml", Worker("/wrangler.toml")),
      get("/sub/../../wrangler.toml", Worker("/wrangler.toml")),
      get("/..%2fwrangler.toml", Worker("/..%2fwrangler.toml")),
      get("/%2e%2e%2fwrangler.toml", Worker("/%2e%2e%2fwrangler.toml")),
      get("/worker.js", Worker("/worker.js")),
      get("/public/style.css", Worker("/public/style.css")),
    ],
  )
  .await;
}

// ---------------------------------------------------------------------------
// not_found_handling.

#[tokio::test]
async fn single_page_application_with_a_worker() {
  use Want::*;
  run(
    "spa.toml",
    &[
      // Misses go to the worker...
      get("/missing", Worker("/missing")),
      get("/missing.css", Worker("/missing.css")),
      get("/sub/missing", Worker("/sub/missing")),
      req(
        "GET",
        "/missing",
        &[("accept", "text/html")],
        Worker("/missing"),
      ),
      req(
        "GET",
        "/missing",
        &[("sec-fetch-mode", "cors")],
        Worker("/missing"),
      ),
      // ...unless the request is a navigation: then index.html answers,
      // whatever the path, even one the worker would have handled.
      req("GET", "/missing", &[NAVIGATE], Asset("index.html")),
      req("GET", "/missing.css", &[NAVIGATE], Asset("index.html")),
      req("GET", "/sub/missing", &[NAVIGATE], Asset("index.html")),
      req("GET", "/binding-type", &[NAVIGATE], Asset("index.html")),
      req("POST", "/missing", &[NAVIGATE], Empty(405)),
      req("GET", "/style.css", &[NAVIGATE], Asset("style.css")),
      get("/about", Asset("about.html")),
      get("/index.html", Redirect("/")),
      // Through the binding not_found_handling always applies.
      get(
        "/binding?path=/missing",
        Json(binding_asset(200, "index.html")),
      ),
      get(
        "/binding?path=/sub/missing.css",
        Json(binding_asset(200, "index.html")),
      ),
    ],
  )
  .await;
}

#[tokio::test]
async fn page_404_with_a_worker() {
  use Want::*;
  run(
    "404-page.toml",
    &[
      get("/missing", Worker("/missing")),
      get("/sub/missing", Worker("/sub/missing")),
      // Navigations get the nearest 404.html, walking up from the path.
      req("GET", "/missing", &[NAVIGATE], NotFoundPage("404.html")),
      req("GET", "/missing.css", &[NAVIGATE], NotFoundPage("404.html")),
      req(
        "GET",
        "/blog/missing",
        &[NAVIGATE],
        NotFoundPage("404.html"),
      ),
      req(
        "GET",
        "/sub/missing",
        &[NAVIGATE],
        NotFoundPage("sub/404.html"),
      ),
      req(
        "GET",
        "/sub/deeper/missing",
        &[NAVIGATE],
        NotFoundPage("sub/404.html"),
      ),
      // The 404 page's own ETag makes it a 304.
      req(
        "GET",
        "/missing",
        &[NAVIGATE, ("if-none-match", "etag-of:/404")],
        NotModified("404.html"),
      ),
      req("POST", "/missing", &[NAVIGATE], Empty(405)),
      get(
        "/binding?path=/sub/missing",
        Json(binding_asset(404, "sub/404.html")),
      ),
      get(
        "/binding?path=/missing",
        Json(binding_asset(404, "404.html")),
      ),
    ],
  )
  .await;
}

#[tokio::test]
async fn assets_only_not_found_none() {
  use Want::*;
  run(
    "assets-only.toml",
    &[
      get("/", Asset("index.html")),
      get("/about", Asset("about.html")),
      get("/index.html", Redirect("/")),
      get("/sub/page", Asset("sub/page.html")),
      get("/missing", Empty(404)),
      get("/missing/", Empty(404)),
      get("/sub/", Empty(404)),
      get("/sub/missing", Empty(404)),
      req("GET", "/missing", &[NAVIGATE], Empty(404)),
      req("HEAD", "/missing", &[], Empty(404)),
      req("POST", "/missing", &[], Empty(404)),
      req("POST", "/style.css", &[], Empty(405)),
    ],
  )
  .await;
}

#[tokio::test]
async fn assets_only_single_page_application() {
  use Want::*;
  run(
    "assets-only-spa.toml",
    &[
      get("/", Asset("index.html")),
      get("/about", Asset("about.html")),
      get("/sub/page", Asset("sub/page.html")),
      get("/style.css", Asset("style.css")),
      // Every miss, whatever its extension or Accept header.
      get("/missing", Asset("index.html")),
      get("/missing/", Asset("index.html")),
      get("/missing.css", Asset("index.html")),
      get("/missing.html", Asset("index.html")),
      get("/deep/nested/path", Asset("index.html")),
      get("/sub/", Asset("index.html")),
      get("/sub/missing", Asset("index.html")),
      req("HEAD", "/missing", &[], Asset("index.html")),
      req("POST", "/missing", &[], Empty(405)),
    ],
  )
  .await;
}

#[tokio::test]
async fn assets_only_404_page() {
  use Want::*;
  run(
    "assets-only-404-page.toml",
    &[
      get("/", Asset("index.html")),
      get("/sub/page", Asset("sub/page.html")),
      get("/missing", NotFoundPage("404.html")),
      get("/missing/", NotFoundPage("404.html")),
      get("/missing.css", NotFoundPage("404.html")),
      get("/missing.html", NotFoundPage("404.html")),
      get("/deep/nested/path", NotFoundPage("404.html")),
      get("/blog/missing", NotFoundPage("404.html")),
      get("/sub/", NotFoundPage("sub/404.html")),
      get("/sub/missing", NotFoundPage("sub/404.html")),
      get("/sub/deeper/missing", NotFoundPage("sub/404.html")),
      req("HEAD", "/missing", &[], NotFoundPage("404.html")),
      req("POST", "/missing", &[], Empty(405)),
    ],
  )
  .await;
}

// ---------------------------------------------------------------------------
// run_worker_first.

#[tokio::test]
async fn run_worker_first_true() {
  use Want::*;
  const VIA_BINDING: (&str, &str) = ("x-via-binding", "1");
  run(
    "run-worker-first.toml",
    &[
      get("/", Worker("/")),
      get("/style.css", Worker("/style.css")),
      get("/index.html", Worker("/index.html")),
      get("/missing", Worker("/missing")),
      req("POST", "/style.css", &[], Worker("/style.css")),
      // The worker answers with `env.ASSETS.fetch(request)`: the incoming
      // request does not follow redirects.
      req("GET", "/style.css", &[VIA_BINDING], Asset("style.css")),
      req("GET", "/", &[VIA_BINDING], Asset("index.html")),
      req("GET", "/about.html", &[VIA_BINDING], Redirect("/about")),
      req("GET", "/blog", &[VIA_BINDING], Redirect("/blog/")),
      req("GET", "/missing", &[VIA_BINDING], Empty(404)),
      req("POST", "/style.css", &[VIA_BINDING], Empty(405)),
      req(
        "GET",
        "/style.css",
        &[VIA_BINDING, ("if-none-match", "etag-of:/style.css")],
        NotModified("style.css"),
      ),
    ],
  )
  .await;
}

#[tokio::test]
async fn run_worker_first_rules() {
  use Want::*;
  run(
    "run-worker-first-rules.toml",
    &[
      get("/", Asset("index.html")),
      get("/style.css", Asset("style.css")),
      get("/about", Asset("about.html")),
      get("/index.html", Redirect("/")),
      get("/missing", Worker("/missing")),
      req("POST", "/style.css", &[], Empty(405)),
      // /api/* goes to the worker first, even where a file exists.
      get("/api/file.txt", Worker("/api/file.txt")),
      req("POST", "/api/file.txt", &[], Worker("/api/file.txt")),
      get("/api/x", Worker("/api/x")),
      get("/api/", Worker("/api/")),
      // Not matched by /api/*: misses, so the worker.
      get("/api", Worker("/api")),
      get("/apix", Worker("/apix")),
      get("/API/file.txt", Worker("/API/file.txt")),
      // !/api/static/* is served by assets alone: a miss is a plain 404.
      get("/api/static/s.txt", Asset("api/static/s.txt")),
      get("/api/static/missing", Empty(404)),
    ],
  )
  .await;
}

// ---------------------------------------------------------------------------
// The ASSETS binding.

#[tokio::test]
async fn the_assets_binding() {
  use Want::*;
  run(
    "wrangler.toml",
    &[
      get(
        "/binding-type",
        Json(json!({
          "type": "object",
          "string": "[object Fetcher]",
          "constructor": "Fetcher",
          "fetch": "function",
        })),
      ),
      // A string URL: its host does not matter.
      get(
        "/binding?path=/style.css",
        Json(binding_asset(200, "style.css")),
      ),
      get(
        "/binding?path=/style.css&how=request",
        Json(binding_asset(200, "style.css")),
      ),
      get("/binding?path=/noext", Json(binding_asset(200, "noext"))),
      get(
        "/binding?path=/weird%20name.txt",
        Json(binding_asset(200, "weird name.txt")),
      ),
      get("/binding?path=/missing", Json(binding_empty(404))),
      get(
        "/binding?path=/style.css&how=request&method=POST",
        Json(binding_empty(405)),
      ),
      // fetch() follows the 307s by default...
      get(
        "/binding?path=/about.html",
        Json(binding_asset(200, "about.html")),
      ),
      get(
        "/binding?path=/blog",
        Json(binding_asset(200, "blog/index.html")),
      ),
      // ...and with redirect: "manual" shows them.
      get(
        "/binding?path=/about.html&how=manual",
        Json(json!({ "status": 307, "headers": { "location": "/about" }, "body": "" })),
      ),
      get(
        "/binding?path=/blog&how=manual",
        Json(json!({ "status": 307, "headers": { "location": "/blog/" }, "body": "" })),
      ),
      // The incoming request's headers, passed on.
      req(
        "GET",
        "/binding?path=/style.css&how=request",
        &[("if-none-match", "etag-of:/style.css")],
        Json(json!({
          "status": 304,
          "headers": {
            "cache-control": CACHE_CONTROL,
            "cf-cache-status": "HIT",
            "content-type": "text/css; charset=utf-8",
            "etag": ETAG,
          },
          "body": "",
        })),
      ),
      req(
        "GET",
        "/binding?path=/style.css&how=request",
        &[("range", "bytes=0-3")],
        Json(json!({
          "status": 200,
          "headers": {
            "cf-cache-status": "HIT",
            "content-type": "text/css; charset=utf-8",
            "etag": ETAG,
          },
          "body": file_text("style.css"),
        })),
      ),
    ],
  )
  .await;
}

// ---------------------------------------------------------------------------
// Configurations wrangler rejects.

/// The bad configurations and what wrangler says about each (after `✘
/// [ERROR] ` or `- `): kiln must refuse them too and say the same.
const BAD_CONFIGS: [(&str, &[&str]); 8] = [
  (
    "bad-no-directory.toml",
    &["The `assets` property in your configuration is missing the required `directory` property."],
  ),
  (
    "bad-missing-directory.toml",
    &[
      "The directory specified by the \"assets.directory\" field in your configuration file does not exist:",
      "/does-not-exist\n",
    ],
  ),
  (
    "bad-html-handling.toml",
    &["Expected \"assets.html_handling\" field to be one of [\"auto-trailing-slash\",\"force-trailing-slash\",\"drop-trailing-slash\",\"none\"] but got \"bogus\"."],
  ),
  (
    "bad-not-found-handling.toml",
    &["Expected \"assets.not_found_handling\" field to be one of [\"single-page-application\",\"404-page\",\"none\"] but got \"bogus\"."],
  ),
  (
    "bad-binding-without-main.toml",
    &["Cannot use assets with a binding in an assets-only Worker."],
  ),
  (
    "bad-run-worker-first-without-main.toml",
    &["Cannot set run_worker_first without a Worker script."],
  ),
  (
    "bad-run-worker-first-rule.toml",
    &[
      "Invalid routes in `run_worker_first`:",
      "'api/*': rules must start with '/' or '!/'",
    ],
  ),
  (
    "bad-run-worker-first-only-negative.toml",
    &["Only negative `run_worker_first` rules were provided; must provide at least 1 non-negative rule"],
  ),
];

/// Runs `wrangler dev` on a copy of `config`, which must fail to start;
/// answers what it printed (stdout, then stderr).
fn wrangler_refuses(config: &str) -> String {
  let copy = reference_copy(config);
  wrangler::refuses(config, copy.path()).1
}

#[test]
fn config_errors() {
  let mut failures = Vec::new();
  for (config, needles) in BAD_CONFIGS {
    let mut outputs = vec![("wrangler", wrangler_refuses(config))];
    if !reference_only() {
      let path = format!("assets/{config}");
      let mut command = Command::new(kiln_bin());
      command
        .args(["dev", "-c", &path, "--port", "0", "--no-persist"])
        .current_dir(workers_dir())
        .env("RUST_BACKTRACE", "0");
      match run_with_deadline(&mut command, Duration::from_secs(15)) {
        Ok(exit) => {
          let out = format!("{}{}", exit.stdout, exit.stderr);
          if exit.code == Some(0) || exit.code.is_none() {
            failures.push(format!(
              "kiln dev -c {path} should fail; it exited with {:?}:\n{out}",
              exit.code
            ));
          }
          outputs.push(("kiln", out));
        }
        Err(overdue) => failures.push(format!("kiln dev -c {path} should fail at once: {overdue}")),
      }
    }
    for (label, out) in outputs {
      for needle in needles {
        if !out.contains(needle) {
          failures.push(format!(
            "{label}, {config}: {needle:?} missing from:\n{out}"
          ));
        }
      }
    }
  }
  assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
