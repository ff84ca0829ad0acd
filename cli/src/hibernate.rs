//! `kiln hibernate`: asks a running `kiln dev` to hibernate its Durable
//! Objects now, through the worker's control endpoint
//! `POST /cdn-cgi/kiln/hibernate` (js/dispatch.js), and prints what each
//! object did. Tests and people use it so that nobody waits for the idle
//! timer.

use clap::Args;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;

#[derive(Args)]
pub struct HibernateArgs {
  /// The worker's address, as `kiln dev` printed it.
  #[arg(long, default_value = "http://127.0.0.1:8787")]
  url: String,
  /// Only objects of this Durable Object class.
  #[arg(long = "class", value_name = "CLASS")]
  class_name: Option<String>,
  /// Only the object with this name (`idFromName`); needs --class.
  #[arg(long, requires = "class_name", conflicts_with = "id")]
  name: Option<String>,
  /// Only the object with this id (64 hex digits).
  #[arg(long)]
  id: Option<String>,
}

pub fn run(args: HibernateArgs) -> Result<(), String> {
  let mut url = url::Url::parse(&args.url)
    .and_then(|u| u.join("/cdn-cgi/kiln/hibernate"))
    .map_err(|e| format!("--url {}: {e}", args.url))?;
  {
    let mut query = url.query_pairs_mut();
    if let Some(class) = &args.class_name {
      query.append_pair("class", class);
    }
    if let Some(name) = &args.name {
      query.append_pair("name", name);
    }
    if let Some(id) = &args.id {
      query.append_pair("id", id);
    }
  }
  let runtime = tokio::runtime::Builder::new_current_thread()
    .enable_all()
    .build()
    .map_err(|e| format!("cannot start: {e}"))?;
  let (status, body) = runtime.block_on(post(&url))?;
  if status != 200 {
    return Err(format!("{url} answered {status}: {}", body.trim()));
  }
  let report: serde_json::Value =
    serde_json::from_str(&body).map_err(|e| format!("{url} answered no report ({e}): {body}"))?;
  let objects = report["objects"].as_array().cloned().unwrap_or_default();
  if objects.is_empty() {
    println!("no Durable Object is in memory");
  }
  for object in &objects {
    let who = match object["name"].as_str() {
      Some(name) => format!("{} {name:?}", object["class"].as_str().unwrap_or("?")),
      None => format!(
        "{} {}",
        object["class"].as_str().unwrap_or("?"),
        object["id"].as_str().unwrap_or("?")
      ),
    };
    let sockets = object["webSockets"].as_u64().unwrap_or(0);
    if object["hibernated"] == true {
      println!("{who}: hibernated, {sockets} WebSocket(s) kept open");
    } else {
      println!(
        "{who}: cannot hibernate: {}",
        object["reason"].as_str().unwrap_or("unknown")
      );
    }
  }
  Ok(())
}

async fn post(url: &url::Url) -> Result<(u16, String), String> {
  let host = url.host_str().ok_or_else(|| format!("{url}: no host"))?;
  let port = url.port_or_known_default().unwrap_or(80);
  let stream = tokio::net::TcpStream::connect((host, port))
    .await
    .map_err(|e| format!("cannot reach {host}:{port} (is kiln dev running?): {e}"))?;
  let (mut sender, connection) =
    hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
      .await
      .map_err(|e| format!("{url}: {e}"))?;
  tokio::spawn(connection);
  let path = match url.query() {
    Some(q) => format!("{}?{q}", url.path()),
    None => url.path().to_string(),
  };
  let request = hyper::Request::post(path)
    .header("host", format!("{host}:{port}"))
    .body(Empty::<Bytes>::new())
    .map_err(|e| e.to_string())?;
  let response = sender
    .send_request(request)
    .await
    .map_err(|e| format!("{url}: {e}"))?;
  let status = response.status().as_u16();
  let body = response
    .into_body()
    .collect()
    .await
    .map_err(|e| format!("{url}: {e}"))?
    .to_bytes();
  Ok((status, String::from_utf8_lossy(&body).into_owned()))
}
