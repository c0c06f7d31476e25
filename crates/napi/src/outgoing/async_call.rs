//! `fn.async(...)`: a call of an FnPtr or Library function on a thread of libuv's pool, whose
//! Promise settles on the JS thread that made it.
//!
//! The arguments are converted on the JS thread into values the call owns (C strings copied,
//! struct arguments' bytes copied; what a pointer argument points to stays the caller's, as in C),
//! the C function runs on the pool (`execute`), and the result is converted back on the JS thread
//! (`complete`), a C string result while the call's own strings still live (it may point into
//! them). A struct result comes back as its bytes, decoded by src/lib/fn-ptr.ts.
//!
//! Why libuv's pool, through Node-API async work, rather than threads of the addon's own: Node
//! already sizes it (`UV_THREADPOOL_SIZE`, 4 by default), keeps the event loop alive while work
//! is in flight (as for `fs` calls), and tears it down with a worker (whatever it does with
//! work in flight, `execute` touches only the call's own memory, and `complete` settles nothing
//! without an env). The cost is the same as `fs`'s: a call that blocks for long holds one
//! of the pool's threads; more calls than threads wait in libuv's queue, so nothing here bounds
//! them. A library whose function runs is not unloaded under it (`LibraryState::begin_async`).

use std::cell::RefCell;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::{Arc, Mutex};

use bare_fn_core::{call_raw_into, Input, OsErrors, Outcome, Param, Signature, Type, MAX_ARGS};
use napi::sys;

use super::arguments::argument;
use crate::external::from_external;
use crate::from_js::from_js;
use crate::library::LibraryState;
use crate::owned_ref::OwnedRef;
use crate::raw::{define_data, read_string, string, strong_ref, type_of, undefined, Failure, Raw};
use crate::text::OwnedText;
use crate::to_js::to_js;
use crate::views::encoded_struct;

use super::entry::{argument_count_failure, argument_failure, attach_return_value};

/// The error that rejects an async call's Promise: the first one, without `onError`, of a
/// 'blocking' BareFn its C function called (run on the JS thread while the pool thread waited;
/// `dispatch.rs` keeps it here). A synchronous call rethrows such an error; this is its
/// asynchronous form.
#[derive(Default)]
pub struct AsyncErrors {
    first: Mutex<Option<OwnedRef>>,
}

impl AsyncErrors {
    /// Keeps `error` unless one is kept already.
    ///
    /// # Safety
    /// On the JS thread of the call, `error` a value of its open scope.
    pub unsafe fn keep(&self, env: sys::napi_env, error: sys::napi_value) {
        let mut first = self.first.lock().unwrap_or_else(|e| e.into_inner());
        if first.is_none() {
            *first = Some(OwnedRef::new(strong_ref(env, error)));
        }
    }

    /// The error kept, taken out.
    ///
    /// # Safety
    /// As for `keep`.
    unsafe fn take(&self, env: sys::napi_env) -> Option<sys::napi_value> {
        let kept = self
            .first
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()?;
        // SAFETY: forwarded; the reference is deleted once, here.
        unsafe {
            let error = kept.value(env);
            kept.delete(env);
            Some(error)
        }
    }
}

thread_local! {
    /// On a pool thread, while it runs an async call: that call's errors (`running`).
    static RUNNING: RefCell<Option<Arc<AsyncErrors>>> = const { RefCell::new(None) };
}

/// The errors of the async call this (pool) thread is running, if any: a 'blocking' BareFn it
/// calls carries them to the JS thread with its job.
pub fn running() -> Option<Arc<AsyncErrors>> {
    RUNNING
        .try_with(|running| running.borrow().clone())
        .ok()
        .flatten()
}

