//! The Node-API floor for the benchmarks: a Rust loop calling a JS function directly, doing only
//! what any native -> JS call must do (bench/ compares BareFn calls against it), and a bare
//! threadsafe function fed by a thread, the floor for calls from other threads. An addon of its
//! own (bench/floor.ts loads it beside bare-fn's), so that the shipped addon has none of this.

mod async_work;
mod calls;

use std::ffi::c_void;
use std::ptr;

use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName, ValidateNapiValue};
use napi::{sys, Env, ValueType};
use napi_derive::napi;

/// A JS value passed through napi-rs untouched.
#[derive(Clone, Copy)]
pub struct Raw(sys::napi_value);

impl TypeName for Raw {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for Raw {}

impl FromNapiValue for Raw {
    unsafe fn from_napi_value(_env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        Ok(Raw(value))
    }
}

impl ToNapiValue for Raw {
    unsafe fn to_napi_value(_env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        Ok(value.0)
    }
}

fn undefined(env: sys::napi_env) -> sys::napi_value {
    let mut out = ptr::null_mut();
    // SAFETY: env live, inside the caller's scope.
    unsafe { sys::napi_get_undefined(env, &mut out) };
    out
}

fn string(env: sys::napi_env, text: &str) -> sys::napi_value {
    let mut out = ptr::null_mut();
    // SAFETY: as above; the text is valid UTF-8 of its length.
    unsafe {
        sys::napi_create_string_utf8(env, text.as_ptr().cast(), text.len() as isize, &mut out)
    };
    out
}

/// Calls `func` `n` times the way any native -> JS call must: one handle scope per call, the
/// arguments `make_args(i)` creates, the result `read` converts. Returns the wrapping sum of the
/// results as f64 bits or i64, as `read` gives them.
fn floor_loop<const N: usize>(
    env: sys::napi_env,
    func: Raw,
    n: u32,
    make_args: impl Fn(sys::napi_env, u32) -> [sys::napi_value; N],
    read: impl Fn(sys::napi_env, sys::napi_value) -> f64,
) -> f64 {
    let recv = undefined(env);
    let mut sum = 0.0;
    for i in 0..n {
        let mut scope = ptr::null_mut();
        let mut result = ptr::null_mut();
        // SAFETY: env is live on its thread; func is a function argument of this call; every
        // value belongs to `scope`, closed in the same iteration.
        unsafe {
            sys::napi_open_handle_scope(env, &mut scope);
            let argv = make_args(env, i);
            sys::napi_call_function(env, recv, func.0, N, argv.as_ptr(), &mut result);
            sum += read(env, result);
            sys::napi_close_handle_scope(env, scope);
        }
    }
    sum
}

fn int32(env: sys::napi_env, v: i32) -> sys::napi_value {
    let mut out = ptr::null_mut();
    // SAFETY: env live, inside the caller's scope.
    unsafe { sys::napi_create_int32(env, v, &mut out) };
    out
}

fn double(env: sys::napi_env, v: f64) -> sys::napi_value {
    let mut out = ptr::null_mut();
    // SAFETY: as above.
    unsafe { sys::napi_create_double(env, v, &mut out) };
    out
}

fn bigint(env: sys::napi_env, v: i64) -> sys::napi_value {
    let mut out = ptr::null_mut();
    // SAFETY: as above.
    unsafe { sys::napi_create_bigint_int64(env, v, &mut out) };
    out
}

/// `func(i, i * 3)` with two int32, the int32 result read: what testlib's
/// `tl_loop_i32_i32_i32` makes a BareFn do.
#[napi(js_name = "benchFloorI32")]
pub fn bench_floor_i32(env: Env, func: Raw, n: u32) -> i64 {
    let read = |env, v| {
        let mut out = 0i32;
        // SAFETY: v is the call's result, in scope.
        unsafe { sys::napi_get_value_int32(env, v, &mut out) };
        f64::from(out)
    };
    let args = |env, i: u32| [int32(env, i as i32), int32(env, (i as i32).wrapping_mul(3))];
    floor_loop(env.raw(), func, n, args, read) as i64
}

fn read_double(env: sys::napi_env, v: sys::napi_value) -> f64 {
    let mut out = 0.0;
    // SAFETY: v is the call's result, in scope.
    unsafe { sys::napi_get_value_double(env, v, &mut out) };
    out
}

/// `func(i, 0.5)` with two doubles, the double result read (`tl_loop_f64_f64_f64`).
#[napi(js_name = "benchFloorF64")]
pub fn bench_floor_f64(env: Env, func: Raw, n: u32) -> f64 {
    let args = |env, i: u32| [double(env, f64::from(i)), double(env, 0.5)];
    floor_loop(env.raw(), func, n, args, read_double)
}

/// `func(i, i / 2, -i, 0.25, p, i % 256)` as (bigint, double, int32, double, bigint, int32), the
/// bigint result read (`tl_loop_mixed6`).
#[napi(js_name = "benchFloorMixed6")]
pub fn bench_floor_mixed6(env: Env, func: Raw, p: i64, n: u32) -> f64 {
    let args = |env, i: u32| {
        [
            bigint(env, i64::from(i)),
            double(env, f64::from(i) / 2.0),
            int32(env, -(i as i32)),
            double(env, 0.25),
            bigint(env, p),
            int32(env, (i % 256) as i32),
        ]
    };
    let read = |env, v| {
        let (mut out, mut lossless) = (0i64, false);
        // SAFETY: v is the call's result, in scope.
        unsafe { sys::napi_get_value_bigint_int64(env, v, &mut out, &mut lossless) };
        out as f64
    };
    floor_loop(env.raw(), func, n, args, read)
}

/// A threadsafe function pointer moved to the floor's producer thread.
struct SendTsfn(sys::napi_threadsafe_function);
// SAFETY: Node-API threadsafe functions may be called and released from any thread.
unsafe impl Send for SendTsfn {}

/// The floor for queued calls from another thread: a thread of ours queues `n` calls of `func`
/// (no arguments, Node-API's default call) through one bare threadsafe function, then releases
/// it. Returns at once; JS counts the calls as they arrive.
#[napi(js_name = "benchFloorTsfn")]
pub fn bench_floor_tsfn(env: Env, func: Raw, n: u32) {
    let env = env.raw();
    let mut tsfn = ptr::null_mut();
    // SAFETY: on env's thread; func is a function argument of this call; the function stays
    // referenced (keeping the loop alive) until the producer releases it.
    unsafe {
        sys::napi_create_threadsafe_function(
            env,
            func.0,
            ptr::null_mut(),
            string(env, "bench-floor"),
            0,
            1,
            ptr::null_mut(),
            None,
            ptr::null_mut(),
            None,
            &mut tsfn,
        );
    }
    let tsfn = SendTsfn(tsfn);
    std::thread::spawn(move || {
        let tsfn = tsfn;
        for _ in 0..n {
            // SAFETY: live until released below.
            unsafe {
                sys::napi_call_threadsafe_function(
                    tsfn.0,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                )
            };
        }
        // SAFETY: released once, by its only thread.
        unsafe {
            sys::napi_release_threadsafe_function(
                tsfn.0,
                sys::ThreadsafeFunctionReleaseMode::release,
            )
        };
    });
}

thread_local! {
    /// The env and JS comparator of the running `benchFloorQsort` (qsort's comparator has no
    /// context argument).
    static QSORT_JS: std::cell::Cell<(sys::napi_env, sys::napi_value, u64)> =
        const { std::cell::Cell::new((ptr::null_mut(), ptr::null_mut(), 0)) };
}

extern "C" fn floor_compare(a: *const std::ffi::c_void, b: *const std::ffi::c_void) -> i32 {
    let (env, func, calls) = QSORT_JS.get();
    QSORT_JS.set((env, func, calls + 1));
    // SAFETY: qsort passes pointers to elements of the i32 array being sorted.
    let (x, y) = unsafe { (*(a as *const i32), *(b as *const i32)) };
    let args = |env, _| [int32(env, x), int32(env, y)];
    let read = |env, v| {
        let mut out = 0i32;
        // SAFETY: v is the call's result, in scope.
        unsafe { sys::napi_get_value_int32(env, v, &mut out) };
        f64::from(out)
    };
    floor_loop(env, Raw(func), 1, args, read) as i32
}

/// The floor for sorting with a JS comparator: libc qsort of the Int32Array `values` with a
/// native comparator that reads both ints itself and calls `func(a, b)` through Node-API (one
/// handle scope per call). Returns the number of comparisons.
#[napi(js_name = "benchFloorQsort")]
pub fn bench_floor_qsort(env: Env, func: Raw, values: Raw) -> napi::Result<f64> {
    let env = env.raw();
    let (mut length, mut data) = (0usize, ptr::null_mut());
    // SAFETY: values is an argument of this call (an Int32Array: a status otherwise).
    let status = unsafe {
        sys::napi_get_typedarray_info(
            env,
            values.0,
            ptr::null_mut(),
            &mut length,
            &mut data,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::from_reason(
            "benchFloorQsort: values must be an Int32Array",
        ));
    }
    QSORT_JS.set((env, func.0, 0));
    // SAFETY: data points to `length` i32 (an Int32Array); the comparator matches qsort's type.
    unsafe { libc::qsort(data, length, 4, Some(floor_compare)) };
    Ok(QSORT_JS.get().2 as f64)
}

/// The floor for creating and releasing a callback: what any addon must do to keep a JS
/// function callable from native code, a strong reference created and deleted.
#[napi(js_name = "benchFloorRefPair")]
pub fn bench_floor_ref_pair(env: Env, func: Raw) {
    let mut reference = ptr::null_mut();
    // SAFETY: func is an argument of this call; the reference is deleted at once.
    unsafe {
        sys::napi_create_reference(env.raw(), func.0, 1, &mut reference);
        sys::napi_delete_reference(env.raw(), reference);
    }
}

/// Live-handles floor: what Node-API makes any addon hold to keep a JS function callable from
/// native code and learn when its owner is collected, a strong reference to the function and an
/// External with a finalizer (here owning the reference, never deleted: the bench keeps them).
#[napi(js_name = "benchFloorLive")]
pub fn bench_floor_live(env: Env, func: Raw) -> Raw {
    unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
        // SAFETY: the pointer given to napi_create_external below, finalized once.
        drop(unsafe { Box::from_raw(data as *mut sys::napi_ref) });
    }
    let mut reference = ptr::null_mut();
    let mut external = ptr::null_mut();
    // SAFETY: func is an argument of this call; the Box is released by `finalize`.
    unsafe {
        sys::napi_create_reference(env.raw(), func.0, 1, &mut reference);
        let data = Box::into_raw(Box::new(reference));
        sys::napi_create_external(
            env.raw(),
            data.cast(),
            Some(finalize),
            ptr::null_mut(),
            &mut external,
        );
    }
    Raw(external)
}

/// Adds the plain Node-API functions of `calls` to the exports.
#[napi(module_exports)]
pub fn register_calls(exports: napi::bindgen_prelude::Object, env: Env) -> napi::Result<()> {
    // SAFETY: converting the exports object back to its raw value, in module initialisation.
    let exports = unsafe { napi::bindgen_prelude::Object::to_napi_value(env.raw(), exports)? };
    for (name, callback) in calls::FUNCTIONS {
        let mut function = ptr::null_mut();
        // SAFETY: module initialisation runs on env's thread; the name is NUL-terminated.
        let status = unsafe {
            sys::napi_create_function(
                env.raw(),
                name.as_ptr(),
                -1,
                callback,
                ptr::null_mut(),
                &mut function,
            )
        };
        // SAFETY: as above.
        if status != sys::Status::napi_ok
            || unsafe { sys::napi_set_named_property(env.raw(), exports, name.as_ptr(), function) }
                != sys::Status::napi_ok
        {
            return Err(napi::Error::from_reason(format!("cannot export {name:?}")));
        }
    }
    Ok(())
}
