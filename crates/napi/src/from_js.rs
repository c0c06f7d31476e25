//! JS values to raw-encoded values of a declared type, strictly: a value that does not fit is an
//! error, never a silent truncation.

use std::ffi::CString;
use std::ptr;

use bare_fn_core::Type;
use napi::sys;

use crate::raw::{describe, format_number, read_string, type_of, Failure};

const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// Where the C strings of converted values are kept: the caller keeps `strings` alive as long as
/// the returned pointers may be used.
pub trait CStrings {
    /// Encodes `value`, if it is a JS string, as a NUL-terminated UTF-8 string (checked with
    /// `check_cstring`) and returns its address; None for a value of another type.
    ///
    /// # Safety
    /// As for `from_js`.
    unsafe fn encode(
        &mut self,
        env: sys::napi_env,
        value: sys::napi_value,
    ) -> Result<Option<u64>, Failure>;
}

/// Each string its own heap allocation: for conversions that are rare or must outlive the call
/// that made them (a BareFn's result, a call queued for another thread).
impl CStrings for Vec<CString> {
    unsafe fn encode(
        &mut self,
        env: sys::napi_env,
        value: sys::napi_value,
    ) -> Result<Option<u64>, Failure> {
        if type_of(env, value) != sys::ValueType::napi_string {
            return Ok(None);
        }
        let text = read_string(env, value).unwrap_or_default();
        check_cstring(env, value, text.as_bytes())?;
        // SAFETY: check_cstring found no NUL.
        let owned = unsafe { CString::from_vec_unchecked(text.into_bytes()) };
        let address = owned.as_ptr() as usize as u64;
        self.push(owned);
        Ok(Some(address))
    }
}

/// Converts `value` to the raw encoding of `ty`. A C string is kept in `strings`.
///
/// Accepted: bool ← boolean; 8-32-bit integers ← integral numbers in range; 64-bit and size
/// integers and pointers ← bigint in range, or a safe-integer number; f32/f64 ← number (an f32
/// rounds to nearest, but a finite number beyond f32's range is an error); cstring ← string
/// without NUL characters, or null; void ← anything (ignored).
///
/// # Safety
/// `env` is the current thread's live env and `value` belongs to its open handle scope.
#[inline]
pub unsafe fn from_js(
    env: sys::napi_env,
    ty: Type,
    value: sys::napi_value,
    strings: &mut impl CStrings,
) -> Result<u64, Failure> {
    if ty == Type::CString {
        // SAFETY: forwarded.
        return unsafe { cstring(env, value, strings) };
    }
    // SAFETY: forwarded.
    match unsafe { exact(env, ty, value) } {
        Some(raw) => Ok(raw),
        // SAFETY: forwarded; `exact` declined it.
        None => unsafe { convert_declined(env, ty, value, strings) },
    }
}

/// A C string (kept in `strings`), or NULL for null.
///
/// # Safety
/// As for `from_js`.
#[inline(always)]
pub unsafe fn cstring(
    env: sys::napi_env,
    value: sys::napi_value,
    strings: &mut impl CStrings,
) -> Result<u64, Failure> {
    // SAFETY: forwarded.
    match unsafe { strings.encode(env, value) }? {
        Some(address) => Ok(address),
        None if type_of(env, value) == sys::ValueType::napi_null => Ok(0),
        None => Err(expected(env, "a string or null", Type::CString, value)),
    }
}

/// `from_js` for a value `exact` declined (a caller that tried `exact` itself calls this
/// directly): converts what the common cases do not cover, or says why the value does not fit.
///
/// # Safety
/// As for `from_js`; `exact(env, ty, value)` is None.
pub unsafe fn convert_declined(
    env: sys::napi_env,
    ty: Type,
    value: sys::napi_value,
    strings: &mut impl CStrings,
) -> Result<u64, Failure> {
    match ty {
        Type::Void => Ok(0),
        Type::Bool => {
            let mut b = false;
            // SAFETY: per contract; a non-boolean gives a status, not UB.
            let status = unsafe { sys::napi_get_value_bool(env, value, &mut b) };
            if status != sys::Status::napi_ok {
                return Err(expected(env, "a boolean", ty, value));
            }
            Ok(u64::from(b))
        }
        Type::I8 | Type::U8 | Type::I16 | Type::U16 | Type::I32 | Type::U32 => {
            let d = number(env, ty, value)?;
            let (min, max) = int_range(ty);
            integral(d, ty)?;
            if d < min || d > max {
                return Err(Failure::range_error(format!(
                    "{} does not fit {ty}",
                    format_number(d)
                )));
            }
            Ok(d as i64 as u64)
        }
        Type::I64 | Type::Isize => wide(env, ty, value, true),
        Type::U64 | Type::Usize | Type::Pointer => wide(env, ty, value, false),
        Type::F64 => Ok(number(env, ty, value)?.to_bits()), // not a number: the error
        Type::F32 => {
            let d = number(env, ty, value)?;
            if d.is_finite() && d.abs() > f64::from(f32::MAX) {
                return Err(Failure::range_error(format!(
                    "{} is beyond the range of f32",
                    format_number(d)
                )));
            }
            Ok(u64::from((d as f32).to_bits()))
        }
        // SAFETY: forwarded.
        Type::CString => unsafe { cstring(env, value, strings) },
    }
}

