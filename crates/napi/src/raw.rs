//! Thin, checked access to raw Node-API values: the binding's hot paths call Node-API directly
//! instead of going through napi-rs's typed wrappers.

use std::ffi::{c_void, CStr};
use std::ptr;

use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName, ValidateNapiValue};
use napi::{sys, Error, Status, ValueType};

/// A JS value passed through napi-rs untouched.
#[derive(Clone, Copy)]
pub struct Raw(pub sys::napi_value);

impl TypeName for Raw {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for Raw {}

impl FromNapiValue for Raw {
    unsafe fn from_napi_value(_env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        Ok(Raw(value))
    }
}

impl ToNapiValue for Raw {
    unsafe fn to_napi_value(_env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        Ok(value.0)
    }
}

/// Which JS error constructor an error uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Type,
    Range,
    Plain,
}

/// An error of ours, not yet a JS object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: ErrorKind,
    pub message: String,
}

impl Failure {
    pub fn type_error(message: impl Into<String>) -> Failure {
        Failure {
            kind: ErrorKind::Type,
            message: message.into(),
        }
    }
    pub fn range_error(message: impl Into<String>) -> Failure {
        Failure {
            kind: ErrorKind::Range,
            message: message.into(),
        }
    }
    pub fn error(message: impl Into<String>) -> Failure {
        Failure {
            kind: ErrorKind::Plain,
            message: message.into(),
        }
    }

    /// Prefixes the message with context, e.g. the function and argument it concerns.
    pub fn context(self, prefix: impl std::fmt::Display) -> Failure {
        Failure {
            kind: self.kind,
            message: format!("{prefix}: {}", self.message),
        }
    }

    /// Creates the JS error object (not thrown).
    pub fn to_js(&self, env: sys::napi_env) -> sys::napi_value {
        let text = string(env, &self.message);
        let mut out = ptr::null_mut();
        // SAFETY: env is the current thread's live env; text is a string value of it.
        unsafe {
            match self.kind {
                ErrorKind::Type => {
                    sys::napi_create_type_error(env, ptr::null_mut(), text, &mut out)
                }
                ErrorKind::Range => {
                    sys::napi_create_range_error(env, ptr::null_mut(), text, &mut out)
                }
                ErrorKind::Plain => sys::napi_create_error(env, ptr::null_mut(), text, &mut out),
            };
        }
        out
    }

    /// `to_js`, its stack trace `site` (where the thing it concerns was made, `    at …` lines)
    /// instead of wherever native code made it (`<anonymous_script>:0` for an error of another
    /// thread's call, delivered by the event loop).
    pub fn to_js_at(&self, env: sys::napi_env, site: &str) -> sys::napi_value {
        let error = self.to_js(env);
        let name = match self.kind {
            ErrorKind::Type => "TypeError",
            ErrorKind::Range => "RangeError",
            ErrorKind::Plain => "Error",
        };
        let stack = string(env, &format!("{name}: {}\n{site}", self.message));
        // SAFETY: env live; error is a fresh object of its scope, whose own `stack` is data.
        unsafe { sys::napi_set_named_property(env, error, c"stack".as_ptr(), stack) };
        error
    }

    /// Throws it in `env` and returns the napi-rs error that tells napi-rs not to throw again.
    pub fn throw(&self, env: sys::napi_env) -> Error {
        // SAFETY: env is the current thread's live env; the value was just created in it.
        unsafe { sys::napi_throw(env, self.to_js(env)) };
        Error::from_status(Status::PendingException)
    }
}

/// The napi-rs result of a binding function whose errors are `Failure`s.
/// What Node-API passed a callback: fills the `capacity` slots at `argv` (the missing arguments
/// with undefined) and gives how many arguments were passed (more than `capacity` too) and the
/// callback's data pointer.
///
/// # Safety
/// `env` and `info` are those Node-API passed to the callback; `argv` points to `capacity`
/// writable slots.
#[inline(always)]
pub unsafe fn callback_info(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    argv: *mut sys::napi_value,
    capacity: usize,
) -> (usize, *mut std::ffi::c_void) {
    let mut argc = capacity;
    let mut data = ptr::null_mut();
    // SAFETY: forwarded.
    unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv, ptr::null_mut(), &mut data) };
    (argc, data)
}

pub fn throw_on_failure<T>(env: sys::napi_env, result: Result<T, Failure>) -> napi::Result<T> {
    result.map_err(|f| f.throw(env))
}

pub fn string(env: sys::napi_env, text: &str) -> sys::napi_value {
    let mut out = ptr::null_mut();
    // SAFETY: text is valid UTF-8 of the given length; env is live.
    unsafe {
        sys::napi_create_string_utf8(env, text.as_ptr().cast(), text.len() as isize, &mut out)
    };
    out
}

