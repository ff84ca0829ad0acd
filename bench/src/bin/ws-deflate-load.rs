//! The load generator of the compression benchmark (bench/compression.py):
//! N connections offer permessage-deflate, then each keeps K messages in
//! flight until it has had M echoes back. Messages are compressed (each
//! connection's own deflate context, kept across messages) and every echo is
//! inflated and checked against what was sent. It prints one line:
//!
//!   msgs_per_s p50_ms p99_ms up_bytes_per_msg down_bytes_per_msg raw_bytes_per_msg agreement
//!
//! where the byte figures are what crossed the wire per message (frame
//! headers included) and the agreement is the server's answer, or `none`
//! (then the messages go uncompressed, and the figures say so).
//!
//! Workloads (`--workload`): `chat`, JSON chat messages of 60 to 250 bytes
//! from a few users in a few rooms; `doc`, 16 KiB JSON documents that differ
//! in a few fields.

use std::time::{Duration, Instant};

use clap::Parser;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpStream;

#[derive(Parser, Clone)]
struct Args {
  #[arg(long)]
  addr: String,
  #[arg(long, default_value = "/")]
  path: String,
  #[arg(long, default_value_t = 50)]
  connections: usize,
  #[arg(long, default_value_t = 2000)]
  messages: usize,
  #[arg(long, default_value_t = 8)]
  in_flight: usize,
  #[arg(long, default_value = "chat")]
  workload: String,
  /// The Sec-WebSocket-Extensions offer.
  #[arg(long, default_value = "permessage-deflate")]
  offer: String,
  #[arg(long, default_value_t = 120)]
  timeout: u64,
}

const TAIL: [u8; 4] = [0, 0, 0xff, 0xff];

/// Message `n` of connection `conn`: its sequence number is in it, so a
/// lost or reordered echo shows.
fn message(workload: &str, conn: usize, n: usize) -> Vec<u8> {
  let users = ["alice", "bob", "carol", "dave", "erin", "frank"];
  let rooms = ["lobby", "general", "random", "support"];
  let words = [
    "hello", "anyone", "around", "deploy", "worked", "thanks", "the", "build", "is", "green",
    "again", "lunch", "meeting", "moved", "to", "three", "see", "you", "there", "ok",
  ];
  let mut state = (conn * 7919 + n * 104729) as u64;
  let mut next = move || {
    state = state
      .wrapping_mul(6364136223846793005)
      .wrapping_add(1442695040888963407);
    (state >> 33) as usize
  };
  match workload {
    "doc" => {
      let mut doc = format!("{{\"seq\":\"{conn}-{n}\",\"rows\":[");
      let mut i = 0;
      while doc.len() < 16 * 1024 - 80 {
        doc.push_str(&format!(
          "{{\"id\":{i},\"owner\":\"{}\",\"state\":\"{}\",\"score\":{}}},",
          users[i % users.len()],
          if (i + n).is_multiple_of(5) {
            "open"
          } else {
            "closed"
          },
          (i * 31 + next() % 3) % 1000
        ));
        i += 1;
      }
      doc.push_str("{}]}");
      doc.into_bytes()
    }
    _ => {
      let len = 3 + next() % 30;
      let text: Vec<&str> = (0..len).map(|_| words[next() % words.len()]).collect();
      format!(
        "{{\"type\":\"message\",\"seq\":\"{conn}-{n}\",\"room\":\"{}\",\"user\":\"{}\",\"text\":\"{}\"}}",
        rooms[next() % rooms.len()],
        users[next() % users.len()],
        text.join(" ")
      )
      .into_bytes()
    }
  }
}

fn compress(c: &mut Compress, data: &[u8]) -> Vec<u8> {
  let mut out = Vec::with_capacity(data.len() + 64);
  let start = c.total_in();
  loop {
    if out.capacity() - out.len() < 64 {
      out.reserve(out.capacity().max(1024));
    }
    let used = (c.total_in() - start) as usize;
    let before = out.len();
    c.compress_vec(&data[used..], &mut out, FlushCompress::Sync)
      .expect("deflate");
    let now = (c.total_in() - start) as usize;
    if now == data.len() && now == used && out.len() == before {
      break;
    }
  }
  if out.ends_with(&TAIL) {
    out.truncate(out.len() - 4);
  }
  if out.is_empty() {
    out.push(0);
  }
  out
}

