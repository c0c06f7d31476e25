//! A BareFn's native half: a thunk and the JS callback it calls, owned by this thread's live
//! registry (`live`); the `BareFn` of src/lib/bare-fn.ts holds its index. Created, queried, disposed
//! and reported leaked through plain Node-API callbacks (raw_exports.rs): napi-rs's class
//! machinery (object wrap, registry, option-object parsing) cost most of a create + dispose.
//!
//! Nothing here holds the JS function or watches the JS object: bare-fn.ts keeps the function in
//! the env's function table (`Dispatcher::function`) and watches for leaks with a
//! FinalizationRegistry. A Node-API reference and a Node-API finalizer cost about 160 bytes of
//! native memory each per BareFn, and a reference's create + delete about as much as the rest of a
//! create + dispose.

use std::ptr;
use std::sync::Arc;

use bare_fn_core::quarantine::Quarantine;
use bare_fn_core::{Param, Retired, Signature, Thunk, Type};
use napi::sys;
use napi_derive::napi;

use crate::callback::{JsCallback, Options};
use crate::dispatch::{Dispatcher, Job, Payload};
use crate::external::from_external;
use crate::from_js::from_js;
use crate::live::{self, NativeBareFn};
use crate::raw::{read_string, string, strong_ref, undefined, Failure, Raw};
use crate::threading_mode::{Mode, Timeout};
use crate::to_js::to_js;
use crate::views::encoded_struct;

/// Bits of createBareFn's `flags`, set by src/lib/bare-fn.ts: the mode (0/1/2: local/blocking/nonblocking)
/// in bits 0-1, then whether `{ ref: true }` was asked and which optional arguments are given,
/// so that only those are read (a Node-API call each).
const MODE_BITS: u32 = 3;
const KEEP_ALIVE: u32 = 4;
const HAS_ON_ERROR: u32 = 8;
const HAS_FALLBACK: u32 = 16;
const HAS_SITE: u32 = 32;

/// `createBareFn(signature, flags, timeoutMs, settleTimeoutMs, onError, fallback, createdAt)`:
/// src/lib/bare-fn.ts has checked
/// every argument's type. Returns the BareFn's index in the live registry, where bare-fn.ts then
/// puts its JS function in the env's function table.
///
/// # Safety
/// On `env`'s thread, in a callback's scope; the arguments are values of it.
pub unsafe fn create(env: sys::napi_env, args: [Raw; 7]) -> Result<sys::napi_value, Failure> {
    let [signature, flags, timeout_ms, settle_ms, on_error, fallback, created_at] = args;
    // SAFETY: forwarded.
    let sig = unsafe { from_external::<bare_fn_core::Signature>(env, signature) }?;
    if sig.is_variadic() {
        // bare-fn.ts refuses it first, with the signature's text.
        return Err(Failure::type_error(
            "new BareFn: a BareFn cannot be variadic",
        ));
    }
    let flags = number(env, flags) as u32;
    let (fallback, fallback_payload) = match flags & HAS_FALLBACK {
        0 => (0, None),
        _ => fallback_value(env, sig.ret(), fallback)?,
    };
    let mode = mode_of(&sig, flags & MODE_BITS, || {
        (number(env, timeout_ms), number(env, settle_ms))
    })?;
    let keep_alive = flags & KEEP_ALIVE != 0;
    // SAFETY: on env's JS thread.
    let dispatcher = unsafe { Dispatcher::of_env(env) }?;
    let mut site = (flags & HAS_SITE != 0)
        .then(|| read_string(env, created_at.0))
        .flatten();
    let make = |index| {
        let options = Options {
            on_error: (flags & HAS_ON_ERROR != 0).then(|| strong_ref(env, on_error.0)),
            fallback,
            fallback_payload,
            mode,
            created_at: site.take(),
        };
        // SAFETY: on env's JS thread (the dispatcher's); bare-fn.ts puts the function at `index`
        // of the env's table before the address can be known.
        let callback = unsafe { JsCallback::new(sig.clone(), index, options, dispatcher.clone()) };
        let thunk = Thunk::new(&sig, Arc::new(callback))
            .map_err(|e| Failure::error(format!("BareFn: {e}")))?;
        Ok(NativeBareFn {
            thunk,
            keep_alive,
            leaked: false,
        })
    };
    let index = live::add(make)?;
    if keep_alive {
        // SAFETY: on env's thread with its live env.
        unsafe { dispatcher.keep_alive(env, true) };
    }
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
    // src/lib/bare-fn.ts reads the address before dispose only.
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
        let callback = bare_fn.callback();
        callback.dispose();
        let dispatcher = callback.dispatcher().clone();
        if bare_fn.keep_alive {
            // SAFETY: dispose runs on the owning thread (a JS call into the addon).
            unsafe { dispatcher.keep_alive(env, false) };
        }
        if !dispatcher.is_closed() {
            // SAFETY: the owning thread (dispose is a JS call), whose env is not torn down.
            unsafe { dispatcher.native_calls() }.forget_callees();
        }
        release(Quarantine::global().retire(bare_fn.thunk));
    }
    Ok(undefined(env))
}