/// One async call, from its start on the JS thread to its settling there.
struct AsyncCall {
    address: usize,
    sig: Arc<Signature>,
    library: Option<Arc<LibraryState>>,
    /// The arguments, raw-encoded: a C string's is the address of its copy in `strings`, a
    /// struct's the address of its copy in `structs`.
    raw: [u64; MAX_ARGS],
    strings: Vec<OwnedText>,
    structs: Vec<Box<[u8]>>,
    /// The buffers whose bytes pointer arguments point to (`arguments.rs`), referenced until the
    /// call settles: the caller may drop them meanwhile.
    buffers: Buffers,
    /// A returned struct's bytes (empty for a scalar result).
    out: Box<[u8]>,
    /// What the call gave; None until it ran, or when it panicked.
    outcome: Option<Outcome>,
    errors: Arc<AsyncErrors>,
    /// Resolve with `{ value, errno, lastError }` (`fn.asyncWithErrno`) instead of the value.
    with_os_errors: bool,
    deferred: sys::napi_deferred,
    work: sys::napi_async_work,
}

// SAFETY: the pool thread only reads the arguments and writes `out` and `outcome` while the JS
// thread does not touch the call (between `napi_queue_async_work` and `complete`); the Node-API
// handles in it are used on the JS thread only.
unsafe impl Send for AsyncCall {}

/// `callAsync(signature, address, name, library, args, withErrno)`: starts a call of `address` as
/// `signature` (an External of `NativeSignature.handle()`) with the array `args`, named `name`
/// for messages, `library` the External of the library it was looked up in (or undefined);
/// returns its Promise, of `{ value, errno, lastError }` when `withErrno` is true: what this
/// call left in errno and GetLastError, which `errno()` cannot tell among concurrent calls. src/lib/fn-ptr.ts has encoded struct arguments into bytes and checked the
/// address.
///
/// # Safety
/// `env` is live on this thread, the arguments belong to its open scope.
pub unsafe fn call_async(
    env: sys::napi_env,
    [signature, address, name, library, args, with_os_errors]: [Raw; 6],
) -> Result<sys::napi_value, Failure> {
    // SAFETY (all calls): forwarded.
    let sig = unsafe { from_external::<Signature>(env, signature) }?;
    let address = unsafe { from_js(env, Type::Pointer, address.0, &mut Vec::new()) }? as usize;
    let library = match type_of(env, library.0) {
        sys::ValueType::napi_undefined => None,
        _ => Some(unsafe { from_external::<LibraryState>(env, library) }?),
    };
    if let Some(library) = library.as_ref().filter(|l| l.is_closed()) {
        let name = read_string(env, name.0).unwrap_or_default();
        return Err(library.closed_failure(&name));
    }
    let mut call = Box::new(AsyncCall {
        address,
        out: vec![0; sig.ret().structure().map_or(0, |s| s.size())].into_boxed_slice(),
        sig,
        library,
        raw: [0; MAX_ARGS],
        strings: Vec::new(),
        structs: Vec::new(),
        buffers: Buffers {
            env,
            refs: Vec::new(),
        },
        outcome: None,
        errors: Arc::default(),
        // SAFETY: a value of this call's scope (fn-ptr.ts passes a boolean).
        with_os_errors: unsafe { from_js(env, Type::Bool, with_os_errors.0, &mut Vec::new()) }?
            != 0,
        deferred: ptr::null_mut(),
        work: ptr::null_mut(),
    });
    // SAFETY: forwarded.
    unsafe { call.convert_arguments(env, args) }?;
    let mut promise = ptr::null_mut();
    // SAFETY: on env's thread; `call` is handed to Node-API, which passes it to `execute` on a
    // pool thread and to `complete` here, where it is taken back (once).
    unsafe {
        sys::napi_create_promise(env, &mut call.deferred, &mut promise);
        let status = sys::napi_create_async_work(
            env,
            ptr::null_mut(),
            string(env, "bare-fn async call"),
            Some(execute),
            Some(complete),
            ptr::addr_of_mut!(*call).cast(),
            &mut call.work,
        );
        if status != sys::Status::napi_ok {
            return Err(Failure::error("bare-fn: cannot start an async call"));
        }
        if let Some(library) = &call.library {
            library.begin_async();
        }
        let work = call.work;
        let call = Box::into_raw(call);
        if sys::napi_queue_async_work(env, work) != sys::Status::napi_ok {
            // Never queued: the work and the call go, the Promise with them, unsettled.
            let call = Box::from_raw(call);
            if let Some(library) = &call.library {
                library.end_async();
            }
            sys::napi_delete_async_work(env, work);
            return Err(Failure::error("bare-fn: cannot start an async call"));
        }
    }
    Ok(promise)
}

