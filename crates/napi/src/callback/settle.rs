//! A 'blocking' call from another thread whose callback returned a Promise (or thenable): the
//! caller keeps waiting (`Completion::settling`, at most the BareFn's settle timeout) and gets
//! the value it resolves to, converted as a returned value (one that does not fit is
//! 'bad-return'); a rejection gives it the fallback and is reported like a throw. If the Promise
//! is collected without settling (nothing can settle it any more), the caller gets the fallback
//! at once and a 'timeout' report says why.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bare_fn_core::rendezvous::Completion;
use bare_fn_core::{Param, ScalarInput, StructInput, Type};
use napi::sys;

use super::owning::ArgSource;
use super::refusals::then_call;
use super::JsCallback;
use crate::calls_in_progress::NativeCall;
use crate::dispatch::{Args, Payload};
use crate::from_js::from_js;
use crate::outgoing::AsyncErrors;
use crate::raw::{callback_info, function_with_data, undefined, Failure};
use crate::report::Kind;
use crate::signature::returned_what;
use crate::text::OwnedText;
use crate::views::encoded_struct;

/// The arguments of a call queued by a thread that waits for its result: the one kind of call
/// that can wait for a Promise.
pub(super) struct Awaited<'a> {
    args: &'a Args,
    completion: &'a Arc<Completion<Payload>>,
    /// The callback returned a Promise, which completes the call when it settles.
    pending: bool,
}

impl<'a> Awaited<'a> {
    pub(super) fn new(args: &'a Args, completion: &'a Arc<Completion<Payload>>) -> Awaited<'a> {
        Awaited {
            args,
            completion,
            pending: false,
        }
    }

    /// Whether the Promise the callback returned will complete the call.
    pub(super) fn pending(&self) -> bool {
        self.pending
    }
}

impl ArgSource for Awaited<'_> {
    fn get(&self, index: usize, input: &ScalarInput) -> u64 {
        ArgSource::get(&self.args, index, input)
    }

    fn read_struct(&self, index: usize, input: &StructInput, out: &mut [u8]) {
        ArgSource::read_struct(&self.args, index, input, out);
    }

    fn keep_returned(&self, callback: &JsCallback, string: Option<OwnedText>) {
        ArgSource::keep_returned(&self.args, callback, string);
    }

    fn return_struct(&mut self, callback: &JsCallback, bytes: &[u8]) {
        ArgSource::return_struct(&mut self.args, callback, bytes);
    }

    unsafe fn await_promise(
        &mut self,
        callback: &JsCallback,
        env: sys::napi_env,
        promise: sys::napi_value,
    ) -> bool {
        // SAFETY: every JsCallback lives in an Arc (a thunk holds `Arc<JsCallback>`, and so does
        // each job queued for it): the settlement holds one count more.
        let callback = unsafe {
            Arc::increment_strong_count(callback as *const JsCallback);
            Arc::from_raw(callback as *const JsCallback)
        };
        let settle = Arc::new(Settle {
            callback,
            completion: Arc::clone(self.completion),
            origin: self.args.origin.clone(),
            settled: AtomicBool::new(true),
        });
        // SAFETY: in the call's scope, on the owning thread; each handler holds a count of the
        // settlement, given back by its finalizer.
        let attached = unsafe {
            match (
                handler(env, c"bare-fn settled", on_fulfilled, &settle),
                handler(env, c"bare-fn rejected", on_rejected, &settle),
            ) {
                (Some(fulfilled), Some(rejected)) => {
                    // Armed before `then` runs: a thenable may call a handler at once.
                    settle.settled.store(false, Ordering::Release);
                    then_call(env, promise, fulfilled, rejected)
                }
                _ => false,
            }
        };
        if !attached {
            // Nothing will settle it: the call goes on as one that cannot wait.
            settle.settled.store(true, Ordering::Release);
            return false;
        }
        self.completion.settling();
        self.pending = true;
        true
    }
}

/// The settlement of one Promise a callback returned to a waiting caller, shared by its two
/// handlers.
struct Settle {
    callback: Arc<JsCallback>,
    completion: Arc<Completion<Payload>>,
    /// The async call whose C function made the call (`Args::origin`).
    origin: Option<Arc<AsyncErrors>>,
    /// The caller has been answered, or nothing was attached (see Drop).
    settled: AtomicBool,
}

impl Settle {
    /// The first settlement only: a thenable may call its handlers more than once.
    fn first(&self) -> bool {
        !self.settled.swap(true, Ordering::AcqRel)
    }