/// The common cases of `from_js`, without its checks and errors, small enough to inline where
/// a callback's result is converted: the raw encoding of a number that is exactly an i32 (for
/// i32), of any number (f64), of a bigint in range (64-bit integers, sizes, pointers); None for
/// every other type or value, which `convert_declined` converts or explains. Node-API's status
/// tells a value of the wrong type.
///
/// # Safety
/// As for `from_js`.
#[inline(always)]
pub unsafe fn exact(env: sys::napi_env, ty: Type, value: sys::napi_value) -> Option<u64> {
    let ok = sys::Status::napi_ok;
    let mut lossless = false;
    match ty {
        Type::I32 | Type::F64 => {
            let mut d = 0.0;
            // SAFETY: per contract; a value of another type gives a status, not UB.
            let status = unsafe { sys::napi_get_value_double(env, value, &mut d) };
            match ty {
                Type::F64 => (status == ok).then_some(d.to_bits()),
                // In range first, then integral: a conversion without Rust's saturation.
                _ => (status == ok && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&d))
                    .then(|| {
                        // SAFETY: d is finite and within i32's range (checked just above).
                        unsafe { d.to_int_unchecked::<i32>() }
                    })
                    .filter(|&i| f64::from(i) == d)
                    .map(|i| i as i64 as u64),
            }
        }
        Type::I64 | Type::Isize => {
            let mut v = 0i64;
            // SAFETY: as above.
            let status =
                unsafe { sys::napi_get_value_bigint_int64(env, value, &mut v, &mut lossless) };
            let raw = v as u64;
            (status == ok && lossless && ty.normalize(raw) == raw).then_some(raw)
        }
        Type::U64 | Type::Usize | Type::Pointer => {
            let mut raw = 0u64;
            // SAFETY: as above.
            let status =
                unsafe { sys::napi_get_value_bigint_uint64(env, value, &mut raw, &mut lossless) };
            (status == ok && lossless && ty.normalize(raw) == raw).then_some(raw)
        }
        _ => None,
    }
}

fn expected(env: sys::napi_env, what: &str, ty: Type, value: sys::napi_value) -> Failure {
    Failure::type_error(format!(
        "expected {what} ({ty}), got {}",
        describe(env, value)
    ))
}

#[inline]
fn number(env: sys::napi_env, ty: Type, value: sys::napi_value) -> Result<f64, Failure> {
    let mut d = 0.0;
    // SAFETY: env/value valid per the caller's contract; a non-number gives a status.
    let status = unsafe { sys::napi_get_value_double(env, value, &mut d) };
    if status != sys::Status::napi_ok {
        return Err(expected(env, "a number", ty, value));
    }
    Ok(d)
}

fn integral(d: f64, ty: Type) -> Result<(), Failure> {
    // Through i64 rather than f64::trunc, which is a libm call on x86-64 without SSE4.1. Exact
    // for every |d| < 2^63, which covers every range checked after this; NaN and infinities
    // come back different and are rejected.
    if d as i64 as f64 != d {
        return Err(Failure::range_error(format!(
            "{} is not an integer ({ty})",
            format_number(d)
        )));
    }
    Ok(())
}

fn int_range(ty: Type) -> (f64, f64) {
    match ty {
        Type::I8 => (i8::MIN.into(), i8::MAX.into()),
        Type::U8 => (0.0, u8::MAX.into()),
        Type::I16 => (i16::MIN.into(), i16::MAX.into()),
        Type::U16 => (0.0, u16::MAX.into()),
        Type::I32 => (i32::MIN.into(), i32::MAX.into()),
        _ => (0.0, u32::MAX.into()),
    }
}

/// 64-bit (and pointer-size) integers from a safe-integer number, or the error for a value
/// `exact` declined (a bigint out of range, another type).
fn wide(
    env: sys::napi_env,
    ty: Type,
    value: sys::napi_value,
    signed: bool,
) -> Result<u64, Failure> {
    let t = type_of(env, value);
    if t == sys::ValueType::napi_number {
        let d = number(env, ty, value)?;
        integral(d, ty)?;
        if d.abs() > MAX_SAFE {
            return Err(Failure::range_error(format!(
                "{} is beyond Number.MAX_SAFE_INTEGER; pass a bigint for {ty}",
                format_number(d)
            )));
        }
        if !signed && d < 0.0 {
            return Err(Failure::range_error(format!(
                "{} does not fit {ty}",
                format_number(d)
            )));
        }
        return Ok(d as i64 as u64);
    }
    if t != sys::ValueType::napi_bigint {
        return Err(expected(env, "a bigint or safe integer", ty, value));
    }
    // A bigint `exact` declined is out of range (on 32-bit targets a size type is narrower
    // than 64 bits, so normalizing changes what overflows).
    Err(Failure::range_error(format!(
        "{} does not fit {ty}",
        describe(env, value)
    )))
}

