//! A strong Node-API reference that other threads may hold and hand back, but only its owning
//! thread uses.

use std::ptr;

use napi::sys;

/// A strong Node-API reference that may be handed to another thread to be passed back: only its
/// owning thread dereferences or deletes it.
pub struct OwnedRef(sys::napi_ref);

// SAFETY: the pointer is only used on the owning thread (see above); other threads only move it.
unsafe impl Send for OwnedRef {}
unsafe impl Sync for OwnedRef {}

impl OwnedRef {
    pub fn new(reference: sys::napi_ref) -> OwnedRef {
        OwnedRef(reference)
    }

    /// The reference itself, for Node-API calls on the owning thread.
    pub fn raw(&self) -> sys::napi_ref {
        self.0
    }

    /// The referenced value.
    ///
    /// # Safety
    /// On the owning thread of the reference, with its live env, in a handle scope.
    pub unsafe fn value(&self, env: sys::napi_env) -> sys::napi_value {
        let mut value = ptr::null_mut();
        // SAFETY: forwarded.
        unsafe { sys::napi_get_reference_value(env, self.0, &mut value) };
        value
    }

    /// # Safety
    /// On the owning thread of the reference, with its live env; once.
    pub unsafe fn delete(self, env: sys::napi_env) {
        // SAFETY: forwarded.
        unsafe { sys::napi_delete_reference(env, self.0) };
    }
}
