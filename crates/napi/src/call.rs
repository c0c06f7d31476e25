//! `callPointer`: JS calls any C function pointer with a runtime signature (FnPtr, Library).

use std::cell::Cell;
use std::ffi::CString;

use bare_fn_core::{call_raw_into, OsErrors, Param, Type};
use napi::{sys, Env, Error, Result, Status};
use napi_derive::napi;

use crate::from_js::from_js;
use crate::memory::encoded_struct;
use crate::native_call::NativeCall;
use crate::raw::{define_data, throw_on_failure, Failure, Raw};
use crate::signature::NativeSignature;
use crate::to_js::to_js;

/// Calls `address` as `signature` with `args`. index.ts has checked that the address is not NULL
/// and is aligned, and that the library it came from (if any) is open. Structs come encoded by
/// fn-ptr.ts: each struct argument as a view of its bytes, and a returned struct is stored into
/// `out` (a view of its size), the call then returning undefined.
///
/// An exception thrown by a BareFn callback during the call (without onError) is rethrown here.
#[napi]
pub fn call_pointer(
    env: Env,
    address: Raw,
    signature: &NativeSignature,
    args: Vec<Raw>,
    out: Option<Raw>,
) -> Result<Raw> {
    let env = env.raw();
    let sig = signature.get();
    let mut strings: Vec<CString> = Vec::new();
    let raw_args = throw_on_failure(env, convert_args(env, sig, &args, &mut strings))?;
    let mut target = Vec::new();
    // SAFETY: address is a bigint/number value of this call's scope.
    let address = throw_on_failure(env, unsafe {
        from_js(env, Type::Pointer, address.0, &mut target)
    })?;
    let view = match (sig.ret(), out) {
        (Param::Struct(s), Some(out)) => Some(throw_on_failure(
            env,
            encoded_struct(env, out, s.size(), "the result"),
        )?),
        (Param::Struct(_), None) => {
            return Err(Error::from_reason(
                "bare-fn: a struct result needs its buffer",
            ))
        }
        _ => None,
    };
    // The result is received here and copied to the view after the call: the view is the
    // FnPtr's, and a callback may call the same FnPtr meanwhile.
    let mut returned = vec![0u8; view.map_or(0, |(_, len)| len)];
    let call = NativeCall::enter(true);
    // SAFETY: the user declared that `address` has this signature (the one unchecked promise of
    // an FFI); C-string arguments live in `strings` until after the call, struct arguments in
    // their views, which this call's scope holds.
    let outcome = unsafe { call_raw_into(address as usize, sig, &raw_args, &mut returned) };
    if let Some((data, len)) = view {
        // SAFETY: a view of `len` bytes of this call's scope (bytes_of), no JS running.
        unsafe { std::ptr::copy_nonoverlapping(returned.as_ptr(), data, len) };
    }
    LAST_OS_ERRORS.set(outcome.os_errors);
    let ret = outcome.value;
    let error = call.finish(env);
    // SAFETY: in this call's scope; a returned C string is copied into a JS string right here,
    // while the C-string arguments still live: it may point into one of them (strchr, strstr).
    // A struct is decoded by fn-ptr.ts from `out`.
    let value = unsafe { to_js(env, sig.ret().scalar().unwrap_or(Type::Void), ret) };
    drop(strings);
    if let Some(error) = error {
        // SAFETY: both belong to this call's scope.
        unsafe {
            attach_return_value(env, error, value);
            sys::napi_throw(env, error);
        }
        return Err(Error::from_status(Status::PendingException));
    }
    Ok(Raw(value))
}

thread_local! {
    /// What the last FnPtr/Library call on this thread left in errno and GetLastError.
    static LAST_OS_ERRORS: Cell<OsErrors> = const { Cell::new(OsErrors { errno: 0, last_error: 0 }) };
}

/// `errno` as the last FnPtr/Library call on this thread left it (0 before any).
#[napi]
pub fn last_errno() -> i32 {
    LAST_OS_ERRORS.get().errno
}

/// `GetLastError()` as the last FnPtr/Library call on this thread left it (Windows; 0 elsewhere).
#[napi]
pub fn last_os_error() -> u32 {
    LAST_OS_ERRORS.get().last_error
}

/// Gives a callback's error, rethrown from the native call it interrupted, that call's own
/// result as `returnValue` (sqlite3_step's code, the new head of a sorted list): the native code
/// went on after the callback failed and its result may own something. A data property, defined
/// (not set: no setter of the error runs); an error that is not an object, or refuses the
/// property (frozen), goes on without it.
///
/// # Safety
/// `env` live; `error` and `value` belong to its open scope.
unsafe fn attach_return_value(env: sys::napi_env, error: sys::napi_value, value: sys::napi_value) {
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
        let mut pending = std::ptr::null_mut();
        // SAFETY: forwarded.
        unsafe { sys::napi_get_and_clear_last_exception(env, &mut pending) };
    }
}

fn convert_args(
    env: sys::napi_env,
    sig: &bare_fn_core::Signature,
    args: &[Raw],
    strings: &mut Vec<CString>,
) -> std::result::Result<Vec<u64>, Failure> {
    if args.len() != sig.args().len() {
        return Err(Failure::type_error(format!(
            "FnPtr {sig} takes {} arguments, got {}",
            sig.args().len(),
            args.len()
        )));
    }
    sig.args()
        .iter()
        .zip(args)
        .enumerate()
        .map(|(i, (param, value))| {
            match param {
                // SAFETY: value is an argument of this call, in its scope.
                &Param::Scalar(ty) => unsafe { from_js(env, ty, value.0, strings) },
                Param::Struct(s) => encoded_struct(env, *value, s.size(), "a struct")
                    .map(|(data, _)| data as usize as u64),
            }
            .map_err(|f| f.context(format_args!("FnPtr {sig}: argument {i} ({param})")))
        })
        .collect()
}
