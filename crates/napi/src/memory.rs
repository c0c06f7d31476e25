//! `memory`: reading and writing scalars at native addresses, and the address of JS-owned bytes.
//!
//! Reads copy into JS values; no external ArrayBuffer is ever created (Electron's V8 memory
//! cage forbids them). What is checked: NULL, misalignment for the type, address + offset
//! overflow. What cannot be checked: that the address is mapped and that the bytes there are
//! what the caller thinks; a wrong address faults as it would in C.

use std::ffi::c_void;
use std::fmt;
use std::ptr;

use bare_fn_core::Type;
use napi::{sys, Env, Result};
use napi_derive::napi;

use crate::from_js::from_js;
use crate::raw::{read_string, throw_on_failure, undefined, Failure, Raw};
use crate::to_js::to_js;
use crate::views::data_pointer;

/// The type code argument (src/lib/memory.ts passes `t.*.code`). Arguments here are taken raw and read
/// with one Node-API call each: napi-rs's typed arguments check each value's type first, which
/// was most of the cost of a read.
fn type_from_code(env: sys::napi_env, code: Raw, what: &str) -> std::result::Result<Type, Failure> {
    let mut code_value = u32::MAX;
    // SAFETY: code is an argument value of the current call; a non-number leaves u32::MAX.
    unsafe { sys::napi_get_value_uint32(env, code.0, &mut code_value) };
    match Type::ALL.get(code_value as usize) {
        Some(Type::Void) => Err(Failure::type_error(format!("{what}: cannot access void"))),
        Some(&t) => Ok(t),
        None => Err(Failure::type_error(format!(
            "{what}: unknown type code {code_value}"
        ))),
    }
}

/// address + offset, checked: not NULL, aligned for `ty`, no overflow.
fn target(
    env: sys::napi_env,
    ty: Type,
    address: Raw,
    offset: Raw,
    what: &str,
) -> std::result::Result<usize, Failure> {
    let at = address_at(env, address, offset, &what)?;
    let align = ty.size().min(align_of::<u64>());
    if at % align != 0 {
        return Err(Failure::range_error(format!(
            "{what}: address 0x{at:x} is not aligned to {align} bytes for {ty}"
        )));
    }
    Ok(at)
}

/// A pointer argument, converted strictly (a bigint, or a safe integer); errors start with
/// `context`.
fn pointer_arg(
    env: sys::napi_env,
    value: Raw,
    context: impl std::fmt::Display,
) -> std::result::Result<u64, Failure> {
    // SAFETY: value is an argument of the current call.
    unsafe { from_js(env, Type::Pointer, value.0, &mut Vec::new()) }.map_err(|f| f.context(context))
}

/// A label for messages that is a JS string, read when a message is made.
struct JsLabel {
    env: sys::napi_env,
    value: Raw,
}

impl fmt::Display for JsLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&read_string(self.env, self.value.0).unwrap_or_default())
    }
}

/// address + offset, checked: neither NULL, no wrap-around.
fn address_at(
    env: sys::napi_env,
    address: Raw,
    offset: Raw,
    what: &dyn fmt::Display,
) -> std::result::Result<usize, Failure> {
    let (mut base, mut lossless) = (0u64, false);
    // SAFETY: address is an argument value of the current call; a non-bigint gives a status.
    let status =
        unsafe { sys::napi_get_value_bigint_uint64(env, address.0, &mut base, &mut lossless) };
    if status != sys::Status::napi_ok || !lossless {
        // Not a bigint in range: the strict conversion explains why (or accepts a safe integer).
        base = pointer_arg(env, address, format_args!("{what}: address"))?;
    }
    let mut offset_value = 0i64;
    // SAFETY: offset is an argument value (src/lib/memory.ts passes a checked safe integer).
    unsafe { sys::napi_get_value_int64(env, offset.0, &mut offset_value) };
    let offset = offset_value;
    if base == 0 {
        return Err(Failure::range_error(format!("{what}: address is NULL")));
    }
    let at = (base as i128) + i128::from(offset);
    match usize::try_from(at) {
        Ok(0) => Err(Failure::range_error(format!(
            "{what}: address 0x{base:x} + offset {offset} is NULL"
        ))),
        Ok(at) => Ok(at),
        Err(_) => Err(Failure::range_error(format!(
            "{what}: address 0x{base:x} + offset {offset} is outside the address space"
        ))),
    }
}

