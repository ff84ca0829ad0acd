//! The `fetch` handler's side of HTTP: the host hands each request to the
//! isolate through the worker's queue; JavaScript (js/dispatch.js) drains the
//! queue in batches with `op_kiln_next_requests` (one op call per wake-up,
//! however many requests arrived) and answers each one with one of the
//! `op_kiln_respond*` ops. Bodies travel as deno resources (body.rs) so that
//! large bodies stream in both directions instead of being buffered.

pub mod body;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use deno_core::{op2, AsyncRefCell, ByteString, JsBuffer, OpState, RcRef, ResourceId};
use deno_error::JsErrorBox;
use kiln_host::http::{IncomingRequest, Reply, ResponseBody, WebSocketUpgrade};
use serde::Serialize;
use tokio::sync::mpsc;

pub use body::{body_resource, pump_resource, BodyResource};

/// A request handed to JavaScript and not answered yet.
pub(crate) struct Pending {
  pub reply: Reply,
  pub upgrade: Option<WebSocketUpgrade>,
}

/// The receiving half of a worker's request queue, kept in the isolate's `OpState`.
pub struct RequestQueue {
  rx: Rc<AsyncRefCell<mpsc::UnboundedReceiver<IncomingRequest>>>,
  /// Set when a new isolate takes over the queue (a reload): this one
  /// takes no more requests and answers those it has.
  retired: Rc<tokio::sync::Notify>,
  is_retired: std::cell::Cell<bool>,
  /// Requests handed to JavaScript that have not been answered yet.
  pending: RefCell<HashMap<u32, Pending>>,
  next_id: RefCell<u32>,
}

/// A worker's request receiver, shared by the isolates it runs in turn (a
/// new one replaces an isolate stopped for exceeding its limits).
pub type SharedReceiver = Rc<AsyncRefCell<mpsc::UnboundedReceiver<IncomingRequest>>>;

pub fn shared_receiver(rx: mpsc::UnboundedReceiver<IncomingRequest>) -> SharedReceiver {
  Rc::new(AsyncRefCell::new(rx))
}

impl RequestQueue {
  pub fn new(rx: SharedReceiver) -> Self {
    Self {
      rx,
      retired: Rc::new(tokio::sync::Notify::new()),
      is_retired: std::cell::Cell::new(false),
      pending: RefCell::new(HashMap::new()),
      next_id: RefCell::new(1),
    }
  }
}

/// Stops this isolate taking requests from the worker's queue: its
/// dispatch loop ends (`op_kiln_next_requests` answers null), the requests
/// it has go on, and the next isolate takes the queue.
pub fn retire(state: &OpState) {
  let queue = state.borrow::<RequestQueue>();
  queue.is_retired.set(true);
  queue.retired.notify_waiters();
}

/// Answers every request JavaScript was given and has not answered with
/// `status` and `text` (the isolate that had them is being replaced).
/// Answers how many there were.
pub fn fail_pending(state: &OpState, status: u16, text: &'static str) -> usize {
  let pending: Vec<Pending> = state
    .borrow::<RequestQueue>()
    .pending
    .borrow_mut()
    .drain()
    .map(|(_, p)| p)
    .collect();
  let count = pending.len();
  for p in pending {
    let _ = p.reply.send(kiln_host::http::error_response(status, text));
  }
  count
}

/// Requests handed to JavaScript and not answered yet (for a graceful
/// shutdown).
pub fn in_flight(state: &OpState) -> usize {
  state.borrow::<RequestQueue>().pending.borrow().len()
}

/// What JavaScript sees of a request: enough to build a `Request` object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestHead {
  id: u32,
  method: String,
  url: String,
  headers: Vec<(ByteString, ByteString)>,
  body_rid: Option<ResourceId>,
  /// For a call from another worker into one of this worker's Durable Objects.
  durable_object: Option<ObjectHead>,
  /// For a batch of queue messages: the queue's name (js/queues.js).
  queue: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectHead {
  class_name: String,
  id: String,
  name: Option<String>,
  rpc: bool,
}

const MAX_BATCH: usize = 256;

