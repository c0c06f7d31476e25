//! ABI assumption (arch/x86_64.rs): a thunk preserves every register its convention makes
//! callee-saved, although its handler is Rust code of another convention: each template calls a
//! dispatcher of its own convention, which saves what the handler may clobber. Checked by
//! assembly callers that put sentinels in those registers, call a thunk whose handler works
//! the floating-point and integer registers hard, and report which sentinel changed.
#![cfg(target_arch = "x86_64")]

use std::arch::naked_asm;
use std::sync::Arc;

use bare_fn_core::{CallConv, Frame, Handler, Signature, Thunk, Type};

/// Sums and multiplies enough values that the compiler uses many registers of both files.
struct Busy;

impl Handler for Busy {
    fn call(self: &Arc<Self>, _: &mut Frame<'_>) -> u64 {
        let floats: Vec<f64> = (0..64).map(f64::from).collect();
        let ints: Vec<u64> = (0..64).collect();
        let f = floats.iter().fold(1.0, |acc, x| acc * 0.5 + x * 1.25);
        let i = ints.iter().fold(7u64, |acc, x| acc.wrapping_mul(31) ^ x);
        std::hint::black_box(f).to_bits() ^ std::hint::black_box(i)
    }
    fn on_panic(&self) -> u64 {
        0
    }
}

/// Calls `f` (no arguments) with sentinels in rbx, rbp, r12-r15, which System V and Win64 both
/// make callee-saved; returns a bit per register that changed (bit 0 rbx, 1 rbp, 2 r12 … 5
/// r15). 40 bytes below the return address: Win64's 32-byte shadow space, and alignment.
#[unsafe(naked)]
extern "sysv64" fn shared_call_checking(f: usize) -> u64 {
    naked_asm!(
        "push rbx",
        "push rbp",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "sub rsp, 40",
        "mov rax, rdi",
        "mov rbx, 0x1111",
        "mov rbp, 0x2222",
        "mov r12, 0x3333",
        "mov r13, 0x4444",
        "mov r14, 0x5555",
        "mov r15, 0x6666",
        "call rax",
        "xor eax, eax",
        "cmp rbx, 0x1111",
        "setne cl",
        "movzx ecx, cl",
        "or rax, rcx",
        "cmp rbp, 0x2222",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 1",
        "or rax, rcx",
        "cmp r12, 0x3333",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 2",
        "or rax, rcx",
        "cmp r13, 0x4444",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 3",
        "or rax, rcx",
        "cmp r14, 0x5555",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 4",
        "or rax, rcx",
        "cmp r15, 0x6666",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 5",
        "or rax, rcx",
        "add rsp, 40",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbp",
        "pop rbx",
        "ret",
    )
}

/// Calls `f` (Win64, no arguments) with sentinels in rdi, rsi and xmm6-xmm15 (what Win64 adds
/// to System V's callee-saved set; those are checked above); returns a bit per register that
/// changed (bit 0 rdi, 1 rsi, 2 xmm6 … 11 xmm15). It need not restore them for its own caller:
/// it is a System V function, for which they are scratch.
#[unsafe(naked)]
extern "sysv64" fn win64_call_checking(f: usize) -> u64 {
    naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "push rbx",
        "push r12",
        "sub rsp, 48",
        "mov rax, rdi",
        "mov rdi, 0x7777",
        "mov rsi, 0x8888",
        "mov r12, 0x0606",
        "movq xmm6, r12",
        "mov r12, 0x0707",
        "movq xmm7, r12",
        "mov r12, 0x0808",
        "movq xmm8, r12",
        "mov r12, 0x0909",
        "movq xmm9, r12",
        "mov r12, 0x0a0a",
        "movq xmm10, r12",
        "mov r12, 0x0b0b",
        "movq xmm11, r12",
        "mov r12, 0x0c0c",
        "movq xmm12, r12",
        "mov r12, 0x0d0d",
        "movq xmm13, r12",
        "mov r12, 0x0e0e",
        "movq xmm14, r12",
        "mov r12, 0x0f0f",
        "movq xmm15, r12",
        "call rax", // 48 bytes below: the callee's 32-byte shadow space and alignment
        "xor ebx, ebx",
        "cmp rdi, 0x7777",
        "setne cl",
        "movzx ecx, cl",
        "or rbx, rcx",
        "cmp rsi, 0x8888",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 1",
        "or rbx, rcx",
        "movq rdx, xmm6",
        "cmp rdx, 0x0606",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 2",
        "or rbx, rcx",
        "movq rdx, xmm7",
        "cmp rdx, 0x0707",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 3",
        "or rbx, rcx",
        "movq rdx, xmm8",
        "cmp rdx, 0x0808",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 4",
        "or rbx, rcx",
        "movq rdx, xmm9",
        "cmp rdx, 0x0909",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 5",
        "or rbx, rcx",
        "movq rdx, xmm10",
        "cmp rdx, 0x0a0a",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 6",
        "or rbx, rcx",
        "movq rdx, xmm11",
        "cmp rdx, 0x0b0b",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 7",
        "or rbx, rcx",
        "movq rdx, xmm12",
        "cmp rdx, 0x0c0c",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 8",
        "or rbx, rcx",
        "movq rdx, xmm13",
        "cmp rdx, 0x0d0d",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 9",
        "or rbx, rcx",
        "movq rdx, xmm14",
        "cmp rdx, 0x0e0e",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 10",
        "or rbx, rcx",
        "movq rdx, xmm15",
        "cmp rdx, 0x0f0f",
        "setne cl",
        "movzx ecx, cl",
        "shl ecx, 11",
        "or rbx, rcx",
        "mov rax, rbx",
        "lea rsp, [rbp - 16]",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
    )
}

fn thunk(conv: CallConv) -> Thunk<Busy> {
    let sig = Signature::new(Type::U64, Vec::<Type>::new(), conv).unwrap();
    Thunk::new(&sig, Arc::new(Busy)).unwrap()
}

#[test]
fn a_system_v_thunk_preserves_rbx_rbp_and_r12_to_r15() {
    let t = thunk(CallConv::Sysv64);
    assert_eq!(
        shared_call_checking(t.address()),
        0,
        "bit per changed register"
    );
}

#[test]
fn a_win64_thunk_preserves_rdi_rsi_and_xmm6_to_xmm15_too() {
    let t = thunk(CallConv::Win64);
    assert_eq!(
        shared_call_checking(t.address()),
        0,
        "bit per changed register"
    );
    assert_eq!(
        win64_call_checking(t.address()),
        0,
        "bit per changed register"
    );
}
