//! A WebSocket backend run by the tests, over plain TCP or TLS with a
//! self-signed certificate. It records every frame it receives, per
//! connection, so tests can assert what reached the far side of kiln.
//!
//! Paths choose its behaviour:
//! - `/echo`: echoes text and binary; answers a Close with the same Close.
//! - `/close-first`: after the first message, sends Close 4001 "backend bye"
//!   and waits for the reply.
//! - `/flood`: sends 200 numbered text messages, then Close 1000 "flood done".
//! - `/404`: answers 404 with a body.
//! - `/drop`: drops the connection without answering.
//! - `/vanish`: after the first message, drops the connection without a Close.
//! - `/deflate?answer=VALUE`: echoes like `/echo`, answering the handshake
//!   with `Sec-WebSocket-Extensions: VALUE`; when VALUE agrees to
//!   permessage-deflate, compressed messages are inflated (and recorded
//!   inflated, and as they came) and every echo goes out compressed, at zlib
//!   level 1.
//!
//! The backend's tasks are servers: they wait on kiln for as long as the
//! test's runtime lives, and end with it. A test waits on the backend only
//! through `connection`, which has a deadline.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use sha1::Digest;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// A frame as the backend received it (unmasked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
  pub opcode: u8,
  /// Inflated, for a compressed message (`rsv1`).
  pub payload: Vec<u8>,
  pub rsv1: bool,
  /// The payload as it came (compressed, for a compressed message).
  pub wire: Vec<u8>,
}

impl Received {
  pub fn text(&self) -> String {
    String::from_utf8_lossy(&self.payload).into_owned()
  }

  pub fn close(&self) -> (Option<u16>, String) {
    assert_eq!(self.opcode, 0x8, "not a Close: {self:?}");
    if self.payload.len() < 2 {
      return (None, String::new());
    }
    (
      Some(u16::from_be_bytes([self.payload[0], self.payload[1]])),
      String::from_utf8_lossy(&self.payload[2..]).into_owned(),
    )
  }
}

#[derive(Default)]
pub struct Connection {
  pub path: String,
  pub request_head: String,
  pub frames: Vec<Received>,
  /// The client (kiln) closed the TCP connection.
  pub ended: bool,
}

pub struct Backend {
  pub addr: SocketAddr,
  pub connections: Arc<Mutex<Vec<Arc<Mutex<Connection>>>>>,
  /// The PEM certificate of a TLS backend, for kiln to trust.
  pub cert_pem: Option<String>,
}

impl Backend {
  pub async fn start() -> Backend {
    Self::start_inner(false).await
  }

  /// A `wss:` backend with a fresh self-signed certificate for "localhost".
  pub async fn start_tls() -> Backend {
    Self::start_inner(true).await
  }

