//! WebSockets: the ends of every `WebSocketPair` of an isolate, the messages
//! between them, and the coupling of an end to a client's connection.
//!
//! All of it lives on the isolate's thread in one [`Hub`]. An end is in one of
//! three modes: *pending* (not accepted: what its peer sends waits in its
//! queue), *JavaScript* (accepted: what it receives becomes an event, and
//! JavaScript drains every pending event of the isolate with one op call),
//! or *network* (returned in a 101 response: its queue is what the writer
//! task sends to the client, and what the client sends goes to its peer).
//! Frames between the client and the peer never pass through JavaScript.
//!
//! The JavaScript side (js/websocket.js) owns the Workers state machine
//! (readyState, allowHalfOpen, the error rules); Rust moves bytes.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use bytes::{Bytes, BytesMut};
use deno_core::{op2, v8, OpState};
use deno_error::JsErrorBox;
use fastwebsockets::{Frame, OpCode, Payload, Role, WebSocket, WebSocketError};
use tokio::sync::Notify;

/// The largest incoming message (workerd's `WEBSOCKET_MAX_MESSAGE_SIZE`).
pub const MAX_MESSAGE_SIZE: usize = 32 << 20;
/// The largest single frame fastwebsockets buffers before kiln measures it:
/// larger frames are refused unread.
const MAX_FRAME_SIZE: usize = 64 << 20;
/// A network end stops reading from its socket while this many bytes of
/// its peer's events wait for JavaScript.
const BACKPRESSURE_BYTES: usize = 1 << 20;

pub type EndId = u32;

/// What travels between two ends.
#[derive(Debug, Clone)]
pub enum Msg {
  Text(Bytes),
  Binary(Bytes),
  /// A Close frame: code (none for an empty body) and reason.
  Close(Option<u16>, String),
  /// The peer's connection ended without a Close frame.
  Disconnected,
  /// The peer's connection broke the protocol; the text is the error message.
  Error(String),
  /// An answer to a ping (network ends only).
  Pong(Bytes),
}

impl Msg {
  fn weight(&self) -> usize {
    match self {
      Msg::Text(b) | Msg::Binary(b) | Msg::Pong(b) => b.len() + 16,
      Msg::Close(_, r) => r.len() + 16,
      Msg::Disconnected | Msg::Error(_) => 16,
    }
  }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
  Pending,
  Js,
  Network,
}

struct End {
  peer: EndId,
  mode: Mode,
  /// Pending: what the peer sent before accept(). Network: what to write.
  queue: VecDeque<Msg>,
  /// Bytes waiting for this end's reader: in the queue while pending, in
  /// events JavaScript has not taken once accepted.
  waiting_bytes: usize,
  /// Wakes the network writer.
  writer: Rc<Notify>,
  /// Network end: the Close code to send once the JavaScript peer has seen
  /// the protocol error, so that what it sent before goes out first.
  fail_code: Option<(u16, String)>,
}

#[derive(Default)]
pub struct Hub {
  ends: HashMap<EndId, End>,
  next_id: EndId,
  /// Events for accepted ends, in delivery order.
  events: Vec<(EndId, Msg)>,
  /// Wakes the JavaScript event pump.
  events_ready: Rc<Notify>,
  /// Wakes network readers paused for backpressure.
  drained: Rc<Notify>,
}

pub type SharedHub = Rc<RefCell<Hub>>;

impl Hub {
  fn new_end(&mut self, peer: EndId) -> EndId {
    self.next_id += 1;
    let id = self.next_id;
    self.ends.insert(
      id,
      End {
        peer,
        mode: Mode::Pending,
        queue: VecDeque::new(),
        waiting_bytes: 0,
        writer: Rc::new(Notify::new()),
        fail_code: None,
      },
    );
    id
  }

  fn pair(&mut self) -> (EndId, EndId) {
    let a = self.new_end(0);
    let b = self.new_end(a);
    self.ends.get_mut(&a).unwrap().peer = b;
    (a, b)
  }

