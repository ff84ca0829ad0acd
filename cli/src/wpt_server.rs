//! The WebSocket server `kiln wpt` runs for the tests: the behaviour of WPT's
//! `websockets/handlers/*_wsh.py` (pywebsocket3) that the tests rely on,
//! written in Rust so that no Python WebSocket stack is needed. Path `/name`
//! selects the handler as pywebsocket does.

use std::net::SocketAddr;
use std::time::Duration;

use fastwebsockets::{Frame, OpCode, Payload, Role, WebSocket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Starts the server on a free loopback port; returns where it listens.
pub async fn start() -> std::io::Result<SocketAddr> {
  let listener = TcpListener::bind("127.0.0.1:0").await?;
  let addr = listener.local_addr()?;
  tokio::spawn(async move {
    while let Ok((stream, _)) = listener.accept().await {
      let _ = stream.set_nodelay(true);
      tokio::spawn(async move {
        let _ = serve(stream).await;
      });
    }
  });
  Ok(addr)
}

struct Handshake {
  path: String,
  query: String,
  key: String,
  protocols: Vec<String>,
}

async fn read_handshake(stream: &mut TcpStream) -> std::io::Result<Option<Handshake>> {
  let mut head = Vec::new();
  let mut byte = [0u8; 1];
  while !head.ends_with(b"\r\n\r\n") {
    if stream.read(&mut byte).await? == 0 {
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
    text.lines().find_map(|l| {
      let (n, v) = l.split_once(':')?;
      n.trim()
        .eq_ignore_ascii_case(name)
        .then(|| v.trim().to_string())
    })
  };
  Ok(Some(Handshake {
    path,
    query,
    key: header("sec-websocket-key").unwrap_or_default(),
    protocols: header("sec-websocket-protocol")
      .map(|p| p.split(',').map(|s| s.trim().to_string()).collect())
      .unwrap_or_default(),
  }))
}

async fn accept(
  stream: &mut TcpStream,
  hs: &Handshake,
  protocol: Option<&str>,
) -> std::io::Result<()> {
  let mut response = format!(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
    kiln_runtime::websocket_accept_key(hs.key.as_bytes())
  );
  if let Some(p) = protocol {
    response.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
  }
  response.push_str("\r\n");
  stream.write_all(response.as_bytes()).await
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
  query.split('&').find_map(|kv| {
    kv.split_once('=')
      .filter(|(k, _)| *k == name)
      .map(|(_, v)| v)
  })
}

fn decode(text: &str) -> String {
  url::form_urlencoded::parse(format!("x={text}").as_bytes())
    .next()
    .map(|(_, v)| v.into_owned())
    .unwrap_or_default()
}

async fn serve(mut stream: TcpStream) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
  let Some(hs) = read_handshake(&mut stream).await? else {
    return Ok(());
  };
  let name = hs.path.trim_start_matches('/').to_string();
  let protocol = match name.as_str() {
    "echo" if hs.protocols.iter().any(|p| p == "echo") => Some("echo".to_string()),
    "protocol_array" => hs.protocols.first().cloned(),
    _ => None,
  };
  let known = [
    "echo",
    "echo_exit",
    "echo-query",
    "protocol_array",
    "remote-close",
    "passive-close-abort",
    "delayed-passive-close",
  ];
  if !known.contains(&name.as_str()) {
    stream
      .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
      .await?;
    return Ok(());
  }
  accept(&mut stream, &hs, protocol.as_deref()).await?;
  let mut ws = WebSocket::after_handshake(stream, Role::Server);
  ws.set_auto_close(false);
  ws.set_auto_pong(true);
  let mut ws = fastwebsockets::FragmentCollector::new(ws);

  match name.as_str() {
    "echo-query" => {
      let q = hs.query.clone();
      ws.write_frame(Frame::text(Payload::Owned(q.into_bytes())))
        .await?;
    }
    "protocol_array" => {
      let p = protocol.clone().unwrap_or_default();
      ws.write_frame(Frame::text(Payload::Owned(p.into_bytes())))
        .await?;
    }
    "remote-close" => {
      if query_param(&hs.query, "abrupt") == Some("1") {
        ws.write_frame(Frame::new(
          true,
          OpCode::Ping,
          None,
          Payload::Owned(Vec::new()),
        ))
        .await?;
        return Ok(()); // drops the connection
      }
      let frame = match query_param(&hs.query, "code").and_then(|c| c.parse::<u16>().ok()) {
        Some(code) => {
          let reason = query_param(&hs.query, "reason")
            .map(decode)
            .unwrap_or_default();
          Frame::close(code, reason.as_bytes())
        }
        None => Frame::close_raw(Payload::Owned(Vec::new())),
      };
      ws.write_frame(frame).await?;
      // Wait for the client's Close, then end.
      loop {
        let f = ws.read_frame().await?;
        if f.opcode == OpCode::Close {
          return Ok(());
        }
      }
    }
    _ => {}
  }

  loop {
    let frame = ws.read_frame().await?;
    match frame.opcode {
      OpCode::Text | OpCode::Binary => {
        let goodbye = frame.opcode == OpCode::Text && &frame.payload[..] == b"Goodbye";
        if name != "echo_exit" {
          let reply = Frame::new(
            true,
            frame.opcode,
            None,
            Payload::Owned(frame.payload.to_vec()),
          );
          ws.write_frame(reply).await?;
        }
        if goodbye {
          // The handler returns: pywebsocket starts the close with 1000.
          ws.write_frame(Frame::close(1000, b"")).await?;
          loop {
            if ws.read_frame().await?.opcode == OpCode::Close {
              return Ok(());
            }
          }
        }
      }
      OpCode::Close => {
        match name.as_str() {
          "passive-close-abort" => return Ok(()),
          "delayed-passive-close" => tokio::time::sleep(Duration::from_secs(1)).await,
          _ => {}
        }
        // Echo the client's code and reason (an empty body for none).
        let payload = frame.payload.to_vec();
        ws.write_frame(Frame::close_raw(Payload::Owned(payload)))
          .await?;
        return Ok(());
      }
      _ => {}
    }
  }
}
