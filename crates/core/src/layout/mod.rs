//! Argument locations: which register or stack byte carries each argument, per ABI flavor. Pure
//! decisions, compiled for every host so that each ABI's table is tested everywhere
//! (`tests/layout.rs`); the code that moves the bits is in `arch/`.

mod aapcs64;
mod sysv64;
mod win64;
mod x86;

use crate::abi::Flavor;
use crate::types::{Class, Type};

/// Where one argument travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loc {
    /// The n-th general-purpose argument register of the convention (`RawFrame::gp[n]`).
    Gp(u8),
    /// The n-th floating-point argument register of the convention (`RawFrame::fp[n]`).
    Fp(u8),
    /// A byte offset into the caller's stack argument area: the memory at the stack pointer when
    /// the call instruction runs (on Win64 it starts with the 32-byte shadow space).
    Stack(u16),
}

/// How a signature travels, decided once when it is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// One location per argument, in argument order.
    pub locs: Vec<Loc>,
    /// Bytes of stack argument area an outgoing call must provide, before the 16-byte alignment
    /// of the stack pointer (Win64: shadow space included).
    pub stack_bytes: u16,
    /// How a call of this signature returns (see `Exit`).
    pub exit: Exit,
}

/// What returning needs beyond the return registers, which are always both filled: the bytes
/// the callee pops (x86 stdcall, fastcall, thiscall) and whether the value goes to the x87
/// stack (x86 float returns: 4 for `float`, 8 for `double`, 0 for none). Shared with the capture
/// and call code in `arch/` through `RawFrame`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Exit {
    pub callee_pops: u16,
    pub x87: u8,
}

/// The most general-purpose and floating-point argument registers any supported convention
/// has (AArch64: x0-x7 and v0-v7); `RawFrame` holds this many of each.
pub const GP_REGS: usize = 8;
pub const FP_REGS: usize = 8;

/// Lays out `args` (already validated: no void, at most `MAX_ARGS`) returning `ret`.
pub fn layout(flavor: Flavor, ret: Type, args: &[Type]) -> Layout {
    match flavor {
        Flavor::SysV64 => sysv64::layout(args),
        Flavor::Win64 => win64::layout(args),
        Flavor::Aapcs64(variant) => aapcs64::layout(variant, args),
        Flavor::X86(conv) => x86::layout(conv, ret, args),
    }
}

/// Register assignment shared by System V and AAPCS64: integers and floats take their own
/// register files in order, counted independently; an argument whose file is used up goes to
/// the stack at the offset `stack` gives it, and so do all later arguments of that file.
fn by_class(
    args: &[Type],
    gp_regs: u8,
    fp_regs: u8,
    mut stack: impl FnMut(Type) -> u16,
) -> Vec<Loc> {
    let (mut gp, mut fp) = (0u8, 0u8);
    args.iter()
        .map(|&t| {
            let (next, limit, reg): (&mut u8, u8, fn(u8) -> Loc) = match t.class() {
                Class::Integer => (&mut gp, gp_regs, Loc::Gp),
                Class::Float => (&mut fp, fp_regs, Loc::Fp),
            };
            if *next < limit {
                *next += 1;
                reg(*next - 1)
            } else {
                Loc::Stack(stack(t))
            }
        })
        .collect()
}

/// Hands out stack offsets: each argument at the next multiple of its alignment, taking `size`
/// bytes; `end` is the area's size so far.
#[derive(Default)]
struct StackCursor {
    end: u16,
}

impl StackCursor {
    fn place(&mut self, size: u16, align: u16) -> u16 {
        let at = self.end.next_multiple_of(align);
        self.end = at + size;
        at
    }
}
