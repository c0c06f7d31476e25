//! gcc's struct layouts (c/layouts.c, generated from __test__/helpers/struct-shapes.ts), exported:
//! a Rust cdylib exports only Rust's own symbols, not those of the C it links.

unsafe extern "C" {
    static tl_shape_layouts: [u32; 0];
    static tl_shape_layouts_len: usize;
    static tl_system_layouts: [u32; 0];
    static tl_system_layouts_len: usize;
}

/// The table of the test shapes (sizeof, _Alignof, each offsetof, per shape); its length in `len`.
///
/// # Safety
/// `len` is writable.
#[no_mangle]
pub unsafe extern "C" fn tl_shape_layout_table(len: *mut usize) -> *const u32 {
    // SAFETY: the C statics are initialised constants; `len` per contract.
    unsafe {
        *len = tl_shape_layouts_len;
        std::ptr::addr_of!(tl_shape_layouts).cast()
    }
}

/// The same for the system structs of this platform (length 0 where there are none).
///
/// # Safety
/// `len` is writable.
#[no_mangle]
pub unsafe extern "C" fn tl_system_layout_table(len: *mut usize) -> *const u32 {
    // SAFETY: as above.
    unsafe {
        *len = tl_system_layouts_len;
        std::ptr::addr_of!(tl_system_layouts).cast()
    }
}
