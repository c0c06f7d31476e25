//! `errno()` and `lastError()`: what the last FnPtr/Library call on this thread left in errno and
//! GetLastError, read by core right after the C function returned (`OsErrors`) and kept with the
//! thread's native calls.

use napi_derive::napi;

use crate::calls_in_progress::ThreadCalls;

/// `errno` as the last FnPtr/Library call on this thread left it (0 before any).
#[napi]
pub fn last_errno() -> i32 {
    // SAFETY: this thread's.
    unsafe { ThreadCalls::current().get() }.os_errors().errno
}

/// `GetLastError()` as the last FnPtr/Library call on this thread left it (Windows; 0 elsewhere).
#[napi]
pub fn last_os_error() -> u32 {
    // SAFETY: this thread's.
    unsafe { ThreadCalls::current().get() }
        .os_errors()
        .last_error
}