  async fn start_inner(tls: bool) -> Backend {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections: Arc<Mutex<Vec<Arc<Mutex<Connection>>>>> = Default::default();
    let (acceptor, cert_pem) = if tls {
      let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
      let pem = cert.cert.pem();
      let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
      let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
      (
        Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
        Some(pem),
      )
    } else {
      (None, None)
    };
    let all = connections.clone();
    tokio::spawn(async move {
      loop {
        let Ok((stream, _)) = listener.accept().await else {
          // Out of file descriptors, say: let the test's own deadline tell.
          tokio::time::sleep(Duration::from_millis(10)).await;
          continue;
        };
        let _ = stream.set_nodelay(true);
        let conn = Arc::new(Mutex::new(Connection::default()));
        all.lock().unwrap().push(conn.clone());
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
          match acceptor {
            Some(acceptor) => {
              if let Ok(tls) = acceptor.accept(stream).await {
                serve(tls, conn).await;
              }
            }
            None => serve(stream, conn).await,
          }
        });
      }
    });
    Backend {
      addr,
      connections,
      cert_pem,
    }
  }

  /// The `n`th connection (0-based), once it has `frames` frames or ended
  /// (if `until_end`); fails after 10 s.
  pub async fn connection(&self, n: usize, frames: usize, until_end: bool) -> Connection {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
      let snapshot = {
        let all = self.connections.lock().unwrap();
        all.get(n).map(|c| {
          let c = c.lock().unwrap();
          Connection {
            path: c.path.clone(),
            request_head: c.request_head.clone(),
            frames: c.frames.clone(),
            ended: c.ended,
          }
        })
      };
      if let Some(c) = &snapshot {
        if c.frames.len() >= frames && (!until_end || c.ended) {
          return snapshot.unwrap();
        }
      }
      assert!(
        tokio::time::Instant::now() < deadline,
        "backend connection {n} never had {frames} frames (until_end: {until_end}); it had: {:?}",
        snapshot.map(|c| (c.frames, c.ended))
      );
      tokio::time::sleep(Duration::from_millis(10)).await;
    }
  }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, conn: Arc<Mutex<Connection>>) {
  let mut buf = Vec::new();
  let head = async {
    loop {
      if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
        return Some(i + 4);
      }
      let mut chunk = [0u8; 4096];
      match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => return None,
        Ok(n) => buf.extend_from_slice(&chunk[..n]),
      }
    }
  };
  let Ok(Some(head_end)) = tokio::time::timeout(Duration::from_secs(10), head).await else {
    return;
  };
  let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
  let mut rest = buf.split_off(head_end);
  let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
  {
    let mut c = conn.lock().unwrap();
    c.path = path.clone();
    c.request_head = head.clone();
  }
  let route = path.split('?').next().unwrap_or("/").to_string();
  if route == "/drop" {
    return;
  }
  if route == "/404" {
    let _ = stream
      .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 14\r\ncontent-type: text/plain\r\n\r\nno such socket")
      .await;
    return;
  }
  let key = head
    .lines()
    .find_map(|l| {
      let (name, value) = l.split_once(':')?;
      name
        .eq_ignore_ascii_case("sec-websocket-key")
        .then(|| value.trim().to_string())
    })
    .unwrap_or_default();
  let mut sha = sha1::Sha1::new();
  sha.update(key.as_bytes());
  sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  let accept = base64::engine::general_purpose::STANDARD.encode(sha.finalize());
  let protocol = head.lines().find_map(|l| {
    let (name, value) = l.split_once(':')?;
    name
      .eq_ignore_ascii_case("sec-websocket-protocol")
      .then(|| value.split(',').next().unwrap_or("").trim().to_string())
  });
  let mut response = format!(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"
  );
  if let Some(p) = protocol {
    response.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
  }
  let answer = (route == "/deflate")
    .then(|| query_value(&path, "answer"))
    .flatten();
  if let Some(answer) = &answer {
    response.push_str(&format!("Sec-WebSocket-Extensions: {answer}\r\n"));
  }
  let mut deflate = answer
    .filter(|a| a.starts_with("permessage-deflate"))
    .map(|a| {
      // What the answer agreed to for each side: kiln's client must keep
      // to it, or what it sends cannot be read here.
      // Level 1, not kiln's 6: a frame kiln passes on as it came is told
      // from one it compressed again.
      crate::deflate::Deflate::new(
        15,
        15,
        a.contains("server_no_context_takeover"),
        a.contains("client_no_context_takeover"),
      )
      .with_level(15, 1)
    });
  response.push_str("\r\n");
  if stream.write_all(response.as_bytes()).await.is_err() {
    return;
  }
  if route == "/flood" {
    for i in 0..200 {
      let _ = write_frame(&mut stream, 0x1, format!("b{i}").as_bytes()).await;
    }
    let _ = write_frame(&mut stream, 0x8, &close_payload(1000, "flood done")).await;
  }
  let mut sent_close = route == "/flood";
  let mut data_frames = 0;
  loop {
    if route == "/slow-echo" {
      // A slow reader: what kiln sends piles up in its queues meanwhile.
      tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut frame = match read_frame(&mut stream, &mut rest).await {
      Some(frame) => frame,
      None => {
        conn.lock().unwrap().ended = true;
        return;
      }
    };
    if let (true, Some(d)) = (frame.rsv1, deflate.as_mut()) {
      frame.payload = d
        .decompress(&frame.payload)
        .unwrap_or_else(|e| format!("(not inflated: {e})").into_bytes());
    }
    conn.lock().unwrap().frames.push(frame.clone());
    match frame.opcode {
      0x1 | 0x2 => {
        data_frames += 1;
        if route == "/close-first" && data_frames == 1 && !sent_close {
          sent_close = true;
          let _ = write_frame(&mut stream, 0x8, &close_payload(4001, "backend bye")).await;
        } else if route == "/vanish" {
          conn.lock().unwrap().ended = true;
          return;
        } else if let (false, Some(d)) = (sent_close, deflate.as_mut()) {
          let compressed = d.compress(&frame.payload);
          let _ = write_frame(&mut stream, 0x40 | frame.opcode, &compressed).await;
        } else if !sent_close {
          let _ = write_frame(&mut stream, frame.opcode, &frame.payload).await;
        }
      }
      0x8 => {
        if !sent_close {
          let _ = write_frame(&mut stream, 0x8, &frame.payload).await;
        }
        let _ = stream.shutdown().await;
        // Wait for kiln to close its side too; if it never does, the
        // connection is not `ended`, and a test waiting for that fails.
        let drain = async {
          let mut sink = [0u8; 64];
          while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
              break;
            }
          }
        };
        if tokio::time::timeout(Duration::from_secs(20), drain)
          .await
          .is_ok()
        {
          conn.lock().unwrap().ended = true;
        }
        return;
      }
      _ => {}
    }
  }
}

