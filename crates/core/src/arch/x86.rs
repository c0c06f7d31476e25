//! x86 (32-bit): one capture template and one outgoing call for cdecl, stdcall, fastcall and
//! thiscall. The conventions differ in which arguments travel in ECX/EDX (`layout/x86.rs`) and
//! in who pops the stack arguments: the template reads the count of bytes to pop from the frame
//! (`RawFrame::callee_pops`), so there is no template per stack size; `invoke` restores the stack
//! pointer from ebp, which is right whether or not the callee popped.
//!
//! Register facts relied on (i386 psABI, Microsoft's x86 conventions):
//! - on entry [esp] is the return address and the stack arguments start at esp + 4;
//! - EAX is the only register that is scratch and carries no argument in all four conventions
//!   (ECX and EDX do for fastcall, ECX for thiscall), and closure-ffi's x86 head needs two
//!   registers: so the template saves ECX on the stack before the head and restores it after;
//! - integers return in EAX and EDX:EAX, `float`/`double` in ST0, which `invoke` pops with fstp
//!   whenever the callee pushed one (an x87 stack that is not popped overflows after 8 calls);
//! - the stack is 16-byte aligned at calls (what gcc and clang assume on Linux; more than MSVC
//!   needs), and the direction flag is clear.

use std::arch::naked_asm;

use closure_ffi::arch::consts::CLOSURE_ADDR_MAGIC;

use super::{FRAME_SIZE, GP, RET, RET_FP, STACK, STACK_BYTES};
use crate::abi::Flavor;
use crate::capture::{dispatcher, jit, Captured, Handler, Slot, Template};
use crate::frame::RawFrame;
use crate::registers::Registers;
use crate::thunk_memory::CodeMemoryError;

const X87: usize = std::mem::offset_of!(RawFrame, x87);
const CALLEE_POPS: usize = std::mem::offset_of!(RawFrame, callee_pops);

/// Makes a thunk of `flavor` calling the handler in `slot`; returns its code address.
pub(crate) fn new_code<H: Handler>(
    flavor: Flavor,
    slot: &'static Slot,
) -> Result<usize, CodeMemoryError> {
    match flavor {
        Flavor::X86(_) => jit::<H, X86>(slot),
        other => unreachable!("{other:?} is not an x86 convention"),
    }
}

/// Calls `address` with the registers and stack area in `frame`, and stores the return
/// registers there (ST0 as `float` or `double` per `frame.x87`).
///
/// # Safety
/// `address` is a function of `flavor` whose parameters are where the frame puts them, and
/// calling it with these values is sound; `frame.stack` holds `frame.stack_bytes` bytes.
pub(crate) unsafe fn invoke(flavor: Flavor, address: usize, frame: &mut RawFrame) {
    match flavor {
        // SAFETY: forwarded to the caller.
        Flavor::X86(_) => unsafe { invoke_x86(address, frame) },
        other => unreachable!("{other:?} is not an x86 convention"),
    }
}

struct X86;

impl<H: Handler> Template<H> for X86 {
    const CODE: *const u8 = x86_template::<H> as *const u8;
}

