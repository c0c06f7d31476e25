//! A cheap identity for the current OS thread, and the OS thread id for messages.

/// An identity of the calling thread, never 0. On Unix its pthread handle (read from the thread pointer
/// register by libc, no thread-local lookup through `__tls_get_addr` as a Rust thread-local in a
/// dynamically loaded library costs). Unique among live threads; a handle can be reused after
/// its thread exits, which is harmless here: an owning JS thread exits only after its env was
/// torn down, and every owner check is followed by the env-closed check before state is used.
#[cfg(unix)]
#[inline]
pub fn current() -> u64 {
    // SAFETY: pthread_self has no preconditions.
    (unsafe { libc::pthread_self() }) as u64
}

/// Elsewhere: a process-unique number per thread, kept in a thread-local.
#[cfg(not(unix))]
#[inline]
pub fn current() -> u64 {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static ID: Cell<u64> = const { Cell::new(0) };
    }
    ID.with(|id| {
        if id.get() == 0 {
            id.set(NEXT_ID.fetch_add(1, Ordering::Relaxed));
        }
        id.get()
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
