//! 64-bit, size and pointer arguments of native -> JS calls go to JS through a buffer, not as
//! Node-API BigInts.
//!
//! `napi_create_bigint_uint64` is a C++ heap allocation and a canonicalisation, about 175
//! instructions, where optimised JS reading a BigUint64Array element makes the same BigInt inline
//! (or not at all, when the callback only uses it in `memory.read`): for a qsort comparator, two
//! pointers per call were a sixth of the whole call (bench/README.md). So for each such argument
//! the call writes the raw 64 bits into the env's argument buffer at the argument's position and
//! passes `undefined` in its place; the BareFn's JS function is then a wrapper made by
//! src/lib/arg-buffer.ts that reads those positions from the buffer and calls the callback with them.
//!
//! The buffer is one ArrayBuffer per env, allocated by V8 (Electron forbids external buffers),
//! held by a strong reference; its backing store does not move and is never detached (nothing
//! outside bare-fn sees it but the module-private views in arg-buffer.ts). Calls nest (a callback
//! calls native code that calls another BareFn), yet one buffer suffices: a wrapper reads its
//! arguments before it calls anything, and nothing runs JS between the native side's writes and
//! the wrapper's reads (the Node-API call enters the wrapper directly; finalizers do not run JS
//! inside V8's allocation of the BigInts).

use std::ptr;

use bare_fn_core::{Type, MAX_ARGS, MAX_BY_VALUE};
use napi::sys;

use crate::owned_ref::OwnedRef;
use crate::raw::{strong_ref, Failure};

/// Whether an argument of type `ty` goes through the buffer: the types whose JS values are
/// bigints. src/lib/arg-buffer.ts reads the choice from the table of types (`scalar_types`).
#[inline]
pub fn passes(ty: Type) -> bool {
    matches!(
        ty,
        Type::I64 | Type::U64 | Type::Isize | Type::Usize | Type::Pointer
    )
}

/// The buffer's layout: MAX_ARGS u64 slots, one per argument position; then the bytes of the
/// struct arguments of a call, each at the next multiple of 8 in argument order (`STRUCTS_AT`,
/// room for MAX_BY_VALUE bytes and that padding); then a returned struct (`RETURN_AT`), which
/// the JS wrapper writes. src/lib/arg-buffer.ts finds the two offsets through `argBufferLayout`.
pub const STRUCTS_AT: usize = MAX_ARGS * size_of::<u64>();
pub const RETURN_AT: usize = STRUCTS_AT + MAX_BY_VALUE + 8 * MAX_ARGS;
const SIZE: usize = RETURN_AT + MAX_BY_VALUE;

pub struct ArgBuffer {
    /// The backing store (see `STRUCTS_AT`).
    data: *mut u64,
    buffer: OwnedRef,
}

// SAFETY: only the env's thread writes through `data` or uses the reference (see `write`); other
// threads only move the pointers along with the dispatcher holding them.
unsafe impl Send for ArgBuffer {}
unsafe impl Sync for ArgBuffer {}

impl ArgBuffer {
    /// # Safety
    /// On `env`'s thread, in a handle scope.
    pub unsafe fn new(env: sys::napi_env) -> Result<ArgBuffer, Failure> {
        let (mut data, mut buffer) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: forwarded; out-pointers valid.
        let status = unsafe { sys::napi_create_arraybuffer(env, SIZE, &mut data, &mut buffer) };
        // The backing store of a fresh ArrayBuffer is zeroed and at least 8-aligned (V8 allocates
        // it with calloc-like alignment), so it holds MAX_ARGS aligned u64 slots, then the rest.
        let aligned = (data as usize).is_multiple_of(align_of::<u64>());
        if status != sys::Status::napi_ok || data.is_null() || !aligned {
            return Err(Failure::error(format!(
                "bare-fn: cannot create the argument buffer (Node-API status {status})"
            )));
        }
        Ok(ArgBuffer {
            data: data.cast(),
            buffer: OwnedRef::new(strong_ref(env, buffer)),
        })
    }

    /// The ArrayBuffer.
    ///
    /// # Safety
    /// On the env's thread, before its teardown, in a handle scope.
    pub unsafe fn value(&self, env: sys::napi_env) -> sys::napi_value {
        // SAFETY: forwarded.
        unsafe { self.buffer.value(env) }
    }

    /// Puts the raw value of the argument at `position` in its slot.
    ///
    /// # Safety
    /// On the env's thread, before its teardown (the reference keeps the buffer alive until
    /// then); `position < MAX_ARGS`.
    #[inline]
    pub unsafe fn write(&self, position: usize, raw: u64) {
        debug_assert!(position < MAX_ARGS);
        // SAFETY: in bounds (contract and the size above), aligned (checked in `new`); only this
        // thread touches the buffer's memory natively, and JS does not run during the write.
        unsafe { self.data.add(position).write(raw) };
    }
}

impl ArgBuffer {
    /// Where the bytes of a struct argument go: `len` bytes at `at` (from `STRUCTS_AT`).
    ///
    /// # Safety
    /// As for `write`; `at + len <= RETURN_AT` (the signature's struct arguments take at most
    /// MAX_BY_VALUE bytes, with less than 8 of padding each); the slice is filled before JS runs
    /// again and not kept.
    #[inline]
    #[allow(clippy::mut_from_ref)] // the buffer is the env thread's alone, between JS runs
    pub unsafe fn struct_slot(&self, at: usize, len: usize) -> &mut [u8] {
        debug_assert!(at >= STRUCTS_AT && at + len <= RETURN_AT);
        // SAFETY: in bounds (contract); nothing else touches the memory meanwhile (see `write`).
        unsafe { std::slice::from_raw_parts_mut(self.data.cast::<u8>().add(at), len) }
    }

    /// The returned struct the JS wrapper wrote, `len` bytes.
    ///
    /// # Safety
    /// As for `write`; `len <= MAX_BY_VALUE`; the slice is used before JS runs again.
    #[inline]
    pub unsafe fn returned(&self, len: usize) -> &[u8] {
        debug_assert!(len <= MAX_BY_VALUE);
        // SAFETY: in bounds (contract and SIZE).
        unsafe { std::slice::from_raw_parts(self.data.cast::<u8>().add(RETURN_AT), len) }
    }
}

/// `[STRUCTS_AT, RETURN_AT]`, for src/lib/arg-buffer.ts.
#[napi_derive::napi]
pub fn arg_buffer_layout() -> Vec<u32> {
    vec![STRUCTS_AT as u32, RETURN_AT as u32]
}
