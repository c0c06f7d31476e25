//! AArch64: one capture template and one outgoing call for all three variants (AAPCS64 on
//! Linux, Apple's DarwinPCS, Windows on Arm): they share the argument registers and differ only
//! in how stack arguments are placed, which is `layout/aapcs64.rs`'s business.
//!
//! Register facts relied on (AAPCS64 §6, Apple's and Microsoft's arm64 ABI documents):
//! - x0-x7 and v0-v7 carry arguments, x0/x1 and v0/v1 results; on entry the stack arguments
//!   start at sp, which is 16-byte aligned at every call;
//! - x16 and x17 (IP0/IP1) are scratch at a call boundary and carry no argument: the thunk head
//!   loads the closure address into x16 and jumps with x17 (closure-ffi's own head uses two
//!   compiler-chosen registers the same way);
//! - x8 is the indirect result register: the address where a struct too large for registers
//!   is returned (`RawFrame::result`, captured and passed); x18 (platform register, reserved on
//!   Apple and Windows) is left alone; x19 and x20 are callee-saved, so `invoke` saves them
//!   before keeping its state there;
//! - d0-d7 are the low 64 bits of v0-v7, so storing d registers keeps f32 and f64 arguments;
//!   results come back in x0/x1 and d0-d3 (a homogeneous float aggregate takes up to four).

use std::arch::naked_asm;

use closure_ffi::arch::consts::CLOSURE_ADDR_MAGIC;

use super::{FP, FRAME_SIZE, GP, RESULT, RET, RET_FP, STACK, STACK_BYTES};
use crate::abi::Flavor;
use crate::capture::{dispatcher, jit, Captured, Handler, Slot, Template};
use crate::frame::RawFrame;
use crate::registers::Registers;
use crate::thunk_memory::CodeMemoryError;

/// Makes a thunk of `flavor` calling the handler in `slot`; returns its code address.
pub(crate) fn new_code<H: Handler>(
    flavor: Flavor,
    slot: &'static Slot,
) -> Result<usize, CodeMemoryError> {
    match flavor {
        Flavor::Aapcs64(_) => jit::<H, Aapcs64>(slot),
        other => unreachable!("{other:?} is not an AArch64 convention"),
    }
}

/// Calls `address` with the registers and stack area in `frame`, and stores the return
/// registers there.
///
/// # Safety
/// `address` is a function of `flavor` whose parameters are where the frame puts them, and
/// calling it with these values is sound; `frame.stack` holds `frame.stack_bytes` bytes.
pub(crate) unsafe fn invoke(flavor: Flavor, address: usize, frame: &mut RawFrame) {
    match flavor {
        // SAFETY: forwarded to the caller.
        Flavor::Aapcs64(_) => unsafe { invoke_aapcs64(address, frame) },
        other => unreachable!("{other:?} is not an AArch64 convention"),
    }
}

/// Calls `address` with the argument registers in `registers` and nothing on the stack, and returns
/// x0, or d0 (`float`). The callee is jumped to with the registers loaded: it returns straight to
/// our caller (the link register is still ours), with no frame of ours around it.
///
/// # Safety
/// As for `invoke`, for a signature whose arguments are all in registers.
#[inline]
pub(crate) unsafe fn invoke_registers(
    flavor: Flavor,
    address: usize,
    registers: &Registers,
    float: bool,
) -> u64 {
    match flavor {
        // SAFETY: forwarded to the caller.
        Flavor::Aapcs64(_) if float => unsafe { jump_aapcs64_float(registers, address) }.to_bits(),
        // SAFETY: forwarded to the caller.
        Flavor::Aapcs64(_) => unsafe { jump_aapcs64_int(registers, address) },
        other => unreachable!("{other:?} is not an AArch64 convention"),
    }
}

struct Aapcs64;

impl<H: Handler> Template<H> for Aapcs64 {
    const CODE: *const u8 = aapcs64_template::<H> as *const u8;
}

