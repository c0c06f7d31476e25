//! The rendezvous of a 'blocking' call from a foreign thread: the calling thread waits here until
//! the owning JS thread has run the call and delivered its return value.
//!
//! The deadline bounds how long the caller waits for the owning thread to *take* the call. Once
//! JS has taken it (`claim`), the caller waits for it to finish: the callback may be reading the
//! caller's arguments (pointers into its memory), so the caller must not return under it. A
//! callback that returned a Promise has finished running (`settling`): the caller then waits for
//! the Promise to settle, at most its settle timeout.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

const WAITING: u32 = 0;
const RUNNING: u32 = 1;
const DONE: u32 = 2;
/// The deadline passed before JS took the call (it must not run any more), or before the Promise
/// its callback returned settled (its result goes nowhere).
const ABANDONED: u32 = 3;
/// The callback returned a Promise; the result comes when it settles.
const SETTLING: u32 = 4;

/// Why a caller stopped waiting without a value (`Completion::wait`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unfinished {
    /// The owning thread did not take the call in time, or is gone: the call will not run.
    NotTaken,
    /// The Promise the callback returned did not settle in time, or the owning thread is gone.
    NotSettled,
}

/// The longest a caller spins before it sleeps. A round trip through the owning thread's event
/// loop takes microseconds to tens of microseconds; a sleeping waiter adds a futex wake-up on top.
pub const SPIN: Duration = Duration::from_micros(30);
/// What a caller spins, when the budget fell to 0, on one call in `PROBE_EVERY`.
const PROBE: Duration = Duration::from_micros(2);
const PROBE_EVERY: u32 = 64;

/// When waiting callers spin, and for how long: one per process (`SpinPolicy::process`), shared by
/// every caller; tests make their own.
///
/// The budget adapts to whether spinning pays. A spin that ends with the result raises it (by an
/// eighth of SPIN, up to SPIN); one that ends without halves it, down to 0, when callers sleep at
/// once and only one call in `PROBE_EVERY` spins, for `PROBE`, to find out whether spinning pays
/// again. On an idle machine spins succeed and it stays at SPIN; with every CPU busy, a spinning
/// caller takes the CPU the JS thread needs to answer it (one caller spinning made round trips
/// 70 µs where koffi's sleeping callers took 15), its spins fail, and it falls to 0 within a few
/// calls.
pub struct SpinPolicy {
    budget_ns: AtomicU32,
    probes: AtomicU32,
    /// Callers spinning right now.
    spinning: AtomicUsize,
    /// How many callers may spin at once; the others sleep at once.
    max_spinning: usize,
}

impl SpinPolicy {
    pub const fn new(max_spinning: usize) -> SpinPolicy {
        SpinPolicy {
            budget_ns: AtomicU32::new(SPIN.as_nanos() as u32),
            probes: AtomicU32::new(0),
            spinning: AtomicUsize::new(0),
            max_spinning,
        }
    }

    /// The process's policy: at most one fewer spinning callers than CPUs, so that they never take
    /// every CPU from the JS threads that run their calls (4 callers spinning on 2 CPUs made round
    /// trips 4x slower in one bench run).
    pub fn process() -> &'static SpinPolicy {
        static PROCESS: OnceLock<SpinPolicy> = OnceLock::new();
        PROCESS.get_or_init(|| {
            SpinPolicy::new(std::thread::available_parallelism().map_or(1, |n| n.get()) - 1)
        })
    }

    /// How long callers spin now.
    pub fn budget(&self) -> Duration {
        Duration::from_nanos(u64::from(self.budget_ns.load(Ordering::Relaxed)))
    }

    /// The spin this call may make: the budget, or a probe when it is 0; None to sleep at once.
    fn spin_for(&self) -> Option<Duration> {
        match self.budget_ns.load(Ordering::Relaxed) {
            0 => self
                .probes
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(PROBE_EVERY)
                .then_some(PROBE),
            ns => Some(Duration::from_nanos(u64::from(ns))),
        }
    }

    /// Spins until `state` is DONE or the budget passed, if fewer than `max_spinning` callers
    /// spin, and adapts the budget to how that went. Whether it saw DONE.
    fn spin_until_done(&self, state: &AtomicU32) -> bool {
        let Some(budget) = self.spin_for() else {
            return false;
        };
        let mut done = false;
        if self.spinning.fetch_add(1, Ordering::Relaxed) < self.max_spinning {
            let start = Instant::now();
            while !done && start.elapsed() < budget {
                done = state.load(Ordering::Acquire) == DONE;
                std::hint::spin_loop();
            }
            let ns = budget.as_nanos() as u32;
            let step = SPIN.as_nanos() as u32 / 8;
            let next = if done {
                (ns + step).min(SPIN.as_nanos() as u32)
            } else {
                ns / 2
            };
            // A budget of a microsecond or less would not see a round trip: sleep instead. (So a
            // failed probe leaves 0, not half a probe to fail next.)
            self.budget_ns
                .store(if next <= 1_000 { 0 } else { next }, Ordering::Relaxed);
        }
        self.spinning.fetch_sub(1, Ordering::Relaxed);
        done
    }
}

