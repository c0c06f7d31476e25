//! What a thunk's machine code calls into: the slot a thunk finds its handler in (`Slot`), the
//! closure-ffi capture each per-CPU template of `arch/` is made with (`jit`), and `dispatch`,
//! which every template calls. `thunk` makes and pools thunks on top of it.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::sync::Arc;

use closure_ffi::traits::{FnMutThunk, FnOnceThunk, FnPtr, FnThunk};
use closure_ffi::BareFnSync;

use crate::abi::Flavor;
use crate::frame::{Frame, RawFrame};
use crate::layout::{Exit, Loc, Return};
use crate::signature::Signature;
use crate::thunk_memory::{thunk_memory, CodeMemoryError};

/// What a thunk calls. Implemented by the binding layer (JS callbacks) and by tests.
pub trait Handler: Send + Sync + 'static {
    /// Handles one call and returns the raw-encoded return value (see `types`); for a signature
    /// returning a struct, writes it with `Frame::return_struct` instead (the value returned is
    /// then ignored). `self` is the handler as its thunk holds it, for a handler that hands
    /// itself to another thread.
    fn call(self: &Arc<Self>, frame: &mut Frame<'_>) -> u64;
    /// The raw return value when `call` panicked (the panic never crosses the C boundary); a
    /// struct return is then zeros.
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
/// The handler is called directly, not through a `dyn` pointer: the slot holds it in one word (an
/// atomic cannot hold a fat pointer, which took a box per handler and an indirection per call).
///
/// Thunks are never freed (pooled, or abandoned while native code may hold them), so neither are
/// their slots, their executable memory or closure-ffi's box of the closure: each thunk's
/// closure-ffi handle is leaked once made, leaving its code address (`Erased::code`), and slots
/// are handed out of leaked blocks (`new_slot`): 16 bytes each instead of a heap block of 32.
pub(crate) struct Slot {
    pub(crate) handler: AtomicPtr<()>,
    /// The thunk's flavor and the installed handler's `Exit`, as `flavor index << 24 |
    /// callee_pops << 8 | x87`; set before the handler, so that how a call returns does not
    /// depend on finding a handler.
    pub(crate) shape: AtomicU32,
    /// A returned struct the handler must write (`Frame::return_struct`): 0 for none, else
    /// `RET_MEMORY | loc code << 16 | size` for one in the caller's memory (`loc_code`), or
    /// `RET_REGISTERS`. A call that did not write it (a handler that panicked, a stale call of a
    /// pooled thunk) gets zeros there instead of whatever the memory or registers held. It fills
    /// the slot's padding: slots stay 16 bytes.
    pub(crate) ret_shape: AtomicU32,
}

// 16 bytes on 64-bit targets (12 on x86): `ret_shape` took what was padding.
const _: () = assert!(size_of::<Slot>() <= 16);

const RET_MEMORY: u32 = 1 << 31;
const RET_REGISTERS: u32 = 1 << 30;

/// Where conventions pass the hidden result address; `ret_shape` holds an index into it.
const HIDDEN_RESULT: [Loc; 3] = [Loc::Gp(0), Loc::Stack(0), Loc::ResultRegister];

/// The hidden result address's location as an index of `HIDDEN_RESULT`.
fn loc_code(loc: Loc) -> u32 {
    let at = HIDDEN_RESULT.iter().position(|&l| l == loc);
    at.expect("a hidden result address is at one of HIDDEN_RESULT") as u32
}

impl Slot {
    pub(crate) fn set_ret_shape(&self, sig: &Signature) {
        let bits = match (&sig.layout().ret, sig.ret().structure()) {
            (Return::Memory(loc), Some(s)) => RET_MEMORY | loc_code(*loc) << 16 | s.size() as u32,
            (Return::Parts(_), _) => RET_REGISTERS,
            _ => 0,
        };
        self.ret_shape.store(bits, Ordering::Relaxed);
    }

    pub(crate) fn exit(&self) -> Exit {
        let bits = self.shape.load(Ordering::Relaxed);
        Exit {
            callee_pops: (bits >> 8) as u16,
            x87: bits as u8,
        }
    }

    pub(crate) fn flavor(&self) -> Flavor {
        Flavor::ALL[(self.shape.load(Ordering::Relaxed) >> 24) as usize]
    }

    pub(crate) fn set_shape(&self, flavor: Flavor, exit: Exit) {
        let index = Flavor::ALL.iter().position(|&f| f == flavor);
        let index = index.expect("Flavor::ALL lists every flavor") as u32;
        let bits = index << 24 | u32::from(exit.callee_pops) << 8 | u32::from(exit.x87);
        self.shape.store(bits, Ordering::Relaxed);
    }
}

/// What closure-ffi boxes for each thunk and hands to its template (as the closure address):
/// the thunk's slot. Read by `dispatch` through the template's register.
#[repr(C)]
pub(crate) struct Captured {
    slot: &'static Slot,
}

/// A capture template of `arch/` for handlers of type H.
pub(crate) trait Template<H: Handler>: 'static {
    /// Its code: a naked function whose head has closure-ffi's thunk layout.
    const CODE: *const u8;
}

