//! The server `kiln wpt` runs for the tests, on two ports: `ws:` and `wss:`
//! (TLS with a certificate made at start-up, which the `kiln dev` processes
//! are told to trust). It speaks what WPT's `websockets/handlers/*_wsh.py`
//! (pywebsocket3) speak, written in Rust so that no Python WebSocket stack is
//! needed: path `/name` selects the handler; when a handler's work is done
//! the server closes with 1000; a client's Close is answered by the
//! handler's passive-close rule, or with 1000 and no reason. A request that
//! is not an upgrade gets the file at that path under the WPT root, as
//! wptserve would serve it (`idlharness.js` fetches `/interfaces/*.idl`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fastwebsockets::{FragmentCollector, Frame, OpCode, Payload, Role, WebSocket};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// Where the test server listens, and the certificate of its `wss:` port.
pub struct Servers {
  pub ws: SocketAddr,
  pub wss: SocketAddr,
  /// PEM of the `wss:` port's self-signed certificate (for 127.0.0.1 and
  /// localhost), for `KILN_EXTRA_CA_CERTS`.
  pub cert_pem: String,
}

/// Starts both ports on loopback; files are served from `root`.
pub async fn start(root: PathBuf) -> Result<Servers, String> {
  let cert =
    rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
      .map_err(|e| format!("a certificate for the wss: port: {e}"))?;
  let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
  let config = rustls::ServerConfig::builder_with_provider(Arc::new(
    rustls::crypto::aws_lc_rs::default_provider(),
  ))
  .with_safe_default_protocol_versions()
  .and_then(|b| {
    b.with_no_client_auth()
      .with_single_cert(vec![cert.cert.der().clone()], key)
  })
  .map_err(|e| format!("TLS for the wss: port: {e}"))?;
  let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
  let root = Arc::new(root);
  let plain = TcpListener::bind("127.0.0.1:0")
    .await
    .map_err(|e| e.to_string())?;
  let secure = TcpListener::bind("127.0.0.1:0")
    .await
    .map_err(|e| e.to_string())?;
  let servers = Servers {
    ws: plain.local_addr().map_err(|e| e.to_string())?,
    wss: secure.local_addr().map_err(|e| e.to_string())?,
    cert_pem: cert.cert.pem(),
  };
  let files = root.clone();
  tokio::spawn(async move {
    while let Ok((stream, _)) = plain.accept().await {
      let _ = stream.set_nodelay(true);
      let root = files.clone();
      tokio::spawn(async move {
        let _ = serve(stream, &root).await;
      });
    }
  });
  tokio::spawn(async move {
    while let Ok((stream, _)) = secure.accept().await {
      let _ = stream.set_nodelay(true);
      let (acceptor, root) = (acceptor.clone(), root.clone());
      tokio::spawn(async move {
        if let Ok(tls) = acceptor.accept(stream).await {
          let _ = serve(tls, &root).await;
        }
      });
    }
  });
  Ok(servers)
}

struct Request {
  path: String,
  query: String,
  upgrade: bool,
  key: String,
  protocols: Vec<String>,
  referer: Option<String>,
}

async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<Option<Request>> {
  let mut head = Vec::new();
  let mut byte = [0u8; 1];
  while !head.ends_with(b"\r\n\r\n") {
    if stream.read(&mut byte).await? == 0 || head.len() > 64 * 1024 {
      return Ok(None);
    }
    head.push(byte[0]);
  }
  let text = String::from_utf8_lossy(&head).into_owned();
  let target = text.split_whitespace().nth(1).unwrap_or("/").to_string();
  let (path, query) = match target.split_once('?') {
    Some((p, q)) => (p.to_string(), q.to_string()),
    None => (target, String::new()),
  };
  let header = |name: &str| {
    text.lines().skip(1).find_map(|l| {
      let (n, v) = l.split_once(':')?;
      n.trim()
        .eq_ignore_ascii_case(name)
        .then(|| v.trim().to_string())
    })
  };
  Ok(Some(Request {
    path,
    query,
    upgrade: header("upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket")),
    key: header("sec-websocket-key").unwrap_or_default(),
    protocols: header("sec-websocket-protocol")
      .map(|p| p.split(',').map(|s| s.trim().to_string()).collect())
      .unwrap_or_default(),
    referer: header("referer"),
  }))
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
  query.split('&').find_map(|kv| {
    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
    (k == name).then_some(v)
  })
}

