//! Threading modes (DESIGN.md): where native code may call a BareFn from.

use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Only the owning thread; other threads are refused (like `!Send`).
    Local,
    /// Other threads queue the call and wait for its result, at most `timeout` for the owning
    /// thread to take it (like `Send + Sync`).
    Blocking { timeout: Option<Duration> },
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
