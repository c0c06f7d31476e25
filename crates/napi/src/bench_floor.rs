//! The Node-API floor for the benchmarks: a Rust loop calling a JS function directly, doing only
//! what any native -> JS call must do (bench/ compares BareFn calls against it), and a bare
//! threadsafe function fed by a thread, the floor for calls from other threads.

use std::ptr;

use napi::{sys, Env};
use napi_derive::napi;

use crate::raw::{string, undefined, Raw};

/// Calls `func(i, i * 3)` `n` times with one handle scope per call (two int32 arguments created,
/// the int32 result read), the same arguments testlib's loop passes; returns the wrapping sum.
#[napi(js_name = "benchFloorI32")]
pub fn bench_floor_i32(env: Env, func: Raw, n: u32) -> i64 {
    let env = env.raw();
    let recv = undefined(env);
    let mut sum = 0i64;
    for i in 0..n as i32 {
        let mut scope = ptr::null_mut();
        let mut argv = [ptr::null_mut(); 2];
        let mut result = ptr::null_mut();
        let mut value = 0i32;
        // SAFETY: env is live on its thread; func is a function argument of this call; every
        // value belongs to `scope`, closed in the same iteration.
        unsafe {
            sys::napi_open_handle_scope(env, &mut scope);
            sys::napi_create_int32(env, i, &mut argv[0]);
            sys::napi_create_int32(env, i.wrapping_mul(3), &mut argv[1]);
            sys::napi_call_function(env, recv, func.0, 2, argv.as_ptr(), &mut result);
            sys::napi_get_value_int32(env, result, &mut value);
            sys::napi_close_handle_scope(env, scope);
        }
        sum = sum.wrapping_add(i64::from(value));
    }
    sum
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
