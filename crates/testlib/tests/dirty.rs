//! The garbage-bit callers against rustc-compiled callees of each convention, before the JS tests
//! rely on them: the callee sees exactly the intended values whatever the upper bits held.

use bare_fn_testlib::dirty::*;

macro_rules! callee {
    ($name:ident, $abi:literal) => {
        #[allow(clippy::too_many_arguments)]
        extern $abi fn $name(
            a: i8,
            b: u8,
            c: i16,
            d: u16,
            e: i32,
            f: u32,
            g: f32,
            h: bool,
            i: i8,
            j: u16,
            k: i8,
        ) -> i64 {
            let seen = (a, b, c, d, e, f, g, h, i, j, k);
            let expected = (-128, 255, -32768, 65535, i32::MIN, u32::MAX, 1.5, true, -2, 54321, 100);
            assert_eq!(seen, expected, stringify!($abi));
            -5
        }
    };
}

callee!(c_callee, "C");

#[test]
fn the_c_caller_passes_exact_values() {
    // SAFETY: c_callee has the DirtyShape signature.
    assert_eq!(unsafe { tl_call_dirty_narrow(c_callee) }, -5);
}

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use super::*;
    callee!(win64_callee, "win64");
    callee!(sysv64_callee, "sysv64");

    #[test]
    fn the_win64_and_sysv64_callers_pass_exact_values() {
        // SAFETY: each callee has the DirtyShape signature in the caller's convention.
        unsafe {
            assert_eq!(tl_call_dirty_narrow_win64(win64_callee as *const ()), -5);
            assert_eq!(tl_call_dirty_narrow_sysv64(sysv64_callee as *const ()), -5);
        }
    }
}

#[cfg(target_arch = "x86")]
mod x86 {
    use super::*;
    callee!(stdcall_callee, "stdcall");
    callee!(fastcall_callee, "fastcall");
    callee!(thiscall_callee, "thiscall");

    #[test]
    fn the_stdcall_fastcall_and_thiscall_callers_pass_exact_values() {
        // SAFETY: each callee has the DirtyShape signature in the caller's convention.
        unsafe {
            assert_eq!(
                tl_call_dirty_narrow_stdcall(stdcall_callee as *const ()),
                -5
            );
            assert_eq!(
                tl_call_dirty_narrow_fastcall(fastcall_callee as *const ()),
                -5
            );
            assert_eq!(
                tl_call_dirty_narrow_thiscall(thiscall_callee as *const ()),
                -5
            );
        }
    }
}
