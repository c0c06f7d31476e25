//! The handler behind every BareFn thunk: turns one native call into one JS call.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use bare_fn_core::{
    Frame, Handler, Input, Param, ScalarInput, Signature, StructInput, Type, MAX_ARGS, MAX_BY_VALUE,
};
use napi::sys;

use crate::arg_buffer;
use crate::dispatch::{Args, Dispatcher, Job, Payload, Recipient, Sent};
use crate::dropped;
use crate::from_js::{convert_declined, exact};
use crate::native_call::{self, JsScope};
use crate::owned_ref::OwnedRef;
use crate::owner_cell::OwnerCell;
use crate::raw::{type_of, Failure};
use crate::report::{report, Kind};
use crate::thread;
use crate::threading::Mode;
use crate::to_js::{cstr_to_js, to_js};
use bare_fn_core::rendezvous::{Completion, SpinPolicy};

/// `napi_cannot_run_js` (Node-API 10), which Node returns instead of `napi_pending_exception`
/// when an addon declares that version; the binding's napi-sys does not name it.
const CANNOT_RUN_JS: sys::napi_status = 23;

/// The C string the last call returned, kept alive until the next call or dispose; touched only
/// on the owning thread. Held by a thin pointer (`CString::into_raw`): 8 bytes where an
/// `Option<CString>` takes 16, in a state a million live BareFns each have.
struct Returned(Option<NonNull<c_char>>);

impl Returned {
    fn set(&mut self, string: Option<CString>) {
        let old = std::mem::replace(
            &mut self.0,
            string.map(|s| {
                // SAFETY: into_raw never returns null.
                unsafe { NonNull::new_unchecked(s.into_raw()) }
            }),
        );
        if let Some(old) = old {
            // SAFETY: made by into_raw above, taken back once.
            drop(unsafe { CString::from_raw(old.as_ptr()) });
        }
    }
}

impl Drop for Returned {
    fn drop(&mut self) {
        self.set(None);
    }
}

// SAFETY: it owns its string (nothing else points to it once the call that returned it ended).
unsafe impl Send for Returned {}

/// What only some BareFns have (see `JsCallback::extras`).
struct Extras {
    /// Strong reference to onError, used on the owning thread only; released when the last
    /// holder of the callback lets go (see Drop).
    on_error: Option<OwnedRef>,
    /// The fallback C string (owned: the raw fallback points to it), or the fallback struct.
    fallback_payload: Option<Payload>,
    /// Where it was created (a stack): recorded for BareFns other threads may call ('blocking',
    /// 'nonblocking'), whose errors show it, and for every BareFn with BARE_FN_TRACE.
    created_at: Option<String>,
}

/// A BareFn's handler. A million live BareFns hold a million of these: keep it small (see the
/// assertion below; the env, the owning thread's stack position and the callee's handle are the
/// dispatcher's and the batch's, not each callback's).
pub struct JsCallback {
    sig: Arc<Signature>,
    mode: Mode,
    /// Where its JS function is in the env's function table (`Dispatcher::function`): its index
    /// in the live registry.
    index: u32,
    /// Set by dispose (on the owning thread); read by every thread.
    disposed: AtomicBool,
    /// The queue to the owning thread (blocking/nonblocking calls, errors from other threads),
    /// and the owning thread's env.
    dispatcher: Arc<Dispatcher>,
    /// A report of this BareFn is queued to the owning thread. Reports from other threads are
    /// coalesced: while one is queued, more errors are only counted (`reports_coalesced`) and
    /// mentioned when it is delivered, so a foreign thread calling a refused BareFn in a loop
    /// cannot grow the queue (it used to: gigabytes within a second). A count that arrives while
    /// a report is being delivered is carried by the next report.
    report_queued: AtomicBool,
    reports_coalesced: AtomicU32,
    /// Raw-encoded value native callers get when no JS result can be delivered.
    fallback: u64,
    /// onError and the fallback's C string, boxed: most BareFns have neither.
    extras: Option<Box<Extras>>,
    returned: OwnerCell<Returned>,
}

// A million live BareFns hold a million callback states (README, Performance: live handles):
// 72 bytes, an 88-byte Arc allocation, a 96-byte heap block. Checked at compile time.
const _: () = assert!(std::mem::size_of::<JsCallback>() <= 72);

