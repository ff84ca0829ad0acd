//! The ends of every `WebSocketPair` of an isolate, and the messages between
//! them. All of it lives on the isolate's thread in one [`Hub`].
//!
//! Each end has a [`Route`], Rust's mirror of the JavaScript state machine
//! (see mod.rs): *pending* (not accepted: what its peer sends waits in its
//! queue), *JavaScript* (accepted: what it receives becomes an event, and
//! JavaScript drains every pending event of the isolate with one op call),
//! or *network* (returned in a 101, or the far side of an outbound socket:
//! its queue is what the connection's writer sends, and what the connection
//! reads goes to its peer). Frames between a connection and its peer never
//! pass through JavaScript.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use bytes::Bytes;
use deno_error::JsErrorBox;
use tokio::sync::Notify;

pub use super::hibernation::{now_ms, AutoResponse, Hibernatable};

pub type EndId = u32;

/// The most a connection's queue holds of what was sent to it and not yet
/// written: Workers' memory limit for an isolate (128 MiB), which is all a
/// worker could hold for a client that does not read.
pub const MAX_UNSENT_BYTES: usize = 128 << 20;

/// A network reader stops reading while this many bytes wait for its peer's
/// reader, or while this many bytes of pongs wait for its own writer.
pub const BACKPRESSURE_BYTES: usize = 1 << 20;

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
  /// A compressed message passed from one connection to another as it
  /// came (network ends only; conn.rs `passes_through`).
  Deflated {
    text: bool,
    payload: Bytes,
  },
}

impl Msg {
  pub(crate) fn weight(&self) -> usize {
    match self {
      Msg::Text(b) | Msg::Binary(b) | Msg::Pong(b) => b.len() + 16,
      Msg::Deflated { payload, .. } => payload.len() + 16,
      Msg::Close(_, r) => r.len() + 16,
      Msg::Disconnected | Msg::Error(_) => 16,
    }
  }
}

/// Where what an end receives goes: the mirror of the end's state in
/// js/websocket.js.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
  Pending,
  Js,
  Network,
}

pub(crate) struct End {
  pub peer: EndId,
  pub route: Route,
  /// Pending: what the peer sent before accept(). Network: what to write.
  pub queue: VecDeque<Msg>,
  /// Bytes waiting for this end's reader: in the queue while pending or on
  /// the network (and in the batch its writer is writing), in events
  /// JavaScript has not taken once accepted.
  pub waiting_bytes: usize,
  /// Network end: of those, the pongs queued (a ping flood's share).
  pub pong_bytes: usize,
  /// Wakes the network writer.
  pub writer: Rc<Notify>,
  /// Tells a network end's connection to drop at once (its queue overflowed).
  pub abort: Rc<Notify>,
  /// A network end whose queue overflowed: nothing more is queued.
  pub overflowed: bool,
  /// A pending end whose object JavaScript dropped while its peer is a
  /// connection: kept (its full queue is what stops the connection being
  /// read), and removed with the connection.
  pub orphaned: bool,
  /// Network end: the Close code to send once the JavaScript peer has seen
  /// the protocol error, so that what it sent before goes out first.
  pub fail_code: Option<(u16, String)>,
  /// A Close has been sent from this end (its peer got it).
  pub closed_out: bool,
  /// Set for an end accepted with `ctx.acceptWebSocket()`: what must
  /// outlive its JavaScript object while its Durable Object hibernates.
  pub hibernation: Option<Box<Hibernatable>>,
  /// Network end whose connection agreed to permessage-deflate.
  pub deflate: Option<Compression>,
}

