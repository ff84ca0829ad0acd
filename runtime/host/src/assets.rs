//! Static assets (`[assets]`): files of a directory served before the
//! worker, as Cloudflare's asset worker serves them and wrangler dev
//! emulates it: `html_handling` (which of `/about`, `/about/`,
//! `/about.html` serves `about.html`, and which redirect to it),
//! `not_found_handling` (a single-page application's `index.html`, or the
//! nearest `404.html`), `run_worker_first`, ETags with 304s, and the same
//! headers. The files are looked up on disk at each request, so an edit is
//! served at once, as wrangler dev's watcher does.
//!
//! [`Assets::route`] decides between the assets and the worker for a
//! request to the worker's address; [`Assets::serve`] answers as the asset
//! worker does (also for `env.ASSETS.fetch()`).

use std::path::{Component, Path, PathBuf};

use http::{HeaderMap, HeaderValue, Response, StatusCode};
use regex::Regex;
use sha2::{Digest, Sha256};

use crate::http::ResponseBody;

/// What an asset may weigh (wrangler refuses bigger files at start-up).
pub const MAX_ASSET_BYTES: u64 = 25 * 1024 * 1024;
const CACHE_CONTROL: &str = "public, max-age=0, must-revalidate";
/// Files the asset worker never serves.
const IGNORED: &[&str] = &["/.assetsignore", "/_redirects", "/_headers"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HtmlHandling {
  AutoTrailingSlash,
  ForceTrailingSlash,
  DropTrailingSlash,
  None,
}

impl HtmlHandling {
  pub fn parse(text: &str) -> Option<HtmlHandling> {
    Some(match text {
      "auto-trailing-slash" => HtmlHandling::AutoTrailingSlash,
      "force-trailing-slash" => HtmlHandling::ForceTrailingSlash,
      "drop-trailing-slash" => HtmlHandling::DropTrailingSlash,
      "none" => HtmlHandling::None,
      _ => return None,
    })
  }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotFoundHandling {
  SinglePageApplication,
  NotFoundPage,
  None,
}

impl NotFoundHandling {
  pub fn parse(text: &str) -> Option<NotFoundHandling> {
    Some(match text {
      "single-page-application" => NotFoundHandling::SinglePageApplication,
      "404-page" => NotFoundHandling::NotFoundPage,
      "none" => NotFoundHandling::None,
      _ => return None,
    })
  }
}

/// `run_worker_first`.
#[derive(Clone, Debug, Default)]
pub enum RunWorkerFirst {
  #[default]
  Never,
  Always,
  /// Paths matching `worker` go to the worker unless they match `assets`
  /// (the `!/…` rules).
  Rules {
    worker: Vec<String>,
    assets: Vec<String>,
  },
}

/// `[assets]` as the configuration gives it, paths resolved.
#[derive(Clone, Debug)]
pub struct AssetsConfig {
  pub directory: PathBuf,
  pub binding: Option<String>,
  pub html_handling: HtmlHandling,
  pub not_found_handling: NotFoundHandling,
  pub run_worker_first: RunWorkerFirst,
}

/// Where a request goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
  Assets,
  Worker,
}

pub struct Assets {
  config: AssetsConfig,
  /// `run_worker_first` patterns, compiled.
  worker_first: Vec<Regex>,
  assets_first: Vec<Regex>,
  /// The worker has a script (not an assets-only worker).
  has_worker: bool,
  /// `assets_navigation_prefers_asset_serving`: a browser's navigation to a
  /// missing path gets `not_found_handling` even though a worker exists.
  navigation_prefers_assets: bool,
}

/// What the rules make of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Intent {
  /// Serve this file (a decoded path such as `/blog/index.html`) with this
  /// status.
  Asset(String, u16),
  /// Redirect to this decoded path.
  Redirect(String),
}

