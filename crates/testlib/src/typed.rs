//! Callers of fixed shapes, compiled by rustc: the argument registers and stack slots are filled by
//! the compiler's own lowering of the C ABI, not by bare-fn or libffi. Each returns what the
//! callback returned.

use std::ffi::c_char;

pub type I32I32I32 = unsafe extern "C" fn(i32, i32) -> i32;
pub type F64F64F64 = unsafe extern "C" fn(f64, f64) -> f64;

/// A struct passed and returned by value: two doubles, which System V passes in two xmm
/// registers and AArch64 as a homogeneous float aggregate.
#[repr(C)]
#[derive(Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// `cb(a, b)`.
///
/// # Safety
/// `cb` must be a function of that signature.
#[no_mangle]
pub unsafe extern "C" fn tl_call_i32_i32_i32(cb: I32I32I32, a: i32, b: i32) -> i32 {
    cb(a, b)
}

/// `tl_call_i32_i32_i32` for each convention that is not C on some target: `cb(a, b)` called as
/// `extern $abi`, exported as `$name` where `$arch` has that convention.
macro_rules! convention_callers {
    ($($name:ident: $abi:literal on $arch:literal),* $(,)?) => {$(
        #[doc = concat!("`cb(a, b)`, calling `cb` as an `extern \"", $abi, "\"` function.")]
        ///
        /// # Safety
        /// `cb` must be a function of that convention and signature.
        #[cfg(target_arch = $arch)]
        #[no_mangle]
        pub unsafe extern "C" fn $name(
            cb: unsafe extern $abi fn(i32, i32) -> i32,
            a: i32,
            b: i32,
        ) -> i32 {
            cb(a, b)
        }
    )*};
}
convention_callers!(
    tl_call_i32_i32_i32_win64: "win64" on "x86_64",
    tl_call_i32_i32_i32_sysv64: "sysv64" on "x86_64",
    tl_call_i32_i32_i32_stdcall: "stdcall" on "x86",
    tl_call_i32_i32_i32_fastcall: "fastcall" on "x86",
    tl_call_i32_i32_i32_thiscall: "thiscall" on "x86",
);

/// `cb(a, b)`.
///
/// # Safety
/// `cb` must be a function of that signature.
#[no_mangle]
pub unsafe extern "C" fn tl_call_f64_f64_f64(cb: F64F64F64, a: f64, b: f64) -> f64 {
    cb(a, b)
}

/// `cb(a, b)` for a void callback; returns how many times it called (1), so a test can see the
/// call happened.
///
/// # Safety
/// `cb` must be a function of that signature.
#[no_mangle]
pub unsafe extern "C" fn tl_call_void_u32_f64(
    cb: unsafe extern "C" fn(u32, f64),
    a: u32,
    b: f64,
) -> u32 {
    cb(a, b);
    1
}

/// `cb(s)` for a `(cstring) -> cstring` callback.
///
/// # Safety
/// `cb` must be a function of that signature; `s` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn tl_call_cstring_cstring(
    cb: unsafe extern "C" fn(*const c_char) -> *const c_char,
    s: *const c_char,
) -> *const c_char {
    cb(s)
}

/// `cb(v[0], …, v[15])` with 16 `i64`: 6 in registers, 10 on the stack.
///
/// # Safety
/// `cb` must be a function of that signature; `v` must hold 16 values.
#[no_mangle]
pub unsafe extern "C" fn tl_call_ints16(
    cb: unsafe extern "C" fn(
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    ) -> i64,
    v: *const i64,
) -> i64 {
    let v = std::slice::from_raw_parts(v, 16);
    cb(
        v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13],
        v[14], v[15],
    )
}

/// `cb(v[0], …, v[15])` with 16 `f64`: 8 in registers, 8 on the stack.
///
/// # Safety
/// `cb` must be a function of that signature; `v` must hold 16 values.
#[no_mangle]
pub unsafe extern "C" fn tl_call_floats16(
    cb: unsafe extern "C" fn(
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
    ) -> f64,
    v: *const f64,
) -> f64 {
    let v = std::slice::from_raw_parts(v, 16);
    cb(
        v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13],
        v[14], v[15],
    )
}

/// The interleaved 16-argument shape
/// `(i8, f32, u16, f64, i32, f32, u64, f64, i64, f32, f64, bool, f32, f64, u8, f64) -> f64`:
/// 7 integer-class arguments (the `u8` is the 7th and goes on the stack) and 9 float-class
/// arguments (the last `f64` is the 9th and goes on the stack after it).
pub type Mixed16 = unsafe extern "C" fn(
    i8,
    f32,
    u16,
    f64,
    i32,
    f32,
    u64,
    f64,
    i64,
    f32,
    f64,
    bool,
    f32,
    f64,
    u8,
    f64,
) -> f64;

/// `cb(...)` with the [`Mixed16`] shape and the raw values in `v`.
///
/// # Safety
/// `cb` must be a function of that signature; `v` must hold 16 values.
#[no_mangle]
pub unsafe extern "C" fn tl_call_mixed16(cb: Mixed16, v: *const u64) -> f64 {
    let v = std::slice::from_raw_parts(v, 16);
    let f32_at = |i: usize| f32::from_bits(v[i] as u32);
    let f64_at = |i: usize| f64::from_bits(v[i]);
    cb(
        v[0] as i8,
        f32_at(1),
        v[2] as u16,
        f64_at(3),
        v[4] as i32,
        f32_at(5),
        v[6],
        f64_at(7),
        v[8] as i64,
        f32_at(9),
        f64_at(10),
        v[11] != 0,
        f32_at(12),
        f64_at(13),
        v[14] as u8,
        f64_at(15),
    )
}
