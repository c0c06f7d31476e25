//! The live BareFns of this thread's env, for `BareFn.live()` and for leak reports: every
//! BareFn from creation to dispose, and forever once leaked (its thunk is never freed).
//! Touched only on the owning JS thread (create, dispose and finalizers run there).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
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
    address: u64,
}

/// A slab: a BareFn keeps its index (see `bare_fn`), so adding and removing cost no hashing,
/// and an entry is 16 bytes (a hash map keyed by address cost about 100 per live BareFn).
#[derive(Default)]
struct Registry {
    entries: Vec<Option<Entry>>,
    /// Indexes of removed entries, reused first.
    free: Vec<u32>,
    /// Where traced BareFns were created (BARE_FN_TRACE), by index.
    sites: HashMap<u32, String>,
    /// Indexes of leaked BareFns: never removed.
    leaked: HashSet<u32>,
}

thread_local! {
    static LIVE: RefCell<Registry> = RefCell::new(Registry::default());
}

/// Registers a BareFn; its index, for `remove` and `mark_leaked`.
pub fn add(address: u64, callback: &Arc<JsCallback>, created_at: Option<String>) -> u32 {
    LIVE.with(|live| {
        let mut live = live.borrow_mut();
        let entry = Some(Entry {
            callback: callback.clone(),
            address,
        });
        let index = match live.free.pop() {
            Some(index) => {
                live.entries[index as usize] = entry;
                index
            }
            None => {
                live.entries.push(entry);
                // Over 4 billion live BareFns in one thread would take terabytes first.
                u32::try_from(live.entries.len() - 1).expect("fewer than 2^32 live BareFns")
            }
        };
        if let Some(site) = created_at {
            live.sites.insert(index, site);
        }
        index
    })
}

pub fn remove(index: u32) {
    LIVE.with(|live| {
        let mut live = live.borrow_mut();
        if live.entries[index as usize].take().is_some() {
            live.free.push(index);
            live.sites.remove(&index);
        }
    });
}

/// Marks the BareFn at `index` leaked; the warning to report, the first time.
pub fn mark_leaked(index: u32) -> Option<String> {
    LIVE.with(|live| {
        let mut live = live.borrow_mut();
        if !live.leaked.insert(index) {
            return None;
        }
        let entry = live.entries[index as usize].as_ref()?;
        let whereabouts = match live.sites.get(&index) {
            Some(site) => format!("\nCreated {}", site.trim_start()),
            None => " Set BARE_FN_TRACE=1 to record where BareFns are created.".into(),
        };
        Some(format!(
            "BareFn {} ('{}', 0x{:x}) was garbage-collected without dispose(): its thunk \
             and JS function are kept forever, since native code may still call it.{whereabouts}",
            entry.callback.signature(),
            entry.callback.mode().name(),
            entry.address,
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
        let entries = live.entries.iter().enumerate();
        let entries: Vec<_> = entries
            .filter_map(|(i, e)| Some((i as u32, e.as_ref()?)))
            .collect();
        let mut array = ptr::null_mut();
        // SAFETY: env live, in the callback's scope; every value below belongs to it.
        unsafe {
            sys::napi_create_array_with_length(env, entries.len(), &mut array);
            for (position, (index, entry)) in entries.into_iter().enumerate() {
                let mut object = ptr::null_mut();
                sys::napi_create_object(env, &mut object);
                let mut leaked = ptr::null_mut();
                sys::napi_get_boolean(env, live.leaked.contains(&index), &mut leaked);
                let created_at = match live.sites.get(&index) {
                    Some(site) => string(env, site),
                    None => to_js(env, Type::Void, 0),
                };
                let fields = [
                    (
                        c"signature",
                        string(env, &entry.callback.signature().to_string()),
                    ),
                    (c"threading", string(env, entry.callback.mode().name())),
                    (c"address", to_js(env, Type::Pointer, entry.address)),
                    (c"createdAt", created_at),
                    (c"leaked", leaked),
                ];
                for (name, value) in fields {
                    sys::napi_set_named_property(env, object, name.as_ptr(), value);
                }
                sys::napi_set_element(env, array, position as u32, object);
            }
        }
        array
    })
}