/// Query parameter `name` of `path`, decoded.
fn query_value(path: &str, name: &str) -> Option<String> {
  let query = path.split_once('?')?.1;
  url::form_urlencoded::parse(query.as_bytes())
    .find(|(key, _)| key == name)
    .map(|(_, value)| value.into_owned())
}

fn close_payload(code: u16, reason: &str) -> Vec<u8> {
  let mut p = code.to_be_bytes().to_vec();
  p.extend_from_slice(reason.as_bytes());
  p
}

async fn write_frame<S: AsyncWrite + Unpin>(
  stream: &mut S,
  opcode: u8,
  payload: &[u8],
) -> std::io::Result<()> {
  // `opcode` may carry RSV1 (0x40) for a compressed message.
  let mut frame = vec![0x80 | opcode];
  let len = payload.len();
  if len < 126 {
    frame.push(len as u8);
  } else if len <= 0xFFFF {
    frame.push(126);
    frame.extend_from_slice(&(len as u16).to_be_bytes());
  } else {
    frame.push(127);
    frame.extend_from_slice(&(len as u64).to_be_bytes());
  }
  frame.extend_from_slice(payload);
  stream.write_all(&frame).await
}

async fn read_frame<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut Vec<u8>) -> Option<Received> {
  loop {
    if buf.len() >= 2 {
      let masked = buf[1] & 0x80 != 0;
      let (len, at) = match buf[1] & 0x7F {
        126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
        127 if buf.len() >= 10 => (
          u64::from_be_bytes(buf[2..10].try_into().unwrap()) as usize,
          10,
        ),
        126 | 127 => (usize::MAX, 0),
        n => (n as usize, 2),
      };
      let mask_len = if masked { 4 } else { 0 };
      if len != usize::MAX && buf.len() >= at + mask_len + len {
        let opcode = buf[0] & 0x0F;
        let mask: Vec<u8> = buf[at..at + mask_len].to_vec();
        let mut payload = buf[at + mask_len..at + mask_len + len].to_vec();
        if masked {
          for (i, b) in payload.iter_mut().enumerate() {
            *b ^= mask[i % 4];
          }
        }
        let rsv1 = buf[0] & 0x40 != 0;
        buf.drain(..at + mask_len + len);
        return Some(Received {
          opcode,
          wire: payload.clone(),
          payload,
          rsv1,
        });
      }
    }
    let mut chunk = [0u8; 16384];
    match stream.read(&mut chunk).await {
      Ok(0) | Err(_) => return None,
      Ok(n) => buf.extend_from_slice(&chunk[..n]),
    }
  }
}