/// How often a sleeping caller checks whether the owning env is gone (a torn-down env may not
/// get to retire the queued call).
const POLL: Duration = Duration::from_millis(50);

/// One blocking call's rendezvous, shared by the waiting caller and the owning thread: a raw
/// value, and a payload of type P the call may return besides (a C string, a struct's bytes).
pub struct Completion<P> {
    state: AtomicU32,
    value: AtomicU64,
    /// Also holds the payload, from `complete` until the caller takes it.
    lock: Mutex<Option<P>>,
    wake: Condvar,
}

impl<P> Default for Completion<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> Completion<P> {
    pub fn new() -> Completion<P> {
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

    /// The claimed call's callback returned a Promise: its caller now waits for `complete`, at
    /// most its settle timeout (`wait`).
    pub fn settling(&self) {
        // Under the lock, as `complete`: the caller sleeps without a deadline while the call runs
        // and must see the change.
        let guard = self.lock();
        let _ = self
            .state
            .compare_exchange(RUNNING, SETTLING, Ordering::AcqRel, Ordering::Acquire);
        drop(guard);
        self.wake.notify_one();
    }

    /// Delivers the raw return value of a claimed call, and its payload (the C string it
    /// points to, the struct it returned), or ends an unclaimed one with `value` (the env is going
    /// away) unless the caller already gave up. Whether the caller gets them (false: it gave up).
    pub fn complete(&self, value: u64, payload: Option<P>) -> bool {
        // One lock for all of it: the payload is set before DONE (a caller that sees DONE finds
        // it, `take_payload`), and a waiter's last check of the state and its sleep happen under
        // the lock, so the wake-up below cannot fall between them.
        let mut guard = self.lock();
        *guard = payload;
        self.value.store(value, Ordering::Relaxed);
        if self.state.swap(DONE, Ordering::AcqRel) == ABANDONED {
            self.state.store(ABANDONED, Ordering::Release);
            drop(guard.take()); // nobody will read it
            return false;
        }
        drop(guard);
        self.wake.notify_one();
        true
    }

    /// Whether the caller gave up waiting (what it is told then is its own).
    pub fn abandoned(&self) -> bool {
        self.state.load(Ordering::Acquire) == ABANDONED
    }

    /// After `wait` returned a value: the payload of the call, if any, now the caller's.
    pub fn take_payload(&self) -> Option<P> {
        self.lock().take()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<P>> {
        // Plain data: a panic elsewhere cannot leave it inconsistent.
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the value. `Err(NotTaken)` when `take` (None: no limit) passed, or `gone()`
    /// became true (checked every `POLL`), before the owning thread took the call: the call is
    /// then abandoned and will not run. Once taken, the caller waits for the callback to return;
    /// if it returned a Promise (`settling`), at most `settle` more for it to settle, and while
    /// `gone()` is false: else `Err(NotSettled)`, and the result, when it comes, goes nowhere.
    pub fn wait(
        &self,
        policy: &SpinPolicy,
        take: Option<Duration>,
        settle: Option<Duration>,
        gone: impl Fn() -> bool,
    ) -> Result<u64, Unfinished> {
        let mut deadline = take.and_then(|t| Instant::now().checked_add(t));
        if policy.spin_until_done(&self.state) {
            return Ok(self.value.load(Ordering::Relaxed));
        }
        let mut settling_seen = false;
        let mut guard = self.lock();
        loop {
            let state = self.state.load(Ordering::Acquire);
            match state {
                DONE => return Ok(self.value.load(Ordering::Relaxed)),
                RUNNING => {
                    deadline = None;
                    guard = self.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
                    continue;
                }
                SETTLING if !settling_seen => {
                    settling_seen = true;
                    deadline = settle.and_then(|t| Instant::now().checked_add(t));
                }
                _ => {}
            }
            let now = Instant::now();
            let expired = deadline.is_some_and(|at| now >= at) || gone();
            if !expired {
                let slice = deadline.map_or(POLL, |at| (at - now).min(POLL));
                guard = self
                    .wake
                    .wait_timeout(guard, slice)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            } else if self
                .state
                .compare_exchange(state, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return Err(if state == SETTLING {
                    Unfinished::NotSettled
                } else {
                    Unfinished::NotTaken
                });
            }
        }
    }
}
