//! Callers that fill the bits above narrow arguments with garbage, which every supported ABI
//! allows: only the low 8/16/32 bits of a register or stack slot holding an `i8`/`u8`/`bool`,
//! `i16`/`u16` or `i32`/`u32` are defined, and only the low 32 bits of a vector register or slot
//! holding an `f32`. A compiler may or may not clean those bits, so these callers are hand-written
//! assembly, one per convention, all loading the same values from [`GARBAGE`].
//!
//! Shape: `cb(i8, u8, i16, u16, i32, u32, f32, bool, i8, u16, i8) -> i64`, with some arguments in
//! registers and some on the stack in every convention:
//! - System V: the six integers in rdi..r9, the f32 in xmm0, the last four in stack slots;
//! - Win64: positions 0-3 in rcx, rdx, r8, r9, the other seven in stack slots after the shadow
//!   space (the f32 too);
//! - x86: everything on the stack in 4-byte slots, except fastcall's first two (ECX, EDX) and
//!   thiscall's first (ECX);
//! - AArch64: the integers in x0-x7, the f32 in s0 (garbage in the rest of d0), the last two on
//!   the stack: in 8-byte slots on Linux and Windows, packed on Apple (u16 at [sp], i8 at
//!   [sp + 2], as clang places them: crates/core/tests/placements).
//!
//! What a correct callee sees: -128, 255, -32768, 65535, -2147483648, 4294967295, 1.5, true, -2,
//! 54321, 100.

/// The register or slot contents of each argument, in argument order.
static GARBAGE: [u64; 11] = [
    0x1234_5678_1234_5680, // i8 -128
    0xDEAD_BEEF_CAFE_BAFF, // u8 255
    0x0BAD_F00D_1234_8000, // i16 -32768
    0xFFFF_FFFF_FFF0_FFFF, // u16 65535
    0x7777_7777_8000_0000, // i32 -2147483648
    0x0000_0001_FFFF_FFFF, // u32 4294967295
    0xDEAD_BEEF_3FC0_0000, // f32 1.5 in the low 32 bits
    0x5A5A_5A5A_5A5A_5A01, // bool true: low byte 1
    0xA5A5_A5A5_A5A5_A5FE, // i8 -2
    0x1357_9BDF_2468_D431, // u16 54321
    0xFEDC_BA98_7654_3264, // i8 100
];

pub type DirtyShape =
    unsafe extern "C" fn(i8, u8, i16, u16, i32, u32, f32, bool, i8, u16, i8) -> i64;

/// System V: `values` in rsi; rsp is 16-aligned after push rbp and the four 8-byte slots.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
unsafe extern "sysv64" fn dirty_sysv64(cb: *const (), values: *const u64) -> i64 {
    std::arch::naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "sub rsp, 32",
        "mov rax, rdi",
        "mov r10, rsi",
        "mov r11, [r10 + 56]",
        "mov [rsp], r11",
        "mov r11, [r10 + 64]",
        "mov [rsp + 8], r11",
        "mov r11, [r10 + 72]",
        "mov [rsp + 16], r11",
        "mov r11, [r10 + 80]",
        "mov [rsp + 24], r11",
        "mov rdi, [r10]",
        "mov rsi, [r10 + 8]",
        "mov rdx, [r10 + 16]",
        "mov rcx, [r10 + 24]",
        "mov r8, [r10 + 32]",
        "mov r9, [r10 + 40]",
        "movq xmm0, [r10 + 48]",
        "call rax",
        "leave",
        "ret",
    )
}

/// Win64: `values` in rdx; 32 bytes of shadow space and seven slots (96 bytes keep rsp aligned).
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
unsafe extern "win64" fn dirty_win64(cb: *const (), values: *const u64) -> i64 {
    std::arch::naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "sub rsp, 96",
        "mov rax, rcx",
        "mov r10, rdx",
        "mov r11, [r10 + 32]",
        "mov [rsp + 32], r11",
        "mov r11, [r10 + 40]",
        "mov [rsp + 40], r11",
        "mov r11, [r10 + 48]",
        "mov [rsp + 48], r11",
        "mov r11, [r10 + 56]",
        "mov [rsp + 56], r11",
        "mov r11, [r10 + 64]",
        "mov [rsp + 64], r11",
        "mov r11, [r10 + 72]",
        "mov [rsp + 72], r11",
        "mov r11, [r10 + 80]",
        "mov [rsp + 80], r11",
        "mov rcx, [r10]",
        "mov rdx, [r10 + 8]",
        "mov r8, [r10 + 16]",
        "mov r9, [r10 + 24]",
        "call rax",
        "leave",
        "ret",
    )
}