fn inflate(d: &mut Decompress, data: &[u8]) -> Result<Vec<u8>, String> {
  let mut input = data.to_vec();
  input.extend_from_slice(&TAIL);
  let mut out = Vec::with_capacity(data.len() * 8 + 256);
  let start = d.total_in();
  loop {
    if out.capacity() - out.len() < 1024 {
      out.reserve(out.capacity());
    }
    let used = (d.total_in() - start) as usize;
    let before = out.len();
    d.decompress_vec(&input[used..], &mut out, FlushDecompress::Sync)
      .map_err(|e| format!("inflate: {e}"))?;
    let now = (d.total_in() - start) as usize;
    if now == input.len() && out.len() == before {
      return Ok(out);
    }
    if now == used && out.len() == before {
      return Err("inflate: stuck".into());
    }
  }
}

struct Conn {
  read: BufReader<tokio::net::tcp::OwnedReadHalf>,
  write: BufWriter<tokio::net::tcp::OwnedWriteHalf>,
  agreement: Option<String>,
}

async fn connect(args: &Args) -> Result<Conn, String> {
  let stream = TcpStream::connect(&args.addr)
    .await
    .map_err(|e| format!("connect {}: {e}", args.addr))?;
  stream.set_nodelay(true).ok();
  let (r, w) = stream.into_split();
  let mut read = BufReader::new(r);
  let mut write = BufWriter::new(w);
  let request = format!(
    "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: {}\r\n\r\n",
    args.path, args.addr, args.offer
  );
  write
    .write_all(request.as_bytes())
    .await
    .map_err(|e| e.to_string())?;
  write.flush().await.map_err(|e| e.to_string())?;
  let mut head = Vec::new();
  while !head.ends_with(b"\r\n\r\n") {
    head.push(
      read
        .read_u8()
        .await
        .map_err(|e| format!("handshake: {e}"))?,
    );
  }
  let head = String::from_utf8_lossy(&head).into_owned();
  if !head.starts_with("HTTP/1.1 101") {
    return Err(format!("no upgrade: {}", head.lines().next().unwrap_or("")));
  }
  let agreement = head.lines().find_map(|l| {
    let (name, value) = l.split_once(':')?;
    name
      .trim()
      .eq_ignore_ascii_case("sec-websocket-extensions")
      .then(|| value.trim().to_string())
  });
  Ok(Conn {
    read,
    write,
    agreement,
  })
}

/// Writes one masked frame; returns its size on the wire.
async fn write_frame(
  w: &mut BufWriter<tokio::net::tcp::OwnedWriteHalf>,
  opcode: u8,
  rsv1: bool,
  payload: &[u8],
) -> std::io::Result<usize> {
  let mut head = vec![0x80 | if rsv1 { 0x40 } else { 0 } | opcode];
  let len = payload.len();
  if len < 126 {
    head.push(0x80 | len as u8);
  } else if len < 65536 {
    head.push(0x80 | 126);
    head.extend_from_slice(&(len as u16).to_be_bytes());
  } else {
    head.push(0x80 | 127);
    head.extend_from_slice(&(len as u64).to_be_bytes());
  }
  let mask = [0x12, 0x34, 0x56, 0x78];
  head.extend_from_slice(&mask);
  w.write_all(&head).await?;
  let masked: Vec<u8> = payload
    .iter()
    .enumerate()
    .map(|(i, b)| b ^ mask[i % 4])
    .collect();
  w.write_all(&masked).await?;
  Ok(head.len() + len)
}

