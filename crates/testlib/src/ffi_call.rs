//! A dynamic caller: calls any function pointer with any supported signature through libffi,
//! independently of bare-fn's own calling code.

use crate::raw::{codes, Code};
use libffi::raw::{self as ffi, ffi_cif};
use std::ffi::c_void;
use std::mem::MaybeUninit;

/// Calls `f` as `ret (args...)` with `args_raw[i]` (raw encoding) for argument `i` whose type code
/// is `arg_codes[i]`, and stores the raw encoding of the result (0 for void) in `*result`.
/// Returns 0, or -1 without calling `f` when a code is invalid or libffi rejects the signature.
///
/// # Safety
/// `f` must be callable with that signature; the arrays must hold `nargs` elements; `result`
/// must be writable.
#[no_mangle]
pub unsafe extern "C" fn tl_ffi_call(
    f: *const c_void,
    ret_code: u8,
    nargs: u32,
    arg_codes: *const u8,
    args_raw: *const u64,
    result: *mut u64,
) -> i32 {
    let (Some(ret), Some(args)) = (Code::from_u8(ret_code), codes(arg_codes, nargs)) else {
        return -1;
    };
    let mut types: Vec<_> = args.iter().map(|c| c.ffi_type()).collect();
    let mut cif = MaybeUninit::<ffi_cif>::zeroed();
    let status = ffi::ffi_prep_cif(
        cif.as_mut_ptr(),
        ffi::ffi_abi_FFI_DEFAULT_ABI,
        nargs,
        ret.ffi_type(),
        types.as_mut_ptr(),
    );
    if status != ffi::ffi_status_FFI_OK {
        return -1;
    }
    // libffi reads each argument from a pointer to its value; on this little-endian target a u64
    // holding the raw encoding holds the narrower value in its first bytes.
    let mut values: Vec<u64> = (0..nargs as usize).map(|i| *args_raw.add(i)).collect();
    let mut pointers: Vec<*mut c_void> = values
        .iter_mut()
        .map(|v| v as *mut u64 as *mut c_void)
        .collect();
    let mut word = 0u64;
    ffi::ffi_call(
        cif.as_mut_ptr(),
        Some(std::mem::transmute::<*const c_void, unsafe extern "C" fn()>(f)),
        &mut word as *mut u64 as *mut c_void,
        pointers.as_mut_ptr(),
    );
    *result = ret.from_return_word(word);
    0
}
