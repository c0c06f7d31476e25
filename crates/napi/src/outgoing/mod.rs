//! Calls from JS into C: FnPtr and Library functions. Each is one plain Node-API function made
//! for it (`plan::create`), whose data pointer is its call plan: the address, the signature, the
//! library it came from, where a returned struct goes. A call (`entry`) reads its arguments from
//! Node-API into the stack, converts them by the signature, calls through `call_raw_into` and
//! converts the result: no napi-rs wrapper, no JS wrapper for a scalar signature, no heap
//! allocation. src/lib/fn-ptr.ts adds `.address` and `.signature`, and wraps only what native code
//! cannot do itself: encoding and decoding structs, and the type/value pairs of variadic calls.

mod arguments;
mod async_call;
mod cstrings;
mod entry;
mod errno;
mod plan;

pub use async_call::{call_async, running as running_async, AsyncErrors};
pub use plan::create as create_caller;
