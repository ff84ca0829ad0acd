//! Which TLS servers kiln trusts, for `fetch()` and outbound WebSockets: the
//! platform's roots (webpki's bundled roots where the platform has none),
//! plus the PEM file named by `KILN_EXTRA_CA_CERTS` or `NODE_EXTRA_CA_CERTS`
//! (the variable wrangler users already know), for local test servers.

use std::sync::{Arc, OnceLock};

use deno_error::JsErrorBox;
use rustls::{ClientConfig, RootCertStore};

static ROOTS: OnceLock<RootCertStore> = OnceLock::new();

pub fn root_store() -> &'static RootCertStore {
  ROOTS.get_or_init(|| {
    let mut store = RootCertStore::empty();
    if let Ok(certs) = rustls_native_certs::load_native_certs() {
      for cert in certs {
        let _ = store.add(cert);
      }
    }
    if store.is_empty() {
      store = deno_tls::create_default_root_cert_store();
    }
    for var in ["KILN_EXTRA_CA_CERTS", "NODE_EXTRA_CA_CERTS"] {
      let Some(path) = std::env::var_os(var) else {
        continue;
      };
      match std::fs::read(&path) {
        Ok(pem) => {
          let mut reader = std::io::BufReader::new(&pem[..]);
          for cert in rustls_pemfile::certs(&mut reader).flatten() {
            if let Err(e) = store.add(cert) {
              eprintln!("kiln: {var}: a certificate was refused: {e}");
            }
          }
        }
        Err(e) => eprintln!("kiln: {var}: cannot read {}: {e}", path.to_string_lossy()),
      }
    }
    store
  })
}

/// The root store as deno_fetch asks for it.
pub struct RootStoreProvider;

impl deno_tls::RootCertStoreProvider for RootStoreProvider {
  fn get_or_try_init(&self) -> Result<&RootCertStore, JsErrorBox> {
    Ok(root_store())
  }
}

/// A client configuration for HTTP/1.1 over TLS (WebSocket handshakes).
pub fn http1_client_config() -> Arc<ClientConfig> {
  static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
  CONFIG
    .get_or_init(|| {
      let mut config = ClientConfig::builder()
        .with_root_certificates(root_store().clone())
        .with_no_client_auth();
      config.alpn_protocols = vec![b"http/1.1".to_vec()];
      Arc::new(config)
    })
    .clone()
}
