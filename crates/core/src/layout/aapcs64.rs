//! AArch64 argument assignment (AAPCS64 §6.8.2 for scalars), with Apple's and Windows' variants.
//!
//! ABI facts relied on (tested as a table in `tests/layout.rs` against placements that rustc and
//! clang generate for each target, and end to end under qemu-aarch64 on Linux):
//! - integers, bool and pointers take x0..x7 in order; f32 and f64 take v0..v7 (s/d registers)
//!   in order, counted independently;
//! - further arguments go to the stack at [sp] on entry, in argument order:
//!   - standard AAPCS64 (Linux) and Windows: each in an 8-byte slot, value in its low bytes;
//!   - Apple (DarwinPCS): each at the next multiple of its own size (natural alignment), taking
//!     only its size: two u8 arguments at [sp] and [sp+1];
//! - a narrow integer in a register or slot has unspecified upper bits, except that Apple's
//!   caller extends it to 32 bits (we mask all the same: `Type::normalize`).

use super::{by_class, Exit, Layout, StackCursor};
use crate::abi::Aapcs64;
use crate::types::Type;

pub fn layout(variant: Aapcs64, args: &[Type]) -> Layout {
    let mut stack = StackCursor::default();
    let locs = by_class(args, 8, 8, |t| match variant {
        Aapcs64::Darwin => {
            let size = t.size_for(8) as u16;
            stack.place(size, size)
        }
        Aapcs64::Standard | Aapcs64::Windows => stack.place(8, 8),
    });
    Layout {
        locs,
        stack_bytes: stack.end.next_multiple_of(8),
        exit: Exit::default(),
    }
}
