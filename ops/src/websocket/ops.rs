//! What js/websocket.js and js/dispatch.js call: pairs, accept, send, close,
//! the event pump, the 101 that couples an end to a client's connection, and
//! outbound connections. Each op that moves an end's route checks that its
//! mirror allows the move (see mod.rs).

use std::cell::RefCell;
use std::rc::Rc;

use bytes::Bytes;
use deno_core::{op2, v8, ByteString, CancelFuture, CancelHandle, OpState, ResourceId};
use deno_error::JsErrorBox;
use fastwebsockets::Role;
use hyper_util::rt::TokioIo;
use kiln_host::http::ResponseBody;
use serde::Serialize;

use super::conn::run_network_end;
use super::deflate;
use super::handshake::{client_handshake, switching_protocols, Handshake};
use super::hub::{EndId, Msg, Route, SharedHub};
use crate::http::{body_resource, header_list, take_pending, Pending};

pub(crate) fn hub(state: &OpState) -> SharedHub {
  state.borrow::<SharedHub>().clone()
}

#[op2]
#[serde]
pub fn op_ws_pair(state: &mut OpState) -> (EndId, EndId) {
  hub(state).borrow_mut().pair()
}

#[op2(fast)]
pub fn op_ws_accept(state: &mut OpState, #[smi] id: EndId) -> Result<(), JsErrorBox> {
  hub(state).borrow_mut().accept(id)
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

/// Queues a Close frame with `code` and `reason` behind everything sent
/// before it.
#[op2(fast)]
pub fn op_ws_close(
  state: &mut OpState,
  #[smi] id: EndId,
  #[smi] code: u16,
  #[string] reason: String,
) {
  hub(state)
    .borrow_mut()
    .send(id, Msg::Close(Some(code), reason));
}

/// Queues a Close frame with an empty body (no code, so no reason).
#[op2(fast)]
pub fn op_ws_close_without_code(state: &mut OpState, #[smi] id: EndId) {
  hub(state)
    .borrow_mut()
    .send(id, Msg::Close(None, String::new()));
}

/// JavaScript is done with an end: forget it.
#[op2(fast)]
pub fn op_ws_release(state: &mut OpState, #[smi] id: EndId) {
  let hub = hub(state);
  let mut hub = hub.borrow_mut();
  send_fail_close(&mut hub.ends, id);
  if matches!(hub.route(id), Some(Route::Pending | Route::Js)) {
    hub.ends.remove(&id);
  }
}

/// The object of end `id` was garbage-collected (a FinalizationRegistry in
/// js/websocket.js): an end never accepted nor returned is freed.
#[op2(fast)]
pub fn op_ws_forget(state: &mut OpState, #[smi] id: EndId) {
  hub(state).borrow_mut().forget_if_pending(id);
}

/// JavaScript has handled a protocol error on end `id`'s peer connection:
/// now the Close that fails that connection goes out.
#[op2(fast)]
pub fn op_ws_fail(state: &mut OpState, #[smi] id: EndId) {
  send_fail_close(&mut hub(state).borrow_mut().ends, id);
}

fn send_fail_close(ends: &mut std::collections::HashMap<EndId, super::hub::End>, id: EndId) {
  let Some(peer) = ends.get(&id).map(|e| e.peer) else {
    return;
  };
  if let Some(end) = ends.get_mut(&peer) {
    if let Some((code, reason)) = end.fail_code.take() {
      end.push_out(Msg::Close(Some(code), reason));
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
/// over the received bytes), 2 close (payload the reason, code null for a
/// Close without one), 3 disconnected, 4 error (payload the message). Built
/// directly as V8 values: no intermediate objects per event.
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
  let null: v8::Local<v8::Value> = v8::null(scope).into();
  let string = |scope: &mut v8::PinScope<'s, '_>, bytes: &[u8]| -> v8::Local<'s, v8::Value> {
    v8::String::new_from_utf8(scope, bytes, v8::NewStringType::Normal)
      .map(Into::into)
      .unwrap_or_else(|| v8::undefined(scope).into())
  };
  for (id, msg) in events {
    let (kind, payload, code) = match msg {
      Msg::Text(b) => (0, string(scope, &b), null),
      Msg::Binary(b) => {
        // Vec::from reuses the allocation when this is its only owner.
        let store = v8::ArrayBuffer::new_backing_store_from_vec(Vec::from(b)).make_shared();
        let buffer: v8::Local<v8::Value> =
          v8::ArrayBuffer::with_backing_store(scope, &store).into();
        (1, buffer, null)
      }
      Msg::Close(code, reason) => (
        2,
        string(scope, reason.as_bytes()),
        match code {
          Some(code) => v8::Integer::new(scope, i32::from(code)).into(),
          None => null,
        },
      ),
      Msg::Disconnected => (3, undefined, null),
      Msg::Error(message) => (4, string(scope, message.as_bytes()), null),
      // Only for connections (a pong, a message passed on compressed).
      Msg::Pong(_) | Msg::Deflated { .. } => continue,
    };
    values.push(v8::Integer::new_from_unsigned(scope, id).into());
    values.push(v8::Integer::new(scope, kind).into());
    values.push(payload);
    values.push(code);
  }
  v8::Array::new_with_elements(scope, &values)
}

/// Answers request `id` with `101 Switching Protocols` and couples end `end`
/// to the client's connection once hyper has upgraded it. `end` null: the
/// socket was accepted already (JavaScript has reported that), so there is
/// nothing to couple; the client gets its upgrade and then the end of the
/// connection, as from workerd.
#[op2]
pub fn op_kiln_respond_websocket(
  state: &mut OpState,
  #[smi] id: u32,
  #[serde] end: Option<EndId>,
  #[serde] headers: Vec<(ByteString, ByteString)>,
) -> Result<(), JsErrorBox> {
  let hub = hub(state);
  let Some(Pending { reply, upgrade }) = take_pending(state, id) else {
    return Ok(());
  };
  let Some(upgrade) = upgrade else {
    return Err(JsErrorBox::type_error(
      "Worker tried to return a WebSocket in a response to a request which did not contain the header \"Upgrade: websocket\".",
    ));
  };
  if let Some(end) = end {
    hub.borrow_mut().couple(end)?;
  }
  // Compression is agreed only for a socket kiln carries (not one already
  // accepted, whose connection ends at once).
  let agreement = match end {
    Some(_) if compression(state) => {
      let worker = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(b"sec-websocket-extensions"))
        .map(|(_, value)| String::from_utf8_lossy(value).into_owned());
      deflate::accept_offer(
        upgrade.extensions.iter().map(String::as_str),
        worker.as_deref(),
      )
    }
    _ => None,
  };
  let response = switching_protocols(&upgrade.key, &headers, agreement.as_ref())?;
  let _ = reply.send(response);
  deno_core::unsync::spawn(async move {
    match (upgrade.on_upgrade.await, end) {
      (Ok(upgraded), Some(end)) => {
        let io = TokioIo::new(upgraded);
        run_network_end(hub, end, io, Role::Server, agreement).await
      }
      (Ok(upgraded), None) => drop(upgraded),
      (Err(_), Some(end)) => hub.borrow_mut().connection_ended(end, true),
      (Err(_), None) => {}
    }
  });
  Ok(())
}

/// Whether the worker has `web_socket_compression` (permessage-deflate).
fn compression(state: &OpState) -> bool {
  state
    .borrow::<crate::worker::WorkerInfo>()
    .flags
    .contains(&"web_socket_compression")
}

/// The outcome of an outbound handshake.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Connected {
  status: u16,
  status_text: String,
  headers: Vec<(ByteString, ByteString)>,
  /// The JavaScript end of the new pair, for a 101.
  end: Option<EndId>,
  /// The body of any other answer.
  body_rid: Option<ResourceId>,
}

