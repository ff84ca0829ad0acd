//! A deliberately small WebSocket client that works frame by frame: it sends
//! exactly the frames a test asks for (fragments, pings, bad frames) and
//! hands back every frame the server sends with its raw bytes, so tests can
//! assert what went over the wire, byte for byte.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CONTINUATION: u8 = 0x0;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;

/// The key and accept value of RFC 6455's example handshake.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// The longest a write may wait for the server to take the bytes.
const WRITE_DEADLINE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
  pub fin: bool,
  /// RSV1: a compressed message's first frame (permessage-deflate).
  pub rsv1: bool,
  pub opcode: u8,
  pub payload: Vec<u8>,
  /// The frame exactly as it came over the wire.
  pub raw: Vec<u8>,
}

impl RawFrame {
  pub fn text(&self) -> String {
    String::from_utf8_lossy(&self.payload).into_owned()
  }

  /// The code and reason of a Close frame (`None` for an empty body).
  pub fn close(&self) -> (Option<u16>, String) {
    assert_eq!(self.opcode, CLOSE, "not a Close frame: {self:?}");
    if self.payload.len() < 2 {
      return (None, String::new());
    }
    let code = u16::from_be_bytes([self.payload[0], self.payload[1]]);
    (
      Some(code),
      String::from_utf8_lossy(&self.payload[2..]).into_owned(),
    )
  }
}

pub struct WsClient {
  stream: TcpStream,
  buf: Vec<u8>,
  /// The server's handshake response, status line and headers.
  pub response_head: String,
}

impl WsClient {
  /// Connects and completes the opening handshake; panics unless the server
  /// answers 101 with the right `Sec-WebSocket-Accept`.
  pub async fn connect(addr: SocketAddr, path: &str) -> WsClient {
    let (client, status) = Self::try_connect(addr, path).await;
    assert!(
      status.starts_with("HTTP/1.1 101"),
      "no upgrade:\n{}",
      client.response_head
    );
    let head = client.response_head.to_ascii_lowercase();
    assert!(
      head.contains(&format!(
        "sec-websocket-accept: {}",
        ACCEPT.to_ascii_lowercase()
      )),
      "{head}"
    );
    assert!(head.contains("upgrade: websocket"), "{head}");
    client
  }

  /// Sends an upgrade request and returns the client with the status line,
  /// whatever it is; fails unless the whole response head arrives within
  /// 10 s.
  pub async fn try_connect(addr: SocketAddr, path: &str) -> (WsClient, String) {
    Self::try_connect_with(addr, path, &[]).await
  }

  /// Connects with extra request headers (an extension offer, say); panics
  /// unless the server answers 101.
  pub async fn connect_with(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> WsClient {
    let (client, status) = Self::try_connect_with(addr, path, headers).await;
    assert!(
      status.starts_with("HTTP/1.1 101"),
      "no upgrade:\n{}",
      client.response_head
    );
    client
  }

  pub async fn try_connect_with(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
  ) -> (WsClient, String) {
    tokio::time::timeout(
      Duration::from_secs(10),
      Self::handshake(addr, path, headers),
    )
    .await
    .expect("the handshake's response within 10 s")
  }

  /// The value of response header `name` (any case), if the server sent it.
  pub fn response_header(&self, name: &str) -> Option<String> {
    self.response_head.lines().skip(1).find_map(|line| {
      let (n, v) = line.split_once(':')?;
      n.trim()
        .eq_ignore_ascii_case(name)
        .then(|| v.trim().to_string())
    })
  }

  async fn handshake(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> (WsClient, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).unwrap();
    let extra: String = headers
      .iter()
      .map(|(name, value)| format!("{name}: {value}\r\n"))
      .collect();
    let request = format!(
      "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let head_end = loop {
      if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
        break i + 4;
      }
      let mut chunk = [0u8; 4096];
      let n = stream.read(&mut chunk).await.expect("read");
      assert!(n > 0, "connection closed during the handshake");
      buf.extend_from_slice(&chunk[..n]);
    };
    let response_head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let rest = buf.split_off(head_end);
    let status = response_head.lines().next().unwrap_or("").to_string();
    (
      WsClient {
        stream,
        buf: rest,
        response_head,
      },
      status,
    )
  }

  /// Sends one frame, masked as a client must.
  pub async fn send_frame(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
    self
      .try_send_frame(fin, opcode, payload)
      .await
      .expect("write frame");
  }