  /// Hands `msg` to end `to`, in whatever way its mode calls for.
  fn deliver(&mut self, to: EndId, msg: Msg) {
    let Some(end) = self.ends.get_mut(&to) else {
      return; // the end is gone: nobody will read it
    };
    match end.mode {
      Mode::Pending => {
        end.waiting_bytes += msg.weight();
        end.queue.push_back(msg);
      }
      Mode::Network => {
        end.queue.push_back(msg);
        end.writer.notify_one();
      }
      Mode::Js => {
        end.waiting_bytes += msg.weight();
        self.events.push((to, msg));
        self.events_ready.notify_one();
      }
    }
  }

  /// What JavaScript sends on end `from` goes to its peer.
  fn send(&mut self, from: EndId, msg: Msg) {
    if let Some(peer) = self.ends.get(&from).map(|e| e.peer) {
      self.deliver(peer, msg);
    }
  }

  fn accept(&mut self, id: EndId) {
    let Some(end) = self.ends.get_mut(&id) else {
      return;
    };
    if end.mode != Mode::Pending {
      return;
    }
    end.mode = Mode::Js;
    end.waiting_bytes = 0; // counted again as the queue becomes events
    let queued: Vec<Msg> = end.queue.drain(..).collect();
    for msg in queued {
      self.deliver(id, msg);
    }
  }

  /// Bytes waiting on the way to end `id` (for a reader's backpressure).
  fn backlog(&self, id: EndId) -> usize {
    self.ends.get(&id).map_or(0, |end| match end.mode {
      Mode::Pending | Mode::Js => end.waiting_bytes,
      Mode::Network => end.queue.iter().map(Msg::weight).sum(),
    })
  }
}

/// Puts a fresh hub in the op state (done by the `kiln` extension).
pub fn new_hub() -> SharedHub {
  Rc::new(RefCell::new(Hub::default()))
}

fn hub(state: &OpState) -> SharedHub {
  state.borrow::<SharedHub>().clone()
}

#[op2]
#[serde]
pub fn op_ws_pair(state: &mut OpState) -> (EndId, EndId) {
  hub(state).borrow_mut().pair()
}

#[op2(fast)]
pub fn op_ws_accept(state: &mut OpState, #[smi] id: EndId) {
  hub(state).borrow_mut().accept(id);
}

#[op2(fast)]
pub fn op_ws_send_text(state: &mut OpState, #[smi] id: EndId, #[string] text: String) {
  hub(state)
    .borrow_mut()
    .send(id, Msg::Text(Bytes::from(text.into_bytes())));
}

/// The bytes are copied here, at the call: changing the buffer afterwards
/// does not change the message.
#[op2]
pub fn op_ws_send_binary(state: &mut OpState, #[smi] id: EndId, #[anybuffer] data: &[u8]) {
  hub(state)
    .borrow_mut()
    .send(id, Msg::Binary(Bytes::copy_from_slice(data)));
}

/// Queues a Close frame behind everything sent before it. `code` < 0 means
/// no code (an empty Close body).
#[op2(fast)]
pub fn op_ws_close(state: &mut OpState, #[smi] id: EndId, code: i32, #[string] reason: String) {
  let code = u16::try_from(code).ok();
  hub(state).borrow_mut().send(id, Msg::Close(code, reason));
}

/// JavaScript is done with an end: forget it.
#[op2(fast)]
pub fn op_ws_release(state: &mut OpState, #[smi] id: EndId) {
  let hub = hub(state);
  let mut hub = hub.borrow_mut();
  send_fail_close(&mut hub, id);
  if hub.ends.get(&id).is_some_and(|e| e.mode != Mode::Network) {
    hub.ends.remove(&id);
  }
}

/// JavaScript has handled a protocol error on end `id`'s peer connection:
/// now the Close that fails that connection goes out.
#[op2(fast)]
pub fn op_ws_fail(state: &mut OpState, #[smi] id: EndId) {
  send_fail_close(&mut hub(state).borrow_mut(), id);
}

