//! One call of an FnPtr or Library function: the Node-API callback of its function, from the
//! arguments Node-API gives to the result it returns. A scalar call allocates nothing on the heap:
//! each argument is converted straight into the call's frame on the stack, C strings encoded on
//! the stack (`CallStrings`), the result converted directly. Errors are thrown where they are
//! found: every step returns the result value, or null once an exception is pending.

use std::mem::MaybeUninit;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use bare_fn_core::{CallFrame, Input, Outcome, Registers, Signature, Type, MAX_ARGS, MAX_BY_VALUE};
use napi::sys;

use crate::calls_in_progress::NativeCall;
use crate::from_js::{cstring, exact, CStrings};
use crate::raw::{callback_info, define_data, Failure, Raw};
use crate::to_js::to_js;
use crate::views::encoded_struct;

use super::arguments::argument;
use super::cstrings::{CallStrings, NoStrings, STACK_BYTES};
use super::plan::{CallPlan, StepKind, StructResult};

/// The Node-API callback of the FnPtr and Library functions of each arity (the index); its data is
/// the function's plan.
pub const CALLBACKS: [unsafe extern "C" fn(
    sys::napi_env,
    sys::napi_callback_info,
) -> sys::napi_value; MAX_ARGS + 1] = [
    call::<0>, call::<1>, call::<2>, call::<3>, call::<4>, call::<5>, call::<6>, call::<7>,
    call::<8>, call::<9>, call::<10>, call::<11>, call::<12>, call::<13>, call::<14>, call::<15>,
    call::<16>,
];

/// # Safety
/// Called by Node-API with its env and info, for a function made by `plan::create` of a signature
/// of `ARITY` arguments.
unsafe extern "C" fn call<const ARITY: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // Node-API writes the first ARITY, filling missing ones with undefined, and sets argc to the
    // number of arguments given (more than ARITY too). Only those it wrote are read.
    let mut argv = [const { MaybeUninit::<sys::napi_value>::uninit() }; MAX_ARGS];
    // SAFETY: argv holds at least ARITY slots.
    let (argc, data) = unsafe { callback_info(env, info, argv.as_mut_ptr().cast(), ARITY) };
    // SAFETY: the data of this function is its plan, freed only after the function is gone.
    let plan = unsafe { &*(data as *const CallPlan) };
    debug_assert_eq!(plan.sig.args().len(), ARITY);
    // SAFETY: Node-API initialized the first ARITY.
    let args = unsafe { &*argv.as_ptr().cast::<[sys::napi_value; ARITY]>() };
    // SAFETY: forwarded; the arguments are values of this callback.
    catch_unwind(AssertUnwindSafe(|| unsafe { plan.call(env, args, argc) })).unwrap_or_else(|_| {
        let failure = Failure::error("bare-fn: internal error (a panic) in a native call");
        throw(env, failure)
    })
}

/// Throws `failure`; the null a Node-API callback returns then.
#[cold]
#[inline(never)]
fn throw(env: sys::napi_env, failure: Failure) -> sys::napi_value {
    // SAFETY: env is live on this thread; the error value was just created in it.
    unsafe { sys::napi_throw(env, failure.to_js(env)) };
    ptr::null_mut()
}

impl CallPlan {
    /// # Safety
    /// `env` is this thread's live env, in the callback's scope; `argv` its arguments (missing
    /// ones undefined), `argc` how many were given; the signature has ARITY arguments.
    #[inline(always)]
    unsafe fn call<const ARITY: usize>(
        &self,
        env: sys::napi_env,
        argv: &[sys::napi_value; ARITY],
        argc: usize,
    ) -> sys::napi_value {
        if let Some(library) = self.library.as_ref().filter(|l| l.is_closed()) {
            return throw(env, library.closed_failure(&self.name));
        }
        if argc != ARITY {
            return throw(env, argument_count_failure(&self.sig, argc));
        }
        // SAFETY: forwarded.
        unsafe {
            if self.keeps_strings {
                self.run_keeping_strings(env, argv)
            } else if self.strings {
                self.run(env, argv, &mut CallStrings::<STACK_BYTES>::new())
            } else {
                self.run(env, argv, &mut NoStrings)
            }
        }
    }