/// What a connection agreed to compress with, and how far its compressed
/// streams are what the other connection of a pass-through carries: while
/// they are, compressed messages go from one connection to the other as
/// they came, neither inflated nor compressed again (conn.rs
/// `passes_through`).
#[derive(Debug, Clone, Copy)]
pub struct Compression {
  /// The window the connection's peer compresses with, and whether it
  /// starts afresh for each message.
  pub inbound_bits: u8,
  pub inbound_reset: bool,
  /// The same for what this connection sends.
  pub outbound_bits: u8,
  pub outbound_reset: bool,
  /// Every compressed message read so far was passed on as it came.
  pub inbound_whole: bool,
  /// What the connection's outgoing compressed stream is made of, decided
  /// by its first message.
  pub outbound: Outbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbound {
  /// Nothing sent yet.
  Undecided,
  /// Compressed messages of the other connection, as they came; any other
  /// message goes out uncompressed (which leaves the peer's window alone).
  Passed,
  /// Messages this connection compressed itself.
  Own,
}

impl End {
  /// Queues `msg` for the network writer.
  pub fn push_out(&mut self, msg: Msg) {
    self.waiting_bytes += msg.weight();
    if let Msg::Pong(_) = msg {
      self.pong_bytes += msg.weight();
    }
    self.queue.push_back(msg);
    self.writer.notify_one();
  }

  /// Everything queued for the network writer, taken; its bytes count as
  /// waiting until [`End::written`].
  pub fn take_out(&mut self) -> VecDeque<Msg> {
    self.pong_bytes = 0;
    std::mem::take(&mut self.queue)
  }

  /// The writer has written `bytes` (by [`Msg::weight`]) of what it took.
  pub fn written(&mut self, bytes: usize) {
    self.waiting_bytes = self.waiting_bytes.saturating_sub(bytes);
  }
}

#[derive(Default)]
pub struct Hub {
  /// Incoming size limits (`increase_websocket_message_size`).
  pub limits: super::conn::Limits,
  /// Per Durable Object ("Class:hex"): the auto-response pair its
  /// hibernatable sockets answer without waking it.
  pub(crate) auto_responses: HashMap<Rc<str>, AutoResponse>,
  /// Accept order of hibernatable ends (getWebSockets() keeps it).
  pub(crate) next_seq: u64,
  pub(crate) ends: HashMap<EndId, End>,
  next_id: EndId,
  /// Events for accepted ends, in delivery order.
  pub(crate) events: Vec<(EndId, Msg)>,
  /// Wakes the JavaScript event pump.
  pub(crate) events_ready: Rc<Notify>,
  /// Wakes network readers paused for backpressure.
  pub(crate) drained: Rc<Notify>,
  /// Connections ended since freed memory was last given back.
  pub(crate) ended_since_trim: usize,
  /// A give-back is scheduled.
  pub(crate) trim_scheduled: bool,
}

pub type SharedHub = Rc<RefCell<Hub>>;

/// A fresh hub for an isolate's op state (done by the `kiln` extension).
pub fn new_hub() -> SharedHub {
  Rc::new(RefCell::new(Hub::default()))
}

/// The error for an op that the mirror does not allow: a bug in kiln, said
/// as one rather than ignored.
fn out_of_step(id: EndId, what: &str, route: Option<Route>) -> JsErrorBox {
  JsErrorBox::type_error(format!(
    "kiln internal error: WebSocket end {id} cannot {what} (its Rust side is {route:?})"
  ))
}

impl Hub {
  fn new_end(&mut self, peer: EndId) -> EndId {
    self.next_id += 1;
    let id = self.next_id;
    self.ends.insert(
      id,
      End {
        peer,
        route: Route::Pending,
        queue: VecDeque::new(),
        waiting_bytes: 0,
        pong_bytes: 0,
        writer: Rc::new(Notify::new()),
        abort: Rc::new(Notify::new()),
        overflowed: false,
        orphaned: false,
        fail_code: None,
        closed_out: false,
        hibernation: None,
        deflate: None,
      },
    );
    id
  }

  /// A new pair of pending ends.
  pub fn pair(&mut self) -> (EndId, EndId) {
    let a = self.new_end(0);
    let b = self.new_end(a);
    if let Some(end) = self.ends.get_mut(&a) {
      end.peer = b;
    }
    (a, b)
  }

  pub(crate) fn route(&self, id: EndId) -> Option<Route> {
    self.ends.get(&id).map(|e| e.route)
  }