pub struct Options {
    pub on_error: Option<sys::napi_ref>,
    pub fallback: u64,
    pub fallback_payload: Option<Payload>,
    pub mode: Mode,
    pub created_at: Option<String>,
}

/// Where the arguments of a call come from, and where a C string or struct it returns goes:
/// the frame of a native call on the owning thread (a C string in the BareFn's slot for that
/// thread), or what a foreign thread queued (the result goes back to that thread).
trait ArgSource {
    fn get(&self, index: usize, input: &ScalarInput) -> u64;
    /// Copies the struct argument at `index` into `out` (its size).
    fn read_struct(&self, index: usize, input: &StructInput, out: &mut [u8]);
    /// Keeps the C string the call returned (None: NULL) alive for its caller, in place of the
    /// one its previous call returned (see `Returned`).
    fn keep_returned(&self, callback: &JsCallback, string: Option<CString>);
    /// Makes `bytes` the struct the call returns.
    fn return_struct(&mut self, callback: &JsCallback, bytes: &[u8]);
}

impl ArgSource for Frame<'_> {
    #[inline]
    fn get(&self, _index: usize, input: &ScalarInput) -> u64 {
        input.decode(self)
    }

    fn read_struct(&self, _index: usize, input: &StructInput, out: &mut [u8]) {
        Frame::read_struct(self, input, out);
    }

    fn keep_returned(&self, callback: &JsCallback, string: Option<CString>) {
        callback.returned.with(|returned| returned.set(string));
    }

    fn return_struct(&mut self, callback: &JsCallback, bytes: &[u8]) {
        Frame::return_struct(self, &callback.sig, bytes);
    }
}

impl ArgSource for &Args {
    #[inline]
    fn get(&self, index: usize, _input: &ScalarInput) -> u64 {
        self.raw[index]
    }

    fn read_struct(&self, index: usize, input: &StructInput, out: &mut [u8]) {
        // `queued_call` stored the struct's offset in `bytes` as its raw value.
        out.copy_from_slice(&self.bytes[self.raw[index] as usize..][..input.size]);
    }

    fn keep_returned(&self, _callback: &JsCallback, string: Option<CString>) {
        *self.returned.borrow_mut() = string.map(Payload::String);
    }

    fn return_struct(&mut self, _callback: &JsCallback, bytes: &[u8]) {
        *self.returned.borrow_mut() = Some(Payload::Struct(bytes.to_vec()));
    }
}

/// What a caller gets when a call of a BareFn returning a struct fails (zeros: see README).
static ZEROS: [u8; MAX_BY_VALUE] = [0; MAX_BY_VALUE];

impl JsCallback {
    /// # Safety
    /// Called on the JS thread of `dispatcher`'s env; the env's function table holds the JS
    /// function at `index` whenever native code can call this callback (from before its thunk's
    /// address is known until dispose).
    pub unsafe fn new(
        sig: Arc<Signature>,
        index: u32,
        options: Options,
        dispatcher: Arc<Dispatcher>,
    ) -> JsCallback {
        JsCallback {
            sig,
            mode: options.mode,
            index,
            disposed: AtomicBool::new(false),
            dispatcher,
            report_queued: AtomicBool::new(false),
            reports_coalesced: AtomicU32::new(0),
            extras: (options.on_error.is_some()
                || options.fallback_payload.is_some()
                || options.created_at.is_some())
            .then(|| {
                Box::new(Extras {
                    on_error: options.on_error.map(OwnedRef::new),
                    fallback_payload: options.fallback_payload,
                    created_at: options.created_at,
                })
            }),
            fallback: options.fallback,
            returned: OwnerCell::new(Returned(None)),
        }
    }

    /// Stops looking up the JS function (bare-fn.ts clears its entry in the function table);
    /// later calls get the fallback and are reported as "called after dispose" (to onError, which
    /// is kept until the thunk leaves quarantine). Only on the owning thread (disposal is a JS
    /// call into the addon); elsewhere nothing happens.
    pub fn dispose(&self) {
        self.returned.with(|returned| {
            self.disposed.store(true, Ordering::Release);
            returned.set(None);
        });
    }

