//! testlib checks itself against rustc-compiled code before the JS tests rely on it: libffi's
//! dynamic caller against typed targets, and the recorder against typed callers.

use bare_fn_testlib::ffi_call::tl_ffi_call;
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

#[test]
fn ffi_call_passes_and_returns_exact_values() {
    unsafe {
        let args = [i32::MAX as u64, 1];
        let sum = tl_ffi_call(
            tl_add_i32 as *const c_void,
            I32,
            2,
            [I32, I32].as_ptr(),
            args.as_ptr(),
        );
        assert_eq!(sum, i32::MIN as i64 as u64, "wrapped and sign-extended");

        let neg = tl_ffi_call(
            tl_neg_i8 as *const c_void,
            I8,
            1,
            [I8].as_ptr(),
            [5u64].as_ptr(),
        );
        assert_eq!(neg, -5i64 as u64);

        let ints: Vec<u64> = (0..16).map(|i| (i as i64 - 8) as u64).collect();
        let expected = tl_sum16_i64(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
        let got = tl_ffi_call(
            tl_sum16_i64 as *const c_void,
            I64,
            16,
            [I64; 16].as_ptr(),
            ints.as_ptr(),
        );
        assert_eq!(got, expected as u64);

        let floats: Vec<u64> = (0..16).map(|i| (i as f64 * 0.5).to_bits()).collect();
        let got = tl_ffi_call(
            tl_sum16_f64 as *const c_void,
            F64,
            16,
            [F64; 16].as_ptr(),
            floats.as_ptr(),
        );
        let expected = (0..16)
            .map(|i| i as f64 * 0.5 * (i as f64 + 1.0))
            .sum::<f64>();
        assert_eq!(f64::from_bits(got), expected);

        assert_eq!(
            tl_ffi_call(tl_add_i32 as *const c_void, 16, 0, [].as_ptr(), [].as_ptr()),
            u64::MAX - 1
        );
    }
}

#[test]
fn recorder_sees_what_a_typed_caller_passes() {
    unsafe {
        let codes = [I8, F32, U64, I64, I64, I64, I64, I64, U8, F64];
        let rec = tl_recorder_new(
            F32,
            codes.len() as u32,
            codes.as_ptr(),
            2.5f32.to_bits() as u64,
        );
        assert!(!rec.is_null());
        type Shape = unsafe extern "C" fn(i8, f32, u64, i64, i64, i64, i64, i64, u8, f64) -> f32;
        let f: Shape = std::mem::transmute(tl_recorder_fn(rec));
        let r = f(
            -1,
            f32::MIN_POSITIVE / 2.0,
            u64::MAX,
            1,
            2,
            3,
            4,
            i64::MIN,
            200,
            -0.0,
        );
        assert_eq!(r, 2.5);
        assert_eq!(tl_recorder_calls(rec), 1);
        let seen: Vec<u64> = (0..10).map(|i| tl_recorder_arg(rec, i)).collect();
        assert_eq!(
            seen,
            [
                u64::MAX,
                (f32::MIN_POSITIVE / 2.0).to_bits() as u64,
                u64::MAX,
                1,
                2,
                3,
                4,
                i64::MIN as u64,
                200,
                (-0.0f64).to_bits()
            ]
        );
        // The dynamic caller agrees with the typed one.
        let raw = [
            7u64,
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
        let got = tl_ffi_call(tl_recorder_fn(rec), F32, 10, codes.as_ptr(), raw.as_ptr());
        assert_eq!(got, 2.5f32.to_bits() as u64);
        assert_eq!(tl_recorder_calls(rec), 2);
        assert_eq!(tl_recorder_arg(rec, 9), 1.5f64.to_bits());
        tl_recorder_free(rec);
    }
}
