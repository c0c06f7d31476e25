//! The rendezvous of a 'blocking' call from a foreign thread: the calling thread waits here until
//! the owning JS thread has run the call and delivered its return value.
//!
//! The deadline bounds how long the caller waits for the owning thread to *take* the call. Once
//! JS has taken it (`claim`), the caller waits for it to finish: the callback may be reading the
//! caller's arguments (pointers into its memory), so the caller must not return under it.

use std::ffi::CString;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

const WAITING: u32 = 0;
const RUNNING: u32 = 1;
const DONE: u32 = 2;
/// The deadline passed before JS took the call; it must not run any more.
const ABANDONED: u32 = 3;

/// The longest a caller spins before it sleeps. A round trip through the owning thread's event
/// loop takes microseconds to tens of microseconds; a sleeping waiter adds a futex wake-up on top.
pub const SPIN: Duration = Duration::from_micros(30);

/// How long callers spin now, in ns: adapted to whether spinning pays. A spin that ends with the
/// result raises it (by an eighth of SPIN, up to SPIN); one that ends without halves it, down to
/// 0, when callers sleep at once and only one call in `PROBE_EVERY` spins, for `PROBE`, to find
/// out whether spinning pays again. On an idle machine spins succeed and it stays at SPIN; with
/// every CPU busy, a spinning caller takes the CPU the JS thread needs to answer it (one caller
/// spinning made round trips 70 µs where koffi's sleeping callers took 15), its spins fail, and
/// it falls to 0 within a few calls.
static BUDGET_NS: AtomicU32 = AtomicU32::new(SPIN.as_nanos() as u32);
const PROBE: Duration = Duration::from_micros(2);
const PROBE_EVERY: u32 = 64;
static PROBES: AtomicU32 = AtomicU32::new(0);

/// Callers spinning right now, in the whole process.
static SPINNING: AtomicUsize = AtomicUsize::new(0);

/// How many callers may spin at once: one fewer than the CPUs, so that spinning callers never
/// take every CPU from the JS threads that run their calls (4 callers spinning on 2 CPUs made
/// round trips 4x slower in one bench run). The others sleep at once.
fn max_spinning() -> usize {
    static MAX: OnceLock<usize> = OnceLock::new();
    *MAX.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()) - 1)
}

/// The spin this call may make: the budget, or a probe when it is 0; None to sleep at once.
fn spin_budget() -> Option<Duration> {
    match BUDGET_NS.load(Ordering::Relaxed) {
        0 => PROBES
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(PROBE_EVERY)
            .then_some(PROBE),
        ns => Some(Duration::from_nanos(u64::from(ns))),
    }
}

/// Spins until the call is done or the budget passed, if fewer than `max_spinning` callers spin,
/// and adapts the budget to how that went.
fn spin_until_done(state: &AtomicU32) -> bool {
    let Some(budget) = spin_budget() else {
        return false;
    };
    let mut done = false;
    if SPINNING.fetch_add(1, Ordering::Relaxed) < max_spinning() {
        let start = Instant::now();
        while !done && start.elapsed() < budget {
            done = state.load(Ordering::Acquire) == DONE;
            std::hint::spin_loop();
        }
        let ns = budget.as_nanos() as u32;
        let step = SPIN.as_nanos() as u32 / 8;
        let next = if done {
            (ns + step).min(step * 8)
        } else {
            ns / 2
        };
        // A budget under a microsecond would not see a round trip: sleep instead.
        BUDGET_NS.store(if next < 1_000 { 0 } else { next }, Ordering::Relaxed);
    }
    SPINNING.fetch_sub(1, Ordering::Relaxed);
    done
}

/// How often a sleeping caller checks whether the owning env is gone (a torn-down env may not
/// get to retire the queued call).
const POLL: Duration = Duration::from_millis(50);

pub struct Completion {
    state: AtomicU32,
    value: AtomicU64,
    /// Also holds the C string a call returned, from `complete` until the caller takes it.
    lock: Mutex<Option<CString>>,
    wake: Condvar,
}

impl Completion {
    pub fn new() -> Completion {
        Completion {
            state: AtomicU32::new(WAITING),
            value: AtomicU64::new(0),
            lock: Mutex::new(None),
            wake: Condvar::new(),
        }
    }

    /// The owning thread takes the call; false when the caller already gave up (do not run it).
    pub fn claim(&self) -> bool {
        self.state
            .compare_exchange(WAITING, RUNNING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Delivers the raw return value of a claimed call, and the C string it points to when it
    /// returned one, or ends an unclaimed one with `value` (the env is going away) unless the
    /// caller already gave up.
    pub fn complete(&self, value: u64, string: Option<CString>) {
        *self.lock() = string; // before DONE: a caller that sees DONE finds it (`take_string`)
        self.value.store(value, Ordering::Relaxed);
        let previous = self.state.swap(DONE, Ordering::AcqRel);
        if previous == ABANDONED {
            self.state.store(ABANDONED, Ordering::Release);
            drop(self.lock().take()); // nobody will read it
            return;
        }
        // Taking the lock orders this wake-up after a waiter's last check of the state, so the
        // notification cannot fall between its check and its sleep.
        drop(self.lock());
        self.wake.notify_one();
    }

    /// After `wait` returned a value: the C string the call returned, if any, now the caller's.
    pub fn take_string(&self) -> Option<CString> {
        self.lock().take()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<CString>> {
        // Plain data: a panic elsewhere cannot leave it inconsistent.
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the value. None when `timeout` (None: no limit) passed, or `gone()` became true
    /// (checked every `POLL`), before the owning thread took the call; the call is then
    /// abandoned and will not run.
    pub fn wait(&self, timeout: Option<Duration>, gone: impl Fn() -> bool) -> Option<u64> {
        let mut deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        if spin_until_done(&self.state) {
            return Some(self.value.load(Ordering::Relaxed));
        }
        let mut guard = self.lock();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_beyond_the_spinning_limit_sleep_at_once() {
        // A call already done: a spinning caller sees it at its first look; a caller over the
        // limit does not look (it goes to sleep, where `wait` finds it done under the lock).
        let done = AtomicU32::new(DONE);
        let before = SPINNING.load(Ordering::Relaxed);
        if max_spinning() > 0 {
            assert!(spin_until_done(&done));
        }
        SPINNING.fetch_add(max_spinning(), Ordering::Relaxed);
        assert!(!spin_until_done(&done));
        SPINNING.fetch_sub(max_spinning(), Ordering::Relaxed);
        assert_eq!(SPINNING.load(Ordering::Relaxed), before);
        let completion = Completion::new();
        assert!(completion.claim());
        completion.complete(7, None);
        assert_eq!(completion.wait(None, || false), Some(7));
    }
}
