//! A BareFn's native half: a thunk and the JS callback it calls, owned by this thread's live
//! registry (`live`); the `BareFn` of lib/bare-fn.ts holds its index. Created, queried, watched
//! and disposed through plain Node-API callbacks (raw_exports.rs): napi-rs's class machinery
//! (object wrap, registry, option-object parsing) cost most of a create + dispose.
//!
//! Leak detection is a Node-API finalizer on the BareFn's JS object (`watch`), which bare-fn.ts
//! attaches only to BareFns still undisposed when the current task's microtasks run: creating,
//! collecting and running a finalizer cost about 2,400 instructions, more than the rest of a
//! create + dispose, and a BareFn disposed in the task that made it never needs one.

use std::ffi::{c_void, CString};
use std::ptr;
use std::sync::Arc;
use std::time::Duration;

use bare_fn_core::quarantine::Quarantine;
use bare_fn_core::{Signature, Thunk, Type};
use napi::sys;
use napi_derive::napi;

use crate::callback::{JsCallback, Options};
use crate::dispatch::{Dispatcher, Job};
use crate::from_js::from_js;
use crate::live;
use crate::raw::{read_string, undefined, Failure, Raw};
use crate::signature::signature_of;
use crate::threading::Mode;
use crate::to_js::to_js;

/// A live BareFn: the thunk and the callback it calls. Dispose retires the thunk into quarantine
/// (holding the callback, whose JS function is released at once).
pub struct NativeBareFn {
    pub thunk: Thunk,
    pub callback: Arc<JsCallback>,
    /// Created with `{ ref: true }`: counted in its env's keep-alive until disposed.
    keep_alive: bool,
}

/// Bits of createBareFn's `flags`, set by index.ts: the mode (0/1/2: local/blocking/nonblocking)
/// in bits 0-1, then whether `{ ref: true }` was asked and which optional arguments are given,
/// so that only those are read (a Node-API call each).
const MODE_BITS: u32 = 3;
const KEEP_ALIVE: u32 = 4;
const HAS_ON_ERROR: u32 = 8;
const HAS_FALLBACK: u32 = 16;
const HAS_SITE: u32 = 32;

/// `createBareFn(signature, func, flags, timeoutMs, onError, fallback, createdAt)`: index.ts has
/// checked every argument's type. Returns the BareFn's index in the live registry.
///
/// # Safety
/// On `env`'s thread, in a callback's scope; the arguments are values of it.
pub unsafe fn create(env: sys::napi_env, args: [Raw; 7]) -> Result<sys::napi_value, Failure> {
    let [signature, func, flags, timeout_ms, on_error, fallback, created_at] = args;
    // SAFETY: forwarded.
    let sig = unsafe { signature_of(env, signature) }?;
    let flags = number(env, flags) as u32;
    let (fallback, fallback_string) = match flags & HAS_FALLBACK {
        0 => (0, None),
        _ => fallback_value(env, sig.ret(), fallback)?,
    };
    let mode = mode_of(&sig, flags & MODE_BITS, || number(env, timeout_ms))?;
    let keep_alive = flags & KEEP_ALIVE != 0;
    // SAFETY: on env's JS thread.
    let dispatcher = unsafe { Dispatcher::of_env(env) }?;
    let func_ref = strong_ref(env, func.0);
    let on_error = (flags & HAS_ON_ERROR != 0).then(|| strong_ref(env, on_error.0));
    let options = Options {
        on_error,
        fallback,
        fallback_string,
        mode,
    };
    let callback = Arc::new_cyclic(|me| {
        // SAFETY: on env's JS thread; func_ref is a strong reference to a function of env; `me`
        // is the Weak of this very Arc.
        unsafe {
            JsCallback::new(
                env,
                sig.clone(),
                func_ref,
                options,
                dispatcher.clone(),
                me.clone(),
            )
        }
    });
    let thunk = Thunk::new(sig.flavor(), callback.clone()).map_err(|e| {
        callback.dispose();
        Failure::error(format!("BareFn: cannot allocate executable memory: {e:?}"))
    })?;
    if keep_alive {
        // SAFETY: on env's thread with its live env.
        unsafe { dispatcher.keep_alive(env, true) };
    }
    let site = (flags & HAS_SITE != 0)
        .then(|| read_string(env, created_at.0))
        .flatten();
    let bare_fn = NativeBareFn {
        thunk,
        callback,
        keep_alive,
    };
    let index = live::add(bare_fn, site);
    let mut value = ptr::null_mut();
    // SAFETY: in the callback's scope.
    unsafe { sys::napi_create_uint32(env, index, &mut value) };
    Ok(value)
}

/// `bareFnAddress(index)`.
///
/// # Safety
/// As for `create`.
pub unsafe fn address(env: sys::napi_env, [index]: [Raw; 1]) -> Result<sys::napi_value, Failure> {
    // index.ts reads the address before dispose only.
    let address = live::address(index_of(env, index)?)
        .ok_or_else(|| Failure::type_error("BareFn: address read after dispose"))?;
    // SAFETY: in the callback's scope.
    Ok(unsafe { to_js(env, Type::Pointer, address) })
}