fn send_fail_close(hub: &mut Hub, id: EndId) {
  let Some(peer) = hub.ends.get(&id).map(|e| e.peer) else {
    return;
  };
  if let Some(end) = hub.ends.get_mut(&peer) {
    if let Some((code, reason)) = end.fail_code.take() {
      end.queue.push_back(Msg::Close(Some(code), reason));
      end.writer.notify_one();
    }
  }
}

/// Waits until at least one event is pending for an accepted end of this
/// isolate (`op_ws_take_events` then takes them all).
#[op2]
pub async fn op_ws_wait_events(state: Rc<RefCell<OpState>>) {
  let hub = hub(&state.borrow());
  loop {
    let ready = {
      let h = hub.borrow();
      if !h.events.is_empty() {
        return;
      }
      h.events_ready.clone()
    };
    ready.notified().await;
  }
}

/// Every pending event, as one flat array: `[id, kind, payload, code, ...]`
/// with kind 0 text (payload a string), 1 binary (an ArrayBuffer that takes
/// over the received bytes), 2 close (payload the reason, code -1 for none),
/// 3 disconnected, 4 error (payload the message). Built directly as V8 values:
/// no intermediate objects per event.
#[op2]
pub fn op_ws_take_events<'s>(scope: &mut v8::PinScope<'s, '_>) -> v8::Local<'s, v8::Array> {
  let state = deno_core::JsRuntime::op_state_from(scope);
  let hub = hub(&state.borrow());
  let events = {
    let mut h = hub.borrow_mut();
    let events = std::mem::take(&mut h.events);
    for (id, msg) in &events {
      if let Some(end) = h.ends.get_mut(id) {
        end.waiting_bytes = end.waiting_bytes.saturating_sub(msg.weight());
      }
    }
    if !events.is_empty() {
      h.drained.notify_waiters();
    }
    events
  };
  let mut values: Vec<v8::Local<'s, v8::Value>> = Vec::with_capacity(events.len() * 4);
  let undefined: v8::Local<v8::Value> = v8::undefined(scope).into();
  let string = |scope: &mut v8::PinScope<'s, '_>, bytes: &[u8]| -> v8::Local<'s, v8::Value> {
    v8::String::new_from_utf8(scope, bytes, v8::NewStringType::Normal)
      .map(Into::into)
      .unwrap_or_else(|| v8::undefined(scope).into())
  };
  for (id, msg) in events {
    let (kind, payload, code) = match msg {
      Msg::Text(b) => (0, string(scope, &b), -1),
      Msg::Binary(b) => {
        // Vec::from reuses the allocation when this is its only owner.
        let store = v8::ArrayBuffer::new_backing_store_from_vec(Vec::from(b)).make_shared();
        let buffer: v8::Local<v8::Value> =
          v8::ArrayBuffer::with_backing_store(scope, &store).into();
        (1, buffer, -1)
      }
      Msg::Close(code, reason) => (
        2,
        string(scope, reason.as_bytes()),
        code.map_or(-1, i32::from),
      ),
      Msg::Disconnected => (3, undefined, -1),
      Msg::Error(message) => (4, string(scope, message.as_bytes()), -1),
      Msg::Pong(_) => continue,
    };
    values.push(v8::Integer::new_from_unsigned(scope, id).into());
    values.push(v8::Integer::new(scope, kind).into());
    values.push(payload);
    values.push(v8::Integer::new(scope, code).into());
  }
  v8::Array::new_with_elements(scope, &values)
}

// ---------------------------------------------------------------------------
// Coupling an end to a client connection.

