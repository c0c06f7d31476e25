//! State that only the owning JS thread touches, inside a value other threads may hold.

use std::cell::UnsafeCell;

use crate::os_thread;

/// A cell whose contents are only accessed on the thread that created it.
///
/// A BareFn's handler is shared with every native thread that may call its thunk (it must be
/// `Sync`), but its JS-side state (references, the last returned C string) belongs to the owning
/// JS thread. Every access checks that the caller is that thread, so the contents are never
/// shared: that is what makes the `Sync` impl sound.
pub struct OwnerCell<T> {
    owner: u64,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reachable through `with`, which refuses every thread but the owner,
// so it is never accessed from two threads; moving the cell is fine as long as T is Send.
unsafe impl<T: Send> Sync for OwnerCell<T> {}

impl<T> OwnerCell<T> {
    pub fn new(value: T) -> OwnerCell<T> {
        OwnerCell {
            owner: os_thread::current(),
            value: UnsafeCell::new(value),
        }
    }

    /// Whether the current thread is the owner.
    #[inline]
    pub fn is_owner(&self) -> bool {
        os_thread::current() == self.owner
    }

    /// Runs `f` on the contents if called on the owning thread.
    ///
    /// `f` must not re-enter `with` on the same cell (it never calls JS): the `&mut` it gets is
    /// then the only reference to the contents.
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        if !self.is_owner() {
            return None;
        }
        // SAFETY: only the owner thread gets here, and `f` does not re-enter (documented above),
        // so this is the only live reference to the contents.
        Some(f(unsafe { &mut *self.value.get() }))
    }
}
