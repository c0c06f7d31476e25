//! `NativeBareFn`: owns a thunk and the JS callback it calls (wrapped by `BareFn` in index.ts).

use std::ffi::CString;
use std::ptr;
use std::sync::{Arc, Mutex};

use bare_fn_core::quarantine::Quarantine;
use bare_fn_core::{Thunk, Type};
use napi::{sys, Env, Result};
use napi_derive::napi;

use crate::callback::{JsCallback, Options};
use crate::from_js::from_js;
use crate::raw::{throw_on_failure, type_of, Failure, Raw};
use crate::signature::NativeSignature;
use crate::to_js::to_js;

#[napi]
pub struct NativeBareFn {
    callback: Arc<JsCallback>,
    /// `None` once disposed (the thunk is then in quarantine).
    thunk: Option<Thunk>,
    address: u64,
}

/// Thunks of BareFns that were garbage-collected without dispose: native code may still hold
/// their address, so they are never freed.
static ABANDONED: Mutex<Vec<Thunk>> = Mutex::new(Vec::new());

#[napi]
impl NativeBareFn {
    /// `func` and `on_error` are checked to be functions by index.ts.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        signature: &NativeSignature,
        func: Raw,
        on_error: Raw,
        fallback: Raw,
    ) -> Result<Self> {
        let env = env.raw();
        let sig = signature.get().clone();
        let (fallback, fallback_string) =
            throw_on_failure(env, fallback_value(env, sig.ret(), fallback))?;
        let func = strong_ref(env, func.0);
        let on_error = (type_of(env, on_error.0) == sys::ValueType::napi_function)
            .then(|| strong_ref(env, on_error.0));
        let options = Options {
            on_error,
            fallback,
            fallback_string,
        };
        // SAFETY: on env's JS thread; func is a strong reference to a function of env.
        let callback = Arc::new(unsafe { JsCallback::new(env, sig.clone(), func, options) });
        let thunk = Thunk::new(sig.flavor(), callback.clone()).map_err(|e| {
            callback.dispose();
            Failure::error(format!("BareFn: cannot allocate executable memory: {e:?}")).throw(env)
        })?;
        let address = thunk.address() as u64;
        Ok(NativeBareFn {
            callback,
            thunk: Some(thunk),
            address,
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
    pub fn dispose(&mut self) {
        if let Some(thunk) = self.thunk.take() {
            self.callback.dispose();
            Quarantine::global().retire(thunk);
        }
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
) -> std::result::Result<(u64, Option<CString>), Failure> {
    if type_of(env, value.0) == sys::ValueType::napi_undefined || ret == Type::Void {
        return Ok((0, None));
    }
    let mut strings = Vec::new();
    // SAFETY: value belongs to the constructor call's scope.
    let raw = unsafe { from_js(env, ret, value.0, &mut strings) }
        .map_err(|f| f.context("new BareFn: options.fallback"))?;
    Ok((raw, strings.pop()))
}
