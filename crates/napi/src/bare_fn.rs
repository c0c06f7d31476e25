//! A BareFn's native half: a thunk and the JS callback it calls, held by a JS External that
//! index.ts's `BareFn` keeps. Created, queried and disposed through plain Node-API callbacks
//! (raw_exports.rs): napi-rs's class machinery (object wrap, registry, option-object parsing) cost
//! most of a create + dispose.

use std::ffi::{c_void, CString};
use std::ptr;
use std::sync::{Arc, Mutex};
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

/// What a BareFn External points to. `tag` tells it from any other External.
pub struct NativeBareFn {
    tag: u64,
    /// The thunk and the callback it calls; `None` once disposed (the thunk is then in
    /// quarantine, holding the callback). Released at dispose rather than when the External is
    /// finalized: Node-API runs finalizers from the event loop, so a synchronous loop that
    /// creates and disposes BareFns would otherwise hold every callback state until it yields
    /// (hundreds of bytes per pair, hundreds of megabytes over a million).
    live: Option<(Thunk, Arc<JsCallback>)>,
    /// Its entry in the live registry (`live`).
    entry: u32,
    /// Created with `{ ref: true }`: counted in its env's keep-alive until disposed.
    keep_alive: bool,
}

const TAG: u64 = 0xBA4E_F000_0000_0001;

/// Thunks of BareFns that were garbage-collected without dispose: native code may still hold
/// their address, so they are never freed.
static ABANDONED: Mutex<Vec<Thunk>> = Mutex::new(Vec::new());

/// Bits of createBareFn's `flags`, set by index.ts: the mode (0/1/2: local/blocking/nonblocking)
/// in bits 0-1, then whether `{ ref: true }` was asked and which optional arguments are given,
/// so that only those are read (a Node-API call each).
const MODE_BITS: u32 = 3;
const KEEP_ALIVE: u32 = 4;
const HAS_ON_ERROR: u32 = 8;
const HAS_FALLBACK: u32 = 16;
const HAS_SITE: u32 = 32;

/// `createBareFn(signature, func, flags, timeoutMs, onError, fallback, createdAt)`: index.ts has
/// checked every argument's type.
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
    let entry = live::add(thunk.address() as u64, &callback, site);
    let native = Box::into_raw(Box::new(NativeBareFn {
        tag: TAG,
        live: Some((thunk, callback)),
        entry,
        keep_alive,
    }));
    let mut external = ptr::null_mut();
    // SAFETY: `native` is released by `finalize`, exactly once, when the External is collected.
    let status = unsafe {
        sys::napi_create_external(
            env,
            native.cast(),
            Some(finalize),
            ptr::null_mut(),
            &mut external,
        )
    };
    if status != sys::Status::napi_ok {
        // SAFETY: Node-API did not take it.
        let mut native = unsafe { Box::from_raw(native) };
        native.dispose(env);
        return Err(Failure::error("BareFn: cannot create its handle"));
    }
    Ok(external)
}

/// `bareFnAddress(handle)`.
///
/// # Safety
/// As for `create`.
pub unsafe fn address(env: sys::napi_env, [handle]: [Raw; 1]) -> Result<sys::napi_value, Failure> {
    // SAFETY: forwarded.
    let native = unsafe { unwrap(env, handle) }?;
    let Some((thunk, _)) = &native.live else {
        // index.ts reads the address before dispose only.
        return Err(Failure::type_error("BareFn: address read after dispose"));
    };
    // SAFETY: in the callback's scope.
    Ok(unsafe { to_js(env, Type::Pointer, thunk.address() as u64) })
}

/// `disposeBareFn(handle)`: releases the JS function and retires the thunk into quarantine.
/// Idempotent.
///
/// # Safety
/// As for `create`.
pub unsafe fn dispose(env: sys::napi_env, [handle]: [Raw; 1]) -> Result<sys::napi_value, Failure> {
    // SAFETY: forwarded.
    unsafe { unwrap(env, handle) }?.dispose(env);
    Ok(undefined(env))
}

impl NativeBareFn {
    fn dispose(&mut self, env: sys::napi_env) {
        if let Some((thunk, callback)) = self.live.take() {
            callback.dispose();
            live::remove(self.entry);
            Quarantine::global().retire(thunk);
            if self.keep_alive {
                // SAFETY: dispose runs on the owning thread (a JS call into the addon).
                unsafe { callback.dispatcher().keep_alive(env, false) };
            }
        }
    }
}

/// The BareFn behind a handle.
///
/// # Safety
/// On the handle's env thread; `handle` a value of the current scope.
unsafe fn unwrap<'a>(env: sys::napi_env, handle: Raw) -> Result<&'a mut NativeBareFn, Failure> {
    let mut data = ptr::null_mut();
    // SAFETY: a non-External gives a status.
    let status = unsafe { sys::napi_get_value_external(env, handle.0, &mut data) };
    let native = data as *mut NativeBareFn;
    // SAFETY: an External's data of ours starts with TAG (checked before any other use); the
    // handle keeps it alive while JS holds it, and JS runs on one thread.
    if status != sys::Status::napi_ok || native.is_null() || unsafe { (*native).tag } != TAG {
        return Err(Failure::type_error("bare-fn: not a BareFn handle"));
    }
    // SAFETY: see above.
    Ok(unsafe { &mut *native })
}

/// The handle was garbage-collected. Without dispose, native code may still hold the pointer:
/// the thunk stays callable forever, and the leak is reported once on the owning thread.
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the Box given to napi_create_external, finalized once.
    let native = unsafe { Box::from_raw(data as *mut NativeBareFn) };
    if let Some((thunk, callback)) = native.live {
        ABANDONED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(thunk);
        if let Some(warning) = live::mark_leaked(native.entry) {
            callback.dispatcher().send(Job::Warn(warning));
        }
    }
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
