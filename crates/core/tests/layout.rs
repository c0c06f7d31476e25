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

// Structs by value: where each ABI puts them, as tables (every target's on any host; the
// host's and qemu's are also run end to end by tests/by_value.rs and the JS suite).

mod by_value {
    use super::*;
    use bare_fn_core::abi::{Arch, Os, Target};
    use bare_fn_core::layout::{layout_on, Part, Place, Return};
    use bare_fn_core::Struct;

    /// A struct laid out for `arch` and `os`.
    fn struct_on(arch: Arch, os: Os, descriptor: &str) -> Param {
        Struct::parse(descriptor, Target { arch, os })
            .unwrap()
            .into()
    }

    /// A struct laid out for a 64-bit target (the same on x86-64 and AArch64 for these).
    fn st(descriptor: &str) -> Param {
        struct_on(Arch::X86_64, Os::Linux, descriptor)
    }

    fn st32(descriptor: &str, os: Os) -> Param {
        struct_on(Arch::X86, os, descriptor)
    }

    fn part(loc: Loc, offset: u16, size: u16) -> Part {
        Part { loc, offset, size }
    }

    fn parts(list: &[(Loc, u16, u16)]) -> Place {
        Place::Parts(list.iter().map(|&(l, o, s)| part(l, o, s)).collect())
    }

    fn on(os: Os, flavor: Flavor, ret: Param, args: &[Param]) -> bare_fn_core::layout::Layout {
        layout_on(os, flavor, &ret, args, None)
    }

    #[test]
    fn sysv64_classifies_each_eightbyte() {
        let mixed = st("{f64,i64}");
        let l = on(
            Os::Linux,
            Flavor::SysV64,
            mixed.clone(),
            &[st("{f32,f32,f32}"), mixed],
        );
        // Two f32 share xmm0's low 8 bytes; the third is alone in xmm1.
        assert_eq!(l.places[0], parts(&[(Fp(0), 0, 8), (Fp(1), 8, 4)]));
        assert_eq!(l.places[1], parts(&[(Fp(2), 0, 8), (Gp(0), 8, 8)]));
        // Returned: the SSE eightbyte in xmm0, the INTEGER one in rax.
        assert_eq!(
            l.ret,
            Return::Parts(vec![part(Fp(0), 0, 8), part(Gp(0), 8, 8)])
        );
    }

    #[test]
    fn sysv64_memory_class_and_structs_that_do_not_fit() {
        // Larger than 16 bytes, or packed with a misaligned member: on the stack, and returned
        // through the hidden pointer in rdi, which moves the integer arguments on.
        let big = st("{f64,f64,f64}");
        let l = on(
            Os::Linux,
            Flavor::SysV64,
            big.clone(),
            &[big.clone(), I32.into(), st("{u8,u32}@1")],
        );
        assert_eq!(l.ret, Return::Memory(Gp(0)));
        assert_eq!(l.places[0], parts(&[(Stack(0), 0, 24)]));
        assert_eq!(l.places[1], Place::Scalar(Gp(1)));
        assert_eq!(l.places[2], parts(&[(Stack(24), 0, 5)]));
        assert_eq!(l.stack_bytes, 32);
        // Five integers leave one register: a two-eightbyte struct goes to the stack whole and a
        // later integer still takes the last register.
        let mut args: Vec<Param> = vec![I64.into(); 5];
        args.extend([st("{i64,i64}"), I32.into()]);
        let l = on(Os::Linux, Flavor::SysV64, Void.into(), &args);
        assert_eq!(l.places[5], parts(&[(Stack(0), 0, 16)]));
        assert_eq!(l.places[6], Place::Scalar(Gp(5)));
    }

