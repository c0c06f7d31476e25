//! `NativeLibrary`: dlopen/LoadLibrary and symbol lookup.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use napi::{sys, Env, Result};
use napi_derive::napi;

use crate::external::{from_external, to_external, Tagged};
use crate::raw::{mentioning, quoted, read_string, throw_on_failure, Failure, Raw};
use crate::to_js::to_js;

#[napi]
pub struct NativeLibrary {
    state: Arc<LibraryState>,
}

/// A loaded library, shared by its `NativeLibrary` and the call plans of its functions
/// (crates/napi/src/outgoing), which read `closed` before each call and refuse it once set.
pub struct LibraryState {
    path: String,
    closed: AtomicBool,
    /// `None` once unloaded.
    library: Mutex<Option<libloading::Library>>,
    /// Async calls of its functions started and not yet settled (`outgoing/async_call.rs`):
    /// while any runs on a pool thread, `close` only marks it closed, and the last to settle
    /// unloads it (unloading under a running call would crash the process). Changed on the JS
    /// thread only (a call starts and settles there, `close` runs there).
    in_flight: AtomicUsize,
}

impl LibraryState {
    #[inline]
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Why a call of its function `name` is refused once it is closed.
    pub fn closed_failure(&self, name: &str) -> Failure {
        Failure::type_error(format!(
            "Library {} is closed: cannot call {name}",
            quoted(&self.path),
        ))
    }

    /// An async call of one of its functions starts: the library stays loaded until it settles.
    pub fn begin_async(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// An async call settled; the last one of a closed library unloads it.
    pub fn end_async(&self) {
        if self.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 && self.is_closed() {
            self.unload();
        }
    }

    /// The address of an exported symbol.
    pub fn find(&self, name: &str) -> std::result::Result<usize, Failure> {
        let library = self.library.lock().unwrap_or_else(PoisonError::into_inner);
        let library = library.as_ref().ok_or_else(|| {
            Failure::type_error(format!(
                "Library {} is closed: cannot look up symbol {}",
                quoted(&self.path),
                quoted(name)
            ))
        })?;
        // SAFETY: the symbol is only turned into an address, never dereferenced here.
        let symbol = unsafe { library.get::<*const ()>(name.as_bytes()) }.map_err(|e| {
            Failure::range_error(format!(
                "Library {}: symbol {} not found: {}",
                quoted(&self.path),
                quoted(name),
                mentioning(&with_cause(&e), name)
            ))
        })?;
        let address = *symbol as usize;
        if address == 0 {
            return Err(Failure::range_error(format!(
                "Library {}: symbol {} resolves to NULL",
                quoted(&self.path),
                quoted(name)
            )));
        }
        Ok(address)
    }

    /// Refuses its functions' calls from now on, and unloads it unless async calls are running
    /// (then the last to settle does).
    fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Relaxed) == 0 {
            self.unload();
        }
    }

    fn unload(&self) {
        drop(
            self.library
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }
}

impl Tagged for LibraryState {
    const TAG: u64 = 0x4c69_0000_0000_0001;
    const WHAT: &'static str = "a library handle";
}

/// Garbage collection never unloads a library: addresses taken from it (`symbol`, `FnPtr.from`,
/// a C library keeping a callback table) may outlive the JS object and its functions, and
/// unloading under them crashed the process. Only `close()` (or `using`) unloads.
impl Drop for LibraryState {
    fn drop(&mut self) {
        let library = self
            .library
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        std::mem::forget(library.take()); // stays loaded for the rest of the process
    }
}

