//! The memory limit's second half: ArrayBuffer contents. On V8 they live
//! outside the heap that the isolate's `heap_limits` bound (V8 counts them
//! only as external memory); on QuickJS the buffers a script creates are
//! in its heap, and those the engine layer makes for the embedder go
//! through this allocator. So each isolate gets an ArrayBuffer allocator
//! with a budget of its own, the size of the heap limit: an allocation
//! past it fails (the script sees the engine's allocation error) and stops
//! the isolate through the watch, as the heap limit does.

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use deno_core::v8;

use crate::watchdog::Watch;

/// What one isolate's ArrayBuffers may hold, and who hears when it is full.
pub struct BufferBudget {
  used: AtomicUsize,
  limit: usize,
  watch: Arc<Watch>,
}

impl BufferBudget {
  fn take(&self, len: usize) -> bool {
    let before = self.used.fetch_add(len, Ordering::AcqRel);
    if before.saturating_add(len) > self.limit {
      self.used.fetch_sub(len, Ordering::AcqRel);
      self.watch.heap_exhausted();
      return false;
    }
    true
  }

  fn give(&self, len: usize) {
    self.used.fetch_sub(len, Ordering::AcqRel);
  }
}

unsafe extern "C" fn allocate(budget: &BufferBudget, len: usize) -> *mut c_void {
  if !budget.take(len) {
    return std::ptr::null_mut();
  }
  // SAFETY: calloc of at least one byte; freed by `free` below.
  let data = unsafe { libc::calloc(len.max(1), 1) };
  if data.is_null() {
    budget.give(len);
  }
  data
}

unsafe extern "C" fn allocate_uninitialized(budget: &BufferBudget, len: usize) -> *mut c_void {
  if !budget.take(len) {
    return std::ptr::null_mut();
  }
  // SAFETY: malloc of at least one byte; freed by `free` below.
  let data = unsafe { libc::malloc(len.max(1)) };
  if data.is_null() {
    budget.give(len);
  }
  data
}

unsafe extern "C" fn free(budget: &BufferBudget, data: *mut c_void, len: usize) {
  // SAFETY: `data` came from allocate or allocate_uninitialized.
  unsafe { libc::free(data) };
  budget.give(len);
}

unsafe extern "C" fn drop_budget(budget: *const BufferBudget) {
  // SAFETY: the handle is the Arc given to new_rust_allocator below.
  drop(unsafe { Arc::from_raw(budget) });
}

static VTABLE: v8::RustAllocatorVtable<BufferBudget> = v8::RustAllocatorVtable {
  allocate,
  allocate_uninitialized,
  free,
  drop: drop_budget,
};

/// An ArrayBuffer allocator holding at most `limit` bytes, telling `watch`
/// when a script asks for more.
pub fn allocator(limit: usize, watch: Arc<Watch>) -> v8::SharedRef<v8::Allocator> {
  let budget = Arc::new(BufferBudget {
    used: AtomicUsize::new(0),
    limit,
    watch,
  });
  // SAFETY: the handle is an Arc that `drop_budget` releases, and the
  // vtable's functions take it as the `&BufferBudget` it is.
  unsafe { v8::new_rust_allocator(Arc::into_raw(budget), &VTABLE) }.make_shared()
}
