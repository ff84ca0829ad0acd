//! The bridge between hyper's requests and the worker's `fetch` handler.
//!
//! The server side hands each request to the isolate through an unbounded
//! queue; JavaScript drains the queue in batches with `op_kiln_next_requests`
//! (one op call per wake-up, however many requests arrived), and answers each
//! one with `op_kiln_respond`. Bodies travel as deno resources so that large
//! bodies stream in both directions instead of being buffered.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use deno_core::{
  op2, AsyncRefCell, AsyncResult, BufView, ByteString, CancelFuture, CancelHandle, JsBuffer,
  OpState, RcRef, Resource, ResourceId,
};
use deno_error::JsErrorBox;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

/// Request bodies arrive from hyper (or, later, from another worker) as a
/// boxed body so that the isolate does not care where they came from.
pub type RequestBody = UnsyncBoxBody<Bytes, std::io::Error>;

/// One HTTP request waiting for the worker, with the channel its answer goes to.
pub struct IncomingRequest {
  pub method: String,
  pub url: String,
  pub headers: Vec<(ByteString, ByteString)>,
  /// `None` for requests that cannot carry a body (GET/HEAD without length).
  pub body: Option<RequestBody>,
  pub reply: oneshot::Sender<http::Response<ResponseBody>>,
  /// For a WebSocket upgrade request from a client connection: the upgrade
  /// and the client's `Sec-WebSocket-Key`.
  pub upgrade: Option<(hyper::upgrade::OnUpgrade, Vec<u8>)>,
}

/// A request handed to JavaScript and not answered yet.
struct Pending {
  reply: oneshot::Sender<http::Response<ResponseBody>>,
  upgrade: Option<(hyper::upgrade::OnUpgrade, Vec<u8>)>,
}

/// The receiving half of a worker's request queue, kept in the isolate's `OpState`.
pub struct RequestQueue {
  rx: Rc<AsyncRefCell<mpsc::UnboundedReceiver<IncomingRequest>>>,
  /// Requests handed to JavaScript that have not been answered yet.
  pending: RefCell<HashMap<u32, Pending>>,
  next_id: RefCell<u32>,
}

impl RequestQueue {
  pub fn new(rx: mpsc::UnboundedReceiver<IncomingRequest>) -> Self {
    Self {
      rx: Rc::new(AsyncRefCell::new(rx)),
      pending: RefCell::new(HashMap::new()),
      next_id: RefCell::new(1),
    }
  }
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
}

const MAX_BATCH: usize = 256;

/// Waits for at least one request, then returns every request that is queued
/// (up to a batch limit), or `null` once the server has shut down.
#[op2]
#[serde]
pub async fn op_kiln_next_requests(
  state: Rc<RefCell<OpState>>,
) -> Result<Option<Vec<RequestHead>>, JsErrorBox> {
  let rx = state.borrow().borrow::<RequestQueue>().rx.clone();
  let mut rx = RcRef::map(rx, |r| r).borrow_mut().await;
  let Some(first) = rx.recv().await else {
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
      headers: req.headers,
      body_rid,
    });
  }
  Ok(Some(heads))
}

/// Answers request `id`. The body is `body` unless `stream_rid` names a
/// readable resource (a JavaScript `ReadableStream` turned into a resource),
/// which is then pumped into the HTTP response as it produces chunks.
#[op2]
pub fn op_kiln_respond(
  state: &mut OpState,
  #[smi] id: u32,
  #[smi] status: u16,
  #[serde] headers: Vec<(ByteString, ByteString)>,
  #[buffer] body: JsBuffer,
  #[smi] stream_rid: i32,
) -> Result<(), JsErrorBox> {
  let Some(Pending { reply, .. }) = take_pending(state, id) else {
    // The request was already answered, or the client went away.
    return Ok(());
  };
  let body = if stream_rid >= 0 {
    let resource = state
      .resource_table
      .take_any(stream_rid as ResourceId)
      .map_err(JsErrorBox::from_err)?;
    ResponseBody::from_resource(resource)
  } else if body.is_empty() {
    ResponseBody::Empty
  } else {
    ResponseBody::Full(Some(Bytes::from(body.to_vec())))
  };
  send_response(reply, status, headers, body)
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
  let body = if body.is_empty() {
    ResponseBody::Empty
  } else {
    ResponseBody::Full(Some(Bytes::from(body)))
  };
  send_response(reply, status, headers, body)
}

