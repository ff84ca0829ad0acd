//! Hibernatable WebSockets (`ctx.acceptWebSocket()`): what Rust keeps of
//! each one so that its Durable Object can be evicted while the connection
//! stays open, and the ops js/websocket.js and js/durable_objects.js call.
//!
//! While the object is awake, such an end is an ordinary accepted end (its
//! events go to JavaScript) whose text messages equal to the object's
//! auto-response request are answered here, in hub.rs, without an event.
//! When the object hibernates, JavaScript drops the end's `WebSocket` object
//! and hands its attachment to Rust (`op_ws_hibernate`): from then on no
//! JavaScript object exists for it. Its next event reaches the event pump
//! with an id JavaScript no longer knows; the pump asks which object it
//! belongs to (`op_ws_sleeping_object`) and wakes that object, which takes
//! back every sleeping end of its own (`op_ws_wake`) as fresh `WebSocket`
//! objects with their tags, attachment and close state.

use std::rc::Rc;

use bytes::Bytes;
use deno_core::{op2, v8, OpState, ToJsBuffer};
use deno_error::JsErrorBox;
use serde::Serialize;

use super::hub::{EndId, Hub, Route};
use super::ops::hub;

/// What an end accepted with `ctx.acceptWebSocket()` keeps in Rust.
#[derive(Debug)]
pub struct Hibernatable {
  /// Its Durable Object, as "Class:hex".
  pub object: Rc<str>,
  /// Accept order within the isolate.
  pub seq: u64,
  pub tags: Vec<String>,
  /// When an auto-response last answered it (ms since the epoch).
  pub auto_response_at: Option<f64>,
  /// `serializeAttachment()`'s bytes, held here only while the object
  /// hibernates (JavaScript holds them while it is awake).
  pub attachment: Option<Bytes>,
  /// The object is hibernating: no JavaScript object exists for this end.
  pub asleep: bool,
}

/// `ctx.setWebSocketAutoResponse()`'s pair.
#[derive(Debug, Clone)]
pub struct AutoResponse {
  pub request: String,
  pub response: Bytes,
}

