//! The C strings of one outgoing call's arguments: encoded straight into bytes on the call's own
//! stack (no heap allocation), a string that does not fit in what is left getting a heap
//! allocation of its own. They live until the call's result is converted (a returned `char *`
//! may point into one of them: strchr, strstr).

use std::mem::MaybeUninit;
use std::ptr;

use napi::sys;

use crate::from_js::{check_cstring, CStrings};
use crate::raw::Failure;

/// Bytes of C strings a call with string arguments keeps on its stack (a call without any has
/// `NoStrings`).
pub const STACK_BYTES: usize = 1024;

/// Room a write must leave unused to prove that it holds the whole string. Node-API writes as
/// many whole characters as fit (V8 never splits one) and one takes at most 4 bytes of UTF-8, so
/// a write that left 4 bytes free was not cut short.
const PROOF: usize = 4;

pub struct CallStrings<const N: usize> {
    /// `bytes[..used]` hold the strings encoded so far, each NUL-terminated. A pointer into them
    /// is handed to C, so this value is not moved once a string is in it: it is a local of the
    /// call, used by reference.
    bytes: [MaybeUninit<u8>; N],
    used: usize,
    /// Strings that did not fit.
    spilled: Vec<Box<[u8]>>,
}

impl<const N: usize> CallStrings<N> {
    #[inline]
    pub fn new() -> CallStrings<N> {
        CallStrings {
            bytes: [MaybeUninit::uninit(); N],
            used: 0,
            spilled: Vec::new(),
        }
    }

    /// A string that did not fit on the stack, in an allocation of its exact size.
    ///
    /// # Safety
    /// As for `CStrings::encode`.
    #[cold]
    #[inline(never)]
    unsafe fn spill(
        &mut self,
        env: sys::napi_env,
        value: sys::napi_value,
    ) -> Result<Option<u64>, Failure> {
        let mut length = 0usize;
        // SAFETY: a NULL buffer asks for the UTF-8 length; a non-string gives a status.
        let status =
            unsafe { sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &mut length) };
        if status != sys::Status::napi_ok {
            return Ok(None);
        }
        let mut heap = vec![0u8; length + 1].into_boxed_slice();
        let mut copied = 0usize;
        // SAFETY: the buffer holds length + 1 bytes, as passed; Node-API writes the NUL.
        unsafe {
            sys::napi_get_value_string_utf8(
                env,
                value,
                heap.as_mut_ptr().cast(),
                heap.len(),
                &mut copied,
            )
        };
        check_cstring(env, value, &heap[..copied])?;
        let address = heap.as_ptr() as usize as u64;
        self.spilled.push(heap);
        Ok(Some(address))
    }
}

impl<const N: usize> CStrings for CallStrings<N> {
    #[inline(always)]
    unsafe fn encode(
        &mut self,
        env: sys::napi_env,
        value: sys::napi_value,
    ) -> Result<Option<u64>, Failure> {
        let room = N - self.used;
        if room <= PROOF {
            // SAFETY: forwarded.
            return unsafe { self.spill(env, value) };
        }
        let at = self.bytes[self.used..].as_mut_ptr().cast::<u8>();
        let mut copied = 0usize;
        // SAFETY: `at` has `room` bytes; Node-API writes at most room - 1 and a NUL after them;
        // a non-string gives a status and writes nothing.
        let status =
            unsafe { sys::napi_get_value_string_utf8(env, value, at.cast(), room, &mut copied) };
        if status != sys::Status::napi_ok {
            return Ok(None);
        }
        if room - 1 - copied < PROOF {
            // Perhaps cut short: written again where it fits (these bytes are left unused).
            // SAFETY: forwarded.
            return unsafe { self.spill(env, value) };
        }
        // SAFETY: Node-API initialized `copied` bytes at `at`.
        let bytes = unsafe { std::slice::from_raw_parts(at, copied) };
        check_cstring(env, value, bytes)?;
        self.used += copied + 1;
        Ok(Some(at as usize as u64))
    }
}

/// The strings of a call of a signature without C-string arguments: none, and no room for any.
pub struct NoStrings;

impl CStrings for NoStrings {
    unsafe fn encode(
        &mut self,
        _env: sys::napi_env,
        _value: sys::napi_value,
    ) -> Result<Option<u64>, Failure> {
        unreachable!("a signature without C-string arguments converts no string")
    }
}