/// A strong reference to `value` (null if Node-API refuses, which it does only for a bad env).
pub fn strong_ref(env: sys::napi_env, value: sys::napi_value) -> sys::napi_ref {
    let mut reference = ptr::null_mut();
    // SAFETY: value belongs to env's current scope.
    unsafe { sys::napi_create_reference(env, value, 1, &mut reference) };
    reference
}

pub fn undefined(env: sys::napi_env) -> sys::napi_value {
    let mut out = ptr::null_mut();
    // SAFETY: env is live.
    unsafe { sys::napi_get_undefined(env, &mut out) };
    out
}

pub fn type_of(env: sys::napi_env, value: sys::napi_value) -> sys::napi_valuetype {
    let mut t = 0;
    // SAFETY: value belongs to env's current handle scope.
    unsafe { sys::napi_typeof(env, value, &mut t) };
    t
}

/// A JS function named `name` that calls `callback` with `data`, and `finalize` with `data` when it
/// is collected (or its env torn down). None if Node-API made no such function: the caller still
/// owns `data`.
///
/// # Safety
/// On env's thread, in an open handle scope; `data` valid until `finalize` runs.
pub unsafe fn function_with_data(
    env: sys::napi_env,
    name: &CStr,
    callback: unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value,
    data: *mut c_void,
    finalize: unsafe extern "C" fn(sys::napi_env, *mut c_void, *mut c_void),
) -> Option<sys::napi_value> {
    let mut function = ptr::null_mut();
    // SAFETY: forwarded; the name's length is passed.
    unsafe {
        let made = sys::napi_create_function(
            env,
            name.as_ptr(),
            name.count_bytes() as isize,
            Some(callback),
            data,
            &mut function,
        );
        let finalized = made == sys::Status::napi_ok
            && sys::napi_add_finalizer(
                env,
                function,
                data,
                Some(finalize),
                ptr::null_mut(),
                ptr::null_mut(),
            ) == sys::Status::napi_ok;
        finalized.then_some(function)
    }
}

/// Whether `value` is a Promise, or another object or function with a callable `then` (a
/// thenable, which `await` treats alike). Reading `then` may run a getter: only for values that
/// are not plain results (a callback's result that did not convert).
///
/// # Safety
/// `value` belongs to env's current handle scope, on its thread; JS may run.
pub unsafe fn is_thenable(env: sys::napi_env, value: sys::napi_value) -> bool {
    let mut is_promise = false;
    // SAFETY: forwarded.
    unsafe { sys::napi_is_promise(env, value, &mut is_promise) };
    let kind = type_of(env, value);
    if is_promise {
        return true;
    }
    if kind != sys::ValueType::napi_object && kind != sys::ValueType::napi_function {
        return false;
    }
    let mut then = ptr::null_mut();
    // SAFETY: forwarded; a getter that throws leaves an exception, cleared: not a thenable.
    let status = unsafe { sys::napi_get_named_property(env, value, c"then".as_ptr(), &mut then) };
    if status != sys::Status::napi_ok {
        let mut pending = ptr::null_mut();
        // SAFETY: forwarded.
        unsafe { sys::napi_get_and_clear_last_exception(env, &mut pending) };
        return false;
    }
    type_of(env, then) == sys::ValueType::napi_function
}

/// Reads a JS string as UTF-8.
pub fn read_string(env: sys::napi_env, value: sys::napi_value) -> Option<String> {
    let bytes = string_units(|buf: *mut u8, size, count| {
        // SAFETY: per string_units' contract (NULL and 0 ask for the length); a non-string gives
        // a status.
        unsafe { sys::napi_get_value_string_utf8(env, value, buf.cast(), size, count) }
    })?;
    String::from_utf8(bytes).ok()
}

/// The code units of a JS string as `read` gives them (Node-API's UTF-8 or UTF-16 reader, called
/// with a buffer, its size in units and where the count goes), without the NUL; None when `read`
/// fails (a value that is no string). `read` is called first with NULL and 0 (the length only),
/// then with a buffer of the length plus one unit, for the NUL Node-API writes.
pub fn string_units<T: Copy + Default>(
    read: impl Fn(*mut T, usize, *mut usize) -> sys::napi_status,
) -> Option<Vec<T>> {
    let mut length = 0usize;
    if read(ptr::null_mut(), 0, &mut length) != sys::Status::napi_ok {
        return None;
    }
    let mut units = vec![T::default(); length + 1];
    let mut copied = 0usize;
    read(units.as_mut_ptr(), units.len(), &mut copied);
    units.truncate(copied);
    Some(units)
}

/// How many characters of a string a message quotes.
const QUOTED_CHARS: usize = 40;

/// How many characters of a name (a path, a symbol) a message quotes: every real one, but not a
/// megabyte of them.
const NAME_CHARS: usize = 256;

