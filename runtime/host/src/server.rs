//! HTTP/1.1 serving with hyper: every request on a worker's listener becomes
//! an [`IncomingRequest`] on the queue of the worker it is routed to.

use std::cell::Cell;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

use crate::assets::{Assets, Route};
use crate::http::{error_response, IncomingRequest, RequestSender, ResponseBody, WebSocketUpgrade};
use crate::routes::Router;

/// The worker a listener belongs to: where requests no route claims go.
#[derive(Clone)]
pub struct Listener {
  pub worker: Arc<str>,
  pub requests: RequestSender,
  /// The worker's static assets, served before it (or instead of it).
  pub assets: Option<Arc<Assets>>,
  pub limits: HttpLimits,
  /// Print one line per request (method, path, status, time), as wrangler
  /// dev does; `kiln dev --quiet` turns it off.
  pub log_requests: bool,
  /// Where `/cdn-cgi/` requests go when this listener serves one of a
  /// worker's several isolates (`kiln dev --isolates`): its first, which
  /// holds the worker's Durable Objects.
  pub control: Option<RequestSender>,
}

/// What a listener takes from a client before it refuses: the defences
/// against a client that holds connections open, or sends without end.
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
  /// A request's headers must arrive within this time, or the connection
  /// is closed (slow-loris clients).
  pub header_timeout: std::time::Duration,
  /// Request line and headers together; past it the answer is 431.
  pub max_header_bytes: usize,
  /// A request body; past it the answer is 413 (Workers' own limit is
  /// 100 MB on the free plan).
  pub max_body_bytes: u64,
  /// HTTP connections open at once on one listener (a connection upgraded
  /// to a WebSocket leaves the count); past it a new connection is closed
  /// at once.
  pub max_connections: usize,
}

impl Default for HttpLimits {
  fn default() -> Self {
    HttpLimits {
      header_timeout: std::time::Duration::from_secs(30),
      max_header_bytes: 128 * 1024,
      max_body_bytes: 100 * 1000 * 1000,
      max_connections: 10_000,
    }
  }
}

/// Accepts connections on `listener` until the shutdown begins. Runs on the
/// worker's own thread (a current-thread runtime with a `LocalSet`), so a
/// request to this worker never crosses a thread. Once the shutdown begins
/// it stops accepting, and each connection closes as soon as it has no
/// request in flight (an idle keep-alive one at once); `open` counts the
/// connections still open.
pub async fn serve(
  listener: TcpListener,
  owner: Listener,
  router: Arc<Router>,
  mut stop: watch::Receiver<Option<std::time::Instant>>,
  open: Rc<Cell<usize>>,
) {
  let mut refusing = false;
  loop {
    let accepted = tokio::select! {
      accepted = listener.accept() => accepted,
      _ = crate::shutdown::begun(&mut stop) => return,
    };
    let (stream, peer) = match accepted {
      Ok(conn) => conn,
      Err(e) => {
        // Running out of file descriptors and the like: wait and retry
        // rather than end the server.
        eprintln!("[{}] accept failed: {e}", owner.worker);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        continue;
      }
    };
    if open.get() >= owner.limits.max_connections {
      // Dropping the stream closes it: the client sees its connection end.
      if !refusing {
        eprintln!(
          "[{}] {} connections are open, the most one listener takes; closing new ones until some end",
          owner.worker, owner.limits.max_connections
        );
      }
      refusing = true;
      continue;
    }
    refusing = false;
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr().ok();
    let owner = owner.clone();
    let router = router.clone();
    let mut stop = stop.clone();
    let slot = Slot::take(&open);
    let owner_limits = owner.limits;
    tokio::task::spawn_local(async move {
      let _slot = slot;
      let service = service_fn(move |req| {
        let owner = owner.clone();
        let router = router.clone();
        async move {
          let log = owner.log_requests.then(|| {
            (
              owner.worker.clone(),
              req.method().clone(),
              req.uri().path().to_string(),
              std::time::Instant::now(),
            )
          });
          let response = handle(owner, &router, req, local, peer).await;
          if let Some((worker, method, path, began)) = log {
            log_request(&worker, &method, &path, response.status(), began.elapsed());
          }
          Ok::<_, Infallible>(response)
        }
      });
      let limits = owner_limits;
      let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
      tokio::pin!(conn);
      // A client that goes away mid-request is not an error of the server.
      tokio::select! {
        _ = conn.as_mut() => {}
        _ = crate::shutdown::begun(&mut stop) => {
          conn.as_mut().graceful_shutdown();
          let _ = conn.await;
        }
      }
    });
  }
}

/// `[worker] GET /path 200 OK (12ms)`: wrangler dev's line, with the
/// worker's name where it says `wrangler:info`. The query is left out, as
/// wrangler leaves it out; the time runs to the response's head.
fn log_request(
  worker: &str,
  method: &http::Method,
  path: &str,
  status: http::StatusCode,
  took: std::time::Duration,
) {
  use std::io::Write;
  // A closed stdout (`kiln dev | head`) costs the line, not the request.
  let _ = writeln!(
    std::io::stdout().lock(),
    "[{worker}] {method} {path} {} {} ({}ms)",
    status.as_u16(),
    status.canonical_reason().unwrap_or(""),
    took.as_millis()
  );
}