/// The capture of one thunk as closure-ffi sees it: a "closure" whose thunk template is `T`'s.
#[repr(transparent)]
struct Capture<H, T>(Captured, PhantomData<fn() -> (H, T)>);

/// The fn-pointer type closure-ffi types a bare-fn thunk with (see the impls below).
type Entry = unsafe extern "C" fn();
type Args<'a, 'b, 'c> = <Entry as FnPtr>::Args<'a, 'b, 'c>;
type Ret<'a, 'b, 'c> = <Entry as FnPtr>::Ret<'a, 'b, 'c>;

// SAFETY (the three impls): closure-ffi's contract for a thunk template
// (`AllocatedThunk::new`): the template is a function that first runs closure-ffi's thunk head
// (`arch/`: same layout and magic as its `_thunk_asm!`), which loads the address of the boxed
// `Capture`, then uses it as that: the template reads it as `Captured` (repr(transparent)). The
// fn-pointer type `B` only names a type for closure-ffi; the template's convention is `T`'s.
// closure-ffi never calls the `call*` methods on the way to a thunk (only `BareFn*::call` would):
// a bare-fn thunk is entered through its machine code only.
unsafe impl<H: Handler, T: Template<H>> FnOnceThunk<Entry> for Capture<H, T> {
    const THUNK_TEMPLATE_ONCE: *const u8 = T::CODE;
    unsafe fn call_once<'a, 'b, 'c>(self, _: Args<'a, 'b, 'c>) -> Ret<'a, 'b, 'c> {
        unreachable!("a bare-fn thunk is entered through its machine code only")
    }
}

unsafe impl<H: Handler, T: Template<H>> FnMutThunk<Entry> for Capture<H, T> {
    const THUNK_TEMPLATE_MUT: *const u8 = T::CODE;
    unsafe fn call_mut<'a, 'b, 'c>(&mut self, _: Args<'a, 'b, 'c>) -> Ret<'a, 'b, 'c> {
        unreachable!("a bare-fn thunk is entered through its machine code only")
    }
}

unsafe impl<H: Handler, T: Template<H>> FnThunk<Entry> for Capture<H, T> {
    const THUNK_TEMPLATE: *const u8 = T::CODE;
    unsafe fn call<'a, 'b, 'c>(&self, _: Args<'a, 'b, 'c>) -> Ret<'a, 'b, 'c> {
        unreachable!("a bare-fn thunk is entered through its machine code only")
    }
}

/// Makes an executable thunk with template `T` that calls the handler in `slot`, and returns its
/// code address. Its closure-ffi handle is leaked: thunks are never freed (see `Slot`).
pub(crate) fn jit<H: Handler, T: Template<H>>(
    slot: &'static Slot,
) -> Result<usize, CodeMemoryError> {
    let capture = Capture::<H, T>(Captured { slot }, PhantomData);
    let bare: BareFnSync<'static, Entry, _> =
        BareFnSync::try_with_thunk_in(capture, thunk_memory())
            .map_err(|_| CodeMemoryError::last())?;
    Ok(bare.leak() as usize)
}

