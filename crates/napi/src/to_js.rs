//! Raw-encoded values (see bare_fn_core::types) to JS values.

use std::ptr;

use bare_fn_core::{Text, Type};
use napi::sys;

use crate::text;

/// Converts one raw value of type `ty` to JS. 8-32-bit integers and floats become numbers, 64-bit
/// and size types bigints, pointers bigints, C strings of each encoding strings (or null for NULL;
/// what is not valid text is replaced by U+FFFD: `text::to_js`), bool a boolean, void undefined.
///
/// # Safety
/// `env` must be the current thread's live env inside an open handle scope; for a string type, a
/// non-zero `raw` must point to a NUL-terminated string of its encoding, aligned for its units
/// and readable for the duration of the call.
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
            Type::CString | Type::CString16 | Type::CString32 if raw == 0 => {
                sys::napi_get_null(env, &mut out)
            }
            Type::CString | Type::CString16 | Type::CString32 => {
                let text = ty.text().unwrap_or(Text::Utf8);
                return text::to_js(env, raw, text).0;
            }
        };
    }
    out
}