impl Assets {
  pub fn new(config: AssetsConfig, has_worker: bool, navigation_prefers_assets: bool) -> Assets {
    let compile = |rules: &[String]| -> Vec<Regex> {
      rules.iter().filter_map(|rule| glob_regex(rule)).collect()
    };
    let (worker_first, assets_first) = match &config.run_worker_first {
      RunWorkerFirst::Rules { worker, assets } => (compile(worker), compile(assets)),
      _ => (Vec::new(), Vec::new()),
    };
    Assets {
      config,
      worker_first,
      assets_first,
      has_worker,
      navigation_prefers_assets,
    }
  }

  pub fn binding(&self) -> Option<&str> {
    self.config.binding.as_deref()
  }

  /// The assets or the worker, for a request to the worker's address
  /// (`path` is the URL's raw path).
  pub fn route(&self, method: &str, path: &str, headers: &HeaderMap) -> Route {
    if !self.has_worker {
      return Route::Assets;
    }
    let rules = matches!(self.config.run_worker_first, RunWorkerFirst::Rules { .. });
    if rules {
      if self.assets_first.iter().any(|r| r.is_match(path)) {
        return Route::Assets;
      }
      if self.worker_first.iter().any(|r| r.is_match(path)) {
        return Route::Worker;
      }
    }
    if matches!(self.config.run_worker_first, RunWorkerFirst::Always) {
      return Route::Worker;
    }
    // A miss goes to the worker: not_found_handling counts only with
    // routing rules, or for a browser's navigation when the flag is on.
    let navigate = headers
      .get("sec-fetch-mode")
      .is_some_and(|v| v.as_bytes() == b"navigate");
    let keep_not_found = rules || (self.navigation_prefers_assets && navigate);
    let not_found = if keep_not_found {
      self.config.not_found_handling
    } else {
      NotFoundHandling::None
    };
    let _ = method;
    match self.intent(&decode_path(path), false, not_found) {
      Some(_) => Route::Assets,
      None => Route::Worker,
    }
  }

