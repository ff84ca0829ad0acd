//! A connection coupled to a network end: the read loop turns frames into
//! messages for the end's peer (reassembling fragments, answering pings,
//! failing the connection on a protocol error), and the write loop sends
//! what the peer queued, coalescing the frames of one wake-up into one write.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use fastwebsockets::{Frame, OpCode, Payload, Role, WebSocketError};

use super::deflate::{codecs, Agreement, InflateError, Inflater};
use super::hub::{EndId, Msg, Route, SharedHub, BACKPRESSURE_BYTES};

/// The largest incoming message (workerd's `WEBSOCKET_MAX_MESSAGE_SIZE`).
pub const MAX_MESSAGE_SIZE: usize = 32 << 20;
/// The same with `increase_websocket_message_size` (as workerd).
pub const INCREASED_MAX_MESSAGE_SIZE: usize = 128 << 20;

/// An isolate's incoming size limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
  pub max_message: usize,
  /// What fastwebsockets is told: it refuses a frame whose header declares
  /// this many bytes or more before reserving room for it, so a frame over
  /// the message limit costs nothing. [`FrameHeaders`] keeps the length
  /// the header declared, for the error message.
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
      max_frame: max_message + 1,
    }
  }
}

impl Default for Limits {
  fn default() -> Limits {
    Limits::new(false)
  }
}

