//! Shared native objects handed to JS as Externals (a signature, a library's state), for the plain
//! Node-API functions, which cannot unwrap napi-rs classes. Each kind has a tag, checked before
//! anything else is read, so that another kind's External (or another addon's) is refused.

use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;

use napi::sys;

use crate::raw::{Failure, Raw};

/// A kind of object handed out as an External.
pub trait Tagged: Send + Sync + 'static {
    /// Distinct per kind.
    const TAG: u64;
    /// What the error calls a value that is not one ("a signature handle").
    const WHAT: &'static str;
}

/// The External's data: the tag first, whatever `T` is (`repr(C)`), so that reading the tag of an
/// External of another kind reads the same 8 bytes.
#[repr(C)]
struct Boxed<T> {
    tag: u64,
    value: Arc<T>,
}

/// A new External holding a reference to `value`, released when the External is collected.
pub fn to_external<T: Tagged>(
    env: sys::napi_env,
    value: Arc<T>,
) -> Result<sys::napi_value, Failure> {
    unsafe extern "C" fn finalize<T>(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
        // SAFETY: `data` is the Box given to napi_create_external below, finalized once.
        drop(unsafe { Box::from_raw(data as *mut Boxed<T>) });
    }
    let boxed = Box::into_raw(Box::new(Boxed { tag: T::TAG, value }));
    let mut external = ptr::null_mut();
    // SAFETY: on env's thread; `boxed` is released by `finalize`, once.
    let status = unsafe {
        sys::napi_create_external(
            env,
            boxed.cast(),
            Some(finalize::<T>),
            ptr::null_mut(),
            &mut external,
        )
    };
    if status != sys::Status::napi_ok {
        // SAFETY: Node-API did not take it.
        drop(unsafe { Box::from_raw(boxed) });
        return Err(Failure::error(format!(
            "bare-fn: cannot create {}",
            T::WHAT
        )));
    }
    Ok(external)
}

/// The object behind an External made by `to_external::<T>`.
///
/// # Safety
/// On the External's env thread; `handle` a value of the current scope. Every External this
/// addon's functions are given is one of ours (they are internal: lib/ passes them), whose data
/// starts with a tag.
pub unsafe fn from_external<T: Tagged>(env: sys::napi_env, handle: Raw) -> Result<Arc<T>, Failure> {
    let mut data = ptr::null_mut();
    // SAFETY: a non-External gives a status.
    let status = unsafe { sys::napi_get_value_external(env, handle.0, &mut data) };
    let boxed = data as *const Boxed<T>;
    // SAFETY: an External's data of ours starts with its tag (checked first); it lives while the
    // External does.
    if status != sys::Status::napi_ok || boxed.is_null() || unsafe { (*boxed).tag } != T::TAG {
        return Err(Failure::type_error(format!("bare-fn: not {}", T::WHAT)));
    }
    // SAFETY: see above.
    Ok(unsafe { (*boxed).value.clone() })
}