fn decode(text: &str) -> String {
  url::form_urlencoded::parse(format!("x={text}").as_bytes())
    .next()
    .map(|(_, v)| v.into_owned())
    .unwrap_or_default()
}

/// A file under the root, as wptserve serves it; nothing outside the root.
async fn serve_file<S: AsyncWrite + Unpin>(
  stream: &mut S,
  root: &Path,
  path: &str,
) -> std::io::Result<()> {
  let relative = decode(path.trim_start_matches('/'));
  let file = root
    .join(&relative)
    .canonicalize()
    .ok()
    .filter(|p| p.starts_with(root) && p.is_file());
  let Some(body) = file.and_then(|p| std::fs::read(p).ok()) else {
    return stream
      .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
      .await;
  };
  let kind = match relative.rsplit('.').next() {
    Some("js") => "text/javascript",
    Some("json") => "application/json",
    Some("html" | "htm") => "text/html",
    _ => "text/plain",
  };
  let head = format!(
    "HTTP/1.1 200 OK\r\ncontent-type: {kind}; charset=utf-8\r\ncontent-length: {}\r\naccess-control-allow-origin: *\r\nconnection: close\r\n\r\n",
    body.len()
  );
  stream.write_all(head.as_bytes()).await?;
  stream.write_all(&body).await
}

/// The handlers served (those the `.any.js` tests of `websockets/` use).
const HANDLERS: [&str; 11] = [
  "echo",
  "echo_exit",
  "echo-query",
  "protocol_array",
  "remote-close",
  "passive-close-abort",
  "delayed-passive-close",
  "handshake_no_extensions",
  "handshake_sleep_2",
  "referrer",
  "receive-many-with-backpressure",
];

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, root: &Path) -> Result<(), Error> {
  let Some(req) = read_request(&mut stream).await? else {
    return Ok(());
  };
  let name = req.path.trim_start_matches('/').to_string();
  if !req.upgrade {
    serve_file(&mut stream, root, &req.path).await?;
    return Ok(());
  }
  if !HANDLERS.contains(&name.as_str()) {
    stream
      .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
      .await?;
    return Ok(());
  }
  let protocol = match name.as_str() {
    "echo" if req.protocols.iter().any(|p| p == "echo") => Some("echo".to_string()),
    "protocol_array" => req.protocols.first().cloned(),
    _ => None,
  };
  if name == "handshake_sleep_2" {
    tokio::time::sleep(Duration::from_secs(2)).await;
  }
  let mut response = format!(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
    kiln_runtime::websocket_accept_key(req.key.as_bytes())
  );
  if let Some(p) = &protocol {
    response.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
  }
  response.push_str("\r\n");
  stream.write_all(response.as_bytes()).await?;
  let mut ws = WebSocket::after_handshake(stream, Role::Server);
  ws.set_auto_close(false);
  ws.set_auto_pong(true);
  let mut ws = Handler {
    ws: FragmentCollector::new(ws),
    name: name.clone(),
  };
  ws.transfer(&req, protocol).await
}

struct Handler<S> {
  ws: FragmentCollector<S>,
  name: String,
}

