//! What a BareFn call could not do, reported: the callback threw or Node-API refused to run it,
//! a call after dispose or on a foreign stack, and calls JS will never run (the line at exit).

use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;

use napi::sys;

use super::JsCallback;
use crate::calls_in_progress;
use crate::dispatch::Recipient;
use crate::owned_ref::OwnedRef;
use crate::raw::{callback_info, function_with_data, undefined, Failure};
use crate::report::{report, Kind};
use crate::signature::returned_what;

/// `napi_cannot_run_js` (Node-API 10), which Node returns instead of `napi_pending_exception`
/// when an addon declares that version; the binding's napi-sys does not name it.
const CANNOT_RUN_JS: sys::napi_status = 23;

impl JsCallback {
    /// The callback threw, or Node-API refused to run it: report why.
    pub(super) unsafe fn fail_with_pending(
        &self,
        env: sys::napi_env,
        status: sys::napi_status,
    ) -> u64 {
        let mut pending = false;
        let mut error = ptr::null_mut();
        // SAFETY: env live; the exception (if any) is taken out of the env.
        unsafe {
            sys::napi_is_exception_pending(env, &mut pending);
            if pending {
                sys::napi_get_and_clear_last_exception(env, &mut error);
            }
        }
        if !pending && (status == sys::Status::napi_pending_exception || status == CANNOT_RUN_JS) {
            // Refused without an exception: Node no longer lets JS run in this env, which only
            // happens once it is being torn down (worker termination, process exit, after which
            // C exit handlers may still call). From now on the BareFns of this env answer with
            // their fallback at once (`Dispatcher::stop`), touching neither V8 nor thread-locals
            // that may be gone; nobody can be told, and formatting a message per queued call
            // made a flooded process take seconds to exit. (On a foreign stack such as koffi's,
            // V8 leaves an exception pending: that is reported below.)
            self.dispatcher.stop();
            self.dropped_call();
            return self.fallback;
        }
        let (error, kind) = if pending {
            (error, Kind::Threw)
        } else {
            // Seen when the native caller runs on a stack V8 does not know, e.g. inside a koffi
            // call (koffi runs native code on a stack of its own).
            let failure = Failure::error(format!(
                "BareFn {}: Node-API refused to call into JS (status {status}); the native \
                 caller runs where JS cannot, e.g. on a foreign stack such as koffi's",
                self.sig
            ));
            (failure.to_js(env), Kind::Refused)
        };
        // SAFETY: in the open scope.
        unsafe { self.report(env, error, kind) };
        self.fallback
    }

    pub(super) unsafe fn report(&self, env: sys::napi_env, error: sys::napi_value, kind: Kind) {
        let on_error = self.on_error().map(OwnedRef::raw);
        // SAFETY: forwarded; on_error is a live reference of env.
        unsafe { report(env, error, kind, &*self.sig, on_error) };
    }

    /// Native code called a disposed BareFn on its owning thread.
    pub(super) fn after_dispose(&self, env: sys::napi_env) -> u64 {
        self.refuse(env, self.after_dispose_failure(), Kind::AfterDispose)
    }

    pub(super) fn after_dispose_failure(&self) -> Failure {
        Failure::error(format!("BareFn {} called after dispose", self.sig))
    }

    /// Native code called on the owning thread, but on a stack V8 cannot run JS on: no JS can
    /// run now, so the error is rethrown by an enclosing FnPtr call (without onError) or queued
    /// for the event loop.
    pub(super) fn foreign_stack(self: &Arc<Self>, env: sys::napi_env) -> u64 {
        let failure = Failure::error(format!(
            "BareFn {} was called on a foreign stack (e.g. inside a koffi call, which runs native \
             code on a stack of its own); V8 cannot run JS there, so the call was refused",
            self.sig
        ));
        if self.on_error().is_none() {
            let mut scope = ptr::null_mut();
            // SAFETY: creating values and references runs no JS; the scope is closed right after.
            let stored = unsafe {
                sys::napi_open_handle_scope(env, &mut scope);
                let stored = calls_in_progress::store_error(env, failure.to_js(env));
                sys::napi_close_handle_scope(env, scope);
                stored
            };
            if stored {
                return self.fallback; // rethrown by the enclosing FnPtr call
            }
        }
        // onError, or an uncaught exception, once the event loop runs JS again.
        self.post_failure(|| failure, Kind::Refused)
    }

    /// Reports `failure` without having run the callback; returns the fallback. On the owning
    /// thread, with the dispatcher open (its callers check, or run from it).
    pub(super) fn refuse(&self, env: sys::napi_env, failure: Failure, kind: Kind) -> u64 {
        // A scope entered as for a call: onError (or an 'uncaughtException' handler) is JS, and
        // while it runs, a native -> JS call made through other native code must not reuse a
        // batch scope that is not the innermost one.
        // SAFETY: env is live (this is its owning thread), the dispatcher open; the scope is left
        // right after.
        unsafe {
            let scope = self.enter_scope(env);
            let error = match self.created_at() {
                Some(site) => failure.to_js_at(env, site),
                None => failure.to_js(env),
            };
            self.report(env, error, kind);
            scope.leave(env, self.dispatcher.native_calls());
        }
        self.fallback
    }

