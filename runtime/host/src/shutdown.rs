//! Graceful shutdown, shared by every worker of the process: the command
//! line calls [`Shutdown::begin`] on SIGINT or SIGTERM with a deadline; each
//! worker's listener stops accepting and asks its connections to close once
//! their response is written, its WebSockets are sent Close 1001, and it
//! waits for what is in flight (requests, `waitUntil()` work, connections,
//! WebSocket close handshakes) until the deadline; then it sends a
//! [`Report`] of what it had to cut off.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{mpsc, watch};

/// What a worker still had in flight when it stopped waiting (all zero
/// when it drained in time).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
  pub worker: String,
  pub requests: usize,
  pub wait_until: usize,
  pub connections: usize,
  pub websockets: usize,
}

impl Report {
  pub fn is_clean(&self) -> bool {
    self.requests + self.wait_until + self.connections + self.websockets == 0
  }
}

#[derive(Clone)]
pub struct Shutdown {
  deadline: Arc<watch::Sender<Option<Instant>>>,
  reports: mpsc::UnboundedSender<Report>,
  receiver: Arc<Mutex<Option<mpsc::UnboundedReceiver<Report>>>>,
  /// How many reports a shutdown waits for: one per isolate thread.
  reporters: Arc<AtomicUsize>,
}

impl Default for Shutdown {
  fn default() -> Self {
    let (deadline, _) = watch::channel(None);
    let (reports, receiver) = mpsc::unbounded_channel();
    Shutdown {
      deadline: Arc::new(deadline),
      reports,
      receiver: Arc::new(Mutex::new(Some(receiver))),
      reporters: Arc::new(AtomicUsize::new(0)),
    }
  }
}

impl Shutdown {
  /// Starts the shutdown of every worker: they wait for what is in flight
  /// until `deadline`.
  pub fn begin(&self, deadline: Instant) {
    self.deadline.send_replace(Some(deadline));
  }

  /// A handle a worker waits on (see [`begun`]).
  pub fn subscribe(&self) -> watch::Receiver<Option<Instant>> {
    self.deadline.subscribe()
  }

  /// Where the workers' reports arrive; the first caller gets it.
  pub fn take_reports(&self) -> Option<mpsc::UnboundedReceiver<Report>> {
    self
      .receiver
      .lock()
      .unwrap_or_else(|poisoned| poisoned.into_inner())
      .take()
  }

  /// Counts one more thread that will send a [`Report`].
  pub fn expect_report(&self) {
    self.reporters.fetch_add(1, Ordering::SeqCst);
  }

  /// How many reports a shutdown waits for.
  pub fn expected_reports(&self) -> usize {
    self.reporters.load(Ordering::SeqCst)
  }

  pub fn report(&self, report: Report) {
    let _ = self.reports.send(report);
  }
}

/// Waits until the shutdown begins; answers its deadline. Never returns if
/// the process ends otherwise.
pub async fn begun(rx: &mut watch::Receiver<Option<Instant>>) -> Instant {
  loop {
    if let Some(deadline) = *rx.borrow_and_update() {
      return deadline;
    }
    if rx.changed().await.is_err() {
      std::future::pending::<()>().await;
    }
  }
}
