//! Thunks: real, contextless function pointers (closure-ffi) that hand each call's register image
//! to a `Handler` chosen at run time.

use std::any::TypeId;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex};

use closure_ffi::{cc, jit_alloc::GlobalJitAlloc, BareFnSync, JitAllocError};

use crate::abi::Flavor;
use crate::regs::{FpPair, Frame, GpPair, RetPair, StackArea, SysV64Fn};

/// What a thunk calls. Implemented by the binding layer (JS callbacks) and by tests.
pub trait Handler: Send + Sync + 'static {
    /// Handles one call and returns the raw-encoded return value (see `types`). `self` is the
    /// handler as its thunk holds it, for a handler that hands itself to another thread.
    fn call(self: &Arc<Self>, frame: &Frame<'_>) -> u64;
    /// The raw return value when `call` panicked (the panic never crosses the C boundary).
    fn on_panic(&self) -> u64;
}

/// Where a thunk finds its handler: a thin pointer made by `Arc::into_raw` from an `Arc` of the
/// handler type the thunk's code was compiled for (`Erased::kind`), or null while the thunk waits
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
///
/// Thunks are never freed (pooled, or abandoned while native code may hold them), so neither are
/// their slots, their executable memory or closure-ffi's box of the closure: each thunk's
/// closure-ffi handle is leaked once made, leaving its code address (`Erased::code`), and slots
/// are handed out of leaked blocks (`new_slot`): 8 bytes each instead of a heap block of 32.
struct Slot {
    handler: AtomicPtr<()>,
}

/// Slots per block allocated by `new_slot`.
const SLOTS_PER_BLOCK: usize = 512;

/// Slots not handed out yet: the rest of the last block, and slots of thunks that could not be
/// made (their executable memory could not be allocated).
struct SpareSlots {
    block: &'static [Slot],
    returned: Vec<&'static Slot>,
}

static SPARE_SLOTS: Mutex<SpareSlots> = Mutex::new(SpareSlots {
    block: &[],
    returned: Vec::new(),
});

fn spare_slots() -> std::sync::MutexGuard<'static, SpareSlots> {
    // Plain data: a panic elsewhere cannot leave it inconsistent.
    SPARE_SLOTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// A slot without a handler, for a new thunk.
fn new_slot() -> &'static Slot {
    let mut spare = spare_slots();
    if let Some(slot) = spare.returned.pop() {
        return slot;
    }
    if spare.block.is_empty() {
        let block: Box<[Slot]> = (0..SLOTS_PER_BLOCK)
            .map(|_| Slot {
                handler: AtomicPtr::new(ptr::null_mut()),
            })
            .collect();
        spare.block = Box::leak(block);
    }
    let (slot, rest) = spare.block.split_first().expect("a block is never empty");
    spare.block = rest;
    slot
}

/// A thunk, whatever its handler type: in the pool (no handler) or in quarantine.
#[derive(Clone, Copy)]
struct Erased {
    code: usize,
    slot: &'static Slot,
    /// The handler type the thunk's code was compiled for: only an `Arc` of it is ever installed.
    kind: TypeId,
    /// Releases an installed handler: `Arc::from_raw` of that type, dropped.
    release: unsafe fn(*mut ()),
}

/// Thunks that left quarantine, ready for reuse by a handler of their kind.
static POOL: Mutex<Vec<Erased>> = Mutex::new(Vec::new());

/// An executable thunk calling its handler, an `Arc<H>`. Two words: a code address and a slot.
/// `retire` keeps it answering with its handler until it leaves quarantine; dropping it (once no
/// native code can call it any more) puts it back in the pool without a handler.
pub struct Thunk<H: Handler> {
    code: usize,
    slot: &'static Slot,
    /// Owns the installed handler.
    handler: PhantomData<Arc<H>>,
}

