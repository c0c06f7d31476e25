//! `NativeBareFn`: owns a thunk and the JS callback it calls (wrapped by `BareFn` in index.ts).

use std::ffi::CString;
use std::ptr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bare_fn_core::quarantine::Quarantine;
use bare_fn_core::{Signature, Thunk, Type};
use napi::{sys, Env, Result};
use napi_derive::napi;

use crate::callback::{JsCallback, Options};
use crate::dispatch::Dispatcher;
use crate::from_js::from_js;
use crate::raw::{throw_on_failure, type_of, Failure, Raw};
use crate::signature::NativeSignature;
use crate::threading::Mode;
use crate::to_js::to_js;

#[napi]
pub struct NativeBareFn {
    callback: Arc<JsCallback>,
    /// `None` once disposed (the thunk is then in quarantine).
    thunk: Option<Thunk>,
    address: u64,
    /// Created with `{ ref: true }`: counted in its env's keep-alive until disposed.
    keep_alive: bool,
}

/// The options of `new BareFn`, as index.ts passes them.
#[napi(object)]
pub struct NativeOptions {
    pub threading: String,
    pub timeout_ms: f64,
    pub keep_alive: bool,
    pub on_error: Option<Raw>,
    pub fallback: Option<Raw>,
}

/// Thunks of BareFns that were garbage-collected without dispose: native code may still hold
/// their address, so they are never freed.
static ABANDONED: Mutex<Vec<Thunk>> = Mutex::new(Vec::new());

#[napi]
impl NativeBareFn {
    /// `func` and `on_error` are checked to be functions by index.ts.
    /// `threading` is 'local', 'blocking' or 'nonblocking' and `timeout_ms` a non-negative
    /// number or Infinity (checked by index.ts); `keep_alive` is the `ref` option.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        signature: &NativeSignature,
        func: Raw,
        options: NativeOptions,
    ) -> Result<Self> {
        let env = env.raw();
        let sig = signature.get().clone();
        let (fallback, fallback_string) =
            throw_on_failure(env, fallback_value(env, sig.ret(), options.fallback))?;
        let mode = throw_on_failure(env, mode_of(&sig, &options))?;
        // SAFETY: on env's JS thread.
        let dispatcher = throw_on_failure(env, unsafe { Dispatcher::of_env(env) })?;
        let func = strong_ref(env, func.0);
        let on_error = options
            .on_error
            .filter(|f| type_of(env, f.0) == sys::ValueType::napi_function)
            .map(|f| strong_ref(env, f.0));
        let callback_options = Options {
            on_error,
            fallback,
            fallback_string,
            mode,
        };
        let callback = Arc::new_cyclic(|me| {
            // SAFETY: on env's JS thread; func is a strong reference to a function of env; `me`
            // is the Weak of this very Arc.
            unsafe {
                JsCallback::new(
                    env,
                    sig.clone(),
                    func,
                    callback_options,
                    dispatcher.clone(),
                    me.clone(),
                )
            }
        });
        let thunk = Thunk::new(sig.flavor(), callback.clone()).map_err(|e| {
            callback.dispose();
            Failure::error(format!("BareFn: cannot allocate executable memory: {e:?}")).throw(env)
        })?;
        if options.keep_alive {
            // SAFETY: on env's thread with its live env.
            unsafe { dispatcher.keep_alive(env, true) };
        }
        let address = thunk.address() as u64;
        Ok(NativeBareFn {
            callback,
            thunk: Some(thunk),
            address,
            keep_alive: options.keep_alive,
        })
    }

    #[napi(getter)]
    pub fn address(&self, env: Env) -> Raw {
        // SAFETY: on the JS thread of env, inside the napi callback's scope.
        Raw(unsafe { to_js(env.raw(), Type::Pointer, self.address) })
    }

    #[napi(getter)]
    pub fn disposed(&self) -> bool {
        self.thunk.is_none()
    }

    /// Releases the JS function and retires the thunk into quarantine. Idempotent.
    #[napi]
    pub fn dispose(&mut self, env: Env) {
        if let Some(thunk) = self.thunk.take() {
            self.callback.dispose();
            Quarantine::global().retire(thunk);
            if self.keep_alive {
                // SAFETY: dispose runs on the owning thread (a napi method call).
                unsafe { self.callback.dispatcher().keep_alive(env.raw(), false) };
            }
        }
    }

    #[napi(getter)]
    pub fn threading(&self) -> &'static str {
        self.callback.mode().name()
    }
}

impl Drop for NativeBareFn {
    /// Runs when the JS object is garbage-collected. An undisposed thunk stays callable forever.
    fn drop(&mut self) {
        if let Some(thunk) = self.thunk.take() {
            ABANDONED
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(thunk);
        }
    }
}

fn mode_of(sig: &Signature, options: &NativeOptions) -> std::result::Result<Mode, Failure> {
    match options.threading.as_str() {
        "local" => Ok(Mode::Local),
        "blocking" => Ok(Mode::Blocking {
            timeout: Duration::try_from_secs_f64(options.timeout_ms / 1000.0).ok(),
        }),
        "nonblocking" if sig.ret() == Type::Void => Ok(Mode::Nonblocking),
        "nonblocking" => Err(Failure::type_error(format!(
            "new BareFn: 'nonblocking' needs a void return type (the caller does not wait for \
             a result); {sig} returns {}",
            sig.ret()
        ))),
        other => Err(Failure::range_error(format!(
            "new BareFn: unknown threading mode {other:?}"
        ))),
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
    value: Option<Raw>,
) -> std::result::Result<(u64, Option<CString>), Failure> {
    let Some(value) = value.filter(|_| ret != Type::Void) else {
        return Ok((0, None));
    };
    if type_of(env, value.0) == sys::ValueType::napi_undefined {
        return Ok((0, None));
    }
    let mut strings = Vec::new();
    // SAFETY: value belongs to the constructor call's scope.
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
