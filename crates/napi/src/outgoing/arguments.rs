//! One argument of a call into C, from its JS value: what `from_js` converts, and for a `pointer`
//! parameter also the bytes of a TypedArray, Buffer, DataView or ArrayBuffer (their address, for
//! the duration of the call) and null (NULL). Only for calls: a pointer stored in memory or
//! returned by a callback outlives any call, and an address of JS bytes there would dangle.

use bare_fn_core::Type;
use napi::sys;

use crate::from_js::{exact, from_js, CStrings};
use crate::raw::{describe, type_of, Failure};
use crate::views::data_pointer;

/// The raw value of argument `value` declared `ty`, C strings kept in `strings`.
///
/// # Safety
/// `env` live on this thread, `value` of its open scope.
#[inline(always)]
pub unsafe fn argument(
    env: sys::napi_env,
    ty: Type,
    value: sys::napi_value,
    strings: &mut impl CStrings,
) -> Result<u64, Failure> {
    if ty == Type::Pointer {
        // SAFETY: forwarded.
        if let Some(raw) = unsafe { exact(env, ty, value) } {
            return Ok(raw);
        }
        if let Some(address) = bytes_address(env, value) {
            return Ok(address);
        }
        // SAFETY: forwarded.
        return unsafe { from_js(env, ty, value, strings) }.map_err(|failure| {
            match type_of(env, value) {
                sys::ValueType::napi_number | sys::ValueType::napi_bigint => failure,
                _ => Failure::type_error(format!(
                    "expected an address (a bigint or safe integer), a TypedArray, Buffer, \
                     DataView or ArrayBuffer, or null ({ty}), got {}",
                    describe(env, value)
                )),
            }
        });
    }
    // SAFETY: forwarded.
    unsafe { from_js(env, ty, value, strings) }
}

/// The address of the bytes of a TypedArray, Buffer, DataView or ArrayBuffer, or 0 for null;
/// None for any other value. (An empty or detached one may have no address: NULL.)
#[cold]
pub fn bytes_address(env: sys::napi_env, value: sys::napi_value) -> Option<u64> {
    match type_of(env, value) {
        sys::ValueType::napi_null => Some(0),
        sys::ValueType::napi_object => data_pointer(env, value, &"")
            .ok()
            .map(|(data, _)| data as usize as u64),
        _ => None,
    }
}
