//! A cheap identity for the current OS thread (a thread-local read on the hot path), and the
//! OS thread id for messages.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static ID: Cell<u64> = const { Cell::new(0) };
}

/// A process-unique id of the calling thread, never 0.
#[inline]
pub fn current() -> u64 {
    ID.with(|id| {
        let v = id.get();
        if v != 0 {
            return v;
        }
        let v = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        id.set(v);
        v
    })
}

/// The operating system's id of the calling thread, for messages (what debuggers and `top -H`
/// show).
pub fn os_id() -> u64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions.
        (unsafe { libc::gettid() }) as u64
    }
    #[cfg(not(target_os = "linux"))]
    {
        current()
    }
}