    /// A call JS will never run: its env is gone (counted for the line at exit, `dropped`).
    pub fn dropped_call(&self) {
        self.dropped_calls(1);
    }

    pub(super) fn key(&self) -> usize {
        self as *const JsCallback as usize
    }

    /// "BareFn (i32) -> void ('nonblocking', created at …)", for the line at exit (where it was
    /// created is known on its own thread only).
    pub(super) fn describe(&self) -> String {
        // The site is the stack where it was created: its first frame names the place.
        let site = self
            .created_at()
            .and_then(|stack| {
                let frame = stack.lines().next()?.trim();
                Some(format!(", created {frame}"))
            })
            .unwrap_or_default();
        format!("BareFn {} ('{}'{site})", self.sig, self.mode.name())
    }

    /// The callback returned a Promise where a value was needed: reported; the caller gets the
    /// fallback.
    pub(super) fn returned_promise(&self, env: sys::napi_env) -> u64 {
        let failure = Failure::type_error(format!(
            "{} a Promise: its native caller needs the value when the callback returns, and the \
             thread that owns the BareFn cannot wait for a Promise (return the value itself)",
            returned_what(&self.sig)
        ));
        // SAFETY: on the owning thread, in the open scope of the call.
        unsafe { self.report(env, failure.to_js(env), Kind::BadReturn) };
        self.fallback
    }

    /// Reports the rejection of `value`, a Promise or thenable a callback returned that nobody
    /// waits for, like a throw (to onError, else uncaught) instead of leaving it unhandled (which
    /// ends the process).
    ///
    /// # Safety
    /// On the owning thread, in an open handle scope; `value` of it.
    pub(super) unsafe fn watch_rejection(&self, env: sys::napi_env, value: sys::napi_value) {
        // SAFETY: every JsCallback lives in an Arc (a thunk holds `Arc<JsCallback>`, and so does
        // each job queued for it): one count more is handed to the handler, given back by its
        // finalizer.
        let data = unsafe {
            Arc::increment_strong_count(self as *const JsCallback);
            self as *const JsCallback as *mut c_void
        };
        // SAFETY: on the owning thread, in the scope; the function's finalizer gives the count
        // back, or it is given back here when there is no function.
        unsafe {
            match function_with_data(
                env,
                c"bare-fn rejection",
                on_rejected,
                data,
                release_callback,
            ) {
                Some(handler) => {
                    then_call(env, value, undefined(env), handler);
                }
                None => drop(Arc::from_raw(data as *const JsCallback)),
            }
        }
    }
}

/// Calls `value.then(on_fulfilled, on_rejected)`. `then` of a native Promise is the builtin, but
/// a subclass's or a thenable's may be JS that throws: its exception is cleared (the value then
/// goes unwatched, as JS would leave it).
///
/// # Safety
/// On env's thread, in an open handle scope; the values of it.
pub(super) unsafe fn then_call(
    env: sys::napi_env,
    value: sys::napi_value,
    on_fulfilled: sys::napi_value,
    on_rejected: sys::napi_value,
) -> bool {
    let mut then = ptr::null_mut();
    let mut ignored = ptr::null_mut();
    let argv = [on_fulfilled, on_rejected];
    // SAFETY: forwarded.
    let status = unsafe {
        match sys::napi_get_named_property(env, value, c"then".as_ptr(), &mut then) {
            sys::Status::napi_ok => {
                sys::napi_call_function(env, value, then, 2, argv.as_ptr(), &mut ignored)
            }
            failed => failed,
        }
    };
    if status != sys::Status::napi_ok {
        let mut pending = ptr::null_mut();
        // SAFETY: forwarded.
        unsafe { sys::napi_get_and_clear_last_exception(env, &mut pending) };
    }
    status == sys::Status::napi_ok
}

/// A Promise a callback returned on the owning thread was rejected: reported like a throw.
unsafe extern "C" fn on_rejected(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut reason = ptr::null_mut();
    // SAFETY: called by Node-API with its env and info (a missing reason reads as undefined);
    // `data` is the callback `watch_rejection` gave one count of, alive until the finalizer runs.
    unsafe {
        let (_, data) = callback_info(env, info, &mut reason, 1);
        let callback = &*(data as *const JsCallback);
        callback.report(env, reason, Kind::Threw);
    }
    undefined(env)
}

/// The rejection handler is gone: its count of the callback is given back.
unsafe extern "C" fn release_callback(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: the count `watch_rejection` took, given back once.
    drop(unsafe { Arc::from_raw(data as *const JsCallback) });
}
