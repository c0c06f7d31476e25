//! Telling whether native code calls us on the owning JS thread's own stack.
//!
//! Some native callers run code on a stack of their own: koffi switches to a private stack for
//! every native call, coroutine libraries do the same. V8 refuses to run JS there (it sees a
//! stack overflow, and the "exception" it leaves pending is `undefined`). A BareFn therefore
//! remembers a position on its owning thread's stack and refuses, with a clear error, calls
//! whose stack pointer is far from it.

/// How far from the remembered position a call may be and still count as the same stack: more
/// than any JS thread's usable stack (V8's default limit is under 1 MiB; Node's main thread has
/// 8 MiB, workers 4 MiB), less than the distance to separately mapped memory in practice.
const WINDOW: usize = 8 << 20;

/// An address on the current stack (of a local of this frame).
#[inline(always)]
pub fn position() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}

/// Whether the current stack position is within the window around `hint`.
#[inline(always)]
pub fn is_near(hint: usize) -> bool {
    position().abs_diff(hint) <= WINDOW
}
