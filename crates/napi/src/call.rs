//! `callPointer`: JS calls any C function pointer with a runtime signature (FnPtr, Library).

use std::ffi::CString;

use bare_fn_core::{call_raw, Type};
use napi::{sys, Env, Error, Result, Status};
use napi_derive::napi;

use crate::from_js::from_js;
use crate::native_call::NativeCall;
use crate::raw::{throw_on_failure, Failure, Raw};
use crate::signature::NativeSignature;
use crate::to_js::to_js;

/// Calls `address` as `signature` with `args`. index.ts has checked that the address is not NULL
/// and is aligned, and that the library it came from (if any) is open.
///
/// An exception thrown by a BareFn callback during the call (without onError) is rethrown here.
#[napi]
pub fn call_pointer(
    env: Env,
    address: Raw,
    signature: &NativeSignature,
    args: Vec<Raw>,
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
    let call = NativeCall::enter(true);
    // SAFETY: the user declared that `address` has this signature (the one unchecked promise of
    // an FFI); C-string arguments live in `strings` until after the call.
    let ret = unsafe { call_raw(address as usize, sig, &raw_args) };
    if let Some(error) = call.finish(env) {
        // SAFETY: error belongs to this call's scope.
        unsafe { sys::napi_throw(env, error) };
        return Err(Error::from_status(Status::PendingException));
    }
    // SAFETY: in this call's scope; a returned C string is copied into a JS string right here,
    // while the C-string arguments still live: it may point into one of them (strchr, strstr).
    let value = unsafe { to_js(env, sig.ret(), ret) };
    drop(strings);
    Ok(Raw(value))
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
        .map(|(i, (&ty, value))| {
            // SAFETY: value is an argument of this call, in its scope.
            unsafe { from_js(env, ty, value.0, strings) }
                .map_err(|f| f.context(format_args!("FnPtr {sig}: argument {i} ({ty})")))
        })
        .collect()
}