  /// Hands `msg` to end `to`, in whatever way its route calls for.
  pub(crate) fn deliver(&mut self, to: EndId, msg: Msg) {
    let Some(end) = self.ends.get_mut(&to) else {
      return; // the end is gone: nobody will read it
    };
    match end.route {
      Route::Pending if end.orphaned && end.waiting_bytes + msg.weight() > BACKPRESSURE_BYTES => {
        // Nobody will ever read this end: rather than hold its connection
        // unread for good (and miss the client leaving), end it.
        let peer = end.peer;
        self.abort_connection(peer);
      }
      Route::Pending => {
        end.waiting_bytes += msg.weight();
        end.queue.push_back(msg);
      }
      Route::Network if end.overflowed => {}
      Route::Network if end.waiting_bytes + msg.weight() > MAX_UNSENT_BYTES => {
        // The client reads slower than the worker sends (or not at all):
        // rather than hold without end what it will not take, the
        // connection is dropped and the worker's end told why.
        end.overflowed = true;
        end.queue = VecDeque::new();
        end.waiting_bytes = 0;
        end.abort.notify_one();
        let peer = end.peer;
        self.deliver(
          peer,
          Msg::Error(format!(
            "Uncaught Error: WebSocket send queue over {} MiB: the other side is not reading what is sent, so its connection was dropped",
            MAX_UNSENT_BYTES >> 20
          )),
        );
      }
      Route::Network => {
        if let Some(c) = end.deflate.as_mut() {
          if c.outbound == Outbound::Undecided {
            match msg {
              Msg::Deflated { .. } => c.outbound = Outbound::Passed,
              Msg::Text(_) | Msg::Binary(_) => c.outbound = Outbound::Own,
              _ => {}
            }
          }
        }
        end.push_out(msg)
      }
      Route::Js => {
        if let (Msg::Text(text), Some(h)) = (&msg, end.hibernation.as_deref_mut()) {
          if let Some(pair) = self.auto_responses.get(&h.object) {
            if text[..] == *pair.request.as_bytes() {
              // Answered here, so that a hibernated object is not woken;
              // nothing is sent after the socket's own close().
              h.auto_response_at = Some(now_ms());
              let reply = (!end.closed_out).then(|| (end.peer, pair.response.clone()));
              if let Some((peer, response)) = reply {
                self.deliver(peer, Msg::Text(response));
              }
              return;
            }
          }
        }
        end.waiting_bytes += msg.weight();
        self.events.push((to, msg));
        self.events_ready.notify_one();
      }
    }
  }

  /// What JavaScript sends on end `from` goes to its peer.
  pub(crate) fn send(&mut self, from: EndId, msg: Msg) {
    let Some(end) = self.ends.get_mut(&from) else {
      return;
    };
    if matches!(msg, Msg::Close(..)) {
      end.closed_out = true;
    }
    let peer = end.peer;
    self.deliver(peer, msg);
  }

  /// Pending → JavaScript: what waited in the queue becomes events.
  pub(crate) fn accept(&mut self, id: EndId) -> Result<(), JsErrorBox> {
    let end = match self.ends.get_mut(&id) {
      Some(end) if end.route == Route::Pending => end,
      other => return Err(out_of_step(id, "be accepted", other.map(|e| e.route))),
    };
    end.route = Route::Js;
    end.waiting_bytes = 0; // counted again as the queue becomes events
    let queued: Vec<Msg> = end.queue.drain(..).collect();
    let peer = end.peer;
    for msg in queued {
      self.deliver(id, msg);
    }
    if self.ends.get(&peer).is_some_and(|p| p.orphaned) {
      // Its other end was dropped unused: nothing will ever come from it.
      self.ends.remove(&peer);
      self.deliver(id, Msg::Disconnected);
    }
    Ok(())
  }

  /// Pending → network: the end is coupled to a connection that is being
  /// set up; what its peer sends meanwhile waits in its queue for the writer.
  pub(crate) fn couple(&mut self, id: EndId) -> Result<(), JsErrorBox> {
    match self.ends.get_mut(&id) {
      Some(end) if end.route == Route::Pending => {
        end.route = Route::Network;
        Ok(())
      }
      _ => Err(JsErrorBox::type_error(
        "Can't return WebSocket that was already used in a response.",
      )),
    }
  }

