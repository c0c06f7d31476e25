//! Thunks: real, contextless function pointers (closure-ffi) that hand each call's register image
//! to a `Handler` chosen at run time.

use std::any::TypeId;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex};

use closure_ffi::{cc, jit_alloc::GlobalJitAlloc, BareFnSync, JitAllocError};

use crate::abi::Flavor;
use crate::regs::{FpPair, Frame, GpPair, RetPair, StackArea, SysV64Fn};

/// What a thunk calls. Implemented by the binding layer (JS callbacks) and by tests.
pub trait Handler: Send + Sync + 'static {
    /// Handles one call and returns the raw-encoded return value (see `types`).
    fn call(&self, frame: &Frame<'_>) -> u64;
    /// The raw return value when `call` panicked (the panic never crosses the C boundary).
    fn on_panic(&self) -> u64;
}

/// Where a thunk finds its handler: a thin pointer made by `Arc::into_raw` from an `Arc` of the
/// handler type the thunk's code was compiled for (`Pooled::kind`), or null while the thunk waits
/// in the pool (calls then answer 0). Thunks are pooled: creating one costs a closure-ffi template
/// relocation and an executable-memory allocation (about half a microsecond), so a thunk that
/// left quarantine is reused for the next BareFn, with a new handler in its slot.
///
/// A call reads the slot without taking a reference count (that would cost two atomic operations
/// per call); the handler it reads stays valid because a handler is only replaced when its thunk
/// leaves quarantine, long after the BareFn was disposed (the same bound that made freeing the
/// thunk safe before pooling; see README, Safety).
///
/// The handler is called directly, not through a `dyn` pointer: the slot holds one word (an
/// atomic cannot hold a fat pointer, which took a box per handler and an indirection per call).
/// Slots are leaked: a thunk is never freed (it is pooled, or abandoned while native code may hold
/// it), so a slot needs no count of its own.
struct Slot {
    handler: AtomicPtr<()>,
}

struct Pooled {
    bare: BareFnSync<'static, SysV64Fn>,
    slot: &'static Slot,
    /// The handler type the thunk's code was compiled for: only an `Arc` of it is ever installed.
    kind: TypeId,
    /// Releases an installed handler: `Arc::from_raw` of that type, dropped.
    release: unsafe fn(*mut ()),
}

/// Thunks that left quarantine, ready for reuse by a handler of their kind.
static POOL: Mutex<Vec<Pooled>> = Mutex::new(Vec::new());

/// An executable thunk calling its handler. Dropping it (once no native code can call it any
/// more, see `quarantine`) puts it back in the pool without a handler.
pub struct Thunk {
    pooled: Option<Pooled>,
}

impl Thunk {
    pub fn new<H: Handler>(flavor: Flavor, handler: Arc<H>) -> Result<Thunk, JitAllocError> {
        let kind = TypeId::of::<H>();
        let reused = {
            let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
            // One handler type in practice (the binding's), so the last one matches.
            let position = pool.iter().rposition(|p| p.kind == kind);
            position.map(|i| pool.swap_remove(i))
        };
        let pooled = match reused {
            Some(pooled) => pooled,
            None => Pooled::new::<H>(flavor)?,
        };
        // SAFETY: the thunk's code was compiled for H (same kind); it holds no handler now, and
        // the pointer comes from an Arc<H>.
        unsafe { pooled.install(Arc::into_raw(handler) as *mut ()) };
        Ok(Thunk {
            pooled: Some(pooled),
        })
    }

    /// The C function pointer.
    pub fn address(&self) -> usize {
        self.pooled.as_ref().map_or(0, |p| p.bare.bare() as usize)
    }
}

impl Drop for Thunk {
    fn drop(&mut self) {
        if let Some(pooled) = self.pooled.take() {
            // SAFETY: null is "no handler"; a thunk is dropped only when no call can still be
            // reading its handler (see `Slot`).
            unsafe { pooled.install(ptr::null_mut()) };
            POOL.lock().unwrap_or_else(|e| e.into_inner()).push(pooled);
        }
    }
}

/// `Pooled::release` for handlers of type H.
///
/// # Safety
/// `handler` came from `Arc::<H>::into_raw` and is released once.
unsafe fn release<H: Handler>(handler: *mut ()) {
    // SAFETY: see above.
    drop(unsafe { Arc::from_raw(handler as *const H) });
}

impl Pooled {
    /// Installs `handler` (null: none) and releases the previous one.
    ///
    /// # Safety
    /// `handler` is null or comes from `Arc::into_raw` of an `Arc` of this thunk's kind (its
    /// ownership passes to the slot); no call can still be reading the previous one (see `Slot`).
    unsafe fn install(&self, handler: *mut ()) {
        let old = self.slot.handler.swap(handler, Ordering::AcqRel);
        if !old.is_null() {
            // SAFETY: installed by this function under the same contract, swapped out once.
            unsafe { (self.release)(old) };
        }
    }

    fn new<H: Handler>(flavor: Flavor) -> Result<Pooled, JitAllocError> {
        match flavor {
            Flavor::SysV64 => {
                let slot_box = Box::into_raw(Box::new(Slot {
                    handler: AtomicPtr::new(ptr::null_mut()),
                }));
                // SAFETY: freed only below, if no thunk was made (the closure is then gone).
                let slot: &'static Slot = unsafe { &*slot_box };
                let closure = move |g0: GpPair,
                                    g1: GpPair,
                                    g2: GpPair,
                                    v0: FpPair,
                                    v1: FpPair,
                                    v2: FpPair,
                                    v3: FpPair,
                                    stack: StackArea| {
                    let installed = slot.handler.load(Ordering::Acquire);
                    if installed.is_null() {
                        return RetPair::from_raw(0); // pooled: a stale call gets zero
                    }
                    // SAFETY: a non-null slot holds an Arc<H> (this closure's H: see `kind`),
                    // valid while installed (see `Slot`).
                    let handler = unsafe { &*(installed as *const H) };
                    let frame = Frame::new([g0, g1, g2], [v0, v1, v2, v3], &stack);
                    // A panic unwinding out of an extern "C" function aborts the process:
                    // catch it here, behind every thunk.
                    let raw = catch_unwind(AssertUnwindSafe(|| handler.call(&frame)))
                        .unwrap_or_else(|_| handler.on_panic());
                    RetPair::from_raw(raw)
                };
                let bare = BareFnSync::try_with_cc_in(cc::C, closure, GlobalJitAlloc).inspect_err(
                    |_| {
                        // SAFETY: no thunk exists to read the slot; made by Box::into_raw above.
                        drop(unsafe { Box::from_raw(slot_box) })
                    },
                )?;
                Ok(Pooled {
                    bare,
                    slot,
                    kind: TypeId::of::<H>(),
                    release: release::<H>,
                })
            }
        }
    }
}