/// Connects to `url` with a WebSocket handshake (`new WebSocket()`, or
/// `fetch()` with `Upgrade: websocket`); on a 101 the connection becomes a
/// network end of a new pair and JavaScript gets the other end, any other
/// answer is an ordinary response. `cancel_rid`: a cancel handle that aborts
/// the attempt.
#[op2]
#[serde]
pub async fn op_ws_connect(
  state: Rc<RefCell<OpState>>,
  #[string] url: String,
  #[serde] headers: Vec<(ByteString, ByteString)>,
  #[serde] cancel_rid: Option<ResourceId>,
) -> Result<Connected, JsErrorBox> {
  let url =
    url::Url::parse(&url).map_err(|_| JsErrorBox::type_error(format!("Invalid URL: {url}")))?;
  let (tls, default_port) = match url.scheme() {
    "ws" | "http" => (false, 80),
    "wss" | "https" => (true, 443),
    other => {
      return Err(JsErrorBox::type_error(format!(
        "Fetch API cannot load: {url}: a WebSocket needs ws:, wss:, http: or https:, not {other}:"
      )))
    }
  };
  let host = url
    .host_str()
    .ok_or_else(|| JsErrorBox::type_error(format!("Invalid URL: {url}")))?
    .to_string();
  let port = url.port().unwrap_or(default_port);
  let cancel =
    cancel_rid.and_then(|rid| state.borrow().resource_table.get::<CancelHandle>(rid).ok());
  // The caller's offer goes out under web_socket_compression (js/websocket.js
  // makes one for `new WebSocket()`); without it, none does.
  let (offers, headers): (Vec<_>, Vec<_>) = headers
    .into_iter()
    .partition(|(name, _)| name.eq_ignore_ascii_case(b"sec-websocket-extensions"));
  let offer = compression(&state.borrow())
    .then(|| {
      let given: Vec<String> = offers
        .iter()
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .collect();
      deflate::normalize_offer(&given.join(", "))
    })
    .flatten();
  // A server that accepts and never answers, or a connect that hangs,
  // fails the attempt rather than holding the socket open for good.
  let limit = state
    .borrow()
    .borrow::<crate::worker::WorkerInfo>()
    .connect_timeout;
  let attempt = async {
    let handshake = client_handshake(&url, tls, &host, port, headers, offer);
    match tokio::time::timeout(limit, handshake).await {
      Ok(outcome) => outcome,
      Err(_) => Err(JsErrorBox::type_error(format!(
        "The WebSocket connection to {url} did not connect and finish its handshake within {} ms.",
        limit.as_millis()
      ))),
    }
  };
  let handshake = match cancel {
    Some(cancel) => attempt.or_cancel(cancel).await.map_err(|_| {
      JsErrorBox::new(
        "DOMExceptionAbortError",
        "The connection attempt was aborted.",
      )
    })?,
    None => attempt.await,
  }?;
  let (response, upgraded) = match handshake {
    Handshake::Answered(response) => (response, None),
    Handshake::Upgraded {
      response,
      upgraded,
      agreement,
    } => (response, Some((upgraded, agreement))),
    Handshake::Refused(why) => {
      let body = body_resource(&mut state.borrow_mut(), ResponseBody::full(why));
      return Ok(Connected {
        status: 502,
        status_text: "Bad Gateway".into(),
        headers: Vec::new(),
        end: None,
        body_rid: body,
      });
    }
  };
  let (parts, body) = response.into_parts();
  let headers = header_list(&parts.headers);
  let status_text = parts.status.canonical_reason().unwrap_or("").to_string();
  let hub = state.borrow().borrow::<SharedHub>().clone();
  let (end, body_rid) = match upgraded {
    Some((upgraded, agreement)) => {
      let (js_end, network_end) = hub.borrow_mut().pair();
      hub.borrow_mut().couple(network_end)?;
      deno_core::unsync::spawn(run_network_end(
        hub,
        network_end,
        TokioIo::new(upgraded),
        Role::Client,
        agreement,
      ));
      (Some(js_end), None)
    }
    None => {
      let rid = body_resource(&mut state.borrow_mut(), ResponseBody::Incoming(body));
      (None, rid)
    }
  };
  Ok(Connected {
    status: parts.status.as_u16(),
    status_text,
    headers,
    end,
    body_rid,
  })
}

/// Tears down the connection behind a JavaScript end (an aborted signal, a
/// listener that threw): the peer sees the connection vanish.
#[op2(fast)]
pub fn op_ws_abort(state: &mut OpState, #[smi] id: EndId) {
  hub(state).borrow_mut().send(id, Msg::Disconnected);
}
