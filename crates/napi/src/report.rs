//! Where an error of a native -> JS call goes (README.md, Errors): to the BareFn's `onError`
//! when it has one (if onError itself throws, its exception goes on as below); else, when JS is
//! inside a call into native code through FnPtr/Library on this thread, it is rethrown from that
//! call when it returns (the first error wins); else it becomes an uncaught exception of the
//! owning thread.

use std::ptr;

use napi::sys;

use crate::calls_in_progress;
use crate::raw::{string, undefined};

/// What went wrong, as `info.kind` tells `onError`.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// The callback threw.
    Threw,
    /// The callback returned a value that does not fit the return type.
    BadReturn,
    /// Native code called the BareFn after it was disposed.
    AfterDispose,
    /// Node-API refused to enter JS from where native code called.
    Refused,
    /// A 'local' BareFn was called from another thread.
    WrongThread,
    /// A 'blocking' call from another thread was not taken by the owning thread in time.
    Timeout,
    /// A 'nonblocking' call from another thread found the queue to the owning thread full.
    QueueFull,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Threw => "threw",
            Kind::BadReturn => "bad-return",
            Kind::AfterDispose => "after-dispose",
            Kind::Refused => "refused",
            Kind::WrongThread => "wrong-thread",
            Kind::Timeout => "timeout",
            Kind::QueueFull => "queue-full",
        }
    }
}

/// Routes `error` (a JS value of `env`'s current scope) raised by a BareFn of signature `sig`.
///
/// # Safety
/// `env` is the current thread's live env, inside an open handle scope; `on_error` (if any) is a
/// reference to a function in that env.
pub unsafe fn report(
    env: sys::napi_env,
    error: sys::napi_value,
    kind: Kind,
    sig: &dyn std::fmt::Display,
    on_error: Option<sys::napi_ref>,
) {
    let error = match on_error {
        // SAFETY: forwarded contract.
        Some(handler) => match unsafe { call_on_error(env, handler, error, kind, sig) } {
            None => return,
            // onError itself threw: its exception takes the path of an error without onError.
            Some(thrown) => thrown,
        },
        None => error,
    };
    // SAFETY: forwarded contract.
    if !unsafe { calls_in_progress::store_error(env, error) } {
        // SAFETY: env is live; the exception is delivered as 'uncaughtException'.
        unsafe { sys::napi_fatal_exception(env, error) };
    }
}

unsafe fn call_on_error(
    env: sys::napi_env,
    handler: sys::napi_ref,
    error: sys::napi_value,
    kind: Kind,
    sig: &dyn std::fmt::Display,
) -> Option<sys::napi_value> {
    let mut func = ptr::null_mut();
    let mut info = ptr::null_mut();
    // SAFETY: forwarded contract; info is a fresh object of this scope.
    unsafe {
        sys::napi_get_reference_value(env, handler, &mut func);
        sys::napi_create_object(env, &mut info);
        let sig_text = string(env, &sig.to_string());
        sys::napi_set_named_property(env, info, c"signature".as_ptr(), sig_text);
        sys::napi_set_named_property(env, info, c"kind".as_ptr(), string(env, kind.name()));
    }
    let argv = [error, info];
    let mut result = ptr::null_mut();
    // SAFETY: func is a function of env (checked at construction), argv holds 2 live values.
    let status = unsafe {
        sys::napi_call_function(env, undefined(env), func, 2, argv.as_ptr(), &mut result)
    };
    if status == sys::Status::napi_ok {
        return None;
    }
    let mut thrown = ptr::null_mut();
    // SAFETY: an exception is pending (else this yields null, mapped to None).
    unsafe { sys::napi_get_and_clear_last_exception(env, &mut thrown) };
    (!thrown.is_null()).then_some(thrown)
}
