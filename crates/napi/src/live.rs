//! The live BareFns of this thread's env, which own their native halves (`NativeBareFn`): every
//! BareFn from creation to dispose, and forever once leaked (its thunk is never freed). A BareFn's
//! JS object holds its index here, and its JS function is at the same index of the env's function
//! table (src/lib/bare-fn.ts, `functions`). Touched only on the owning JS thread (create, dispose and
//! leak reports run there).

use std::cell::RefCell;
use std::ptr;
use std::sync::Mutex;

use bare_fn_core::{Thunk, Type};
use napi::sys;

use crate::callback::JsCallback;
use crate::raw::{string, Failure};
use crate::to_js::to_js;

/// A live BareFn: the thunk and, through it, the callback it calls (`callback`). Dispose retires
/// the thunk into quarantine (holding the callback, whose JS function is released at once).
pub struct NativeBareFn {
    pub thunk: Thunk<JsCallback>,
    /// Created with `{ ref: true }`: counted in its env's keep-alive until disposed.
    pub keep_alive: bool,
    /// Garbage-collected without dispose: kept until the thread ends, its place never reused
    /// (see `live`).
    pub leaked: bool,
}

impl NativeBareFn {
    pub fn callback(&self) -> &JsCallback {
        self.thunk.handler()
    }
}

/// A slab: adding and removing cost no hashing, and the JS object needs only the index.
#[derive(Default)]
struct Registry {
    /// The BareFns by index; `None` for a place without one. Nothing reports a disposed BareFn
    /// as leaked (its leak watch is taken back by dispose, src/lib/bare-fn.ts), so a place needs no
    /// generation.
    places: Vec<Option<NativeBareFn>>,
    /// Indexes of places without a BareFn, reused first.
    free: Vec<u32>,
}

// A place is 24 bytes (a thunk's code address and slot, two flags; `None` in the slot's niche):
// a million live BareFns hold a million. Checked at compile time.
const _: () = assert!(std::mem::size_of::<Option<NativeBareFn>>() <= 24);

thread_local! {
    static LIVE: RefCell<Registry> = RefCell::new(Registry::default());
}

/// Thunks of BareFns whose thread ended before they were disposed (leaked ones, and those of a
/// worker terminated without disposing): native code may still hold their addresses, so they
/// are never freed.
static ABANDONED: Mutex<Vec<Thunk<JsCallback>>> = Mutex::new(Vec::new());

impl Drop for Registry {
    fn drop(&mut self) {
        let mut abandoned = ABANDONED.lock().unwrap_or_else(|e| e.into_inner());
        for place in &mut self.places {
            if let Some(bare_fn) = place.take() {
                abandoned.push(bare_fn.thunk);
            }
        }
    }
}

/// Registers the BareFn `make` builds for the index it is given (which its callback needs, to find
/// its JS function); that index, for `take`, `mark_leaked` and `list`. `make` must not add or
/// remove BareFns (it runs no JS).
pub fn add(make: impl FnOnce(u32) -> Result<NativeBareFn, Failure>) -> Result<u32, Failure> {
    let index = LIVE.with(|live| {
        let mut live = live.borrow_mut();
        match live.free.pop() {
            Some(index) => index,
            None => {
                live.places.push(None);
                // Over 4 billion live BareFns in one thread would take terabytes first.
                u32::try_from(live.places.len() - 1).expect("fewer than 2^32 live BareFns")
            }
        }
    });
    let made = make(index);
    LIVE.with(|live| {
        let mut live = live.borrow_mut();
        match made {
            Ok(bare_fn) => {
                live.places[index as usize] = Some(bare_fn);
                Ok(index)
            }
            Err(failure) => {
                live.free.push(index);
                Err(failure)
            }
        }
    })
}

/// Takes the BareFn at `index` out for dispose; `None` if there is none (or it leaked, which
/// only a forged index could ask: its JS object is gone).
pub fn take(index: u32) -> Option<NativeBareFn> {
    LIVE.with(|live| {
        let mut live = live.borrow_mut();
        let place = live.places.get_mut(index as usize)?;
        if place.as_ref()?.leaked {
            return None;
        }
        let bare_fn = place.take()?;
        live.free.push(index);
        Some(bare_fn)
    })
}