/// The native range `length` bytes at `address + offset` and the JS-owned `view`'s bytes, for a
/// copy between them (`[address, offset, view, length, what]`: src/lib/memory.ts passes a checked
/// length, and what the call is, for errors). The length is checked here against the view's real
/// size too: a `byteLength` property can be made to say anything.
fn byte_range(
    env: sys::napi_env,
    [address, offset, view, length, what]: [Raw; 5],
) -> std::result::Result<(usize, *mut u8, usize), Failure> {
    // Read only for an error: making a Rust string of it on every copy cost more than the copy.
    let what = JsLabel { env, value: what };
    let at = address_at(env, address, offset, &what)?;
    let mut count = 0u32;
    // SAFETY: length is an argument value; a non-number leaves 0.
    unsafe { sys::napi_get_value_uint32(env, length.0, &mut count) };
    let count = count as usize;
    if at.checked_add(count).is_none() {
        return Err(Failure::range_error(format!(
            "{what}: address 0x{at:x} + {count} bytes goes past the end of the address space"
        )));
    }
    let (data, bytes) = data_pointer(env, view.0, &what)?;
    if count > bytes {
        return Err(Failure::range_error(format!(
            "{what}: {count} bytes do not fit a view of {bytes}"
        )));
    }
    Ok((at, data.cast(), count))
}

/// Copies `length` bytes at `address + offset` into the JS-owned `view`
/// (`memoryReadInto(address, offset, view, length, what)`).
///
/// # Safety
/// As for `read`.
pub unsafe fn read_into(
    env: sys::napi_env,
    args: [Raw; 5],
) -> std::result::Result<sys::napi_value, Failure> {
    let (at, view, count) = byte_range(env, args)?;
    // SAFETY: the caller promises `count` readable bytes at `at` (module note); `view` holds at
    // least `count` bytes (checked). ptr::copy: the ranges may overlap when the address is the
    // view's own.
    unsafe { ptr::copy(at as *const u8, view, count) };
    Ok(undefined(env))
}

/// Copies the first `length` bytes of the JS-owned `view` to `address + offset`
/// (`memoryWriteFrom(address, offset, view, length, what)`).
///
/// # Safety
/// As for `read`.
pub unsafe fn write_from(
    env: sys::napi_env,
    args: [Raw; 5],
) -> std::result::Result<sys::napi_value, Failure> {
    let (at, view, count) = byte_range(env, args)?;
    // SAFETY: the caller promises `count` writable bytes at `at`; as in read_into otherwise.
    unsafe { ptr::copy(view, at as *mut u8, count) };
    Ok(undefined(env))
}

/// Reads one `type` at `address + offset` (`memoryRead(code, address, offset)`).
///
/// # Safety
/// On `env`'s thread, in a callback's scope; the arguments are values of it.
pub unsafe fn read(
    env: sys::napi_env,
    [type_code, address, offset]: [Raw; 3],
) -> std::result::Result<sys::napi_value, Failure> {
    let ty = type_from_code(env, type_code, "memory.read")?;
    let at = target(env, ty, address, offset, "memory.read")?;
    // SAFETY: the caller promises `at` is readable for `ty` (see the module note); alignment and
    // NULL were checked. A C string is copied by to_js before this call returns.
    let raw = unsafe { read_raw(ty, at) };
    // SAFETY: inside the callback's scope.
    Ok(unsafe { to_js(env, ty, raw) })
}

/// Writes `value` as one `type` at `address + offset` (`memoryWrite(code, address, value,
/// offset, label)`). Writing a cstring stores a pointer and is refused (the string's memory would
/// not outlive the call). An error about the value starts with `label` when it is a string (a
/// struct's field path), else with "memory.write: value".
///
/// # Safety
/// As for `read`.
pub unsafe fn write(
    env: sys::napi_env,
    [type_code, address, value, offset, label]: [Raw; 5],
) -> std::result::Result<sys::napi_value, Failure> {
    let ty = type_from_code(env, type_code, "memory.write")?;
    if ty.text().is_some() {
        return Err(Failure::type_error(format!(
            "memory.write: cannot write a {ty} (its memory would not outlive the call); \
             write the units into a buffer and store its address as a pointer"
        )));
    }
    let at = target(env, ty, address, offset, "memory.write")?;
    // SAFETY: value is an argument of this call.
    let raw = unsafe { from_js(env, ty, value.0, &mut Vec::new()) }.map_err(|f| {
        // Only read on this error path.
        match read_string(env, label.0) {
            Some(label) => f.context(label),
            None => f.context("memory.write: value"),
        }
    })?;
    // SAFETY: the caller promises `at` is writable for `ty`; alignment and NULL checked.
    unsafe { write_raw(ty, at, raw) };
    Ok(undefined(env))
}

