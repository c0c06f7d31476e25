//! Threading modes (README.md, Threading modes): where native code may call a BareFn from.

use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Only the owning thread; other threads are refused (like `!Send`).
    Local,
    /// Other threads queue the call and wait for its result, at most `timeout` for the owning
    /// thread to take it, and, when the callback returns a Promise, at most `settle` for it to
    /// settle (like `Send + Sync`).
    Blocking { timeout: Timeout, settle: Timeout },
    /// Other threads queue the call and return at once; void signatures only (like `Send`).
    Nonblocking,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Local => "local",
            Mode::Blocking { .. } => "blocking",
            Mode::Nonblocking => "nonblocking",
        }
    }
}

/// How long a blocking call from another thread waits (for the owning thread to take it, or for
/// the Promise its callback returned to settle), in whole milliseconds: 4 bytes, so that a
/// BareFn's callback state stays small (a million live BareFns hold a million of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeout(u32);

impl Timeout {
    /// From `timeoutMs` or `settleTimeoutMs` (>= 0, checked by bare-fn.ts): a fraction of a millisecond is rounded up;
    /// 2^32 - 1 ms (49.7 days) or more, and Infinity, wait forever.
    pub fn from_ms(ms: f64) -> Timeout {
        Timeout(if ms >= u32::MAX as f64 {
            u32::MAX
        } else {
            ms.ceil() as u32
        })
    }

    /// None: no limit.
    pub fn duration(self) -> Option<Duration> {
        (self.0 != u32::MAX).then(|| Duration::from_millis(self.0.into()))
    }

    pub fn ms(self) -> u32 {
        self.0
    }
}
