//! testlib checks itself against rustc-compiled code before the JS tests rely on it: libffi's
//! dynamic caller against typed targets, and the recorder against typed callers.

use bare_fn_testlib::ffi_call::tl_ffi_call;
use bare_fn_testlib::raw::Code;
use bare_fn_testlib::recorder::*;
use bare_fn_testlib::targets::*;
use std::ffi::c_void;

const I8: u8 = 2;
const U8: u8 = 3;
const I32: u8 = 6;
const I64: u8 = 8;
const U64: u8 = 9;
const F32: u8 = 12;
const F64: u8 = 13;

/// tl_ffi_call's result, or None when it refused.
fn ffi_call(f: *const c_void, ret: u8, codes: &[u8], args: &[u64]) -> Option<u64> {
    let mut out = 0;
    // SAFETY: every call below passes a function of the signature the codes describe.
    let status = unsafe {
        tl_ffi_call(
            f,
            ret,
            codes.len() as u32,
            codes.as_ptr(),
            args.as_ptr(),
            &mut out,
        )
    };
    (status == 0).then_some(out)
}

#[test]
fn ffi_call_passes_and_returns_exact_values() {
    let add = tl_add_i32 as *const c_void;
    let sum = ffi_call(add, I32, &[I32, I32], &[i32::MAX as u64, 1]);
    assert_eq!(
        sum,
        Some(i32::MIN as i64 as u64),
        "wrapped and sign-extended"
    );

    let neg = ffi_call(tl_neg_i8 as *const c_void, I8, &[I8], &[5]);
    assert_eq!(neg, Some(-5i64 as u64));

    let ints: Vec<u64> = (0..16).map(|i| (i - 8) as u64).collect();
    let expected = tl_sum16_i64(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
    let got = ffi_call(tl_sum16_i64 as *const c_void, I64, &[I64; 16], &ints);
    assert_eq!(got, Some(expected as u64));

    let floats: Vec<u64> = (0..16).map(|i| (i as f64 * 0.5).to_bits()).collect();
    let got = ffi_call(tl_sum16_f64 as *const c_void, F64, &[F64; 16], &floats);
    let expected = (0..16)
        .map(|i| i as f64 * 0.5 * (i as f64 + 1.0))
        .sum::<f64>();
    assert_eq!(got.map(f64::from_bits), Some(expected));

    let past_the_last = (0..=u8::MAX).map_while(Code::from_u8).count() as u8;
    assert_eq!(
        ffi_call(add, past_the_last, &[], &[]),
        None,
        "past the last type code"
    );
}

#[test]
fn recorder_sees_what_a_typed_caller_passes() {
    type Shape = unsafe extern "C" fn(i8, f32, u64, i64, i64, i64, i64, i64, u8, f64) -> f32;
    let codes = [I8, F32, U64, I64, I64, I64, I64, I64, U8, F64];
    let ret = 2.5f32.to_bits() as u64;
    // SAFETY: codes holds the 10 argument codes; the recorder is freed once at the end and its
    // function is called with the signature the codes describe.
    unsafe {
        let rec = tl_recorder_new(F32, codes.len() as u32, codes.as_ptr(), ret);
        assert!(!rec.is_null());
        let f: Shape = std::mem::transmute(tl_recorder_fn(rec));
        let tiny = f32::MIN_POSITIVE / 2.0;
        assert_eq!(f(-1, tiny, u64::MAX, 1, 2, 3, 4, i64::MIN, 200, -0.0), 2.5);
        assert_eq!(tl_recorder_calls(rec), 1);
        let seen: Vec<u64> = (0..10).map(|i| tl_recorder_arg(rec, i)).collect();
        let expected = [
            u64::MAX,
            tiny.to_bits() as u64,
            u64::MAX,
            1,
            2,
            3,
            4,
            i64::MIN as u64,
            200,
            (-0.0f64).to_bits(),
        ];
        assert_eq!(seen, expected);

        // The dynamic caller agrees with the typed one.
        let raw = [
            7,
            1.0f32.to_bits() as u64,
            9,
            1,
            2,
            3,
            4,
            5,
            6,
            1.5f64.to_bits(),
        ];
        assert_eq!(ffi_call(tl_recorder_fn(rec), F32, &codes, &raw), Some(ret));
        assert_eq!(tl_recorder_calls(rec), 2);
        assert_eq!(tl_recorder_arg(rec, 9), 1.5f64.to_bits());
        tl_recorder_free(rec);
    }
}