pub fn now_ms() -> f64 {
  std::time::SystemTime::now()
    .duration_since(std::time::UNIX_EPOCH)
    .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// What Rust keeps of end `id`, if it was accepted with `acceptWebSocket()`.
fn hibernatable(hub: &Hub, id: EndId) -> Option<&Hibernatable> {
  hub.ends.get(&id).and_then(|end| end.hibernation.as_deref())
}

/// Accepts end `id` for Durable Object `object` ("Class:hex") with `tags`.
#[op2]
pub fn op_ws_accept_hibernatable(
  state: &mut OpState,
  #[smi] id: EndId,
  #[string] object: String,
  #[serde] tags: Vec<String>,
) -> Result<(), JsErrorBox> {
  let hub = hub(state);
  let mut hub = hub.borrow_mut();
  hub.accept(id)?;
  hub.next_seq += 1;
  let seq = hub.next_seq;
  if let Some(end) = hub.ends.get_mut(&id) {
    end.hibernation = Some(Box::new(Hibernatable {
      object: Rc::from(object),
      seq,
      tags,
      auto_response_at: None,
      attachment: None,
      asleep: false,
    }));
  }
  Ok(())
}

/// The socket was closed or failed: it no longer belongs to its object's
/// `getWebSockets()` nor answers auto-responses.
#[op2(fast)]
pub fn op_ws_leave(state: &mut OpState, #[smi] id: EndId) {
  if let Some(end) = hub(state).borrow_mut().ends.get_mut(&id) {
    end.hibernation = None;
  }
}

#[op2(fast)]
pub fn op_ws_set_auto_response(
  state: &mut OpState,
  #[string] object: &str,
  #[string] request: String,
  #[string] response: String,
) {
  hub(state).borrow_mut().auto_responses.insert(
    Rc::from(object),
    AutoResponse {
      request,
      response: Bytes::from(response.into_bytes()),
    },
  );
}

#[op2(fast)]
pub fn op_ws_clear_auto_response(state: &mut OpState, #[string] object: &str) {
  hub(state).borrow_mut().auto_responses.remove(object);
}

/// The object's auto-response pair as `[request, response]`, if it has one
/// (it outlives the object's hibernation).
#[op2]
#[serde]
pub fn op_ws_auto_response(state: &mut OpState, #[string] object: &str) -> Vec<String> {
  let hub = hub(state);
  let hub = hub.borrow();
  match hub.auto_responses.get(object) {
    Some(pair) => vec![
      pair.request.clone(),
      String::from_utf8_lossy(&pair.response).into_owned(),
    ],
    None => Vec::new(),
  }
}

/// When an auto-response last answered end `id`: `[ms]`, or `[]` if never.
#[op2]
#[serde]
pub fn op_ws_auto_response_at(state: &mut OpState, #[smi] id: EndId) -> Vec<f64> {
  let hub = hub(state);
  let hub = hub.borrow();
  hibernatable(&hub, id)
    .and_then(|h| h.auto_response_at)
    .into_iter()
    .collect()
}

/// The object of end `id` hibernates: Rust keeps its attachment (`[]` for
/// none; an attachment is never empty, it has a serialization header).
#[op2]
pub fn op_ws_hibernate(
  state: &mut OpState,
  #[smi] id: EndId,
  #[anybuffer] attachment: &[u8],
) -> Result<(), JsErrorBox> {
  let hub = hub(state);
  let mut hub = hub.borrow_mut();
  match hub.ends.get_mut(&id) {
    Some(end) if end.route == Route::Js && end.hibernation.is_some() => {
      if let Some(h) = end.hibernation.as_deref_mut() {
        h.asleep = true;
        h.attachment = (!attachment.is_empty()).then(|| Bytes::copy_from_slice(attachment));
      }
      Ok(())
    }
    other => Err(JsErrorBox::type_error(format!(
      "kiln internal error: WebSocket end {id} cannot hibernate (its Rust side is {:?})",
      other.map(|e| e.route)
    ))),
  }
}

/// The object ("Class:hex") a sleeping end belongs to, so that its event
/// can wake it: `[object]`, or `[]` for an end that is not asleep.
#[op2]
#[serde]
pub fn op_ws_sleeping_object(state: &mut OpState, #[smi] id: EndId) -> Vec<String> {
  let hub = hub(state);
  let hub = hub.borrow();
  hibernatable(&hub, id)
    .filter(|h| h.asleep)
    .map(|h| h.object.to_string())
    .into_iter()
    .collect()
}

/// One sleeping end, handed back to its waking object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Restored {
  id: EndId,
  tags: Vec<String>,
  attachment: Option<ToJsBuffer>,
  /// The object had called `close()` on it before hibernating.
  closed_out: bool,
}

/// Object `object` wakes: every end of it that slept, in accept order.
#[op2]
#[serde]
pub fn op_ws_wake(state: &mut OpState, #[string] object: &str) -> Vec<Restored> {
  let hub = hub(state);
  let mut hub = hub.borrow_mut();
  let mut found: Vec<(u64, Restored)> = Vec::new();
  for (id, end) in hub.ends.iter_mut() {
    let closed_out = end.closed_out;
    let Some(h) = end.hibernation.as_deref_mut() else {
      continue;
    };
    if !h.asleep || &*h.object != object {
      continue;
    }
    h.asleep = false;
    found.push((
      h.seq,
      Restored {
        id: *id,
        tags: h.tags.clone(),
        attachment: h.attachment.take().map(|b| Vec::from(b).into()),
        closed_out,
      },
    ));
  }
  found.sort_by_key(|(seq, _)| *seq);
  found.into_iter().map(|(_, r)| r).collect()
}