/// `bareFnCollected(index)`: the JS object of the BareFn at `index` was garbage-collected before
/// dispose (bare-fn.ts's FinalizationRegistry). Native code may still hold the pointer: the thunk
/// stays callable forever. Returns the warning to emit, once; undefined after that.
///
/// # Safety
/// As for `create`.
pub unsafe fn collected(env: sys::napi_env, [index]: [Raw; 1]) -> Result<sys::napi_value, Failure> {
    Ok(match live::mark_leaked(index_of(env, index)?) {
        Some(warning) => string(env, &warning),
        None => undefined(env),
    })
}

/// The env's argument buffer (`bareFnArgBuffer()`, see `arg_buffer`).
///
/// # Safety
/// As for `create`.
pub unsafe fn arg_buffer(env: sys::napi_env, []: [Raw; 0]) -> Result<sys::napi_value, Failure> {
    // SAFETY: on env's JS thread, in a callback's scope.
    unsafe { Ok(Dispatcher::of_env(env)?.args().value(env)) }
}

/// The JS functions of the env's BareFns, by index (`bareFnFunctions()`, see `Dispatcher::function`).
///
/// # Safety
/// As for `create`.
pub unsafe fn functions(env: sys::napi_env, []: [Raw; 0]) -> Result<sys::napi_value, Failure> {
    // SAFETY: on env's JS thread, in a callback's scope.
    unsafe { Ok(Dispatcher::of_env(env)?.functions(env)) }
}

/// `runQueued()`: runs the calls and error reports other threads queued for this env, at the end of
/// its event loop (see `Dispatcher::run_pending`); returns how many ran.
///
/// # Safety
/// As for `create`.
pub unsafe fn run_queued(env: sys::napi_env, []: [Raw; 0]) -> Result<sys::napi_value, Failure> {
    // SAFETY: on env's JS thread, in a callback's scope; the env is live (JS called).
    let ran = unsafe { Dispatcher::of_env(env)?.run_pending(env) };
    // SAFETY: as above.
    Ok(unsafe { to_js(env, Type::F64, (ran as f64).to_bits()) })
}

/// A BareFn's index, as src/lib/bare-fn.ts passes it.
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
    // SAFETY: value is an argument of the current call (a number, checked by src/lib/bare-fn.ts).
    unsafe { sys::napi_get_value_double(env, value.0, &mut out) };
    out
}

