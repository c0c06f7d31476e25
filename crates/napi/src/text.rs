//! Strings in each encoding C takes (core's `Text`: `cstring` UTF-8, `cstring16` UTF-16,
//! `cstring32` UTF-32): owned NUL-terminated copies that outlive a call (`OwnedText`), made from
//! JS strings or from C strings, and C strings read into JS strings.
//!
//! Decisions (README "Strings"): a C string cannot hold NUL, so a JS string with one is an error
//! in every encoding. A lone surrogate (JS strings are UTF-16 units, not always valid UTF-16) has
//! no UTF-8 or UTF-32 form: an error there; UTF-16 takes it as it is, as Windows' `W` APIs do
//! (file names may hold one). Reading C text, what is not valid (bad UTF-8, a lone surrogate in
//! UTF-32, a unit above U+10FFFF) becomes U+FFFD, as Node-API does for UTF-8.

use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr;

use bare_fn_core::Text;
use napi::sys;

use crate::raw::{read_string, string_units, Failure};

/// A NUL-terminated string in one encoding, owned. Its address does not change when it moves.
pub enum OwnedText {
    Utf8(CString),
    Utf16(Box<[u16]>),
    Utf32(Box<[u32]>),
}

impl OwnedText {
    /// The address of its first unit, as C receives it.
    pub fn address(&self) -> u64 {
        let at = match self {
            OwnedText::Utf8(s) => s.as_ptr() as usize,
            OwnedText::Utf16(units) => units.as_ptr() as usize,
            OwnedText::Utf32(units) => units.as_ptr() as usize,
        };
        at as u64
    }

    /// The bytes it takes, its NUL included.
    pub fn bytes(&self) -> usize {
        match self {
            OwnedText::Utf8(s) => s.as_bytes_with_nul().len(),
            OwnedText::Utf16(units) => 2 * units.len(),
            OwnedText::Utf32(units) => 4 * units.len(),
        }
    }

    /// `value` encoded as `text`, if it is a JS string (None for a value of another type); an
    /// error for a NUL character, or a lone surrogate where `text` cannot encode one.
    pub fn from_js(
        env: sys::napi_env,
        value: sys::napi_value,
        text: Text,
    ) -> Result<Option<OwnedText>, Failure> {
        if text == Text::Utf8 {
            let Some(string) = read_string(env, value) else {
                return Ok(None);
            };
            check_cstring(env, value, string.as_bytes())?;
            // SAFETY: check_cstring found no NUL.
            let owned = unsafe { CString::from_vec_unchecked(string.into_bytes()) };
            return Ok(Some(OwnedText::Utf8(owned)));
        }
        let Some(mut units) = utf16_of(env, value) else {
            return Ok(None);
        };
        let name = match text {
            Text::Utf16 => "cstring16",
            _ => "cstring32",
        };
        if let Some(at) = units.iter().position(|&u| u == 0) {
            return Err(Failure::type_error(format!(
                "a {name} cannot contain NUL characters (one is at index {at})"
            )));
        }
        if text == Text::Utf16 {
            units.push(0);
            return Ok(Some(OwnedText::Utf16(units.into_boxed_slice())));
        }
        let mut scalars = scalar_values(&units, "a cstring32 is UTF-32")?;
        scalars.push(0);
        Ok(Some(OwnedText::Utf32(scalars.into_boxed_slice())))
    }

    /// A copy of the C string at `address`.
    ///
    /// # Safety
    /// `address` is not NULL and points to a string of `text` ending in a NUL unit, aligned for
    /// its units.
    pub unsafe fn copy(address: u64, text: Text) -> OwnedText {
        // SAFETY (each): forwarded.
        unsafe {
            match text {
                Text::Utf8 => {
                    OwnedText::Utf8(CStr::from_ptr(address as usize as *const c_char).into())
                }
                Text::Utf16 => OwnedText::Utf16(with_nul(units::<u16>(address))),
                Text::Utf32 => OwnedText::Utf32(with_nul(units::<u32>(address))),
            }
        }
    }
}

