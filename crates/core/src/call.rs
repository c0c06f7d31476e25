//! Calling any C function pointer with a runtime signature and raw-encoded arguments.

use std::mem::MaybeUninit;

use crate::arch::{invoke, invoke_registers};
use crate::frame::{bits, RawFrame, MAX_STACK_BYTES};
use crate::layout::{Loc, Place, Return};
use crate::os_errors::OsErrors;
use crate::registers::{widened, Registers};
use crate::signature::{Input, ScalarInput, Signature, StructInput};
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

impl Registers {
    /// Calls `address` as `sig` with these registers.
    ///
    /// # Safety
    /// `sig.registers_only()`; as for `call_raw` otherwise.
    #[inline(always)]
    pub unsafe fn call(&self, sig: &Signature, address: usize) -> Outcome {
        debug_assert!(sig.registers_only());
        let float = sig
            .ret()
            .scalar()
            .is_some_and(|ty| ty.class() == Class::Float);
        // SAFETY: forwarded; every argument is in these registers.
        let bits = unsafe { invoke_registers(sig.flavor(), address, self, float) };
        let os_errors = OsErrors::now();
        // A callee may leave the bits above a narrow return type undefined: normalize.
        Outcome {
            value: sig.ret_extension().apply(bits),
            os_errors,
        }
    }
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
    CallFrame::with(sig, |frame| {
        for (input, &raw) in sig.inputs().iter().zip(args) {
            match input {
                Input::Scalar(scalar) => frame.scalar(scalar, raw),
                // SAFETY: the caller's contract: the address holds the struct's bytes.
                Input::Struct(arg) => unsafe { frame.structure(arg, raw) },
            }
        }
        // SAFETY: forwarded.
        unsafe { frame.call(address, out) }
    })
}

/// One outgoing call of a signature being prepared: the register image and the stack argument
/// area, filled argument by argument where the signature's layout puts each (`scalar`,
/// `structure`), then made (`call`). It holds what arguments point to until the call returns
/// (copies of structs passed by reference). A caller converting arguments one by one writes each
/// straight here, without an array of raw values in between. Made by `CallFrame::with`.
pub struct CallFrame<'s> {
    sig: &'s Signature,
    raw: RawFrame,
    /// The stack argument area when it is small (most calls: none), else `large`. Only its
    /// first `stack_bytes` bytes are initialized (zeros where no argument goes: padding), so that
    /// a call with every argument in registers writes none of it.
    small: [MaybeUninit<u8>; SMALL_STACK],
    large: Vec<u8>,
    stack_bytes: usize,
    /// Copies of structs passed by reference (the callee may change them), 16-byte aligned.
    copies: Vec<Vec<u128>>,
}