/// Makes end `id` the client's side of an upgraded HTTP connection: what its
/// peer sends is written to the client, what the client sends goes to the
/// peer. Runs until both directions are closed or the connection ends.
pub async fn run_network_end<S>(hub: SharedHub, id: EndId, io: S, role: Role)
where
  S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + 'static,
{
  let (peer, writer_notify) = {
    let h = hub.borrow();
    let Some(end) = h.ends.get(&id) else { return };
    (end.peer, end.writer.clone())
  };
  let mut ws = WebSocket::after_handshake(io, role);
  // kiln answers Close frames itself: whether and when is the worker's
  // decision (allowHalfOpen). Pings are answered without JavaScript.
  ws.set_auto_close(false);
  ws.set_auto_pong(true);
  ws.set_max_message_size(MAX_FRAME_SIZE);
  let (mut read, mut write) = ws.split(|io| {
    let (r, w) = tokio::io::split(io);
    // The writer coalesces the frames queued since its last wake-up into
    // one write; the buffer is flushed after each batch.
    (r, tokio::io::BufWriter::with_capacity(64 * 1024, w))
  });

  let closed_in = Rc::new(std::cell::Cell::new(false));
  let closed_out = Rc::new(std::cell::Cell::new(false));

  let reader = {
    let hub = hub.clone();
    let closed_in = closed_in.clone();
    let writer_notify = writer_notify.clone();
    async move {
      let outcome = read_messages(&hub, id, peer, &mut read, &writer_notify).await;
      match outcome {
        ReadEnd::Closed => {}
        ReadEnd::Disconnected => hub.borrow_mut().deliver(peer, Msg::Disconnected),
        ReadEnd::ProtocolError(code, description) => {
          let mut h = hub.borrow_mut();
          let peer_in_js = h.ends.get(&peer).is_some_and(|e| e.mode == Mode::Js);
          if let Some(end) = h.ends.get_mut(&id) {
            // The reason is the description, as workerd (kj) sends it.
            let reason = truncate_utf8(&description, 123);
            if peer_in_js {
              // Sent when JavaScript has handled the events before the
              // error (op_ws_fail): its replies to them go out first.
              end.fail_code = Some((code, reason));
            } else {
              end.queue.push_back(Msg::Close(Some(code), reason));
            }
          }
          h.deliver(
            peer,
            Msg::Error(format!(
              "Uncaught Error: WebSocket protocol error; protocolError.statusCode = {code}; protocolError.description = {description}"
            )),
          );
          drop(h);
          writer_notify.notify_one();
        }
      }
      closed_in.set(true);
      writer_notify.notify_one();
    }
  };

  let writer = {
    let hub = hub.clone();
    let closed_out = closed_out.clone();
    let closed_in = closed_in.clone();
    async move {
      loop {
        let batch: Vec<Msg> = {
          let mut h = hub.borrow_mut();
          match h.ends.get_mut(&id) {
            Some(end) => end.queue.drain(..).collect(),
            None => break,
          }
        };
        if batch.is_empty() {
          if closed_out.get() && closed_in.get() {
            break;
          }
          writer_notify.notified().await;
          continue;
        }
        let mut failed = false;
        for msg in batch {
          if closed_out.get() {
            continue; // nothing may follow a Close frame
          }
          let frame = match msg {
            Msg::Text(b) => Frame::text(Payload::Bytes(BytesMut::from(b))),
            Msg::Binary(b) => Frame::binary(Payload::Bytes(BytesMut::from(b))),
            Msg::Pong(b) => Frame::pong(Payload::Bytes(BytesMut::from(b))),
            Msg::Close(code, reason) => {
              closed_out.set(true);
              match code {
                Some(code) => Frame::close(code, reason.as_bytes()),
                None => Frame::close_raw(Payload::Owned(Vec::new())),
              }
            }
            Msg::Disconnected | Msg::Error(_) => {
              // The worker's side went away without a Close.
              failed = true;
              break;
            }
          };
          if write.write_frame(frame).await.is_err() {
            failed = true;
            break;
          }
        }
        if failed || write.flush().await.is_err() {
          break;
        }
        if closed_out.get() && closed_in.get() {
          break;
        }
      }
    }
  };

  // When the writer gives up (a write failed, or the other side of a
  // pass-through vanished), the connection is dropped without waiting for
  // the client: the reader is abandoned with it.
  let mut reader = std::pin::pin!(reader);
  let mut writer = std::pin::pin!(writer);
  tokio::select! {
    _ = &mut reader => writer.await,
    _ = &mut writer => {
      if !closed_in.get() {
        hub.borrow_mut().deliver(peer, Msg::Disconnected);
      }
    }
  }
  hub.borrow_mut().ends.remove(&id);
}