    /// The Promise resolved to `value`: converted and delivered to the caller.
    ///
    /// # Safety
    /// On the owning thread, in a handle scope; `value` of it.
    unsafe fn fulfilled(&self, env: sys::napi_env, value: sys::napi_value) {
        let callback = &*self.callback;
        let sig = callback.signature();
        let converted = match sig.ret() {
            Param::Scalar(Type::Void) => Ok((0, None)),
            &Param::Scalar(ty) => {
                let mut strings = Vec::new();
                // SAFETY: forwarded.
                unsafe { from_js(env, ty, value, &mut strings) }
                    .map(|raw| (raw, strings.pop().map(Payload::String)))
                    .map_err(|failure| {
                        let failure = failure.context(format_args!(
                            "{} a Promise whose value does not fit",
                            returned_what(sig)
                        ));
                        failure.to_js(env)
                    })
            }
            // src/lib/arg-buffer.ts resolved the Promise to the struct's bytes, or to the error
            // saying why they could not be encoded.
            Param::Struct(s) => encoded_struct(env, crate::raw::Raw(value), s.size(), "a struct")
                // SAFETY: the view's bytes, of this size, live in this scope.
                .map(|(data, _)| unsafe { std::slice::from_raw_parts(data, s.size()) }.to_vec())
                .map(|bytes| (0, Some(Payload::Struct(bytes))))
                .map_err(|_| value),
        };
        match converted {
            Ok((raw, payload)) => {
                self.completion.complete(raw, payload);
            }
            Err(error) => {
                // SAFETY: forwarded.
                unsafe { self.report(env, error, Kind::BadReturn) };
                self.completion.complete(callback.fallback, None);
            }
        }
    }

    /// Reports `error` as the call's own error would be: kept for the async call whose C
    /// function made the call while its caller still waits (it rejects that call's Promise),
    /// else to onError, else uncaught. Before the caller is answered: the async call must find
    /// it when its C function returns.
    ///
    /// # Safety
    /// On the owning thread, in a handle scope; `error` of it.
    unsafe fn report(&self, env: sys::napi_env, error: sys::napi_value, kind: Kind) {
        match &self.origin {
            Some(origin) if !self.completion.abandoned() => {
                let call = NativeCall::enter(true);
                // SAFETY (both): forwarded; the error `finish` gives back belongs to this scope.
                unsafe { self.callback.report(env, error, kind) };
                if let Some(error) = call.finish(env) {
                    unsafe { origin.keep(env, error) };
                }
            }
            // SAFETY: forwarded.
            _ => unsafe { self.callback.report(env, error, kind) },
        }
    }
}

impl Drop for Settle {
    /// Both handlers are gone without a settlement: the Promise was collected (or its env torn
    /// down) unsettled, and nothing can settle it now. The caller gets the fallback at once
    /// instead of waiting out its settle timeout.
    fn drop(&mut self) {
        if !self.first() {
            return;
        }
        if self.completion.complete(self.callback.fallback, None) {
            let sig = Arc::clone(self.callback.signature());
            self.callback.post_failure(
                || {
                    Failure::error(format!(
                        "BareFn {sig}: the Promise its callback returned to a call from another \
                         thread was garbage-collected without settling; the caller got the \
                         fallback"
                    ))
                },
                Kind::Timeout,
            );
        }
    }
}

/// A handler of `settle`'s Promise: a function holding one count of it.
///
/// # Safety
/// On env's thread, in an open handle scope.
unsafe fn handler(
    env: sys::napi_env,
    name: &std::ffi::CStr,
    callback: unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value,
    settle: &Arc<Settle>,
) -> Option<sys::napi_value> {
    let data = Arc::into_raw(Arc::clone(settle)) as *mut c_void;
    // SAFETY: forwarded; `data` is a count of the settlement, given back by `release` (or here).
    let function = unsafe { function_with_data(env, name, callback, data, release) };
    if function.is_none() {
        // SAFETY: the count taken above, which no function holds.
        drop(unsafe { Arc::from_raw(data as *const Settle) });
    }
    function
}

/// The settlement and the value a handler was called with.
///
/// # Safety
/// Called by Node-API for a function made by `handler`.
unsafe fn settlement<'a>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> (&'a Settle, sys::napi_value) {
    let mut value = ptr::null_mut();
    // SAFETY: a missing argument reads as undefined; `data` is the count the function holds,
    // alive until its finalizer runs.
    unsafe {
        let (_, data) = callback_info(env, info, &mut value, 1);
        (&*(data as *const Settle), value)
    }
}

unsafe extern "C" fn on_fulfilled(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: called by Node-API for the function `handler` made; in its scope.
    unsafe {
        let (settle, value) = settlement(env, info);
        if settle.first() {
            settle.fulfilled(env, value);
        }
    }
    undefined(env)
}

unsafe extern "C" fn on_rejected(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: as above.
    unsafe {
        let (settle, reason) = settlement(env, info);
        if settle.first() {
            settle.report(env, reason, Kind::Threw);
            settle.completion.complete(settle.callback.fallback, None);
        }
    }
    undefined(env)
}

/// A handler is gone: its count of the settlement is given back.
unsafe extern "C" fn release(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: the count `handler` gave the function, given back once.
    drop(unsafe { Arc::from_raw(data as *const Settle) });
}