  /// The asset worker's answer to a request for `path` (raw, as in the
  /// URL) with `query` (including its `?`, or empty).
  pub fn serve(
    &self,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
  ) -> Response<ResponseBody> {
    let decoded = decode_path(path);
    let Some(intent) = self.intent(&decoded, false, self.config.not_found_handling) else {
      return empty(StatusCode::NOT_FOUND);
    };
    if method != "GET" && method != "HEAD" {
      return empty(StatusCode::METHOD_NOT_ALLOWED);
    }
    let (file, status) = match intent {
      Intent::Redirect(to) => return redirect(&format!("{}{query}", encode_path(&to))),
      Intent::Asset(file, status) => {
        let canonical = encode_path(&decoded);
        if canonical != path {
          return redirect(&format!("{canonical}{query}"));
        }
        (file, status)
      }
    };
    let Some(disk) = self.file(&file) else {
      return empty(StatusCode::NOT_FOUND);
    };
    let etag = etag_of(&disk);
    let mut out = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{etag}\"")) {
      out.insert(http::header::ETAG, v);
    }
    if let Some(kind) = content_type(&file) {
      if let Ok(v) = HeaderValue::from_str(&kind) {
        out.insert(http::header::CONTENT_TYPE, v);
      }
    }
    if !headers.contains_key(http::header::AUTHORIZATION)
      && !headers.contains_key(http::header::RANGE)
    {
      out.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
      );
    }
    out.insert("cf-cache-status", HeaderValue::from_static("HIT"));
    let if_none_match = headers
      .get(http::header::IF_NONE_MATCH)
      .and_then(|v| v.to_str().ok())
      .unwrap_or("");
    if if_none_match == format!("\"{etag}\"") || if_none_match == format!("W/\"{etag}\"") {
      let mut response = empty(StatusCode::NOT_MODIFIED);
      *response.headers_mut() = out;
      return response;
    }
    let body = if method == "HEAD" {
      ResponseBody::Empty
    } else {
      match std::fs::read(&disk) {
        Ok(bytes) => ResponseBody::full(bytes),
        Err(_) => return empty(StatusCode::NOT_FOUND),
      }
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    *response.headers_mut() = out;
    response
  }

  /// The file on disk for a decoded asset path, if it is one: a regular
  /// file (not a link, not a directory) inside the directory.
  fn file(&self, path: &str) -> Option<PathBuf> {
    if !path.starts_with('/') || IGNORED.contains(&path) {
      return None;
    }
    let relative = Path::new(&path[1..]);
    if relative
      .components()
      .any(|c| !matches!(c, Component::Normal(_)))
    {
      return None;
    }
    let disk = self.config.directory.join(relative);
    let meta = std::fs::symlink_metadata(&disk).ok()?;
    (meta.is_file() && meta.len() <= MAX_ASSET_BYTES).then_some(disk)
  }

  fn exists(&self, path: &str) -> bool {
    self.file(path).is_some()
  }

  fn intent(&self, path: &str, skip: bool, not_found: NotFoundHandling) -> Option<Intent> {
    let found = match self.config.html_handling {
      HtmlHandling::AutoTrailingSlash => self.auto_trailing_slash(path, skip, not_found),
      HtmlHandling::ForceTrailingSlash => self.force_trailing_slash(path, skip, not_found),
      HtmlHandling::DropTrailingSlash => self.drop_trailing_slash(path, skip, not_found),
      HtmlHandling::None => self.exact(path),
    };
    found.or_else(|| self.not_found(path, not_found))
  }

  fn exact(&self, path: &str) -> Option<Intent> {
    self
      .exists(path)
      .then(|| Intent::Asset(path.to_string(), 200))
  }

  /// A redirect to `to` when `to` is not itself a file but would serve
  /// `file` (so that the redirect lands on the same content).
  fn redirect_to(
    &self,
    file: &str,
    to: &str,
    skip: bool,
    not_found: NotFoundHandling,
  ) -> Option<Intent> {
    if skip || self.exists(to) || !self.exists(file) {
      return None;
    }
    match self.intent(to, true, not_found) {
      Some(Intent::Asset(served, _)) if served == file => Some(Intent::Redirect(to.to_string())),
      _ => None,
    }
  }

  fn auto_trailing_slash(&self, path: &str, skip: bool, nf: NotFoundHandling) -> Option<Intent> {
    let r = |file: &str, to: &str| self.redirect_to(file, to, skip, nf);
    if let Some(base) = path.strip_suffix("/index") {
      if let Some(hit) = self.exact(path) {
        return Some(hit);
      }
      let hit = r(&format!("{path}.html"), &format!("{base}/"));
      if hit.is_some() {
        return hit;
      }
      if let Some(hit) = r(&format!("{base}.html"), base) {
        return Some(hit);
      }
    } else if let Some(base) = path.strip_suffix("/index.html") {
      if let Some(hit) = r(path, &format!("{base}/")).or_else(|| r(&format!("{base}.html"), base)) {
        return Some(hit);
      }
    } else if let Some(base) = path.strip_suffix('/') {
      let index = format!("{path}index.html");
      if self.exists(&index) {
        return Some(Intent::Asset(index, 200));
      }
      if let Some(hit) = r(&format!("{base}.html"), base) {
        return Some(hit);
      }
    } else if let Some(base) = path.strip_suffix(".html") {
      if let Some(hit) =
        r(path, base).or_else(|| r(&format!("{base}/index.html"), &format!("{base}/")))
      {
        return Some(hit);
      }
    }
    if let Some(hit) = self.exact(path) {
      return Some(hit);
    }
    let html = format!("{path}.html");
    if self.exists(&html) {
      return Some(Intent::Asset(html, 200));
    }
    r(&format!("{path}/index.html"), &format!("{path}/"))
  }

  fn force_trailing_slash(&self, path: &str, skip: bool, nf: NotFoundHandling) -> Option<Intent> {
    let r = |file: &str, to: &str| self.redirect_to(file, to, skip, nf);
    if let Some(base) = path.strip_suffix("/index") {
      if let Some(hit) = self.exact(path) {
        return Some(hit);
      }
      let to = format!("{base}/");
      if let Some(hit) = r(&format!("{path}.html"), &to).or_else(|| r(&format!("{base}.html"), &to))
      {
        return Some(hit);
      }
    } else if let Some(base) = path.strip_suffix("/index.html") {
      let to = format!("{base}/");
      if let Some(hit) = r(path, &to).or_else(|| r(&format!("{base}.html"), &to)) {
        return Some(hit);
      }
    } else if let Some(base) = path.strip_suffix('/') {
      for file in [format!("{path}index.html"), format!("{base}.html")] {
        if self.exists(&file) {
          return Some(Intent::Asset(file, 200));
        }
      }
    } else if let Some(base) = path.strip_suffix(".html") {
      let to = format!("{base}/");
      if let Some(hit) = r(path, &to) {
        return Some(hit);
      }
      if let Some(hit) = self.exact(path) {
        return Some(hit);
      }
      if let Some(hit) = r(&format!("{base}/index.html"), &to) {
        return Some(hit);
      }
    }
    if let Some(hit) = self.exact(path) {
      return Some(hit);
    }
    let to = format!("{path}/");
    r(&format!("{path}.html"), &to).or_else(|| r(&format!("{path}/index.html"), &to))
  }

  fn drop_trailing_slash(&self, path: &str, skip: bool, nf: NotFoundHandling) -> Option<Intent> {
    let r = |file: &str, to: &str| self.redirect_to(file, to, skip, nf);
    if let Some(base) = path.strip_suffix("/index") {
      if let Some(hit) = self.exact(path) {
        return Some(hit);
      }
      let hit = if path == "/index" {
        r("/index.html", "/")
      } else {
        r(&format!("{base}.html"), base).or_else(|| r(&format!("{path}.html"), base))
      };
      if hit.is_some() {
        return hit;
      }
    } else if let Some(base) = path.strip_suffix("/index.html") {
      if path == "/index.html" {
        if let Some(hit) = r("/index.html", "/") {
          return Some(hit);
        }
      } else {
        if let Some(hit) = r(path, base) {
          return Some(hit);
        }
        if let Some(hit) = self.exact(path) {
          return Some(hit);
        }
        if let Some(hit) = r(&format!("{base}.html"), base) {
          return Some(hit);
        }
      }
    } else if let Some(base) = path.strip_suffix('/') {
      if path == "/" {
        if self.exists("/index.html") {
          return Some(Intent::Asset("/index.html".into(), 200));
        }
      } else if let Some(hit) =
        r(&format!("{base}.html"), base).or_else(|| r(&format!("{base}/index.html"), base))
      {
        return Some(hit);
      }
    } else if let Some(base) = path.strip_suffix(".html") {
      if let Some(hit) = r(path, base).or_else(|| r(&format!("{base}/index.html"), base)) {
        return Some(hit);
      }
    }
    if let Some(hit) = self.exact(path) {
      return Some(hit);
    }
    for file in [format!("{path}.html"), format!("{path}/index.html")] {
      if self.exists(&file) {
        return Some(Intent::Asset(file, 200));
      }
    }
    None
  }

  fn not_found(&self, path: &str, handling: NotFoundHandling) -> Option<Intent> {
    match handling {
      NotFoundHandling::SinglePageApplication => self
        .exists("/index.html")
        .then(|| Intent::Asset("/index.html".into(), 200)),
      NotFoundHandling::NotFoundPage => {
        let mut dir = path;
        while !dir.is_empty() {
          dir = &dir[..dir.rfind('/').unwrap_or(0)];
          let page = format!("{dir}/404.html");
          if self.exists(&page) {
            return Some(Intent::Asset(page, 404));
          }
        }
        None
      }
      NotFoundHandling::None => None,
    }
  }
}

