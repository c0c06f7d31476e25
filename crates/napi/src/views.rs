//! The bytes behind a JS TypedArray, Buffer, DataView or ArrayBuffer: where they are and how many,
//! for `memory` and for struct arguments and results that src/lib/ encodes (FnPtr calls, a
//! BareFn's fallback).

use std::ffi::c_void;
use std::fmt;
use std::ptr;

use napi::sys;

use crate::raw::{describe, Failure, Raw};

/// The bytes of a struct src/lib/ encoded (an FnPtr's argument or result, a BareFn's fallback): a
/// view of exactly `size` bytes; an error naming `what` otherwise.
pub fn encoded_struct(
    env: sys::napi_env,
    value: Raw,
    size: usize,
    what: &str,
) -> std::result::Result<(*mut u8, usize), Failure> {
    match data_pointer(env, value.0, &what)? {
        (data, len) if len == size => Ok((data.cast(), len)),
        (_, len) => Err(Failure::type_error(format!(
            "bare-fn: {what} is encoded in {len} bytes, not {size}"
        ))),
    }
}

/// Where the bytes of `value` are, and how many; an error naming `what` for anything else.
pub fn data_pointer(
    env: sys::napi_env,
    value: sys::napi_value,
    what: &dyn fmt::Display,
) -> std::result::Result<(*mut c_void, usize), Failure> {
    let mut data: *mut c_void = ptr::null_mut();
    let mut is = false;
    // SAFETY (all calls): value belongs to the current call's scope; out-pointers are valid, and
    // null out-pointers are accepted by Node-API for the fields not needed.
    unsafe {
        sys::napi_is_typedarray(env, value, &mut is);
        if is {
            let (mut kind, mut len) = (0, 0usize);
            sys::napi_get_typedarray_info(
                env,
                value,
                &mut kind,
                &mut len,
                &mut data,
                ptr::null_mut(),
                ptr::null_mut(),
            );
            return Ok((data, len * element_size(kind)));
        }
        sys::napi_is_dataview(env, value, &mut is);
        if is {
            let mut len = 0usize;
            sys::napi_get_dataview_info(
                env,
                value,
                &mut len,
                &mut data,
                ptr::null_mut(),
                ptr::null_mut(),
            );
            return Ok((data, len));
        }
        sys::napi_is_arraybuffer(env, value, &mut is);
        if is {
            let mut len = 0usize;
            sys::napi_get_arraybuffer_info(env, value, &mut data, &mut len);
            return Ok((data, len));
        }
    }
    Err(Failure::type_error(format!(
        "{what}: expected a TypedArray, Buffer, DataView or ArrayBuffer, got {}",
        describe(env, value)
    )))
}

/// Bytes per element of a typed array kind (`napi_typedarray_type`).
fn element_size(kind: sys::napi_typedarray_type) -> usize {
    match kind {
        sys::TypedarrayType::int8_array
        | sys::TypedarrayType::uint8_array
        | sys::TypedarrayType::uint8_clamped_array => 1,
        sys::TypedarrayType::int16_array | sys::TypedarrayType::uint16_array => 2,
        sys::TypedarrayType::int32_array
        | sys::TypedarrayType::uint32_array
        | sys::TypedarrayType::float32_array => 4,
        _ => 8, // float64, bigint64, biguint64
    }
}