/// The thunk. Frame: the frame record (x29, x30) at sp, the RawFrame above it; `{size}` is both
/// together. The head's two literal words are closure-ffi's: the closure address and the
/// address to jump back to (written into the copy; the template's own copy is never run).
// SAFETY: the register facts of this module's documentation; `{size}` is a multiple of 16, so sp
// stays 16-aligned; only x16, x17 (the head's intra-procedure-call scratch registers) and x9,
// volatile, are written besides the argument registers before the dispatcher runs; x8 is
// stored, not changed.
#[unsafe(naked)]
unsafe extern "C" fn aapcs64_template<H: Handler>() {
    naked_asm!(
        "ldr x16, 2f",
        "ldr x17, 3f",
        "br x17",
        ".balign 8",
        "2:",
        ".8byte {magic}",
        "3:",
        ".8byte 0",
        "stp x29, x30, [sp, #-{size}]!",
        "mov x29, sp",
        "stp x0, x1, [sp, #{gp}]",
        "stp x2, x3, [sp, #{gp} + 16]",
        "stp x4, x5, [sp, #{gp} + 32]",
        "stp x6, x7, [sp, #{gp} + 48]",
        "stp d0, d1, [sp, #{fp}]",
        "stp d2, d3, [sp, #{fp} + 16]",
        "stp d4, d5, [sp, #{fp} + 32]",
        "stp d6, d7, [sp, #{fp} + 48]",
        "add x9, sp, #{size}",
        "str x9, [sp, #{stack}]",
        "str x8, [sp, #{result}]",
        "mov x0, x16",
        "add x1, sp, #16",
        "bl {dispatch}",
        "ldp x0, x1, [sp, #{ret}]",
        "ldp d0, d1, [sp, #{ret_fp}]",
        "ldp d2, d3, [sp, #{ret_fp} + 16]",
        "ldp x29, x30, [sp], #{size}",
        "ret",
        magic = const CLOSURE_ADDR_MAGIC,
        size = const FRAME_SIZE + 16,
        gp = const GP + 16,
        fp = const FP + 16,
        stack = const STACK + 16,
        ret = const RET + 16,
        ret_fp = const RET_FP + 16,
        result = const RESULT + 16,
        dispatch = sym dispatch_aapcs64::<H>,
    )
}

dispatcher!(dispatch_aapcs64, "C");

/// Copies the stack area below the caller's sp (the reservation rounded up to 16 bytes, the copy
/// exactly `stack_bytes`), loads x0-x7, x8 and d0-d7, calls, stores x0/x1 and d0-d3.
// SAFETY: copies exactly `stack_bytes` bytes from `frame.stack` (the caller's contract: `invoke`)
// below a 16-aligned sp; `frame` and the callee stay in callee-saved registers across the call.
#[unsafe(naked)]
unsafe extern "C" fn invoke_aapcs64(address: usize, frame: &mut RawFrame) {
    naked_asm!(
        "stp x29, x30, [sp, #-32]!",
        "mov x29, sp",
        "stp x19, x20, [sp, #16]",
        "mov x19, x1",
        "mov x20, x0",
        "ldr x12, [x19, #{stack_bytes}]",
        "add x9, x12, #15",
        "and x9, x9, #-16",
        "sub sp, sp, x9",
        "ldr x10, [x19, #{stack}]",
        "mov x11, sp",
        "cbz x12, 5f",
        "4:",
        "ldrb w13, [x10], #1",
        "strb w13, [x11], #1",
        "subs x12, x12, #1",
        "b.ne 4b",
        "5:",
        "ldp x0, x1, [x19, #{gp}]",
        "ldp x2, x3, [x19, #{gp} + 16]",
        "ldp x4, x5, [x19, #{gp} + 32]",
        "ldp x6, x7, [x19, #{gp} + 48]",
        "ldp d0, d1, [x19, #{fp}]",
        "ldp d2, d3, [x19, #{fp} + 16]",
        "ldp d4, d5, [x19, #{fp} + 32]",
        "ldp d6, d7, [x19, #{fp} + 48]",
        "ldr x8, [x19, #{result}]",
        "blr x20",
        "stp x0, x1, [x19, #{ret}]",
        "stp d0, d1, [x19, #{ret_fp}]",
        "stp d2, d3, [x19, #{ret_fp} + 16]",
        "mov sp, x29",
        "ldp x19, x20, [sp, #16]",
        "ldp x29, x30, [sp], #32",
        "ret",
        stack_bytes = const STACK_BYTES,
        stack = const STACK,
        gp = const GP,
        fp = const FP,
        ret = const RET,
        ret_fp = const RET_FP,
        result = const RESULT,
    )
}

/// Loads x0-x7 and d0-d7 from the frame and branches to the callee through x16 (IP0: scratch at
/// calls, and the register a BTI `bti c` landing pad accepts a branch from), x17 holding the
/// frame meanwhile. One body for both return types: the declared type only says which return
/// register our caller reads.
macro_rules! jump_aapcs64 {
    () => {
        naked_asm!(
            "mov x16, x1",
            "mov x17, x0",
            "ldp x0, x1, [x17, #{gp}]",
            "ldp x2, x3, [x17, #{gp} + 16]",
            "ldp x4, x5, [x17, #{gp} + 32]",
            "ldp x6, x7, [x17, #{gp} + 48]",
            "ldp d0, d1, [x17, #{fp}]",
            "ldp d2, d3, [x17, #{fp} + 16]",
            "ldp d4, d5, [x17, #{fp} + 32]",
            "ldp d6, d7, [x17, #{fp} + 48]",
            "br x16",
            gp = const GP,
            fp = const FP,
        )
    };
}

// SAFETY (both): the register facts of this module's documentation; `registers` points to the
// registers' values (the caller's contract: `invoke_registers`).
jump_entries!("C", jump_aapcs64, jump_aapcs64_int, jump_aapcs64_float);
