//! `routes` between the workers of one kiln process: a request that reaches
//! any worker's port goes to the worker whose route pattern matches its URL
//! (most specific pattern first), as in a multi-worker `wrangler dev`.

use crate::http::RequestSender;
use crate::registry::Registry;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Route {
  /// `None` matches every host; `Some((suffix, exact))`: the host ends with
  /// `suffix` (a leading `*` in the pattern) or equals it.
  host: Option<(String, bool)>,
  path: String,
  path_prefix: bool,
  worker: String,
  specificity: usize,
}

impl Route {
  /// A Workers route pattern: `[scheme://]host[/path]`, where the host may
  /// start with `*` and the path may end with `*`.
  fn parse(pattern: &str, worker: &str) -> Route {
    let rest = pattern
      .strip_prefix("https://")
      .or_else(|| pattern.strip_prefix("http://"))
      .unwrap_or(pattern);
    let (host, path) = match rest.find('/') {
      Some(i) => (&rest[..i], &rest[i..]),
      None => (rest, "/*"),
    };
    let host = host.to_ascii_lowercase();
    let host = if host == "*" || host.is_empty() {
      None
    } else if let Some(suffix) = host.strip_prefix('*') {
      Some((suffix.to_string(), false))
    } else {
      Some((host, true))
    };
    let (path, path_prefix) = match path.strip_suffix('*') {
      Some(prefix) => (prefix.to_string(), true),
      None => (path.to_string(), false),
    };
    Route {
      specificity: pattern.len(),
      host,
      path,
      path_prefix,
      worker: worker.to_string(),
    }
  }

  fn matches(&self, host: &str, path: &str) -> bool {
    let host_ok = match &self.host {
      None => true,
      Some((h, true)) => host == h,
      Some((suffix, false)) => {
        host.ends_with(suffix.as_str()) || suffix.strip_prefix('.') == Some(host)
      }
    };
    host_ok
      && if self.path_prefix {
        path.starts_with(&self.path)
      } else {
        path == self.path
      }
  }
}

#[derive(Default)]
pub struct Router {
  routes: Vec<Route>,
  registry: Option<Registry>,
}

impl Router {
  /// `routes`: (pattern, worker name) pairs.
  pub fn new(routes: &[(String, String)], registry: Registry) -> Router {
    let mut routes: Vec<Route> = routes.iter().map(|(p, w)| Route::parse(p, w)).collect();
    routes.sort_by_key(|r| std::cmp::Reverse(r.specificity));
    Router {
      routes,
      registry: Some(registry),
    }
  }

  /// The worker a URL is routed to, by name.
  pub fn worker_for(&self, url: &str) -> Option<&str> {
    let url = url::Url::parse(url).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    self
      .routes
      .iter()
      .find(|r| r.matches(&host, url.path()))
      .map(|r| r.worker.as_str())
  }

  /// The queue of the worker a URL is routed to, if a route matches.
  pub fn route(&self, url: &str) -> Option<RequestSender> {
    let worker = self.worker_for(url)?;
    self.registry.as_ref()?.get(worker)
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn router(routes: &[(&str, &str)]) -> Router {
    let routes: Vec<(String, String)> = routes
      .iter()
      .map(|(p, w)| (p.to_string(), w.to_string()))
      .collect();
    Router::new(&routes, Default::default())
  }

  #[test]
  fn patterns_match_host_and_path() {
    let r = router(&[
      ("api.example.com/*", "api"),
      ("*.example.com/static/*", "static"),
      ("example.com/exact", "exact"),
      ("*/health", "health"),
    ]);
    assert_eq!(r.worker_for("http://api.example.com/v1"), Some("api"));
    assert_eq!(
      r.worker_for("http://cdn.example.com/static/a.png"),
      Some("static")
    );
    assert_eq!(
      r.worker_for("http://example.com/static/a.png"),
      Some("static")
    );
    assert_eq!(r.worker_for("http://example.com/exact"), Some("exact"));
    assert_eq!(r.worker_for("http://example.com/exact/more"), None);
    assert_eq!(r.worker_for("http://localhost:8787/health"), Some("health"));
    assert_eq!(r.worker_for("http://other.org/"), None);
  }

  #[test]
  fn the_most_specific_pattern_wins() {
    let r = router(&[("example.com/*", "all"), ("example.com/api/*", "api")]);
    assert_eq!(r.worker_for("http://example.com/api/x"), Some("api"));
    assert_eq!(r.worker_for("http://example.com/other"), Some("all"));
  }
}
