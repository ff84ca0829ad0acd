//! Both WebSocket handshakes: the 101 a worker's response becomes (which of
//! the worker's headers it keeps, and the accept key), and the client
//! handshake behind `fetch()` with `Upgrade: websocket` and `new WebSocket()`.
//! The only extension is permessage-deflate (deflate.rs), and only under
//! `web_socket_compression`.

use base64::Engine;
use bytes::Bytes;
use deno_core::ByteString;
use deno_error::JsErrorBox;
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use kiln_host::http::ResponseBody;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::deflate::{self, Agreement};

/// The `Sec-WebSocket-Accept` answer to a client's `Sec-WebSocket-Key`.
pub fn accept_key(key: &[u8]) -> String {
  use base64::Engine;
  use sha1::Digest;
  let mut sha = sha1::Sha1::new();
  sha.update(key);
  sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// Headers of a worker's 101 response that kiln sets itself.
const SERVER_RESERVED: &[&str] = &[
  "sec-websocket-extensions",
  "sec-websocket-accept",
  "upgrade",
  "connection",
  "content-length",
];

/// The `101 Switching Protocols` answer to a client whose key is `key`, with
/// the worker's own headers (`Sec-WebSocket-Protocol` and the like) kept.
pub fn switching_protocols(
  key: &[u8],
  headers: &[(ByteString, ByteString)],
  agreement: Option<&Agreement>,
) -> Result<http::Response<ResponseBody>, JsErrorBox> {
  let mut builder = http::Response::builder().status(101);
  for (name, value) in headers {
    let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
    if !SERVER_RESERVED.contains(&lower.as_str()) {
      builder = builder.header(name.as_slice(), value.as_slice());
    }
  }
  if let Some(agreement) = agreement {
    builder = builder.header("sec-websocket-extensions", agreement.header());
  }
  builder
    .header(http::header::UPGRADE, "websocket")
    .header(http::header::CONNECTION, "Upgrade")
    .header("sec-websocket-accept", accept_key(key))
    .body(ResponseBody::Empty)
    .map_err(|e| JsErrorBox::type_error(format!("Invalid response: {e}")))
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Headers kiln sets itself on a client handshake (the extension offer is
/// `offer`).
const CLIENT_RESERVED: &[&str] = &[
  "host",
  "upgrade",
  "connection",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-extensions",
  "content-length",
  "transfer-encoding",
];

pub(crate) async fn client_handshake(
  url: &url::Url,
  tls: bool,
  host: &str,
  port: u16,
  headers: Vec<(ByteString, ByteString)>,
  offer: Option<String>,
) -> Result<Handshake, JsErrorBox> {
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
  if let Some(offer) = &offer {
    request = request.header("sec-websocket-extensions", offer.as_str());
  }
  for (name, value) in headers {
    let lower = String::from_utf8_lossy(&name).to_ascii_lowercase();
    if !CLIENT_RESERVED.contains(&lower.as_str()) {
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
    return Ok(Handshake::Answered(response));
  }
  let expected = accept_key(key.as_bytes());
  let accepted = response
    .headers()
    .get("sec-websocket-accept")
    .is_some_and(|v| v.as_bytes() == expected.as_bytes());
  if !accepted {
    return Err(fail(
      "the server's Sec-WebSocket-Accept does not match".into(),
    ));
  }
  // What the server agreed to must fit what was offered (RFC 7692 §5).
  let answer = response
    .headers()
    .get_all("sec-websocket-extensions")
    .iter()
    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    .collect::<Vec<_>>()
    .join(", ");
  let agreement = match deflate::read_answer(offer.as_deref(), &answer) {
    Ok(agreement) => agreement,
    // The connection is dropped here, unused.
    Err(why) => return Ok(Handshake::Refused(why)),
  };
  let upgraded = hyper::upgrade::on(&mut response)
    .await
    .map_err(|e| fail(e.to_string()))?;
  Ok(Handshake::Upgraded {
    response,
    upgraded,
    agreement,
  })
}

/// The outcome of a client handshake.
pub(crate) enum Handshake {
  /// Any answer but a 101.
  Answered(hyper::Response<Incoming>),
  /// A 101: the connection, and the compression agreed if any.
  Upgraded {
    response: hyper::Response<Incoming>,
    upgraded: hyper::upgrade::Upgraded,
    agreement: Option<Agreement>,
  },
  /// A 101 whose `Sec-WebSocket-Extensions` kiln cannot accept: why, in
  /// workerd's words (workerd answers the caller with a 502 saying it).
  Refused(String),
}
