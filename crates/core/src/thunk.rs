//! Thunks: real, contextless function pointers (closure-ffi) that hand each call's register image
//! to a `Handler` chosen at run time.

use std::any::TypeId;
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use crate::arch::new_code;
use crate::capture::{Handler, Slot};
use crate::signature::Signature;
use crate::thunk_memory::CodeMemoryError;

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
                shape: AtomicU32::new(0),
                ret_shape: AtomicU32::new(0),
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
    /// (The convention its template captures is its slot's: `Slot::flavor`.)
    kind: TypeId,
    /// Releases an installed handler: `Arc::from_raw` of that type, dropped.
    release: unsafe fn(*mut ()),
}

/// Thunks that left quarantine, ready for reuse by a handler of their kind and flavor.
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
    /// A thunk for a function of signature `sig` whose calls `handler` answers.
    pub fn new(sig: &Signature, handler: Arc<H>) -> Result<Thunk<H>, CodeMemoryError> {
        let kind = TypeId::of::<H>();
        let flavor = sig.flavor();
        let reused = {
            let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
            // One handler type and flavor in practice, so the last one matches.
            let position = pool
                .iter()
                .rposition(|p| p.kind == kind && p.slot.flavor() == flavor);
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
        slot.set_shape(flavor, sig.layout().exit);
        slot.set_ret_shape(sig);
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

/// A thunk in quarantine: it still answers with its handler. Dropped, it goes back to the pool and
/// its handler is released: drop it only when no call of it can be running (see `Quarantine`).
#[must_use = "dropping a thunk that left quarantine releases its handler"]
pub struct Retired(Erased);

impl Retired {
    /// Its handler, when it is of type `H` (None for another type). It lives as long as this
    /// `Retired`, which owns it: where to release it may depend on the handler (napi sends a
    /// thunk to the thread that owns its callback).
    pub fn handler<H: Handler>(&self) -> Option<&H> {
        if self.0.kind != TypeId::of::<H>() {
            return None;
        }
        let installed = self.0.slot.handler.load(Ordering::Acquire);
        // SAFETY: a slot of kind H holds an Arc<H> (see `Erased::kind`), released only when this
        // Retired is dropped; null only for a thunk without a handler.
        (!installed.is_null()).then(|| unsafe { &*(installed as *const H) })
    }
}

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
