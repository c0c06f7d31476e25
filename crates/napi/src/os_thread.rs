//! A cheap identity for the current OS thread, and the OS thread id for messages.

/// An identity of the calling thread, never 0. On Unix its pthread handle (read from the thread pointer
/// register by libc, no thread-local lookup through `__tls_get_addr` as a Rust thread-local in a
/// dynamically loaded library costs). Unique among live threads; a handle can be reused after
/// its thread exits, which is harmless here: an owning JS thread exits only after its env was
/// torn down, and every owner check is followed by the env-closed check before state is used.
#[cfg(unix)]
#[inline]
pub fn current() -> u64 {
    // SAFETY: pthread_self has no preconditions.
    (unsafe { libc::pthread_self() }) as u64
}

/// On Windows the thread id (`GetCurrentThreadId`, read from the thread environment block: no
/// thread-local of ours, which C exit handlers calling a BareFn after the thread-locals of the
/// main thread were destroyed could not read). Ids are unique among live threads, and reuse is
/// harmless for the same reason as on Unix.
#[cfg(windows)]
#[inline]
pub fn current() -> u64 {
    #[link(name = "kernel32")]
    extern "system" {
        fn GetCurrentThreadId() -> u32;
    }
    // SAFETY: GetCurrentThreadId has no preconditions.
    u64::from(unsafe { GetCurrentThreadId() })
}

/// The operating system's id of the calling thread, for messages (what debuggers and `top -H`
/// show).
pub fn os_id() -> u64 {
    #[cfg(target_os = "linux")]
    {
        // The system call, not glibc's gettid(): that wrapper came in glibc 2.30, and the addon
        // must load on glibc 2.17 (README, "Platforms"); syscall() is in every glibc and musl.
        // SAFETY: SYS_gettid takes no arguments and cannot fail.
        (unsafe { libc::syscall(libc::SYS_gettid) }) as u64
    }
    #[cfg(not(target_os = "linux"))]
    {
        // The pthread handle on macOS is no id a debugger shows, but it tells threads apart;
        // on Windows it is the thread id.
        current()
    }
}
