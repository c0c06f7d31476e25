//! AArch64 argument assignment (AAPCS64 §6.8.2), with Apple's and Windows' variants.
//!
//! ABI facts relied on (tested as tables in `tests/layout.rs` and `tests/by_value.rs`, against
//! placements that clang generates for each target in `tests/placements.rs`, and end to end under
//! qemu-aarch64 on Linux with a C partner compiled by gcc):
//! - integers, bool and pointers take x0..x7 in order; f32 and f64 take v0..v7 (s/d registers)
//!   in order, counted independently;
//! - further arguments go to the stack at [sp] on entry, in argument order:
//!   - standard AAPCS64 (Linux) and Windows: each in an 8-byte slot, value in its low bytes;
//!   - Apple (DarwinPCS): each at the next multiple of its own size (natural alignment), taking
//!     only its size: two u8 arguments at [sp] and [sp+1];
//! - a narrow integer in a register or slot has unspecified upper bits, except that Apple's
//!   caller extends it to 32 bits (we mask all the same: `Type::normalize`);
//! - structs: a homogeneous floating-point aggregate (HFA: 1 to 4 scalars, all f32 or all f64,
//!   however nested) takes one v register per member when that many are left; otherwise every
//!   v register counts as used and it goes on the stack, 8-byte aligned (Apple: aligned to its
//!   member, packed). Any other struct of at most 16 bytes takes 1 or 2 x registers when that
//!   many are left; otherwise every x register counts as used and it goes on the stack, 8-byte
//!   aligned, its size rounded up to 8. A larger struct is passed by reference (the address of a
//!   copy, as an integer argument);
//! - returned structs: an HFA in v0-v3, another struct of at most 16 bytes in x0/x1, a larger one
//!   written where x8 points (the caller's indirect result register);
//! - the variadic arguments of a variadic call: as any other on Linux; on Apple all on the stack,
//!   each in an 8-byte slot; on Windows every float of a variadic function, fixed ones too, in x
//!   registers (Microsoft's arm64 ABI), as clang compiles such calls for each target. (Structs
//!   never occur in a variadic signature: `Signature` refuses them.)

use super::{chunks, on_stack, scalar, Exit, Layout, Loc, Place, Registers, Return, StackCursor};
use crate::abi::Aapcs64;
use crate::param::Param;
use crate::structs::Struct;
use crate::types::{Class, Type};

pub fn layout(variant: Aapcs64, ret: &Param, args: &[Param], fixed: Option<usize>) -> Layout {
    let variadic_fn = fixed.is_some();
    let fixed = fixed.unwrap_or(args.len());
    let ret = match ret {
        Param::Scalar(_) => Return::Scalar,
        Param::Struct(s) => match hfa(s) {
            Some((member, count)) => {
                let locs: Vec<Loc> = (0..count).map(Loc::Fp).collect();
                Return::Parts(chunks(&locs, s.size(), member.size()))
            }
            None if s.size() <= 16 => Return::Parts(chunks(
                &[Loc::Gp(0), Loc::Gp(1)][..s.size().div_ceil(8)],
                s.size(),
                8,
            )),
            None => Return::Memory(Loc::ResultRegister),
        },
    };
    let mut regs = Registers::new(8, 8);
    let mut stack = StackCursor::default();
    let slot = |stack: &mut StackCursor, size: usize, align: usize| match variant {
        Aapcs64::Darwin => stack.place(size as u16, align as u16),
        Aapcs64::Standard | Aapcs64::Windows => stack.place(size.next_multiple_of(8) as u16, 8),
    };
    let places = args
        .iter()
        .enumerate()
        .map(|(i, arg)| match arg {
            Param::Scalar(_) if i >= fixed && variant == Aapcs64::Darwin => {
                Place::Scalar(Loc::Stack(stack.place(8, 8)))
            }
            // Windows: a variadic function takes no argument in a float register, fixed ones
            // included (clang for aarch64-windows-msvc: `vf(1.5, 2.5)` in x0 and x1).
            Param::Scalar(t) if variadic_fn && variant == Aapcs64::Windows => {
                let size = t.size_for(8);
                scalar(&mut regs, Type::U64, || slot(&mut stack, size, size))
            }
            Param::Scalar(t) => {
                let size = t.size_for(8);
                scalar(&mut regs, *t, || slot(&mut stack, size, size))
            }
            Param::Struct(s) => {
                let (class, classes, chunk) = match hfa(s) {
                    Some((member, count)) => (
                        Class::Float,
                        vec![Class::Float; count as usize],
                        member.size(),
                    ),
                    None if s.size() <= 16 => (
                        Class::Integer,
                        vec![Class::Integer; s.size().div_ceil(8)],
                        8,
                    ),
                    None => {
                        let loc = regs.take(Class::Integer);
                        return Place::Reference(
                            loc.unwrap_or_else(|| Loc::Stack(slot(&mut stack, 8, 8))),
                        );
                    }
                };
                if let Some(locs) = regs.take_all(&classes) {
                    return Place::Parts(chunks(&locs, s.size(), chunk));
                }
                regs.exhaust(class);
                // Apple packs an HFA at its members' alignment; other structs go in 8-byte units.
                let align = if class == Class::Float { chunk } else { 8 };
                let size = if class == Class::Float {
                    s.size()
                } else {
                    s.size().next_multiple_of(8)
                };
                on_stack(slot(&mut stack, size, align), s.size())
            }
        })
        .collect();
    Layout {
        places,
        ret,
        stack_bytes: stack.end.next_multiple_of(8),
        exit: Exit::default(),
    }
}

/// The member type and count of a homogeneous floating-point aggregate, or None.
///
/// AAPCS64 §5.9.5: every leaf is the same float type, and the aggregate is 1 to 4 of them with
/// no gap. A union's members overlap (all at offset 0, a member's own leaves after it): it is an
/// HFA when each member is one of that type, its count the union's size in elements. So: the
/// leaves, one type, sit at the element offsets 0, e, 2e, … and every one of those is taken.
fn hfa(s: &Struct) -> Option<(Type, u8)> {
    let leaves = s.leaves();
    let (_, first) = *leaves.first()?;
    let element = first.size();
    let count = s.size() / element;
    let mut taken = [false; 4];
    let homogeneous = matches!(first, Type::F32 | Type::F64)
        && (1..=4).contains(&count)
        && s.size() == count * element
        && leaves.iter().all(|&(offset, t)| {
            let slot = offset / element;
            let fits = t == first && offset % element == 0 && slot < count;
            if fits {
                taken[slot] = true;
            }
            fits
        })
        && taken[..count].iter().all(|&t| t);
    homogeneous.then_some((first, count as u8))
}