  /// JavaScript dropped the object of end `id` (its FinalizationRegistry
  /// said so): an end never accepted nor returned can no longer be, so what
  /// it holds is freed. An accepted peer hears that the other side is gone,
  /// so that it too can be released. A connection is left open and unread,
  /// as workerd leaves the client of a pair whose other end nobody reads
  /// (the cases returned-twice and never-accepted): the end stays, marked
  /// orphaned, with at most a backlog in its queue, until the connection
  /// ends; the same while its peer may still become a connection.
  pub(crate) fn forget_if_pending(&mut self, id: EndId) {
    let Some(end) = self.ends.get(&id) else {
      return;
    };
    if end.route != Route::Pending {
      return;
    }
    let peer = end.peer;
    match self.ends.get(&peer).map(|p| (p.route, p.orphaned)) {
      Some((Route::Js, _)) => {
        self.ends.remove(&id);
        self.deliver(peer, Msg::Disconnected);
      }
      Some((Route::Pending, true)) | None => {
        self.ends.remove(&id);
        self.ends.remove(&peer);
      }
      Some((Route::Pending, false) | (Route::Network, _)) => {
        let mut stuck = false;
        if let Some(end) = self.ends.get_mut(&id) {
          end.orphaned = true;
          stuck = end.waiting_bytes > BACKPRESSURE_BYTES;
        }
        if stuck {
          // Its connection's reader waits for a drain that cannot come.
          self.abort_connection(peer);
        }
      }
    }
  }

  /// Ends network end `id`'s connection at once (run_network_end's abort).
  fn abort_connection(&self, id: EndId) {
    if let Some(connection) = self.ends.get(&id) {
      connection.abort.notify_one();
    }
  }

  /// Bytes waiting on the way to end `id` (for a reader's backpressure).
  pub(crate) fn backlog(&self, id: EndId) -> usize {
    self.ends.get(&id).map_or(0, |end| end.waiting_bytes)
  }

  /// Bytes of pongs waiting for network end `id`'s writer.
  pub(crate) fn pong_backlog(&self, id: EndId) -> usize {
    self.ends.get(&id).map_or(0, |end| end.pong_bytes)
  }

  /// Every network end (an open connection).
  pub(crate) fn network_ends(&self) -> usize {
    self
      .ends
      .values()
      .filter(|end| end.route == Route::Network)
      .count()
  }

  /// Sends Close `code` on each connection whose worker-side end has not
  /// closed; answers how many connections are open.
  pub(crate) fn close_connections(&mut self, code: u16, reason: &str) -> usize {
    let network: Vec<(EndId, EndId)> = self
      .ends
      .iter()
      .filter(|(_, end)| end.route == Route::Network)
      .map(|(id, end)| (*id, end.peer))
      .collect();
    for (id, peer) in &network {
      let closed = self.ends.get(peer).is_some_and(|p| p.closed_out);
      if !closed {
        if let Some(peer) = self.ends.get_mut(peer) {
          peer.closed_out = true;
        }
        if let Some(end) = self.ends.get_mut(id) {
          end.push_out(Msg::Close(Some(code), reason.to_string()));
        }
      }
    }
    network.len()
  }

