//! `NativeLibrary`: dlopen/LoadLibrary and symbol lookup.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi::{Env, Result};
use napi_derive::napi;

use crate::external::{to_external, Tagged};
use crate::raw::{throw_on_failure, Failure, Raw};
use crate::to_js::to_js;

#[napi]
pub struct NativeLibrary {
    state: Arc<LibraryState>,
    /// `None` once closed.
    library: Option<libloading::Library>,
}

/// What the functions of a library need to know of it: its path and whether it was closed
/// (their calls are refused then). Shared with their call plans (crates/napi/src/outgoing).
pub struct LibraryState {
    path: String,
    closed: AtomicBool,
}

impl LibraryState {
    #[inline]
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    pub fn path(&self) -> &str {
        &self.path
    }
}

impl Tagged for LibraryState {
    const TAG: u64 = 0x4c69_0000_0000_0001;
    const WHAT: &'static str = "a library handle";
}

/// Garbage collection never unloads a library: addresses taken from it (`symbol`, `FnPtr.from`,
/// a C library keeping a callback table) may outlive the JS object, and unloading under them
/// crashed the process. Only `close()` (or `using`) unloads.
impl Drop for NativeLibrary {
    fn drop(&mut self) {
        std::mem::forget(self.library.take()); // stays loaded for the rest of the process
    }
}

#[napi]
impl NativeLibrary {
    /// dlopen's flags where there is dlopen (lib/fn-ptr.ts has checked the options are booleans,
    /// given only where they mean something): `lazy` RTLD_LAZY (default) or RTLD_NOW, `global`
    /// RTLD_GLOBAL or RTLD_LOCAL (default), `deep_bind` RTLD_DEEPBIND (glibc only).
    #[napi(factory)]
    pub fn open(
        env: Env,
        path: String,
        lazy: Option<bool>,
        global: Option<bool>,
        deep_bind: Option<bool>,
    ) -> Result<Self> {
        if deep_bind == Some(true) && !has_deep_bind() {
            let failure = Failure::type_error(
                "Library.open: options.deepBind needs RTLD_DEEPBIND, which only glibc's dlopen has",
            );
            return Err(failure.throw(env.raw()));
        }
        let loaded = load(&path, lazy, global, deep_bind).map_err(|e| {
            Failure::range_error(format!(
                "Library.open: cannot open path {path:?}: {}",
                with_cause(&e)
            ))
        });
        let library = throw_on_failure(env.raw(), loaded)?;
        Ok(NativeLibrary {
            state: Arc::new(LibraryState {
                path,
                closed: AtomicBool::new(false),
            }),
            library: Some(library),
        })
    }

    /// The address of an exported symbol, as a bigint.
    #[napi]
    pub fn symbol(&self, env: Env, name: String) -> Result<Raw> {
        let found = self.find(&name);
        let address = throw_on_failure(env.raw(), found)?;
        // SAFETY: inside this call's scope.
        Ok(Raw(unsafe {
            to_js(env.raw(), bare_fn_core::Type::Pointer, address as u64)
        }))
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.library.is_none()
    }

    #[napi(getter)]
    pub fn path(&self) -> String {
        self.state.path.clone()
    }

    /// An External of the library's state, which its functions' call plans hold
    /// (`createCaller`).
    #[napi]
    pub fn handle(&self, env: Env) -> Result<Raw> {
        throw_on_failure(
            env.raw(),
            to_external(env.raw(), self.state.clone()).map(Raw),
        )
    }

    /// Unloads the library. Its functions refuse to be called afterwards: they read the flag set
    /// here before anything else.
    #[napi]
    pub fn close(&mut self) {
        self.state.closed.store(true, Ordering::Relaxed);
        self.library = None;
    }
}

impl NativeLibrary {
    fn find(&self, name: &str) -> std::result::Result<usize, Failure> {
        let library = self.library.as_ref().ok_or_else(|| {
            Failure::type_error(format!(
                "Library {:?} is closed: cannot look up symbol {name:?}",
                self.state.path
            ))
        })?;
        // SAFETY: the symbol is only turned into an address, never dereferenced here.
        let symbol = unsafe { library.get::<*const ()>(name.as_bytes()) }.map_err(|e| {
            Failure::range_error(format!(
                "Library {:?}: symbol {name:?} not found: {}",
                self.state.path,
                with_cause(&e)
            ))
        })?;
        let address = *symbol as usize;
        if address == 0 {
            return Err(Failure::range_error(format!(
                "Library {:?}: symbol {name:?} resolves to NULL",
                self.state.path
            )));
        }
        Ok(address)
    }
}

/// Loads `path` with the flags asked (each None: the default).
#[cfg(unix)]
fn load(
    path: &str,
    lazy: Option<bool>,
    global: Option<bool>,
    deep_bind: Option<bool>,
) -> std::result::Result<libloading::Library, libloading::Error> {
    use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_LAZY, RTLD_LOCAL, RTLD_NOW};
    let mut flags = if lazy.unwrap_or(true) {
        RTLD_LAZY
    } else {
        RTLD_NOW
    };
    flags |= if global.unwrap_or(false) {
        RTLD_GLOBAL
    } else {
        RTLD_LOCAL
    };
    if deep_bind == Some(true) {
        flags |= deep_bind_flag();
    }
    // SAFETY: loading a library runs its initializers; that is what the user asks for.
    unsafe { Library::open(Some(path), flags) }.map(Into::into)
}

/// RTLD_DEEPBIND: glibc's (`open` refuses the option where `has_deep_bind` is false).
#[cfg(all(unix, target_os = "linux", target_env = "gnu"))]
fn deep_bind_flag() -> i32 {
    libc::RTLD_DEEPBIND
}

#[cfg(all(unix, not(all(target_os = "linux", target_env = "gnu"))))]
fn deep_bind_flag() -> i32 {
    0 // never asked: `open` refuses deepBind here
}

/// Whether dlopen here has RTLD_DEEPBIND (glibc).
#[napi]
pub fn has_deep_bind() -> bool {
    cfg!(all(target_os = "linux", target_env = "gnu"))
}

#[cfg(windows)]
fn load(
    path: &str,
    _lazy: Option<bool>,
    _global: Option<bool>,
    _deep_bind: Option<bool>,
) -> std::result::Result<libloading::Library, libloading::Error> {
    // LoadLibrary has none of dlopen's flags (fn-ptr.ts refuses them on Windows).
    // SAFETY: as above.
    unsafe { libloading::Library::new(path) }
}

/// A libloading error with the OS's reason: on Windows libloading's own message only names the
/// failed call ("LoadLibraryExW failed"), the reason is its source.
fn with_cause(e: &libloading::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}