  /// Sends one frame; an error instead of a panic when the server has
  /// already dropped the connection, or has not taken it within 30 s.
  pub async fn try_send_frame(
    &mut self,
    fin: bool,
    opcode: u8,
    payload: &[u8],
  ) -> std::io::Result<()> {
    self.write(&encode_frame(fin, 0, opcode, payload)).await
  }

  /// Writes bytes as they are (several frames, or a broken one).
  pub async fn send_raw(&mut self, bytes: &[u8]) {
    if let Err(e) = self.write(bytes).await {
      peer_closed(e);
    }
  }

  /// Writes bytes in pieces of `chop` bytes, each flushed on its own, so the
  /// server sees frames split across reads.
  pub async fn send_chopped(&mut self, bytes: &[u8], chop: usize) {
    let deadline = tokio::time::Instant::now() + WRITE_DEADLINE;
    for piece in bytes.chunks(chop.max(1)) {
      let write = async {
        self.stream.write_all(piece).await?;
        self.stream.flush().await
      };
      let written = tokio::time::timeout_at(deadline, write)
        .await
        .expect("the server took the bytes within 30 s");
      if let Err(e) = written {
        // The server may fail the connection before the client has written
        // all it meant to (a bad frame early in a chopped burst): what it
        // sent before closing is what the case then reads.
        peer_closed(e);
        return;
      }
      tokio::task::yield_now().await;
    }
  }

  /// Writes `bytes` unless the server stops taking them for `wait`: `None`
  /// then (it stopped reading), else how the write went.
  pub async fn write_within(
    &mut self,
    bytes: &[u8],
    wait: Duration,
  ) -> Option<std::io::Result<()>> {
    tokio::time::timeout(wait, self.stream.write_all(bytes))
      .await
      .ok()
  }

  /// Reads and discards until the server ends the connection (true), or
  /// `wait` passes (false).
  pub async fn wait_until_closed(&mut self, wait: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
      match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
        Ok(Ok(0)) | Ok(Err(_)) => return true,
        Ok(Ok(_)) => {}
        Err(_) => return false,
      }
    }
  }

  /// A server that stops reading must not leave the test waiting forever.
  async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
    tokio::time::timeout(WRITE_DEADLINE, self.stream.write_all(bytes))
      .await
      .unwrap_or_else(|_| {
        Err(std::io::Error::new(
          std::io::ErrorKind::TimedOut,
          "the server took nothing for 30 s",
        ))
      })
  }
}

/// One masked client frame: FIN, the RSV bits (`rsv` << 4), opcode, payload.
pub fn encode_frame(fin: bool, rsv: u8, opcode: u8, payload: &[u8]) -> Vec<u8> {
  {
    let mut frame = Vec::with_capacity(payload.len() + 14);
    frame.push(if fin { 0x80 } else { 0 } | ((rsv & 0x7) << 4) | (opcode & 0x0F));
    let len = payload.len();
    if len < 126 {
      frame.push(0x80 | len as u8);
    } else if len <= 0xFFFF {
      frame.push(0x80 | 126);
      frame.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
      frame.push(0x80 | 127);
      frame.extend_from_slice(&(len as u64).to_be_bytes());
    }
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
  }
}

impl WsClient {
  pub async fn send_text(&mut self, text: &str) {
    self.send_frame(true, TEXT, text.as_bytes()).await;
  }

  pub async fn send_binary(&mut self, data: &[u8]) {
    self.send_frame(true, BINARY, data).await;
  }

  pub async fn send_close(&mut self, code: Option<u16>, reason: &str) {
    let mut payload = Vec::new();
    if let Some(code) = code {
      payload.extend_from_slice(&code.to_be_bytes());
      payload.extend_from_slice(reason.as_bytes());
    }
    self.send_frame(true, CLOSE, &payload).await;
  }

  /// The next frame, or `None` when the server closed the connection;
  /// fails after 10 s.
  pub async fn read_frame(&mut self) -> Option<RawFrame> {
    self
      .read_frame_within(Duration::from_secs(10))
      .await
      .expect("a frame (or the end of the connection) within 10 s")
  }