    #[test]
    fn win64_passes_1_2_4_8_bytes_as_integers_and_the_rest_by_reference() {
        let l = on(
            Os::Windows,
            Flavor::Win64,
            st("{f64,f64}"),
            &[
                st("{f64}"),
                st("{u8,u8,u8}"),
                st("{f32,f32}"),
                st("{u8}"),
                st("{i64,i64}"),
            ],
        );
        // The 16-byte result goes through a hidden pointer in RCX: the arguments move one on.
        assert_eq!(l.ret, Return::Memory(Gp(0)));
        assert_eq!(
            l.places[0],
            parts(&[(Gp(1), 0, 8)]),
            "a double in a struct travels in RDX, not XMM1"
        );
        assert_eq!(l.places[1], Place::Reference(Gp(2)));
        assert_eq!(l.places[2], parts(&[(Gp(3), 0, 8)]));
        assert_eq!(l.places[3], parts(&[(Stack(32), 0, 1)]));
        assert_eq!(l.places[4], Place::Reference(Stack(40)));
        assert_eq!(l.stack_bytes, 48);
        let l = on(Os::Windows, Flavor::Win64, st("{u8,u8,u8,u8}"), &[]);
        assert_eq!(l.ret, Return::Parts(vec![part(Gp(0), 0, 4)]));
    }

    #[test]
    fn aapcs64_homogeneous_float_aggregates() {
        let f4 = st("{f32,f32,f32,f32}");
        for flavor in [LINUX_ARM, APPLE_ARM, WINDOWS_ARM] {
            let l = on(
                Os::Linux,
                flavor,
                f4.clone(),
                &[F64.into(), f4.clone(), st("{[f64;4]}")],
            );
            let each: Vec<Part> = (0..4).map(|i| part(Fp(i), 4 * u16::from(i), 4)).collect();
            assert_eq!(l.ret, Return::Parts(each), "{flavor:?}");
            assert_eq!(
                l.places[1],
                parts(&[(Fp(1), 0, 4), (Fp(2), 4, 4), (Fp(3), 8, 4), (Fp(4), 12, 4)])
            );
            // Four doubles (32 bytes) are an HFA too: with three v registers left, all of it
            // goes on the stack.
            assert_eq!(
                l.places[2],
                parts(&[(Stack(0), 0, 32)]),
                "{flavor:?}: v5-v7 are too few"
            );
        }
    }

    #[test]
    fn unions_are_classified_by_their_overlapping_members() {
        // System V merges each eightbyte's classes: a double over a long is INTEGER, floats over
        // floats SSE; the second eightbyte of <f64,[u8;12]> holds only bytes: INTEGER.
        let l = on(
            Os::Linux,
            Flavor::SysV64,
            Void.into(),
            &[st("<f64,i64>"), st("<f32,[f32;2]>"), st("<f64,[u8;12]>")],
        );
        assert_eq!(l.places[0], parts(&[(Gp(0), 0, 8)]));
        assert_eq!(l.places[1], parts(&[(Fp(0), 0, 8)]));
        assert_eq!(l.places[2], parts(&[(Gp(1), 0, 8), (Gp(2), 8, 8)]));
        // AAPCS64: a union of floats of one type is an HFA of its size in elements, whatever
        // its members; a union with an integer, or of two float types, is not.
        for flavor in [LINUX_ARM, APPLE_ARM, WINDOWS_ARM] {
            let l = on(
                Os::Linux,
                flavor,
                st("<f32,[f32;3],{f32,f32}>"),
                &[st("<f64,{f64,f64}>"), st("<f32,i32>"), st("<f32,f64>")],
            );
            let each: Vec<Part> = (0..3).map(|i| part(Fp(i), 4 * u16::from(i), 4)).collect();
            assert_eq!(l.ret, Return::Parts(each), "{flavor:?}");
            assert_eq!(l.places[0], parts(&[(Fp(0), 0, 8), (Fp(1), 8, 8)]));
            assert_eq!(l.places[1], parts(&[(Gp(0), 0, 4)]));
            assert_eq!(l.places[2], parts(&[(Gp(1), 0, 8)]));
        }
        // Win64: by size alone.
        let l = on(
            Os::Windows,
            Flavor::Win64,
            st("<f64,u8>"),
            &[st("<f32,[u8;3]>"), st("<f64,[u8;9]>")],
        );
        assert_eq!(l.ret, Return::Parts(vec![part(Gp(0), 0, 8)]));
        assert_eq!(l.places[0], parts(&[(Gp(0), 0, 4)]));
        assert_eq!(l.places[1], Place::Reference(Gp(1)));
    }

