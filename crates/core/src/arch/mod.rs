//! The machine code side of each convention, the only part of bare-fn behind
//! `#[cfg(target_arch)]`: capture templates (what a thunk runs: store the argument registers into
//! a `RawFrame`, call the handler, load the return registers) and `invoke` (the same for an
//! outgoing call). Each is a naked function, so no compiler-chosen prologue sits between the
//! caller's registers and the code that saves them, and one template serves every signature of
//! its convention: argument count, stack size and callee-popped bytes are data in the frame.
//!
//! How a template becomes a contextless function pointer: closure-ffi copies the head of a
//! template into executable memory, the copy loads the address of the thunk's boxed closure into
//! a scratch register and jumps back to the template, right after its head (see `thunk.rs`).
//! The head here has exactly the layout of closure-ffi 5.1.2's own (`_thunk_asm!`), which its
//! relocation code expects; the scratch register is one that no convention passes arguments in.

/// Declares the two entry points of one jump body (`invoke_registers`): `$int` returns the integer
/// return register, `$float` the float one. The body is the same: the callee returns straight to
/// our caller, and the declared type only says which register that caller reads.
#[cfg(not(target_arch = "x86"))] // no x86 convention passes every argument in registers
macro_rules! jump_entries {
    ($abi:literal, $body:ident, $int:ident, $float:ident) => {
        #[unsafe(naked)]
        unsafe extern $abi fn $int(registers: &Registers, address: usize) -> u64 {
            $body!()
        }

        #[unsafe(naked)]
        unsafe extern $abi fn $float(registers: &Registers, address: usize) -> f64 {
            $body!()
        }
    };
}

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "x86")]
mod x86;
#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(target_arch = "aarch64")]
pub(crate) use aarch64::{invoke, invoke_registers, new_code};
#[cfg(target_arch = "x86")]
pub(crate) use x86::{invoke, invoke_registers, new_code};
#[cfg(target_arch = "x86_64")]
pub(crate) use x86_64::{invoke, invoke_registers, new_code};

use std::mem::offset_of;

use crate::frame::RawFrame;

// Field offsets of the frame, for the assembly (`Registers` has gp and fp at the same ones).
const GP: usize = offset_of!(RawFrame, gp);
#[cfg(not(target_arch = "x86"))] // x86 passes no argument in a vector register
const FP: usize = offset_of!(RawFrame, fp);
const STACK: usize = offset_of!(RawFrame, stack);
const STACK_BYTES: usize = offset_of!(RawFrame, stack_bytes);
const RET: usize = offset_of!(RawFrame, ret);
const RET_FP: usize = offset_of!(RawFrame, ret_fp);
#[cfg(target_arch = "aarch64")] // only AArch64 has an indirect result register
const RESULT: usize = offset_of!(RawFrame, result);
const FRAME_SIZE: usize = size_of::<RawFrame>();
// The templates reserve it and keep the stack pointer 16-aligned (their SAFETY comments).
const _: () = assert!(FRAME_SIZE.is_multiple_of(16));
