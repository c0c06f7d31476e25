//! System V AMD64 argument assignment (psABI §3.2.3), for scalar arguments only.
//!
//! ABI facts relied on (each tested against real C callers in the JS suite and by
//! `tests/layout.rs`):
//! - INTEGER-class scalars (all integers, bool, pointers) take rdi, rsi, rdx, rcx, r8, r9 in order;
//! - SSE-class scalars (f32, f64) take xmm0..xmm7 in order, counted independently of integers;
//! - once a class's registers are used up, its further arguments take consecutive 8-byte stack
//!   slots, in argument order, interleaved with the other class's overflow, starting at [rsp+8] on
//!   entry. Each scalar takes exactly one slot.

use super::Loc;
use crate::signature::MAX_ARGS;
use crate::types::{Class, Type};

pub const GP_REGS: usize = 6;
pub const FP_REGS: usize = 8;
/// The most stack slots a signature of `MAX_ARGS` scalars can need: all integers, 6 in registers.
pub const STACK_SLOTS: usize = MAX_ARGS - GP_REGS;

pub fn assign(args: &[Type]) -> Vec<Loc> {
    let (mut gp, mut fp, mut stack) = (0u8, 0u8, 0u8);
    let mut next = |counter: &mut u8, limit: usize, reg: fn(u8) -> Loc| {
        if usize::from(*counter) < limit {
            *counter += 1;
            reg(*counter - 1)
        } else {
            stack += 1;
            Loc::Stack(stack - 1)
        }
    };
    args.iter()
        .map(|t| match t.class() {
            Class::Integer => next(&mut gp, GP_REGS, Loc::Gp),
            Class::Float => next(&mut fp, FP_REGS, Loc::Fp),
        })
        .collect()
}
