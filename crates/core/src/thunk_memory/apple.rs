//! MAP_JIT memory for thunks on macOS (Intel and Apple silicon).

use std::ptr::NonNull;

use super::staged::Pages;

/// Anonymous `MAP_JIT` mappings, readable, writable and executable: on Intel every thread may
/// write and run them; on Apple silicon each thread sees them either writable or executable
/// (`pthread_jit_write_protect_np`), executable unless it says otherwise.
pub(crate) struct MapJit;

#[cfg(target_arch = "aarch64")]
extern "C" {
    /// libSystem: cleans the data cache and invalidates the instruction cache over a range.
    fn sys_icache_invalidate(start: *mut libc::c_void, len: libc::size_t);
}

impl Pages for MapJit {
    fn map(&self, len: usize) -> Result<NonNull<u8>, String> {
        let map = |flags| {
            // SAFETY: a fresh anonymous mapping; nothing else is affected.
            let at = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                    flags,
                    -1,
                    0,
                )
            };
            (at != libc::MAP_FAILED)
                .then(|| NonNull::new(at as *mut u8))
                .flatten()
                .ok_or_else(std::io::Error::last_os_error)
        };
        let plain = libc::MAP_PRIVATE | libc::MAP_ANON;
        // MAP_JIT first: the only executable anonymous memory a hardened process with
        // `allow-jit` gets. Then plain read-write-execute memory, for systems that refuse MAP_JIT
        // (macOS before 10.14 does not know it) and allow that to unhardened processes.
        map(plain | libc::MAP_JIT).or_else(|jit| {
            map(plain).map_err(|_| {
                format!(
                    "mmap(MAP_JIT) refused: {jit}; under the hardened runtime an app needs the \
                     com.apple.security.cs.allow-jit entitlement"
                )
            })
        })
    }

    #[cfg(target_arch = "x86_64")]
    unsafe fn commit(&self, at: *mut u8, code: &[u8]) {
        // SAFETY: the contract; MAP_JIT memory on Intel is writable by every thread, and x86-64
        // fetches what was written (coherent instruction cache).
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), at, code.len()) };
    }

    #[cfg(target_arch = "aarch64")]
    unsafe fn commit(&self, at: *mut u8, code: &[u8]) {
        let at = at as usize;
        let write = || {
            // SAFETY: the contract of `commit`; this thread sees the range writable between the
            // two calls, and the caches are made coherent before anyone runs it.
            unsafe {
                libc::pthread_jit_write_protect_np(0);
                std::ptr::copy_nonoverlapping(code.as_ptr(), at as *mut u8, code.len());
                libc::pthread_jit_write_protect_np(1);
                sys_icache_invalidate(at as *mut libc::c_void, code.len());
            }
        };
        // A thread of its own, which starts write-protected like every thread and ends right
        // after, so that the caller's thread keeps its state (see the module's comment).
        let written = std::thread::scope(|s| {
            std::thread::Builder::new()
                .name("bare-fn thunk writer".into())
                .spawn_scoped(s, write)
                .map(|writer| writer.join().is_ok())
        });
        if written.ok() != Some(true) {
            // No thread could be made: the code must be there all the same. This thread ends
            // write-protected, the state every thread that runs JIT code (V8's) is in when it
            // calls out of JavaScript.
            write();
        }
    }

    #[cfg(target_arch = "x86_64")]
    unsafe fn flush(&self, _at: *const u8, _len: usize) {
        // x86-64: the instruction cache is coherent with stores.
    }

    #[cfg(target_arch = "aarch64")]
    unsafe fn flush(&self, at: *const u8, len: usize) {
        // SAFETY: the contract; the range is mapped.
        unsafe { sys_icache_invalidate(at as *mut libc::c_void, len) };
    }
}
