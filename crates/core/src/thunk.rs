//! Thunks: real, contextless function pointers (closure-ffi) that hand each call's register image
//! to a `Handler` chosen at run time.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

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

/// Where a thunk finds its handler. Thunks are pooled: creating one costs a closure-ffi template
/// relocation and an executable-memory allocation (about half a microsecond), so a thunk that
/// left quarantine is reused for the next BareFn, with a new handler in its slot.
///
/// The slot always holds a handler: the BareFn's, or `Dead` while the thunk waits in the pool.
/// A call reads the slot without taking a reference count (that would cost two atomic operations
/// per call); the handler it reads stays valid because a handler is only replaced when its thunk
/// leaves quarantine, long after the BareFn was disposed (the same bound that made freeing the
/// thunk safe before pooling; see README, Safety).
struct Slot {
    handler: AtomicPtr<Arc<dyn Handler>>,
}

impl Slot {
    fn new(handler: Arc<dyn Handler>) -> Slot {
        Slot {
            handler: AtomicPtr::new(Box::into_raw(Box::new(handler))),
        }
    }

    /// Installs `handler` and hands back the box of the previous one.
    fn swap(&self, handler: Box<Arc<dyn Handler>>) -> Box<Arc<dyn Handler>> {
        let old = self.handler.swap(Box::into_raw(handler), Ordering::AcqRel);
        // SAFETY: `old` came from Box::into_raw in `new` or `swap` and is swapped out once.
        unsafe { Box::from_raw(old) }
    }

    #[inline]
    fn get(&self) -> &dyn Handler {
        // SAFETY: never null (see `new`/`set`); valid while installed (see the type's note).
        unsafe { &**self.handler.load(Ordering::Acquire) }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // SAFETY: the last pointer installed, freed once.
        drop(unsafe { Box::from_raw(*self.handler.get_mut()) });
    }
}

/// The handler of a pooled thunk: answers 0 (a stale call after quarantine gets zero).
struct Dead;

/// The one `Dead` handler every pooled thunk shares (a clone costs no allocation).
fn dead() -> Arc<dyn Handler> {
    static DEAD: LazyLock<Arc<dyn Handler>> = LazyLock::new(|| Arc::new(Dead));
    DEAD.clone()
}

impl Handler for Dead {
    fn call(&self, _: &Frame<'_>) -> u64 {
        0
    }
    fn on_panic(&self) -> u64 {
        0
    }
}

struct Pooled {
    bare: BareFnSync<'static, SysV64Fn>,
    slot: Arc<Slot>,
    /// The box of the handler installed before the current one, holding `Dead`, for the next
    /// install: a thunk goes from BareFn to pool and back without allocating.
    spare: Option<Box<Arc<dyn Handler>>>,
}

/// Thunks that left quarantine, ready for reuse.
static POOL: Mutex<Vec<Pooled>> = Mutex::new(Vec::new());

/// An executable thunk calling its handler. Dropping it (once no native code can call it any
/// more, see `quarantine`) puts it back in the pool with the `Dead` handler.
pub struct Thunk {
    pooled: Option<Pooled>,
}

impl Thunk {
    pub fn new(flavor: Flavor, handler: Arc<dyn Handler>) -> Result<Thunk, JitAllocError> {
        let reused = POOL.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let pooled = match reused {
            Some(mut pooled) => {
                pooled.install(handler);
                pooled
            }
            None => Pooled::new(flavor, handler)?,
        };
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
        if let Some(mut pooled) = self.pooled.take() {
            pooled.install(dead());
            POOL.lock().unwrap_or_else(|e| e.into_inner()).push(pooled);
        }
    }
}

impl Pooled {
    /// Installs `handler`, dropping the previous one (its box becomes the spare). Overwriting
    /// the previous box relies on what freeing it did before: a handler is only replaced when no
    /// call can still be reading it (see `Slot`).
    fn install(&mut self, handler: Arc<dyn Handler>) {
        let mut boxed = self.spare.take().unwrap_or_else(|| Box::new(dead()));
        *boxed = handler;
        let mut old = self.slot.swap(boxed);
        *old = dead();
        self.spare = Some(old);
    }

    fn new(flavor: Flavor, handler: Arc<dyn Handler>) -> Result<Pooled, JitAllocError> {
        match flavor {
            Flavor::SysV64 => {
                let slot = Arc::new(Slot::new(handler));
                let target = slot.clone();
                let closure = move |g0: GpPair,
                                    g1: GpPair,
                                    g2: GpPair,
                                    v0: FpPair,
                                    v1: FpPair,
                                    v2: FpPair,
                                    v3: FpPair,
                                    stack: StackArea| {
                    let frame = Frame::new([g0, g1, g2], [v0, v1, v2, v3], &stack);
                    let handler = target.get();
                    // A panic unwinding out of an extern "C" function aborts the process:
                    // catch it here, behind every thunk.
                    let raw = catch_unwind(AssertUnwindSafe(|| handler.call(&frame)))
                        .unwrap_or_else(|_| handler.on_panic());
                    RetPair::from_raw(raw)
                };
                let bare = BareFnSync::try_with_cc_in(cc::C, closure, GlobalJitAlloc)?;
                Ok(Pooled {
                    bare,
                    slot,
                    spare: None,
                })
            }
        }
    }
}
