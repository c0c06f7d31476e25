//! Signature validation and System V argument assignment.

use bare_fn_core::layout::Loc::{Fp, Gp, Stack};
use bare_fn_core::{CallConv, SigError, Signature, Type, MAX_ARGS};

fn sig(ret: Type, args: &[Type]) -> Signature {
    Signature::new(ret, args.to_vec(), CallConv::C).expect("valid signature")
}

#[test]
fn integer_and_float_classes_are_counted_independently() {
    let s = sig(Type::I32, &[Type::I32, Type::F64, Type::Pointer, Type::F32]);
    assert_eq!(s.locs(), &[Gp(0), Fp(0), Gp(1), Fp(1)]);
}

#[test]
fn overflow_takes_stack_slots_in_argument_order() {
    // 8 integers then 10 floats would be 18 args; use 7 ints and 9 floats (16).
    let mut args = vec![Type::I64; 7];
    args.extend([Type::F64; 9]);
    let s = sig(Type::Void, &args);
    assert_eq!(s.locs()[5], Gp(5));
    assert_eq!(s.locs()[6], Stack(0));
    assert_eq!(s.locs()[14], Fp(7));
    assert_eq!(s.locs()[15], Stack(1));
}

#[test]
fn sixteen_integers_use_ten_stack_slots() {
    let s = sig(Type::I64, &[Type::U8; 16]);
    let stack: Vec<_> = s.locs()[6..].to_vec();
    assert_eq!(stack, (0..10).map(Stack).collect::<Vec<_>>());
}

#[test]
fn interleaved_overflow_shares_the_stack() {
    let mut args = vec![Type::F32; 8];
    args.extend([Type::I8; 6]);
    args.extend([Type::F64, Type::I16]);
    let s = sig(Type::F32, &args);
    assert_eq!(s.locs()[14], Stack(0));
    assert_eq!(s.locs()[15], Stack(1));
}

#[test]
fn too_many_arguments_is_an_error() {
    let err = Signature::new(Type::Void, vec![Type::I32; MAX_ARGS + 1], CallConv::C).unwrap_err();
    assert_eq!(err, SigError::TooManyArgs { count: 17 });
    assert_eq!(
        err.to_string(),
        "a signature takes at most 16 arguments, got 17"
    );
}

#[test]
fn void_argument_is_an_error() {
    let err = Signature::new(Type::Void, vec![Type::I32, Type::Void], CallConv::C).unwrap_err();
    assert_eq!(err, SigError::VoidArgument { index: 1 });
}

#[test]
fn display_names_types_and_non_c_conventions() {
    assert_eq!(
        sig(Type::I32, &[Type::Pointer, Type::Pointer]).to_string(),
        "(pointer, pointer) -> i32"
    );
    let s = Signature::new(Type::Void, vec![Type::U32, Type::F64], CallConv::System).unwrap();
    assert_eq!(s.to_string(), "extern \"system\" (u32, f64) -> void");
}

#[cfg(all(target_arch = "x86_64", not(windows)))]
#[test]
fn conventions_follow_rust_on_x86_64_unix() {
    use bare_fn_core::{AbiError, Flavor};
    for ok in [CallConv::C, CallConv::System, CallConv::Sysv64] {
        assert_eq!(ok.resolve(), Ok(Flavor::SysV64), "{ok}");
    }
    for missing in [
        CallConv::Stdcall,
        CallConv::Fastcall,
        CallConv::Thiscall,
        CallConv::Aapcs,
    ] {
        assert!(matches!(
            missing.resolve(),
            Err(AbiError::NotOnTarget { .. })
        ));
        let msg = missing.resolve().unwrap_err().to_string();
        assert!(
            msg.contains(missing.name()) && msg.contains("does not exist on x86_64-linux"),
            "{msg}"
        );
    }
    assert!(matches!(
        CallConv::Win64.resolve(),
        Err(AbiError::NotImplemented { .. })
    ));
}
