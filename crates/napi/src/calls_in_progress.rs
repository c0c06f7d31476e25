//! The JS -> native calls (FnPtr / Library function calls) in progress on this thread, innermost
//! last, and what the native -> JS calls made during one of them share (a batch of queued calls
//! from other threads, run by the dispatcher, counts as one such call, without the rethrow):
//! - the first error to rethrow from it when it returns (see `report`);
//! - a batch of handle scopes. A BareFn called many times during one native call (a qsort
//!   comparator, a loop) does not open and close a Node-API handle scope per call: the calls
//!   share one scope, closed and reopened every `BATCH` calls and closed when the native call
//!   returns, and the JS function's handle is looked up once per batch (`Callees`). That
//!   removes a heap allocation and two scope operations from each call.
//!
//! Handle scopes must close innermost first. A batch scope is only reused when it is the
//! innermost scope: when no callback of this native call is running JS (`in_js`). A native -> JS
//! call that arrives while one is running came through native code that is not ours (another
//! addon called from the callback); it gets a scope of its own.

use std::cell::{Cell, RefCell};
use std::ptr::{self, NonNull};

use bare_fn_core::OsErrors;
use napi::sys;

use crate::raw::{define_data, undefined};

/// Calls sharing one handle scope: bounds how many handles (arguments, results) pile up, a few
/// per call. Reopening a batch (closing and opening the scope, looking the callee up in the
/// function table) costs about 1,200 instructions: 256 calls share it (64 cost 14 more
/// instructions per qsort comparison, bench:instructions).
const BATCH: u32 = 256;

struct Batch {
    scope: sys::napi_handle_scope,
    calls: u32,
    undefined: sys::napi_value,
    callees: Callees,
}

/// How many JS functions a batch remembers the handles of: a native call may call a few BareFns
/// in turn (a hash table's hash and equality callbacks).
const CALLEES: usize = 4;

/// The handles, in a batch's scope, of the JS functions called during it, by the BareFn's index in
/// the live registry (direct-mapped: index % CALLEES), so that a BareFn called again in the batch
/// skips looking its function up in the env's function table. Emptied when a BareFn is disposed
/// (`forget_callees`): its index may then serve another BareFn, with another function.
/// Also counts the bytes of the string arguments made in the batch (`JsScope::hold`).
#[derive(Default)]
pub struct Callees {
    entries: [Cell<(u32, Option<NonNull<sys::napi_value__>>)>; CALLEES],
    held: Cell<usize>,
}

/// Bytes of string arguments after which the next call opens a new batch: a batch's scope keeps
/// every handle made in it, so 256 calls with 4 MiB strings each held 1 GiB, and 24 MiB ones ran
/// V8 out of memory. Shared scopes must not change what a program can hold.
const MAX_HELD: usize = 16 << 20;

impl Callees {
    fn entry(&self, index: u32) -> &Cell<(u32, Option<NonNull<sys::napi_value__>>)> {
        &self.entries[index as usize % CALLEES]
    }

    fn clear(&self) {
        self.entries.iter().for_each(|entry| entry.set((0, None)));
    }
}

/// What a native call in progress shares with the callbacks made during it. Made when a callback
/// of the call first runs JS or reports an error (most JS -> native calls make no callback and
/// pay for no slot), or when a batch of queued jobs starts.
#[derive(Default)]
struct Slot {
    /// Errors reported during this call are kept to be rethrown from it (a JS -> native call);
    /// false for a batch of queued jobs, whose errors go on to onError or as uncaught exceptions.
    rethrow: bool,
    /// Strong reference to the first error reported during this native call (see `Kept`).
    error: Option<Kept>,
    batch: Option<Batch>,
    /// A callback of this native call is running JS. A cell in a boxed slot, so `JsScope::leave`
    /// reaches it through a pointer, without a thread-local lookup: the box does not move while
    /// the slot exists, and the slot outlives every JS call made during its native call.
    in_js: Cell<bool>,
}

