//! The client side of the hibernation benchmark (bench/hibernation.py): opens
//! N WebSockets to one Durable Object room (bench/hibernation/worker.js),
//! holds them, and answers commands read from stdin, one JSON line on stdout
//! for each, so that the driver can force or await hibernation and sample the
//! server's memory between them while the sockets stay open.
//!
//! Client 0 is the probe: it sends the commands' messages and reads its
//! replies itself. Clients 1..N only listen, each in its own task that
//! timestamps every message as it reads it.
//!
//!   (start)            {"ok":true,"clients":N,"connect_ms":...}
//!   broadcast TOKEN    the probe asks the room to send to every socket; the
//!                      time from that write until each of the N clients has
//!                      the message: {"ok":true,"received":N,"first_ms":...,
//!                      "p50_ms":...,"last_ms":...,"reply":"bcast ..."}
//!   ping TOKEN         the probe's round trip: {"ok":true,"ms":...,"reply":"pong ..."}
//!   quit               exits 0
//!
//! A command that fails answers {"ok":false,"error":"..."}. Bounded: every
//! connect and command gives up after --timeout seconds, and the process
//! exits with status 2 after --max-seconds whatever it is doing.

#[path = "../connect.rs"]
mod connect;
use connect::connect;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clap::Parser;
use fastwebsockets::{Frame, OpCode, Payload, WebSocket};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

#[derive(Parser, Clone)]
struct Args {
  /// Server address (host:port).
  #[arg(long)]
  addr: String,
  /// Request path of the upgrade (the worker routes it to the room).
  #[arg(long, default_value = "/ws")]
  path: String,
  /// Connections to open and hold, the probe included.
  #[arg(long, default_value_t = 1000)]
  clients: usize,
  /// Connections being opened at the same time.
  #[arg(long, default_value_t = 32)]
  concurrency: usize,
  /// Seconds each connect and each command may take.
  #[arg(long, default_value_t = 30)]
  timeout: u64,
  /// Seconds after which the process exits (status 2), whatever it is doing.
  #[arg(long, default_value_t = 600)]
  max_seconds: u64,
}

enum Event {
  Text(usize, Instant, String),
  Closed(usize, String),
}

fn main() {
  let args = Args::parse();
  if args.clients < 1 {
    fail(1, "--clients must be at least 1");
  }
  if let Err(e) = check_file_limit(args.clients) {
    fail(1, &e);
  }
  let rt = tokio::runtime::Builder::new_current_thread()
    .enable_all()
    .build()
    .unwrap();
  rt.block_on(async {
    let max = args.max_seconds;
    // Whatever hangs (a server that never answers, a driver that never says
    // quit), the process ends.
    tokio::spawn(async move {
      tokio::time::sleep(Duration::from_secs(max)).await;
      fail(2, &format!("gave up after --max-seconds {max} s"));
    });
    run(args).await
  });
}

/// Prints the failure where the driver reads it and on stderr, then exits.
fn fail(code: i32, message: &str) -> ! {
  println!("{{\"ok\":false,\"error\":{}}}", json_string(message));
  eprintln!("ws-hibernation: {message}");
  std::process::exit(code);
}

/// N sockets need N descriptors: fail up front with the reason rather than
/// with "Too many open files" part-way through.
fn check_file_limit(clients: usize) -> Result<(), String> {
  let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
  let soft = limits
    .lines()
    .find(|line| line.starts_with("Max open files"))
    .and_then(|line| line.split_whitespace().nth(3))
    .and_then(|field| field.parse::<usize>().ok());
  match soft {
    Some(soft) if soft < clients + 32 => Err(format!(
      "{clients} connections need about {} file descriptors, the soft limit is {soft} \
       (raise it: ulimit -n)",
      clients + 32
    )),
    _ => Ok(()),
  }
}

async fn run(args: Args) {
  let timeout = Duration::from_secs(args.timeout);
  let (tx, events) = mpsc::unbounded_channel();
  let start = Instant::now();
  let probe = match open_all(&args, tx).await {
    Ok(probe) => probe,
    Err(e) => fail(1, &e),
  };
  println!(
    "{{\"ok\":true,\"clients\":{},\"connect_ms\":{:.1}}}",
    args.clients,
    ms(start.elapsed())
  );
  let mut room = Room {
    probe: Some(probe),
    events,
    closed: BTreeMap::new(),
    stray: Vec::new(),
    clients: args.clients,
    timeout,
  };
  let mut lines = BufReader::new(tokio::io::stdin()).lines();
  loop {
    let line = match lines.next_line().await {
      Ok(Some(line)) => line,
      // The driver is gone: nobody would read the answers.
      Ok(None) | Err(_) => std::process::exit(0),
    };
    let mut words = line.split_whitespace();
    let answer = match (words.next(), words.next()) {
      (Some("broadcast"), Some(token)) => room.broadcast(token).await,
      (Some("ping"), Some(token)) => room.ping(token).await,
      (Some("quit"), None) => std::process::exit(0),
      _ => Err(format!("unknown command: {line:?}")),
    };
    match answer {
      Ok(fields) => println!("{{\"ok\":true,{fields}}}"),
      Err(e) => println!("{{\"ok\":false,\"error\":{}}}", json_string(&e)),
    }
  }
}

