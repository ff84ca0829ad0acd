//! The WebSocket load generator of kiln's benchmarks: N connections, each
//! keeping K messages in flight until it has had M echoes back; it checks
//! every echo (sequence and bytes, so a lost or reordered message fails the
//! run) and prints messages/s and round-trip latency percentiles. Bounded:
//! it stops after M messages per connection or after --timeout seconds.

#[path = "../connect.rs"]
mod connect;
use connect::connect;

use std::time::{Duration, Instant};

use clap::Parser;
use fastwebsockets::{Frame, OpCode, Payload, WebSocket};
use tokio::net::TcpStream;

#[derive(Parser, Clone)]
struct Args {
  /// Server address (host:port).
  #[arg(long)]
  addr: String,
  /// Request path of the upgrade.
  #[arg(long, default_value = "/")]
  path: String,
  #[arg(long, default_value_t = 50)]
  connections: usize,
  /// Echoes each connection waits for.
  #[arg(long, default_value_t = 2000)]
  messages: usize,
  /// Message size in bytes (at least 8).
  #[arg(long, default_value_t = 64)]
  size: usize,
  /// Messages in flight per connection.
  #[arg(long, default_value_t = 8)]
  in_flight: usize,
  /// Give up after this many seconds.
  #[arg(long, default_value_t = 120)]
  timeout: u64,
  /// Print one machine-readable line: msgs_per_s p50_ms p99_ms.
  #[arg(long)]
  raw: bool,
  /// Keep retrying the first connection until the server answers (for
  /// start-up measurements), within --timeout.
  #[arg(long)]
  retry: bool,
  /// Instead of echoing: open this many connections, hold them for --hold
  /// seconds, and print how many were open.
  #[arg(long)]
  idle: Option<usize>,
  /// Seconds to hold idle connections.
  #[arg(long, default_value_t = 3)]
  hold: u64,
}

fn main() {
  let args = Args::parse();
  assert!(args.size >= 8, "--size must be at least 8");
  let rt = tokio::runtime::Builder::new_current_thread()
    .enable_all()
    .build()
    .unwrap();
  if let Some(count) = args.idle {
    let open = rt.block_on(hold_idle(&args, count));
    println!("{open}");
    return;
  }
  let result = rt.block_on(run(args.clone()));
  match result {
    Ok((elapsed, mut latencies)) => {
      latencies.sort_unstable();
      let total = latencies.len();
      let pct = |p: f64| latencies[((total as f64 * p) as usize).min(total - 1)] as f64 / 1000.0;
      let rate = total as f64 / elapsed.as_secs_f64();
      if args.raw {
        println!("{rate:.0} {:.2} {:.2}", pct(0.5), pct(0.99));
      } else {
        println!(
          "{total} echoes in {:.2}s: {rate:.0} messages/s, p50 {:.2} ms, p99 {:.2} ms",
          elapsed.as_secs_f64(),
          pct(0.5),
          pct(0.99)
        );
      }
    }
    Err(e) => {
      eprintln!("ws-load: {e}");
      std::process::exit(1);
    }
  }
}

/// Opens `count` connections and holds them; returns how many opened.
async fn hold_idle(args: &Args, count: usize) -> usize {
  let mut sockets = Vec::with_capacity(count);
  for _ in 0..count {
    match connect(&args.addr, &args.path).await {
      Ok(ws) => sockets.push(ws),
      Err(e) => {
        eprintln!("ws-load: connection {}: {e}", sockets.len());
        break;
      }
    }
  }
  // Signal the driver that every connection is open, then hold them.
  eprintln!("open {}", sockets.len());
  tokio::time::sleep(Duration::from_secs(args.hold)).await;
  sockets.len()
}

async fn run(args: Args) -> Result<(Duration, Vec<u32>), String> {
  let mut sockets = Vec::new();
  if args.retry {
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    loop {
      match connect(&args.addr, &args.path).await {
        Ok(ws) => {
          sockets.push(ws);
          break;
        }
        Err(e) if Instant::now() > deadline => return Err(e),
        Err(_) => tokio::time::sleep(Duration::from_millis(2)).await,
      }
    }
  }
  while sockets.len() < args.connections {
    sockets.push(connect(&args.addr, &args.path).await?);
  }
  let start = Instant::now();
  let tasks: Vec<_> = sockets
    .into_iter()
    .enumerate()
    .map(|(i, ws)| tokio::spawn(drive(ws, i as u64, args.clone())))
    .collect();
  let mut latencies = Vec::with_capacity(args.connections * args.messages);
  let deadline = Duration::from_secs(args.timeout);
  for task in tasks {
    let remaining = deadline.saturating_sub(start.elapsed());
    let result = tokio::time::timeout(remaining, task)
      .await
      .map_err(|_| format!("not finished within {} s", args.timeout))?
      .map_err(|e| e.to_string())??;
    latencies.extend(result);
  }
  Ok((start.elapsed(), latencies))
}

async fn drive(mut ws: WebSocket<TcpStream>, conn: u64, args: Args) -> Result<Vec<u32>, String> {
  ws.set_auto_close(true);
  let mut sent_at = std::collections::VecDeque::with_capacity(args.in_flight);
  let mut latencies = Vec::with_capacity(args.messages);
  let mut sent = 0usize;
  let mut payload = vec![0u8; args.size];
  while latencies.len() < args.messages {
    while sent < args.messages && sent_at.len() < args.in_flight {
      let seq = (conn << 32) | sent as u64;
      payload[..8].copy_from_slice(&seq.to_be_bytes());
      payload[8..].fill((sent % 251) as u8);
      sent_at.push_back((seq, Instant::now()));
      ws.write_frame(Frame::binary(Payload::Borrowed(&payload)))
        .await
        .map_err(|e| format!("write: {e}"))?;
      sent += 1;
    }
    let frame = ws.read_frame().await.map_err(|e| format!("read: {e}"))?;
    match frame.opcode {
      OpCode::Binary | OpCode::Text => {}
      OpCode::Close => return Err("the server closed the connection".into()),
      _ => continue,
    }
    let (seq, at) = sent_at.pop_front().ok_or("an echo nobody asked for")?;
    let got = &frame.payload[..];
    if got.len() != args.size || got[..8] != seq.to_be_bytes() {
      return Err(format!(
        "connection {conn}: echo out of order or corrupted (expected #{})",
        seq & 0xffff_ffff
      ));
    }
    if got[8..]
      .iter()
      .any(|b| *b != (((seq & 0xffff_ffff) as usize) % 251) as u8)
    {
      return Err(format!(
        "connection {conn}: echo #{} corrupted",
        seq & 0xffff_ffff
      ));
    }
    latencies.push(at.elapsed().as_micros() as u32);
  }
  let _ = ws.write_frame(Frame::close(1000, b"")).await;
  Ok(latencies)
}