  /// `Err(())` when nothing arrived within `wait`.
  pub async fn read_frame_within(&mut self, wait: Duration) -> Result<Option<RawFrame>, ()> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
      if let Some(frame) = self.parse_frame() {
        return Ok(Some(frame));
      }
      let mut chunk = vec![0u8; 64 * 1024];
      let read = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await;
      match read {
        Err(_) => return Err(()),
        Ok(Ok(0)) | Ok(Err(_)) => return Ok(None),
        Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
      }
    }
  }

  fn parse_frame(&mut self) -> Option<RawFrame> {
    let b = &self.buf;
    if b.len() < 2 {
      return None;
    }
    assert_eq!(b[1] & 0x80, 0, "a server must not mask its frames");
    let (len, at) = match b[1] & 0x7F {
      126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
      127 if b.len() >= 10 => (
        u64::from_be_bytes(b[2..10].try_into().unwrap()) as usize,
        10,
      ),
      126 | 127 => return None,
      n => (n as usize, 2),
    };
    if b.len() < at + len {
      return None;
    }
    let raw: Vec<u8> = self.buf.drain(..at + len).collect();
    let payload = raw[at..].to_vec();
    Some(RawFrame {
      fin: raw[0] & 0x80 != 0,
      rsv1: raw[0] & 0x40 != 0,
      opcode: raw[0] & 0x0F,
      payload,
      raw,
    })
  }

  /// Ends the client's sending side (a TCP FIN); reading goes on.
  pub async fn end_sending(&mut self) {
    let _ = self.stream.shutdown().await;
  }

  /// Drops the TCP connection without a Close frame.
  pub async fn drop_connection(mut self) {
    let _ = self.stream.shutdown().await;
  }
}

/// A write failed: fine if the server closed the connection (what it sent
/// before is read next), a test failure otherwise.
fn peer_closed(e: std::io::Error) {
  use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
  assert!(
    matches!(e.kind(), BrokenPipe | ConnectionReset | ConnectionAborted),
    "write: {e}"
  );
}

/// A whole message as the client received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
  pub opcode: u8,
  pub data: Vec<u8>,
  /// Whether it came compressed (RSV1 on its first frame).
  pub compressed: bool,
  /// For a compressed message, how far back its farthest match refers.
  pub farthest_reference: Option<usize>,
}

impl WsClient {
  /// [`WsClient::read_message`] with compression agreed.
  pub async fn read_compressed(
    &mut self,
    deflate: &mut crate::deflate::Deflate,
  ) -> Result<Message, String> {
    self.read_message(Some(deflate)).await
  }

  /// Sends `data` as one compressed message, its compressed bytes split into
  /// frames of `fragment` bytes (0: one frame); RSV1 on the first only.
  pub async fn send_compressed(
    &mut self,
    opcode: u8,
    data: &[u8],
    deflate: &mut crate::deflate::Deflate,
    fragment: usize,
  ) {
    let payload = deflate.compress(data);
    let chunks: Vec<&[u8]> = if fragment == 0 {
      vec![&payload[..]]
    } else {
      payload.chunks(fragment).collect()
    };
    let mut bytes = Vec::with_capacity(payload.len() + 14 * chunks.len());
    for (i, chunk) in chunks.iter().enumerate() {
      let (rsv, op) = if i == 0 {
        (0b100, opcode)
      } else {
        (0, CONTINUATION)
      };
      bytes.extend(encode_frame(i + 1 == chunks.len(), rsv, op, chunk));
    }
    self.send_raw(&bytes).await;
  }

  /// The next whole data message (control frames other than Close are
  /// skipped), inflated with `deflate` if it came compressed; `Err` for a
  /// Close, the end of the connection, a compressed message without
  /// `deflate`, or 10 s of nothing.
  pub async fn read_message(
    &mut self,
    deflate: Option<&mut crate::deflate::Deflate>,
  ) -> Result<Message, String> {
    let mut message: Option<Message> = None;
    loop {
      let frame = match self.read_frame_within(Duration::from_secs(10)).await {
        Ok(Some(frame)) => frame,
        Ok(None) => return Err("the connection ended".into()),
        Err(()) => return Err("no frame within 10 s".into()),
      };
      match frame.opcode {
        CLOSE => return Err(format!("Close {:?}", frame.close())),
        PING | PONG => continue,
        CONTINUATION => {
          let Some(m) = message.as_mut() else {
            return Err("a continuation frame with no message".into());
          };
          if frame.rsv1 {
            return Err("RSV1 on a continuation frame".into());
          }
          m.data.extend_from_slice(&frame.payload);
        }
        opcode => {
          if message.is_some() {
            return Err("a new message inside a fragmented one".into());
          }
          message = Some(Message {
            opcode,
            data: frame.payload.clone(),
            compressed: frame.rsv1,
            farthest_reference: None,
          });
        }
      }
      if frame.fin {
        let mut m = message.take().expect("a message");
        if m.compressed {
          let Some(deflate) = deflate else {
            return Err("a compressed message, but no compression was agreed".into());
          };
          m.farthest_reference = Some(crate::deflate::farthest_reference(&m.data)?);
          m.data = deflate.decompress(&m.data)?;
        }
        return Ok(m);
      }
    }
  }
}