/// The unanswered request `id`, taken out of the pending set.
fn take_pending(state: &OpState, id: u32) -> Option<Pending> {
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

fn send_response(
  reply: oneshot::Sender<http::Response<ResponseBody>>,
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

/// Answers request `id` with `101 Switching Protocols` and couples WebSocket
/// end `ws` to the client's connection once hyper has upgraded it.
#[op2]
pub fn op_kiln_respond_websocket(
  state: &mut OpState,
  #[smi] id: u32,
  #[smi] ws: i32,
  #[serde] headers: Vec<(ByteString, ByteString)>,
) -> Result<(), JsErrorBox> {
  // ws < 0: there is no socket to couple (it was accepted already); the
  // client gets its upgrade and then the end of the connection.
  let ws = u32::try_from(ws).ok();
  let hub = state.borrow::<crate::websocket::SharedHub>().clone();
  let Some(Pending { reply, upgrade }) = take_pending(state, id) else {
    return Ok(());
  };
  let Some((on_upgrade, key)) = upgrade else {
    return Err(JsErrorBox::type_error(
      "Worker tried to return a WebSocket in a response to a request which did not contain the header \"Upgrade: websocket\".",
    ));
  };
  if let Some(ws) = ws {
    crate::websocket::couple(&hub, ws)?;
  }
  let mut builder = http::Response::builder().status(101);
  for (name, value) in headers {
    // No extension is negotiated: kiln does not compress.
    let lower = String::from_utf8_lossy(&name).to_ascii_lowercase();
    if matches!(
      lower.as_str(),
      "sec-websocket-extensions"
        | "sec-websocket-accept"
        | "upgrade"
        | "connection"
        | "content-length"
    ) {
      continue;
    }
    builder = builder.header(name.as_slice(), value.as_slice());
  }
  let response = builder
    .header(http::header::UPGRADE, "websocket")
    .header(http::header::CONNECTION, "Upgrade")
    .header("sec-websocket-accept", crate::websocket::accept_key(&key))
    .body(ResponseBody::Empty)
    .map_err(|e| JsErrorBox::type_error(format!("Invalid response: {e}")))?;
  let _ = reply.send(response);
  deno_core::unsync::spawn(async move {
    match (on_upgrade.await, ws) {
      (Ok(upgraded), Some(ws)) => {
        let io = hyper_util::rt::TokioIo::new(upgraded);
        crate::websocket::run_network_end(hub, ws, io, fastwebsockets::Role::Server).await
      }
      (Ok(upgraded), None) => drop(upgraded),
      (Err(_), Some(ws)) => crate::websocket::upgrade_failed(&hub, ws),
      (Err(_), None) => {}
    }
  });
  Ok(())
}

/// A body JavaScript reads as a stream (through `readableStreamForRid`): an
/// incoming request's, or the response of another worker or server.
pub struct BodyResource<B> {
  body: AsyncRefCell<(B, Option<Bytes>)>,
  cancel: CancelHandle,
  size: (u64, Option<u64>),
}

impl<B> BodyResource<B>
where
  B: Body<Data = Bytes> + Unpin + 'static,
  B::Error: std::fmt::Display,
{
  pub fn new(body: B) -> Self {
    let hint = body.size_hint();
    Self {
      size: (hint.lower(), hint.upper()),
      body: AsyncRefCell::new((body, None)),
      cancel: CancelHandle::new(),
    }
  }

  async fn read_chunk(self: Rc<Self>, limit: usize) -> Result<BufView, JsErrorBox> {
    let mut guard = RcRef::map(&self, |r| &r.body).borrow_mut().await;
    let (body, leftover) = &mut *guard;
    loop {
      if let Some(mut chunk) = leftover.take() {
        if chunk.len() > limit {
          *leftover = Some(chunk.split_off(limit));
        }
        return Ok(BufView::from(chunk));
      }
      let cancel = RcRef::map(&self, |r| &r.cancel);
      match body.frame().or_cancel(cancel).await {
        Err(_) => return Err(JsErrorBox::generic("body: cancelled")),
        Ok(None) => return Ok(BufView::empty()),
        Ok(Some(Err(e))) => return Err(JsErrorBox::type_error(format!("body: {e}"))),
        Ok(Some(Ok(frame))) => {
          if let Ok(data) = frame.into_data() {
            if !data.is_empty() {
              *leftover = Some(data);
            }
          }
        }
      }
    }
  }
}

impl<B> Resource for BodyResource<B>
where
  B: Body<Data = Bytes> + Unpin + 'static,
  B::Error: std::fmt::Display,
{
  fn name(&self) -> Cow<'_, str> {
    "body".into()
  }

  fn read(self: Rc<Self>, limit: usize) -> AsyncResult<BufView> {
    Box::pin(self.read_chunk(limit))
  }

  fn size_hint(&self) -> (u64, Option<u64>) {
    self.size
  }

  fn close(self: Rc<Self>) {
    self.cancel.cancel();
  }
}

#[derive(Debug)]
pub struct ResponseError(pub String);

impl std::fmt::Display for ResponseError {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str(&self.0)
  }
}

