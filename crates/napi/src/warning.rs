//! `process.emitWarning` from native code.

use std::ptr;

use napi::sys;

use crate::raw::string;

/// Emits a process warning of type `kind` (shown on stderr, observable with
/// `process.on('warning')`). Silently does nothing if `process.emitWarning` is unavailable.
///
/// # Safety
/// On `env`'s thread, with JS available (not inside a garbage-collection finalizer).
pub unsafe fn emit(env: sys::napi_env, message: &str, kind: &str) {
    let mut scope = ptr::null_mut();
    // SAFETY: env live; every value belongs to `scope`, closed at the end.
    unsafe {
        sys::napi_open_handle_scope(env, &mut scope);
        let (mut global, mut process, mut emit_warning, mut result) = (
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
        );
        sys::napi_get_global(env, &mut global);
        sys::napi_get_named_property(env, global, c"process".as_ptr(), &mut process);
        sys::napi_get_named_property(env, process, c"emitWarning".as_ptr(), &mut emit_warning);
        let argv = [string(env, message), string(env, kind)];
        let status =
            sys::napi_call_function(env, process, emit_warning, 2, argv.as_ptr(), &mut result);
        if status != sys::Status::napi_ok {
            let mut ignored = ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env, &mut ignored);
        }
        sys::napi_close_handle_scope(env, scope);
    }
}