/// Objects have hibernated: the engine collects what their instances and
/// `WebSocket` objects held, and the allocator gives the freed pages back to
/// the system, so that a hibernated socket costs only its Rust side.
/// JavaScript calls this at most once a second.
#[op2(fast)]
pub fn op_ws_release_memory(isolate: &mut v8::Isolate) {
  isolate.low_memory_notification();
  give_back_free_pages();
}

/// Has the allocator return the pages it holds free to the system (glibc
/// keeps them otherwise, in the arenas of the threads that freed them).
pub(crate) fn give_back_free_pages() {
  #[cfg(all(target_os = "linux", target_env = "gnu"))]
  // SAFETY: malloc_trim only returns free memory to the system; it takes
  // glibc's allocator lock like any malloc call.
  unsafe {
    libc::malloc_trim(0);
  }
}

/// Objects with sleeping ends, each with how many: for the control endpoint.
#[op2]
#[serde]
pub fn op_ws_sleeping_objects(state: &mut OpState) -> Vec<(String, u32)> {
  let hub = hub(state);
  let hub = hub.borrow();
  let mut counts: std::collections::BTreeMap<&str, u32> = Default::default();
  for end in hub.ends.values() {
    if let Some(h) = end.hibernation.as_ref().filter(|h| h.asleep) {
      *counts.entry(&h.object).or_default() += 1;
    }
  }
  counts
    .into_iter()
    .map(|(object, n)| (object.to_string(), n))
    .collect()
}

#[cfg(test)]
mod tests {
  use super::super::hub::{Hub, Msg};
  use super::*;

  fn hibernatable(hub: &mut Hub, object: &str) -> (EndId, EndId) {
    let (a, b) = hub.pair();
    hub.accept(a).unwrap();
    hub.next_seq += 1;
    hub.ends.get_mut(&a).unwrap().hibernation = Some(Box::new(Hibernatable {
      object: Rc::from(object),
      seq: hub.next_seq,
      tags: vec![],
      auto_response_at: None,
      attachment: None,
      asleep: false,
    }));
    (a, b)
  }

  #[test]
  fn an_auto_response_is_answered_without_an_event() {
    let mut hub = Hub::default();
    let (a, b) = hibernatable(&mut hub, "Room:1");
    hub.auto_responses.insert(
      Rc::from("Room:1"),
      AutoResponse {
        request: "ping".into(),
        response: Bytes::from_static(b"pong"),
      },
    );
    hub.send(b, Msg::Text(Bytes::from_static(b"ping")));
    hub.send(b, Msg::Binary(Bytes::from_static(b"ping")));
    hub.send(b, Msg::Text(Bytes::from_static(b"ping ")));
    // The binary "ping" and "ping " are events; the text "ping" is not.
    assert_eq!(hub.events.len(), 2);
    assert!(matches!(&hub.ends[&b].queue.as_slices().0, [Msg::Text(t)] if t == "pong"));
    assert!(hub.ends[&a]
      .hibernation
      .as_ref()
      .unwrap()
      .auto_response_at
      .is_some());
    // After the object's own close(), nothing more is answered.
    hub.send(a, Msg::Close(Some(1000), String::new()));
    hub.send(b, Msg::Text(Bytes::from_static(b"ping")));
    assert_eq!(hub.ends[&b].queue.len(), 2, "pong, then the Close only");
  }

  #[test]
  fn a_plain_accepted_end_never_auto_responds() {
    let mut hub = Hub::default();
    let (a, b) = hub.pair();
    hub.accept(a).unwrap();
    hub.auto_responses.insert(
      Rc::from("Room:1"),
      AutoResponse {
        request: "ping".into(),
        response: Bytes::from_static(b"pong"),
      },
    );
    hub.send(b, Msg::Text(Bytes::from_static(b"ping")));
    assert_eq!(hub.events.len(), 1);
    assert!(hub.ends[&b].queue.is_empty());
    let _ = a;
  }
}