    /// `run` with the C strings on the heap, kept until the next call (`CallPlan::kept`): the
    /// struct it returns is decoded after this returns.
    ///
    /// # Safety
    /// As for `call`.
    #[cold]
    #[inline(never)]
    unsafe fn run_keeping_strings<const ARITY: usize>(
        &self,
        env: sys::napi_env,
        argv: &[sys::napi_value; ARITY],
    ) -> sys::napi_value {
        let mut strings = Vec::new();
        // SAFETY: forwarded.
        let value = unsafe { self.run(env, argv, &mut strings) };
        // The previous call's strings go (a nested call of this function has decoded its
        // result by now: no JS runs between a call's return and its decoding).
        *self.kept.borrow_mut() = strings;
        value
    }

    /// Converts the arguments, calls, converts the result, while `strings` hold the arguments'
    /// C strings. Each argument is converted straight into the call's frame.
    ///
    /// # Safety
    /// As for `call`.
    #[inline(always)]
    unsafe fn run<const ARITY: usize>(
        &self,
        env: sys::napi_env,
        argv: &[sys::napi_value; ARITY],
        strings: &mut impl CStrings,
    ) -> sys::napi_value {
        let sig = &*self.sig;
        if let (Some(steps), Some(inputs)) = (&self.steps, sig.scalar_inputs()) {
            // Most calls: every argument in a register, a scalar result.
            let mut registers = Registers::unset();
            for (i, (step, &value)) in steps.iter().zip(argv).enumerate() {
                // SAFETY (all three): forwarded.
                let common = match step.kind {
                    StepKind::F64 => unsafe { exact(env, Type::F64, value) },
                    StepKind::I32 => unsafe { exact(env, Type::I32, value) },
                    StepKind::CString => match unsafe { cstring(env, value, strings) } {
                        Ok(address) => Some(address),
                        Err(failure) => return throw(env, argument_failure(sig, i, failure)),
                    },
                    StepKind::Other => None,
                };
                if let Some(raw) = common {
                    registers.set(step.index, raw);
                    continue;
                }
                let input = &inputs[i];
                match unsafe { argument(env, input.declared, value, strings) } {
                    Ok(raw) => registers.scalar(input, raw),
                    Err(failure) => return throw(env, argument_failure(sig, i, failure)),
                }
            }
            // SAFETY: the user declared that `address` has this signature (the one unchecked
            // promise of an FFI); the C strings live in `strings` until after the call.
            return unsafe { self.complete(env, || registers.call(sig, self.address)) };
        }
        // SAFETY: forwarded.
        unsafe { self.run_in_frame(env, argv, strings) }
    }

    /// `run` for the calls not all in registers, or with struct arguments or result: each
    /// argument converted into a `CallFrame`. Kept out of line: the common calls stay small enough
    /// to be inlined whole into their Node-API callback.
    ///
    /// # Safety
    /// As for `call`.
    #[inline(never)]
    unsafe fn run_in_frame<const ARITY: usize>(
        &self,
        env: sys::napi_env,
        argv: &[sys::napi_value; ARITY],
        strings: &mut impl CStrings,
    ) -> sys::napi_value {
        let sig = &*self.sig;
        CallFrame::with(sig, |frame| {
            for (i, (input, &value)) in sig.inputs().iter().zip(argv).enumerate() {
                // SAFETY (both arms): forwarded; a struct's bytes are those src/lib/fn-ptr.ts
                // encoded, in a view of this call's scope.
                let converted = match input {
                    Input::Scalar(scalar) => {
                        unsafe { argument(env, scalar.declared, value, strings) }
                            .map(|raw| frame.scalar(scalar, raw))
                    }
                    Input::Struct(arg) => encoded_struct(env, Raw(value), arg.size, "a struct")
                        .map(|(data, _)| unsafe { frame.structure(arg, data as usize as u64) }),
                };
                if let Err(failure) = converted {
                    return throw(env, argument_failure(sig, i, failure));
                }
            }
            // SAFETY: as above; struct arguments were copied into the frame.
            unsafe {
                self.complete(env, || match &self.result {
                    None => frame.call(self.address, &mut []),
                    Some(result) => self.call_for_struct(frame, result),
                })
            }
        })
    }

