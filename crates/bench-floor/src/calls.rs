//! The floor for JS -> native calls: hand-written Node-API functions making the C calls bench/
//! cases/js-to-native.ts makes through bare-fn, each doing what any such function must (read its
//! arguments, call, create the result) and no more. Plain Node-API callbacks (`napi_create_function`),
//! as an addon written in C would register them: napi-rs's per-call wrapper is not part of the
//! floor.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;

use napi::sys;

unsafe extern "C" {
    fn fma(x: f64, y: f64, z: f64) -> f64;
}

/// The callback's first N arguments.
///
/// # Safety
/// `env` and `info` are those Node-API passed to the callback.
pub unsafe fn args<const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> [sys::napi_value; N] {
    let mut argv = [ptr::null_mut(); N];
    let mut argc = N;
    // SAFETY: argv holds argc slots.
    unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    argv
}

/// `abs(int)`.
unsafe extern "C" fn floor_abs(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut out = ptr::null_mut();
    // SAFETY: called by Node-API; values of this call's scope.
    unsafe {
        let [x] = args::<1>(env, info);
        let mut value = 0;
        sys::napi_get_value_int32(env, x, &mut value);
        sys::napi_create_int32(env, libc::abs(value), &mut out);
    }
    out
}

/// `atoi(const char *)`, the string copied to the stack (strings in the bench are short).
unsafe extern "C" fn floor_atoi(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut out = ptr::null_mut();
    // SAFETY: as above; the buffer's size is passed and Node-API NUL-terminates it.
    unsafe {
        let [s] = args::<1>(env, info);
        let mut buf = [0 as c_char; 256];
        let mut copied = 0;
        sys::napi_get_value_string_utf8(env, s, buf.as_mut_ptr(), buf.len(), &mut copied);
        sys::napi_create_int32(
            env,
            libc::atoi(CStr::from_ptr(buf.as_ptr()).as_ptr()),
            &mut out,
        );
    }
    out
}

/// `fma(double, double, double)`.
unsafe extern "C" fn floor_fma(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut out = ptr::null_mut();
    // SAFETY: as above.
    unsafe {
        let [a, b, c] = args::<3>(env, info);
        let (mut x, mut y, mut z) = (0.0, 0.0, 0.0);
        sys::napi_get_value_double(env, a, &mut x);
        sys::napi_get_value_double(env, b, &mut y);
        sys::napi_get_value_double(env, c, &mut z);
        sys::napi_create_double(env, fma(x, y, z), &mut out);
    }
    out
}

/// `memset(void *, int, size_t)`, the pointer and size as bigints, the result a bigint.
unsafe extern "C" fn floor_memset(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut out = ptr::null_mut();
    // SAFETY: as above; the bench passes a buffer of at least `n` bytes.
    unsafe {
        let [p, c, n] = args::<3>(env, info);
        let (mut address, mut fill, mut size, mut lossless) = (0u64, 0 as c_int, 0u64, false);
        sys::napi_get_value_bigint_uint64(env, p, &mut address, &mut lossless);
        sys::napi_get_value_int32(env, c, &mut fill);
        sys::napi_get_value_bigint_uint64(env, n, &mut size, &mut lossless);
        let filled = libc::memset(address as usize as *mut c_void, fill, size as usize);
        sys::napi_create_bigint_uint64(env, filled as usize as u64, &mut out);
    }
    out
}

/// The floor functions, by the names bench/floor.ts declares.
pub const FUNCTIONS: [(&CStr, sys::napi_callback); 5] = [
    (c"floorAbs", Some(floor_abs)),
    (c"floorAbsAsync", Some(crate::async_work::floor_abs_async)),
    (c"floorAtoi", Some(floor_atoi)),
    (c"floorFma", Some(floor_fma)),
    (c"floorMemset", Some(floor_memset)),
];
