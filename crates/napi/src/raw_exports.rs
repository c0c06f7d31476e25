//! Functions exported as plain Node-API callbacks, without napi-rs's per-call machinery.
//!
//! napi-rs wraps every `#[napi]` function with argument validation and a borrow scope (a
//! thread-local push/pop and allocations), which cost most of a `memory.read` (about 90 of
//! 130 ns), and its classes add an object registry and wrap per instance, most of a BareFn's
//! create + dispose. The hot functions here take their arguments raw and do the same checks
//! themselves. Their types are declared by hand in src/lib/native.ts (`RawExports`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use napi::bindgen_prelude::{Object, ToNapiValue};
use napi::{sys, Env, Result};
use napi_derive::napi;

use crate::raw::{callback_info, Failure, Raw};
use crate::{bare_fn, library, live, memory, outgoing};

/// The body of a raw callback: its arguments (missing ones are `undefined`), a result or a
/// failure to throw.
type Body<const N: usize> =
    unsafe fn(sys::napi_env, [Raw; N]) -> std::result::Result<sys::napi_value, Failure>;

/// Calls `body` with the callback's first N arguments; throws its failure, and turns a panic
/// into a thrown Error (a panic must not unwind into Node).
///
/// # Safety
/// `env` and `info` are those Node-API passed to the callback.
unsafe fn dispatch<const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    body: Body<N>,
) -> sys::napi_value {
    let mut argv = [ptr::null_mut(); N];
    // SAFETY: argv holds N slots; Node-API fills missing ones with undefined.
    unsafe { callback_info(env, info, argv.as_mut_ptr(), N) };
    // SAFETY: forwarded; the arguments are values of this callback.
    let outcome = catch_unwind(AssertUnwindSafe(|| unsafe { body(env, argv.map(Raw)) }));
    let failure = match outcome {
        Ok(Ok(value)) => return value,
        Ok(Err(failure)) => failure,
        Err(_) => Failure::error("bare-fn: internal error (a panic) in a native function"),
    };
    // SAFETY: env is live; the error value was just created in it.
    unsafe { sys::napi_throw(env, failure.to_js(env)) };
    ptr::null_mut()
}

/// Defines `unsafe extern "C" fn $name(env, info)` calling `dispatch` with `$body`.
macro_rules! raw_callbacks {
    ($($name:ident => $body:expr;)*) => {$(
        unsafe extern "C" fn $name(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
            // SAFETY: called by Node-API with its env and info.
            unsafe { dispatch(env, info, $body) }
        }
    )*};
}

raw_callbacks! {
    memory_read => memory::read;
    memory_read_cstring => memory::read_cstring;
    memory_write => memory::write;
    memory_read_into => memory::read_into;
    memory_write_from => memory::write_from;
    create_bare_fn => bare_fn::create;
    bare_fn_address => bare_fn::address;
    dispose_bare_fn => bare_fn::dispose;
    bare_fn_collected => bare_fn::collected;
    bare_fn_functions => bare_fn::functions;
    bare_fn_arg_buffer => bare_fn::arg_buffer;
    run_queued => bare_fn::run_queued;
    live_bare_fns => |env, []: [Raw; 0]| Ok(live::list(env));
    create_caller => outgoing::create_caller;
    call_async => outgoing::call_async;
    library_symbol => library::symbol;
}

/// Adds the raw callbacks to the module's exports.
#[napi(module_exports)]
pub fn register_raw_exports(exports: Object, env: Env) -> Result<()> {
    // SAFETY: converting the exports object back to its raw value, in module initialisation.
    let exports_value = unsafe { Object::to_napi_value(env.raw(), exports)? };
    let functions: [(&std::ffi::CStr, sys::napi_callback); 16] = [
        (c"memoryRead", Some(memory_read)),
        (c"memoryReadCString", Some(memory_read_cstring)),
        (c"memoryWrite", Some(memory_write)),
        (c"memoryReadInto", Some(memory_read_into)),
        (c"memoryWriteFrom", Some(memory_write_from)),
        (c"createBareFn", Some(create_bare_fn)),
        (c"bareFnAddress", Some(bare_fn_address)),
        (c"disposeBareFn", Some(dispose_bare_fn)),
        (c"bareFnCollected", Some(bare_fn_collected)),
        (c"bareFnFunctions", Some(bare_fn_functions)),
        (c"bareFnArgBuffer", Some(bare_fn_arg_buffer)),
        (c"runQueued", Some(run_queued)),
        (c"liveBareFns", Some(live_bare_fns)),
        (c"createCaller", Some(create_caller)),
        (c"callAsync", Some(call_async)),
        (c"librarySymbol", Some(library_symbol)),
    ];
    for (name, callback) in functions {
        let mut function = ptr::null_mut();
        // SAFETY: module initialisation runs on env's thread; the name is NUL-terminated.
        let status = unsafe {
            sys::napi_create_function(
                env.raw(),
                name.as_ptr(),
                -1, // NAPI_AUTO_LENGTH: the name is NUL-terminated
                callback,
                ptr::null_mut(),
                &mut function,
            )
        };
        if status != sys::Status::napi_ok {
            return Err(napi::Error::from_reason(format!("cannot create {name:?}")));
        }
        // SAFETY: as above; exports is the module's exports object.
        let status = unsafe {
            sys::napi_set_named_property(env.raw(), exports_value, name.as_ptr(), function)
        };
        if status != sys::Status::napi_ok {
            return Err(napi::Error::from_reason(format!("cannot export {name:?}")));
        }
    }
    Ok(())
}
