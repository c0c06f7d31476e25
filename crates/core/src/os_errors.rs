//! The error state a called C function leaves behind: the C library's `errno` and, on Windows,
//! `GetLastError()`. Read right after the call returns, before anything of ours (an allocation, a
//! lock, a system call) can change either.

/// `errno` and Windows' last error (0 elsewhere) as one call left them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OsErrors {
    pub errno: i32,
    pub last_error: u32,
}

#[cfg(windows)]
unsafe extern "C" {
    /// The C runtime's errno location (ucrt, or msvcrt for MinGW builds): the CRT the process
    /// shares with the libraries that link it dynamically.
    fn _errno() -> *mut i32;
}

impl OsErrors {
    /// Both, now. Reading them changes neither.
    #[inline]
    pub fn now() -> OsErrors {
        let os = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        #[cfg(windows)]
        {
            // SAFETY: _errno returns the calling thread's errno location, always valid.
            let errno = unsafe { *_errno() };
            OsErrors {
                errno,
                last_error: os as u32,
            }
        }
        #[cfg(not(windows))]
        OsErrors {
            errno: os,
            last_error: 0,
        }
    }
}