impl AsyncCall {
    /// Converts `args` (a JS array) into values this call owns.
    ///
    /// # Safety
    /// `env` live on this thread; `args` a value of its open scope.
    unsafe fn convert_arguments(&mut self, env: sys::napi_env, args: Raw) -> Result<(), Failure> {
        let mut count = 0;
        // SAFETY: a non-array gives a status and count 0.
        unsafe { sys::napi_get_array_length(env, args.0, &mut count) };
        let sig = self.sig.clone();
        if count as usize != sig.args().len() {
            return Err(argument_count_failure(&sig, count as usize));
        }
        for (i, input) in sig.inputs().iter().enumerate() {
            let mut value = ptr::null_mut();
            // SAFETY: i < the array's length.
            unsafe { sys::napi_get_element(env, args.0, i as u32, &mut value) };
            let raw = match input {
                // SAFETY: forwarded; a C string argument is copied into `strings`.
                Input::Scalar(scalar) => {
                    // SAFETY: forwarded.
                    let raw = unsafe { argument(env, scalar.declared, value, &mut self.strings) };
                    if raw.is_ok() && type_of(env, value) == sys::ValueType::napi_object {
                        // The bytes of a buffer: kept alive until the call settles.
                        self.buffers.refs.push(strong_ref(env, value));
                    }
                    raw
                }
                Input::Struct(arg) => {
                    encoded_struct(env, Raw(value), arg.size, "a struct").map(|(data, len)| {
                        // SAFETY: a view of `len` bytes, read before any JS runs.
                        let bytes: Box<[u8]> =
                            unsafe { std::slice::from_raw_parts(data, len) }.into();
                        let at = bytes.as_ptr() as usize as u64;
                        self.structs.push(bytes);
                        at
                    })
                }
            };
            self.raw[i] = raw.map_err(|failure| argument_failure(&sig, i, failure))?;
        }
        Ok(())
    }

    /// Settles the Promise with what the call gave, and lets the library go.
    ///
    /// # Safety
    /// On the JS thread that started the call, with its env (NULL at teardown: nothing settles).
    unsafe fn finish(mut self: Box<Self>, env: sys::napi_env) {
        if let Some(library) = &self.library {
            library.end_async();
        }
        if env.is_null() {
            // Torn down: the env freed its references with it.
            self.buffers.refs.clear();
            return;
        }
        // SAFETY (all calls): env is live on its thread; the deferred is settled once, here.
        unsafe {
            sys::napi_delete_async_work(env, self.work);
            let settled = match self.outcome {
                Some(outcome) => match self.sig.ret() {
                    // A C string result is copied while the call's strings live (`self`).
                    &Param::Scalar(ty) => Ok(to_js(env, ty, outcome.value)),
                    Param::Struct(_) => Ok(struct_bytes(env, &self.out)),
                },
                None => Err(Failure::error(
                    "bare-fn: internal error (a panic) in an async native call",
                )),
            };
            match (settled, self.errors.take(env)) {
                (Ok(value), None) => {
                    let resolved = match self.outcome {
                        Some(outcome) if self.with_os_errors => {
                            with_os_errors(env, value, outcome.os_errors)
                        }
                        _ => value,
                    };
                    sys::napi_resolve_deferred(env, self.deferred, resolved)
                }
                (Ok(value), Some(error)) => {
                    // As a synchronous call rethrows it: with the call's result.
                    attach_return_value(env, error, value);
                    sys::napi_reject_deferred(env, self.deferred, error)
                }
                (Err(failure), _) => {
                    sys::napi_reject_deferred(env, self.deferred, failure.to_js(env))
                }
            };
        }
    }
}

