//! Signature validation, and each ABI's argument assignment as a table, run on any host (the
//! layout code is pure). Shapes are named after libffi's tests; every flavor has a column.

use bare_fn_core::abi::{Aapcs64, X86Conv};
use bare_fn_core::layout::Loc::{Fp, Gp, Stack};
use bare_fn_core::layout::{Exit, Loc};
use bare_fn_core::{CallConv, Flavor, Param, SigError, Signature, Type, MAX_ARGS};
use Type::*;

/// A layout of scalars only: one location per argument.
struct Layout {
    locs: Vec<Loc>,
    stack_bytes: u16,
    exit: Exit,
}

fn layout(flavor: Flavor, ret: Type, args: &[Type]) -> Layout {
    let args: Vec<Param> = args.iter().map(|&t| t.into()).collect();
    let l = bare_fn_core::layout::layout(flavor, &ret.into(), &args);
    Layout {
        locs: l.locs(),
        stack_bytes: l.stack_bytes,
        exit: l.exit,
    }
}

fn locs(flavor: Flavor, args: &[Type]) -> Vec<Loc> {
    layout(flavor, Void, args).locs
}

const LINUX_ARM: Flavor = Flavor::Aapcs64(Aapcs64::Standard);
const APPLE_ARM: Flavor = Flavor::Aapcs64(Aapcs64::Darwin);
const WINDOWS_ARM: Flavor = Flavor::Aapcs64(Aapcs64::Windows);

#[test]
fn sysv64_counts_integer_and_float_registers_independently() {
    let args = [I32, F64, Pointer, F32];
    assert_eq!(locs(Flavor::SysV64, &args), [Gp(0), Fp(0), Gp(1), Fp(1)]);
}

#[test]
fn sysv64_overflow_takes_8_byte_slots_in_argument_order() {
    let mut args = vec![I64; 7];
    args.extend([F64; 9]);
    let l = layout(Flavor::SysV64, Void, &args);
    assert_eq!(l.locs[5], Gp(5));
    assert_eq!(l.locs[6], Stack(0));
    assert_eq!(l.locs[14], Fp(7));
    assert_eq!(l.locs[15], Stack(8));
    assert_eq!(l.stack_bytes, 16);
}

#[test]
fn sysv64_sixteen_narrow_integers_use_ten_slots() {
    let l = layout(Flavor::SysV64, I64, &[U8; 16]);
    assert_eq!(
        l.locs[6..],
        (0..10).map(|i| Stack(8 * i)).collect::<Vec<_>>()
    );
    assert_eq!(l.stack_bytes, 80);
}

#[test]
fn win64_assigns_the_first_four_by_position() {
    // Position n is RCX/RDX/R8/R9 or XMMn: a float at position 1 leaves RDX unused.
    let args = [I32, F64, U8, F32, I64, F64];
    let l = layout(Flavor::Win64, Void, &args);
    assert_eq!(l.locs, [Gp(0), Fp(1), Gp(2), Fp(3), Stack(32), Stack(40)]);
    assert_eq!(l.stack_bytes, 48, "shadow space and two slots");
}

#[test]
fn win64_always_reserves_the_shadow_space() {
    assert_eq!(layout(Flavor::Win64, I32, &[]).stack_bytes, 32);
    let l = layout(Flavor::Win64, Void, &[F32; 16]);
    assert_eq!(l.locs[..4], [Fp(0), Fp(1), Fp(2), Fp(3)]);
    assert_eq!(l.locs[15], Stack(32 + 8 * 11));
    assert_eq!(l.stack_bytes, 32 + 8 * 12);
}

#[test]
fn aapcs64_has_eight_registers_of_each_class() {
    let mut args = vec![U16; 9];
    args.extend([F32; 7]);
    for flavor in [LINUX_ARM, APPLE_ARM, WINDOWS_ARM] {
        let l = locs(flavor, &args);
        assert_eq!(l[7], Gp(7), "{flavor:?}");
        assert_eq!(l[8], Stack(0), "{flavor:?}");
        assert_eq!(l[9..], (0..7).map(Fp).collect::<Vec<_>>(), "{flavor:?}");
    }
}

#[test]
fn aapcs64_stack_slots_are_8_bytes_except_on_apple() {
    // Eight pointers fill x0-x7; then u8, u8, u16, i32, u8, i64 go on the stack: Linux and
    // Windows give each an 8-byte slot, Apple packs them at natural alignment.
    let args: Vec<Type> = [vec![Pointer; 8], vec![U8, U8, U16, I32, U8, I64]].concat();
    for flavor in [LINUX_ARM, WINDOWS_ARM] {
        let l = layout(flavor, Void, &args);
        assert_eq!(
            l.locs[8..],
            [
                Stack(0),
                Stack(8),
                Stack(16),
                Stack(24),
                Stack(32),
                Stack(40)
            ]
        );
        assert_eq!(l.stack_bytes, 48);
    }
    let l = layout(APPLE_ARM, Void, &args);
    assert_eq!(
        l.locs[8..],
        [Stack(0), Stack(1), Stack(2), Stack(4), Stack(8), Stack(16)]
    );
    assert_eq!(l.stack_bytes, 24);
}

#[test]
fn apple_packs_floats_on_the_stack_at_their_size() {
    let args: Vec<Type> = [vec![F64; 8], vec![F32, F32, F64, F32]].concat();
    let l = layout(APPLE_ARM, Void, &args);
    assert_eq!(l.locs[8..], [Stack(0), Stack(4), Stack(8), Stack(16)]);
    assert_eq!(l.stack_bytes, 24, "rounded up to 8");
}

