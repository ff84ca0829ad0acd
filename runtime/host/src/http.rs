//! What travels between the HTTP server (or another worker) and a worker: a
//! request with the channel its answer goes back on, and the body of that
//! answer. Bodies stream in both directions; nothing here buffers one whole.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use tokio::sync::{mpsc, oneshot};

/// A request body, from a client connection or from another worker.
pub type RequestBody = UnsyncBoxBody<Bytes, std::io::Error>;

/// Where a worker's answer to one request goes.
pub type Reply = oneshot::Sender<http::Response<ResponseBody>>;

/// One HTTP request waiting for a worker.
pub struct IncomingRequest {
  pub method: String,
  pub url: String,
  pub headers: http::HeaderMap,
  /// `None` for requests that cannot carry a body (GET/HEAD without length).
  pub body: Option<RequestBody>,
  pub reply: Reply,
  /// Set for a WebSocket upgrade request from a client connection.
  pub upgrade: Option<WebSocketUpgrade>,
  /// Set for a call into a Durable Object this worker defines, made by a
  /// stub in another worker of the process.
  pub durable_object: Option<ObjectAddress>,
  /// Set for a batch of queue messages for the worker's `queue()` handler
  /// (see `crate::queues`): the queue's name.
  pub queue: Option<String>,
}

/// A Durable Object of a worker, as a stub in another worker names it.
#[derive(Clone, Debug)]
pub struct ObjectAddress {
  pub class_name: String,
  /// The id, as 64 lowercase hex digits.
  pub id: String,
  /// The name the id was made from, if the caller knows it.
  pub name: Option<String>,
  /// An RPC call (the body is the structured-clone of the arguments and
  /// the URL's path the method) rather than a `fetch`.
  pub rpc: bool,
}

/// What a worker needs to answer a request with `101 Switching Protocols`
/// and take over the connection.
pub struct WebSocketUpgrade {
  pub on_upgrade: hyper::upgrade::OnUpgrade,
  /// The client's `Sec-WebSocket-Key`.
  pub key: Vec<u8>,
  /// Each `Sec-WebSocket-Extensions` value of the request: the client's
  /// offers (permessage-deflate).
  pub extensions: Vec<String>,
}

/// The sending side of a worker's request queue.
pub type RequestSender = mpsc::UnboundedSender<IncomingRequest>;

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
  /// Chunks produced on the worker's thread (a JavaScript stream); the
  /// bounded channel is what applies backpressure to the producer.
  Channel(mpsc::Receiver<Result<Bytes, ResponseError>>),
  /// A response from another server, passed on as it arrives.
  Incoming(hyper::body::Incoming),
}

impl ResponseBody {
  pub fn full(bytes: impl Into<Bytes>) -> Self {
    ResponseBody::Full(Some(bytes.into()))
  }

  /// A body given whole; none at all when it is empty.
  pub fn whole(bytes: impl Into<Bytes>) -> Self {
    let bytes = bytes.into();
    if bytes.is_empty() {
      ResponseBody::Empty
    } else {
      ResponseBody::Full(Some(bytes))
    }
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

/// A plain-text response made by kiln itself (the worker could not answer).
pub fn error_response(status: u16, message: &'static str) -> http::Response<ResponseBody> {
  text_response(status, Bytes::from_static(message.as_bytes()))
}

/// The same, for a message made at run time.
pub fn text_response(status: u16, message: impl Into<Bytes>) -> http::Response<ResponseBody> {
  let mut response = http::Response::new(ResponseBody::full(message.into()));
  *response.status_mut() =
    http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
  response.headers_mut().insert(
    http::header::CONTENT_TYPE,
    http::HeaderValue::from_static("text/plain;charset=UTF-8"),
  );
  response
}
