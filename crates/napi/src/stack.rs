//! Telling whether native code calls us on the owning JS thread's own stack.
//!
//! Some native callers run code on a stack of their own: koffi switches to a private stack for
//! every native call, coroutine libraries do the same. V8 refuses to run JS there (it sees a
//! stack overflow, and the "exception" it leaves pending is `undefined`). A BareFn's dispatcher
//! therefore records its owning thread's stack, as the OS reports it, and refuses, with a clear
//! error, calls whose stack pointer is outside it. (A fixed window around one position refused
//! legitimate calls deep in a worker with a 64 MiB stack, and missed koffi's stack 5-8 MiB away in
//! workers, whose teardown then aborted the process.)

/// The address range of one thread's stack.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    low: usize,
    high: usize,
}

/// Around a position, when the OS cannot tell a thread's stack: more than any JS thread's usable
/// stack by default.
const WINDOW: usize = 8 << 20;

/// An address on the current stack (of a local of this frame).
#[inline(always)]
fn position() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}

impl Bounds {
    /// The calling thread's stack.
    pub fn current() -> Bounds {
        let here = position();
        os_bounds()
            .filter(|b| b.low <= here && here < b.high)
            .unwrap_or(Bounds {
                low: here.saturating_sub(WINDOW),
                high: here.saturating_add(WINDOW),
            })
    }

    /// Whether the current stack position is on this stack.
    #[inline(always)]
    pub fn contain_current(&self) -> bool {
        let here = position();
        self.low <= here && here < self.high
    }
}

/// The current thread's stack from the OS: `pthread_getattr_np` (its attributes, for the main
/// thread derived from the stack's mapping and rlimit).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn os_bounds() -> Option<Bounds> {
    // SAFETY: the attribute object is initialized by pthread_getattr_np before use and destroyed
    // once; the out-pointers are valid locals.
    unsafe {
        let mut attr = std::mem::zeroed::<libc::pthread_attr_t>();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut base = std::ptr::null_mut();
        let mut size = 0;
        let status = libc::pthread_attr_getstack(&attr, &mut base, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        (status == 0).then(|| Bounds {
            low: base as usize,
            high: base as usize + size,
        })
    }
}

/// macOS: the top of the stack and its size.
#[cfg(target_vendor = "apple")]
fn os_bounds() -> Option<Bounds> {
    // SAFETY: both take the current thread's handle and have no other preconditions.
    unsafe {
        let thread = libc::pthread_self();
        let high = libc::pthread_get_stackaddr_np(thread) as usize;
        let size = libc::pthread_get_stacksize_np(thread);
        Some(Bounds {
            low: high - size,
            high,
        })
    }
}

/// Windows: `GetCurrentThreadStackLimits` (Windows 8 and later).
#[cfg(windows)]
fn os_bounds() -> Option<Bounds> {
    #[link(name = "kernel32")]
    extern "system" {
        fn GetCurrentThreadStackLimits(low: *mut usize, high: *mut usize);
    }
    let (mut low, mut high) = (0, 0);
    // SAFETY: both out-pointers are valid locals.
    unsafe { GetCurrentThreadStackLimits(&mut low, &mut high) };
    Some(Bounds { low, high })
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    windows
)))]
fn os_bounds() -> Option<Bounds> {
    None
}
