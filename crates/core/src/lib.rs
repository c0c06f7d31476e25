//! bare-fn core: runtime signatures, their ABI layout, thunks that turn a handler into a
//! contextless C function pointer, calls through any function pointer, the quarantine of retired
//! thunks and the rendezvous of a caller waiting for another thread. No Node.js here; tested with
//! `cargo test`.

pub mod abi;
mod arch;
pub mod call;
mod capture;
pub mod frame;
pub mod layout;
pub mod os_errors;
pub mod param;
pub mod quarantine;
mod registers;
pub mod rendezvous;
pub mod signature;
pub mod structs;
pub mod thunk;
mod thunk_memory;
pub mod types;

pub use abi::{AbiError, CallConv, Flavor};
pub use call::{call_raw, call_raw_into, CallFrame, Outcome};
pub use capture::Handler;
pub use frame::{Frame, RawFrame};
pub use os_errors::OsErrors;
pub use param::Param;
pub use registers::Registers;
pub use signature::{Input, ScalarInput, SigError, Signature, StructInput, MAX_ARGS, MAX_BY_VALUE};
pub use structs::Struct;
pub use thunk::{Retired, Thunk};
pub use thunk_memory::CodeMemoryError;
pub use types::{Class, Extension, Text, Type};
