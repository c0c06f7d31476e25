//! The Node-API binding of bare-fn. index.ts wraps these classes and functions into the public
//! API; nothing here is meant to be used directly.

mod bare_fn;
mod bench_floor;
mod call;
mod callback;
mod from_js;
mod library;
mod memory;
mod owner_cell;
mod raw;
mod report;
mod signature;
mod stack;
mod thread;
mod to_js;