impl std::error::Error for ResponseError {}

/// The body of a response produced by a worker.
pub enum ResponseBody {
  Empty,
  Full(Option<Bytes>),
  /// Chunks pumped from a JavaScript stream by a task on the isolate's thread;
  /// the bounded channel is what applies backpressure to the stream.
  Channel(mpsc::Receiver<Result<Bytes, ResponseError>>),
  /// A response from another server (an outbound WebSocket handshake that
  /// was not accepted).
  Incoming(hyper::body::Incoming),
}

const STREAM_READ_SIZE: usize = 64 * 1024;

impl ResponseBody {
  pub fn full(bytes: impl Into<Bytes>) -> Self {
    ResponseBody::Full(Some(bytes.into()))
  }

  /// A body pumped out of a readable resource (a JavaScript stream) by a task
  /// on this thread, for a reader on any thread.
  pub(crate) fn from_resource(resource: Rc<dyn Resource>) -> Self {
    let (tx, rx) = mpsc::channel(4);
    deno_core::unsync::spawn(async move {
      loop {
        match resource.clone().read(STREAM_READ_SIZE).await {
          Ok(buf) if buf.is_empty() => break,
          Ok(mut buf) => {
            let bytes = buf.copy_to_bytes(buf.remaining());
            if tx.send(Ok(bytes)).await.is_err() {
              break;
            }
          }
          Err(e) => {
            let _ = tx.send(Err(ResponseError(e.to_string()))).await;
            break;
          }
        }
      }
      resource.close();
    });
    ResponseBody::Channel(rx)
  }
}

impl Body for ResponseBody {
  type Data = Bytes;
  type Error = ResponseError;

  fn poll_frame(
    self: Pin<&mut Self>,
    cx: &mut Context<'_>,
  ) -> Poll<Option<Result<Frame<Bytes>, ResponseError>>> {
    match self.get_mut() {
      ResponseBody::Empty => Poll::Ready(None),
      ResponseBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
      ResponseBody::Channel(rx) => rx
        .poll_recv(cx)
        .map(|chunk| chunk.map(|r| r.map(Frame::data))),
      ResponseBody::Incoming(body) => Pin::new(body)
        .poll_frame(cx)
        .map(|f| f.map(|r| r.map_err(|e| ResponseError(e.to_string())))),
    }
  }

  fn is_end_stream(&self) -> bool {
    match self {
      ResponseBody::Empty => true,
      ResponseBody::Full(bytes) => bytes.is_none(),
      ResponseBody::Channel(_) => false,
      ResponseBody::Incoming(body) => body.is_end_stream(),
    }
  }

  fn size_hint(&self) -> SizeHint {
    match self {
      ResponseBody::Empty => SizeHint::with_exact(0),
      ResponseBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
      ResponseBody::Full(None) => SizeHint::with_exact(0),
      ResponseBody::Channel(_) => SizeHint::default(),
      ResponseBody::Incoming(body) => body.size_hint(),
    }
  }
}