/// The thunk address of the BareFn at `index`, if it is live.
pub fn address(index: u32) -> Option<u64> {
    LIVE.with(|live| {
        let live = live.borrow();
        let bare_fn = live.places.get(index as usize)?.as_ref()?;
        Some(bare_fn.thunk.address() as u64)
    })
}

/// The JS object of the BareFn at `index` was garbage-collected before dispose: marks it leaked
/// (kept forever, since native code may still call it) and returns the warning to report; `None`
/// if it is not live or already marked.
pub fn mark_leaked(index: u32) -> Option<String> {
    LIVE.with(|live| {
        let Registry { places, .. } = &mut *live.borrow_mut();
        let bare_fn = places.get_mut(index as usize)?.as_mut()?;
        if bare_fn.leaked {
            return None;
        }
        bare_fn.leaked = true;
        let callback = bare_fn.callback();
        let (signature, mode) = (callback.signature(), callback.mode().name());
        let address = bare_fn.thunk.address();
        let whereabouts = match callback.created_at() {
            Some(site) => format!("\nCreated {}", site.trim_start()),
            None => " Set BARE_FN_TRACE=1 to record where BareFns are created.".into(),
        };
        Some(format!(
            "BareFn {signature} ('{mode}', 0x{address:x}) was garbage-collected without \
             dispose(): its thunk and JS function are kept forever, since native code may still \
             call it.{whereabouts}",
        ))
    })
}

/// `liveBareFns()`: an array of `{ signature, threading, address, createdAt, leaked }`, in no
/// particular order.
///
/// The registry is read first, into plain data, and the JS objects made after: making them may
/// run JS (a setter on `Object.prototype` that creates a BareFn panicked on the registry's
/// borrow). Their fields are defined as own data properties, so no such setter runs at all.
///
/// # Safety
/// On `env`'s thread, in a callback's scope.
pub unsafe fn list(env: sys::napi_env) -> sys::napi_value {
    struct Entry {
        signature: String,
        threading: &'static str,
        address: u64,
        created_at: Option<String>,
        leaked: bool,
    }
    let entries: Vec<Entry> = LIVE.with(|live| {
        let live = live.borrow();
        live.places
            .iter()
            .filter_map(|place| {
                let bare_fn = place.as_ref()?;
                let callback = bare_fn.callback();
                Some(Entry {
                    signature: callback.signature().to_string(),
                    threading: callback.mode().name(),
                    address: bare_fn.thunk.address() as u64,
                    created_at: callback.created_at().map(str::to_owned),
                    leaked: bare_fn.leaked,
                })
            })
            .collect()
    });
    let mut array = ptr::null_mut();
    // SAFETY: env live, in the callback's scope; every value below belongs to it.
    unsafe {
        sys::napi_create_array_with_length(env, entries.len(), &mut array);
        for (position, entry) in entries.iter().enumerate() {
            let mut object = ptr::null_mut();
            sys::napi_create_object(env, &mut object);
            let mut leaked = ptr::null_mut();
            sys::napi_get_boolean(env, entry.leaked, &mut leaked);
            let created_at = match &entry.created_at {
                Some(site) => string(env, site),
                None => to_js(env, Type::Void, 0),
            };
            let fields = [
                (c"signature", string(env, &entry.signature)),
                (c"threading", string(env, entry.threading)),
                (c"address", to_js(env, Type::Pointer, entry.address)),
                (c"createdAt", created_at),
                (c"leaked", leaked),
            ]
            .map(|(name, value)| data_property(name.as_ptr(), ptr::null_mut(), value));
            sys::napi_define_properties(env, object, fields.len(), fields.as_ptr());
            // Property names must be strings (or symbols), array indices too.
            let index = string(env, &position.to_string());
            let element = [data_property(ptr::null(), index, object)];
            sys::napi_define_properties(env, array, 1, element.as_ptr());
        }
    }
    array
}

/// An own, writable, enumerable, configurable data property, named by `utf8name` or `name`.
fn data_property(
    utf8name: *const std::ffi::c_char,
    name: sys::napi_value,
    value: sys::napi_value,
) -> sys::napi_property_descriptor {
    sys::napi_property_descriptor {
        utf8name,
        name,
        method: None,
        getter: None,
        setter: None,
        value,
        attributes: sys::PropertyAttributes::writable
            | sys::PropertyAttributes::enumerable
            | sys::PropertyAttributes::configurable,
        data: ptr::null_mut(),
    }
}
