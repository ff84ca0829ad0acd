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
use kiln_host::http::{IncomingRequest, ObjectAddress};
use kiln_host::registry::Registry;
use serde::{Deserialize, Serialize};
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
  let target = {
    let state = state.borrow();
    let services = state.borrow::<ServiceBindings>();
    services
      .bindings
      .get(&binding)
      .ok_or_else(|| JsErrorBox::type_error(format!("No service binding named \"{binding}\".")))?
      .clone()
  };
  let request = Subrequest {
    method,
    url,
    headers,
    body,
    stream_rid,
  };
  call_worker(&state, &target, request, None)
    .await
    .map_err(|e| match e {
      CallError::NotRunning => JsErrorBox::type_error(format!(
        "Service binding \"{binding}\": the worker \"{target}\" is not running in this kiln process."
      )),
      CallError::Other(e) => e,
    })
}

/// Where a stub of another worker's Durable Object sends a call.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteObject {
  script_name: String,
  class_name: String,
  id: String,
  name: Option<String>,
  rpc: bool,
}

/// A call into a Durable Object that another worker of the process defines
/// (a binding with `script_name`): a subrequest to that worker, addressed to
/// the object. For RPC the body is the structured clone of the arguments.
#[op2]
#[serde]
#[allow(clippy::too_many_arguments)]
pub async fn op_do_remote_call(
  state: Rc<RefCell<OpState>>,
  #[serde] object: RemoteObject,
  #[string] method: String,
  #[string] url: String,
  #[serde] headers: Vec<(ByteString, ByteString)>,
  #[buffer] body: JsBuffer,
  #[serde] stream_rid: Option<ResourceId>,
) -> Result<ServiceResponse, JsErrorBox> {
  let address = ObjectAddress {
    class_name: object.class_name,
    id: object.id,
    name: object.name,
    rpc: object.rpc,
  };
  let request = Subrequest {
    method,
    url,
    headers,
    body,
    stream_rid,
  };
  let script = object.script_name;
  call_worker(&state, &script, request, Some(address))
    .await
    .map_err(|e| match e {
      CallError::NotRunning => JsErrorBox::generic(format!(
        "The Durable Object's worker \"{script}\" (script_name) is not running in this kiln process."
      )),
      CallError::Other(e) => e,
    })
}

/// A request made by JavaScript to another worker of the process.
struct Subrequest {
  method: String,
  url: String,
  headers: Vec<(ByteString, ByteString)>,
  body: JsBuffer,
  stream_rid: Option<ResourceId>,
}

enum CallError {
  NotRunning,
  Other(JsErrorBox),
}

impl From<JsErrorBox> for CallError {
  fn from(e: JsErrorBox) -> Self {
    CallError::Other(e)
  }
}

/// Sends `request` to worker `target` through its request queue and waits
/// for its answer.
async fn call_worker(
  state: &Rc<RefCell<OpState>>,
  target: &str,
  request: Subrequest,
  durable_object: Option<ObjectAddress>,
) -> Result<ServiceResponse, CallError> {
  let sender = state
    .borrow()
    .borrow::<ServiceBindings>()
    .registry
    .get(target)
    .ok_or(CallError::NotRunning)?;
  let headers = header_map(&request.headers)?;
  let body = match request.stream_rid {
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
    None if request.body.is_empty() => None,
    None => Some(
      http_body_util::Full::new(Bytes::from(request.body.to_vec()))
        .map_err(|never| match never {})
        .boxed_unsync(),
    ),
  };
  let (reply, response) = oneshot::channel();
  sender
    .send(IncomingRequest {
      method: request.method,
      url: request.url,
      headers,
      body,
      reply,
      upgrade: None,
      durable_object,
      queue: None,
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

/// The worker's static assets, for `env.ASSETS.fetch()` (the binding named
/// by `[assets] binding`); absent when it has none.
pub struct AssetsBinding(pub Option<std::sync::Arc<kiln_host::assets::Assets>>);

/// `env.ASSETS.fetch(request)`: the asset worker's answer (its
/// not_found_handling applies; a miss is a 404, never the worker).
#[op2]
#[serde]
pub fn op_kiln_assets_fetch(
  state: &mut OpState,
  #[string] method: String,
  #[string] url: String,
  #[serde] headers: Vec<(ByteString, ByteString)>,
) -> Result<ServiceResponse, JsErrorBox> {
  let Some(assets) = state.borrow::<AssetsBinding>().0.clone() else {
    return Err(JsErrorBox::type_error("This worker has no static assets."));
  };
  let url =
    url::Url::parse(&url).map_err(|_| JsErrorBox::type_error(format!("Invalid URL: {url}")))?;
  let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
  let response = assets.serve(&method, url.path(), &query, &header_map(&headers)?);
  let (parts, body) = response.into_parts();
  Ok(ServiceResponse {
    status: parts.status.as_u16(),
    headers: header_list(&parts.headers),
    body_rid: body_resource(state, body),
  })
}
