//! The C strings of one outgoing call's arguments: UTF-8 encoded straight into bytes on the call's
//! own stack (no heap allocation), a string that does not fit in what is left getting a heap
//! allocation of its own, as UTF-16 and UTF-32 strings do. They live until the call's result is
//! converted (a returned `char *` may point into one of them: strchr, strstr).

use bare_fn_core::Text;
use napi::sys;
use std::mem::MaybeUninit;

use crate::from_js::CStrings;
use crate::raw::Failure;
use crate::text::{check_cstring, OwnedText};

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
    /// Strings that did not fit, and the UTF-16 and UTF-32 ones (on the heap).
    spilled: Vec<OwnedText>,
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

    /// A string that did not fit on the stack, in an allocation of its own.
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
        Ok(OwnedText::from_js(env, value, Text::Utf8)?.map(|owned| self.keep(owned)))
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

    #[cold]
    fn keep(&mut self, text: OwnedText) -> u64 {
        let address = text.address();
        self.spilled.push(text);
        address
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

    fn keep(&mut self, _text: OwnedText) -> u64 {
        unreachable!("a signature without C-string arguments converts no string")
    }
}
