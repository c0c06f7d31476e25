//! `NativeSignature`: a validated, laid-out signature shared by BareFns and FnPtrs.

use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;

use bare_fn_core::abi::Target;
use bare_fn_core::{CallConv, Param, SigError, Signature, Struct, Type};
use napi::{sys, Env, Result};
use napi_derive::napi;

use crate::raw::{throw_on_failure, Failure, Raw};

#[napi]
pub struct NativeSignature {
    inner: Arc<Signature>,
}

impl NativeSignature {
    pub fn get(&self) -> &Arc<Signature> {
        &self.inner
    }
}

#[napi]
impl NativeSignature {
    /// Type and ABI names are validated by index.ts first; this re-checks them, and checks the
    /// argument count and the calling convention on this target. A struct passed by value is
    /// given as its descriptor (`{f64,f64}`, crates/core structs.rs).
    /// `fixed`: a call of a variadic function, whose first `fixed` arguments are its fixed ones.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        ret: String,
        args: Vec<String>,
        abi: String,
        fixed: Option<u32>,
    ) -> Result<Self> {
        throw_on_failure(
            env.raw(),
            build(&ret, &args, &abi, fixed.map(|n| n as usize)),
        )
    }

    #[napi]
    #[allow(clippy::inherent_to_string)]
    pub fn to_string(&self) -> String {
        self.inner.to_string()
    }

    /// An External holding this signature, for the plain Node-API functions (`createBareFn`),
    /// which cannot unwrap napi-rs classes. index.ts makes one per signature.
    #[napi]
    pub fn handle(&self, env: Env) -> Result<Raw> {
        let handle = Box::into_raw(Box::new(SignatureHandle {
            tag: TAG,
            signature: self.inner.clone(),
        }));
        let mut external = ptr::null_mut();
        // SAFETY: on env's thread; `handle` is released by `finalize_handle`, once.
        let status = unsafe {
            sys::napi_create_external(
                env.raw(),
                handle.cast(),
                Some(finalize_handle),
                ptr::null_mut(),
                &mut external,
            )
        };
        if status != sys::Status::napi_ok {
            // SAFETY: Node-API did not take it.
            drop(unsafe { Box::from_raw(handle) });
            return Err(napi::Error::from_reason("cannot create a signature handle"));
        }
        Ok(Raw(external))
    }
}

const TAG: u64 = 0x5167_0000_0000_0001;

struct SignatureHandle {
    tag: u64,
    signature: Arc<Signature>,
}

unsafe extern "C" fn finalize_handle(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the Box given to napi_create_external, finalized once.
    drop(unsafe { Box::from_raw(data as *mut SignatureHandle) });
}

/// The signature behind a handle made by `NativeSignature.handle()`.
///
/// # Safety
/// On the handle's env thread; `handle` a value of the current scope.
pub unsafe fn signature_of(
    env: sys::napi_env,
    handle: Raw,
) -> std::result::Result<Arc<Signature>, Failure> {
    let mut data = ptr::null_mut();
    // SAFETY: a non-External gives a status.
    let status = unsafe { sys::napi_get_value_external(env, handle.0, &mut data) };
    let handle = data as *const SignatureHandle;
    // SAFETY: an External's data of ours starts with TAG (checked first); it lives while the
    // handle value does.
    if status != sys::Status::napi_ok || handle.is_null() || unsafe { (*handle).tag } != TAG {
        return Err(Failure::type_error("bare-fn: not a signature handle"));
    }
    // SAFETY: see above.
    Ok(unsafe { (*handle).signature.clone() })
}

fn build(
    ret: &str,
    args: &[String],
    abi: &str,
    fixed: Option<usize>,
) -> std::result::Result<NativeSignature, Failure> {
    let parse = |name: &str, what: String| -> std::result::Result<Param, Failure> {
        if name.starts_with('{') {
            return Struct::parse(name, Target::HOST)
                .map(Param::from)
                .map_err(|e| Failure::type_error(format!("sig: {what}: {e}")));
        }
        Type::from_name(name)
            .map(Param::from)
            .ok_or_else(|| Failure::type_error(format!("sig: {what} has unknown type {name:?}")))
    };
    let ret = parse(ret, "the return type".into())?;
    let args = args
        .iter()
        .enumerate()
        .map(|(i, name)| parse(name, format!("argument {i}")))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let conv = CallConv::from_name(abi)
        .ok_or_else(|| Failure::range_error(format!("sig: unknown calling convention {abi:?}")))?;
    let made = match fixed {
        Some(fixed) => Signature::variadic(ret, args, conv, fixed),
        None => Signature::new(ret, args, conv),
    };
    let inner = made.map_err(|e| match e {
        SigError::VoidArgument { .. }
        | SigError::StructWithRegisterConvention { .. }
        | SigError::VariadicWithStruct { .. }
        | SigError::VariadicNotCdecl { .. } => Failure::type_error(format!("sig: {e}")),
        _ => Failure::range_error(format!("sig: {e}")),
    })?;
    Ok(NativeSignature {
        inner: Arc::new(inner),
    })
}

/// The alignment of code addresses on this platform (1 where any address can be code).
#[napi]
pub fn code_alignment() -> u32 {
    bare_fn_core::abi::CODE_ALIGN as u32
}