/// The mode of code `code`; `timeouts_ms` gives a 'blocking' one's (timeoutMs, settleTimeoutMs).
fn mode_of(
    sig: &Signature,
    code: u32,
    timeouts_ms: impl FnOnce() -> (f64, f64),
) -> Result<Mode, Failure> {
    match code {
        0 => Ok(Mode::Local),
        1 => {
            let (timeout, settle) = timeouts_ms();
            Ok(Mode::Blocking {
                timeout: Timeout::from_ms(timeout),
                settle: Timeout::from_ms(settle),
            })
        }
        2 if sig.ret().is_void() => Ok(Mode::Nonblocking),
        2 => Err(Failure::type_error(format!(
            "new BareFn: 'nonblocking' needs a void return type (the caller does not wait for \
             a result); {sig} returns {}",
            sig.ret()
        ))),
        _ => Err(Failure::range_error("new BareFn: unknown threading mode")),
    }
}

/// The `fallback` option: undefined means zero of the return type (NULL for pointers/cstring,
/// a struct of zeros). A struct's comes encoded by bare-fn.ts, as bytes of its size.
fn fallback_value(
    env: sys::napi_env,
    ret: &Param,
    value: Raw,
) -> Result<(u64, Option<Payload>), Failure> {
    let ty = match ret {
        Param::Scalar(Type::Void) => return Ok((0, None)),
        &Param::Scalar(ty) => ty,
        Param::Struct(s) => {
            let (data, len) = encoded_struct(env, value, s.size(), "new BareFn: options.fallback")?;
            // SAFETY: a view of `len` bytes (encoded_struct), read before any JS runs.
            let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) };
            return Ok((0, Some(Payload::Struct(bytes.to_vec()))));
        }
    };
    let mut strings = Vec::new();
    // SAFETY: value belongs to the current call's scope.
    let raw = unsafe { from_js(env, ty, value.0, &mut strings) }
        .map_err(|f| f.context("new BareFn: options.fallback"))?;
    Ok((raw, strings.pop().map(Payload::String)))
}

/// How many disposed thunks stay mapped as tombstones before their memory is reused.
#[napi(js_name = "quarantineCapacity")]
pub fn quarantine_capacity() -> u32 {
    Quarantine::global()
        .capacity()
        .try_into()
        .unwrap_or(u32::MAX)
}

/// Changes the quarantine bound (src/lib/bare-fn.ts checks the range); shrinking releases the oldest when
/// no call can be inside their handlers (`release`).
#[napi(js_name = "setQuarantineCapacity")]
pub fn set_quarantine_capacity(capacity: u32) {
    release(Quarantine::global().set_capacity(capacity as usize));
}

/// Releases thunks that left quarantine (`Quarantine::retire`) once no call can be inside their
/// handlers. A BareFn's handler runs on its owning thread (native -> JS calls) and on threads
/// calling it from elsewhere, which hold a reference of their own while they do
/// (`JsCallback::call`). So a thunk is dropped at once only on its owning thread while no BareFn
/// call runs JS there: a callback may dispose its own BareFn, or others, and with a small
/// quarantine its handler would be freed under it. Otherwise it is sent to the owning thread,
/// which releases it from its queue, back in its event loop. The quarantine is process-wide: the
/// thunk leaving may belong to another thread (a worker's), whose calls this thread cannot see.
pub fn release(left: impl IntoIterator<Item = Retired>) {
    for retired in left {
        let owner = retired.handler::<JsCallback>().and_then(|callback| {
            let dispatcher = callback.dispatcher();
            if dispatcher.is_closed() {
                return None; // an env torn down runs no JS: its thunks can go at once too
            }
            // SAFETY (native_calls): on the owning thread, whose env is not torn down.
            let idle_here =
                callback.on_owning_thread() && unsafe { dispatcher.native_calls() }.is_idle();
            (!idle_here).then(|| dispatcher.clone())
        });
        match owner {
            // Dropped there, or here if its env has gone meanwhile (`send` drops the job).
            Some(dispatcher) => drop(dispatcher.send(Job::Later(Box::new(|| release([retired]))))),
            None => drop(retired),
        }
    }
}