#[napi]
impl NativeLibrary {
    /// Loads `path` with `options` (src/lib/library.ts has checked that each given is a boolean);
    /// an option this platform's loader does not have is refused here, the one place that knows.
    #[napi(factory)]
    pub fn open(env: Env, path: String, options: OpenOptions) -> Result<Self> {
        throw_on_failure(env.raw(), options.check())?;
        let loaded = load(&path, &options).map_err(|e| {
            Failure::range_error(format!(
                "Library.open: cannot open path {}: {}",
                quoted(&path),
                mentioning(&with_cause(&e), &path)
            ))
        });
        let library = throw_on_failure(env.raw(), loaded)?;
        Ok(NativeLibrary {
            state: Arc::new(LibraryState {
                path,
                closed: AtomicBool::new(false),
                library: Mutex::new(Some(library)),
                in_flight: AtomicUsize::new(0),
            }),
        })
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.state.is_closed()
    }

    #[napi(getter)]
    pub fn path(&self) -> String {
        self.state.path.clone()
    }

    /// An External of the library's state, for the plain Node-API functions that look symbols
    /// up (`librarySymbol`) and whose call plans hold it (`createCaller`).
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
    pub fn close(&self) {
        self.state.close();
    }
}

/// `librarySymbol(library, name)`: the address of an exported symbol of the library whose
/// External (`NativeLibrary.handle()`) is given, as a bigint.
///
/// # Safety
/// `env` is live on this thread, the arguments belong to its open scope.
pub unsafe fn symbol(
    env: sys::napi_env,
    [library, name]: [Raw; 2],
) -> std::result::Result<sys::napi_value, Failure> {
    // SAFETY: forwarded.
    let library = unsafe { from_external::<LibraryState>(env, library) }?;
    let name = read_string(env, name.0)
        .ok_or_else(|| Failure::type_error("Library.symbol: the name must be a string"))?;
    let address = library.find(&name)?;
    // SAFETY: inside this call's scope.
    Ok(unsafe { to_js(env, bare_fn_core::Type::Pointer, address as u64) })
}

/// `Library.open`'s options: dlopen's flags, each None when not given (the default).
#[napi(object)]
pub struct OpenOptions {
    /// RTLD_LAZY (default) or RTLD_NOW.
    pub lazy: Option<bool>,
    /// RTLD_GLOBAL or RTLD_LOCAL (default).
    pub global: Option<bool>,
    /// RTLD_DEEPBIND (glibc only).
    pub deep_bind: Option<bool>,
}

impl OpenOptions {
    /// Refuses an option this platform's loader does not have.
    fn check(&self) -> std::result::Result<(), Failure> {
        let given = [
            ("lazy", self.lazy),
            ("global", self.global),
            ("deepBind", self.deep_bind),
        ];
        if cfg!(windows) {
            if let Some((name, _)) = given.iter().find(|(_, value)| value.is_some()) {
                return Err(Failure::type_error(format!(
                    "Library.open: options.{name} is a dlopen flag; Windows' LoadLibrary has none"
                )));
            }
        }
        if self.deep_bind == Some(true) && !has_deep_bind() {
            let libc = if cfg!(target_os = "linux") {
                "musl"
            } else {
                std::env::consts::OS
            };
            return Err(Failure::type_error(format!(
                "Library.open: options.deepBind needs RTLD_DEEPBIND, which only glibc's dlopen \
                 has (not {libc}'s)"
            )));
        }
        Ok(())
    }
}

/// Loads `path` with the flags asked.
#[cfg(unix)]
fn load(
    path: &str,
    options: &OpenOptions,
) -> std::result::Result<libloading::Library, libloading::Error> {
    use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_LAZY, RTLD_LOCAL, RTLD_NOW};
    let mut flags = if options.lazy.unwrap_or(true) {
        RTLD_LAZY
    } else {
        RTLD_NOW
    };
    flags |= if options.global.unwrap_or(false) {
        RTLD_GLOBAL
    } else {
        RTLD_LOCAL
    };
    if options.deep_bind == Some(true) {
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
fn has_deep_bind() -> bool {
    cfg!(all(target_os = "linux", target_env = "gnu"))
}

#[cfg(windows)]
fn load(
    path: &str,
    _options: &OpenOptions,
) -> std::result::Result<libloading::Library, libloading::Error> {
    // LoadLibrary has none of dlopen's flags (`OpenOptions::check` refuses them on Windows).
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
