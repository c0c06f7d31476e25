//! Thunks: real, contextless function pointers (closure-ffi) that hand each call's register image
//! to a `Handler` chosen at run time.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

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

/// An executable thunk. Dropping it frees its executable memory: only drop it once no native
/// code can call it any more (see `quarantine`).
pub struct Thunk {
    bare: BareFnSync<'static, SysV64Fn>,
}

impl Thunk {
    pub fn new(flavor: Flavor, handler: Arc<dyn Handler>) -> Result<Thunk, JitAllocError> {
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
                    let frame = Frame::new([g0, g1, g2], [v0, v1, v2, v3], &stack);
                    // A panic unwinding out of an extern "C" function aborts the process:
                    // catch it here, behind every thunk.
                    let raw = catch_unwind(AssertUnwindSafe(|| handler.call(&frame)))
                        .unwrap_or_else(|_| handler.on_panic());
                    RetPair::from_raw(raw)
                };
                let bare = BareFnSync::try_with_cc_in(cc::C, closure, GlobalJitAlloc)?;
                Ok(Thunk { bare })
            }
        }
    }

    /// The C function pointer.
    pub fn address(&self) -> usize {
        self.bare.bare() as usize
    }
}
