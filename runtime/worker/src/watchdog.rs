//! The CPU-time limit (`limits.cpu_ms`): a thread of its own watches every
//! worker thread's CPU clock, and stops the isolate of a worker whose
//! JavaScript has run without a pause for longer than its limit: counted
//! from the start of the current poll of the isolate, or from the start of
//! the event it is running if one began during the poll (js/dispatch.js
//! calls `op_kiln_event_began`). Time spent waiting (for I/O, timers, the
//! next request) does not count. An event that computes in bursts between
//! awaits is therefore not limited in total, where Cloudflare counts its
//! whole CPU time.
//!
//! The heap limit (`kiln dev --memory-mb`, Workers' 128 MB by default) is
//! the engine's: the isolate is created with it, and its near-heap-limit
//! callback (V8's; QuickJS's memory-limit handler, through the engine
//! layer) marks the watch and stops the isolate the same way, with the
//! limit raised for the moment so that unwinding can still allocate.
//!
//! The worker's thread sees its event loop fail with a termination and
//! replaces the isolate (runtime/worker/src/worker.rs); the other workers,
//! each on its own thread, never notice.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use deno_core::v8;

/// How often the watchdog looks at the workers' clocks.
const TICK: Duration = Duration::from_millis(5);

/// Why a worker's isolate was stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exceeded {
  Cpu,
  /// The heap reached its limit (the engine's near-heap-limit callback).
  Memory,
}

/// One worker thread's clock and limit.
pub struct Watch {
  clock: libc::clockid_t,
  limit_ns: u64,
  /// The thread's CPU time (ns, plus one) when the count began; 0 while
  /// the isolate is not being polled.
  since: AtomicU64,
  /// The isolate to stop; its lock also orders a check against the end of
  /// a poll.
  isolate: Mutex<Option<v8::IsolateHandle>>,
  cpu_exceeded: AtomicBool,
  /// CPU time the stopped event had used, for the log.
  used_ns: AtomicU64,
  memory_exceeded: AtomicBool,
}

fn thread_clock() -> libc::clockid_t {
  let mut clock: libc::clockid_t = 0;
  // SAFETY: asks for the calling thread's CPU clock, written to `clock`.
  let ok = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) } == 0;
  if ok {
    clock
  } else {
    libc::CLOCK_THREAD_CPUTIME_ID
  }
}

fn cpu_ns(clock: libc::clockid_t) -> u64 {
  let mut ts = libc::timespec {
    tv_sec: 0,
    tv_nsec: 0,
  };
  // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
  unsafe { libc::clock_gettime(clock, &mut ts) };
  ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl Watch {
  /// A watch over the calling thread with `limit` of CPU per event.
  pub fn new(limit: Duration) -> Arc<Watch> {
    let watch = Arc::new(Watch {
      clock: thread_clock(),
      limit_ns: limit.as_nanos().min(u64::MAX as u128) as u64,
      since: AtomicU64::new(0),
      isolate: Mutex::new(None),
      cpu_exceeded: AtomicBool::new(false),
      used_ns: AtomicU64::new(0),
      memory_exceeded: AtomicBool::new(false),
    });
    register(&watch);
    watch
  }

  /// The isolate to stop when the limit passes (a new one after a
  /// replacement).
  pub fn watch_isolate(&self, handle: v8::IsolateHandle) {
    *self.isolate.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
  }

  fn now(&self) -> u64 {
    cpu_ns(self.clock) + 1
  }

  /// The isolate is about to be polled.
  pub fn enter(&self) {
    self.since.store(self.now(), Ordering::Release);
  }

  /// The poll is over. Waits for a check in progress, so that a check
  /// stops the isolate only while the poll it measured is still running.
  pub fn leave(&self) {
    let _checking = self.isolate.lock().unwrap_or_else(|p| p.into_inner());
    self.since.store(0, Ordering::Release);
  }

  /// An event (a request, a message, an alarm…) begins during a poll: the
  /// count starts again from now.
  pub fn event_began(&self) {
    if self.since.load(Ordering::Acquire) != 0 {
      self.since.store(self.now(), Ordering::Release);
    }
  }

  /// Whether the isolate was stopped for a limit (not cleared).
  pub fn is_exceeded(&self) -> bool {
    self.memory_exceeded.load(Ordering::Acquire) || self.cpu_exceeded.load(Ordering::Acquire)
  }

  /// Whether the isolate was stopped for a limit, and which (cleared).
  pub fn take_exceeded(&self) -> Option<Exceeded> {
    let memory = self.memory_exceeded.swap(false, Ordering::AcqRel);
    let cpu = self.cpu_exceeded.swap(false, Ordering::AcqRel);
    if memory {
      Some(Exceeded::Memory)
    } else {
      cpu.then_some(Exceeded::Cpu)
    }
  }

  /// The isolate's heap is at its limit (called on the isolate's thread by
  /// the near-heap-limit callback, in the middle of an allocation): it is
  /// stopped as for the CPU limit, and replaced.
  pub fn heap_exhausted(&self) {
    if self.memory_exceeded.swap(true, Ordering::AcqRel) {
      return;
    }
    if let Some(handle) = &*self.isolate.lock().unwrap_or_else(|p| p.into_inner()) {
      handle.terminate_execution();
    }
  }

  /// CPU time the stopped event had used.
  pub fn used(&self) -> Duration {
    Duration::from_nanos(self.used_ns.load(Ordering::Relaxed))
  }

  fn check(&self) {
    if self.cpu_exceeded.load(Ordering::Acquire) {
      return;
    }
    // Under the lock `leave()` takes: the poll measured is the one stopped.
    let isolate = self.isolate.lock().unwrap_or_else(|p| p.into_inner());
    let since = self.since.load(Ordering::Acquire);
    if since == 0 {
      return;
    }
    let used = self.now().saturating_sub(since);
    if used > self.limit_ns {
      self.used_ns.store(used, Ordering::Relaxed);
      self.cpu_exceeded.store(true, Ordering::Release);
      if let Some(handle) = &*isolate {
        handle.terminate_execution();
      }
    }
  }
}

fn watched() -> &'static Mutex<Vec<Weak<Watch>>> {
  static WATCHED: OnceLock<Mutex<Vec<Weak<Watch>>>> = OnceLock::new();
  WATCHED.get_or_init(|| {
    std::thread::Builder::new()
      .name("kiln-watchdog".into())
      .spawn(|| loop {
        std::thread::sleep(TICK);
        let watches: Vec<Arc<Watch>> = {
          let mut list = watched().lock().unwrap_or_else(|p| p.into_inner());
          list.retain(|w| w.strong_count() > 0);
          list.iter().filter_map(Weak::upgrade).collect()
        };
        for watch in watches {
          watch.check();
        }
      })
      .expect("start the watchdog thread");
    Mutex::new(Vec::new())
  })
}

fn register(watch: &Arc<Watch>) {
  watched()
    .lock()
    .unwrap_or_else(|p| p.into_inner())
    .push(Arc::downgrade(watch));
}
