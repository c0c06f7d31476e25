//! `Staged`: a JIT allocator whose writable view is a copy on the heap, committed to executable
//! memory by `Pages` (see `thunk_memory`).

use std::cell::RefCell;
use std::ptr::NonNull;
use std::sync::Mutex;

use closure_ffi::jit_alloc::{JitAlloc, JitAllocError, ProtectJitAccess};

/// Memory code can run from, written once per allocation by `commit`.
pub(crate) trait Pages: Sync {
    /// `len` bytes of fresh memory, page-aligned, that code can be committed to and run from, or
    /// why the system refused them.
    fn map(&self, len: usize) -> Result<NonNull<u8>, String>;

    /// Writes `code` to `at`, then makes it visible to instruction fetch.
    ///
    /// # Safety
    /// `at..at + code.len()` lies in memory from `map` that no thread runs yet.
    unsafe fn commit(&self, at: *mut u8, code: &[u8]);

    /// Makes committed code at `at..at + len` visible to instruction fetch on this thread.
    ///
    /// # Safety
    /// `at..at + len` lies in memory from `map`.
    unsafe fn flush(&self, at: *const u8, len: usize);
}

/// Bytes mapped at a time (64 KiB: four 16 KiB Apple silicon pages; a thunk takes about 100).
const CHUNK: usize = 64 * 1024;

/// Alignment of each allocation: a code boundary on every CPU.
const ALIGN: usize = 16;

/// A `JitAlloc` whose read-write view is a staging copy on the heap, committed to the executable
/// place by `P::commit`. Thunks are never freed (`capture::jit` leaks them and the pool reuses
/// them), so memory is handed out from the current chunk and never reused.
///
/// It relies on the order in which closure-ffi 5.1.2 (pinned, `arch.rs`, `try_with_thunk_in`)
/// writes a thunk, on one thread: `alloc`; `protect_jit_memory(ReadWrite)`; every write through
/// the read-write pointer; `protect_jit_memory(ReadExecute)` with the thunk's executable range;
/// `flush_instruction_cache`. Tested with closure-ffi's own thunks below.
pub(crate) struct Staged<P: Pages> {
    pages: P,
    /// The free rest of the current chunk, as addresses `next..end`.
    free: Mutex<(usize, usize)>,
}

/// The allocation this thread is writing: its executable address and its staging copy.
struct Staging {
    at: usize,
    /// Whole u64s: 8-aligned, as closure-ffi needs the two views congruent modulo the pointer
    /// alignment it places the closure address at (the executable one is 16-aligned).
    copy: Vec<u64>,
}

