//! bare-fn-testlib: the C-ABI partner of bare-fn's tests and benchmarks.
//!
//! Every function here is `extern "C"` and exported unmangled. Two kinds:
//! - *callers* take a function pointer (usually a BareFn's address) and call it, with values
//!   fixed here or given by the test, then return what came back: typed callers are compiled by
//!   rustc ([`typed`], [`loops`]), the dynamic caller and recorder go through libffi
//!   ([`ffi_call`], [`recorder`]), and [`dirty`] is hand-written assembly that leaves the upper bits
//!   of narrow arguments as garbage on purpose; [`threads`] calls from threads of its own;
//! - *targets* are plain functions the tests call through bare-fn's `Library`/`FnPtr` and through
//!   koffi ([`targets`]);
//! - C compiled by the target's C compiler (c/, generated from the tests' struct shapes): struct
//!   layouts ([`layouts`]) and functions passing structs by value, targets and callers
//!   ([`by_value`]), reached through exported tables.
//!
//! Values the tests pass as "raw" use the encoding of crates/core `types.rs`: type codes 0..15 in
//! the order void, bool, i8, u8, i16, u16, i32, u32, i64, u64, isize, usize, f32, f64, pointer,
//! cstring; integers sign- or zero-extended to 64 bits, f32 as its bits in the low half, f64 as its
//! bits, pointers as the address. [`raw`] implements it again, on purpose independently of core.

pub mod by_value;
pub mod dirty;
pub mod ffi_call;
pub mod layouts;
pub mod loops;
pub mod raw;
pub mod recorder;
pub mod targets;
pub mod text;
pub mod threads;
pub mod typed;
