//! Plain functions the tests call from JS, through bare-fn and through koffi.

use std::ffi::{c_char, CStr};

#[no_mangle]
pub extern "C" fn tl_add_i32(a: i32, b: i32) -> i32 {
    a.wrapping_add(b)
}

#[no_mangle]
pub extern "C" fn tl_neg_i8(x: i8) -> i8 {
    x.wrapping_neg()
}

/// Weighted sum `Σ (i + 1) * v_i` (wrapping), so a swapped or shifted argument changes the result.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn tl_sum16_i64(
    a0: i64,
    a1: i64,
    a2: i64,
    a3: i64,
    a4: i64,
    a5: i64,
    a6: i64,
    a7: i64,
    a8: i64,
    a9: i64,
    a10: i64,
    a11: i64,
    a12: i64,
    a13: i64,
    a14: i64,
    a15: i64,
) -> i64 {
    [
        a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15,
    ]
    .iter()
    .enumerate()
    .fold(0i64, |acc, (i, v)| {
        acc.wrapping_add(v.wrapping_mul(i as i64 + 1))
    })
}

/// Weighted sum `Σ (i + 1) * v_i`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn tl_sum16_f64(
    a0: f64,
    a1: f64,
    a2: f64,
    a3: f64,
    a4: f64,
    a5: f64,
    a6: f64,
    a7: f64,
    a8: f64,
    a9: f64,
    a10: f64,
    a11: f64,
    a12: f64,
    a13: f64,
    a14: f64,
    a15: f64,
) -> f64 {
    [
        a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15,
    ]
    .iter()
    .enumerate()
    .map(|(i, v)| v * (i as f64 + 1.0))
    .sum()
}

/// Length in bytes of a C string; `usize::MAX` for NULL.
///
/// # Safety
/// `s` must be NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn tl_strlen(s: *const c_char) -> usize {
    if s.is_null() {
        usize::MAX
    } else {
        CStr::from_ptr(s).to_bytes().len()
    }
}

/// A static non-ASCII UTF-8 string.
#[no_mangle]
pub extern "C" fn tl_hello() -> *const c_char {
    c"h\u{e9}llo w\u{f6}rld \u{2713}".as_ptr()
}

/// NULL as a C string.
#[no_mangle]
pub extern "C" fn tl_null_str() -> *const c_char {
    std::ptr::null()
}

/// An address on the calling thread's stack right now, for tests that need to know how deep a
/// call is.
#[no_mangle]
#[inline(never)]
pub extern "C" fn tl_stack_position() -> usize {
    let marker = 0u8;
    std::hint::black_box(std::ptr::addr_of!(marker)) as usize
}