/// Opens every connection, at most --concurrency at a time; returns the
/// probe once all are open, or why they could not all be opened.
async fn open_all(
  args: &Args,
  tx: mpsc::UnboundedSender<Event>,
) -> Result<WebSocket<TcpStream>, String> {
  let permits = std::sync::Arc::new(Semaphore::new(args.concurrency.max(1)));
  let timeout = Duration::from_secs(args.timeout);
  let mut tasks = JoinSet::new();
  for i in 0..args.clients {
    let permit = permits.clone().acquire_owned().await.unwrap();
    let (addr, path, tx) = (args.addr.clone(), args.path.clone(), tx.clone());
    tasks.spawn(async move {
      let ws = tokio::time::timeout(timeout, connect(&addr, &path))
        .await
        .map_err(|_| format!("no upgrade within {} s", timeout.as_secs()))
        .and_then(|r| r);
      drop(permit);
      match ws {
        Ok(ws) if i == 0 => Ok(Some(ws)),
        Ok(ws) => {
          tokio::spawn(listen(ws, i, tx));
          Ok(None)
        }
        Err(e) => Err(format!("client {i}: {e}")),
      }
    });
  }
  let (mut probe, mut opened, mut errors) = (None, 0, Vec::new());
  while let Some(result) = tasks.join_next().await {
    match result.map_err(|e| e.to_string()).and_then(|r| r) {
      Ok(ws) => {
        opened += 1;
        probe = probe.or(ws);
      }
      Err(e) => errors.push(e),
    }
  }
  match (probe, errors.first()) {
    (Some(probe), None) => Ok(probe),
    (_, first) => Err(format!(
      "opened {opened} of {} connections; first error: {}",
      args.clients,
      first.map(String::as_str).unwrap_or("none")
    )),
  }
}

/// A listener's whole life: report every message with the moment it was
/// read, and the end of the connection with its cause.
async fn listen(mut ws: WebSocket<TcpStream>, i: usize, tx: mpsc::UnboundedSender<Event>) {
  loop {
    let event = match ws.read_frame().await {
      Ok(frame) => match frame.opcode {
        OpCode::Text | OpCode::Binary => Event::Text(
          i,
          Instant::now(),
          String::from_utf8_lossy(&frame.payload).into_owned(),
        ),
        OpCode::Close => Event::Closed(i, format!("the server closed it{}", close_code(&frame))),
        _ => continue,
      },
      Err(e) => Event::Closed(i, format!("read: {e}")),
    };
    let closed = matches!(event, Event::Closed(..));
    if tx.send(event).is_err() || closed {
      return;
    }
  }
}

fn close_code(frame: &Frame) -> String {
  match frame.payload.get(..2) {
    Some(code) => format!(" with code {}", u16::from_be_bytes([code[0], code[1]])),
    None => String::new(),
  }
}

struct Room {
  /// None once a timeout interrupted it mid-frame: it cannot be trusted again.
  probe: Option<WebSocket<TcpStream>>,
  events: mpsc::UnboundedReceiver<Event>,
  closed: BTreeMap<usize, String>,
  /// Listener messages that arrived outside a broadcast.
  stray: Vec<(usize, String)>,
  clients: usize,
  timeout: Duration,
}

impl Room {
  fn note(&mut self, event: Event) {
    match event {
      Event::Text(i, _, text) => self.stray.push((i, text)),
      Event::Closed(i, why) => {
        self.closed.insert(i, why);
      }
    }
  }

  /// Takes in what the listeners saw since the last command; an error if a
  /// socket has closed or a message came that nobody asked for, because
  /// every later figure would then be about fewer sockets than claimed.
  fn check(&mut self) -> Result<(), String> {
    while let Ok(event) = self.events.try_recv() {
      self.note(event);
    }
    if let Some((i, why)) = self.closed.iter().next() {
      return Err(format!(
        "{} of {} sockets have closed; client {i}: {why}",
        self.closed.len(),
        self.clients
      ));
    }
    if let Some((i, text)) = self.stray.first() {
      return Err(format!(
        "{} unexpected messages on the listeners; the first, on client {i}: {text:?}",
        self.stray.len()
      ));
    }
    Ok(())
  }

  fn take_probe(&mut self) -> Result<WebSocket<TcpStream>, String> {
    self
      .probe
      .take()
      .ok_or_else(|| "the probe connection was abandoned after an earlier timeout".into())
  }