    #[test]
    fn aapcs64_structs_on_the_stack_differ_on_apple() {
        // After eight doubles, {f32,f32,f32} and an f32 go on the stack: Linux and Windows give
        // the struct 16 bytes and the float sp+16; Apple packs the float at sp+12 (clang 14 for
        // arm64-apple-macos11: `stp` of the struct's 12 bytes and the float at [sp]).
        let mut args: Vec<Param> = vec![F64.into(); 8];
        args.extend([st("{f32,f32,f32}"), F32.into(), st("{u8,u8,u8}"), I8.into()]);
        for (flavor, float_at) in [(LINUX_ARM, 16), (WINDOWS_ARM, 16), (APPLE_ARM, 12)] {
            let l = on(Os::Linux, flavor, Void.into(), &args);
            assert_eq!(l.places[8], parts(&[(Stack(0), 0, 12)]), "{flavor:?}");
            assert_eq!(l.places[9], Place::Scalar(Stack(float_at)), "{flavor:?}");
            assert_eq!(l.places[10], parts(&[(Gp(0), 0, 3)]), "{flavor:?}");
        }
    }

    #[test]
    fn aapcs64_larger_structs_by_reference_and_returned_through_x8() {
        let big = st("{i64,i64,i64}");
        let mut args: Vec<Param> = vec![Pointer.into(); 7];
        args.extend([st("{i64,i64}"), big.clone(), I32.into()]);
        let l = on(Os::Linux, LINUX_ARM, big, &args);
        assert_eq!(
            l.ret,
            Return::Memory(Loc::ResultRegister),
            "x8, not an argument register"
        );
        // One x register left is too few for 16 bytes: the struct goes on the stack and every x
        // register counts as used, so the reference and the i32 go on the stack too.
        assert_eq!(l.places[7], parts(&[(Stack(0), 0, 16)]));
        assert_eq!(l.places[8], Place::Reference(Stack(16)));
        assert_eq!(l.places[9], Place::Scalar(Stack(24)));
    }

    #[test]
    fn x86_structs_go_on_the_stack_and_return_by_os() {
        for os in [Os::Linux, Os::Windows] {
            let small = st32("{i32,i32}", os);
            let l = on(
                os,
                Flavor::X86(X86Conv::Cdecl),
                small.clone(),
                &[I32.into(), st32("{u8,u8,u8}", os), small.clone()],
            );
            match os {
                // i386 psABI: every struct through the hidden pointer, popped by the callee.
                Os::Linux => {
                    assert_eq!(l.ret, Return::Memory(Stack(0)));
                    assert_eq!(l.places[0], Place::Scalar(Stack(4)));
                    assert_eq!(l.places[1], parts(&[(Stack(8), 0, 3)]));
                    assert_eq!(l.places[2], parts(&[(Stack(12), 0, 8)]));
                    assert_eq!(l.exit.callee_pops, 4);
                }
                // MSVC: 8 bytes come back in EDX:EAX.
                _ => {
                    assert_eq!(l.ret, Return::Parts(vec![part(Gp(0), 0, 8)]));
                    assert_eq!(l.places[0], Place::Scalar(Stack(0)));
                    assert_eq!(l.exit.callee_pops, 0);
                }
            }
            let l = on(
                os,
                Flavor::X86(X86Conv::Stdcall),
                st32("{i32,i32,i32}", os),
                &[I32.into()],
            );
            assert_eq!(l.ret, Return::Memory(Stack(0)), "{os:?}");
            assert_eq!(
                l.exit.callee_pops, 8,
                "{os:?}: stdcall pops the hidden pointer too"
            );
            let l = on(
                os,
                Flavor::X86(X86Conv::Cdecl),
                st32("{i32,i32,i32}", os),
                &[],
            );
            assert_eq!(l.exit.callee_pops, if os == Os::Linux { 4 } else { 0 });
        }
    }

    #[test]
    fn signatures_count_structs_as_one_argument_and_bound_their_size() {
        let point = st("{f64,f64}");
        assert!(Signature::new(point.clone(), vec![point.clone(); 16], CallConv::C).is_ok());
        let err = Signature::new(Void, vec![st("{[u8;4000]}"), st("{[u8;100]}")], CallConv::C);
        assert_eq!(
            err.unwrap_err().to_string(),
            "the struct arguments take 4100 bytes by value; at most 4096 are supported (pass a pointer instead)"
        );
    }
}