/// What `receive_message` gave: a message, or the client's Close (already
/// answered).
enum Received {
  Message(OpCode, Vec<u8>),
  Closed,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Handler<S> {
  /// pywebsocket's `web_socket_transfer_data`, then its closing handshake
  /// when the handler returns with the connection still open.
  async fn transfer(&mut self, req: &Request, protocol: Option<String>) -> Result<(), Error> {
    match self.name.as_str() {
      "echo" | "echo_exit" => loop {
        match self.receive().await? {
          Received::Closed => return Ok(()),
          Received::Message(opcode, data) => {
            let goodbye = opcode == OpCode::Text && data == b"Goodbye";
            if self.name == "echo" {
              self.send(opcode, data).await?;
            }
            if goodbye {
              break;
            }
          }
        }
      },
      "echo-query" => {
        self
          .send(OpCode::Text, req.query.clone().into_bytes())
          .await?
      }
      "protocol_array" => {
        self
          .send(OpCode::Text, protocol.unwrap_or_default().into_bytes())
          .await?
      }
      "referrer" => {
        let referrer = req
          .referer
          .clone()
          .unwrap_or_else(|| "MISSING AS PER FETCH".into());
        self.send(OpCode::Text, referrer.into_bytes()).await?
      }
      "delayed-passive-close" => {
        if let Received::Closed = self.receive().await? {
          return Ok(());
        }
      }
      "passive-close-abort" => loop {
        if let Received::Closed = self.receive().await? {
          return Ok(());
        }
      },
      "receive-many-with-backpressure" => loop {
        // Not read at once, so that backpressure builds.
        tokio::time::sleep(Duration::from_millis(100)).await;
        match self.receive().await? {
          Received::Closed => return Ok(()),
          Received::Message(_, data) => {
            self
              .send(OpCode::Text, data.len().to_string().into_bytes())
              .await?
          }
        }
      },
      "remote-close" => {
        if query_param(&req.query, "abrupt").is_some() {
          self
            .ws
            .write_frame(Frame::new(
              true,
              OpCode::Ping,
              None,
              Payload::Owned(b"ping".to_vec()),
            ))
            .await?;
          return Ok(()); // the connection is dropped without a Close
        }
        let frame = match query_param(&req.query, "code").and_then(|c| c.parse::<u16>().ok()) {
          Some(code) => {
            let reason = query_param(&req.query, "reason")
              .map(decode)
              .unwrap_or_default();
            Frame::close(code, reason.as_bytes())
          }
          None => Frame::close_raw(Payload::Owned(Vec::new())),
        };
        self.ws.write_frame(frame).await?;
        return self.wait_for_close().await;
      }
      // handshake_no_extensions, handshake_sleep_2: nothing to do.
      _ => {}
    }
    self.ws.write_frame(Frame::close(1000, b"")).await?;
    self.wait_for_close().await
  }

  async fn send(&mut self, opcode: OpCode, data: Vec<u8>) -> Result<(), Error> {
    self
      .ws
      .write_frame(Frame::new(true, opcode, None, Payload::Owned(data)))
      .await?;
    Ok(())
  }

  /// The next message; a client's Close is answered by the handler's
  /// passive-close rule first.
  async fn receive(&mut self) -> Result<Received, Error> {
    loop {
      let frame = self.ws.read_frame().await?;
      match frame.opcode {
        OpCode::Text | OpCode::Binary => {
          return Ok(Received::Message(frame.opcode, frame.payload.to_vec()))
        }
        OpCode::Close => {
          let payload = frame.payload.to_vec();
          match self.name.as_str() {
            "passive-close-abort" => return Err("aborted on the client's Close".into()),
            "delayed-passive-close" => {
              tokio::time::sleep(Duration::from_secs(1)).await;
              self
                .ws
                .write_frame(Frame::close_raw(Payload::Owned(payload)))
                .await?;
            }
            // Echo the client's code and reason (none for none).
            "echo" => {
              self
                .ws
                .write_frame(Frame::close_raw(Payload::Owned(payload)))
                .await?
            }
            _ => self.ws.write_frame(Frame::close(1000, b"")).await?,
          }
          return Ok(Received::Closed);
        }
        _ => {}
      }
    }
  }

  /// After the server's Close: the client's, for up to 10 s.
  async fn wait_for_close(&mut self) -> Result<(), Error> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
      let frame = tokio::time::timeout_at(deadline.into(), self.ws.read_frame()).await??;
      if frame.opcode == OpCode::Close {
        return Ok(());
      }
    }
  }
}
