//! `NativeSignature`: a validated, laid-out signature shared by BareFns and FnPtrs.

use std::sync::Arc;

use bare_fn_core::{CallConv, SigError, Signature, Type};
use napi::{Env, Result};
use napi_derive::napi;

use crate::raw::{throw_on_failure, Failure};

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
    /// argument count and the calling convention on this target.
    #[napi(constructor)]
    pub fn new(env: Env, ret: String, args: Vec<String>, abi: String) -> Result<Self> {
        throw_on_failure(env.raw(), build(&ret, &args, &abi))
    }

    #[napi]
    #[allow(clippy::inherent_to_string)]
    pub fn to_string(&self) -> String {
        self.inner.to_string()
    }
}

fn build(ret: &str, args: &[String], abi: &str) -> std::result::Result<NativeSignature, Failure> {
    let parse = |name: &str, what: String| {
        Type::from_name(name)
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
    let inner = Signature::new(ret, args, conv).map_err(|e| match e {
        SigError::VoidArgument { .. } => Failure::type_error(format!("sig: {e}")),
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
