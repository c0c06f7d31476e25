//! Benchmark loops: call a callback `n` times from native code and fold the results, so the
//! benchmark can check every call returned the right value.

use std::ffi::{c_char, c_void};

use crate::typed::Point;

/// The loops whose callback convention varies: `(i32, i32) -> i32` and a 6-argument mixed
/// signature, as `extern $abi` callers named `$i32` and `$mixed6`.
macro_rules! abi_loops {
    ($i32:ident, $mixed6:ident, $abi:literal) => {
        /// Sum of `cb(i, i * 3)` (wrapping i32 arithmetic on the arguments) for i in 0..n.
        ///
        /// # Safety
        /// `cb` must be an `(i32, i32) -> i32` function of the convention named above.
        #[no_mangle]
        pub unsafe extern "C" fn $i32(cb: unsafe extern $abi fn(i32, i32) -> i32, n: u32) -> i64 {
            (0..n)
                .map(|i| i64::from(cb(i as i32, (i as i32).wrapping_mul(3))))
                .sum()
        }

        /// Sum of `cb(i, i / 2, -i, 0.25, p, i % 256)` for i in 0..n.
        ///
        /// # Safety
        /// `cb` must be an `(i64, f64, i32, f32, pointer, u8) -> i64` function of the convention
        /// named above.
        #[no_mangle]
        pub unsafe extern "C" fn $mixed6(
            cb: unsafe extern $abi fn(i64, f64, i32, f32, *const c_void, u8) -> i64,
            p: *const c_void,
            n: u32,
        ) -> i64 {
            (0..n)
                .map(|i| {
                    cb(
                        i64::from(i),
                        f64::from(i) / 2.0,
                        -(i as i32),
                        0.25,
                        p,
                        i as u8,
                    )
                })
                .fold(0i64, i64::wrapping_add)
        }
    };
}

abi_loops!(tl_loop_i32_i32_i32, tl_loop_mixed6, "C");
// Win64 thunks on x86-64 Linux, measured natively beside System V ones (bench, conventions).
#[cfg(target_arch = "x86_64")]
abi_loops!(tl_loop_i32_i32_i32_win64, tl_loop_mixed6_win64, "win64");

/// Sum of `cb(i, 0.5)` for i in 0..n.
///
/// # Safety
/// `cb` must be an `(f64, f64) -> f64` function.
#[no_mangle]
pub unsafe extern "C" fn tl_loop_f64_f64_f64(
    cb: unsafe extern "C" fn(f64, f64) -> f64,
    n: u32,
) -> f64 {
    (0..n).map(|i| cb(f64::from(i), 0.5)).sum()
}

/// Sum of `cb(text)` for `n` calls, all within this one native call.
///
/// # Safety
/// `cb` must be a `(cstring) -> i32` function; `text` a C string.
#[no_mangle]
pub unsafe extern "C" fn tl_loop_cstring(
    cb: unsafe extern "C" fn(*const c_char) -> i32,
    text: *const c_char,
    n: u32,
) -> i64 {
    (0..n).map(|_| i64::from(cb(text))).sum()
}

/// Calls the `count` functions listed at `list` in turn, all in this one native call: each as
/// `f(previous result, position)`, starting from `a`, reading its entry just before calling it, so
/// a callback may replace a later entry. Returns the last result.
///
/// # Safety
/// `list` holds `count` `(i32, i32) -> i32` functions, readable during the whole call.
#[no_mangle]
pub unsafe extern "C" fn tl_call_chain(
    list: *const unsafe extern "C" fn(i32, i32) -> i32,
    count: u32,
    a: i32,
) -> i32 {
    (0..count).fold(a, |acc, i| {
        // SAFETY: within the list (contract); volatile because a callback may have changed it.
        let f = unsafe { list.add(i as usize).read_volatile() };
        f(acc, i as i32)
    })
}

/// Sum of `x + y` of `cb({ i, 0.5 })` for i in 0..n: the struct-by-value side of the benchmark
/// whose other side is `tl_loop_f64_f64`.
///
/// # Safety
/// `cb` must be a `(Point) -> Point` function.
#[no_mangle]
pub unsafe extern "C" fn tl_loop_point(cb: unsafe extern "C" fn(Point) -> Point, n: u32) -> f64 {
    (0..n)
        .map(|i| {
            let p = cb(Point {
                x: f64::from(i),
                y: 0.5,
            });
            p.x + p.y
        })
        .sum()
}

/// Sum of `cb(i, 0.5)` for i in 0..n: the same work as `tl_loop_point` with two doubles in and
/// one out.
///
/// # Safety
/// `cb` must be an `(f64, f64) -> f64` function.
#[no_mangle]
pub unsafe extern "C" fn tl_loop_f64_f64(cb: unsafe extern "C" fn(f64, f64) -> f64, n: u32) -> f64 {
    (0..n).map(|i| cb(f64::from(i), 0.5)).sum()
}