/// Makes end `id` the client's side of an upgraded HTTP connection: what its
/// peer sends is written to the client, what the client sends goes to the
/// peer. Runs until both directions are closed or the connection ends.
pub async fn run_network_end<S>(
  hub: SharedHub,
  id: EndId,
  io: S,
  role: Role,
  deflate: Option<Agreement>,
) where
  S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + 'static,
{
  let (peer, writer_notify, abort, limits) = {
    let h = hub.borrow();
    let Some(end) = h.ends.get(&id) else { return };
    (end.peer, end.writer.clone(), end.abort.clone(), h.limits)
  };
  let declared = Rc::new(Cell::new(0u64));
  let compressed = deflate.map(|_| Rc::new(RefCell::new(VecDeque::new())));
  let (r, w) = tokio::io::split(io);
  // Shared with the reader, which reads the connection itself once
  // fastwebsockets is done with it (see discard_until_closed).
  let raw: Rc<RefCell<Option<tokio::io::ReadHalf<S>>>> = Rc::new(RefCell::new(Some(r)));
  let headers = FrameHeaders::new(raw.clone(), declared.clone(), limits.max_frame as u64)
    .with_compression(compressed.clone());
  let refused_bits = headers.refused_bits();
  // fastwebsockets reads; kiln writes its frames itself, as only it knows
  // which are compressed (RSV1). The writer coalesces the frames queued
  // since its last wake-up into one write; the buffer is flushed after
  // each batch.
  let (mut read, _) = fastwebsockets::after_handshake_split(headers, tokio::io::sink(), role);
  let mut write = tokio::io::BufWriter::with_capacity(64 * 1024, w);
  use tokio::io::AsyncWriteExt;
  // kiln answers Close frames itself: whether and when is the worker's
  // decision (allowHalfOpen). Pings are answered without JavaScript.
  read.set_auto_close(false);
  read.set_auto_pong(true);
  read.set_max_message_size(limits.max_frame);
  let (mut inflate, mut deflate) = match deflate {
    Some(agreement) => {
      let mut h = hub.borrow_mut();
      if let Some(end) = h.ends.get_mut(&id) {
        let mut sides = agreement.sides(role);
        // Messages queued before the connection was made (a pending end's)
        // are compressed here.
        if end
          .queue
          .iter()
          .any(|m| matches!(m, Msg::Text(_) | Msg::Binary(_)))
        {
          sides.outbound = super::hub::Outbound::Own;
        }
        end.deflate = Some(sides);
      }
      let (inflater, deflater) = codecs(&agreement, role);
      (Some(inflater), Some(deflater))
    }
    None => (None, None),
  };

  let closed_in = Rc::new(Cell::new(false));
  let failing = Rc::new(Cell::new(false));
  let closed_out = Rc::new(Cell::new(false));

  let reader = {
    let hub = hub.clone();
    let closed_in = closed_in.clone();
    let failing = failing.clone();
    let writer_notify = writer_notify.clone();
    async move {
      let outcome = read_messages(
        &hub,
        id,
        peer,
        &mut read,
        limits,
        &declared,
        &refused_bits,
        compressed.as_deref(),
        inflate.as_mut(),
      )
      .await;
      // Its buffer can hold a whole large frame: not kept while waiting.
      drop(read);
      let gone = matches!(outcome, ReadEnd::Disconnected);
      failing.set(matches!(outcome, ReadEnd::ProtocolError(..)));
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
      if gone {
        return ReaderEnd::Gone;
      }
      // Nothing more is taken from the client after its Close (or after it
      // broke the protocol: what follows is not frames, the rest of a frame
      // refused from its header, say), but its end of the connection is
      // still watched: a client that goes away while the worker has not
      // answered its Close (allowHalfOpen) must not leave the connection
      // open for good.
      discard_until_closed(&raw).await
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
        let weight: usize = batch.iter().map(Msg::weight).sum();
        let mut failed = false;
        for msg in batch {
          if closed_out.get() {
            continue; // nothing may follow a Close frame
          }
          // `compressed`: compressed by the other connection's peer, and
          // written as it came.
          let (opcode, payload, compressed) = match msg {
            Msg::Text(b) => (OpCode::Text, b, false),
            Msg::Binary(b) => (OpCode::Binary, b, false),
            Msg::Deflated { text, payload } => (
              if text { OpCode::Text } else { OpCode::Binary },
              payload,
              true,
            ),
            Msg::Pong(b) => (OpCode::Pong, b, false),
            Msg::Close(code, reason) => {
              closed_out.set(true);
              let mut body = Vec::new();
              if let Some(code) = code {
                body.extend_from_slice(&code.to_be_bytes());
                body.extend_from_slice(reason.as_bytes());
              }
              (OpCode::Close, Bytes::from(body), false)
            }
            Msg::Disconnected | Msg::Error(_) => {
              // The worker's side went away without a Close.
              failed = true;
              break;
            }
          };
          let written = match (&mut deflate, opcode) {
            _ if compressed => write_frame(&mut write, role, opcode, true, &payload).await,
            (Some(codec), OpCode::Text | OpCode::Binary) if !sends_passed(&hub, id) => {
              let payload = codec.compress(&payload);
              write_frame(&mut write, role, opcode, true, &payload).await
            }
            _ => write_frame(&mut write, role, opcode, false, &payload).await,
          };
          if written.is_err() {
            failed = true;
            break;
          }
        }
        if failed || write.flush().await.is_err() {
          break;
        }
        if let Some(end) = hub.borrow_mut().ends.get_mut(&id) {
          end.written(weight);
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

  // The connection ends with whichever ends first: the reader once the
  // client's side is gone (nothing sent can reach it any more), the writer
  // once both Closes are through or it gave up (a write failed, or the
  // other side of a pass-through vanished), or an abort.
  let mut reader = std::pin::pin!(reader);
  let mut writer = std::pin::pin!(writer);
  let next = tokio::select! {
    // The writer first: when both are done, its Close is out.
    biased;
    _ = &mut writer => {
      if !closed_in.get() {
        hub.borrow_mut().deliver(peer, Msg::Disconnected);
      }
      if failing.get() { Linger::Reader } else { Linger::No }
    }
    ended = &mut reader => match ended {
      ReaderEnd::Gone => Linger::No,
      // The client ended its side after its Close (or its error): what
      // the worker answers may still reach it, for a while.
      ReaderEnd::EndOfInput => Linger::Writer,
    },
    // The queue overflowed, or nobody can ever read this connection
    // (Hub::deliver): the worker's end has heard why.
    _ = abort.notified() => Linger::No,
  };
  match next {
    Linger::No => {}
    // The Close that fails the connection is out, but the client may still
    // be sending (the rest of a refused frame): closing on unread bytes
    // resets the connection, which can destroy the Close before the client
    // reads it. Its bytes are dropped until it closes, for a while.
    Linger::Reader => {
      let _ = tokio::time::timeout(LINGER, reader).await;
    }
    Linger::Writer => {
      let _ = tokio::time::timeout(LINGER, writer).await;
    }
  }
  hub.borrow_mut().connection_ended(id, false);
  give_back_freed_memory(&hub);
}

/// What the worker's end of a connection receives when its client sends
/// `bytes` and then ends its side, and what the client got back: kiln's
/// whole read path (frame headers, fastwebsockets, reassembly, limits, the
/// Close parser) without an isolate. For the fuzz targets
/// (fuzz/fuzz_targets/) and the tests below. The client must stay under
/// the 1 MiB backlog, which nobody drains here (some 64 KiB of empty frames
/// at most), and as no JavaScript answers, a connection that ends after a
/// Close or an error lingers 2 s: run it with tokio's time paused.
pub async fn received_from_client(
  bytes: &[u8],
  limits: Limits,
  deflate: Option<Agreement>,
) -> (Vec<Msg>, Vec<u8>) {
  use tokio::io::{AsyncReadExt, AsyncWriteExt};
  let hub = super::hub::new_hub();
  let (js, net) = {
    let mut h = hub.borrow_mut();
    h.limits = limits;
    let (js, net) = h.pair();
    h.accept(js).expect("a new end accepts");
    h.couple(net).expect("a new end couples");
    (js, net)
  };
  let (client, server) = tokio::io::duplex(64 * 1024);
  let (mut from_server, mut to_server) = tokio::io::split(client);
  let send = async {
    let _ = to_server.write_all(bytes).await;
    let _ = to_server.shutdown().await;
  };
  let answer = async {
    let mut got = Vec::new();
    let _ = from_server.read_to_end(&mut got).await;
    got
  };
  let ((), (), answer) = tokio::join!(
    run_network_end(hub.clone(), net, server, Role::Server, deflate),
    send,
    answer
  );
  let events = std::mem::take(&mut hub.borrow_mut().events);
  let received = events
    .into_iter()
    .filter(|(id, _)| *id == js)
    .map(|(_, msg)| msg)
    .collect();
  (received, answer)
}

/// Connections that end between two give-backs of freed memory.
const ENDED_PER_TRIM: usize = 1024;

/// glibc keeps the pages that ended connections freed, in the arenas of the
/// threads that freed them, and hands them to no one else: measured with
/// bench/soak.js, five rounds of 5,000 connections left a kiln echo worker
/// at 290 MiB resident, and 52 MiB after one `malloc_trim`. So, once
/// [`ENDED_PER_TRIM`] connections have ended, the pages are given back a
/// second later (after the burst, at most once a second per isolate).
fn give_back_freed_memory(hub: &SharedHub) {
  {
    let mut h = hub.borrow_mut();
    h.ended_since_trim += 1;
    if h.ended_since_trim < ENDED_PER_TRIM || h.trim_scheduled {
      return;
    }
    h.trim_scheduled = true;
  }
  let hub = hub.clone();
  deno_core::unsync::spawn(async move {
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    {
      let mut h = hub.borrow_mut();
      h.ended_since_trim = 0;
      h.trim_scheduled = false;
    }
    super::hibernation::give_back_free_pages();
  });
}

/// How the reader of a connection ended.
enum ReaderEnd {
  /// The connection failed or ended without a Close.
  Gone,
  /// The client ended its side after its Close or a protocol error.
  EndOfInput,
}

/// What a connection still waits for once one side is done.
enum Linger {
  No,
  Reader,
  Writer,
}

enum ReadEnd {
  /// A Close frame arrived (and went to the peer).
  Closed,
  /// The connection ended without a Close frame.
  Disconnected,
  /// The client broke the protocol: the Close code to send, and why.
  ProtocolError(u16, String),
}

/// Reads the client's frames until its Close, a protocol error or the end
/// of the connection. `compressed`: with permessage-deflate agreed, whether
/// each message that [`FrameHeaders`] has seen start is compressed (and if
/// so, whether it is text), in order; `inflate` reads those.
#[allow(clippy::too_many_arguments)]
async fn read_messages<S>(
  hub: &SharedHub,
  id: EndId,
  peer: EndId,
  read: &mut fastwebsockets::WebSocketRead<S>,
  limits: Limits,
  declared: &Cell<u64>,
  refused_bits: &Cell<Option<&'static str>>,
  compressed: Option<&RefCell<VecDeque<Started>>>,
  mut inflate: Option<&mut Inflater>,
) -> ReadEnd
where
  S: tokio::io::AsyncRead + Unpin,
{
  // A fragmented message being reassembled: its opcode, bytes so far, and
  // whether it is compressed.
  let mut partial: Option<(OpCode, BytesMut, bool)> = None;
  loop {
    // Backpressure: stop reading while the peer has not caught up, or
    // while this connection's writer has not sent its pongs (a client that
    // sends pings and reads nothing would otherwise queue them without
    // end). The worker's own sends do not pause the reader (a client may
    // write much before it reads); MAX_UNSENT_BYTES bounds them.
    loop {
      let (backlog, pongs, drained) = {
        let h = hub.borrow();
        (h.backlog(peer), h.pong_backlog(id), h.drained.clone())
      };
      if backlog <= BACKPRESSURE_BYTES && pongs <= BACKPRESSURE_BYTES {
        break;
      }
      drained.notified().await;
    }
    // fastwebsockets answers pings inside read_frame(), which returns only
    // with a data or Close frame: under a flood of pings the check above
    // never runs, so the pong itself waits while this connection's writer
    // has not caught up (a client that reads no pongs is read no more).
    let mut send_pong = |frame: Frame<'_>| {
      let payload = Bytes::copy_from_slice(&frame.payload);
      let (pongs, drained) = {
        let mut h = hub.borrow_mut();
        let pongs = h.ends.get_mut(&id).map_or(0, |end| {
          end.push_out(Msg::Pong(payload));
          end.pong_bytes
        });
        (pongs, h.drained.clone())
      };
      async move {
        if pongs > BACKPRESSURE_BYTES {
          while hub.borrow().pong_backlog(id) > BACKPRESSURE_BYTES {
            drained.notified().await;
          }
        }
        Ok::<(), std::io::Error>(())
      }
    };
    let frame = match read.read_frame(&mut send_pong).await {
      Ok(frame) => frame,
      Err(e) => return read_error(e, limits, declared.get(), refused_bits.get()),
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
        // A compressed text frame reaches fastwebsockets as binary, so that
        // it does not check the compressed bytes as UTF-8.
        let started = compressed.and_then(|c| c.borrow_mut().pop_front());
        let (opcode, deflated) = match started {
          Some(Started::Compressed { text }) => {
            (if text { OpCode::Text } else { OpCode::Binary }, true)
          }
          _ => (frame.opcode, false),
        };
        if frame.fin {
          if payload.len() > limits.max_message {
            return too_large(payload.len(), limits);
          }
          let message = (opcode, payload, deflated);
          if let Err(e) = pass_on(hub, id, peer, message, inflate.as_deref_mut(), limits) {
            return e;
          }
        } else {
          partial = Some((opcode, payload, deflated));
        }
      }
      OpCode::Continuation => {
        let Some((opcode, mut buf, deflated)) = partial.take() else {
          return ReadEnd::ProtocolError(1002, "Unexpected continuation frame".into());
        };
        buf.extend_from_slice(&payload);
        if buf.len() > limits.max_message {
          return too_large(buf.len(), limits);
        }
        if frame.fin {
          let message = (opcode, buf, deflated);
          if let Err(e) = pass_on(hub, id, peer, message, inflate.as_deref_mut(), limits) {
            return e;
          }
        } else {
          partial = Some((opcode, buf, deflated));
        }
      }
    }
  }
}

/// Delivers a whole message read on end `id`'s connection to its peer:
/// compressed as it came if [`passes_through`] says so, else as it reads
/// (inflated first if it was compressed).
fn pass_on(
  hub: &SharedHub,
  id: EndId,
  peer: EndId,
  (opcode, payload, deflated): (OpCode, BytesMut, bool),
  inflate: Option<&mut Inflater>,
  limits: Limits,
) -> Result<(), ReadEnd> {
  if deflated {
    let mut h = hub.borrow_mut();
    if passes_through(&h, id, peer) {
      let text = opcode == OpCode::Text;
      h.deliver(
        peer,
        Msg::Deflated {
          text,
          payload: payload.freeze(),
        },
      );
      return Ok(());
    }
    // Inflated here: what the client sends next may refer to it, so no
    // later message can be passed on as it comes (unless each stands alone).
    if let Some(c) = h.ends.get_mut(&id).and_then(|e| e.deflate.as_mut()) {
      c.inbound_whole &= c.inbound_reset;
    }
  }
  let msg = complete(opcode, payload, deflated, inflate, limits)?;
  hub.borrow_mut().deliver(peer, msg);
  Ok(())
}

/// Whether end `id`'s connection sends compressed messages of another
/// connection as they came: then it compresses nothing itself (its peer's
/// window must hold only theirs) and other messages go out uncompressed.
fn sends_passed(hub: &SharedHub, id: EndId) -> bool {
  let h = hub.borrow();
  h.ends
    .get(&id)
    .and_then(|e| e.deflate)
    .is_some_and(|c| c.outbound == super::hub::Outbound::Passed && !c.outbound_reset)
}

/// Whether a compressed message read on end `id`'s connection can go to
/// its peer's connection as it came: the peer is a connection that agreed
/// to compression with a window at least as large; every compressed
/// message read here so far went there the same way, so the reader at the
/// far end holds the history this message may refer to; that connection
/// has sent nothing it compressed itself; and if that reader starts afresh
/// for each message, so does the sender here.
fn passes_through(h: &super::hub::Hub, id: EndId, peer: EndId) -> bool {
  use super::hub::Outbound;
  let (Some(from), Some(to)) = (h.ends.get(&id), h.ends.get(&peer)) else {
    return false;
  };
  let (Some(a), Some(b)) = (from.deflate, to.deflate) else {
    return false;
  };
  // The far reader may drop its context after each message: then each
  // message must stand alone.
  let stands_alone = a.inbound_reset || !b.outbound_reset;
  // What that connection compressed itself is in its reader's window,
  // unless each of its messages stood alone too.
  let window_clean = b.outbound != Outbound::Own || b.outbound_reset;
  to.route == Route::Network
    && a.inbound_whole
    && a.inbound_bits <= b.outbound_bits
    && stands_alone
    && window_clean
}

/// A whole message as received, inflated first if it was compressed.
fn complete(
  opcode: OpCode,
  payload: BytesMut,
  deflated: bool,
  inflate: Option<&mut Inflater>,
  limits: Limits,
) -> Result<Msg, ReadEnd> {
  let payload = match (deflated, inflate) {
    (true, Some(codec)) => match codec.decompress(&payload, limits.max_message) {
      Ok(data) => Bytes::from(data),
      // workerd's texts: no sizes for an inflated message.
      Err(InflateError::TooLarge(_)) => {
        return Err(ReadEnd::ProtocolError(1009, "Message is too large".into()))
      }
      Err(InflateError::Invalid(_)) => {
        return Err(ReadEnd::ProtocolError(
          1002,
          "Invalid compressed data".into(),
        ))
      }
    },
    _ => payload.freeze(),
  };
  finish(opcode, payload)
}

/// How a message began, as [`FrameHeaders`] saw its first frame go by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
  Plain,
  Compressed { text: bool },
}