/// Waits for at least one request, then returns every request that is queued
/// (up to a batch limit), or `null` once the server has shut down.
#[op2]
#[serde]
pub async fn op_kiln_next_requests(
  state: Rc<RefCell<OpState>>,
) -> Result<Option<Vec<RequestHead>>, JsErrorBox> {
  let (rx, retired) = {
    let state = state.borrow();
    let queue = state.borrow::<RequestQueue>();
    if queue.is_retired.get() {
      return Ok(None);
    }
    (queue.rx.clone(), queue.retired.clone())
  };
  // Made before waiting, so that a retire() from now on ends the wait.
  let retired = retired.notified();
  tokio::pin!(retired);
  let mut rx = tokio::select! {
    rx = RcRef::map(rx, |r| r).borrow_mut() => rx,
    _ = retired.as_mut() => return Ok(None),
  };
  let first = tokio::select! {
    first = rx.recv() => first,
    _ = retired.as_mut() => None,
  };
  let Some(first) = first else {
    return Ok(None);
  };
  let mut batch = vec![first];
  while batch.len() < MAX_BATCH {
    match rx.try_recv() {
      Ok(req) => batch.push(req),
      Err(_) => break,
    }
  }
  drop(rx);
  let mut state = state.borrow_mut();
  let mut heads = Vec::with_capacity(batch.len());
  for req in batch {
    let body_rid = req
      .body
      .map(|body| state.resource_table.add(BodyResource::new(body)));
    let queue = state.borrow::<RequestQueue>();
    let id = {
      let mut next = queue.next_id.borrow_mut();
      let id = *next;
      *next = next.wrapping_add(1).max(1);
      id
    };
    queue.pending.borrow_mut().insert(
      id,
      Pending {
        reply: req.reply,
        upgrade: req.upgrade,
      },
    );
    heads.push(RequestHead {
      id,
      method: req.method,
      url: req.url,
      headers: header_list(&req.headers),
      body_rid,
      durable_object: req.durable_object.map(|o| ObjectHead {
        class_name: o.class_name,
        id: o.id,
        name: o.name,
        rpc: o.rpc,
      }),
      queue: req.queue,
    });
  }
  Ok(Some(heads))
}

/// Answers request `id` with a body given whole (possibly empty).
#[op2]
pub fn op_kiln_respond(
  state: &mut OpState,
  #[smi] id: u32,
  #[smi] status: u16,
  #[serde] headers: Vec<(ByteString, ByteString)>,
  #[buffer] body: JsBuffer,
) -> Result<(), JsErrorBox> {
  let Some(Pending { reply, .. }) = take_pending(state, id) else {
    // The request was already answered, or the client went away.
    return Ok(());
  };
  send_response(reply, status, headers, ResponseBody::whole(body.to_vec()))
}

/// Answers request `id` with the body read from resource `rid` (a JavaScript
/// `ReadableStream` turned into a resource), pumped as it produces chunks.
#[op2]
pub fn op_kiln_respond_stream(
  state: &mut OpState,
  #[smi] id: u32,
  #[smi] status: u16,
  #[serde] headers: Vec<(ByteString, ByteString)>,
  #[smi] rid: ResourceId,
) -> Result<(), JsErrorBox> {
  let resource = state
    .resource_table
    .take_any(rid)
    .map_err(JsErrorBox::from_err)?;
  let Some(Pending { reply, .. }) = take_pending(state, id) else {
    resource.close();
    return Ok(());
  };
  send_response(reply, status, headers, pump_resource(resource))
}

/// Answers request `id` with a string body (the common case: no encoding in
/// JavaScript, no intermediate buffer).
#[op2]
pub fn op_kiln_respond_text(
  state: &mut OpState,
  #[smi] id: u32,
  #[smi] status: u16,
  #[serde] headers: Vec<(ByteString, ByteString)>,
  #[string] body: String,
) -> Result<(), JsErrorBox> {
  let Some(Pending { reply, .. }) = take_pending(state, id) else {
    return Ok(());
  };
  send_response(reply, status, headers, ResponseBody::whole(body))
}

/// The unanswered request `id`, taken out of the pending set.
pub(crate) fn take_pending(state: &OpState, id: u32) -> Option<Pending> {
  state
    .borrow::<RequestQueue>()
    .pending
    .borrow_mut()
    .remove(&id)
}

/// A header map as deno's header lists are: (name, value) byte strings.
pub fn header_list(headers: &http::HeaderMap) -> Vec<(ByteString, ByteString)> {
  headers
    .iter()
    .map(|(name, value)| {
      (
        ByteString::from(name.as_str()),
        ByteString::from(value.as_bytes().to_vec()),
      )
    })
    .collect()
}

/// A header list from JavaScript as a header map; deno_fetch's `Headers`
/// has validated every name and value already, so an error here is a bug
/// reported to the caller rather than a panic.
pub fn header_map(headers: &[(ByteString, ByteString)]) -> Result<http::HeaderMap, JsErrorBox> {
  let mut map = http::HeaderMap::with_capacity(headers.len());
  for (name, value) in headers {
    let name = http::HeaderName::from_bytes(name)
      .map_err(|e| JsErrorBox::type_error(format!("Invalid header name: {e}")))?;
    let value = http::HeaderValue::from_bytes(value)
      .map_err(|e| JsErrorBox::type_error(format!("Invalid header value: {e}")))?;
    map.append(name, value);
  }
  Ok(map)
}

fn send_response(
  reply: Reply,
  status: u16,
  headers: Vec<(ByteString, ByteString)>,
  body: ResponseBody,
) -> Result<(), JsErrorBox> {
  let mut builder = http::Response::builder().status(status);
  for (name, value) in headers {
    builder = builder.header(name.as_slice(), value.as_slice());
  }
  let response = builder
    .body(body)
    .map_err(|e| JsErrorBox::type_error(format!("Invalid response: {e}")))?;
  let _ = reply.send(response);
  Ok(())
}