    /// Makes the call (`call`, which runs the C function) as a JS -> native call of this thread,
    /// keeps the errno it left, converts its result, and rethrows a callback's error reported
    /// during it.
    ///
    /// # Safety
    /// As for `run`; `call` makes this plan's call, with arguments that live until it returns.
    #[inline(always)]
    unsafe fn complete(
        &self,
        env: sys::napi_env,
        call: impl FnOnce() -> Outcome,
    ) -> sys::napi_value {
        // SAFETY: the plan's thread is this one (a function is called on its env's thread).
        let calls = unsafe { self.calls.get() };
        let native = NativeCall::enter_in(calls, true);
        let outcome = call();
        calls.set_os_errors(outcome.os_errors);
        let error = native.finish_in(calls, env);
        // SAFETY: in this call's scope; a returned C string is copied into a JS string here,
        // while the C-string arguments still live: it may point into one of them (strchr,
        // strstr). A struct is decoded by fn-ptr.ts from the plan's view.
        let ret = self.sig.ret().scalar().unwrap_or(Type::Void);
        let value = unsafe { to_js(env, ret, outcome.value) };
        match error {
            None => value,
            // SAFETY: both belong to this call's scope.
            Some(error) => unsafe { rethrow(env, error, value) },
        }
    }

    /// The call of a signature returning a struct: received into memory of this call (a callback
    /// may call the same function meanwhile, and its own result goes to the same view), then
    /// copied to the plan's view.
    ///
    /// # Safety
    /// As for `CallFrame::call`, with `result` this plan's.
    #[inline(never)]
    unsafe fn call_for_struct(&self, frame: &mut CallFrame<'_>, result: &StructResult) -> Outcome {
        // 16-byte aligned: the callee may store through the hidden result address at any
        // alignment a struct has.
        let mut space = [MaybeUninit::<u128>::uninit(); MAX_BY_VALUE / 16];
        let bytes = space.as_mut_ptr().cast::<u8>();
        // SAFETY: `space` has MAX_BY_VALUE >= result.size bytes (sig() refuses larger results),
        // zeroed here before being read as bytes.
        let out = unsafe {
            ptr::write_bytes(bytes, 0, result.size);
            std::slice::from_raw_parts_mut(bytes, result.size)
        };
        // SAFETY: forwarded.
        let outcome = unsafe { frame.call(self.address, out) };
        // SAFETY: `data` is the view's, `size` bytes, kept alive by the plan's reference; no JS
        // runs meanwhile.
        unsafe { ptr::copy_nonoverlapping(out.as_ptr(), result.data, result.size) };
        outcome
    }
}

/// A call with `argc` arguments of a function of `sig`, which takes another number.
#[cold]
pub fn argument_count_failure(sig: &Signature, argc: usize) -> Failure {
    let arity = sig.args().len();
    Failure::type_error(format!("FnPtr {sig} takes {arity} arguments, got {argc}"))
}

/// The error of argument `i`, naming it.
#[cold]
pub fn argument_failure(sig: &Signature, i: usize, failure: Failure) -> Failure {
    let param = &sig.args()[i];
    failure.context(format_args!("FnPtr {sig}: argument {i} ({param})"))
}

/// Throws a callback's error from the call it interrupted, with the call's result.
///
/// # Safety
/// `env` live; `error` and `value` belong to its open scope.
#[cold]
#[inline(never)]
unsafe fn rethrow(
    env: sys::napi_env,
    error: sys::napi_value,
    value: sys::napi_value,
) -> sys::napi_value {
    // SAFETY: forwarded.
    unsafe {
        attach_return_value(env, error, value);
        sys::napi_throw(env, error);
    }
    ptr::null_mut()
}

/// Gives a callback's error, rethrown from the native call it interrupted, that call's own
/// result as `returnValue` (sqlite3_step's code, the new head of a sorted list): the native code
/// went on after the callback failed and its result may own something. A data property, defined
/// (not set: no setter of the error runs); an error that is not an object, or refuses the
/// property (frozen), goes on without it.
///
/// # Safety
/// `env` live; `error` and `value` belong to its open scope.
pub unsafe fn attach_return_value(
    env: sys::napi_env,
    error: sys::napi_value,
    value: sys::napi_value,
) {
    let kind = crate::raw::type_of(env, error);
    if kind != sys::ValueType::napi_object && kind != sys::ValueType::napi_function {
        return;
    }
    let attributes = sys::PropertyAttributes::writable
        | sys::PropertyAttributes::enumerable
        | sys::PropertyAttributes::configurable;
    // SAFETY: forwarded.
    let status = unsafe { define_data(env, error, c"returnValue", value, attributes) };
    if status != sys::Status::napi_ok {
        // A proxy's trap may have thrown: the callback's error is what the caller gets.
        let mut pending = ptr::null_mut();
        // SAFETY: forwarded.
        unsafe { sys::napi_get_and_clear_last_exception(env, &mut pending) };
    }
}