/// The native calls in progress on one thread, innermost last, and the BareFn calls running JS on
/// it.
pub struct NativeCalls {
    /// How many native calls are in progress (JS -> native calls and batches of queued jobs,
    /// nested): entering and leaving one is a count, unless it has a slot.
    depth: Cell<usize>,
    /// The slots of the calls in progress that have one, innermost last, by their call's depth.
    #[allow(clippy::vec_box)]
    slots: RefCell<Vec<(usize, Box<Slot>)>>,
    /// The depth of the last of `slots` (0: none), read without borrowing them.
    slotted: Cell<usize>,
    /// The slots of calls that ended, reused by the next ones: a JS -> native call allocates
    /// nothing on the heap once its thread has made one of its depth.
    #[allow(clippy::vec_box)]
    spare: RefCell<Vec<Box<Slot>>>,
    /// How many BareFn calls are running JS on this thread (nested ones included).
    running: Cell<u32>,
    /// What the last JS -> native call on this thread left in errno and GetLastError.
    os_errors: Cell<OsErrors>,
}

thread_local! {
    static NATIVE_CALLS: NativeCalls = const {
        NativeCalls {
            depth: Cell::new(0),
            slots: RefCell::new(Vec::new()),
            slotted: Cell::new(0),
            spare: RefCell::new(Vec::new()),
            running: Cell::new(0),
            os_errors: Cell::new(OsErrors { errno: 0, last_error: 0 }),
        }
    };
}

impl NativeCalls {
    /// Whether no BareFn call runs JS on this thread (none is inside its handler here).
    pub fn is_idle(&self) -> bool {
        self.running.get() == 0
    }

    /// errno and GetLastError as the last JS -> native call on this thread left them.
    pub fn os_errors(&self) -> OsErrors {
        self.os_errors.get()
    }

    pub fn set_os_errors(&self, errors: OsErrors) {
        self.os_errors.set(errors);
    }

    /// Empties every batch's `Callees`: a BareFn was disposed.
    pub fn forget_callees(&self) {
        for (_, slot) in self.slots.borrow().iter() {
            if let Some(batch) = &slot.batch {
                batch.callees.clear();
            }
        }
    }

    /// Gives the call at `depth` (the innermost) a slot, made or taken from the spare ones.
    fn add_slot(&self, depth: usize, rethrow: bool) {
        let mut slot = self
            .spare
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| Box::new(Slot::default()));
        *slot = Slot {
            rethrow,
            ..Slot::default()
        };
        self.slots.borrow_mut().push((depth, slot));
        self.slotted.set(depth);
    }

    /// The slot of the innermost native call, made if it has none; None when no native call is
    /// in progress. The slot lives (its box does not move) until its call ends.
    fn innermost_slot(&self) -> Option<NonNull<Slot>> {
        let depth = self.depth.get();
        if depth == 0 {
            return None;
        }
        if self.slotted.get() != depth {
            // A call without a slot is a JS -> native call (a batch gets one when it starts).
            self.add_slot(depth, true);
        }
        let mut slots = self.slots.borrow_mut();
        slots.last_mut().map(|(_, slot)| NonNull::from(&mut **slot))
    }
}

/// Where one thread's `NativeCalls` are, for a caller on that thread to skip the thread-local
/// lookup: in a dlopen'ed library that is a call to `__tls_get_addr`, about 50 instructions,
/// which each native -> JS call paid (a dispatcher keeps this for its env's thread).
#[derive(Clone, Copy)]
pub struct ThreadCalls(NonNull<NativeCalls>);

// SAFETY: only dereferenced on the thread it was taken on (see `get`); other threads only move
// the pointer along with the dispatcher holding it.
unsafe impl Send for ThreadCalls {}
unsafe impl Sync for ThreadCalls {}

impl ThreadCalls {
    /// This thread's.
    pub fn current() -> ThreadCalls {
        NATIVE_CALLS.with(|calls| ThreadCalls(NonNull::from(calls)))
    }

