//! A recorder: a native function of any supported signature, made with a libffi closure, that
//! records the raw encoding of the arguments of its last call and returns a preset value. The tests
//! call it through bare-fn's `FnPtr` and through koffi, to check the JS -> native direction with a
//! decoder bare-fn did not write.

use crate::raw::{codes, Code};
use libffi::raw::{self as ffi, ffi_cif, ffi_closure, ffi_type};
use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::ptr;

pub struct Recorder {
    cif: ffi_cif,
    // Kept alive for the cif, which points into it.
    _types: Vec<*mut ffi_type>,
    args: Vec<Code>,
    ret: Code,
    ret_raw: u64,
    seen: Vec<u64>,
    /// Copies of the C string arguments (of each encoding) of the last call: the caller's strings
    /// are only valid during the call, so `seen` points at these instead.
    strings: Vec<Option<Box<[u32]>>>,
    calls: u64,
    closure: *mut ffi_closure,
    code: *mut c_void,
}

unsafe extern "C" fn record(
    _cif: *mut ffi_cif,
    result: *mut c_void,
    args: *mut *mut c_void,
    user: *mut c_void,
) {
    // SAFETY: `user` is the Box<Recorder> address given to ffi_prep_closure_loc, alive until
    // tl_recorder_free; libffi passes one pointer per argument, each to a value of its type.
    let rec = &mut *(user as *mut Recorder);
    for (i, code) in rec.args.iter().enumerate() {
        let raw = code.load(*args.add(i) as *const u8);
        rec.strings[i] = None;
        rec.seen[i] = match code.text_unit() {
            Some(unit) if raw != 0 => {
                // SAFETY: a non-NULL string argument points to a NUL-terminated string of its
                // units for the call.
                let copy = copy_text(raw, unit);
                let at = copy.as_ptr() as usize as u64;
                rec.strings[i] = Some(copy);
                at
            }
            _ => raw,
        };
    }
    rec.calls += 1;
    rec.ret.store_result(rec.ret_raw, result as *mut u8);
}

/// A copy of the NUL-terminated string of `unit`-byte units at `at`, its NUL included, in `u32`s
/// (aligned for every unit).
///
/// # Safety
/// `at` points to such a string.
unsafe fn copy_text(at: u64, unit: usize) -> Box<[u32]> {
    let start = at as usize as *const u8;
    let mut units = 0;
    while (0..unit).any(|byte| *start.add(units * unit + byte) != 0) {
        units += 1;
    }
    let bytes = (units + 1) * unit;
    let mut copy = vec![0u32; bytes.div_ceil(4)].into_boxed_slice();
    std::ptr::copy_nonoverlapping(start, copy.as_mut_ptr().cast::<u8>(), bytes);
    copy
}

/// Makes a recorder of signature `ret (args...)` that returns `ret_raw` (raw encoding). Null when
/// a code is invalid or libffi cannot build it.
///
/// # Safety
/// `arg_codes` must hold `nargs` bytes.
#[no_mangle]
pub unsafe extern "C" fn tl_recorder_new(
    ret_code: u8,
    nargs: u32,
    arg_codes: *const u8,
    ret_raw: u64,
) -> *mut Recorder {
    let (Some(ret), Some(args)) = (Code::from_u8(ret_code), codes(arg_codes, nargs)) else {
        return ptr::null_mut();
    };
    let mut code = ptr::null_mut();
    let closure = ffi::ffi_closure_alloc(size_of::<ffi_closure>(), &mut code) as *mut ffi_closure;
    if closure.is_null() {
        return ptr::null_mut();
    }
    let mut rec = Box::new(Recorder {
        // SAFETY: a zeroed cif is a valid placeholder; ffi_prep_cif fills it below.
        cif: MaybeUninit::zeroed().assume_init(),
        _types: args.iter().map(|c| c.ffi_type()).collect(),
        seen: vec![0; args.len()],
        strings: vec![None; args.len()],
        args,
        ret,
        ret_raw,
        calls: 0,
        closure,
        code,
    });
    let rec_ptr: *mut Recorder = &mut *rec;
    let ok = ffi::ffi_prep_cif(
        &mut rec.cif,
        ffi::ffi_abi_FFI_DEFAULT_ABI,
        nargs,
        ret.ffi_type(),
        rec._types.as_mut_ptr(),
    ) == ffi::ffi_status_FFI_OK
        && ffi::ffi_prep_closure_loc(
            closure,
            &mut rec.cif,
            Some(record),
            rec_ptr as *mut c_void,
            code,
        ) == ffi::ffi_status_FFI_OK;
    if !ok {
        ffi::ffi_closure_free(closure as *mut c_void);
        return ptr::null_mut();
    }
    Box::into_raw(rec)
}

/// The callable address of a recorder.
///
/// # Safety
/// `rec` must come from tl_recorder_new and not be freed.
#[no_mangle]
pub unsafe extern "C" fn tl_recorder_fn(rec: *const Recorder) -> *mut c_void {
    (*rec).code
}

/// The raw encoding of argument `i` of the last call (0 before any call or when out of range);
/// for a cstring, the address of a copy that lives until the next call or free.
///
/// # Safety
/// `rec` must come from tl_recorder_new and not be freed.
#[no_mangle]
pub unsafe extern "C" fn tl_recorder_arg(rec: *const Recorder, i: u32) -> u64 {
    let rec = &*rec;
    rec.seen.get(i as usize).copied().unwrap_or(0)
}

/// How many times the recorder was called.
///
/// # Safety
/// `rec` must come from tl_recorder_new and not be freed.
#[no_mangle]
pub unsafe extern "C" fn tl_recorder_calls(rec: *const Recorder) -> u64 {
    (*rec).calls
}

/// Frees a recorder and its closure.
///
/// # Safety
/// `rec` must come from tl_recorder_new, be freed once, and not be called afterwards.
#[no_mangle]
pub unsafe extern "C" fn tl_recorder_free(rec: *mut Recorder) {
    if !rec.is_null() {
        let rec = Box::from_raw(rec);
        ffi::ffi_closure_free(rec.closure as *mut c_void);
    }
}