/// Writes one whole-message frame (masked for a client), RSV1 set when its
/// payload is compressed.
async fn write_frame<W: tokio::io::AsyncWrite + Unpin>(
  out: &mut W,
  role: Role,
  opcode: OpCode,
  rsv1: bool,
  payload: &[u8],
) -> std::io::Result<()> {
  use tokio::io::AsyncWriteExt;
  let mut frame = Frame::new(true, opcode, None, Payload::Borrowed(payload));
  if role == Role::Client {
    frame.mask();
  }
  let mut head = [0u8; 16];
  let size = frame.fmt_head(&mut head);
  if rsv1 {
    head[0] |= 0x40;
  }
  out.write_all(&head[..size]).await?;
  out.write_all(&frame.payload).await
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

fn finish(opcode: OpCode, bytes: Bytes) -> Result<Msg, ReadEnd> {
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

fn read_error(
  e: WebSocketError,
  limits: Limits,
  declared: u64,
  refused_bits: Option<&'static str>,
) -> ReadEnd {
  match e {
    WebSocketError::UnexpectedEOF
    | WebSocketError::IoError(_)
    | WebSocketError::ConnectionClosed => ReadEnd::Disconnected,
    // Refused from its header: `declared` is the length it announced.
    WebSocketError::FrameTooLarge => {
      too_large(usize::try_from(declared).unwrap_or(usize::MAX), limits)
    }
    WebSocketError::InvalidUTF8 => {
      ReadEnd::ProtocolError(1007, "Invalid UTF-8 in text frame".into())
    }
    WebSocketError::ReservedBitsNotZero => ReadEnd::ProtocolError(
      1002,
      refused_bits.unwrap_or("Reserved bits are not zero").into(),
    ),
    other => ReadEnd::ProtocolError(1002, other.to_string()),
  }
}

/// How long a connection failed by the client waits for it to close.
const LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads and drops what arrives on `raw` until the client closes its end
/// (or the connection fails). Bounded per wake-up, so that a client sending
/// without pause cannot hold the isolate's thread.
async fn discard_until_closed<R: tokio::io::AsyncRead + Unpin>(
  raw: &RefCell<Option<R>>,
) -> ReaderEnd {
  use std::task::Poll;
  let mut scratch = vec![0u8; 16 * 1024];
  std::future::poll_fn(|cx| {
    let mut raw = raw.borrow_mut();
    let Some(raw) = raw.as_mut() else {
      return Poll::Ready(ReaderEnd::Gone);
    };
    for _ in 0..64 {
      let mut dropped = tokio::io::ReadBuf::new(&mut scratch);
      match std::pin::Pin::new(&mut *raw).poll_read(cx, &mut dropped) {
        Poll::Ready(Ok(())) if dropped.filled().is_empty() => {
          return Poll::Ready(ReaderEnd::EndOfInput)
        }
        Poll::Ready(Ok(())) => continue,
        Poll::Ready(Err(_)) => return Poll::Ready(ReaderEnd::Gone),
        Poll::Pending => return Poll::Pending,
      }
    }
    cx.waker().wake_by_ref();
    Poll::Pending
  })
  .await
}

/// Reads through to the connection and follows the frame headers as they go
/// by, keeping the payload length the latest one declared: fastwebsockets
/// refuses an oversized frame from its header (before reserving memory for
/// it) but does not say how large it was, and workerd's message does.
pub struct FrameHeaders<R> {
  inner: Rc<RefCell<Option<R>>>,
  declared: Rc<Cell<u64>>,
  /// With permessage-deflate agreed: how each message starts, for the
  /// reader. RSV1 is cleared on the way, as fastwebsockets refuses any
  /// reserved bit, and a compressed text frame passes as binary.
  started: Option<Rc<RefCell<VecDeque<Started>>>>,
  /// Why a header's reserved bits were refused, for the Close.
  refused_bits: Rc<Cell<Option<&'static str>>>,
  /// A header declaring this much or more is the one refused: it is kept
  /// and nothing after it is followed.
  refused_from: u64,
  stopped: bool,
  /// The header being read, or the payload bytes still to pass.
  header: [u8; 14],
  have: usize,
  payload_left: u64,
}

impl<R> FrameHeaders<R> {
  pub fn new(
    inner: Rc<RefCell<Option<R>>>,
    declared: Rc<Cell<u64>>,
    refused_from: u64,
  ) -> FrameHeaders<R> {
    FrameHeaders {
      inner,
      declared,
      started: None,
      refused_bits: Rc::new(Cell::new(None)),
      refused_from,
      stopped: false,
      header: [0; 14],
      have: 0,
      payload_left: 0,
    }
  }

  /// Follows messages' compression (see `started`).
  pub fn with_compression(mut self, started: Option<Rc<RefCell<VecDeque<Started>>>>) -> Self {
    self.started = started;
    self
  }

  /// Where the reason a header's reserved bits were refused is kept.
  pub fn refused_bits(&self) -> Rc<Cell<Option<&'static str>>> {
    self.refused_bits.clone()
  }

  fn follow(&mut self, mut bytes: &mut [u8]) {
    while !bytes.is_empty() && !self.stopped {
      if self.payload_left > 0 {
        let skip = bytes
          .len()
          .min(usize::try_from(self.payload_left).unwrap_or(usize::MAX));
        self.payload_left -= skip as u64;
        bytes = &mut bytes[skip..];
        continue;
      }
      if self.have == 0 {
        self.first_byte(&mut bytes[0]);
        if self.stopped {
          return;
        }
      }
      self.header[self.have] = bytes[0];
      self.have += 1;
      bytes = &mut bytes[1..];
      if self.have < 2 {
        continue;
      }
      let len7 = self.header[1] & 0x7f;
      let extended = match len7 {
        126 => 2,
        127 => 8,
        _ => 0,
      };
      let mask = if self.header[1] & 0x80 != 0 { 4 } else { 0 };
      if self.have < 2 + extended + mask {
        continue;
      }
      let length = match extended {
        0 => u64::from(len7),
        2 => u64::from(u16::from_be_bytes([self.header[2], self.header[3]])),
        _ => u64::from_be_bytes(self.header[2..10].try_into().unwrap_or([0xff; 8])),
      };
      self.declared.set(length);
      self.stopped = length >= self.refused_from;
      self.payload_left = length;
      self.have = 0;
    }
  }
}

impl<R> FrameHeaders<R> {
  /// A frame's first byte: RSV1 taken off a compressed message's first
  /// frame, and any other reserved bit left for fastwebsockets to refuse
  /// (RFC 7692 §6: never on a control or continuation frame).
  fn first_byte(&mut self, byte: &mut u8) {
    let opcode = *byte & 0x0f;
    let rsv1 = *byte & 0x40 != 0;
    let data = opcode == 1 || opcode == 2;
    // The first two in workerd's (kj's) words; kj lets the last two
    // through and misreads them, the RFC fails the connection.
    let refused = if *byte & 0x30 != 0 {
      Some("Received frame had RSV bits 2 or 3 set")
    } else if rsv1 && self.started.is_none() {
      Some("Received a WebSocket frame whose compression bit was set, but the compression extension was not negotiated for this connection.")
    } else if rsv1 && opcode == 0 {
      Some("Received a continuation frame whose compression bit was set; only a message's first frame carries it.")
    } else if rsv1 && !data {
      Some("Received a control frame whose compression bit was set; control frames are never compressed.")
    } else {
      None
    };
    if let Some(why) = refused {
      // fastwebsockets refuses the frame when it reaches it; nothing after
      // it is followed.
      self.refused_bits.set(Some(why));
      self.stopped = true;
      return;
    }
    let Some(started) = &self.started else { return };
    if !data {
      return;
    }
    if rsv1 {
      started
        .borrow_mut()
        .push_back(Started::Compressed { text: opcode == 1 });
      *byte = (*byte & !0x40 & 0xf0) | 2;
    } else {
      started.borrow_mut().push_back(Started::Plain);
    }
  }
}

impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for FrameHeaders<R> {
  fn poll_read(
    mut self: std::pin::Pin<&mut Self>,
    cx: &mut std::task::Context<'_>,
    buf: &mut tokio::io::ReadBuf<'_>,
  ) -> std::task::Poll<std::io::Result<()>> {
    let before = buf.filled().len();
    let polled = {
      let mut inner = self.inner.borrow_mut();
      match inner.as_mut() {
        Some(inner) => std::pin::Pin::new(inner).poll_read(cx, buf),
        None => std::task::Poll::Ready(Ok(())),
      }
    };
    if let std::task::Poll::Ready(Ok(())) = &polled {
      let this = &mut *self;
      this.follow(&mut buf.filled_mut()[before..]);
    }
    polled
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  /// The length each header declared, fed in `chunks`.
  fn followed(chunks: &[&[u8]]) -> Vec<u64> {
    let declared = Rc::new(Cell::new(u64::MAX));
    let mut headers =
      FrameHeaders::<()>::new(Rc::new(RefCell::new(None)), declared.clone(), 1 << 40);
    let mut seen = Vec::new();
    for chunk in chunks {
      for byte in chunk.iter() {
        headers.follow(&mut [*byte]);
        if declared.get() != u64::MAX {
          seen.push(declared.replace(u64::MAX));
        }
      }
    }
    seen
  }

  fn receive(bytes: &[u8]) -> Vec<Msg> {
    let runtime = tokio::runtime::Builder::new_current_thread()
      .enable_all()
      .start_paused(true)
      .build()
      .unwrap();
    runtime
      .block_on(received_from_client(bytes, Limits::default(), None))
      .0
  }

  fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut frame = vec![first, 0x80 | payload.len() as u8, 9, 8, 7, 6];
    frame.extend(
      payload
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ [9, 8, 7, 6][i % 4]),
    );
    frame
  }

  #[test]
  fn a_client_stream_becomes_the_worker_end_s_messages() {
    let mut bytes = masked(0x01, b"hel");
    bytes.extend(masked(0x80, b"lo"));
    bytes.extend(masked(0x88, b"\x03\xe8bye"));
    let got = receive(&bytes);
    assert!(
      matches!(got.as_slice(), [Msg::Text(t), Msg::Close(Some(1000), r)] if t == "hello" && r == "bye"),
      "{got:?}"
    );
    // A one-byte Close body fails the connection.
    let got = receive(&masked(0x88, b"\x03"));
    assert!(
      matches!(got.as_slice(), [Msg::Error(m)] if m.contains("Close frame with a one-byte body")),
      "{got:?}"
    );
    // A connection that just ends: the worker hears it went away.
    let got = receive(&masked(0x82, b"\x00\x01"));
    assert!(
      matches!(got.as_slice(), [Msg::Binary(_), Msg::Disconnected]),
      "{got:?}"
    );
  }

  #[test]
  fn frame_headers_give_each_declared_length() {
    // A masked 5-byte text frame, then a 16-bit length header, then a
    // 64-bit one whose payload never arrives, split at odd places.
    let mut bytes = vec![0x81, 0x85, 1, 2, 3, 4, b'h', b'e', b'l', b'l', b'o'];
    bytes.extend_from_slice(&[0x82, 0x7e, 0x01, 0x00]);
    bytes.extend(std::iter::repeat_n(0u8, 256));
    bytes.extend_from_slice(&[0x81, 0xff, 0, 0, 0, 0, 0x02, 0x10, 0, 0, 9, 9, 9, 9]);
    let (a, b) = bytes.split_at(3);
    assert_eq!(followed(&[a, b]), vec![5, 256, 0x0210_0000]);
    // An empty frame between two others.
    assert_eq!(followed(&[&[0x89, 0x00, 0x82, 0x01, 7]]), vec![0, 1]);
  }

  #[test]
  fn the_refused_header_is_the_one_kept() {
    // A 300-byte frame refused (limit 256) whose payload and a next header
    // arrive in the same read: the length reported is the refused one's.
    let declared = Rc::new(Cell::new(0));
    let mut headers = FrameHeaders::<()>::new(Rc::new(RefCell::new(None)), declared.clone(), 257);
    let mut bytes = vec![0x82, 0x7e, 0x01, 0x2c];
    bytes.extend(std::iter::repeat_n(0u8, 300));
    bytes.extend_from_slice(&[0x82, 0x05]);
    headers.follow(&mut bytes);
    assert_eq!(declared.get(), 300);
  }
}