fn empty(status: StatusCode) -> Response<ResponseBody> {
  let mut response = Response::new(ResponseBody::Empty);
  *response.status_mut() = status;
  response
}

fn redirect(location: &str) -> Response<ResponseBody> {
  let mut response = empty(StatusCode::TEMPORARY_REDIRECT);
  if let Ok(v) = HeaderValue::from_str(location) {
    response.headers_mut().insert(http::header::LOCATION, v);
  }
  response
}

/// A `run_worker_first` pattern: `*` matches anything, the rest literally.
fn glob_regex(rule: &str) -> Option<Regex> {
  let body: Vec<String> = rule.split('*').map(regex::escape).collect();
  Regex::new(&format!("^{}$", body.join(".*"))).ok()
}

/// Each segment percent-decoded (left as it is when that fails), repeated
/// slashes made one.
fn decode_path(path: &str) -> String {
  let decoded: Vec<String> = path
    .split('/')
    .map(|segment| {
      percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map(|s| s.into_owned())
        .unwrap_or_else(|_| segment.to_string())
    })
    .collect();
  let mut out = decoded.join("/");
  while out.contains("//") {
    out = out.replace("//", "/");
  }
  out
}

/// JavaScript's `encodeURIComponent` per segment.
fn encode_path(path: &str) -> String {
  const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');
  path
    .split('/')
    .map(|s| percent_encoding::utf8_percent_encode(s, COMPONENT).to_string())
    .collect::<Vec<_>>()
    .join("/")
}