  async fn ping(&mut self, token: &str) -> Result<String, String> {
    self.check()?;
    let mut probe = self.take_probe()?;
    let start = Instant::now();
    let reply = tokio::time::timeout(
      self.timeout,
      exchange(
        &mut probe,
        format!("ping {token}"),
        format!("pong {token} "),
      ),
    )
    .await
    .map_err(|_| format!("no reply to the ping within {} s", self.timeout.as_secs()))?;
    // A whole exchange, even a failed one, leaves the probe between frames.
    self.probe = Some(probe);
    let reply = reply?;
    self.check()?;
    Ok(format!(
      "\"ms\":{:.3},\"reply\":{}",
      ms(reply.0 - start),
      json_string(&reply.1)
    ))
  }

  async fn broadcast(&mut self, token: &str) -> Result<String, String> {
    self.check()?;
    let mut probe = self.take_probe()?;
    let expected = format!("bcast {token} ");
    let start = Instant::now();
    let deadline = tokio::time::Instant::from_std(start + self.timeout);
    let listeners = self.clients - 1;
    let mut arrivals: Vec<Option<Duration>> = vec![None; self.clients];
    let mut received = 0;
    let mut duplicates = 0;
    let mut late_events = Vec::new();
    let probe_side = tokio::time::timeout_at(
      deadline,
      exchange(&mut probe, format!("broadcast {token}"), expected.clone()),
    );
    let listener_side = async {
      while received < listeners {
        match tokio::time::timeout_at(deadline, self.events.recv()).await {
          Ok(Some(Event::Text(i, at, text))) if text.starts_with(&expected) => {
            if arrivals[i].replace(at - start).is_some() {
              duplicates += 1;
            } else {
              received += 1;
            }
          }
          Ok(Some(Event::Closed(i, why))) => {
            late_events.push(Event::Closed(i, why));
            // A closed listener will never receive it: no use waiting.
            break;
          }
          Ok(Some(event)) => late_events.push(event),
          Ok(None) | Err(_) => break,
        }
      }
    };
    let (probe_result, ()) = tokio::join!(probe_side, listener_side);
    for event in late_events {
      self.note(event);
    }
    let probe_reply = match probe_result {
      Ok(Ok((at, reply))) => {
        self.probe = Some(probe);
        arrivals[0] = Some(at - start);
        received += 1;
        Some(reply)
      }
      Ok(Err(e)) => {
        self.probe = Some(probe);
        self.check()?;
        return Err(format!("the probe: {e}"));
      }
      Err(_) => None,
    };
    if received < self.clients {
      self.check()?;
      let missing = arrivals.iter().position(Option::is_none).unwrap_or(0);
      return Err(format!(
        "{received} of {} clients received the broadcast within {} s (client {missing} did not)",
        self.clients,
        self.timeout.as_secs()
      ));
    }
    if duplicates > 0 {
      return Err(format!("{duplicates} clients received the broadcast twice"));
    }
    self.check()?;
    let mut times: Vec<Duration> = arrivals.into_iter().flatten().collect();
    times.sort_unstable();
    Ok(format!(
      "\"received\":{received},\"first_ms\":{:.3},\"p50_ms\":{:.3},\"last_ms\":{:.3},\"reply\":{}",
      ms(times[0]),
      ms(times[times.len() / 2]),
      ms(times[times.len() - 1]),
      json_string(&probe_reply.unwrap_or_default())
    ))
  }
}

/// Sends `text` on the probe and reads until a message starting with
/// `expected`; returns when it was read and what it said. Anything else on
/// the probe is an error: the room answers nothing but what it is asked.
async fn exchange(
  probe: &mut WebSocket<TcpStream>,
  text: String,
  expected: String,
) -> Result<(Instant, String), String> {
  probe
    .write_frame(Frame::text(Payload::Owned(text.into_bytes())))
    .await
    .map_err(|e| format!("write: {e}"))?;
  loop {
    let frame = probe.read_frame().await.map_err(|e| format!("read: {e}"))?;
    let at = Instant::now();
    match frame.opcode {
      OpCode::Text | OpCode::Binary => {
        let reply = String::from_utf8_lossy(&frame.payload).into_owned();
        if reply.starts_with(&expected) {
          return Ok((at, reply));
        }
        return Err(format!("expected {expected:?}..., the room sent {reply:?}"));
      }
      OpCode::Close => return Err(format!("the server closed it{}", close_code(&frame))),
      _ => continue,
    }
  }
}

fn ms(d: Duration) -> f64 {
  d.as_secs_f64() * 1000.0
}

fn json_string(text: &str) -> String {
  let mut out = String::with_capacity(text.len() + 2);
  out.push('"');
  for c in text.chars() {
    match c {
      '"' => out.push_str("\\\""),
      '\\' => out.push_str("\\\\"),
      c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
      c => out.push(c),
    }
  }
  out.push('"');
  out
}