/// An AArch64 caller: `values` in x1, the frame record, then 16 bytes of stack arguments below
/// it, stored by `$store` (x9 and x10 hold the last two values), registers as the other variants.
macro_rules! dirty_aapcs64 {
    ($(#[$meta:meta])* $($store:literal),*) => {
        $(#[$meta])*
        #[unsafe(naked)]
        unsafe extern "C" fn dirty_aapcs64(cb: *const (), values: *const u64) -> i64 {
            std::arch::naked_asm!(
                "stp x29, x30, [sp, #-16]!",
                "mov x29, sp",
                "sub sp, sp, #16",
                "mov x16, x0",
                "mov x17, x1",
                "ldp x9, x10, [x17, #72]",
                $($store,)*
                "ldr d0, [x17, #48]",
                "ldp x0, x1, [x17]",
                "ldp x2, x3, [x17, #16]",
                "ldp x4, x5, [x17, #32]",
                "ldr x6, [x17, #56]",
                "ldr x7, [x17, #64]",
                "blr x16",
                "mov sp, x29",
                "ldp x29, x30, [sp], #16",
                "ret",
            )
        }
    };
}

dirty_aapcs64!(
    /// Linux and Windows: the u16 and the i8 in 8-byte slots.
    #[cfg(all(target_arch = "aarch64", not(target_vendor = "apple")))]
    "stp x9, x10, [sp]"
);
dirty_aapcs64!(
    /// Apple, whose stack arguments are packed: the u16 at [sp] (its 8-byte value written whole,
    /// so bytes 3-7 are garbage) and the i8 at [sp + 2].
    #[cfg(all(target_arch = "aarch64", target_vendor = "apple"))]
    "str x9, [sp]",
    "strb w10, [sp, #2]"
);

/// An x86 caller: the low halves of `values[$first..]` in 4-byte stack slots from [esp], then the
/// register loads `$load` (esi holds `values`). esp is restored from ebp, so it serves a callee that
/// pops its arguments and one that does not.
macro_rules! dirty_x86 {
    ($(#[$doc:meta])* $name:ident, $first:literal $(, $load:literal)*) => {
        $(#[$doc])*
        #[cfg(target_arch = "x86")]
        #[unsafe(naked)]
        unsafe extern "C" fn $name(cb: *const (), values: *const u64) -> i64 {
            std::arch::naked_asm!(
                "push ebp",
                "mov ebp, esp",
                "push esi",
                "push edi",
                "mov esi, [ebp + 12]",
                "sub esp, 48",
                "and esp, -16",
                "mov edi, esp",
                "lea eax, [esi + 8 * {first}]",
                "mov ecx, 11 - {first}",
                "2:",
                "mov edx, [eax]",
                "mov [edi], edx",
                "add eax, 8",
                "add edi, 4",
                "dec ecx",
                "jnz 2b",
                $($load,)*
                "call [ebp + 8]",
                "lea esp, [ebp - 8]",
                "pop edi",
                "pop esi",
                "pop ebp",
                "ret",
                first = const $first,
            )
        }
    };
}

dirty_x86!(
    /// x86 cdecl and stdcall: every argument on the stack.
    dirty_x86_stack,
    0
);
dirty_x86!(
    /// x86 fastcall: the i8 in ECX and the u8 in EDX, the other nine on the stack.
    dirty_x86_fastcall,
    2,
    "mov ecx, [esi]",
    "mov edx, [esi + 8]"
);
dirty_x86!(
    /// x86 thiscall: the i8 (`this`) in ECX, the other ten on the stack.
    dirty_x86_thiscall,
    1,
    "mov ecx, [esi]"
);

/// `tl_call_dirty_narrow_$abi`: the garbage-filled call through `$caller`, for a `cb` of the
/// convention `$abi` names.
macro_rules! dirty_export {
    ($name:ident, $caller:ident, $abi:literal, $arch:literal) => {
        #[doc = concat!("As [`tl_call_dirty_narrow`], calling `cb` as an `extern \"", $abi, "\"` function.")]
        ///
        /// # Safety
        /// `cb` must be a function of that convention and the [`DirtyShape`] signature.
        #[cfg(target_arch = $arch)]
        #[no_mangle]
        pub unsafe extern "C" fn $name(cb: *const ()) -> i64 {
            $caller(cb, GARBAGE.as_ptr())
        }
    };
}

dirty_export!(tl_call_dirty_narrow_win64, dirty_win64, "win64", "x86_64");
dirty_export!(
    tl_call_dirty_narrow_sysv64,
    dirty_sysv64,
    "sysv64",
    "x86_64"
);
dirty_export!(
    tl_call_dirty_narrow_stdcall,
    dirty_x86_stack,
    "stdcall",
    "x86"
);
dirty_export!(
    tl_call_dirty_narrow_fastcall,
    dirty_x86_fastcall,
    "fastcall",
    "x86"
);
dirty_export!(
    tl_call_dirty_narrow_thiscall,
    dirty_x86_thiscall,
    "thiscall",
    "x86"
);

/// Calls `cb` in this platform's C convention with the garbage-filled arguments described above;
/// returns what it returned.
///
/// # Safety
/// `cb` must be a function of the [`DirtyShape`] signature.
#[no_mangle]
pub unsafe extern "C" fn tl_call_dirty_narrow(cb: DirtyShape) -> i64 {
    let (cb, values) = (cb as *const (), GARBAGE.as_ptr());
    #[cfg(all(target_arch = "x86_64", not(windows)))]
    return dirty_sysv64(cb, values);
    #[cfg(all(target_arch = "x86_64", windows))]
    return dirty_win64(cb, values);
    #[cfg(target_arch = "aarch64")]
    return dirty_aapcs64(cb, values);
    #[cfg(target_arch = "x86")]
    return dirty_x86_stack(cb, values);
}