/// Defines `$name::<H>`, what a capture template of convention `$abi` calls: `dispatch` behind a
/// function of the template's own convention, so that it preserves the registers the thunk's
/// caller expects preserved.
macro_rules! dispatcher {
    ($name:ident, $abi:literal) => {
        /// # Safety
        /// Called by its capture template only: `closure` is the thunk's, `frame` its filled
        /// frame.
        unsafe extern $abi fn $name<H: Handler>(closure: &Captured, frame: &mut RawFrame) {
            // SAFETY: forwarded.
            unsafe { $crate::capture::dispatch::<H>(closure, frame) }
        }
    };
}
pub(crate) use dispatcher;

/// A call no handler answered: a stale call of a pooled thunk (zero), or one whose handler
/// panicked (its `on_panic` value). A struct return is zeros, and one in memory gets its address
/// in the first return register, as the convention wants (`Slot::ret_shape`). Out of line: the
/// calls that get here are rare, and the others do not even load the shape.
///
/// # Safety
/// `raw` was filled by the slot's thunk for a call in progress; `installed` is null or the
/// slot's handler, of type H.
#[cold]
#[inline(never)]
unsafe fn unanswered<H: Handler>(raw: &mut RawFrame, slot: &Slot, installed: *mut ()) {
    let value = if installed.is_null() {
        0
    } else {
        // SAFETY: the contract.
        unsafe { &*(installed as *const H) }.on_panic()
    };
    raw.set_return(value);
    let shape = slot.ret_shape.load(Ordering::Relaxed);
    if shape == 0 {
        return;
    }
    raw.ret = [0; 2];
    raw.ret_fp = [0; 4];
    if shape & RET_MEMORY != 0 {
        let loc = HIDDEN_RESULT[(shape >> 16 & 3) as usize];
        let size = (shape & 0xFFFF) as usize;
        // SAFETY: a call in progress whose caller passed the address of `size` bytes for the
        // result at `loc` (the thunk's signature says so).
        unsafe {
            let frame = Frame::new(raw);
            let to = frame.read(loc) as usize as *mut u8;
            std::ptr::write_bytes(to, 0, size);
            raw.ret[0] = to as usize as u64;
        }
    }
}

/// What every template calls: finds the handler of the thunk, lets it decode the frame, writes
/// the return value and how to return into the frame.
///
/// # Safety
/// `closure` is a thunk's `Captured`, whose code was compiled for handlers of type H (see
/// `Erased::kind`); `raw` was filled by that thunk's template for a call in progress.
#[inline(always)]
pub(crate) unsafe fn dispatch<H: Handler>(closure: &Captured, raw: &mut RawFrame) {
    let slot = closure.slot;
    let installed = slot.handler.load(Ordering::Acquire);
    // SAFETY: the template stored the argument registers and the address of the caller's stack
    // arguments of a call in progress.
    let mut frame = unsafe { Frame::new(raw) };
    let answered = if installed.is_null() {
        None // pooled: a stale call
    } else {
        // A panic unwinding out of an extern "C" function aborts the process: catch it here,
        // behind every thunk. Everything else happens around the call, so that little stays live
        // across it (this runs on every call: saved registers cost).
        catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: a non-null slot holds an Arc<H> (see `Erased::kind`), valid while installed
            // (see `Slot`). ManuallyDrop: the count stays the slot's.
            let handler = ManuallyDrop::new(unsafe { Arc::from_raw(installed as *const H) });
            Handler::call(&*handler, &mut frame)
        }))
        .ok()
    };
    let returned_struct = frame.struct_returned();
    let raw = frame.raw();
    match answered {
        Some(value) if !returned_struct => raw.set_return(value),
        Some(_) => {}
        // SAFETY: `installed` is null or as above.
        None => unsafe { unanswered::<H>(raw, slot, installed) },
    }
    if cfg!(target_arch = "x86") {
        // Only x86's template reads it: elsewhere the slot's exit is not even loaded, as this
        // runs on every call.
        raw.set_exit(slot.exit());
    }
}