/// A new pair of ends, outside JavaScript (for outbound connections).
pub fn new_pair(hub: &SharedHub) -> (EndId, EndId) {
  hub.borrow_mut().pair()
}

/// Drops the connection behind JavaScript end `id`'s peer.
pub fn abort(hub: &SharedHub, id: EndId) {
  hub.borrow_mut().send(id, Msg::Disconnected);
}

enum ReadEnd {
  /// A Close frame arrived (and went to the peer).
  Closed,
  /// The connection ended without a Close frame.
  Disconnected,
  /// The client broke the protocol: the Close code to send, and why.
  ProtocolError(u16, String),
}

async fn read_messages<S>(
  hub: &SharedHub,
  id: EndId,
  peer: EndId,
  read: &mut fastwebsockets::WebSocketRead<S>,
  writer_notify: &Rc<Notify>,
) -> ReadEnd
where
  S: tokio::io::AsyncRead + Unpin,
{
  // A fragmented message being reassembled: its opcode and bytes so far.
  let mut partial: Option<(OpCode, BytesMut)> = None;
  loop {
    // Backpressure: stop reading while the peer has not caught up.
    loop {
      let (backlog, drained) = {
        let h = hub.borrow();
        (h.backlog(peer), h.drained.clone())
      };
      if backlog <= BACKPRESSURE_BYTES {
        break;
      }
      drained.notified().await;
    }
    let mut send_pong = |frame: Frame<'_>| {
      let payload = Bytes::copy_from_slice(&frame.payload);
      if let Some(end) = hub.borrow_mut().ends.get_mut(&id) {
        end.queue.push_back(Msg::Pong(payload));
      }
      writer_notify.notify_one();
      std::future::ready(Ok::<(), std::io::Error>(()))
    };
    let frame = match read.read_frame(&mut send_pong).await {
      Ok(frame) => frame,
      Err(e) => return read_error(e),
    };
    let payload = match frame.payload {
      Payload::Bytes(b) => b,
      other => BytesMut::from(&other[..]),
    };
    let control = matches!(frame.opcode, OpCode::Close | OpCode::Ping | OpCode::Pong);
    if control && payload.len() > 125 {
      return ReadEnd::ProtocolError(1002, "Control frame larger than 125 bytes".into());
    }
    match frame.opcode {
      OpCode::Close => {
        return match parse_close(&payload) {
          Ok((code, reason)) => {
            hub.borrow_mut().deliver(peer, Msg::Close(code, reason));
            ReadEnd::Closed
          }
          Err(e) => e,
        };
      }
      OpCode::Ping | OpCode::Pong => continue,
      OpCode::Text | OpCode::Binary => {
        if partial.is_some() {
          return ReadEnd::ProtocolError(1002, "Expected continuation frame".into());
        }
        if frame.fin {
          if payload.len() > MAX_MESSAGE_SIZE {
            return too_large(payload.len());
          }
          let msg = finish(frame.opcode, payload);
          match msg {
            Ok(msg) => hub.borrow_mut().deliver(peer, msg),
            Err(e) => return e,
          }
        } else {
          partial = Some((frame.opcode, payload));
        }
      }
      OpCode::Continuation => {
        let Some((opcode, mut buf)) = partial.take() else {
          return ReadEnd::ProtocolError(1002, "Unexpected continuation frame".into());
        };
        buf.extend_from_slice(&payload);
        if buf.len() > MAX_MESSAGE_SIZE {
          return too_large(buf.len());
        }
        if frame.fin {
          match finish(opcode, buf) {
            Ok(msg) => hub.borrow_mut().deliver(peer, msg),
            Err(e) => return e,
          }
        } else {
          partial = Some((opcode, buf));
        }
      }
    }
  }
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncate_utf8(text: &str, max: usize) -> String {
  let mut end = text.len().min(max);
  while !text.is_char_boundary(end) {
    end -= 1;
  }
  text[..end].to_string()
}

