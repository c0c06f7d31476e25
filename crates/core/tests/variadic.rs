//! Calls of a variadic C function (the C library's snprintf) through `call_raw`, with C's
//! default promotions, on the host's convention (and under qemu and on i686 by the cross run);
//! and where each ABI puts variadic arguments, as tables.

use std::ffi::{c_char, c_int, CStr};

use bare_fn_core::abi::{Aapcs64, Os, Target};
use bare_fn_core::layout::{layout_on, Loc};
use bare_fn_core::Type::{self, *};
use bare_fn_core::{call_raw, CallConv, Flavor, Param, SigError, Signature, Struct};

unsafe extern "C" {
    fn snprintf(buf: *mut c_char, n: usize, format: *const c_char, ...) -> c_int;
}

/// snprintf into a buffer of 256 bytes with `variadic` (type, raw) pairs; the text and the count.
fn format(format: &CStr, variadic: &[(Type, u64)]) -> (String, i32) {
    let mut buf = [0u8; 256];
    let mut types = vec![Pointer, Usize, CString];
    types.extend(variadic.iter().map(|&(t, _)| t));
    let sig = Signature::variadic(I32, types, CallConv::C, 3).unwrap();
    let mut args = vec![
        buf.as_mut_ptr() as usize as u64,
        256,
        format.as_ptr() as usize as u64,
    ];
    args.extend(variadic.iter().map(|&(_, raw)| raw));
    // SAFETY: snprintf's fixed parameters are these; the format's conversions match the
    // variadic arguments as promoted.
    let n = unsafe {
        call_raw(
            snprintf as unsafe extern "C" fn(*mut c_char, usize, *const c_char, ...) -> c_int
                as usize,
            &sig,
            &args,
        )
    };
    let text = CStr::from_bytes_until_nul(&buf)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    (text, n as i32)
}

#[test]
fn snprintf_with_ints_doubles_strings_and_promotions() {
    let (text, n) = format(
        c"%d %s %.2f %u %lld %d %d",
        &[
            (I32, -5i64 as u64),
            (CString, c"abc".as_ptr() as usize as u64),
            (F64, 1.5f64.to_bits()),
            (U32, 4_000_000_000),
            (I64, (-1i64 << 40) as u64),
            // An i8 and a bool travel as int (sign-extended: -3 stays -3 on the stack too).
            (I8, -3i64 as u64),
            (Bool, 1),
        ],
    );
    assert_eq!(text, format!("-5 abc 1.50 4000000000 {} -3 1", -1i64 << 40));
    assert_eq!(n as usize, text.len());
    // An f32 is promoted to double: the same value.
    let (text, _) = format(c"%.9g", &[(F32, u64::from(0.1f32.to_bits()))]);
    assert_eq!(
        text,
        format!("{:.9}", f64::from(0.1f32)).trim_end_matches('0')
    );
}

#[test]
fn more_doubles_than_registers() {
    // Ten doubles: past the eight vector registers of System V and AArch64, onto the stack.
    let values: Vec<(Type, u64)> = (0..10)
        .map(|i| (F64, (f64::from(i) + 0.25).to_bits()))
        .collect();
    let (text, _) = format(
        c"%.2f %.2f %.2f %.2f %.2f %.2f %.2f %.2f %.2f %.2f",
        &values,
    );
    assert_eq!(text, "0.25 1.25 2.25 3.25 4.25 5.25 6.25 7.25 8.25 9.25");
}

fn locs(os: Os, flavor: Flavor, args: &[Type], fixed: impl Into<Option<usize>>) -> Vec<Loc> {
    let args: Vec<Param> = args.iter().map(|&t| t.into()).collect();
    layout_on(os, flavor, &I32.into(), &args, fixed.into()).locs()
}

#[test]
fn where_each_abi_puts_variadic_arguments() {
    use Loc::{Fp, Gp, Stack};
    // (format, ...f64, i32, f64)
    let args = [Pointer, F64, I32, F64];
    assert_eq!(
        locs(Os::Linux, Flavor::SysV64, &args, 1),
        [Gp(0), Fp(0), Gp(1), Fp(1)]
    );
    // Win64: a variadic double in its position's integer register.
    assert_eq!(
        locs(Os::Windows, Flavor::Win64, &args, 1),
        [Gp(0), Gp(1), Gp(2), Gp(3)]
    );
    assert_eq!(
        locs(Os::Windows, Flavor::Win64, &args, 4),
        [Gp(0), Fp(1), Gp(2), Fp(3)],
        "fixed doubles stay in XMM"
    );
    let linux = Flavor::Aapcs64(Aapcs64::Standard);
    assert_eq!(
        locs(Os::Linux, linux, &args, 1),
        [Gp(0), Fp(0), Gp(1), Fp(1)]
    );
    // Apple: every variadic argument on the stack, 8 bytes each.
    let apple = Flavor::Aapcs64(Aapcs64::Darwin);
    assert_eq!(
        locs(Os::MacOs, apple, &args, 1),
        [Gp(0), Stack(0), Stack(8), Stack(16)]
    );
    // Windows on Arm: variadic doubles in x registers.
    let windows = Flavor::Aapcs64(Aapcs64::Windows);
    assert_eq!(
        locs(Os::Windows, windows, &args, 1),
        [Gp(0), Gp(1), Gp(2), Gp(3)]
    );
}

#[test]
fn variadic_arguments_are_scalars_and_the_display_marks_them() {
    let sig = Signature::variadic(I32, [CString, F32, I8], CallConv::C, 1).unwrap();
    assert_eq!(sig.to_string(), "(cstring, ...f32, i8) -> i32");
    assert_eq!(
        Signature::variadic(I32, [CString], CallConv::C, 1)
            .unwrap()
            .to_string(),
        "(cstring, ...) -> i32"
    );
    let pair2 = || Param::from(Struct::parse("{i32,i32}", Target::HOST).unwrap());
    let pair = pair2();
    let err = Signature::variadic(I32, [Param::from(CString), pair], CallConv::C, 1).unwrap_err();
    assert_eq!(err, SigError::VariadicWithStruct { index: Some(1) });
    let err = Signature::variadic(pair2(), [CString], CallConv::C, 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a variadic function's result is a struct: not supported (pass it by pointer)"
    );
}
