//! Service bindings: `env.BINDING.fetch()` sends a request to another worker
//! of the same kiln process through that worker's request queue, as a
//! subrequest that never touches a socket.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use deno_core::{op2, ByteString, JsBuffer, OpState};
use deno_error::JsErrorBox;
use http_body::Body;
use http_body_util::BodyExt;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::http::{IncomingRequest, ResponseBody};

/// Every worker of the process by name, filled in once they have started.
pub type Registry = Arc<RwLock<HashMap<String, mpsc::UnboundedSender<IncomingRequest>>>>;

/// A worker's service bindings: binding name → worker name.
pub struct ServiceBindings {
  pub bindings: HashMap<String, String>,
  pub registry: Registry,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceResponse {
  status: u16,
  headers: Vec<(ByteString, ByteString)>,
  body_rid: Option<u32>,
}

#[op2]
#[serde]
#[allow(clippy::too_many_arguments)]
pub async fn op_kiln_service_fetch(
  state: Rc<RefCell<OpState>>,
  #[string] binding: String,
  #[string] method: String,
  #[string] url: String,
  #[serde] headers: Vec<(ByteString, ByteString)>,
  #[buffer] body: JsBuffer,
  #[smi] stream_rid: i32,
) -> Result<ServiceResponse, JsErrorBox> {
  let (target, sender) = {
    let state = state.borrow();
    let services = state.borrow::<ServiceBindings>();
    let target = services
      .bindings
      .get(&binding)
      .ok_or_else(|| JsErrorBox::type_error(format!("No service binding named \"{binding}\".")))?
      .clone();
    let sender = services.registry.read().unwrap().get(&target).cloned();
    (target, sender)
  };
  let sender = sender.ok_or_else(|| {
    JsErrorBox::type_error(format!(
      "Service binding \"{binding}\": the worker \"{target}\" is not running in this kiln process."
    ))
  })?;
  let body = if stream_rid >= 0 {
    let resource = state
      .borrow_mut()
      .resource_table
      .take_any(stream_rid as u32)
      .map_err(JsErrorBox::from_err)?;
    // The stream is pumped on this thread; the target worker reads it on its own.
    Some(
      ResponseBody::from_resource(resource)
        .map_err(std::io::Error::other)
        .boxed_unsync(),
    )
  } else if body.is_empty() {
    None
  } else {
    let bytes = Bytes::from(body.to_vec());
    Some(
      http_body_util::Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync(),
    )
  };
  let (reply, response) = oneshot::channel();
  sender
    .send(IncomingRequest {
      method,
      url,
      headers,
      body,
      reply,
      upgrade: None,
    })
    .map_err(|_| JsErrorBox::type_error(format!("The worker \"{target}\" has stopped.")))?;
  let response = response
    .await
    .map_err(|_| JsErrorBox::type_error(format!("The worker \"{target}\" did not respond.")))?;
  let (parts, body) = response.into_parts();
  let headers = crate::http::header_list(&parts.headers);
  let body_rid = body_resource(&mut state.borrow_mut(), body);
  Ok(ServiceResponse {
    status: parts.status.as_u16(),
    headers,
    body_rid,
  })
}

/// A resource JavaScript reads a response body from (`None` for no body).
pub fn body_resource(state: &mut OpState, body: ResponseBody) -> Option<u32> {
  if body.is_end_stream() {
    return None;
  }
  Some(
    state
      .resource_table
      .add(crate::http::BodyResource::new(body)),
  )
}
