//! `NativeSignature`: a validated, laid-out signature shared by BareFns and FnPtrs.

use std::sync::Arc;

use bare_fn_core::abi::Target;
use bare_fn_core::{CallConv, Param, SigError, Signature, Struct, Type};
use napi::{Env, Result};
use napi_derive::napi;

use crate::external::{to_external, Tagged};
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

/// What an error about the value a BareFn of `sig` returned starts with, here (scalars,
/// callback/owning.rs) and in src/lib/arg-buffer.ts (structs, which JS encodes): `returnedWhat()`.
pub fn returned_what(sig: &Signature) -> String {
    format!("BareFn {sig} returned")
}

#[napi]
impl NativeSignature {
    /// Type and ABI names are validated by src/lib/signature.ts first; this re-checks them, and checks the
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

    /// See `returned_what`.
    #[napi]
    pub fn returned_what(&self) -> String {
        returned_what(&self.inner)
    }

    /// An External holding this signature, for the plain Node-API functions (`createBareFn`,
    /// `createCaller`), which cannot unwrap napi-rs classes. src/lib/signature.ts makes one per
    /// signature.
    #[napi]
    pub fn handle(&self, env: Env) -> Result<Raw> {
        throw_on_failure(
            env.raw(),
            to_external(env.raw(), self.inner.clone()).map(Raw),
        )
    }
}

impl Tagged for Signature {
    const TAG: u64 = 0x5167_0000_0000_0001;
    const WHAT: &'static str = "a signature handle";
}

fn build(
    ret: &str,
    args: &[String],
    abi: &str,
    fixed: Option<usize>,
) -> std::result::Result<NativeSignature, Failure> {
    let parse = |name: &str, what: String| -> std::result::Result<Param, Failure> {
        if name.starts_with(['{', '<']) {
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
