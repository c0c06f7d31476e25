//! The rendezvous of a 'blocking' call from a foreign thread: the calling thread waits here until
//! the owning JS thread has run the call and delivered its return value.
//!
//! The deadline bounds how long the caller waits for the owning thread to *take* the call. Once
//! JS has taken it (`claim`), the caller waits for it to finish: the callback may be reading the
//! caller's arguments (pointers into its memory), so the caller must not return under it.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

const WAITING: u32 = 0;
const RUNNING: u32 = 1;
const DONE: u32 = 2;
/// The deadline passed before JS took the call; it must not run any more.
const ABANDONED: u32 = 3;

/// How long a caller spins before it sleeps. A round trip through the owning thread's event loop
/// takes microseconds to tens of microseconds; a sleeping waiter adds a futex wake-up on top.
/// Spinning costs at most this much CPU per call (bench/ reports it).
pub const SPIN: Duration = Duration::from_micros(30);

/// How often a sleeping caller checks whether the owning env is gone (a torn-down env may not
/// get to retire the queued call).
const POLL: Duration = Duration::from_millis(50);

pub struct Completion {
    state: AtomicU32,
    value: AtomicU64,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Completion {
    pub fn new() -> Completion {
        Completion {
            state: AtomicU32::new(WAITING),
            value: AtomicU64::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        }
    }

    /// The owning thread takes the call; false when the caller already gave up (do not run it).
    pub fn claim(&self) -> bool {
        self.state
            .compare_exchange(WAITING, RUNNING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Delivers the raw return value of a claimed call, or ends an unclaimed one with `value`
    /// (the env is going away) unless the caller already gave up.
    pub fn complete(&self, value: u64) {
        self.value.store(value, Ordering::Relaxed);
        let previous = self.state.swap(DONE, Ordering::AcqRel);
        if previous == ABANDONED {
            self.state.store(ABANDONED, Ordering::Release);
            return;
        }
        // Taking the lock orders this wake-up after a waiter's last check of the state, so the
        // notification cannot fall between its check and its sleep.
        drop(self.lock.lock().unwrap_or_else(|e| e.into_inner()));
        self.wake.notify_one();
    }

    /// Waits for the value. None when `timeout` (None: no limit) passed, or `gone()` became true
    /// (checked every `POLL`), before the owning thread took the call; the call is then
    /// abandoned and will not run.
    pub fn wait(&self, timeout: Option<Duration>, gone: impl Fn() -> bool) -> Option<u64> {
        let start = Instant::now();
        let mut deadline = timeout.and_then(|t| start.checked_add(t));
        while start.elapsed() < SPIN {
            if self.state.load(Ordering::Acquire) == DONE {
                return Some(self.value.load(Ordering::Relaxed));
            }
            std::hint::spin_loop();
        }
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match (self.state.load(Ordering::Acquire), deadline) {
                (DONE, _) => return Some(self.value.load(Ordering::Relaxed)),
                (RUNNING, _) => {
                    deadline = None;
                    guard = self.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
                }
                (_, at) => {
                    let now = Instant::now();
                    let expired = at.is_some_and(|at| now >= at) || gone();
                    if !expired {
                        let slice = at.map_or(POLL, |at| (at - now).min(POLL));
                        guard = self
                            .wake
                            .wait_timeout(guard, slice)
                            .unwrap_or_else(|e| e.into_inner())
                            .0;
                    } else if self
                        .state
                        .compare_exchange(WAITING, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        return None;
                    }
                }
            }
        }
    }
}
