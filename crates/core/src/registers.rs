//! The argument registers of a call whose arguments all travel in registers, as one image that
//! the outgoing jump of `arch/` loads (`call::Registers::call` makes the call).

use std::mem::MaybeUninit;

use crate::frame::RawFrame;
use crate::layout::Loc;
use crate::layout::{FP_REGS, GP_REGS};
use crate::signature::ScalarInput;

/// The argument registers of a call whose arguments all travel in registers
/// (`Signature::registers_only`: most calls of C functions), the only memory such a call needs:
/// a caller converting arguments writes each here, then `call` jumps to the function with them
/// loaded. The same two arrays start a `RawFrame` (asserted below), so a frame's registers are
/// also a `Registers`.
///
/// Registers no argument travels in are left unset (uninitialized), not zeroed: the jump loads
/// all of them (through a pointer, in assembly, which reads the bytes whatever they are), and a C
/// function reads only the registers of its parameters, which are set. Zeroing them took 9 of an
/// `abs` call's instructions.
#[repr(C)]
pub struct Registers {
    pub gp: [MaybeUninit<u64>; GP_REGS],
    pub fp: [MaybeUninit<u64>; FP_REGS],
}

const _: () = assert!(
    std::mem::offset_of!(RawFrame, gp) == std::mem::offset_of!(Registers, gp)
        && std::mem::offset_of!(RawFrame, fp) == std::mem::offset_of!(Registers, fp)
);

// `Registers::set` indexes both arrays as one: contiguous, without padding.
const _: () = assert!(size_of::<Registers>() == 8 * (GP_REGS + FP_REGS));

impl Registers {
    /// Where an argument at `loc` goes among the registers as one index (the integer ones first,
    /// then the floating-point ones), for `set`; None for a location that is not one.
    pub fn index_of(loc: Loc) -> Option<u8> {
        match loc {
            Loc::Gp(i) if usize::from(i) < GP_REGS => Some(i),
            Loc::Fp(i) if usize::from(i) < FP_REGS => Some(GP_REGS as u8 + i),
            _ => None,
        }
    }

    /// Sets the register at `index` (`index_of`) to a value as it travels (a raw value, widened
    /// where `scalar` would widen it).
    ///
    /// # Panics
    /// When `index` is not one `index_of` gives.
    #[inline(always)]
    pub fn set(&mut self, index: u8, value: u64) {
        let index = usize::from(index);
        // SAFETY: `Registers` is two arrays of u64 in a repr(C) struct, contiguous (asserted
        // above): one array of their total length.
        let words = unsafe {
            &mut *(self as *mut Registers).cast::<[MaybeUninit<u64>; GP_REGS + FP_REGS]>()
        };
        words[index] = MaybeUninit::new(value);
    }

    /// Registers with none set yet.
    #[inline(always)]
    pub fn unset() -> Registers {
        Registers {
            gp: [MaybeUninit::uninit(); GP_REGS],
            fp: [MaybeUninit::uninit(); FP_REGS],
        }
    }

    /// A scalar argument, in the raw encoding (see `CallFrame::scalar`).
    ///
    /// # Panics
    /// When the argument does not travel in a register.
    #[inline(always)]
    pub fn scalar(&mut self, input: &ScalarInput, raw: u64) {
        match input.loc {
            Loc::Gp(i) => self.gp[usize::from(i)] = MaybeUninit::new(widened(input, raw)),
            Loc::Fp(i) => self.fp[usize::from(i)] = MaybeUninit::new(widened(input, raw)),
            other => unreachable!("{other:?} is not an argument register"),
        }
    }
}

/// A scalar argument's raw value as it travels: a variadic `f32` promoted to `double`.
#[inline(always)]
pub(crate) fn widened(input: &ScalarInput, raw: u64) -> u64 {
    if input.widen {
        f64::from(f32::from_bits(raw as u32)).to_bits()
    } else {
        raw
    }
}
