//! Where thunk code is written and run from.
//!
//! Linux and Windows: closure-ffi's global allocator (jit-allocator2), which maps its memory
//! twice, one view writable and one executable, so that no page is both.
//!
//! Apple: a process under the hardened runtime that holds only the `allow-jit` entitlement (how
//! Electron apps are signed by default) gets executable anonymous memory from `mmap` with
//! `MAP_JIT` only; jit-allocator2's two views of a shared file are refused there. On Apple silicon
//! a `MAP_JIT` page is writable or executable per thread (`pthread_jit_write_protect_np`), and
//! that state belongs to whoever else generates code on the thread (V8 does on the JS thread),
//! with no call that reads it back. So bare-fn never changes it on a thread of its caller:
//! closure-ffi writes each thunk into a staging copy on the heap ([`Staged`]), and when it
//! declares the code complete (access back to read-execute) the copy goes to its `MAP_JIT` place
//! through [`Pages::commit`], which on Apple silicon writes from a short-lived thread of its own
//! (`apple.rs`).

#[cfg(target_vendor = "apple")]
mod apple;
// Used on Apple only; tested everywhere Unix.
#[cfg(any(target_vendor = "apple", all(test, unix)))]
mod staged;

#[cfg(target_vendor = "apple")]
use staged::Staged;

/// The allocator every thunk's code comes from.
#[cfg(not(target_vendor = "apple"))]
pub(crate) fn thunk_memory() -> closure_ffi::jit_alloc::GlobalJitAlloc {
    closure_ffi::jit_alloc::GlobalJitAlloc
}

/// The allocator every thunk's code comes from.
#[cfg(target_vendor = "apple")]
pub(crate) fn thunk_memory() -> &'static Staged<apple::MapJit> {
    static MEMORY: Staged<apple::MapJit> = Staged::new(apple::MapJit);
    &MEMORY
}

/// No executable memory for a thunk, with the system's reason where it gave one.
#[derive(Debug)]
pub struct CodeMemoryError {
    reason: Option<String>,
}

impl CodeMemoryError {
    /// The failure of this thread's last allocation.
    pub(crate) fn last() -> CodeMemoryError {
        #[cfg(target_vendor = "apple")]
        let reason = staged::take_refusal();
        // jit-allocator2 keeps its reason to itself.
        #[cfg(not(target_vendor = "apple"))]
        let reason = None;
        CodeMemoryError { reason }
    }
}

impl std::fmt::Display for CodeMemoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cannot allocate executable memory")?;
        match &self.reason {
            Some(reason) => write!(f, ": {reason}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for CodeMemoryError {}