/// # Safety
/// `at` is readable and aligned for `ty`.
unsafe fn read_raw(ty: Type, at: usize) -> u64 {
    // SAFETY: forwarded contract (each arm reads exactly `ty.size()` bytes).
    unsafe {
        let bits = match ty.size() {
            1 => u64::from(ptr::read(at as *const u8)),
            2 => u64::from(ptr::read(at as *const u16)),
            4 => u64::from(ptr::read(at as *const u32)),
            _ => ptr::read(at as *const u64),
        };
        ty.normalize(bits)
    }
}

/// # Safety
/// `at` is writable and aligned for `ty`.
unsafe fn write_raw(ty: Type, at: usize, raw: u64) {
    // SAFETY: forwarded contract (each arm writes exactly `ty.size()` bytes).
    unsafe {
        match ty.size() {
            1 => ptr::write(at as *mut u8, raw as u8),
            2 => ptr::write(at as *mut u16, raw as u16),
            4 => ptr::write(at as *mut u32, raw as u32),
            _ => ptr::write(at as *mut u64, raw),
        }
    }
}

/// `size` zero-filled bytes from the C heap (`calloc`: aligned for any C type), for
/// `memory.alloc`; src/lib/block.ts frees them once with `memoryFree`.
#[napi(js_name = "memoryAlloc")]
pub fn memory_alloc(env: Env, size: u32) -> Result<Raw> {
    // SAFETY: calloc with a non-zero size (src/lib/block.ts checks it) returns memory or NULL.
    let block = unsafe { libc::calloc(1, size as usize) };
    if block.is_null() {
        let failure = Failure::range_error(format!("memory.alloc: cannot allocate {size} bytes"));
        return Err(failure.throw(env.raw()));
    }
    // SAFETY: inside this call's scope.
    Ok(Raw(unsafe {
        to_js(env.raw(), Type::Pointer, block as usize as u64)
    }))
}

/// Frees a block of `memoryAlloc` (src/lib/block.ts calls it once per block).
#[napi(js_name = "memoryFree")]
pub fn memory_free(env: Env, address: Raw) -> Result<()> {
    let env = env.raw();
    // SAFETY: address is an argument of this call.
    let at = throw_on_failure(env, unsafe {
        from_js(env, Type::Pointer, address.0, &mut Vec::new())
    })?;
    // SAFETY: `at` came from calloc in memory_alloc and is freed once (src/lib/block.ts).
    unsafe { libc::free(at as usize as *mut c_void) };
    Ok(())
}

/// Reads the NUL-terminated string at `address` (null for NULL) in the encoding of the string
/// type `type` (`memoryReadCString(address, code)`).
///
/// # Safety
/// As for `read`.
pub unsafe fn read_cstring(
    env: sys::napi_env,
    [address, type_code]: [Raw; 2],
) -> std::result::Result<sys::napi_value, Failure> {
    let ty = type_from_code(env, type_code, "memory.readCString")?;
    let Some(text) = ty.text() else {
        return Err(Failure::type_error(format!(
            "memory.readCString: {ty} is not a string type (cstring, cstring16, cstring32)"
        )));
    };
    let at = pointer_arg(env, address, "memory.readCString: the address")?;
    if !(at as usize).is_multiple_of(text.unit()) {
        return Err(Failure::range_error(format!(
            "memory.readCString: address 0x{at:x} is not aligned for {ty} ({} bytes)",
            text.unit()
        )));
    }
    // SAFETY: the caller promises a NUL-terminated string of `ty` at `at` (or NULL: null);
    // aligned (checked).
    Ok(unsafe { to_js(env, ty, at) })
}

/// The address of the first byte of a TypedArray, Buffer, DataView or ArrayBuffer (its
/// byteOffset included). Valid while the JS object is alive and not detached or resized.
#[napi(js_name = "memoryAddressOf")]
pub fn memory_address_of(env: Env, view: Raw) -> Result<Raw> {
    let env = env.raw();
    let (data, _) = throw_on_failure(env, data_pointer(env, view.0, &"memory.addressOf"))?;
    // SAFETY: inside this call's scope.
    Ok(Raw(unsafe {
        to_js(env, Type::Pointer, data as usize as u64)
    }))
}
