//! Bodies as deno resources: a body JavaScript reads as a stream (an incoming
//! request's, or the response of another worker or server), and a JavaScript
//! stream pumped into a body the host sends on.

use std::borrow::Cow;
use std::rc::Rc;

use bytes::{Buf, Bytes};
use deno_core::{
  AsyncRefCell, AsyncResult, BufView, CancelFuture, CancelHandle, OpState, RcRef, Resource,
};
use deno_error::JsErrorBox;
use http_body::Body;
use http_body_util::BodyExt;
use kiln_host::http::{ResponseBody, ResponseError};
use tokio::sync::mpsc;

/// A body JavaScript reads through `readableStreamForRid`.
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

/// A resource JavaScript reads a response body from (`None` for no body).
pub fn body_resource(state: &mut OpState, body: ResponseBody) -> Option<u32> {
  if body.is_end_stream() {
    return None;
  }
  Some(state.resource_table.add(BodyResource::new(body)))
}

const STREAM_READ_SIZE: usize = 64 * 1024;

/// A body pumped out of a readable resource (a JavaScript stream) by a task
/// on this thread, for a reader on any thread.
pub fn pump_resource(resource: Rc<dyn Resource>) -> ResponseBody {
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