    /// Where it was created (see `Extras::created_at`).
    pub fn created_at(&self) -> Option<&str> {
        self.extras.as_ref()?.created_at.as_deref()
    }

    fn on_error(&self) -> Option<&OwnedRef> {
        self.extras.as_ref()?.on_error.as_ref()
    }

    pub fn signature(&self) -> &Arc<Signature> {
        &self.sig
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn dispatcher(&self) -> &Arc<Dispatcher> {
        &self.dispatcher
    }

    /// Whether the current thread is the one that owns it (whose env it belongs to).
    pub fn on_owning_thread(&self) -> bool {
        self.returned.is_owner()
    }

    /// The handle scope for one call on the owning thread.
    ///
    /// # Safety
    /// As for `JsScope::enter`, on the owning thread, with the dispatcher not closed (both
    /// callers check it first, or run from it).
    #[inline]
    unsafe fn enter_scope(&self, env: sys::napi_env) -> JsScope {
        // SAFETY: forwarded; the dispatcher's env thread is the owning thread.
        unsafe { JsScope::enter(env, self.dispatcher.native_calls()) }
    }

    /// One call on the owning thread.
    ///
    /// # Safety
    /// On the owning thread; `env` live and the dispatcher not closed; not disposed.
    unsafe fn invoke<A: ArgSource>(
        &self,
        env: sys::napi_env,
        scope: JsScope,
        source: &mut A,
    ) -> u64 {
        let mut argv = [ptr::null_mut(); MAX_ARGS];
        let mut result = ptr::null_mut();
        let inputs = self.sig.inputs();
        let callee = match scope.callee(self.index) {
            Some(callee) => callee,
            None => {
                // SAFETY: forwarded; the handle lives in the current scope.
                let callee = unsafe { self.dispatcher.function(env, self.index) };
                scope.remember_callee(self.index, callee);
                callee
            }
        };
        // SAFETY: in the scope entered above, on the owning thread before teardown (contract), at
        // positions below MAX_ARGS (a signature has at most that many inputs). A C-string
        // argument is read while the native caller is blocked in this call, as the signature
        // promises.
        let status = unsafe {
            match self.sig.scalar_inputs() {
                Some(scalars) => {
                    for (i, (slot, input)) in argv.iter_mut().zip(scalars).enumerate() {
                        *slot = self.scalar_arg(env, &scope, i, input, source.get(i, input));
                    }
                }
                None => self.mixed_args(env, &scope, &mut argv, source),
            }
            sys::napi_call_function(
                env,
                scope.undefined(env),
                callee,
                inputs.len(),
                argv.as_ptr(),
                &mut result,
            )
        };
        let raw = if status == sys::Status::napi_ok {
            self.accept(env, result, source)
        } else {
            // SAFETY: in the scope.
            unsafe { self.fail_with_pending(env, status) }
        };
        // SAFETY: entered above (by `enter_scope`); every scope opened since has been closed.
        unsafe { scope.leave(env, self.dispatcher.native_calls()) };
        raw
    }

    /// The JS value of scalar argument `i` (raw `raw`): in the argument buffer for 64-bit, size
    /// and pointer types (the JS function, a wrapper, reads it from there: `arg_buffer`), else a
    /// Node-API value.
    ///
    /// # Safety
    /// As for the argument loop of `invoke`.
    #[inline(always)]
    unsafe fn scalar_arg(
        &self,
        env: sys::napi_env,
        scope: &JsScope,
        i: usize,
        input: &ScalarInput,
        raw: u64,
    ) -> sys::napi_value {
        // SAFETY: forwarded.
        unsafe {
            if arg_buffer::passes(input.ty) {
                self.dispatcher.args().write(i, raw);
                scope.undefined(env)
            } else if input.ty == Type::CString && raw != 0 {
                // A non-NULL cstring argument is a C string for the call (see `invoke`); its
                // length, measured once, is counted against the batch (`JsScope::hold`).
                let text = CStr::from_ptr(raw as usize as *const c_char);
                scope.hold(text.to_bytes().len());
                cstr_to_js(env, text)
            } else {
                to_js(env, input.ty, raw)
            }
        }
    }

    /// `invoke`'s arguments for a signature with structs: each struct's bytes go to the argument
    /// buffer, where the JS wrapper decodes them (`arg_buffer`). Out of line: the scalar loop
    /// stays as short as it was.
    ///
    /// # Safety
    /// As for the argument loop of `invoke`.
    #[inline(never)]
    unsafe fn mixed_args<A: ArgSource>(
        &self,
        env: sys::napi_env,
        scope: &JsScope,
        argv: &mut [sys::napi_value; MAX_ARGS],
        source: &mut A,
    ) {
        let mut struct_at = arg_buffer::STRUCTS_AT;
        for (i, (slot, input)) in argv.iter_mut().zip(self.sig.inputs()).enumerate() {
            // SAFETY: forwarded; struct_at stays below RETURN_AT (`ArgBuffer::struct_slot`).
            *slot = unsafe {
                match input {
                    Input::Scalar(input) => {
                        self.scalar_arg(env, scope, i, input, source.get(i, input))
                    }
                    Input::Struct(input) => {
                        let out = self.dispatcher.args().struct_slot(struct_at, input.size);
                        source.read_struct(i, input, out);
                        struct_at += input.size.next_multiple_of(8);
                        scope.undefined(env)
                    }
                }
            };
        }
    }

    /// Converts the callback's return value, or reports why it cannot be. A struct was encoded
    /// by the JS wrapper into the argument buffer (which threw if it could not be).
    #[inline]
    fn accept<A: ArgSource>(
        &self,
        env: sys::napi_env,
        result: sys::napi_value,
        source: &mut A,
    ) -> u64 {
        match self.sig.ret() {
            Param::Scalar(Type::Void) => 0,
            // SAFETY: result belongs to the open scope of `invoke`.
            &Param::Scalar(ty) => unsafe { exact(env, ty, result) }
                .unwrap_or_else(|| self.convert_result(env, ty, result, source)),
            Param::Struct(s) => {
                // The wrapper encoded the result (lib/arg-buffer.ts) and gave undefined, or the
                // error saying why it could not.
                if type_of(env, result) != sys::ValueType::napi_undefined {
                    // SAFETY: in the open scope of `invoke`.
                    unsafe { self.report(env, result, Kind::BadReturn) };
                    return self.fallback;
                }
                // SAFETY: on the owning thread; the wrapper wrote it just now, and no JS runs
                // before it is copied.
                let bytes = unsafe { self.dispatcher.args().returned(s.size()) };
                source.return_struct(self, bytes);
                0
            }
        }
    }

    /// `accept` for what `exact` declined, out of line: the frequent cases stay a few
    /// instructions (no registers saved for the general conversion and its errors).
    #[inline(never)]
    fn convert_result(
        &self,
        env: sys::napi_env,
        ret: Type,
        result: sys::napi_value,
        source: &dyn ArgSource,
    ) -> u64 {
        let mut strings = Vec::new();
        // SAFETY: result belongs to the open scope of `invoke`; `accept` tried `exact`.
        match unsafe { convert_declined(env, ret, result, &mut strings) } {
            Ok(raw) => {
                if ret == Type::CString {
                    source.keep_returned(self, strings.pop());
                }
                raw
            }
            Err(failure) => {
                let failure = failure.context(format_args!("BareFn {} returned", self.sig));
                // SAFETY: in the open scope.
                unsafe { self.report(env, failure.to_js(env), Kind::BadReturn) };
                self.fallback
            }
        }
    }

    /// The callback threw, or Node-API refused to run it: report why.
    unsafe fn fail_with_pending(&self, env: sys::napi_env, status: sys::napi_status) -> u64 {
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

    unsafe fn report(&self, env: sys::napi_env, error: sys::napi_value, kind: Kind) {
        let on_error = self.on_error().map(OwnedRef::raw);
        // SAFETY: forwarded; on_error is a live reference of env.
        unsafe { report(env, error, kind, &*self.sig, on_error) };
    }

    /// Native code called a disposed BareFn on its owning thread.
    fn after_dispose(&self, env: sys::napi_env) -> u64 {
        self.refuse(env, self.after_dispose_failure(), Kind::AfterDispose)
    }

    fn after_dispose_failure(&self) -> Failure {
        Failure::error(format!("BareFn {} called after dispose", self.sig))
    }

    /// Native code called on the owning thread, but on a stack V8 cannot run JS on: no JS can
    /// run now, so the error is rethrown by an enclosing FnPtr call (without onError) or queued
    /// for the event loop.
    fn foreign_stack(self: &Arc<Self>, env: sys::napi_env) -> u64 {
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
                let stored = native_call::store_error(env, failure.to_js(env));
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
    fn refuse(&self, env: sys::napi_env, failure: Failure, kind: Kind) -> u64 {
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
}

impl Recipient for JsCallback {
    unsafe fn run_queued(&self, env: sys::napi_env, args: &Args) -> u64 {
        if self.disposed.load(Ordering::Acquire) {
            return self.after_dispose(env);
        }
        // SAFETY: forwarded; not disposed. The jobs of one wake-up share batch scopes
        // (`Dispatcher::run_batch`).
        unsafe { self.invoke(env, self.enter_scope(env), &mut { args }) }
    }

    unsafe fn report_failure(&self, env: sys::napi_env, mut failure: Failure, kind: Kind) {
        self.report_queued.store(false, Ordering::Release);
        let coalesced = self.reports_coalesced.swap(0, Ordering::AcqRel);
        if coalesced > 0 {
            failure.message += &format!(
                " ({coalesced} more errors of this BareFn on other threads were not reported \
                 separately)"
            );
        }
        self.refuse(env, failure, kind);
    }

    fn fallback(&self) -> u64 {
        self.fallback
    }

    fn dropped_calls(&self, calls: u64) {
        dropped::count(self.key(), || self.describe(), calls, 0);
    }

    fn report_dropped(&self) {
        self.report_queued.store(false, Ordering::Release);
        let reports = 1 + u64::from(self.reports_coalesced.swap(0, Ordering::AcqRel));
        dropped::count(self.key(), || self.describe(), 0, reports);
    }
}

impl Drop for JsCallback {
    /// The last holder let go (the thunk left quarantine): release onError on its thread.
    fn drop(&mut self) {
        let Some(on_error) = self.extras.as_mut().and_then(|e| e.on_error.take()) else {
            return;
        };
        if self.dispatcher.is_closed() {
            return; // the env freed its references
        }
        if self.returned.is_owner() {
            // SAFETY: on the owning thread, with its live env; deleted once (taken above).
            unsafe { on_error.delete(self.dispatcher.env()) };
        } else {
            // Another thread: the owning thread deletes it; nothing to do if its env is gone.
            self.dispatcher.send(Job::Release(on_error));
        }
    }
}

impl Handler for JsCallback {
    #[inline]
    fn call(self: &Arc<Self>, frame: &mut Frame<'_>) -> u64 {
        let raw = self.call_here_or_queue(frame);
        if let Param::Struct(s) = self.sig.ret() {
            if !frame.struct_returned() {
                // No result could be delivered: the caller gets the fallback, or zeros.
                let bytes = match self
                    .extras
                    .as_ref()
                    .and_then(|e| e.fallback_payload.as_ref())
                {
                    Some(Payload::Struct(bytes)) => bytes,
                    _ => &ZEROS[..s.size()],
                };
                frame.return_struct(&self.sig, bytes);
            }
        }
        raw
    }

    fn on_panic(&self) -> u64 {
        self.fallback
    }
}

impl JsCallback {
    #[inline]
    fn call_here_or_queue(self: &Arc<Self>, frame: &mut Frame<'_>) -> u64 {
        if !self.returned.is_owner() {
            // An owned reference for the whole call: a blocking caller waits while the owning
            // thread may dispose the BareFn and its thunk leave quarantine (the owning thread only
            // releases handlers when idle, which says nothing of this thread).
            return Arc::clone(self).call_from_other_thread(frame);
        }
        let dispatcher = &self.dispatcher;
        if dispatcher.is_closed() {
            // The env is being torn down (a C exit handler, say): JS can no longer run.
            self.dropped_call();
            return self.fallback;
        }
        let env = dispatcher.env();
        if !dispatcher.stack().contain_current() {
            return self.foreign_stack(env);
        }
        if self.disposed.load(Ordering::Relaxed) {
            return self.after_dispose(env); // set on this thread
        }
        // SAFETY: owning thread, live env, not disposed. The scope is left by `invoke`, after the
        // last use of a value created in it.
        unsafe { self.invoke(env, self.enter_scope(env), frame) }
    }
}

thread_local! {
    /// On a thread that calls 'blocking' BareFns of another (JS) thread: the C string the last call
    /// of each BareFn from this thread returned, by BareFn, valid until its next call from this
    /// thread. The owning thread keeps its own callers' strings in the BareFn (`Returned`); one
    /// slot for all threads let a thread's call free another thread's string. Freed with the
    /// thread; a disposed BareFn's string stays until then (its address may be reused by another
    /// BareFn, whose next call from here replaces it).
    static RETURNED_HERE: RefCell<HashMap<usize, CString>> = RefCell::new(HashMap::new());
}

impl JsCallback {
    /// Keeps `string`, returned by a call of this BareFn from this (foreign) thread, until its
    /// next call from this thread.
    fn keep_returned_here(&self, string: Option<CString>) {
        let key = self as *const JsCallback as usize;
        // In a cell the closure may not run: if it does not (the thread is exiting), the string
        // must be forgotten, not dropped with the closure.
        let mut string = Some(string);
        let kept = RETURNED_HERE.try_with(|here| {
            let mut here = here.borrow_mut();
            match string.take().flatten() {
                Some(string) => here.insert(key, string),
                None => here.remove(&key),
            }
        });
        if kept.is_err() {
            // This thread is exiting: the caller still gets the pointer, so the string stays.
            std::mem::forget(string);
        }
    }

    /// A native call on a thread other than the owning one.
    fn call_from_other_thread(self: Arc<Self>, frame: &mut Frame<'_>) -> u64 {
        if self.dispatcher.is_closed() {
            // Nothing to queue, copy or report: a thread flooding a BareFn whose env is gone gets
            // the fallback at once (it queued and dropped a job per call, growing the process
            // by 200 MB while it exited).
            self.dropped_call();
            return self.fallback;
        }
        if self.disposed.load(Ordering::Acquire) {
            return self.post_failure(|| self.after_dispose_failure(), Kind::AfterDispose);
        }
        match self.mode {
            Mode::Local => {
                let failure = || {
                    Failure::error(format!(
                        "BareFn {} called from thread {}; it is 'local' to thread {}",
                        self.sig,
                        thread::os_id(),
                        self.dispatcher.owner_os_id()
                    ))
                };
                self.post_failure(failure, Kind::WrongThread)
            }
            Mode::Nonblocking => self.queue_nonblocking(frame),
            Mode::Blocking { timeout } => {
                let completion = Arc::new(Completion::<Payload>::new());
                let job = self.queued_call(frame, Some(completion.clone()));
                if !self.dispatcher.send(job) {
                    self.dropped_call(); // the env closed meanwhile
                    return self.fallback;
                }
                completion
                    .wait(SpinPolicy::process(), timeout.duration(), || {
                        self.dispatcher.is_closed()
                    })
                    .inspect(|_| match completion.take_payload() {
                        Some(Payload::String(string)) => self.keep_returned_here(Some(string)),
                        Some(Payload::Struct(bytes)) => {
                            frame.return_struct(&self.sig, &bytes);
                        }
                        None if self.sig.ret() == &Param::Scalar(Type::CString) => {
                            self.keep_returned_here(None);
                        }
                        None => {}
                    })
                    .unwrap_or_else(|| {
                        // Its job must not wait in the queue for nobody (a thread that timed out
                        // calls again, and the queue grew by a job per timeout while JS was busy).
                        self.dispatcher.withdraw(&completion);
                        let failure = || {
                            Failure::error(format!(
                                "BareFn {} called from thread {}: thread {} did not take the call \
                                 within {} ms (busy, or blocked waiting for the calling thread); \
                                 the caller got the fallback",
                                self.sig,
                                thread::os_id(),
                                self.dispatcher.owner_os_id(),
                                timeout.ms()
                            ))
                        };
                        self.post_failure(failure, Kind::Timeout)
                    })
            }
        }
    }

    /// Queues a nonblocking call; one that finds the queue full is dropped and reported.
    fn queue_nonblocking(self: &Arc<Self>, frame: &Frame<'_>) -> u64 {
        let job = self.queued_call(frame, None);
        let (waiting, bytes) = match self.dispatcher.send_bounded(job) {
            Sent::Queued => return self.fallback,
            Sent::Closed => {
                self.dropped_call(); // the env closed meanwhile
                return self.fallback;
            }
            Sent::Full { waiting, bytes } => (waiting, bytes),
        };
        let failure = || {
            let full = match bytes {
                None => format!("{waiting} calls waiting, BareFn.queueLimit"),
                Some(bytes) => format!(
                    "{waiting} calls of {bytes} bytes waiting, at most BareFn.queueLimit × {} \
                     bytes",
                    crate::dispatch::BYTES_PER_CALL
                ),
            };
            Failure::error(format!(
                "BareFn {} called from thread {}: the queue to thread {} is full ({full}), so \
                 the call was dropped",
                self.sig,
                thread::os_id(),
                self.dispatcher.owner_os_id(),
            ))
        };
        self.post_failure(failure, Kind::QueueFull)
    }

    /// This call as a job for the owning thread.
    fn queued_call(
        self: &Arc<Self>,
        frame: &Frame<'_>,
        completion: Option<Arc<Completion<Payload>>>,
    ) -> Job {
        let mut args = Args {
            raw: [0; MAX_ARGS],
            strings: Vec::new(),
            bytes: Vec::new(),
            returned: RefCell::new(None),
        };
        for (slot, input) in args.raw.iter_mut().zip(self.sig.inputs()) {
            let input = match input {
                Input::Scalar(input) => input,
                Input::Struct(input) => {
                    // The job gets a copy; its raw value is the copy's offset in `bytes`.
                    *slot = args.bytes.len() as u64;
                    args.bytes.resize(args.bytes.len() + input.size, 0);
                    let at = *slot as usize;
                    frame.read_struct(input, &mut args.bytes[at..]);
                    // Its C strings too, as a cstring argument's: the caller's memory may be
                    // gone when the job runs.
                    for &offset in &input.strings {
                        let field = &mut args.bytes[at + offset..][..size_of::<usize>()];
                        let pointer = usize::from_ne_bytes(field.try_into().unwrap_or_default());
                        if pointer != 0 {
                            // SAFETY: as for a cstring argument below; the struct was passed
                            // by value with this member, a C string or NULL.
                            let copy =
                                unsafe { CStr::from_ptr(pointer as *const c_char) }.to_owned();
                            field.copy_from_slice(&(copy.as_ptr() as usize).to_ne_bytes());
                            args.strings.push(copy);
                        }
                    }
                    continue;
                }
            };
            *slot = input.decode(frame);
            if input.ty == Type::CString && *slot != 0 {
                // SAFETY: a non-NULL cstring argument points to a NUL-terminated string for the
                // duration of the native call, which is now. The job gets its own copy.
                let copy = unsafe { CStr::from_ptr(*slot as usize as *const c_char) }.to_owned();
                *slot = copy.as_ptr() as usize as u64;
                args.strings.push(copy);
            }
        }
        Job::Call {
            callback: self.clone(),
            args,
            completion,
        }
    }

    /// Sends an error to the owning thread (dropped when its env is gone), or counts it when a
    /// report of this BareFn is already queued; returns the fallback. `failure` is only built
    /// when the report is queued.
    fn post_failure(self: &Arc<Self>, failure: impl FnOnce() -> Failure, kind: Kind) -> u64 {
        if self.report_queued.swap(true, Ordering::AcqRel) {
            self.reports_coalesced.fetch_add(1, Ordering::Relaxed);
            return self.fallback;
        }
        let sent = self.dispatcher.send(Job::Report {
            callback: self.clone(),
            failure: failure(),
            kind,
        });
        if !sent {
            // An env that is gone has nobody to tell: counted for the line at exit.
            self.report_dropped();
        }
        self.fallback
    }

    /// A call JS will never run: its env is gone (counted for the line at exit, `dropped`).
    pub fn dropped_call(&self) {
        self.dropped_calls(1);
    }

    fn key(&self) -> usize {
        self as *const JsCallback as usize
    }

    /// "BareFn (i32) -> void ('nonblocking', created at …)", for the line at exit (where it was
    /// created is known on its own thread only).
    fn describe(&self) -> String {
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
}
