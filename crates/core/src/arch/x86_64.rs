//! x86-64: System V and Win64 capture templates and outgoing calls. Both conventions exist on
//! every x86-64 OS (Rust's `extern "sysv64"` and `extern "win64"`), so both are compiled here and
//! tested natively on Linux.
//!
//! Register facts relied on (System V psABI §3.2, Microsoft x64 conventions):
//! - on entry [rsp] is the return address, so the caller's stack argument area (`Loc::Stack`
//!   offsets, Win64's shadow space first) starts at entry rsp + 8;
//! - r11 is volatile and carries no argument in either convention: the thunk head loads the
//!   closure address into it;
//! - the direction flag is clear at calls (both ABIs), so `rep movsb` copies upwards;
//! - System V callers of a variadic function put an upper bound of the vector registers used in
//!   al; `invoke` always says 8, which is right for non-variadic callees too;
//! - each template calls its dispatcher with its own convention (`extern "sysv64"` or
//!   `extern "win64"`), so the dispatcher preserves exactly the registers the thunk's caller
//!   expects preserved (Win64 also keeps rdi, rsi and xmm6-15): `tests/callee_saved.rs`.

use std::arch::naked_asm;

use closure_ffi::arch::consts::CLOSURE_ADDR_MAGIC;

use super::{FP, FRAME_SIZE, GP, RET, RET_FP, STACK, STACK_BYTES};
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
        Flavor::SysV64 => jit::<H, SysV64>(slot),
        Flavor::Win64 => jit::<H, Win64>(slot),
        other => unreachable!("{other:?} is not an x86-64 convention"),
    }
}

/// Calls `address` with the registers and stack area in `frame`, and stores the return
/// registers there.
///
/// # Safety
/// `address` is a function of `flavor` whose parameters are where the frame puts them, and
/// calling it with these values is sound; `frame.stack` holds `frame.stack_bytes` bytes.
pub(crate) unsafe fn invoke(flavor: Flavor, address: usize, frame: &mut RawFrame) {
    // SAFETY: forwarded to the caller.
    unsafe {
        match flavor {
            Flavor::SysV64 => invoke_sysv64(address, frame),
            Flavor::Win64 => invoke_win64(address, frame),
            other => unreachable!("{other:?} is not an x86-64 convention"),
        }
    }
}

/// Calls `address` with the argument registers in `registers` and nothing on the stack, and returns
/// the integer return register, or the float one's low 64 bits (`float`). The callee is jumped
/// to with the registers loaded: it returns straight to our caller, with no frame of ours around
/// it (what a call of a signature whose arguments all travel in registers needs, most C calls).
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
    // SAFETY: forwarded to the caller.
    unsafe {
        match (flavor, float) {
            (Flavor::SysV64, false) => jump_sysv64_int(registers, address),
            (Flavor::SysV64, true) => jump_sysv64_float(registers, address).to_bits(),
            (Flavor::Win64, false) => jump_win64_int(registers, address),
            (Flavor::Win64, true) => jump_win64_float(registers, address).to_bits(),
            (other, _) => unreachable!("{other:?} is not an x86-64 convention"),
        }
    }
}

struct SysV64;
struct Win64;

impl<H: Handler> Template<H> for SysV64 {
    const CODE: *const u8 = sysv64_template::<H> as *const u8;
}

impl<H: Handler> Template<H> for Win64 {
    const CODE: *const u8 = win64_template::<H> as *const u8;
}

/// The thunk head shared by both templates: closure-ffi's x86-64 layout, with r11 as the
/// register that receives the closure address.
macro_rules! head {
    () => {
        concat!(
            "mov r11, qword ptr [rip + 2f]\n",
            "jmp qword ptr [rip + 2f + 8]\n",
            ".balign 8, 0xCC\n",
            "2:\n",
            ".8byte {m0}\n",
            ".8byte {m1}\n",
        )
    };
}

/// `naked_asm!` for a template: the thunk head, then `$line`s, with the operands both templates
/// use (closure-ffi's magic, the frame's size and field offsets) and `dispatch`, given last.
macro_rules! template_asm {
    ($($line:literal,)* dispatch = sym $dispatch:path,) => {
        naked_asm!(
            head!(),
            $($line,)*
            m0 = const CLOSURE_ADDR_MAGIC[0],
            m1 = const CLOSURE_ADDR_MAGIC[1],
            size = const FRAME_SIZE,
            gp = const GP,
            fp = const FP,
            stack = const STACK,
            ret = const RET,
            ret_fp = const RET_FP,
            dispatch = sym $dispatch,
        )
    };
}