/// The thunk. After the head: EAX is the closure address and [esp] the saved ECX. Frame: ebp,
/// then the RawFrame at a 16-byte aligned esp. Returning moves the return address up by the
/// bytes to pop, so that `ret` leaves esp where the convention wants it.
// SAFETY: the register facts of this module's documentation; ECX is restored from the head's
// push before it is stored (fastcall's and thiscall's first argument); esp is 16-aligned at the
// call (`and esp, -16`, then 16 bytes of arguments); ebp and the callee-saved registers are as the
// caller left them when `ret` runs.
#[unsafe(naked)]
unsafe extern "C" fn x86_template<H: Handler>() {
    naked_asm!(
        "push ecx",
        ".balign 8",
        "mov eax, 0xC0DEC0DE",
        "mov ecx, 0xC0DEC0DE",
        "jmp ecx",
        ".4byte 0xCCCCCCCC",
        ".8byte {m0}",
        ".8byte {m1}",
        "pop ecx",
        "push ebp",
        "mov ebp, esp",
        "sub esp, {size}",
        "and esp, -16",
        "mov [esp + {gp}], ecx",
        "mov [esp + {gp} + 8], edx",
        "lea ecx, [ebp + 8]",
        "mov [esp + {stack}], ecx",
        "mov dword ptr [esp + {stack} + 4], 0",
        "mov ecx, esp",
        "sub esp, 8",
        "push ecx",
        "push eax",
        "call {dispatch}",
        "add esp, 16",
        "mov ecx, [esp + {x87}]",
        "cmp ecx, 4",
        "jne 5f",
        "fld dword ptr [esp + {ret_fp}]",
        "jmp 6f",
        "5:",
        "cmp ecx, 8",
        "jne 6f",
        "fld qword ptr [esp + {ret_fp}]",
        "6:",
        "mov eax, [esp + {ret}]",
        "mov ecx, [esp + {callee_pops}]",
        "mov edx, [ebp + 4]",
        "mov [ebp + 4 + ecx], edx",
        "lea ecx, [ebp + 4 + ecx]",
        "mov edx, [esp + {ret} + 4]",
        "mov ebp, [ebp]",
        "mov esp, ecx",
        "ret",
        m0 = const CLOSURE_ADDR_MAGIC[0],
        m1 = const CLOSURE_ADDR_MAGIC[1],
        size = const FRAME_SIZE,
        gp = const GP,
        stack = const STACK,
        ret = const RET,
        ret_fp = const RET_FP,
        x87 = const X87,
        callee_pops = const CALLEE_POPS,
        dispatch = sym dispatch_x86::<H>,
    )
}

dispatcher!(dispatch_x86, "C");

/// Copies the stack area (16-byte aligned), loads ECX and EDX, calls, stores EDX:EAX and ST0.
/// ebx, esi and edi are callee-saved in every x86 convention: ebx keeps the frame.
// SAFETY: copies exactly `stack_bytes` bytes from `frame.stack` (the caller's contract: `invoke`)
// to a 16-aligned area; a callee that pops its arguments changes only esp, which is restored from
// ebp.
#[unsafe(naked)]
unsafe extern "C" fn invoke_x86(address: usize, frame: &mut RawFrame) {
    naked_asm!(
        "push ebp",
        "mov ebp, esp",
        "push ebx",
        "push esi",
        "push edi",
        "mov ebx, [ebp + 12]",
        "mov ecx, [ebx + {stack_bytes}]",
        "sub esp, ecx",
        "and esp, -16",
        "mov esi, [ebx + {stack}]",
        "mov edi, esp",
        "rep movsb",
        "mov ecx, [ebx + {gp}]",
        "mov edx, [ebx + {gp} + 8]",
        "call [ebp + 8]",
        "mov [ebx + {ret}], eax",
        "mov [ebx + {ret} + 4], edx",
        "mov ecx, [ebx + {x87}]",
        "cmp ecx, 4",
        "jne 5f",
        "fstp dword ptr [ebx + {ret_fp}]",
        "jmp 6f",
        "5:",
        "cmp ecx, 8",
        "jne 6f",
        "fstp qword ptr [ebx + {ret_fp}]",
        "6:",
        "lea esp, [ebp - 12]",
        "pop edi",
        "pop esi",
        "pop ebx",
        "pop ebp",
        "ret",
        stack_bytes = const STACK_BYTES,
        stack = const STACK,
        gp = const GP,
        ret = const RET,
        ret_fp = const RET_FP,
        x87 = const X87,
    )
}

/// No x86 convention passes every argument in registers (`Signature::registers_only` is false
/// for all of them): never called.
pub(crate) unsafe fn invoke_registers(
    flavor: Flavor,
    _address: usize,
    _registers: &Registers,
    _float: bool,
) -> u64 {
    unreachable!("{flavor:?} passes arguments on the stack")
}
