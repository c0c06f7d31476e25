//! The Node-API binding of bare-fn. src/lib/*.ts wrap these classes and functions into the public
//! API; nothing here is meant to be used directly.

// Under clippy, napi-derive's export registration does not count as a use, so every #[napi]
// function looks dead. Plain builds (which deny nothing but print warnings, kept at zero) still
// report real dead code.
#![cfg_attr(clippy, allow(dead_code))]

mod arg_buffer;
mod bare_fn;
mod callback;
mod calls_in_progress;
mod dispatch;
mod dropped;
mod external;
mod from_js;
mod library;
mod live;
mod memory;
mod os_thread;
mod outgoing;
mod owned_ref;
mod owner_cell;
mod raw;
mod raw_exports;
mod report;
mod scalar_types;
mod signature;
mod stack;
mod structs;
mod text;
mod threading_mode;
mod to_js;
mod views;
