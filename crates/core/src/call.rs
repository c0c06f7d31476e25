//! Calling any C function pointer with a runtime signature and raw-encoded arguments.

use crate::abi::Flavor;
use crate::regs::{Outgoing, SysV64Fn};
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
    match sig.flavor() {
        Flavor::SysV64 => {
            let mut out = Outgoing::new();
            for (input, &raw) in sig.inputs().iter().zip(args) {
                // Raw values are already extended to 64 bits, which every narrower parameter
                // accepts (and clang-compiled callees expect: extension to at least 32 bits).
                out.write(input.loc, raw);
            }
            // SAFETY: a non-null code address of a System V C function, per the caller's promise;
            // fn pointers and data pointers have the same size and representation on this target.
            let f: SysV64Fn = unsafe { std::mem::transmute::<usize, SysV64Fn>(address) };
            // SAFETY: forwarded to the caller.
            let ret = unsafe { out.call(f) };
            let bits = match sig.ret().class() {
                Class::Integer => ret.int,
                Class::Float => ret.float.to_bits(),
            };
            // A callee may leave the bits above a narrow return type undefined: normalize.
            sig.ret().normalize(bits)
        }
    }
}
