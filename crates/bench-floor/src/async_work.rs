//! The floor for async calls (`fn.async`): a hand-written Node-API function that runs `abs` as
//! async work on libuv's pool and resolves a Promise with its result, doing what any such
//! function must (read the argument, create the work and the Promise, call, convert, settle) and
//! no more.

use std::ffi::c_void;
use std::ptr;

use napi::sys;

struct Work {
    value: i32,
    deferred: sys::napi_deferred,
    work: sys::napi_async_work,
}

/// `abs(int)` on the pool, as a Promise.
pub unsafe extern "C" fn floor_abs_async(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut promise = ptr::null_mut();
    // SAFETY: called by Node-API; values of this call's scope; the box is handed to the work and
    // taken back once, in `complete`.
    unsafe {
        let [x] = crate::calls::args::<1>(env, info);
        let mut value = 0;
        sys::napi_get_value_int32(env, x, &mut value);
        let work = Box::into_raw(Box::new(Work {
            value,
            deferred: ptr::null_mut(),
            work: ptr::null_mut(),
        }));
        sys::napi_create_promise(env, &mut (*work).deferred, &mut promise);
        let mut name = ptr::null_mut();
        sys::napi_create_string_utf8(env, c"floor".as_ptr(), 5, &mut name);
        sys::napi_create_async_work(
            env,
            ptr::null_mut(),
            name,
            Some(execute),
            Some(complete),
            work.cast(),
            &mut (*work).work,
        );
        sys::napi_queue_async_work(env, (*work).work);
    }
    promise
}

unsafe extern "C" fn execute(_env: sys::napi_env, data: *mut c_void) {
    // SAFETY: the work's own box, touched by this thread only now.
    let work = unsafe { &mut *(data as *mut Work) };
    // SAFETY: a plain libc call.
    work.value = unsafe { libc::abs(work.value) };
}

unsafe extern "C" fn complete(env: sys::napi_env, _status: sys::napi_status, data: *mut c_void) {
    // SAFETY: the box made by `floor_abs_async`, taken back once; on the JS thread.
    unsafe {
        let work = Box::from_raw(data as *mut Work);
        let mut result = ptr::null_mut();
        sys::napi_create_int32(env, work.value, &mut result);
        sys::napi_resolve_deferred(env, work.deferred, result);
        sys::napi_delete_async_work(env, work.work);
    }
}
