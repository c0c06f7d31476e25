//! A caller that fills the bits above narrow arguments with garbage, which the x86-64 SysV ABI
//! allows: only the low 8/16/32 bits of a register or stack slot holding an `i8`/`u8`/`bool`,
//! `i16`/`u16` or `i32`/`u32` are defined, and only the low 32 bits of an xmm register holding an
//! `f32`. A compiler may or may not clean those bits, so this caller is hand-written assembly.
//!
//! Shape: `cb(i8, u8, i16, u16, i32, u32, f32, bool, i8) -> i64`. The first six go in
//! rdi, rsi, rdx, rcx, r8, r9; the f32 in xmm0; the bool and the last i8 in the first two stack
//! slots. Values (what a correct callee sees): -128, 255, -32768, 65535, -2147483648, 4294967295,
//! 1.5, true, -2.

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
std::arch::global_asm!(
    ".pushsection .text.bare_fn_testlib_dirty,\"ax\",@progbits",
    ".globl bare_fn_testlib_dirty_call",
    ".type bare_fn_testlib_dirty_call,@function",
    "bare_fn_testlib_dirty_call:",
    // On entry rsp = 16k + 8 (the return address was pushed).
    "push rbp",
    "mov rbp, rsp",
    "mov rax, rdi",
    // Two stack-argument slots; rsp stays 16-byte aligned for the call.
    "sub rsp, 16",
    "movabs r10, 0x5A5A5A5A5A5A5A01", // bool true: low byte 1, garbage above
    "mov [rsp], r10",
    "movabs r10, 0xA5A5A5A5A5A5A5FE", // i8 -2: low byte 0xFE, garbage above
    "mov [rsp + 8], r10",
    "movabs rdi, 0x1234567812345680", // i8 -128
    "movabs rsi, 0xDEADBEEFCAFEBAFF", // u8 255
    "movabs rdx, 0x0BADF00D12348000", // i16 -32768
    "movabs rcx, 0xFFFFFFFFFFF0FFFF", // u16 65535
    "movabs r8, 0x7777777780000000",  // i32 -2147483648
    "movabs r9, 0x00000001FFFFFFFF",  // u32 4294967295
    "movabs r10, 0xDEADBEEF3FC00000", // f32 1.5 in the low 32 bits, garbage above
    "movq xmm0, r10",
    "call rax",
    "leave",
    "ret",
    ".size bare_fn_testlib_dirty_call, . - bare_fn_testlib_dirty_call",
    ".popsection",
);

pub type DirtyShape = unsafe extern "C" fn(i8, u8, i16, u16, i32, u32, f32, bool, i8) -> i64;

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
extern "C" {
    fn bare_fn_testlib_dirty_call(cb: DirtyShape) -> i64;
}

/// Calls `cb` with the garbage-filled arguments described above; returns what it returned.
///
/// # Safety
/// `cb` must be a function of the [`DirtyShape`] signature.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[no_mangle]
pub unsafe extern "C" fn tl_call_dirty_narrow(cb: DirtyShape) -> i64 {
    bare_fn_testlib_dirty_call(cb)
}