/// `naked_asm!` for an outgoing call, `$line`s between the part both conventions share and with
/// the operands both use (the frame's field offsets). Shared: rbx and r12 (callee-saved in both)
/// keep the frame and the target; the stack area is copied 16-byte aligned below rbp; the frame
/// pointer restores rsp at the end.
macro_rules! invoke_asm {
    ($($line:literal,)*) => {
        naked_asm!(
            "push rbp",
            "mov rbp, rsp",
            "push rbx",
            "push r12",
            "mov rbx, rsi",
            "mov r12, rdi",
            "mov rcx, [rbx + {stack_bytes}]",
            "sub rsp, rcx",
            "and rsp, -16",
            // Most calls pass nothing on the stack: skip `rep movsb`, whose start-up costs more
            // than the rest of this code.
            "test rcx, rcx",
            "jz 3f",
            "mov rsi, [rbx + {stack}]",
            "mov rdi, rsp",
            "rep movsb",
            "3:",
            $($line,)*
            "lea rsp, [rbp - 16]",
            "pop r12",
            "pop rbx",
            "pop rbp",
            "ret",
            stack_bytes = const STACK_BYTES,
            stack = const STACK,
            gp = const GP,
            fp = const FP,
            ret = const RET,
            ret_fp = const RET_FP,
        )
    };
}

/// A System V thunk. Frame: push rbp (rsp is then 16-aligned), the RawFrame below it. Returns
/// rax, rdx, xmm0 and xmm1 (a struct may come back in any two of them).
// SAFETY: the register facts of this module's documentation; FRAME_SIZE is a multiple of 16
// (arch/mod.rs), so rsp is 16-aligned at the call; only r11 (the head's), rax and the argument
// registers, all volatile, are written before the dispatcher runs.
#[unsafe(naked)]
unsafe extern "sysv64" fn sysv64_template<H: Handler>() {
    template_asm!(
        "push rbp",
        "mov rbp, rsp",
        "sub rsp, {size}",
        "mov [rsp + {gp}], rdi",
        "mov [rsp + {gp} + 8], rsi",
        "mov [rsp + {gp} + 16], rdx",
        "mov [rsp + {gp} + 24], rcx",
        "mov [rsp + {gp} + 32], r8",
        "mov [rsp + {gp} + 40], r9",
        "movq [rsp + {fp}], xmm0",
        "movq [rsp + {fp} + 8], xmm1",
        "movq [rsp + {fp} + 16], xmm2",
        "movq [rsp + {fp} + 24], xmm3",
        "movq [rsp + {fp} + 32], xmm4",
        "movq [rsp + {fp} + 40], xmm5",
        "movq [rsp + {fp} + 48], xmm6",
        "movq [rsp + {fp} + 56], xmm7",
        "lea rax, [rbp + 16]",
        "mov [rsp + {stack}], rax",
        "mov rdi, r11",
        "mov rsi, rsp",
        "call {dispatch}",
        "mov rax, [rsp + {ret}]",
        "mov rdx, [rsp + {ret} + 8]",
        "movq xmm0, [rsp + {ret_fp}]",
        "movq xmm1, [rsp + {ret_fp} + 8]",
        "leave",
        "ret",
        dispatch = sym dispatch_sysv64::<H>,
    )
}

/// A Win64 thunk. Frame: push rbp, the RawFrame, and 32 bytes of shadow space for the
/// dispatcher below it. Returns rax and xmm0 (Win64 returns structs in rax or memory).
// SAFETY: as for `sysv64_template`, with Win64's registers; the 32 bytes keep rsp 16-aligned.
#[unsafe(naked)]
unsafe extern "win64" fn win64_template<H: Handler>() {
    template_asm!(
        "push rbp",
        "mov rbp, rsp",
        "sub rsp, {size} + 32",
        "mov [rsp + 32 + {gp}], rcx",
        "mov [rsp + 32 + {gp} + 8], rdx",
        "mov [rsp + 32 + {gp} + 16], r8",
        "mov [rsp + 32 + {gp} + 24], r9",
        "movq [rsp + 32 + {fp}], xmm0",
        "movq [rsp + 32 + {fp} + 8], xmm1",
        "movq [rsp + 32 + {fp} + 16], xmm2",
        "movq [rsp + 32 + {fp} + 24], xmm3",
        "lea rax, [rbp + 16]",
        "mov [rsp + 32 + {stack}], rax",
        "mov rcx, r11",
        "lea rdx, [rsp + 32]",
        "call {dispatch}",
        "mov rax, [rsp + 32 + {ret}]",
        "movq xmm0, [rsp + 32 + {ret_fp}]",
        "leave",
        "ret",
        dispatch = sym dispatch_win64::<H>,
    )
}

dispatcher!(dispatch_sysv64, "sysv64");

dispatcher!(dispatch_win64, "win64");

