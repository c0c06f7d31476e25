//! Argument locations: which register or stack byte carries each argument, per ABI flavor. Pure
//! decisions, compiled for every host so that each ABI's table is tested everywhere
//! (`tests/layout.rs`, `tests/by_value.rs`); the code that moves the bits is in `arch/`.

mod aapcs64;
mod sysv64;
mod win64;
mod x86;

use crate::abi::{Flavor, Os, Target};
use crate::param::Param;
use crate::types::{Class, Type};

/// Where one scalar (or one piece of a struct) travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loc {
    /// The n-th general-purpose argument register of the convention (`RawFrame::gp[n]`).
    Gp(u8),
    /// The n-th floating-point argument register of the convention (`RawFrame::fp[n]`).
    Fp(u8),
    /// A byte offset into the caller's stack argument area: the memory at the stack pointer when
    /// the call instruction runs (on Win64 it starts with the 32-byte shadow space).
    Stack(u16),
    /// AArch64's indirect result register, x8 (`RawFrame::result`): where the caller says a
    /// returned struct too large for registers goes.
    ResultRegister,
}

/// A piece of a struct passed by value: `size` bytes of it from byte `offset`, carried in the low
/// bytes of a register, or at a stack offset (a struct copied onto the stack is one piece).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Part {
    pub loc: Loc,
    pub offset: u16,
    pub size: u16,
}

/// Where one argument travels.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    /// A scalar.
    Scalar(Loc),
    /// A struct, in pieces (registers, or its bytes on the stack), in order of `offset`.
    Parts(Vec<Part>),
    /// A struct passed by reference: the caller makes a copy the callee may change, and passes
    /// its address at this location (Win64 and AArch64 for the structs they do not copy).
    Reference(Loc),
}

/// Where a call's return value travels.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Return {
    /// A scalar, or void: the first return register of its class (`RawFrame::set_return`).
    Scalar,
    /// A struct in return registers: `Loc::Gp(n)` is `RawFrame::ret[n]`, `Loc::Fp(n)` is
    /// `RawFrame::ret_fp[n]`.
    Parts(Vec<Part>),
    /// A struct written to memory the caller provides, whose address the caller passes at this
    /// location (a hidden first argument, or AArch64's x8); the callee returns that address in
    /// the first integer return register (`ret[0]`).
    Memory(Loc),
}

/// How a signature travels, decided once when it is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// One place per argument, in argument order.
    pub places: Vec<Place>,
    /// Where the return value goes.
    pub ret: Return,
    /// Bytes of stack argument area an outgoing call must provide, before the 16-byte alignment
    /// of the stack pointer (Win64: shadow space included).
    pub stack_bytes: u16,
    /// How a call of this signature returns (see `Exit`).
    pub exit: Exit,
}

impl Layout {
    /// The location of every argument, for a signature of scalars only (tests' tables).
    ///
    /// # Panics
    /// When an argument is a struct.
    pub fn locs(&self) -> Vec<Loc> {
        self.places
            .iter()
            .map(|place| match place {
                Place::Scalar(loc) => *loc,
                other => panic!("not a scalar argument: {other:?}"),
            })
            .collect()
    }
}

/// What returning needs beyond the return registers: the bytes the callee pops (x86 stdcall,
/// fastcall, thiscall, and the hidden result pointer on x86 Linux) and whether the value goes to
/// the x87 stack (x86 float returns: 4 for `float`, 8 for `double`, 0 for none). Shared with the
/// capture and call code in `arch/` through `RawFrame`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Exit {
    pub callee_pops: u16,
    pub x87: u8,
}

/// The most general-purpose and floating-point argument registers any supported convention
/// has (AArch64: x0-x7 and v0-v7); `RawFrame` holds this many of each.
pub const GP_REGS: usize = 8;
pub const FP_REGS: usize = 8;

/// Lays out `args` (already validated: no void, at most `MAX_ARGS`, structs within
/// `MAX_BY_VALUE`) returning `ret`, on the host.
pub fn layout(flavor: Flavor, ret: &Param, args: &[Param]) -> Layout {
    layout_on(Target::HOST.os, flavor, ret, args, None)
}

