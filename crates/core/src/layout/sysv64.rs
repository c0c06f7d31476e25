//! System V AMD64 argument assignment (psABI §3.2.3), for scalar arguments.
//!
//! ABI facts relied on (tested against rustc and gcc callers in `tests/thunk.rs` and the JS
//! suite, and as a table in `tests/layout.rs`):
//! - INTEGER-class scalars (integers, bool, pointers) take rdi, rsi, rdx, rcx, r8, r9 in order;
//! - SSE-class scalars (f32, f64) take xmm0..xmm7 in order, counted independently of integers;
//! - further arguments take consecutive 8-byte stack slots in argument order, both classes
//!   interleaved, starting at [rsp+8] on entry; a narrow value is in the low bytes of its slot.

use super::{by_class, Exit, Layout, StackCursor};
use crate::types::Type;

pub fn layout(args: &[Type]) -> Layout {
    let mut stack = StackCursor::default();
    let locs = by_class(args, 6, 8, |_| stack.place(8, 8));
    Layout {
        locs,
        stack_bytes: stack.end,
        exit: Exit::default(),
    }
}
