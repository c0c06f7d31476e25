//! The live BareFns of this thread's env, for `BareFn.live()` and for leak reports: every
//! BareFn from creation to dispose, and forever once leaked (its thunk is never freed).
//! Touched only on the owning JS thread (create, dispose and finalizers run there).

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ptr;
use std::sync::Arc;

use bare_fn_core::Type;
use napi::sys;

use crate::callback::JsCallback;
use crate::raw::string;
use crate::to_js::to_js;

struct Entry {
    /// The BareFn's callback state, for its signature and mode (alive while the BareFn is).
    callback: Arc<JsCallback>,
    created_at: Option<String>,
    leaked: bool,
}

/// Hashes a thunk address (unique, never chosen by an adversary) with one multiply instead of
/// SipHash, which cost a create + dispose two hashes of about 90 instructions each.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, address: u64) {
        // Addresses are aligned: mix the product's high bits down into the bucket bits.
        let h = (self.0 ^ address).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Registry = HashMap<u64, Entry, BuildHasherDefault<AddressHasher>>;

thread_local! {
    static LIVE: RefCell<Registry> = RefCell::new(Registry::default());
}

pub fn add(address: u64, callback: &Arc<JsCallback>, created_at: Option<String>) {
    let entry = Entry {
        callback: callback.clone(),
        created_at,
        leaked: false,
    };
    LIVE.with(|live| live.borrow_mut().insert(address, entry));
}

pub fn remove(address: u64) {
    LIVE.with(|live| live.borrow_mut().remove(&address));
}

/// Marks the BareFn at `address` leaked; the warning to report, the first time.
pub fn mark_leaked(address: u64) -> Option<String> {
    LIVE.with(|live| {
        let mut live = live.borrow_mut();
        let entry = live.get_mut(&address).filter(|e| !e.leaked)?;
        entry.leaked = true;
        let whereabouts = match &entry.created_at {
            Some(site) => format!("\nCreated {}", site.trim_start()),
            None => " Set BARE_FN_TRACE=1 to record where BareFns are created.".into(),
        };
        Some(format!(
            "BareFn {} ('{}', 0x{address:x}) was garbage-collected without dispose(): its thunk \
             and JS function are kept forever, since native code may still call it.{whereabouts}",
            entry.callback.signature(),
            entry.callback.mode().name()
        ))
    })
}

/// `liveBareFns()`: an array of `{ signature, threading, address, createdAt, leaked }`, in no
/// particular order.
///
/// # Safety
/// On `env`'s thread, in a callback's scope.
pub unsafe fn list(env: sys::napi_env) -> sys::napi_value {
    LIVE.with(|live| {
        let live = live.borrow();
        let mut array = ptr::null_mut();
        // SAFETY: env live, in the callback's scope; every value below belongs to it.
        unsafe {
            sys::napi_create_array_with_length(env, live.len(), &mut array);
            for (i, (address, entry)) in live.iter().enumerate() {
                let mut object = ptr::null_mut();
                sys::napi_create_object(env, &mut object);
                let mut leaked = ptr::null_mut();
                sys::napi_get_boolean(env, entry.leaked, &mut leaked);
                let created_at = match &entry.created_at {
                    Some(site) => string(env, site),
                    None => to_js(env, Type::Void, 0),
                };
                let fields = [
                    (
                        c"signature",
                        string(env, &entry.callback.signature().to_string()),
                    ),
                    (c"threading", string(env, entry.callback.mode().name())),
                    (c"address", to_js(env, Type::Pointer, *address)),
                    (c"createdAt", created_at),
                    (c"leaked", leaked),
                ];
                for (name, value) in fields {
                    sys::napi_set_named_property(env, object, name.as_ptr(), value);
                }
                sys::napi_set_element(env, array, i as u32, object);
            }
        }
        array
    })
}