/// Checks the UTF-8 bytes Node-API wrote for the JS string `value`: a C string cannot hold a NUL
/// character, and Node-API writes U+FFFD for a lone surrogate, which has no UTF-8 form: an error,
/// as every other lossy conversion is (a real U+FFFD in the text is kept).
#[inline(always)]
pub fn check_cstring(
    env: sys::napi_env,
    value: sys::napi_value,
    bytes: &[u8],
) -> Result<(), Failure> {
    if suspicious(bytes) {
        find_cstring_error(env, value, bytes)
    } else {
        Ok(())
    }
}

/// U+FFFD, as Node-API writes it for a lone surrogate.
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// Whether `bytes` holds a NUL or the first byte of U+FFFD, eight bytes at a time: most strings
/// are short, too short for memchr's vector code to pay for its setup (a tenth of an atoi call).
#[inline(always)]
fn suspicious(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const FIRST: u64 = u64::from_ne_bytes([REPLACEMENT[0]; 8]);
    // Exact (no false positive): whether a byte of `word` is zero.
    let has_zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS != 0;
    let either = |word: u64| has_zero(word) || has_zero(word ^ FIRST);
    let word = |at: usize| u64::from_ne_bytes(bytes[at..at + 8].try_into().unwrap_or([1; 8]));
    let half = |at: usize| {
        u64::from(u32::from_ne_bytes(
            bytes[at..at + 4].try_into().unwrap_or([1; 4]),
        ))
    };
    let len = bytes.len();
    match len {
        // Whole words, the last one overlapping the one before it.
        8.. => (0..len / 8).any(|i| either(word(8 * i))) || either(word(len - 8)),
        // Two halves that overlap, or three bytes of which two may be the same one: every byte
        // is in the word, and the bytes left over are 0x01 (neither).
        4..=7 => either(half(0) | (half(len - 4) << 32)),
        1..=3 => {
            let byte = |at: usize| u64::from(bytes[at]);
            either(ONES & !0xFF_FFFF | byte(0) | (byte(len / 2) << 8) | (byte(len - 1) << 16))
        }
        0 => false,
    }
}

/// The error `check_cstring` found a hint of, if there is one (a real U+FFFD is not one).
#[cold]
#[inline(never)]
fn find_cstring_error(
    env: sys::napi_env,
    value: sys::napi_value,
    bytes: &[u8],
) -> Result<(), Failure> {
    // One pass for both (its bytes start with 0xEF); the lone surrogate is reported first.
    let mut nul = None;
    let mut surrogates_checked = false;
    for at in memchr::memchr2_iter(0, REPLACEMENT[0], bytes) {
        if bytes[at] == 0 {
            nul = nul.or(Some(at));
        } else if !surrogates_checked && bytes[at..].starts_with(REPLACEMENT) {
            surrogates_checked = true;
            lone_surrogate(env, value)?;
        }
    }
    match nul {
        Some(at) => Err(Failure::type_error(format!(
            "a cstring cannot contain NUL characters (one is at index {at})"
        ))),
        None => Ok(()),
    }
}

/// An error naming the first lone surrogate of a JS string, if it has one (read as UTF-16).
fn lone_surrogate(env: sys::napi_env, value: sys::napi_value) -> Result<(), Failure> {
    let mut length = 0usize;
    // SAFETY: value is a string; a NULL buffer asks for its length in UTF-16 units.
    unsafe { sys::napi_get_value_string_utf16(env, value, ptr::null_mut(), 0, &mut length) };
    let mut units = vec![0u16; length + 1];
    let mut copied = 0usize;
    // SAFETY: the buffer holds length + 1 units, as passed.
    unsafe {
        sys::napi_get_value_string_utf16(env, value, units.as_mut_ptr(), units.len(), &mut copied)
    };
    let mut index = 0;
    for c in char::decode_utf16(units[..copied].iter().copied()) {
        match c {
            Ok(c) => index += c.len_utf16(),
            Err(e) => {
                return Err(Failure::type_error(format!(
                    "a cstring is UTF-8, which cannot encode the lone surrogate U+{:04X} at \
                     index {index}",
                    e.unpaired_surrogate()
                )))
            }
        }
    }
    Ok(())
}
