//! Retired thunks stay mapped for a bounded quarantine before their memory is reused.
//!
//! A native library may keep a function pointer after JS disposed it. While the thunk is in
//! quarantine, a call to its address still lands in a thunk whose handler answers "called after
//! dispose" with the fallback value; only when more than `capacity` newer thunks have been
//! retired does the oldest one leave, back to the thunk pool (`thunk`), after which its address
//! may serve another BareFn. The bound is a count (not a time) so the memory held is bounded too.
//!
//! A thunk leaving quarantine is handed back to the caller, not dropped here: its handler may be
//! running right now (a callback that disposes its own BareFn, with a quarantine of 0), and only
//! the caller knows when no call can be (the binding drops it once its thread runs no callback).

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::capture::Handler;
use crate::thunk::{Retired, Thunk};

/// Thunks retired but not yet freed, oldest first.
pub struct Quarantine {
    state: Mutex<State>,
}

struct State {
    capacity: usize,
    retired: VecDeque<Retired>,
}

/// Default number of retired thunks kept mapped.
pub const DEFAULT_CAPACITY: usize = 4096;

impl Quarantine {
    pub const fn new(capacity: usize) -> Quarantine {
        Quarantine {
            state: Mutex::new(State {
                capacity,
                retired: VecDeque::new(),
            }),
        }
    }

    /// The process-wide quarantine.
    pub fn global() -> &'static Quarantine {
        static GLOBAL: Quarantine = Quarantine::new(DEFAULT_CAPACITY);
        &GLOBAL
    }

    /// Keeps `thunk` mapped; returns the oldest retired thunk if that took it over the capacity.
    pub fn retire<H: Handler>(&self, thunk: Thunk<H>) -> Option<Retired> {
        let retired = thunk.erase();
        let mut state = self.lock();
        state.retired.push_back(retired);
        // One in, at most one out (set_capacity drains what a smaller bound leaves over): no
        // Vec to allocate on this path, taken once per dispose.
        (state.retired.len() > state.capacity)
            .then(|| state.retired.pop_front())
            .flatten()
    }

    pub fn capacity(&self) -> usize {
        self.lock().capacity
    }

    /// Changes the bound; shrinking it returns the oldest thunks, which left quarantine.
    pub fn set_capacity(&self, capacity: usize) -> Vec<Retired> {
        let mut state = self.lock();
        state.capacity = capacity;
        state.drain_over_capacity()
    }

    /// Number of thunks currently held.
    pub fn len(&self) -> usize {
        self.lock().retired.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the deque inconsistent: recover it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    fn drain_over_capacity(&mut self) -> Vec<Retired> {
        let excess = self.retired.len().saturating_sub(self.capacity);
        self.retired.drain(..excess).collect()
    }
}
