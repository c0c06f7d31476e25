//! Calling any C function pointer with a runtime signature and raw-encoded arguments.

use crate::arch::invoke;
use crate::frame::{bits, RawFrame, MAX_STACK_BYTES};
use crate::layout::{Loc, Part, Place, Return};
use crate::os_errors::OsErrors;
use crate::signature::{Input, Signature};
use crate::types::Class;

/// Calls `address` as a function of `sig`, with `args` in the raw encoding (one per argument;
/// a struct argument's raw value is the address of its bytes), and returns the raw-encoded
/// return value. For a signature returning a struct, use `call_raw_into`.
///
/// # Safety
/// `address` must point to a function that really has the signature `sig`, and calling it with
/// these argument values must be sound (pointers valid for what the function does with them).
pub unsafe fn call_raw(address: usize, sig: &Signature, args: &[u64]) -> u64 {
    assert!(sig.ret().scalar().is_some(), "{sig} returns a struct");
    // SAFETY: forwarded.
    unsafe { call_raw_into(address, sig, args, &mut []) }.value
}

/// What a call gave back: the raw return value (0 for a struct, stored into `out`), and the
/// errno and last error the function left.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    pub value: u64,
    pub os_errors: OsErrors,
}

/// `call_raw`, storing a returned struct into `out` (its size; empty for a scalar return, whose
/// raw value is returned).
///
/// # Safety
/// As for `call_raw`; each struct argument's address holds its struct's bytes.
pub unsafe fn call_raw_into(
    address: usize,
    sig: &Signature,
    args: &[u64],
    out: &mut [u8],
) -> Outcome {
    debug_assert_eq!(args.len(), sig.args().len());
    // A hidden result buffer is made of `out`'s size: it must be the struct's.
    let size = sig.ret().structure().map_or(0, |s| s.size());
    assert_eq!(out.len(), size, "`out` is the returned struct's size");
    let layout = sig.layout();
    // `invoke` copies stack_bytes bytes out of `stack` (tests/layout.rs: every flavor's largest
    // signature fits).
    let stack_bytes = usize::from(layout.stack_bytes);
    assert!(stack_bytes <= MAX_STACK_BYTES);
    let (mut small, mut large) = ([0u8; SMALL_STACK], Vec::new());
    let stack: &mut [u8] = if stack_bytes <= SMALL_STACK {
        &mut small
    } else {
        large.resize(stack_bytes, 0);
        &mut large
    };
    // Copies of structs passed by reference (the callee may change them), 16-byte aligned, and
    // the memory of a struct returned through a hidden address (aligned for any struct).
    let mut copies: Vec<Vec<u128>> = Vec::new();
    let mut returned: Vec<u128> = Vec::new();
    let mut frame = RawFrame::new();
    for (input, &raw) in sig.inputs().iter().zip(args) {
        match input {
            // Raw values are already extended to 64 bits, which every narrower parameter
            // accepts (and clang-compiled callees expect: extension to at least 32 bits). On the
            // stack a value takes its own size only: Apple packs stack arguments (little-endian
            // everywhere).
            Input::Scalar(scalar) => {
                let raw = if scalar.widen {
                    f64::from(f32::from_bits(raw as u32)).to_bits()
                } else {
                    raw
                };
                let bytes = raw.to_le_bytes();
                let size = match scalar.loc {
                    Loc::Stack(_) => scalar.ty.size().max(1),
                    _ => bytes.len(),
                };
                put(&mut frame, stack, scalar.loc, &bytes[..size]);
            }
            Input::Struct(arg) => {
                // SAFETY: the caller's contract: the address holds the struct's bytes.
                let bytes =
                    unsafe { std::slice::from_raw_parts(raw as usize as *const u8, arg.size) };
                match &arg.place {
                    Place::Parts(parts) => place_parts(&mut frame, stack, parts, bytes),
                    Place::Reference(loc) => {
                        let copy = aligned_copy(bytes);
                        let at = copy.as_ptr() as usize as u64;
                        copies.push(copy);
                        put(
                            &mut frame,
                            stack,
                            *loc,
                            &at.to_le_bytes()[..size_of::<usize>()],
                        );
                    }
                    Place::Scalar(_) => unreachable!("a struct argument has parts"),
                }
            }
        }
    }
    if let Return::Memory(loc) = &layout.ret {
        returned = vec![0; out.len().div_ceil(16)];
        let at = returned.as_mut_ptr() as usize as u64;
        put(
            &mut frame,
            stack,
            *loc,
            &at.to_le_bytes()[..size_of::<usize>()],
        );
    }
    frame.stack = stack.as_ptr() as usize as u64;
    frame.stack_bytes = stack_bytes as u64;
    frame.set_exit(layout.exit);
    // SAFETY: forwarded to the caller; the frame holds the arguments where `sig`'s convention
    // puts them, and `stack` holds `stack_bytes` bytes; copies and the returned struct's memory
    // live until after the call.
    unsafe { invoke(sig.flavor(), address, &mut frame) };
    // First: freeing the copies below may change errno.
    let os_errors = OsErrors::now();
    drop(copies);
    let value = match (&layout.ret, sig.ret().scalar()) {
        (Return::Scalar, Some(ty)) => {
            let bits = match ty.class() {
                Class::Integer => frame.ret[0],
                Class::Float => frame.ret_fp[0],
            };
            // A callee may leave the bits above a narrow return type undefined: normalize.
            ty.normalize(bits)
        }
        (Return::Parts(parts), _) => {
            for part in parts {
                let value = match part.loc {
                    Loc::Gp(i) => frame.ret[usize::from(i)],
                    Loc::Fp(i) => frame.ret_fp[usize::from(i)],
                    other => unreachable!("{other:?} is not a return register"),
                };
                let to = &mut out[usize::from(part.offset)..][..usize::from(part.size)];
                to.copy_from_slice(&value.to_le_bytes()[..to.len()]);
            }
            0
        }
        (Return::Memory(_), _) => {
            // SAFETY: `returned` has at least out.len() bytes, written by the callee.
            let bytes =
                unsafe { std::slice::from_raw_parts(returned.as_ptr().cast::<u8>(), out.len()) };
            out.copy_from_slice(bytes);
            0
        }
        (Return::Scalar, None) => unreachable!("a struct return has its own Return"),
    };
    Outcome { value, os_errors }
}