impl<'s> CallFrame<'s> {
    /// Runs `f` with a new frame for a call of `sig`. The frame is a local of this function, given
    /// by reference: returned by value (a constructor), it was copied, stack area and all, at
    /// each call.
    #[inline(always)]
    pub fn with<R>(sig: &'s Signature, f: impl FnOnce(&mut CallFrame<'s>) -> R) -> R {
        // `invoke` copies stack_bytes bytes out of the stack area (tests/layout.rs: every
        // flavor's largest signature fits).
        let stack_bytes = usize::from(sig.layout().stack_bytes);
        assert!(stack_bytes <= MAX_STACK_BYTES);
        let mut frame = CallFrame {
            sig,
            raw: RawFrame::new(),
            small: [MaybeUninit::uninit(); SMALL_STACK],
            large: Vec::new(),
            stack_bytes,
            copies: Vec::new(),
        };
        if stack_bytes <= SMALL_STACK {
            frame.small[..stack_bytes].fill(MaybeUninit::new(0));
        } else {
            frame.large.resize(stack_bytes, 0);
        }
        f(&mut frame)
    }

    /// The stack argument area.
    #[inline]
    fn stack(&mut self) -> &mut [u8] {
        if self.stack_bytes <= SMALL_STACK {
            let bytes = &mut self.small[..self.stack_bytes];
            // SAFETY: `new` initialized these bytes.
            unsafe { &mut *(bytes as *mut [MaybeUninit<u8>] as *mut [u8]) }
        } else {
            &mut self.large
        }
    }

    /// Puts a value at `loc`: a register takes all of `value` (a raw value, extended to 64 bits;
    /// the callee reads the low bits of its type), the stack its low `size` bytes only (Apple
    /// packs stack arguments; little-endian everywhere).
    #[inline(always)]
    fn put(&mut self, loc: Loc, value: u64, size: usize) {
        match loc {
            Loc::Gp(i) => self.raw.gp[usize::from(i)] = value,
            Loc::Fp(i) => self.raw.fp[usize::from(i)] = value,
            Loc::Stack(offset) => self.stack()[usize::from(offset)..][..size]
                .copy_from_slice(&value.to_le_bytes()[..size]),
            Loc::ResultRegister => self.raw.result = value,
        }
    }

    /// A scalar argument, in the raw encoding. Raw values are already extended to 64 bits,
    /// which every narrower parameter accepts (and clang-compiled callees expect: extension to
    /// at least 32 bits). On the stack a value takes its own size only.
    #[inline(always)]
    pub fn scalar(&mut self, input: &ScalarInput, raw: u64) {
        self.put(input.loc, widened(input, raw), input.ty.size().max(1));
    }

    /// A struct argument, whose bytes are at `address`.
    ///
    /// # Safety
    /// `address` holds the struct's bytes.
    pub unsafe fn structure(&mut self, input: &StructInput, address: u64) {
        // SAFETY: the caller's contract.
        let bytes =
            unsafe { std::slice::from_raw_parts(address as usize as *const u8, input.size) };
        match &input.place {
            Place::Parts(parts) => {
                for part in parts {
                    let piece = &bytes[usize::from(part.offset)..][..usize::from(part.size)];
                    match part.loc {
                        // A struct on the stack is one part of any size.
                        Loc::Stack(offset) => self.stack()[usize::from(offset)..][..piece.len()]
                            .copy_from_slice(piece),
                        loc => self.put(loc, bits(piece), piece.len()),
                    }
                }
            }
            Place::Reference(loc) => {
                let copy = aligned_copy(bytes);
                let at = copy.as_ptr() as usize as u64;
                self.copies.push(copy);
                self.put(*loc, at, size_of::<usize>());
            }
            Place::Scalar(_) => unreachable!("a struct argument has parts"),
        }
    }

    /// Makes the call, every argument having been put, storing a returned struct into `out` (its
    /// size; empty for a scalar return, whose raw value is returned).
    ///
    /// # Safety
    /// `address` is a function of this signature, and calling it with these arguments is sound.
    #[inline(always)]
    pub unsafe fn call(&mut self, address: usize, out: &mut [u8]) -> Outcome {
        let sig = self.sig;
        if sig.registers_only() {
            // SAFETY: the frame starts with its registers (asserted with `Registers`); forwarded.
            return unsafe {
                (*(&self.raw as *const RawFrame).cast::<Registers>()).call(sig, address)
            };
        }
        // SAFETY: forwarded.
        unsafe { self.call_framed(address, out) }
    }

    /// `call` of a signature with arguments on the stack or a struct result.
    ///
    /// # Safety
    /// As for `call`.
    #[inline(never)]
    unsafe fn call_framed(&mut self, address: usize, out: &mut [u8]) -> Outcome {
        let sig = self.sig;
        let layout = sig.layout();
        // A hidden result buffer is made of `out`'s size: it must be the struct's.
        let size = sig.ret().structure().map_or(0, |s| s.size());
        assert_eq!(out.len(), size, "`out` is the returned struct's size");
        // A struct returned through a hidden address is written straight into `out` when it is
        // aligned for any struct (16), else into memory of ours, copied to `out` after the call.
        let mut returned: Vec<u128> = Vec::new();
        let direct = (out.as_ptr() as usize).is_multiple_of(16);
        if let Return::Memory(loc) = &layout.ret {
            let at = if direct {
                out.as_mut_ptr() as usize as u64
            } else {
                returned = vec![0; out.len().div_ceil(16)];
                returned.as_mut_ptr() as usize as u64
            };
            self.put(*loc, at, size_of::<usize>());
        }
        self.raw.stack = self.stack().as_ptr() as usize as u64;
        self.raw.stack_bytes = self.stack_bytes as u64;
        self.raw.set_exit(layout.exit);
        // SAFETY: forwarded to the caller; the frame holds the arguments where `sig`'s
        // convention puts them, and the stack area holds `stack_bytes` bytes; the copies and the
        // returned struct's memory live until after the call.
        unsafe { invoke(sig.flavor(), address, &mut self.raw) };
        // First: freeing the copies may change errno.
        let os_errors = OsErrors::now();
        let frame = &self.raw;
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
                if !direct {
                    // SAFETY: `returned` has at least out.len() bytes, written by the callee.
                    let bytes = unsafe {
                        std::slice::from_raw_parts(returned.as_ptr().cast::<u8>(), out.len())
                    };
                    out.copy_from_slice(bytes);
                }
                0
            }
            (Return::Scalar, None) => unreachable!("a struct return has its own Return"),
        };
        Outcome { value, os_errors }
    }
}

/// Stack areas up to this size live in the caller's frame; larger ones (structs on the stack) on
/// the heap.
const SMALL_STACK: usize = 256;

/// A 16-byte aligned copy of `bytes` (Win64 wants copies passed by reference aligned so).
fn aligned_copy(bytes: &[u8]) -> Vec<u128> {
    let mut copy = vec![0u128; bytes.len().div_ceil(16)];
    // SAFETY: `copy` has at least bytes.len() bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), copy.as_mut_ptr().cast::<u8>(), bytes.len())
    };
    copy
}
