//! Calling any C function pointer with a runtime signature and raw-encoded arguments.

use crate::arch::invoke;
use crate::frame::{RawFrame, MAX_STACK_BYTES};
use crate::layout::Loc;
use crate::signature::Signature;
use crate::types::Class;

/// Calls `address` as a function of `sig`, with `args` in the raw encoding (one per argument),
/// and returns the raw-encoded return value.
///
/// # Safety
/// `address` must point to a function that really has the signature `sig`, and calling it with
/// these argument values must be sound (pointers valid for what the function does with them).
pub unsafe fn call_raw(address: usize, sig: &Signature, args: &[u64]) -> u64 {
    debug_assert_eq!(args.len(), sig.args().len());
    let layout = sig.layout();
    let mut stack = [0u8; MAX_STACK_BYTES];
    let mut frame = RawFrame::new();
    for (input, &raw) in sig.inputs().iter().zip(args) {
        // Raw values are already extended to 64 bits, which every narrower parameter accepts
        // (and clang-compiled callees expect: extension to at least 32 bits). On the stack a
        // value takes its own size only: Apple packs stack arguments (little-endian everywhere).
        match input.loc {
            Loc::Gp(i) => frame.gp[usize::from(i)] = raw,
            Loc::Fp(i) => frame.fp[usize::from(i)] = raw,
            Loc::Stack(offset) => {
                let at = usize::from(offset);
                let size = input.ty.size().max(1);
                stack[at..at + size].copy_from_slice(&raw.to_le_bytes()[..size]);
            }
        }
    }
    // `invoke` copies stack_bytes bytes out of `stack` (tests/layout.rs: every flavor's largest
    // signature fits).
    assert!(usize::from(layout.stack_bytes) <= MAX_STACK_BYTES);
    frame.stack = stack.as_ptr() as usize as u64;
    frame.stack_bytes = u64::from(layout.stack_bytes);
    frame.set_exit(layout.exit);
    // SAFETY: forwarded to the caller; the frame holds the arguments where `sig`'s convention
    // puts them, and `stack` holds `stack_bytes` bytes (at most MAX_STACK_BYTES by the layout).
    unsafe { invoke(sig.flavor(), address, &mut frame) };
    let bits = match sig.ret().class() {
        Class::Integer => frame.ret[0],
        Class::Float => frame.ret_fp[0],
    };
    // A callee may leave the bits above a narrow return type undefined: normalize.
    sig.ret().normalize(bits)
}