/// The file's path and modification time, hashed, as wrangler dev makes an
/// asset's ETag: it changes when the file does.
fn etag_of(disk: &Path) -> String {
  let modified = std::fs::metadata(disk)
    .and_then(|m| m.modified())
    .ok()
    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
    .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
  let digest = Sha256::digest(format!("{}{modified}", disk.display()).as_bytes());
  digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The Content-Type the asset worker gives a file name (the npm `mime`
/// package's answer, `; charset=utf-8` added to `text/*`), or none.
pub fn content_type(name: &str) -> Option<String> {
  let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
  if name
    .rsplit('/')
    .next()
    .is_some_and(|base| !base.contains('.'))
  {
    return None;
  }
  let kind = match ext.as_str() {
    "html" | "htm" | "shtml" => "text/html",
    "css" => "text/css",
    "js" | "mjs" => "text/javascript",
    "json" | "map" => "application/json",
    "txt" | "text" | "log" | "ini" | "conf" => "text/plain",
    "xml" => "application/xml",
    "svg" | "svgz" => "image/svg+xml",
    "png" => "image/png",
    "jpg" | "jpeg" | "jpe" => "image/jpeg",
    "gif" => "image/gif",
    "webp" => "image/webp",
    "avif" => "image/avif",
    "apng" => "image/apng",
    "bmp" => "image/bmp",
    "tif" | "tiff" => "image/tiff",
    "heic" => "image/heic",
    "ico" => "image/vnd.microsoft.icon",
    "wasm" => "application/wasm",
    "woff" => "font/woff",
    "woff2" => "font/woff2",
    "ttf" => "font/ttf",
    "otf" => "font/otf",
    "eot" => "application/vnd.ms-fontobject",
    "pdf" => "application/pdf",
    "webmanifest" => "application/manifest+json",
    "mp4" | "mp4v" | "mpg4" => "video/mp4",
    "webm" => "video/webm",
    "mov" => "video/quicktime",
    "mp3" => "audio/mpeg",
    "wav" => "audio/wav",
    "ogg" | "opus" => "audio/ogg",
    "m4a" => "audio/mp4",
    "md" | "markdown" => "text/markdown",
    "csv" => "text/csv",
    "yaml" | "yml" => "text/yaml",
    "toml" => "application/toml",
    "jsx" => "text/jsx",
    "vtt" => "text/vtt",
    "ics" => "text/calendar",
    "rss" => "application/rss+xml",
    "atom" => "application/atom+xml",
    "zip" => "application/zip",
    "gz" => "application/gzip",
    "tar" => "application/x-tar",
    "rtf" => "application/rtf",
    "epub" => "application/epub+zip",
    "sh" => "application/x-sh",
    "sql" => "application/x-sql",
    "c" | "h" => "text/x-c",
    "java" => "text/x-java-source",
    _ => return None,
  };
  Some(if kind.starts_with("text/") {
    format!("{kind}; charset=utf-8")
  } else {
    kind.to_string()
  })
}
