//! Structs passed by value that a queued call must copy well: one with a C string inside (what a
//! call must keep alive or copy when the string is the caller's), and one of 4 KiB.

use std::ffi::{c_char, CStr, CString};

/// `struct { const char *text; uint32_t len; }`.
#[repr(C)]
pub struct Text {
    pub text: *const c_char,
    pub len: u32,
}

/// `s` and its length: a struct result whose string is the call's own argument.
///
/// # Safety
/// `s` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn tl_text_of(s: *const c_char) -> Text {
    // SAFETY: the caller's contract.
    let len = unsafe { CStr::from_ptr(s) }.to_bytes().len();
    Text {
        text: s,
        len: len as u32,
    }
}

/// On a thread of its own, calls `cb` `calls` times with `"text <i>"` and `i`, in memory that it
/// overwrites and frees as soon as each call returns (a 'nonblocking' BareFn's call returns at
/// once, before JS runs it); returns when the thread is done.
///
/// # Safety
/// `cb` is callable from another thread.
#[no_mangle]
pub unsafe extern "C" fn tl_text_from_thread(cb: unsafe extern "C" fn(Text), calls: u32) {
    let run = move || {
        for i in 0..calls {
            let owned = CString::new(format!("text {i}")).unwrap_or_default();
            // SAFETY: the caller's contract; the string lives for the call.
            unsafe {
                cb(Text {
                    text: owned.as_ptr(),
                    len: i,
                })
            };
            let mut bytes = owned.into_bytes_with_nul();
            bytes.fill(b'#');
            drop(bytes);
        }
    };
    let _ = std::thread::spawn(run).join();
}

/// A struct of 4 KiB, the most bare-fn passes by value.
#[repr(C)]
pub struct Big {
    pub bytes: [u8; 4096],
}

/// On a thread of its own, calls `cb` `calls` times with a `Big` whose first byte is the call's
/// number (mod 256); returns when the thread is done (a 'nonblocking' callback's calls are then
/// all queued, or dropped, if the JS thread waited here).
///
/// # Safety
/// `cb` is callable from another thread.
#[no_mangle]
pub unsafe extern "C" fn tl_big_from_thread(cb: unsafe extern "C" fn(Big), calls: u32) {
    let run = move || {
        for i in 0..calls {
            let mut big = Big { bytes: [0; 4096] };
            big.bytes[0] = i as u8;
            // SAFETY: the caller's contract.
            unsafe { cb(big) };
        }
    };
    let _ = std::thread::spawn(run).join();
}