    /// # Safety
    /// On the thread `current` was called on: its thread-locals live while it runs.
    #[inline]
    pub unsafe fn get(&self) -> &NativeCalls {
        // SAFETY: see above.
        unsafe { self.0.as_ref() }
    }
}

/// Marks a JS -> native call in progress; `finish` returns the error to rethrow, if any.
pub struct NativeCall {
    depth: usize,
}

impl NativeCall {
    /// A JS -> native call (`rethrow`), or a batch of queued jobs (not), on this thread.
    pub fn enter(rethrow: bool) -> NativeCall {
        NATIVE_CALLS.with(|calls| NativeCall::enter_in(calls, rethrow))
    }

    /// `enter`, given this thread's `NativeCalls` (`ThreadCalls::get`).
    #[inline]
    pub fn enter_in(native: &NativeCalls, rethrow: bool) -> NativeCall {
        let depth = native.depth.get() + 1;
        native.depth.set(depth);
        if !rethrow {
            native.add_slot(depth, false);
        }
        NativeCall { depth }
    }

    /// Ends the call: closes its batch scope and returns the error reported during it (now
    /// owned by the current handle scope), to be thrown from the JS call.
    pub fn finish(self, env: sys::napi_env) -> Option<sys::napi_value> {
        NATIVE_CALLS.with(|calls| self.finish_in(calls, env))
    }

    /// `finish`, given this thread's `NativeCalls` (the one given to `enter_in`).
    #[inline]
    pub fn finish_in(self, native: &NativeCalls, env: sys::napi_env) -> Option<sys::napi_value> {
        debug_assert_eq!(
            native.depth.get(),
            self.depth,
            "native calls end innermost first"
        );
        native.depth.set(self.depth - 1);
        if native.slotted.get() == self.depth {
            finish_slot(native, env)
        } else {
            None
        }
    }
}

/// Ends the innermost slot: closes its batch scope and returns its error; keeps the slot for the
/// next call.
#[cold]
#[inline(never)]
fn finish_slot(native: &NativeCalls, env: sys::napi_env) -> Option<sys::napi_value> {
    let mut slot = {
        let mut slots = native.slots.borrow_mut();
        let (_, slot) = slots.pop()?;
        native
            .slotted
            .set(slots.last().map_or(0, |(depth, _)| *depth));
        slot
    };
    let (batch, error) = (slot.batch.take(), slot.error.take());
    native.spare.borrow_mut().push(slot);
    if let Some(batch) = batch {
        // SAFETY: the batch scope is the innermost open scope: the native call has returned, so
        // no callback of it is running and every scope opened inside it is closed.
        unsafe { sys::napi_close_handle_scope(env, batch.scope) };
    }
    // SAFETY: the reference was created in this env on this thread; taken once.
    error.map(|kept| unsafe { kept.take(env) })
}

/// The handle scope a native -> JS call runs in.
pub enum JsScope {
    /// The shared scope of the innermost native call, whose `in_js` flag this call set, and its
    /// batch's `Callees`. Both live in the slot's box, which outlives this JS call, and the batch
    /// is not replaced during it (a call that arrives meanwhile gets a scope of its own).
    Batched {
        in_js: NonNull<Cell<bool>>,
        callees: NonNull<Callees>,
        undefined: sys::napi_value,
    },
    /// A scope of this call alone.
    Own(sys::napi_handle_scope),
}