fn too_large(size: usize) -> ReadEnd {
  ReadEnd::ProtocolError(
    1009,
    format!("Message is too large: {size} > {MAX_MESSAGE_SIZE}"),
  )
}

fn finish(opcode: OpCode, payload: BytesMut) -> Result<Msg, ReadEnd> {
  let bytes = payload.freeze();
  if opcode == OpCode::Text {
    if std::str::from_utf8(&bytes).is_err() {
      return Err(ReadEnd::ProtocolError(
        1007,
        "Invalid UTF-8 in text frame".into(),
      ));
    }
    Ok(Msg::Text(bytes))
  } else {
    Ok(Msg::Binary(bytes))
  }
}

fn parse_close(payload: &[u8]) -> Result<(Option<u16>, String), ReadEnd> {
  match payload.len() {
    0 => Ok((None, String::new())),
    1 => Err(ReadEnd::ProtocolError(
      1002,
      "Close frame with a one-byte body".into(),
    )),
    _ => {
      let code = u16::from_be_bytes([payload[0], payload[1]]);
      let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
      if !valid {
        return Err(ReadEnd::ProtocolError(
          1002,
          format!("Invalid close code: {code}"),
        ));
      }
      match std::str::from_utf8(&payload[2..]) {
        Ok(reason) => Ok((Some(code), reason.to_string())),
        Err(_) => Err(ReadEnd::ProtocolError(
          1007,
          "Invalid UTF-8 in close reason".into(),
        )),
      }
    }
  }
}

fn read_error(e: WebSocketError) -> ReadEnd {
  match e {
    WebSocketError::UnexpectedEOF
    | WebSocketError::IoError(_)
    | WebSocketError::ConnectionClosed => ReadEnd::Disconnected,
    WebSocketError::FrameTooLarge => ReadEnd::ProtocolError(
      1009,
      format!("Message is too large: more than {MAX_FRAME_SIZE} > {MAX_MESSAGE_SIZE}"),
    ),
    WebSocketError::InvalidUTF8 => {
      ReadEnd::ProtocolError(1007, "Invalid UTF-8 in text frame".into())
    }
    other => ReadEnd::ProtocolError(1002, other.to_string()),
  }
}

/// The `Sec-WebSocket-Accept` answer to a client's `Sec-WebSocket-Key`.
pub fn accept_key(key: &[u8]) -> String {
  use base64::Engine;
  use sha1::Digest;
  let mut sha = sha1::Sha1::new();
  sha.update(key);
  sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// Marks end `id` as coupled to a connection that is being upgraded; what
/// its peer sends meanwhile waits in its queue for the writer. An error if
/// the end cannot be coupled.
pub fn couple(hub: &SharedHub, id: EndId) -> Result<(), JsErrorBox> {
  let mut hub = hub.borrow_mut();
  match hub.ends.get_mut(&id) {
    Some(end) if end.mode == Mode::Pending => {
      end.mode = Mode::Network;
      Ok(())
    }
    _ => Err(JsErrorBox::type_error(
      "Can't return WebSocket that was already used in a response.",
    )),
  }
}

/// The upgrade of a coupled end's connection failed: its peer hears that the
/// other side went away.
pub fn upgrade_failed(hub: &SharedHub, id: EndId) {
  let mut hub = hub.borrow_mut();
  if let Some(end) = hub.ends.remove(&id) {
    hub.deliver(end.peer, Msg::Disconnected);
  }
}