/// Reads one frame: (first byte, payload, size on the wire).
async fn read_frame(
  r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<(u8, Vec<u8>, usize)> {
  let first = r.read_u8().await?;
  let second = r.read_u8().await?;
  let (len, extra) = match second & 0x7f {
    126 => (r.read_u16().await? as usize, 2),
    127 => (r.read_u64().await? as usize, 8),
    n => (n as usize, 0),
  };
  let mut payload = vec![0; len];
  r.read_exact(&mut payload).await?;
  Ok((first, payload, 2 + extra + len))
}

struct Figures {
  latencies: Vec<u32>,
  up: usize,
  down: usize,
  raw: usize,
}

async fn drive(mut c: Conn, conn: usize, args: Args) -> Result<Figures, String> {
  let agreed = c
    .agreement
    .as_deref()
    .is_some_and(|a| a.starts_with("permessage-deflate"));
  let own_reset = c
    .agreement
    .as_deref()
    .is_some_and(|a| a.contains("client_no_context_takeover"));
  let peer_reset = c
    .agreement
    .as_deref()
    .is_some_and(|a| a.contains("server_no_context_takeover"));
  let mut deflate = Compress::new_with_window_bits(Compression::default(), false, 15);
  let mut inflater = Decompress::new_with_window_bits(false, 15);
  let mut in_flight = std::collections::VecDeque::new();
  let mut f = Figures {
    latencies: Vec::with_capacity(args.messages),
    up: 0,
    down: 0,
    raw: 0,
  };
  let mut sent = 0;
  while f.latencies.len() < args.messages {
    while sent < args.messages && in_flight.len() < args.in_flight {
      let data = message(&args.workload, conn, sent);
      f.raw += data.len();
      let wire = if agreed {
        let payload = compress(&mut deflate, &data);
        if own_reset {
          deflate.reset();
        }
        write_frame(&mut c.write, 1, true, &payload).await
      } else {
        write_frame(&mut c.write, 1, false, &data).await
      };
      f.up += wire.map_err(|e| format!("write: {e}"))?;
      in_flight.push_back((data, Instant::now()));
      sent += 1;
    }
    c.write.flush().await.map_err(|e| format!("write: {e}"))?;
    let (first, payload, wire) = read_frame(&mut c.read)
      .await
      .map_err(|e| format!("read: {e}"))?;
    match first & 0x0f {
      1 | 2 => {}
      8 => return Err("the server closed the connection".into()),
      _ => continue,
    }
    f.down += wire;
    let data = if first & 0x40 != 0 {
      let data = inflate(&mut inflater, &payload)?;
      if peer_reset {
        inflater.reset(false);
      }
      data
    } else {
      payload
    };
    let (expected, at) = in_flight.pop_front().ok_or("an echo nobody asked for")?;
    if data != expected {
      return Err(format!(
        "connection {conn}: echo {} differs from what was sent",
        f.latencies.len()
      ));
    }
    f.latencies.push(at.elapsed().as_micros() as u32);
  }
  let _ = write_frame(&mut c.write, 8, false, &1000u16.to_be_bytes()).await;
  let _ = c.write.flush().await;
  Ok(f)
}

async fn run(args: Args) -> Result<(), String> {
  let mut conns = Vec::new();
  for _ in 0..args.connections {
    conns.push(connect(&args).await?);
  }
  let agreement = conns[0].agreement.clone().unwrap_or_else(|| "none".into());
  let start = Instant::now();
  let tasks: Vec<_> = conns
    .into_iter()
    .enumerate()
    .map(|(i, c)| tokio::spawn(drive(c, i, args.clone())))
    .collect();
  let mut all = Figures {
    latencies: Vec::new(),
    up: 0,
    down: 0,
    raw: 0,
  };
  let deadline = Duration::from_secs(args.timeout);
  for task in tasks {
    let remaining = deadline.saturating_sub(start.elapsed());
    let f = tokio::time::timeout(remaining, task)
      .await
      .map_err(|_| format!("not finished within {} s", args.timeout))?
      .map_err(|e| e.to_string())??;
    all.latencies.extend(f.latencies);
    all.up += f.up;
    all.down += f.down;
    all.raw += f.raw;
  }
  let elapsed = start.elapsed();
  all.latencies.sort_unstable();
  let n = all.latencies.len();
  let pct = |p: f64| all.latencies[((n as f64 * p) as usize).min(n - 1)] as f64 / 1000.0;
  println!(
    "{:.0} {:.2} {:.2} {:.1} {:.1} {:.1} {}",
    n as f64 / elapsed.as_secs_f64(),
    pct(0.5),
    pct(0.99),
    all.up as f64 / n as f64,
    all.down as f64 / n as f64,
    all.raw as f64 / n as f64,
    agreement.replace(' ', "")
  );
  Ok(())
}

fn main() {
  let args = Args::parse();
  let rt = tokio::runtime::Builder::new_current_thread()
    .enable_all()
    .build()
    .unwrap();
  if let Err(e) = rt.block_on(run(args)) {
    eprintln!("ws-deflate-load: {e}");
    std::process::exit(1);
  }
}