impl JsScope {
    /// Enters a handle scope for one native -> JS call and marks JS as running.
    ///
    /// # Safety
    /// `env` is this thread's live env and `calls` this thread's; the result is passed to
    /// `leave` after the call, with every scope opened in between closed.
    #[inline]
    pub unsafe fn enter(env: sys::napi_env, native: &NativeCalls) -> JsScope {
        native.running.set(native.running.get() + 1);
        // SAFETY: the slot lives until its native call ends, after this JS call.
        match native
            .innermost_slot()
            .map(|mut slot| unsafe { slot.as_mut() })
            .filter(|slot| !slot.in_js.get())
        {
            Some(slot) => {
                slot.in_js.set(true);
                // SAFETY: no callback of this native call runs, so the batch scope (if
                // any) is the innermost open scope.
                let batch = unsafe { use_batch(env, &mut slot.batch) };
                JsScope::Batched {
                    in_js: NonNull::from(&slot.in_js),
                    callees: NonNull::from(&batch.callees),
                    undefined: batch.undefined,
                }
            }
            // SAFETY: forwarded.
            _ => unsafe { JsScope::own(env) },
        }
    }

    /// A scope of its own, for a call made while a callback runs JS (rare: out of line).
    ///
    /// # Safety
    /// As for `enter`.
    #[cold]
    #[inline(never)]
    unsafe fn own(env: sys::napi_env) -> JsScope {
        let mut scope = ptr::null_mut();
        // SAFETY: env live; closed by `leave`.
        unsafe { sys::napi_open_handle_scope(env, &mut scope) };
        JsScope::Own(scope)
    }

    /// The handle of the JS function of the BareFn at `index`, if remembered in this batch.
    #[inline]
    pub fn callee(&self, index: u32) -> Option<sys::napi_value> {
        match self {
            JsScope::Batched { callees, .. } => {
                // SAFETY: the batch outlives this scope (see `Batched`).
                let (at, callee) = unsafe { callees.as_ref() }.entry(index).get();
                callee.filter(|_| at == index).map(NonNull::as_ptr)
            }
            JsScope::Own(_) => None,
        }
    }

    /// Remembers `callee` (a handle of this scope) as the function of the BareFn at `index`, for
    /// the rest of the batch.
    #[inline]
    pub fn remember_callee(&self, index: u32, callee: sys::napi_value) {
        if let JsScope::Batched { callees, .. } = self {
            // SAFETY: as in `callee`; the batch's scope holds the handle until the batch ends.
            unsafe { callees.as_ref() }
                .entry(index)
                .set((index, NonNull::new(callee)));
        }
    }

    /// Counts `bytes` of string arguments made in this scope against its batch (`MAX_HELD`).
    #[inline]
    pub fn hold(&self, bytes: usize) {
        if let JsScope::Batched { callees, .. } = self {
            // SAFETY: the batch outlives this scope (see `Batched`).
            let held = &unsafe { callees.as_ref() }.held;
            held.set(held.get().saturating_add(bytes));
        }
    }

    /// `undefined`, as a handle of this scope.
    #[inline]
    pub fn undefined(&self, env: sys::napi_env) -> sys::napi_value {
        match self {
            JsScope::Batched { undefined, .. } => *undefined,
            JsScope::Own(_) => undefined(env),
        }
    }

    /// Leaves the scope after the JS call returned.
    ///
    /// # Safety
    /// As for `enter`, with the same `native`.
    #[inline]
    pub unsafe fn leave(self, env: sys::napi_env, native: &NativeCalls) {
        native.running.set(native.running.get() - 1);
        match self {
            // SAFETY: the slot's box outlives this JS call (see `Slot::in_js`).
            JsScope::Batched { in_js, .. } => unsafe { in_js.as_ref().set(false) },
            // SAFETY: opened by `enter`; scopes opened since are closed (contract).
            JsScope::Own(scope) => unsafe {
                sys::napi_close_handle_scope(env, scope);
            },
        }
    }
}

/// The batch to run the next call in: the current one, or a fresh one when it is full or absent.
///
/// # Safety
/// `env` live; the batch scope (if any) is the innermost open scope.
#[inline]
unsafe fn use_batch(env: sys::napi_env, batch: &mut Option<Batch>) -> &Batch {
    if batch
        .as_ref()
        .is_none_or(|b| b.calls >= BATCH || b.callees.held.get() >= MAX_HELD)
    {
        // SAFETY: forwarded.
        unsafe { new_batch(env, batch) };
    }
    let Some(b) = batch.as_mut() else {
        unreachable!("new_batch made one")
    };
    b.calls += 1;
    b
}

