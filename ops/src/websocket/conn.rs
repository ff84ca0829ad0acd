//! A connection coupled to a network end: the read loop turns frames into
//! messages for the end's peer (reassembling fragments, answering pings,
//! failing the connection on a protocol error), and the write loop sends
//! what the peer queued, coalescing the frames of one wake-up into one write.

use std::cell::Cell;
use std::rc::Rc;

use bytes::{Bytes, BytesMut};
use fastwebsockets::{Frame, OpCode, Payload, Role, WebSocket, WebSocketError};

use super::hub::{EndId, Msg, Route, SharedHub};

/// The largest incoming message (workerd's `WEBSOCKET_MAX_MESSAGE_SIZE`).
pub const MAX_MESSAGE_SIZE: usize = 32 << 20;
/// The same with `increase_websocket_message_size` (as workerd).
pub const INCREASED_MAX_MESSAGE_SIZE: usize = 128 << 20;

/// An isolate's incoming size limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
  pub max_message: usize,
  /// The largest single frame fastwebsockets buffers before kiln measures
  /// it: larger frames are refused unread. Above the message limit, so that
  /// every message up to it is measured exactly.
  pub max_frame: usize,
}

impl Limits {
  pub fn new(increased: bool) -> Limits {
    let max_message = if increased {
      INCREASED_MAX_MESSAGE_SIZE
    } else {
      MAX_MESSAGE_SIZE
    };
    Limits {
      max_message,
      max_frame: max_message + (32 << 20),
    }
  }
}

impl Default for Limits {
  fn default() -> Limits {
    Limits::new(false)
  }
}
/// A network end stops reading from its socket while this many bytes of
/// its peer's events wait for their reader.
const BACKPRESSURE_BYTES: usize = 1 << 20;

/// Makes end `id` the client's side of an upgraded HTTP connection: what its
/// peer sends is written to the client, what the client sends goes to the
/// peer. Runs until both directions are closed or the connection ends.
pub async fn run_network_end<S>(hub: SharedHub, id: EndId, io: S, role: Role)
where
  S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + 'static,
{
  let (peer, writer_notify, limits) = {
    let h = hub.borrow();
    let Some(end) = h.ends.get(&id) else { return };
    (end.peer, end.writer.clone(), h.limits)
  };
  let mut ws = WebSocket::after_handshake(io, role);
  // kiln answers Close frames itself: whether and when is the worker's
  // decision (allowHalfOpen). Pings are answered without JavaScript.
  ws.set_auto_close(false);
  ws.set_auto_pong(true);
  ws.set_max_message_size(limits.max_frame);
  let (mut read, mut write) = ws.split(|io| {
    let (r, w) = tokio::io::split(io);
    // The writer coalesces the frames queued since its last wake-up into
    // one write; the buffer is flushed after each batch.
    (r, tokio::io::BufWriter::with_capacity(64 * 1024, w))
  });

  let closed_in = Rc::new(Cell::new(false));
  let closed_out = Rc::new(Cell::new(false));

  let reader = {
    let hub = hub.clone();
    let closed_in = closed_in.clone();
    let writer_notify = writer_notify.clone();
    async move {
      let outcome = read_messages(&hub, id, peer, &mut read, limits).await;
      match outcome {
        ReadEnd::Closed => {}
        ReadEnd::Disconnected => hub.borrow_mut().deliver(peer, Msg::Disconnected),
        ReadEnd::ProtocolError(code, description) => {
          let mut h = hub.borrow_mut();
          let peer_in_js = h.route(peer) == Some(Route::Js);
          if let Some(end) = h.ends.get_mut(&id) {
            // The reason is the description, as workerd (kj) sends it.
            let reason = truncate_utf8(&description, 123);
            if peer_in_js {
              // Sent when JavaScript has handled the events before the
              // error (op_ws_fail): its replies to them go out first.
              end.fail_code = Some((code, reason));
            } else {
              end.push_out(Msg::Close(Some(code), reason));
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
        let batch = {
          let mut h = hub.borrow_mut();
          match h.ends.get_mut(&id) {
            Some(end) => end.take_out(),
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
        // The batch is out: a reader paused because this end's queue was
        // full (the other connection of a pass-through) may read again.
        // JavaScript's event pump wakes readers the same way for its ends.
        let drained = hub.borrow().drained.clone();
        drained.notify_waiters();
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
  hub.borrow_mut().connection_ended(id, false);
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
  limits: Limits,
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
        end.push_out(Msg::Pong(payload));
      }
      std::future::ready(Ok::<(), std::io::Error>(()))
    };
    let frame = match read.read_frame(&mut send_pong).await {
      Ok(frame) => frame,
      Err(e) => return read_error(e, limits),
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
          if payload.len() > limits.max_message {
            return too_large(payload.len(), limits);
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
        if buf.len() > limits.max_message {
          return too_large(buf.len(), limits);
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

fn too_large(size: usize, limits: Limits) -> ReadEnd {
  ReadEnd::ProtocolError(
    1009,
    format!("Message is too large: {size} > {}", limits.max_message),
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

fn read_error(e: WebSocketError, limits: Limits) -> ReadEnd {
  match e {
    WebSocketError::UnexpectedEOF
    | WebSocketError::IoError(_)
    | WebSocketError::ConnectionClosed => ReadEnd::Disconnected,
    WebSocketError::FrameTooLarge => ReadEnd::ProtocolError(
      1009,
      format!(
        "Message is too large: more than {} > {}",
        limits.max_frame, limits.max_message
      ),
    ),
    WebSocketError::InvalidUTF8 => {
      ReadEnd::ProtocolError(1007, "Invalid UTF-8 in text frame".into())
    }
    other => ReadEnd::ProtocolError(1002, other.to_string()),
  }
}