/// One open HTTP connection in a listener's count, given back when the
/// connection's task ends however it ends.
struct Slot(Rc<Cell<usize>>);

impl Slot {
  fn take(open: &Rc<Cell<usize>>) -> Slot {
    open.set(open.get() + 1);
    Slot(open.clone())
  }
}

impl Drop for Slot {
  fn drop(&mut self) {
    self.0.set(self.0.get().saturating_sub(1));
  }
}

async fn handle(
  owner: Listener,
  router: &Router,
  mut req: hyper::Request<Incoming>,
  local: Option<SocketAddr>,
  peer: SocketAddr,
) -> hyper::Response<ResponseBody> {
  let url = request_url(&req, local);
  // A request whose URL matches another worker's route goes to that worker.
  let routed = router.route(&url);
  // The worker's own assets, unless another worker's route claims the URL.
  if let (Some(assets), None) = (&owner.assets, &routed) {
    // The path as a URL parser leaves it (dot segments resolved), as the
    // asset worker sees it.
    let parsed = url::Url::parse(&url).ok();
    let path = parsed.as_ref().map_or("/", |u| u.path());
    if assets.route(req.method().as_str(), path, req.headers()) == Route::Assets {
      let query = parsed
        .as_ref()
        .and_then(|u| u.query())
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
      return assets.serve(req.method().as_str(), path, &query, req.headers());
    }
  }
  // Kept aside in case the worker answers with a WebSocket (101).
  let upgrade = websocket_key(&req).map(|key| WebSocketUpgrade {
    on_upgrade: hyper::upgrade::on(&mut req),
    key,
    extensions: req
      .headers()
      .get_all("sec-websocket-extensions")
      .iter()
      .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
      .collect(),
  });
  let max_body = owner.limits.max_body_bytes;
  let declared = req
    .headers()
    .get(http::header::CONTENT_LENGTH)
    .and_then(|v| v.to_str().ok())
    .and_then(|v| v.parse::<u64>().ok());
  if declared.is_some_and(|n| n > max_body) {
    return error_response(
      413,
      "Payload Too Large: the request body is over the limit.\n",
    );
  }
  let (mut parts, body) = req.into_parts();
  let cdn_cgi = parts.uri.path().starts_with("/cdn-cgi/");
  add_edge_headers(&mut parts.headers, peer);
  // A body without a declared length is cut off (an error for its reader)
  // once it passes the limit.
  let body = if body.is_end_stream() {
    None
  } else {
    Some(
      http_body_util::Limited::new(body, max_body as usize)
        .map_err(std::io::Error::other)
        .boxed_unsync(),
    )
  };
  let (reply, response) = oneshot::channel();
  let request = IncomingRequest {
    method: parts.method.as_str().to_string(),
    url,
    headers: parts.headers,
    body,
    reply,
    upgrade,
    durable_object: None,
    queue: None,
  };
  let queue = match (routed, owner.control) {
    (Some(queue), _) => queue,
    (None, Some(first)) if cdn_cgi => first,
    (None, _) => owner.requests,
  };
  if queue.send(request).is_err() {
    return error_response(503, "The worker has stopped.\n");
  }
  match response.await {
    Ok(response) => response,
    Err(_) => error_response(500, "The worker did not respond.\n"),
  }
}

/// What Cloudflare's edge adds to a request before a worker sees it, as
/// wrangler dev emulates it: the client's address in `CF-Connecting-IP`
/// (unless the client sent one), and the encodings the edge accepts.
fn add_edge_headers(headers: &mut http::HeaderMap, peer: SocketAddr) {
  if !headers.contains_key("cf-connecting-ip") {
    let ip = match peer.ip() {
      std::net::IpAddr::V6(v6) => v6
        .to_ipv4_mapped()
        .map(std::net::IpAddr::V4)
        .unwrap_or(std::net::IpAddr::V6(v6)),
      v4 => v4,
    };
    if let Ok(value) = http::HeaderValue::from_str(&ip.to_string()) {
      headers.insert("cf-connecting-ip", value);
    }
  }
  headers.insert(
    http::header::ACCEPT_ENCODING,
    http::HeaderValue::from_static("br, gzip"),
  );
}

/// The `Sec-WebSocket-Key` of a WebSocket upgrade request.
fn websocket_key(req: &hyper::Request<Incoming>) -> Option<Vec<u8>> {
  let upgrade = req.headers().get(hyper::header::UPGRADE)?;
  if !upgrade.as_bytes().eq_ignore_ascii_case(b"websocket") {
    return None;
  }
  Some(req.headers().get("sec-websocket-key")?.as_bytes().to_vec())
}

/// The URL a worker sees: absolute, built from the Host header.
fn request_url(req: &hyper::Request<Incoming>, local: Option<SocketAddr>) -> String {
  let uri = req.uri();
  if uri.scheme().is_some() {
    return uri.to_string();
  }
  let host = req
    .headers()
    .get(hyper::header::HOST)
    .and_then(|h| h.to_str().ok())
    .map(str::to_string)
    .or_else(|| local.map(|a| a.to_string()))
    .unwrap_or_else(|| "localhost".to_string());
  let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
  format!("http://{host}{path}")
}