/// Loads the six integer and eight vector argument registers, calls, stores rax/rdx and
/// xmm0/xmm1.
// SAFETY: `invoke_asm!` copies exactly `stack_bytes` bytes from `frame.stack` (the caller's
// contract: `invoke`) to a 16-aligned area and keeps `frame` in rbx and the callee in r12, which
// the callee preserves.
#[unsafe(naked)]
unsafe extern "sysv64" fn invoke_sysv64(address: usize, frame: &mut RawFrame) {
    invoke_asm!(
        "mov rdi, [rbx + {gp}]",
        "mov rsi, [rbx + {gp} + 8]",
        "mov rdx, [rbx + {gp} + 16]",
        "mov rcx, [rbx + {gp} + 24]",
        "mov r8, [rbx + {gp} + 32]",
        "mov r9, [rbx + {gp} + 40]",
        "movq xmm0, [rbx + {fp}]",
        "movq xmm1, [rbx + {fp} + 8]",
        "movq xmm2, [rbx + {fp} + 16]",
        "movq xmm3, [rbx + {fp} + 24]",
        "movq xmm4, [rbx + {fp} + 32]",
        "movq xmm5, [rbx + {fp} + 40]",
        "movq xmm6, [rbx + {fp} + 48]",
        "movq xmm7, [rbx + {fp} + 56]",
        "mov eax, 8",
        "call r12",
        "mov [rbx + {ret}], rax",
        "mov [rbx + {ret} + 8], rdx",
        "movq [rbx + {ret_fp}], xmm0",
        "movq [rbx + {ret_fp} + 8], xmm1",
    )
}

/// As `invoke_sysv64`, for a Win64 callee: four positions in rcx/rdx/r8/r9 and xmm0-3 (the
/// frame's stack area starts with the shadow space), result in rax or xmm0. The callee
/// preserves rbx and r12 too.
// SAFETY: as for `invoke_sysv64`.
#[unsafe(naked)]
unsafe extern "sysv64" fn invoke_win64(address: usize, frame: &mut RawFrame) {
    invoke_asm!(
        "mov rcx, [rbx + {gp}]",
        "mov rdx, [rbx + {gp} + 8]",
        "mov r8, [rbx + {gp} + 16]",
        "mov r9, [rbx + {gp} + 24]",
        "movq xmm0, [rbx + {fp}]",
        "movq xmm1, [rbx + {fp} + 8]",
        "movq xmm2, [rbx + {fp} + 16]",
        "movq xmm3, [rbx + {fp} + 24]",
        "call r12",
        "mov [rbx + {ret}], rax",
        "movq [rbx + {ret_fp}], xmm0",
    )
}

/// Loads System V's six integer and eight vector argument registers from the frame (al = 8, an
/// upper bound of the vector registers a variadic callee reads) and jumps to the callee, which
/// returns to our caller: the stack is as at our entry, as a call instruction leaves it. Only
/// volatile registers are written (r11 holds the target). One body for both return types: the
/// declared type only says which return register our caller reads.
macro_rules! jump_sysv64 {
    () => {
        naked_asm!(
            "mov r11, rsi",
            "mov rax, rdi",
            "movq xmm0, [rax + {fp}]",
            "movq xmm1, [rax + {fp} + 8]",
            "movq xmm2, [rax + {fp} + 16]",
            "movq xmm3, [rax + {fp} + 24]",
            "movq xmm4, [rax + {fp} + 32]",
            "movq xmm5, [rax + {fp} + 40]",
            "movq xmm6, [rax + {fp} + 48]",
            "movq xmm7, [rax + {fp} + 56]",
            "mov rdi, [rax + {gp}]",
            "mov rsi, [rax + {gp} + 8]",
            "mov rdx, [rax + {gp} + 16]",
            "mov rcx, [rax + {gp} + 24]",
            "mov r8, [rax + {gp} + 32]",
            "mov r9, [rax + {gp} + 40]",
            "mov eax, 8",
            "jmp r11",
            gp = const GP,
            fp = const FP,
        )
    };
}

/// Win64's: RCX/RDX/R8/R9 and XMM0-3, jumped from with the 32 bytes of shadow space our caller
/// reserved for us, which the callee gets as its own.
macro_rules! jump_win64 {
    () => {
        naked_asm!(
            "mov r11, rdx",
            "mov rax, rcx",
            "movq xmm0, [rax + {fp}]",
            "movq xmm1, [rax + {fp} + 8]",
            "movq xmm2, [rax + {fp} + 16]",
            "movq xmm3, [rax + {fp} + 24]",
            "mov rcx, [rax + {gp}]",
            "mov rdx, [rax + {gp} + 8]",
            "mov r8, [rax + {gp} + 16]",
            "mov r9, [rax + {gp} + 24]",
            "jmp r11",
            gp = const GP,
            fp = const FP,
        )
    };
}

// SAFETY (the four): the register facts of this module's documentation; `registers` points to
// the registers' values (the caller's contract: `invoke_registers`).
jump_entries!("sysv64", jump_sysv64, jump_sysv64_int, jump_sysv64_float);
jump_entries!("win64", jump_win64, jump_win64_int, jump_win64_float);
