//! `structLayout`: the C layout of a `t.struct`, from its descriptor (crates/core structs.rs).

use bare_fn_core::abi::Target;
use bare_fn_core::structs::{Struct, StructError};
use napi::{Env, Result};
use napi_derive::napi;

use crate::raw::{throw_on_failure, Failure};

/// `[size, align, ...offsets]` of the struct `descriptor` describes, on this platform. src/lib/struct.ts
/// checks fields first, naming them; these errors, starting with `what`, are for what only the
/// layout can tell.
#[napi(js_name = "structLayout")]
pub fn struct_layout(env: Env, what: String, descriptor: String) -> Result<Vec<u32>> {
    let laid = Struct::parse(&descriptor, Target::HOST).map_err(|e| match e {
        StructError::TooLarge
        | StructError::Pack(_)
        | StructError::ZeroLength
        | StructError::TooDeep => Failure::range_error(format!("{what}: {e}")),
        _ => Failure::type_error(format!("{what}: {e}")),
    });
    let laid = throw_on_failure(env.raw(), laid)?;
    // Sizes and offsets are at most MAX_SIZE (i32::MAX): they fit.
    let head = [laid.size() as u32, laid.align() as u32];
    Ok(head
        .into_iter()
        .chain(laid.offsets().iter().map(|&o| o as u32))
        .collect())
}
