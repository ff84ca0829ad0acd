//! The ceiling of the echo benchmark: a WebSocket echo server in plain Rust
//! on fastwebsockets, one thread, no JavaScript. What kiln's data path costs
//! is the distance between kiln and this.

use std::net::SocketAddr;

use base64::Engine;
use clap::Parser;
use fastwebsockets::{FragmentCollector, OpCode, Role, WebSocket};
use sha1::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Parser)]
struct Args {
  /// Address to listen on.
  #[arg(long, default_value = "127.0.0.1:8791")]
  listen: SocketAddr,
}

fn main() {
  let args = Args::parse();
  let rt = tokio::runtime::Builder::new_current_thread()
    .enable_all()
    .build()
    .unwrap();
  rt.block_on(async move {
    let listener = TcpListener::bind(args.listen).await.expect("bind");
    println!(
      "ws-echo-ceiling listening on {}",
      listener.local_addr().unwrap()
    );
    loop {
      let Ok((stream, _)) = listener.accept().await else {
        continue;
      };
      let _ = stream.set_nodelay(true);
      tokio::spawn(async move {
        let _ = serve(stream).await;
      });
    }
  });
}

async fn serve(mut stream: TcpStream) -> Result<(), Box<dyn std::error::Error>> {
  let mut head = Vec::new();
  let mut byte = [0u8; 1024];
  while !head.windows(4).any(|w| w == b"\r\n\r\n") {
    let n = stream.read(&mut byte).await?;
    if n == 0 {
      return Ok(());
    }
    head.extend_from_slice(&byte[..n]);
  }
  let text = String::from_utf8_lossy(&head);
  let key = text
    .lines()
    .find_map(|l| {
      let (name, value) = l.split_once(':')?;
      name
        .eq_ignore_ascii_case("sec-websocket-key")
        .then(|| value.trim().to_string())
    })
    .ok_or("no Sec-WebSocket-Key")?;
  let mut sha = sha1::Sha1::new();
  sha.update(key.as_bytes());
  sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  let accept = base64::engine::general_purpose::STANDARD.encode(sha.finalize());
  stream
    .write_all(
      format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
      )
      .as_bytes(),
    )
    .await?;
  let mut ws = FragmentCollector::new(WebSocket::after_handshake(stream, Role::Server));
  loop {
    let frame = ws.read_frame().await?;
    match frame.opcode {
      OpCode::Close => return Ok(()),
      OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
      _ => {}
    }
  }
}
