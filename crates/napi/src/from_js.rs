//! JS values to raw-encoded values of a declared type, strictly: a value that does not fit is an
//! error, never a silent truncation.

use bare_fn_core::{Text, Type};
use napi::sys;

use crate::raw::{describe, format_number, type_of, Failure};
use crate::text::OwnedText;

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

    /// Keeps a string encoded elsewhere (UTF-16, UTF-32) as long as the others; its address.
    fn keep(&mut self, text: OwnedText) -> u64;
}

/// Each string its own heap allocation: for conversions that are rare or must outlive the call
/// that made them (a BareFn's result, a call queued for another thread).
impl CStrings for Vec<OwnedText> {
    unsafe fn encode(
        &mut self,
        env: sys::napi_env,
        value: sys::napi_value,
    ) -> Result<Option<u64>, Failure> {
        Ok(OwnedText::from_js(env, value, Text::Utf8)?.map(|owned| self.keep(owned)))
    }

    fn keep(&mut self, text: OwnedText) -> u64 {
        let address = text.address();
        self.push(text);
        address
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
    if let Some(text) = ty.text() {
        // SAFETY: forwarded.
        return unsafe { string(env, value, ty, text, strings) };
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
        None => null_or_not_a_string(env, Type::CString, value),
    }
}

/// A string of `ty`, whose encoding is `text` (kept in `strings`), or NULL for null.
///
/// # Safety
/// As for `from_js`.
#[inline(always)]
unsafe fn string(
    env: sys::napi_env,
    value: sys::napi_value,
    ty: Type,
    text: Text,
    strings: &mut impl CStrings,
) -> Result<u64, Failure> {
    if text == Text::Utf8 {
        // SAFETY: forwarded.
        return unsafe { cstring(env, value, strings) };
    }
    match OwnedText::from_js(env, value, text)? {
        Some(owned) => Ok(strings.keep(owned)),
        None => null_or_not_a_string(env, ty, value),
    }
}

/// NULL for null, else the error for a value that is not a string.
fn null_or_not_a_string(
    env: sys::napi_env,
    ty: Type,
    value: sys::napi_value,
) -> Result<u64, Failure> {
    match type_of(env, value) {
        sys::ValueType::napi_null => Ok(0),
        _ => Err(expected(env, "a string or null", ty, value)),
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
        Type::CString | Type::CString16 | Type::CString32 => unsafe {
            string(env, value, ty, ty.text().unwrap_or(Text::Utf8), strings)
        },
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
        let raw = d as i64 as u64;
        // Negative for an unsigned type; or, for a size type or pointer on a 32-bit target,
        // beyond its 32 bits (a safe integer can be: normalizing would change it).
        if !signed && d < 0.0 || ty.normalize(raw) != raw {
            return Err(Failure::range_error(format!(
                "{} does not fit {ty}",
                format_number(d)
            )));
        }
        return Ok(raw);
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
