//! Raw-encoded values (see bare_fn_core::types) to JS values.

use std::ffi::{c_char, CStr};
use std::ptr;

use bare_fn_core::Type;
use napi::sys;

/// NAPI_AUTO_LENGTH (SIZE_MAX) as the `isize` napi-sys declares: read up to the NUL.
const AUTO_LENGTH: isize = -1;

/// A C string of known length as a JS string (invalid UTF-8 replaced by U+FFFD).
///
/// # Safety
/// As for `to_js`.
#[inline]
pub unsafe fn cstr_to_js(env: sys::napi_env, text: &CStr) -> sys::napi_value {
    let mut out = ptr::null_mut();
    let bytes = text.to_bytes();
    // SAFETY: env per the contract; `bytes` is readable for its length.
    unsafe {
        sys::napi_create_string_utf8(env, bytes.as_ptr().cast(), bytes.len() as isize, &mut out)
    };
    out
}

/// Converts one raw value of type `ty` to JS. 8-32-bit integers and floats become numbers, 64-bit
/// and size types bigints, pointers bigints, C strings strings (or null for NULL; invalid UTF-8
/// is replaced by U+FFFD, as Node-API does), bool a boolean, void undefined.
///
/// # Safety
/// `env` must be the current thread's live env inside an open handle scope; for `CString`, a
/// non-zero `raw` must point to a NUL-terminated string readable for the duration of the call.
#[inline(always)]
pub unsafe fn to_js(env: sys::napi_env, ty: Type, raw: u64) -> sys::napi_value {
    let mut out = ptr::null_mut();
    // SAFETY (all arms): env is live per the contract; out is a valid out-pointer.
    unsafe {
        match ty {
            Type::Void => sys::napi_get_undefined(env, &mut out),
            Type::Bool => sys::napi_get_boolean(env, raw != 0, &mut out),
            Type::I8 | Type::U8 | Type::I16 | Type::U16 | Type::I32 => {
                sys::napi_create_int32(env, raw as i32, &mut out)
            }
            Type::U32 => sys::napi_create_uint32(env, raw as u32, &mut out),
            Type::I64 | Type::Isize => sys::napi_create_bigint_int64(env, raw as i64, &mut out),
            Type::U64 | Type::Usize | Type::Pointer => {
                sys::napi_create_bigint_uint64(env, raw, &mut out)
            }
            Type::F32 => {
                sys::napi_create_double(env, f64::from(f32::from_bits(raw as u32)), &mut out)
            }
            Type::F64 => sys::napi_create_double(env, f64::from_bits(raw), &mut out),
            Type::CString if raw == 0 => sys::napi_get_null(env, &mut out),
            Type::CString => sys::napi_create_string_utf8(
                env,
                raw as usize as *const c_char,
                AUTO_LENGTH,
                &mut out,
            ),
        };
    }
    out
}
