//! Service bindings: `env.BINDING.fetch()` (js/service.js) sends a request to
//! another worker of the same kiln process through that worker's request
//! queue, as a subrequest that never touches a socket.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use bytes::Bytes;
use deno_core::{op2, ByteString, JsBuffer, OpState, ResourceId};
use deno_error::JsErrorBox;
use http_body_util::BodyExt;
use kiln_host::http::IncomingRequest;
use kiln_host::registry::Registry;
use serde::Serialize;
use tokio::sync::oneshot;

use crate::http::{body_resource, header_list, header_map, pump_resource};

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

/// Sends a request through service binding `binding`. The body is `body`
/// unless `stream_rid` names a readable resource (a JavaScript stream).
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
  #[serde] stream_rid: Option<ResourceId>,
) -> Result<ServiceResponse, JsErrorBox> {
  let (target, sender) = {
    let state = state.borrow();
    let services = state.borrow::<ServiceBindings>();
    let target = services
      .bindings
      .get(&binding)
      .ok_or_else(|| JsErrorBox::type_error(format!("No service binding named \"{binding}\".")))?
      .clone();
    let sender = services.registry.get(&target);
    (target, sender)
  };
  let sender = sender.ok_or_else(|| {
    JsErrorBox::type_error(format!(
      "Service binding \"{binding}\": the worker \"{target}\" is not running in this kiln process."
    ))
  })?;
  let headers = header_map(&headers)?;
  let body = match stream_rid {
    Some(rid) => {
      let resource = state
        .borrow_mut()
        .resource_table
        .take_any(rid)
        .map_err(JsErrorBox::from_err)?;
      // The stream is pumped on this thread; the target worker reads it on its own.
      Some(
        pump_resource(resource)
          .map_err(std::io::Error::other)
          .boxed_unsync(),
      )
    }
    None if body.is_empty() => None,
    None => Some(
      http_body_util::Full::new(Bytes::from(body.to_vec()))
        .map_err(|never| match never {})
        .boxed_unsync(),
    ),
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
  let body_rid = body_resource(&mut state.borrow_mut(), body);
  Ok(ServiceResponse {
    status: parts.status.as_u16(),
    headers: header_list(&parts.headers),
    body_rid,
  })
}
