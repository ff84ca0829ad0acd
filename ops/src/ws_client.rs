//! Outbound WebSockets: the client handshake behind `fetch()` with
//! `Upgrade: websocket` and behind `new WebSocket(url)`. On a 101 the
//! connection becomes a network end of a new pair (see websocket.rs), and
//! JavaScript gets the other end; any other answer is an ordinary response.

use std::cell::RefCell;
use std::rc::Rc;

use base64::Engine;
use bytes::Bytes;
use deno_core::{op2, ByteString, CancelFuture, CancelHandle, OpState};
use deno_error::JsErrorBox;
use fastwebsockets::Role;
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::http::ResponseBody;
use crate::websocket::{self, SharedHub};

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Connected {
  status: u16,
  status_text: String,
  headers: Vec<(ByteString, ByteString)>,
  /// The JavaScript end of the new pair, for a 101.
  end: Option<u32>,
  /// The body of any other answer.
  body_rid: Option<u32>,
}

/// Headers kiln sets itself on a WebSocket handshake, and the extension
/// offer it does not make (no compression).
const RESERVED: &[&str] = &[
  "host",
  "upgrade",
  "connection",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-extensions",
  "content-length",
  "transfer-encoding",
];

#[op2]
#[serde]
pub async fn op_ws_connect(
  state: Rc<RefCell<OpState>>,
  #[string] url: String,
  #[serde] headers: Vec<(ByteString, ByteString)>,
  #[smi] cancel_rid: i32,
) -> Result<Connected, JsErrorBox> {
  let url =
    url::Url::parse(&url).map_err(|_| JsErrorBox::type_error(format!("Invalid URL: {url}")))?;
  let (tls, default_port) = match url.scheme() {
    "ws" | "http" => (false, 80),
    "wss" | "https" => (true, 443),
    other => {
      return Err(JsErrorBox::type_error(format!(
        "Fetch API cannot load: {url}: a WebSocket needs ws:, wss:, http: or https:, not {other}:"
      )))
    }
  };
  let host = url
    .host_str()
    .ok_or_else(|| JsErrorBox::type_error(format!("Invalid URL: {url}")))?
    .to_string();
  let port = url.port().unwrap_or(default_port);
  let cancel = if cancel_rid >= 0 {
    state
      .borrow()
      .resource_table
      .get::<CancelHandle>(cancel_rid as u32)
      .ok()
  } else {
    None
  };
  let attempt = handshake(&url, tls, &host, port, headers);
  let (response, upgraded) = match cancel {
    Some(cancel) => attempt.or_cancel(cancel).await.map_err(|_| {
      JsErrorBox::new(
        "DOMExceptionAbortError",
        "The connection attempt was aborted.",
      )
    })?,
    None => attempt.await,
  }?;
  let (parts, body) = response.into_parts();
  let headers = crate::http::header_list(&parts.headers);
  let status_text = parts.status.canonical_reason().unwrap_or("").to_string();
  let hub = state.borrow().borrow::<SharedHub>().clone();
  let (end, body_rid) = match upgraded {
    Some(upgraded) => {
      let (js_end, network_end) = websocket::new_pair(&hub);
      websocket::couple(&hub, network_end)?;
      deno_core::unsync::spawn(websocket::run_network_end(
        hub,
        network_end,
        TokioIo::new(upgraded),
        Role::Client,
      ));
      (Some(js_end), None)
    }
    None => {
      let rid =
        crate::service::body_resource(&mut state.borrow_mut(), ResponseBody::Incoming(body));
      (None, rid)
    }
  };
  Ok(Connected {
    status: parts.status.as_u16(),
    status_text,
    headers,
    end,
    body_rid,
  })
}

async fn handshake(
  url: &url::Url,
  tls: bool,
  host: &str,
  port: u16,
  headers: Vec<(ByteString, ByteString)>,
) -> Result<(hyper::Response<Incoming>, Option<hyper::upgrade::Upgraded>), JsErrorBox> {
  let fail =
    |what: String| JsErrorBox::type_error(format!("Failed to connect to {host}:{port}: {what}"));
  let tcp = TcpStream::connect((host, port))
    .await
    .map_err(|e| fail(e.to_string()))?;
  let _ = tcp.set_nodelay(true);
  let io: Box<dyn Io> = if tls {
    let name =
      rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| fail(e.to_string()))?;
    let connector = tokio_rustls::TlsConnector::from(crate::tls::http1_client_config());
    Box::new(
      connector
        .connect(name, tcp)
        .await
        .map_err(|e| fail(e.to_string()))?,
    )
  } else {
    Box::new(tcp)
  };
  let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
    .await
    .map_err(|e| fail(e.to_string()))?;
  deno_core::unsync::spawn(async move {
    let _ = connection.with_upgrades().await;
  });

  let mut nonce = [0u8; 16];
  getrandom::fill(&mut nonce).map_err(|e| fail(e.to_string()))?;
  let key = base64::engine::general_purpose::STANDARD.encode(nonce);
  let mut path = url.path().to_string();
  if let Some(query) = url.query() {
    path.push('?');
    path.push_str(query);
  }
  let host_header = match url.port() {
    Some(p) => format!("{host}:{p}"),
    None => host.to_string(),
  };
  let mut request = hyper::Request::builder()
    .method("GET")
    .uri(path)
    .header("host", host_header)
    .header("upgrade", "websocket")
    .header("connection", "Upgrade")
    .header("sec-websocket-key", &key)
    .header("sec-websocket-version", "13");
  for (name, value) in headers {
    let lower = String::from_utf8_lossy(&name).to_ascii_lowercase();
    if !RESERVED.contains(&lower.as_str()) {
      request = request.header(name.as_slice(), value.as_slice());
    }
  }
  let request = request
    .body(Empty::<Bytes>::new())
    .map_err(|e| JsErrorBox::type_error(e.to_string()))?;
  let mut response = sender
    .send_request(request)
    .await
    .map_err(|e| fail(e.to_string()))?;
  if response.status() != hyper::StatusCode::SWITCHING_PROTOCOLS {
    return Ok((response, None));
  }
  let expected = websocket::accept_key(key.as_bytes());
  let accepted = response
    .headers()
    .get("sec-websocket-accept")
    .is_some_and(|v| v.as_bytes() == expected.as_bytes());
  if !accepted {
    return Err(fail(
      "the server's Sec-WebSocket-Accept does not match".into(),
    ));
  }
  let upgraded = hyper::upgrade::on(&mut response)
    .await
    .map_err(|e| fail(e.to_string()))?;
  Ok((response, Some(upgraded)))
}

/// Tears down the connection behind a JavaScript end (an aborted signal):
/// the peer sees the connection vanish.
#[op2(fast)]
pub fn op_ws_abort(state: &mut OpState, #[smi] id: u32) {
  let hub = state.borrow::<SharedHub>().clone();
  websocket::abort(&hub, id);
}
