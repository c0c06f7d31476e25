//! System V AMD64 argument assignment (psABI §3.2.3).
//!
//! ABI facts relied on (tested against rustc and gcc callers in `tests/thunk.rs`, the JS suite's
//! C partner compiled by gcc, and as tables in `tests/layout.rs` and `tests/by_value.rs`):
//! - INTEGER-class scalars (integers, bool, pointers) take rdi, rsi, rdx, rcx, r8, r9 in order;
//! - SSE-class scalars (f32, f64) take xmm0..xmm7 in order, counted independently of integers;
//! - further arguments take consecutive 8-byte stack slots in argument order, both classes
//!   interleaved, starting at [rsp+8] on entry; a narrow value is in the low bytes of its slot;
//! - a struct of at most 16 bytes whose scalars are all at offsets aligned to their size is
//!   classified per eightbyte: INTEGER if any integer lies in it, else SSE (two f32 share one
//!   xmm register). If every eightbyte finds a register of its class, it travels there (the
//!   eightbytes in order, each class counting on); else the whole struct goes on the stack and
//!   takes no register, so later scalars still may;
//! - any other struct (larger, or with a misaligned scalar: packed) is MEMORY: copied onto the
//!   stack in argument order, at an 8-byte slot, its size rounded up to 8;
//! - returned structs use the same classes: INTEGER eightbytes in rax then rdx, SSE ones in xmm0
//!   then xmm1; a MEMORY struct is written where the caller's hidden first argument (rdi) points,
//!   and that address comes back in rax.

use super::{chunks, on_stack, scalar, Exit, Layout, Place, Registers, Return, StackCursor};
use crate::param::Param;
use crate::structs::Struct;
use crate::types::Class;

pub fn layout(ret: &Param, args: &[Param]) -> Layout {
    let mut regs = Registers::new(6, 8);
    let ret = match ret {
        Param::Scalar(_) => Return::Scalar,
        Param::Struct(s) => match classify(s) {
            // Return registers are counted on their own: rax, rdx and xmm0, xmm1.
            Some(classes) => {
                let locs = Registers::new(2, 2)
                    .take_all(&classes)
                    .expect("two eightbytes");
                Return::Parts(chunks(&locs, s.size(), 8))
            }
            None => Return::Memory(regs.take(Class::Integer).expect("rdi is free")),
        },
    };
    let mut stack = StackCursor::default();
    let places = args
        .iter()
        .map(|arg| match arg {
            Param::Scalar(t) => scalar(&mut regs, *t, || stack.place(8, 8)),
            Param::Struct(s) => match classify(s).and_then(|c| regs.take_all(&c)) {
                Some(locs) => Place::Parts(chunks(&locs, s.size(), 8)),
                None => on_stack(
                    stack.place(s.size().next_multiple_of(8) as u16, 8),
                    s.size(),
                ),
            },
        })
        .collect();
    Layout {
        places,
        ret,
        stack_bytes: stack.end,
        exit: Exit::default(),
    }
}

/// The class of each eightbyte of `s`, or None for MEMORY.
fn classify(s: &Struct) -> Option<Vec<Class>> {
    if s.size() > 16 {
        return None;
    }
    let mut classes = vec![Class::Float; s.size().div_ceil(8)];
    for (offset, t) in s.leaves() {
        if offset % t.size() != 0 {
            return None; // a misaligned scalar: gcc and clang pass the struct in memory
        }
        if t.class() == Class::Integer {
            classes[offset / 8] = Class::Integer;
        }
    }
    Some(classes)
}