  /// A network end's connection is gone: its peer hears that the other side
  /// went away, unless it already heard how it ended.
  pub(crate) fn connection_ended(&mut self, id: EndId, tell_peer: bool) {
    if let Some(end) = self.ends.remove(&id) {
      if self.ends.get(&end.peer).is_some_and(|peer| peer.orphaned) {
        self.ends.remove(&end.peer);
      } else if tell_peer {
        self.deliver(end.peer, Msg::Disconnected);
      }
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn an_end_is_accepted_once_and_only_while_pending() {
    let mut hub = Hub::default();
    let (a, b) = hub.pair();
    hub.send(b, Msg::Text(Bytes::from_static(b"early")));
    hub.accept(a).expect("a pending end accepts");
    assert_eq!(hub.route(a), Some(Route::Js));
    // What waited while pending became an event.
    assert!(matches!(hub.events.as_slice(), [(id, Msg::Text(t))] if *id == a && t == "early"));
    let again = hub.accept(a).expect_err("a second accept is out of step");
    assert!(again.to_string().contains("cannot be accepted"), "{again}");
    hub.couple(b).expect("the other end is still pending");
    let err = hub.accept(b).expect_err("a coupled end cannot be accepted");
    assert!(err.to_string().contains("Network"), "{err}");
  }

  #[test]
  fn an_end_is_coupled_once_and_never_after_accept() {
    let mut hub = Hub::default();
    let (a, b) = hub.pair();
    hub.accept(a).unwrap();
    let err = hub
      .couple(a)
      .expect_err("an accepted end cannot be coupled");
    assert!(
      err.to_string().contains("already used in a response"),
      "{err}"
    );
    hub.couple(b).unwrap();
    assert!(hub.couple(b).is_err(), "coupled twice");
    assert!(hub.accept(99).is_err(), "an unknown end");
  }

  #[test]
  fn a_network_end_counts_what_waits_for_its_writer() {
    let mut hub = Hub::default();
    let (a, b) = hub.pair();
    hub.accept(a).unwrap();
    hub.couple(b).unwrap();
    hub.send(a, Msg::Binary(Bytes::from(vec![0u8; 1000])));
    assert_eq!(hub.backlog(b), 1016);
    let taken = hub.ends.get_mut(&b).unwrap().take_out();
    assert_eq!(taken.len(), 1);
    assert_eq!(hub.backlog(b), 1016, "still counted while being written");
    hub.ends.get_mut(&b).unwrap().written(1016);
    assert_eq!(hub.backlog(b), 0);
  }

  #[test]
  fn a_queue_past_the_limit_drops_its_connection_and_tells_the_worker() {
    let mut hub = Hub::default();
    let (a, b) = hub.pair();
    hub.accept(a).unwrap();
    hub.couple(b).unwrap();
    let chunk = Bytes::from(vec![0u8; 1 << 20]);
    for _ in 0..(MAX_UNSENT_BYTES >> 20) - 1 {
      hub.send(a, Msg::Binary(chunk.clone()));
    }
    assert!(!hub.ends[&b].overflowed, "under the limit");
    assert!(hub.events.is_empty());
    hub.send(a, Msg::Binary(chunk.clone()));
    hub.send(a, Msg::Binary(chunk.clone()));
    let end = &hub.ends[&b];
    assert!(end.overflowed);
    assert_eq!(
      (end.queue.len(), end.waiting_bytes),
      (0, 0),
      "the queue is freed"
    );
    assert!(
      matches!(hub.events.as_slice(), [(id, Msg::Error(m))] if *id == a && m.contains("send queue over 128 MiB")),
      "the worker's end hears why once"
    );
    hub.send(a, Msg::Binary(chunk));
    assert_eq!(hub.ends[&b].queue.len(), 0, "nothing is queued after");
  }

  #[test]
  fn only_a_pending_end_is_forgotten() {
    let mut hub = Hub::default();
    let (a, b) = hub.pair();
    hub.send(a, Msg::Text(Bytes::from_static(b"never read")));
    hub.accept(a).unwrap();
    hub.forget_if_pending(a);
    assert_eq!(hub.route(a), Some(Route::Js), "an accepted end stays");
    hub.forget_if_pending(b);
    assert_eq!(hub.route(b), None, "a pending end and its queue are freed");
    assert!(
      matches!(hub.events.as_slice(), [(id, Msg::Disconnected)] if *id == a),
      "its accepted peer hears it is gone"
    );
    hub.events.clear();
    hub.send(a, Msg::Text(Bytes::from_static(b"to nobody")));
    assert!(hub.events.is_empty());

    // The pending end of a connection stays until the connection ends,
    // also when it was dropped before its peer became the connection.
    let (c, d) = hub.pair();
    hub.forget_if_pending(c);
    hub.couple(d).unwrap();
    assert!(hub.ends[&c].orphaned);
    hub.connection_ended(d, true);
    assert_eq!((hub.route(c), hub.route(d)), (None, None), "both freed");

    // Both ends dropped, one after the other.
    let (e, f) = hub.pair();
    hub.forget_if_pending(e);
    hub.forget_if_pending(f);
    assert_eq!((hub.route(e), hub.route(f)), (None, None), "both freed");

    // Accepted after its other end was dropped: it hears that at once.
    let (g, h) = hub.pair();
    hub.forget_if_pending(g);
    hub.accept(h).unwrap();
    assert_eq!(hub.route(g), None);
    assert!(matches!(hub.events.as_slice(), [(id, Msg::Disconnected)] if *id == h));
  }
}