/// `disposeBareFn(index)`: releases the JS function and retires the thunk into quarantine.
/// Idempotent.
///
/// # Safety
/// As for `create`.
pub unsafe fn dispose(env: sys::napi_env, [index]: [Raw; 1]) -> Result<sys::napi_value, Failure> {
    if let Some(bare_fn) = live::take(index_of(env, index)?) {
        let NativeBareFn {
            thunk,
            callback,
            keep_alive,
        } = bare_fn;
        callback.dispose();
        Quarantine::global().retire(thunk);
        if keep_alive {
            // SAFETY: dispose runs on the owning thread (a JS call into the addon).
            unsafe { callback.dispatcher().keep_alive(env, false) };
        }
    }
    Ok(undefined(env))
}

/// `watchBareFn(object, index)`: reports the BareFn at `index` as leaked if `object` (its JS
/// object) is garbage-collected before dispose. Nothing if it is already disposed.
///
/// # Safety
/// As for `create`.
pub unsafe fn watch(
    env: sys::napi_env,
    [object, index]: [Raw; 2],
) -> Result<sys::napi_value, Failure> {
    let index = index_of(env, index)?;
    if let Some(generation) = live::watch_token(index) {
        // The finalizer's data and hint carry the index and generation as pointer-sized
        // integers (no allocation); a u32 fits a pointer on every target Node runs on.
        // SAFETY: object is a value of the current scope; `collected` only reads the integers.
        // Node-API fails only for a non-object or a pending exception, neither possible here
        // (index.ts passes the BareFn, from a microtask); the status is not turned into an
        // exception, which would be an uncaught one in that microtask: a missing leak report
        // must not crash the app.
        unsafe {
            sys::napi_add_finalizer(
                env,
                object.0,
                index as usize as *mut c_void,
                Some(collected),
                generation as usize as *mut c_void,
                ptr::null_mut(),
            )
        };
    }
    Ok(undefined(env))
}

// `watch` passes a u32 index and generation as pointer-sized integers: checked at compile time.
const _: () = assert!(usize::BITS >= u32::BITS);

/// A watched BareFn's JS object was garbage-collected. Without dispose, native code may still
/// hold the pointer: the thunk stays callable forever, and the leak is reported once on the
/// owning thread.
unsafe extern "C" fn collected(_env: sys::napi_env, index: *mut c_void, generation: *mut c_void) {
    // The integers `watch` stored (see there).
    if let Some((warning, dispatcher)) =
        live::mark_leaked(index as usize as u32, generation as usize as u32)
    {
        dispatcher.send(Job::Warn(warning));
    }
}

/// A BareFn's index, as index.ts passes it.
fn index_of(env: sys::napi_env, value: Raw) -> Result<u32, Failure> {
    let mut index = 0;
    // SAFETY: value is an argument of the current call; a non-number gives a status.
    let status = unsafe { sys::napi_get_value_uint32(env, value.0, &mut index) };
    if status != sys::Status::napi_ok {
        return Err(Failure::type_error("bare-fn: not a BareFn handle"));
    }
    Ok(index)
}

fn number(env: sys::napi_env, value: Raw) -> f64 {
    let mut out = 0.0;
    // SAFETY: value is an argument of the current call (a number, checked by index.ts).
    unsafe { sys::napi_get_value_double(env, value.0, &mut out) };
    out
}

fn mode_of(sig: &Signature, code: u32, timeout_ms: impl FnOnce() -> f64) -> Result<Mode, Failure> {
    match code {
        0 => Ok(Mode::Local),
        1 => Ok(Mode::Blocking {
            timeout: Duration::try_from_secs_f64(timeout_ms() / 1000.0).ok(),
        }),
        2 if sig.ret() == Type::Void => Ok(Mode::Nonblocking),
        2 => Err(Failure::type_error(format!(
            "new BareFn: 'nonblocking' needs a void return type (the caller does not wait for \
             a result); {sig} returns {}",
            sig.ret()
        ))),
        _ => Err(Failure::range_error("new BareFn: unknown threading mode")),
    }
}

fn strong_ref(env: sys::napi_env, value: sys::napi_value) -> sys::napi_ref {
    let mut reference = ptr::null_mut();
    // SAFETY: value belongs to env's current scope.
    unsafe { sys::napi_create_reference(env, value, 1, &mut reference) };
    reference
}

/// The `fallback` option: undefined means zero of the return type (NULL for pointers/cstring).
fn fallback_value(
    env: sys::napi_env,
    ret: Type,
    value: Raw,
) -> Result<(u64, Option<CString>), Failure> {
    if ret == Type::Void {
        return Ok((0, None));
    }
    let mut strings = Vec::new();
    // SAFETY: value belongs to the current call's scope.
    let raw = unsafe { from_js(env, ret, value.0, &mut strings) }
        .map_err(|f| f.context("new BareFn: options.fallback"))?;
    Ok((raw, strings.pop()))
}

/// How many disposed thunks stay mapped as tombstones before their memory is reused.
#[napi(js_name = "quarantineCapacity")]
pub fn quarantine_capacity() -> u32 {
    Quarantine::global()
        .capacity()
        .try_into()
        .unwrap_or(u32::MAX)
}

/// Changes the quarantine bound (index.ts checks the range); shrinking frees the oldest now.
#[napi(js_name = "setQuarantineCapacity")]
pub fn set_quarantine_capacity(capacity: u32) {
    Quarantine::global().set_capacity(capacity as usize);
}
