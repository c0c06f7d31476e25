//! The register image of one call: the argument registers and stack slots a thunk template
//! receives, and the return registers it fills.
//!
//! closure-ffi thunks are compiled per Rust fn-pointer type, with at most 12 parameters, so the
//! template cannot name all 14 argument registers one by one. It names them in pairs through
//! `#[repr(C)]` aggregates instead. ABI facts relied on (System V AMD64 psABI §3.2.3), each
//! tested by rustc-compiled callers in `tests/thunk.rs` and, from the JS suite, by typed callers
//! and an assembly caller in crates/testlib (`__test__/shapes.test.ts`):
//! - a 16-byte aggregate of two `u64` is classified INTEGER/INTEGER and takes the next two
//!   general-purpose registers, as long as two are left: three `GpPair`s are exactly rdi, rsi,
//!   rdx, rcx, r8, r9;
//! - a 16-byte aggregate of two `f64` is classified SSE/SSE and takes the next two vector
//!   registers (one eightbyte each, the low lane): four `FpPair`s are exactly xmm0..xmm7;
//! - an aggregate larger than 16 bytes is class MEMORY and is passed in the caller's stack argument
//!   area, so `StackArea`, the only MEMORY argument, covers the first `STACK_SLOTS` 8-byte slots
//!   of that area, in order. When the real caller passed fewer stack arguments, the extra slots
//!   are the caller's own frame above its arguments: readable stack memory, never written (the
//!   closure only reads the area), and their values are never used (tested from the first frame
//!   of a thread with a 16 KiB stack in `tests/thunk.rs`);
//! - an aggregate `{u64, f64}` is returned INTEGER/SSE: in rax and xmm0. Filling both lets one
//!   template serve integer, float and void returns; the C caller reads the register its
//!   declared return type names.

use crate::layout::{Loc, FP_REGS, GP_REGS, STACK_SLOTS};

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct GpPair(pub u64, pub u64);

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct FpPair(pub f64, pub f64);

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct StackArea(pub [u64; STACK_SLOTS]);

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct RetPair {
    pub int: u64,
    pub float: f64,
}

/// The one fn-pointer type every System V thunk and every System V call goes through.
pub type SysV64Fn = unsafe extern "C" fn(
    GpPair,
    GpPair,
    GpPair,
    FpPair,
    FpPair,
    FpPair,
    FpPair,
    StackArea,
) -> RetPair;

const _: () = assert!(GP_REGS == 6 && FP_REGS == 8);
const _: () = assert!(
    size_of::<StackArea>() > 16,
    "StackArea must be class MEMORY"
);

impl RetPair {
    /// Puts a raw value in both return registers: integer callers read rax, float callers read
    /// the low lane of xmm0 (an `f32` is the low 32 bits of the raw encoding).
    #[inline]
    pub fn from_raw(raw: u64) -> RetPair {
        RetPair {
            int: raw,
            float: f64::from_bits(raw),
        }
    }
}

/// The arguments of one incoming call, addressable by `Loc`.
pub struct Frame<'a> {
    gp: [u64; GP_REGS],
    fp: [u64; FP_REGS],
    stack: &'a StackArea,
}

impl<'a> Frame<'a> {
    #[inline]
    pub fn new(gp: [GpPair; 3], fp: [FpPair; 4], stack: &'a StackArea) -> Frame<'a> {
        let [a, b, c] = gp;
        let [w, x, y, z] = fp;
        Frame {
            gp: [a.0, a.1, b.0, b.1, c.0, c.1],
            fp: [w.0, w.1, x.0, x.1, y.0, y.1, z.0, z.1].map(f64::to_bits),
            stack,
        }
    }

    /// The bits of the register or slot at `loc`, before narrowing to the argument's type.
    #[inline]
    pub fn read(&self, loc: Loc) -> u64 {
        match loc {
            Loc::Gp(i) => self.gp[usize::from(i)],
            Loc::Fp(i) => self.fp[usize::from(i)],
            Loc::Stack(i) => self.stack.0[usize::from(i)],
        }
    }
}

/// The register image of an outgoing call, filled slot by slot.
pub struct Outgoing {
    gp: [u64; GP_REGS],
    fp: [u64; FP_REGS],
    stack: StackArea,
}

impl Outgoing {
    pub fn new() -> Outgoing {
        Outgoing {
            gp: [0; GP_REGS],
            fp: [0; FP_REGS],
            stack: StackArea([0; STACK_SLOTS]),
        }
    }

    #[inline]
    pub fn write(&mut self, loc: Loc, bits: u64) {
        match loc {
            Loc::Gp(i) => self.gp[usize::from(i)] = bits,
            Loc::Fp(i) => self.fp[usize::from(i)] = bits,
            Loc::Stack(i) => self.stack.0[usize::from(i)] = bits,
        }
    }

    /// Calls `f` with this register image.
    ///
    /// # Safety
    /// `f` must be a function of the System V C convention whose scalar parameters are laid out
    /// at the locations written, and it must be safe to call with those values.
    pub unsafe fn call(&self, f: SysV64Fn) -> RetPair {
        let g = |i: usize| GpPair(self.gp[i], self.gp[i + 1]);
        let v = |i: usize| FpPair(f64::from_bits(self.fp[i]), f64::from_bits(self.fp[i + 1]));
        // SAFETY: forwarded to the caller; the callee ignores registers and slots it has no
        // parameter for (extra argument registers and stack slots are caller-owned scratch).
        unsafe { f(g(0), g(2), g(4), v(0), v(2), v(4), v(6), self.stack) }
    }
}

impl Default for Outgoing {
    fn default() -> Self {
        Outgoing::new()
    }
}