fn with_nul<T: Copy + Default>(units: &[T]) -> Box<[T]> {
    let mut owned = Vec::with_capacity(units.len() + 1);
    owned.extend_from_slice(units);
    owned.push(T::default());
    owned.into_boxed_slice()
}

/// The UTF-16 units of a JS string (None for another type).
fn utf16_of(env: sys::napi_env, value: sys::napi_value) -> Option<Vec<u16>> {
    string_units(|buf, size, count| {
        // SAFETY: per string_units' contract (NULL and 0 ask for the length); a non-string gives
        // a status.
        unsafe { sys::napi_get_value_string_utf16(env, value, buf, size, count) }
    })
}

/// The units of the C string at `address`, without its NUL.
///
/// # Safety
/// As for `OwnedText::copy`; the units stay valid and unchanged while the slice is used.
unsafe fn units<'a, T: Copy + Default + PartialEq>(address: u64) -> &'a [T] {
    let start = address as usize as *const T;
    let mut length = 0;
    // SAFETY: the string's units are readable up to and including its NUL (contract).
    unsafe {
        while *start.add(length) != T::default() {
            length += 1;
        }
        std::slice::from_raw_parts(start, length)
    }
}

/// The JS string of the C string at `address` (see the module note for what is not valid), and
/// the bytes the C string takes without its NUL (what a batch of calls counts against its budget
/// of text held: `JsScope::hold`).
///
/// # Safety
/// As for `OwnedText::copy`; `env` is live on this thread, in an open handle scope.
#[inline]
pub unsafe fn to_js(env: sys::napi_env, address: u64, text: Text) -> (sys::napi_value, usize) {
    let mut out = ptr::null_mut();
    // SAFETY (each): forwarded; each buffer is readable for the length passed.
    let bytes = unsafe {
        match text {
            Text::Utf8 => {
                let bytes = CStr::from_ptr(address as usize as *const c_char).to_bytes();
                let length = bytes.len() as isize;
                sys::napi_create_string_utf8(env, bytes.as_ptr().cast(), length, &mut out);
                bytes.len()
            }
            Text::Utf16 => {
                let units = units::<u16>(address);
                sys::napi_create_string_utf16(env, units.as_ptr(), units.len() as isize, &mut out);
                2 * units.len()
            }
            Text::Utf32 => {
                let units = units::<u32>(address);
                let utf16 = utf16_from_utf32(units);
                sys::napi_create_string_utf16(env, utf16.as_ptr(), utf16.len() as isize, &mut out);
                4 * units.len()
            }
        }
    };
    (out, bytes)
}

/// UTF-32 units as UTF-16, each that is not a Unicode scalar value as U+FFFD.
fn utf16_from_utf32(units: &[u32]) -> Vec<u16> {
    let mut utf16 = Vec::with_capacity(units.len());
    for &unit in units {
        let c = char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER);
        utf16.extend_from_slice(c.encode_utf16(&mut [0; 2]));
    }
    utf16
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
    let units = utf16_of(env, value).unwrap_or_default();
    scalar_values(&units, "a cstring is UTF-8").map(drop)
}

/// The Unicode scalar values of UTF-16 `units`, or the error naming the first lone surrogate,
/// which `what` cannot encode ("a cstring is UTF-8").
fn scalar_values(units: &[u16], what: &str) -> Result<Vec<u32>, Failure> {
    let mut scalars = Vec::with_capacity(units.len() + 1);
    let mut index = 0;
    for c in char::decode_utf16(units.iter().copied()) {
        let c = c.map_err(|e| {
            Failure::type_error(format!(
                "{what}, which cannot encode the lone surrogate U+{:04X} at index {index}",
                e.unpaired_surrogate()
            ))
        })?;
        index += c.len_utf16();
        scalars.push(u32::from(c));
    }
    Ok(scalars)
}