#[test]
fn x86_cdecl_and_stdcall_put_everything_on_the_stack() {
    let args = [U8, I64, F32, F64, Pointer];
    for conv in [X86Conv::Cdecl, X86Conv::Stdcall] {
        let l = layout(Flavor::X86(conv), Void, &args);
        assert_eq!(
            l.locs,
            [Stack(0), Stack(4), Stack(12), Stack(16), Stack(24)]
        );
        assert_eq!(l.stack_bytes, 28);
    }
    assert_eq!(
        layout(Flavor::X86(X86Conv::Cdecl), Void, &args).exit,
        Exit::default()
    );
    assert_eq!(
        layout(Flavor::X86(X86Conv::Stdcall), Void, &args).exit,
        Exit {
            callee_pops: 28,
            x87: 0
        }
    );
}

#[test]
fn x86_fastcall_takes_ecx_and_edx_for_small_integers() {
    // Floats never take registers and leave them free.
    let args = [F32, U16, F64, Pointer, I32];
    let l = layout(Flavor::X86(X86Conv::Fastcall), Void, &args);
    assert_eq!(l.locs, [Stack(0), Gp(0), Stack(4), Gp(1), Stack(12)]);
    assert_eq!(l.exit.callee_pops, 16);
}

#[test]
fn x86_fastcall_a_64_bit_integer_that_does_not_fit_ends_register_use() {
    // (u32, u64, u32, u32): ECX, then the u64 needs two units with one left: stack, and so is
    // everything after it (clang and rustc: `ret $16`).
    let l = layout(Flavor::X86(X86Conv::Fastcall), Void, &[U32, U64, U32, U32]);
    assert_eq!(l.locs, [Gp(0), Stack(0), Stack(8), Stack(12)]);
    assert_eq!(l.exit.callee_pops, 16);
    // A first u64 takes both units, yet goes on the stack.
    let l = layout(Flavor::X86(X86Conv::Fastcall), Void, &[I64, I32]);
    assert_eq!(l.locs, [Stack(0), Stack(8)]);
}

#[test]
fn x86_thiscall_takes_ecx_for_this() {
    let l = layout(Flavor::X86(X86Conv::Thiscall), Void, &[Pointer, I32, U8]);
    assert_eq!(l.locs, [Gp(0), Stack(0), Stack(4)]);
    assert_eq!(l.exit.callee_pops, 8);
}

/// `Signature::new` resolves on the host: there thiscall is an x86 convention only on x86.
#[cfg(target_arch = "x86")]
#[test]
fn x86_thiscall_needs_a_this() {
    for (args, got) in [
        (vec![F64, I32], "f64"),
        (vec![], "no arguments"),
        (vec![I64], "i64"),
    ] {
        let err = Signature::new(Void, args, CallConv::Thiscall).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "a thiscall function's first argument is `this`: a pointer or an integer of at \
                 most 32 bits; got {got}"
            )
        );
    }
}

#[test]
fn x86_float_returns_use_the_x87_stack() {
    let f = |ret| layout(Flavor::X86(X86Conv::Cdecl), ret, &[]).exit.x87;
    assert_eq!((f(F32), f(F64), f(I64), f(Void)), (4, 8, 0, 0));
}

#[test]
fn only_x86_callees_pop() {
    for flavor in [
        Flavor::SysV64,
        Flavor::Win64,
        LINUX_ARM,
        APPLE_ARM,
        WINDOWS_ARM,
    ] {
        let l: Layout = layout(flavor, F64, &[I64; 16]);
        assert_eq!(l.exit, Exit::default(), "{flavor:?}");
    }
}

#[test]
fn too_many_arguments_is_an_error() {
    let err = Signature::new(Void, vec![I32; MAX_ARGS + 1], CallConv::C).unwrap_err();
    assert_eq!(err, SigError::TooManyArgs { count: 17 });
    assert_eq!(
        err.to_string(),
        "a signature takes at most 16 arguments, got 17"
    );
}

#[test]
fn void_argument_is_an_error() {
    let err = Signature::new(Void, vec![I32, Void], CallConv::C).unwrap_err();
    assert_eq!(err, SigError::VoidArgument { index: 1 });
}

#[test]
fn display_names_types_and_non_c_conventions() {
    assert_eq!(
        Signature::new(I32, vec![Pointer, Pointer], CallConv::C)
            .unwrap()
            .to_string(),
        "(pointer, pointer) -> i32"
    );
    let s = Signature::new(Void, vec![U32, F64], CallConv::System).unwrap();
    assert_eq!(s.to_string(), "extern \"system\" (u32, f64) -> void");
}

#[test]
fn the_largest_stack_area_of_every_flavor_fits_the_outgoing_call_buffer() {
    // ABI assumption of call_raw: `invoke` copies `stack_bytes` bytes out of a MAX_STACK_BYTES
    // buffer. The largest areas: MAX_ARGS 8-byte values of each class, and all on the stack.
    use bare_fn_core::frame::MAX_STACK_BYTES;
    for flavor in Flavor::ALL {
        for ty in [I64, F64, U8, Pointer] {
            let args = vec![ty; MAX_ARGS];
            let bytes = usize::from(layout(flavor, Void, &args).stack_bytes);
            assert!(bytes <= MAX_STACK_BYTES, "{flavor:?} {ty}: {bytes} bytes");
        }
    }
}