/// `text` quoted for a message, its first 256 characters when longer (a 1 MB path or symbol name
/// came back in a 2 MB message): `"abc"`, `"abcd…"… (1000000 characters)`.
pub fn quoted(text: &str) -> String {
    match text.char_indices().nth(NAME_CHARS) {
        None => format!("{text:?}"),
        Some((end, _)) => format!("{:?}… ({} characters)", &text[..end], text.chars().count()),
    }
}

/// `message` (an OS error's, which may repeat a path or name) with each `text` in it replaced by
/// `quoted(text)` when that is shorter.
pub fn mentioning(message: &str, text: &str) -> String {
    if text.chars().nth(NAME_CHARS).is_none() {
        return message.to_string();
    }
    message.replace(text, &quoted(text))
}

/// A short description of a JS value for error messages: `300`, `1.5`, `"abc"`, `12n`,
/// `undefined`, `null`, `an object`, `a function`, `a symbol`. Bounded in size and cost whatever
/// the value: a long string is cut (only its start is read), a bigint over 128 bits is described
/// by its size.
pub fn describe(env: sys::napi_env, value: sys::napi_value) -> String {
    match type_of(env, value) {
        sys::ValueType::napi_undefined => "undefined".into(),
        sys::ValueType::napi_null => "null".into(),
        sys::ValueType::napi_boolean => {
            let mut b = false;
            // SAFETY: value is a boolean.
            unsafe { sys::napi_get_value_bool(env, value, &mut b) };
            b.to_string()
        }
        sys::ValueType::napi_number => {
            let mut d = 0.0;
            // SAFETY: value is a number.
            unsafe { sys::napi_get_value_double(env, value, &mut d) };
            format_number(d)
        }
        sys::ValueType::napi_string => {
            // Only the start is read: a message must not copy a 256 MB string.
            let mut buf = [0u8; 4 * QUOTED_CHARS + 1];
            let mut copied = 0usize;
            let mut length = 0usize;
            // SAFETY: value is a string; the buffer's size is passed; a NULL buffer asks for
            // the length only (in UTF-16 units: known without a scan, unlike the UTF-8 one).
            unsafe {
                sys::napi_get_value_string_utf16(env, value, ptr::null_mut(), 0, &mut length);
                sys::napi_get_value_string_utf8(
                    env,
                    value,
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    &mut copied,
                );
            }
            let text = String::from_utf8_lossy(&buf[..copied]);
            let short: String = text.chars().take(QUOTED_CHARS).collect();
            let ellipsis = if short.encode_utf16().count() < length {
                "…"
            } else {
                ""
            };
            format!("{short:?}{ellipsis}")
        }
        sys::ValueType::napi_bigint => {
            let mut words = 0usize;
            // SAFETY: value is a bigint; NULL sign and words ask for the word count only.
            unsafe {
                sys::napi_get_value_bigint_words(
                    env,
                    value,
                    ptr::null_mut(),
                    &mut words,
                    ptr::null_mut(),
                )
            };
            if words > 2 {
                // Its decimal form would take time quadratic in its size (20 s for 2^(2^26)).
                return format!("a bigint of {words} 64-bit words");
            }
            let mut coerced = ptr::null_mut();
            // SAFETY: coercing a bigint to a string cannot throw.
            unsafe { sys::napi_coerce_to_string(env, value, &mut coerced) };
            format!("{}n", read_string(env, coerced).unwrap_or_default())
        }
        sys::ValueType::napi_symbol => "a symbol".into(),
        sys::ValueType::napi_function => "a function".into(),
        _ => "an object".into(),
    }
}

/// Formats a number the way JS `String(n)` prints it (except -0, kept visible in messages).
pub fn format_number(d: f64) -> String {
    let magnitude = d.abs();
    if d.is_nan() {
        "NaN".into()
    } else if d.is_infinite() {
        if d > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
        // JS switches to exponent notation outside [1e-6, 1e21) and signs the exponent.
        let text = format!("{d:e}");
        match text.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
            _ => text,
        }
    } else {
        format!("{d}")
    }
}

/// Defines `name` on `object` as a data property of `value` (defined: no setter of the object or
/// its prototypes runs); the status.
///
/// # Safety
/// `env` live on this thread; `object` and `value` belong to its open scope.
pub unsafe fn define_data(
    env: sys::napi_env,
    object: sys::napi_value,
    name: &std::ffi::CStr,
    value: sys::napi_value,
    attributes: sys::napi_property_attributes,
) -> sys::napi_status {
    let property = sys::napi_property_descriptor {
        utf8name: name.as_ptr(),
        name: ptr::null_mut(),
        method: None,
        getter: None,
        setter: None,
        value,
        attributes,
        data: ptr::null_mut(),
    };
    // SAFETY: forwarded; one descriptor.
    unsafe { sys::napi_define_properties(env, object, 1, &property) }
}