/// Stack areas up to this size live in the caller's frame; larger ones (structs on the stack) on
/// the heap.
const SMALL_STACK: usize = 256;

/// Puts the low bytes of a value at `loc` (a register takes them zero-extended).
fn put(frame: &mut RawFrame, stack: &mut [u8], loc: Loc, bytes: &[u8]) {
    match loc {
        Loc::Gp(i) => frame.gp[usize::from(i)] = bits(bytes),
        Loc::Fp(i) => frame.fp[usize::from(i)] = bits(bytes),
        Loc::Stack(offset) => stack[usize::from(offset)..][..bytes.len()].copy_from_slice(bytes),
        Loc::ResultRegister => frame.result = bits(bytes),
    }
}

/// The pieces of a struct, each where its part says.
fn place_parts(frame: &mut RawFrame, stack: &mut [u8], parts: &[Part], bytes: &[u8]) {
    for part in parts {
        put(
            frame,
            stack,
            part.loc,
            &bytes[usize::from(part.offset)..][..usize::from(part.size)],
        );
    }
}

/// A 16-byte aligned copy of `bytes` (Win64 wants copies passed by reference aligned so).
fn aligned_copy(bytes: &[u8]) -> Vec<u128> {
    let mut copy = vec![0u128; bytes.len().div_ceil(16)];
    // SAFETY: `copy` has at least bytes.len() bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), copy.as_mut_ptr().cast::<u8>(), bytes.len())
    };
    copy
}
