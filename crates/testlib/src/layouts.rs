//! gcc's struct layouts (c/layouts.c, generated from __test__/helpers/struct-shapes.ts), its
//! typedefs (c/typedefs.c) and its wide strings (c/text.c), exported: a Rust cdylib exports only
//! Rust's own symbols, not those of the C it links.
//!
//! ABI assumption: C's `size_t` is Rust's `usize`; the tables are `uint32_t` arrays whose length
//! is only known at run time (declared here with length 0 and read through their address).

unsafe extern "C" {
    fn c_typedef(index: u32, size: *mut u32, kind: *mut u32) -> *const std::ffi::c_char;
    fn c_text_function(name: *const std::ffi::c_char) -> *const std::ffi::c_void;
    static tl_shape_layouts: [u32; 0];
    static tl_shape_layouts_len: usize;
    static tl_system_layouts: [u32; 0];
    static tl_system_layouts_len: usize;
}

/// Exports `$name(len: *mut usize) -> *const $elem`: the C table `$table` (declared `[$elem; 0]`),
/// its length in `len`.
macro_rules! table_export {
    ($($(#[$doc:meta])* $name:ident => $table:ident: $elem:ty, $len:ident;)*) => {$(
        $(#[$doc])*
        ///
        /// # Safety
        /// `len` is writable.
        #[no_mangle]
        pub unsafe extern "C" fn $name(len: *mut usize) -> *const $elem {
            // SAFETY: the C statics are initialised constants; `len` per contract.
            unsafe {
                *len = $len;
                std::ptr::addr_of!($table).cast()
            }
        }
    )*};
}
pub(crate) use table_export;

table_export! {
    /// The test shapes' table: sizeof, _Alignof, then each field's offsetof, per shape.
    tl_shape_layout_table => tl_shape_layouts: u32, tl_shape_layouts_len;
    /// The same for the system structs of this platform (length 0 where there are none).
    tl_system_layout_table => tl_system_layouts: u32, tl_system_layouts_len;
}

/// Typedef `index` of c/typedefs.c: its name (NULL past the last one), its size and kind (1 a
/// signed integer or float, 0 an unsigned integer, 2 a pointer) written to `size` and `kind`.
///
/// # Safety
/// `size` and `kind` are writable.
#[no_mangle]
pub unsafe extern "C" fn tl_c_typedef(
    index: u32,
    size: *mut u32,
    kind: *mut u32,
) -> *const std::ffi::c_char {
    // SAFETY: forwarded; the C function writes them only for an index it has.
    unsafe { c_typedef(index, size, kind) }
}

/// The function of c/text.c named `name` (`c16_sum`), NULL for none.
///
/// # Safety
/// `name` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn tl_text_function(
    name: *const std::ffi::c_char,
) -> *const std::ffi::c_void {
    // SAFETY: forwarded.
    unsafe { c_text_function(name) }
}
