//! A call on the owning thread: arguments from the native frame (or a queued call) to JS values,
//! the JS function run, its result accepted and converted back.

use std::ptr;

use bare_fn_core::{Frame, Input, Param, ScalarInput, StructInput, Type, MAX_ARGS};
use napi::sys;

use super::{JsCallback, Payload};
use crate::arg_buffer;
use crate::calls_in_progress::JsScope;
use crate::dispatch::Args;
use crate::from_js::{convert_declined, exact};
use crate::raw::{is_thenable, type_of};
use crate::report::Kind;
use crate::signature::returned_what;
use crate::text;
use crate::text::OwnedText;
use crate::to_js::to_js;

/// Where the arguments of a call come from, and where a C string or struct it returns goes:
/// the frame of a native call on the owning thread (a C string in the BareFn's slot for that
/// thread), or what a foreign thread queued (the result goes back to that thread).
pub(super) trait ArgSource {
    fn get(&self, index: usize, input: &ScalarInput) -> u64;
    /// Copies the struct argument at `index` into `out` (its size).
    fn read_struct(&self, index: usize, input: &StructInput, out: &mut [u8]);
    /// Keeps the C string the call returned (None: NULL) alive for its caller, in place of the
    /// one its previous call returned (see `Returned`).
    fn keep_returned(&self, callback: &JsCallback, string: Option<OwnedText>);
    /// Makes `bytes` the struct the call returns.
    fn return_struct(&mut self, callback: &JsCallback, bytes: &[u8]);
    /// The callback returned `promise` (a Promise or thenable): whether this call waits for it to
    /// settle. Only a call queued by a thread that waits for its result does (`Awaited`, which
    /// hands it to `settle`); the others need the value now.
    ///
    /// # Safety
    /// On the owning thread, in the call's open scope; `promise` a value of it.
    unsafe fn await_promise(
        &mut self,
        _callback: &JsCallback,
        _env: sys::napi_env,
        _promise: sys::napi_value,
    ) -> bool {
        false
    }
}

/// What `accept` found in a callback's result that was an object.
pub(super) enum PromiseResult {
    NotAPromise,
    /// Its caller waits for it (`ArgSource::await_promise`).
    Awaited,
    /// Nobody can wait for it: its rejection is reported like a throw (`watch_rejection`).
    Watched,
}

impl ArgSource for Frame<'_> {
    #[inline]
    fn get(&self, _index: usize, input: &ScalarInput) -> u64 {
        input.decode(self)
    }

    fn read_struct(&self, _index: usize, input: &StructInput, out: &mut [u8]) {
        Frame::read_struct(self, input, out);
    }

    fn keep_returned(&self, callback: &JsCallback, string: Option<OwnedText>) {
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

    fn keep_returned(&self, _callback: &JsCallback, string: Option<OwnedText>) {
        *self.returned.borrow_mut() = string.map(Payload::String);
    }

    fn return_struct(&mut self, _callback: &JsCallback, bytes: &[u8]) {
        *self.returned.borrow_mut() = Some(Payload::Struct(bytes.to_vec()));
    }
}

impl JsCallback {
    /// The handle scope for one call on the owning thread.
    ///
    /// # Safety
    /// As for `JsScope::enter`, on the owning thread, with the dispatcher not closed (both
    /// callers check it first, or run from it).
    #[inline]
    pub(super) unsafe fn enter_scope(&self, env: sys::napi_env) -> JsScope {
        // SAFETY: forwarded; the dispatcher's env thread is the owning thread.
        unsafe { JsScope::enter(env, self.dispatcher.native_calls()) }
    }

    /// One call on the owning thread.
    ///
    /// # Safety
    /// On the owning thread; `env` live and the dispatcher not closed; not disposed.
    pub(super) unsafe fn invoke<A: ArgSource>(
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
            } else if let (Some(text), true) = (input.ty.text(), raw != 0) {
                // A non-NULL string argument is a C string for the call (see `invoke`); its
                // length, measured once, is counted against the batch (`JsScope::hold`).
                let (value, bytes) = text::to_js(env, raw, text);
                scope.hold(bytes);
                value
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
            Param::Scalar(Type::Void) => {
                // An async function's Promise: waited for by a caller that can, else its
                // rejection is reported.
                if type_of(env, result) == sys::ValueType::napi_object {
                    // SAFETY: in the open scope of `invoke`, on the owning thread.
                    unsafe { self.promise_result(env, result, source) };
                }
                0
            }
            // SAFETY: result belongs to the open scope of `invoke`.
            &Param::Scalar(ty) => unsafe { exact(env, ty, result) }
                .unwrap_or_else(|| self.convert_result(env, ty, result, source)),
            Param::Struct(s) => {
                // The wrapper encoded the result (src/lib/arg-buffer.ts) and gave undefined, or the
                // error saying why it could not.
                if type_of(env, result) != sys::ValueType::napi_undefined {
                    // SAFETY (both): in the open scope of `invoke`, on the owning thread. The
                    // wrapper hands a Promise back as one of the encoded bytes.
                    match unsafe { self.promise_result(env, result, source) } {
                        PromiseResult::Awaited => return self.fallback,
                        PromiseResult::Watched => return self.returned_promise(env),
                        PromiseResult::NotAPromise => {}
                    }
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

    /// If the callback's `result` is a Promise or thenable: handed to a caller that waits for
    /// it, else its rejection reported like a throw.
    ///
    /// # Safety
    /// On the owning thread, in the open scope of `invoke`; `result` a value of it.
    unsafe fn promise_result<A: ArgSource + ?Sized>(
        &self,
        env: sys::napi_env,
        result: sys::napi_value,
        source: &mut A,
    ) -> PromiseResult {
        // SAFETY (all): forwarded.
        if !unsafe { is_thenable(env, result) } {
            PromiseResult::NotAPromise
        } else if unsafe { source.await_promise(self, env, result) } {
            PromiseResult::Awaited
        } else {
            unsafe { self.watch_rejection(env, result) };
            PromiseResult::Watched
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
        source: &mut dyn ArgSource,
    ) -> u64 {
        // SAFETY: in the open scope of `invoke`, on the owning thread.
        match unsafe { self.promise_result(env, result, source) } {
            PromiseResult::Awaited => return self.fallback,
            PromiseResult::Watched => return self.returned_promise(env),
            PromiseResult::NotAPromise => {}
        }
        let mut strings = Vec::new();
        // SAFETY: result belongs to the open scope of `invoke`; `accept` tried `exact`.
        match unsafe { convert_declined(env, ret, result, &mut strings) } {
            Ok(raw) => {
                if ret.text().is_some() {
                    source.keep_returned(self, strings.pop());
                }
                raw
            }
            Err(failure) => {
                let failure = failure.context(returned_what(&self.sig));
                // SAFETY: in the open scope.
                unsafe { self.report(env, failure.to_js(env), Kind::BadReturn) };
                self.fallback
            }
        }
    }
}