/// `use_batch` once in `BATCH` calls, out of line so that the frequent path inlines.
///
/// # Safety
/// As for `use_batch`.
#[cold]
#[inline(never)]
unsafe fn new_batch(env: sys::napi_env, batch: &mut Option<Batch>) {
    if let Some(old) = batch.take() {
        // SAFETY: innermost (contract).
        unsafe { sys::napi_close_handle_scope(env, old.scope) };
    }
    let mut scope = ptr::null_mut();
    // SAFETY: env live; closed by the next `use_batch` or by `NativeCall::finish`.
    unsafe { sys::napi_open_handle_scope(env, &mut scope) };
    *batch = Some(Batch {
        scope,
        calls: 0,
        undefined: undefined(env),
        callees: Callees::default(),
    });
}

/// Keeps `error` for the innermost JS -> native call on this thread, to be rethrown when it
/// returns (the first error wins). False when no such call is in progress (none, or the innermost
/// is a batch of queued jobs).
///
/// # Safety
/// `env` is the current thread's live env; `error` belongs to its open handle scope.
pub unsafe fn store_error(env: sys::napi_env, error: sys::napi_value) -> bool {
    NATIVE_CALLS.with(|native| {
        // SAFETY: the slot lives until its native call ends; no other reference to it is used
        // meanwhile.
        let Some(slot) = native
            .innermost_slot()
            .map(|mut slot| unsafe { slot.as_mut() })
            .filter(|slot| slot.rethrow)
        else {
            return false;
        };
        if slot.error.is_none() {
            // SAFETY: error belongs to env's open scope.
            slot.error = unsafe { Kept::new(env, error) };
        }
        true
    })
}

/// The property of `Kept`'s holder object.
const HELD: &std::ffi::CStr = c"value";

/// A thrown value kept across the rest of a native call. Node-API references hold objects,
/// functions and symbols only (before Node-API 10): a thrown string or number is kept as a data
/// property of an object of ours (defined, so no setter of Object.prototype runs), or a
/// callback's `throw 'text'` came out of the FnPtr call as an empty PendingException error.
struct Kept {
    reference: sys::napi_ref,
    boxed: bool,
}

impl Kept {
    /// # Safety
    /// `env` live on this thread; `value` belongs to its open scope.
    unsafe fn new(env: sys::napi_env, value: sys::napi_value) -> Option<Kept> {
        let mut reference = ptr::null_mut();
        // SAFETY: forwarded.
        if unsafe { sys::napi_create_reference(env, value, 1, &mut reference) }
            == sys::Status::napi_ok
        {
            return Some(Kept {
                reference,
                boxed: false,
            });
        }
        let mut holder = ptr::null_mut();
        // SAFETY: forwarded; one descriptor, on a fresh object.
        unsafe {
            sys::napi_create_object(env, &mut holder);
            define_data(env, holder, HELD, value, sys::PropertyAttributes::default);
            (sys::napi_create_reference(env, holder, 1, &mut reference) == sys::Status::napi_ok)
                .then_some(Kept {
                    reference,
                    boxed: true,
                })
        }
    }

    /// The value, the reference deleted.
    ///
    /// # Safety
    /// On the env's thread, in a handle scope.
    unsafe fn take(self, env: sys::napi_env) -> sys::napi_value {
        let mut value = ptr::null_mut();
        // SAFETY: forwarded; the reference is this env's and deleted once.
        unsafe {
            sys::napi_get_reference_value(env, self.reference, &mut value);
            sys::napi_delete_reference(env, self.reference);
            if self.boxed {
                let holder = value;
                sys::napi_get_named_property(env, holder, HELD.as_ptr(), &mut value);
            }
        }
        value
    }
}