/// `layout` for a flavor on `os`; `fixed`: a call of a variadic function, whose arguments from
/// `fixed` on are its variadic ones (already promoted: no f32 or int narrower than 32 bits). Only x86 depends on the OS (how structs return), so every OS's table is tested
/// on any host. Variadic arguments travel as the others do, except on Win64 and Windows on Arm
/// (floats in integer registers) and Apple arm64 (all on the stack, 8-byte slots).
pub fn layout_on(
    os: Os,
    flavor: Flavor,
    ret: &Param,
    args: &[Param],
    fixed: Option<usize>,
) -> Layout {
    match flavor {
        Flavor::SysV64 => sysv64::layout(ret, args),
        Flavor::Win64 => win64::layout(ret, args, fixed),
        Flavor::Aapcs64(variant) => aapcs64::layout(variant, ret, args, fixed),
        Flavor::X86(conv) => x86::layout(os, conv, ret, args),
    }
}

/// The argument registers of one convention still free, counted per class (System V and
/// AAPCS64 count integer and float registers independently).
struct Registers {
    gp: u8,
    fp: u8,
    gp_max: u8,
    fp_max: u8,
}

impl Registers {
    fn new(gp_max: u8, fp_max: u8) -> Registers {
        Registers {
            gp: 0,
            fp: 0,
            gp_max,
            fp_max,
        }
    }

    /// The next register of `class`, if one is left.
    fn take(&mut self, class: Class) -> Option<Loc> {
        let (next, limit, reg): (&mut u8, u8, fn(u8) -> Loc) = match class {
            Class::Integer => (&mut self.gp, self.gp_max, Loc::Gp),
            Class::Float => (&mut self.fp, self.fp_max, Loc::Fp),
        };
        (*next < limit).then(|| {
            *next += 1;
            reg(*next - 1)
        })
    }

    /// Marks every register of `class` used (AAPCS64, after a struct that did not fit).
    fn exhaust(&mut self, class: Class) {
        match class {
            Class::Integer => self.gp = self.gp_max,
            Class::Float => self.fp = self.fp_max,
        }
    }

    /// Registers for every class in `classes`, in order, or none at all when they do not all
    /// fit (a struct is never split between registers and the stack).
    fn take_all(&mut self, classes: &[Class]) -> Option<Vec<Loc>> {
        let count = |c| classes.iter().filter(|&&k| k == c).count() as u8;
        let fits = self.gp + count(Class::Integer) <= self.gp_max
            && self.fp + count(Class::Float) <= self.fp_max;
        fits.then(|| {
            classes
                .iter()
                .map(|&c| self.take(c).expect("counted"))
                .collect()
        })
    }
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

/// `size` bytes from `offset` split into `chunk`-byte pieces, one per location of `locs`: a
/// struct in consecutive registers (the last piece may be shorter).
fn chunks(locs: &[Loc], size: usize, chunk: usize) -> Vec<Part> {
    locs.iter()
        .enumerate()
        .map(|(i, &loc)| Part {
            loc,
            offset: (i * chunk) as u16,
            size: chunk.min(size - i * chunk) as u16,
        })
        .collect()
}

/// Whether a struct of `size` bytes travels as an integer of its size (Win64, and x86 results
/// on Windows).
fn integer_sized(size: usize) -> bool {
    matches!(size, 1 | 2 | 4 | 8)
}

/// A whole struct of `size` bytes as one piece at `loc`.
fn whole(loc: Loc, size: usize) -> Part {
    Part {
        loc,
        offset: 0,
        size: size as u16,
    }
}

/// A struct's bytes as one piece at a stack offset.
fn on_stack(at: u16, size: usize) -> Place {
    Place::Parts(vec![whole(Loc::Stack(at), size)])
}

/// A scalar of `ty` where a register of its class is left, else in the stack slot `stack` gives.
fn scalar(regs: &mut Registers, ty: Type, stack: impl FnOnce() -> u16) -> Place {
    Place::Scalar(regs.take(ty.class()).unwrap_or_else(|| Loc::Stack(stack())))
}