thread_local! {
    static STAGING: RefCell<Option<Staging>> = const { RefCell::new(None) };
    /// Why this thread's last `alloc` failed: closure-ffi's error carries no reason.
    static REFUSAL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Why this thread's last allocation failed, once.
pub(crate) fn take_refusal() -> Option<String> {
    REFUSAL.with(|r| r.borrow_mut().take())
}

impl<P: Pages> Staged<P> {
    pub(crate) const fn new(pages: P) -> Staged<P> {
        Staged {
            pages,
            free: Mutex::new((0, 0)),
        }
    }

    /// `len` bytes (a multiple of ALIGN) of executable memory nobody else has.
    fn take(&self, len: usize) -> Result<usize, JitAllocError> {
        // Two addresses, consistent after any panic.
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let (next, end) = *free;
        if end - next >= len {
            *free = (next + len, end);
            return Ok(next);
        }
        // The rest of the old chunk stays unused.
        let size = len.max(CHUNK);
        let chunk = self.pages.map(size).map_err(|why| {
            REFUSAL.with(|r| *r.borrow_mut() = Some(why));
            JitAllocError
        })?;
        let chunk = chunk.as_ptr() as usize;
        *free = (chunk + len, chunk + size);
        Ok(chunk)
    }
}

impl<P: Pages> JitAlloc for Staged<P> {
    fn alloc(&self, size: usize) -> Result<(*const u8, *mut u8), JitAllocError> {
        let len = size.next_multiple_of(ALIGN);
        let at = self.take(len)?;
        let mut copy = vec![0u64; len / 8];
        let staging = copy.as_mut_ptr() as *mut u8;
        // The Vec's buffer does not move when the Vec does: `staging` stays valid until the
        // commit replaces or drops it.
        STAGING.with(|s| *s.borrow_mut() = Some(Staging { at, copy }));
        Ok((at as *const u8, staging))
    }

    unsafe fn release(&self, _rx_ptr: *const u8) -> Result<(), JitAllocError> {
        // Never called: bare-fn leaks every thunk it makes (they are pooled, see `Slot`).
        Ok(())
    }

    unsafe fn protect_jit_memory(&self, ptr: *const u8, size: usize, access: ProtectJitAccess) {
        // Writes go to the staging copy: nothing to do before them.
        if access != ProtectJitAccess::ReadExecute {
            return;
        }
        let Some(staging) = STAGING.with(|s| s.borrow_mut().take()) else {
            return;
        };
        let offset = (ptr as usize).wrapping_sub(staging.at);
        let bytes = staging.copy.len() * 8;
        // SAFETY: the u64 buffer viewed as its bytes.
        let copy = unsafe { std::slice::from_raw_parts(staging.copy.as_ptr() as *const u8, bytes) };
        if let Some(code) = copy.get(offset..offset.saturating_add(size)) {
            // SAFETY: the range lies in the allocation `alloc` took for this copy, which no thread
            // runs before closure-ffi returns its address.
            unsafe { self.pages.commit(ptr as *mut u8, code) };
        }
    }

    unsafe fn flush_instruction_cache(&self, rx_ptr: *const u8, size: usize) {
        // SAFETY: closure-ffi passes the range it committed.
        unsafe { self.pages.flush(rx_ptr, size) };
    }
}

#[cfg(all(test, unix))]
mod tests {
    //! `Staged` on Linux, with read-write-execute pages standing in for MAP_JIT ones and commits
    //! made from another thread as on Apple silicon: closure-ffi's own thunks, made through it,
    //! must run and return what their closures compute.

    use super::*;
    use closure_ffi::jit_alloc::GlobalJitAlloc;
    use closure_ffi::BareFnSync;

    struct Rwx;

    impl Pages for Rwx {
        fn map(&self, len: usize) -> Result<NonNull<u8>, String> {
            // SAFETY: a fresh anonymous mapping; Linux allows read-write-execute ones.
            let at = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            (at != libc::MAP_FAILED)
                .then(|| NonNull::new(at as *mut u8))
                .flatten()
                .ok_or_else(|| std::io::Error::last_os_error().to_string())
        }

        unsafe fn commit(&self, at: *mut u8, code: &[u8]) {
            let at = at as usize;
            std::thread::scope(|s| {
                s.spawn(|| {
                    // SAFETY: the contract of `commit`.
                    unsafe {
                        std::ptr::copy_nonoverlapping(code.as_ptr(), at as *mut u8, code.len())
                    }
                });
            });
        }

        unsafe fn flush(&self, at: *const u8, len: usize) {
            // SAFETY: forwarded; closure-ffi's flush for this CPU.
            unsafe { GlobalJitAlloc.flush_instruction_cache(at, len) };
        }
    }

    static MEMORY: Staged<Rwx> = Staged::new(Rwx);

    type Add = unsafe extern "C" fn(i32) -> i32;

    fn adder(k: i32) -> Add {
        BareFnSync::<Add, &Staged<Rwx>>::new_in(move |x: i32| x + k, &MEMORY).leak()
    }

    #[test]
    fn thunks_written_through_staging_copies_run() {
        // Enough thunks to fill several chunks.
        let thunks: Vec<(i32, Add)> = (0..2000).map(|k| (k, adder(k))).collect();
        for (k, f) in &thunks {
            // SAFETY: a thunk of this signature, alive (leaked).
            assert_eq!(unsafe { f(1000) }, 1000 + k);
        }
    }

    #[test]
    fn threads_making_thunks_at_once_get_their_own() {
        std::thread::scope(|s| {
            for t in 0..4 {
                s.spawn(move || {
                    for i in 0..300 {
                        let k = t * 1000 + i;
                        // SAFETY: a thunk of this signature, alive (leaked).
                        assert_eq!(unsafe { adder(k)(7) }, 7 + k);
                    }
                });
            }
        });
    }

    #[test]
    fn a_failing_map_is_an_error_with_its_reason() {
        struct Exhausted;
        impl Pages for Exhausted {
            fn map(&self, _: usize) -> Result<NonNull<u8>, String> {
                Err("no pages left".into())
            }
            unsafe fn commit(&self, _: *mut u8, _: &[u8]) {
                unreachable!("nothing was mapped")
            }
            unsafe fn flush(&self, _: *const u8, _: usize) {}
        }
        static NONE: Staged<Exhausted> = Staged::new(Exhausted);
        // A closure that captures: closure-ffi needs no thunk for one that does not.
        let k = 1;
        let made = BareFnSync::<Add, &Staged<Exhausted>>::try_with_cc_in(
            closure_ffi::cc::C,
            move |x: i32| x + k,
            &NONE,
        );
        assert!(made.is_err());
        assert_eq!(take_refusal().as_deref(), Some("no pages left"));
        assert_eq!(take_refusal(), None, "a reason is given once");
    }
}
