//! Structs passed and returned by value by C code (c/by_value.c, generated from
//! __test__/helpers/struct-shapes.ts by __test__/helpers/by-value-c.ts), exported: a Rust cdylib
//! exports only Rust's own symbols, not those of the C it links, so the C functions are reached
//! through a table of their addresses. Per shape, in the order of struct-shapes.ts, 6 entries:
//! `tl_bv_echo_L`, `tl_bv_after6_L`, `tl_bv_mixed_L`, `tl_bv_call_L`, `tl_bv_call_after6_L`,
//! `tl_bv_call_mixed_L` (what each does: the comment at the top of c/by_value.c).
//!
//! ABI assumptions: a C function pointer has the size of `usize` (the table is C's
//! `void (*const[])(void)`, read here as `[usize; 0]` through its address), and C's `size_t` is
//! Rust's `usize`.

use crate::layouts::table_export;

unsafe extern "C" {
    static tl_bv_functions: [usize; 0];
    static tl_bv_functions_len: usize;
    static tl_bv_records: [*mut u8; 3];
}

table_export! {
    /// The addresses of c/by_value.c's functions: 6 per shape of struct-shapes.ts, in its order.
    tl_by_value_table => tl_bv_functions: usize, tl_bv_functions_len;
}

/// Where c/by_value.c's functions record what they were passed: 3 addresses, in this order,
/// - `int32_t[8]`: the `int32_t` arguments (`a..g` of `after6` in 0..6; `a`, `b` of `mixed` in 0, 1);
/// - `double[9]`: the `double` arguments of `mixed`, `d0..d8`;
/// - `unsigned char[512]`: the bytes of `mixed`'s second struct `w` (its `sizeof` first bytes).
#[no_mangle]
pub extern "C" fn tl_by_value_records() -> *const *mut u8 {
    std::ptr::addr_of!(tl_bv_records).cast()
}
