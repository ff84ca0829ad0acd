//! The WebSocket client handshake the load tools share (ws-load,
//! ws-hibernation): one plain HTTP/1.1 upgrade, then fastwebsockets.

use fastwebsockets::{Role, WebSocket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Connects to `addr` and upgrades `path`; the error says why not.
pub async fn connect(addr: &str, path: &str) -> Result<WebSocket<TcpStream>, String> {
  let mut stream = TcpStream::connect(addr)
    .await
    .map_err(|e| format!("connect {addr}: {e}"))?;
  stream.set_nodelay(true).ok();
  let request = format!(
    "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
  );
  stream
    .write_all(request.as_bytes())
    .await
    .map_err(|e| e.to_string())?;
  // Byte by byte, so that no frame byte after the head is swallowed.
  let mut head = Vec::new();
  let mut byte = [0u8; 1];
  while !head.ends_with(b"\r\n\r\n") {
    if stream.read(&mut byte).await.map_err(|e| e.to_string())? == 0 {
      return Err("connection closed during the handshake".into());
    }
    head.push(byte[0]);
  }
  if !head.starts_with(b"HTTP/1.1 101") {
    let head = String::from_utf8_lossy(&head);
    return Err(format!("no upgrade: {}", head.lines().next().unwrap_or("")));
  }
  Ok(WebSocket::after_handshake(stream, Role::Client))
}