/// Strong references to the buffers an async call's pointer arguments point into, deleted when
/// it is dropped: on the JS thread of `env`, which is live then (`finish` empties it at
/// teardown, when the env has freed them).
struct Buffers {
    env: sys::napi_env,
    refs: Vec<sys::napi_ref>,
}

impl Drop for Buffers {
    fn drop(&mut self) {
        for reference in self.refs.drain(..) {
            // SAFETY: a reference of `env`, deleted once, on its thread (see above).
            unsafe { sys::napi_delete_reference(self.env, reference) };
        }
    }
}

/// `{ value, errno, lastError }`: `lastError` is GetLastError on Windows, undefined elsewhere.
///
/// # Safety
/// `env` live on this thread, in a handle scope; `value` of it.
unsafe fn with_os_errors(
    env: sys::napi_env,
    value: sys::napi_value,
    errors: OsErrors,
) -> sys::napi_value {
    let mut object = ptr::null_mut();
    let attributes = sys::PropertyAttributes::writable
        | sys::PropertyAttributes::enumerable
        | sys::PropertyAttributes::configurable;
    // SAFETY: a fresh plain object of this scope; defining data properties runs no JS.
    unsafe {
        sys::napi_create_object(env, &mut object);
        let last_error = if cfg!(windows) {
            to_js(env, Type::U32, u64::from(errors.last_error))
        } else {
            undefined(env)
        };
        let errno = to_js(env, Type::I32, errors.errno as i64 as u64);
        define_data(env, object, c"value", value, attributes);
        define_data(env, object, c"errno", errno, attributes);
        define_data(env, object, c"lastError", last_error, attributes);
    }
    object
}

/// A Uint8Array holding a copy of `bytes`.
///
/// # Safety
/// `env` live on this thread, in a handle scope.
unsafe fn struct_bytes(env: sys::napi_env, bytes: &[u8]) -> sys::napi_value {
    let (mut buffer, mut data, mut array) =
        (ptr::null_mut(), ptr::null_mut::<c_void>(), ptr::null_mut());
    // SAFETY: V8 allocates `bytes.len()` bytes at `data`, filled right after.
    unsafe {
        sys::napi_create_arraybuffer(env, bytes.len(), &mut data, &mut buffer);
        ptr::copy_nonoverlapping(bytes.as_ptr(), data.cast(), bytes.len());
        sys::napi_create_typedarray(
            env,
            sys::TypedarrayType::uint8_array,
            bytes.len(),
            buffer,
            0,
            &mut array,
        );
    }
    array
}

/// On a pool thread: the C call.
unsafe extern "C" fn execute(_env: sys::napi_env, data: *mut c_void) {
    // SAFETY: `data` is the call `call_async` queued; only this thread touches it now.
    let call = unsafe { &mut *(data as *mut AsyncCall) };
    let n = call.sig.args().len();
    RUNNING.with(|running| *running.borrow_mut() = Some(call.errors.clone()));
    call.outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the user declared that `address` has this signature (the one unchecked
        // promise of an FFI); the strings and structs the arguments point to live in `call`; the
        // library stays loaded until the call settles (`begin_async`).
        unsafe { call_raw_into(call.address, &call.sig, &call.raw[..n], &mut call.out) }
    }))
    .ok();
    RUNNING.with(|running| running.borrow_mut().take());
}

/// Back on the JS thread: settles the Promise.
unsafe extern "C" fn complete(env: sys::napi_env, _status: sys::napi_status, data: *mut c_void) {
    // SAFETY: `data` is the call `call_async` leaked, taken back once, here.
    let call = unsafe { Box::from_raw(data as *mut AsyncCall) };
    // SAFETY: Node-API runs `complete` on the JS thread of the env.
    unsafe { call.finish(env) };
}