impl<H: Handler> Thunk<H> {
    pub fn new(flavor: Flavor, handler: Arc<H>) -> Result<Thunk<H>, JitAllocError> {
        let kind = TypeId::of::<H>();
        let reused = {
            let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
            // One handler type in practice (the binding's), so the last one matches.
            let position = pool.iter().rposition(|p| p.kind == kind);
            position.map(|i| pool.swap_remove(i))
        };
        let (code, slot) = match reused {
            Some(pooled) => (pooled.code, pooled.slot),
            None => {
                let slot = new_slot();
                let code = new_code::<H>(flavor, slot).inspect_err(|_| {
                    // No thunk reads the slot: another may use it.
                    spare_slots().returned.push(slot);
                })?;
                (code, slot)
            }
        };
        // SAFETY: the thunk's code was compiled for H (same kind); its slot holds no handler (a
        // pooled or new one); the pointer comes from an Arc<H>, whose count passes to the slot.
        let previous = slot
            .handler
            .swap(Arc::into_raw(handler) as *mut (), Ordering::AcqRel);
        debug_assert!(previous.is_null());
        Ok(Thunk {
            code,
            slot,
            handler: PhantomData,
        })
    }

    /// The C function pointer.
    pub fn address(&self) -> usize {
        self.code
    }

    /// The handler it calls.
    pub fn handler(&self) -> &H {
        // SAFETY: `new` installed an Arc<H>; it is released only when the thunk, consumed by
        // `retire` or drop, leaves quarantine, so it lives at least as long as `self`.
        unsafe { &*(self.slot.handler.load(Ordering::Acquire) as *const H) }
    }

    /// This thunk with its handler type known at run time only (for the quarantine), still
    /// answering with its handler. Dropping the result puts it back in the pool.
    pub(crate) fn erase(self) -> Retired {
        let retired = self.retired();
        std::mem::forget(self); // its handler is the retired thunk's now
        retired
    }

    /// The same thunk as a `Retired`, which owns the handler too: only one of them may be dropped.
    fn retired(&self) -> Retired {
        Retired(Erased {
            code: self.code,
            slot: self.slot,
            kind: TypeId::of::<H>(),
            release: release::<H>,
        })
    }
}

impl<H: Handler> Drop for Thunk<H> {
    fn drop(&mut self) {
        drop(self.retired());
    }
}

/// A thunk in quarantine: it still answers with its handler. Dropped, it goes back to the pool.
pub(crate) struct Retired(Erased);

impl Drop for Retired {
    fn drop(&mut self) {
        let installed = self.0.slot.handler.swap(ptr::null_mut(), Ordering::AcqRel);
        if !installed.is_null() {
            // SAFETY: installed by `Thunk::new` from an Arc of this thunk's kind, swapped out
            // once; no call can still be reading it (a thunk leaves quarantine only when none
            // can, see `Slot`).
            unsafe { (self.0.release)(installed) };
        }
        POOL.lock().unwrap_or_else(|e| e.into_inner()).push(self.0);
    }
}

/// `Erased::release` for handlers of type H.
///
/// # Safety
/// `handler` came from `Arc::<H>::into_raw` and is released once.
unsafe fn release<H: Handler>(handler: *mut ()) {
    // SAFETY: see above.
    drop(unsafe { Arc::from_raw(handler as *const H) });
}

/// Makes a thunk of `flavor` calling the handler in `slot` (of type H), and returns its code
/// address. Its closure-ffi handle is leaked: thunks are never freed (see `Slot`).
fn new_code<H: Handler>(flavor: Flavor, slot: &'static Slot) -> Result<usize, JitAllocError> {
    match flavor {
        Flavor::SysV64 => {
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
                // SAFETY: a non-null slot holds an Arc<H> (this closure's H: see `Erased::kind`),
                // valid while installed (see `Slot`). ManuallyDrop: the count stays the slot's.
                let handler = ManuallyDrop::new(unsafe { Arc::from_raw(installed as *const H) });
                let frame = Frame::new([g0, g1, g2], [v0, v1, v2, v3], &stack);
                // A panic unwinding out of an extern "C" function aborts the process:
                // catch it here, behind every thunk.
                let raw = catch_unwind(AssertUnwindSafe(|| Handler::call(&*handler, &frame)))
                    .unwrap_or_else(|_| handler.on_panic());
                RetPair::from_raw(raw)
            };
            let bare: BareFnSync<'static, SysV64Fn> =
                BareFnSync::try_with_cc_in(cc::C, closure, GlobalJitAlloc)?;
            Ok(bare.leak() as usize)
        }
    }
}
