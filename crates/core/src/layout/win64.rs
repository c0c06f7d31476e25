//! Microsoft x64 argument assignment, for scalar arguments.
//!
//! ABI facts relied on (Microsoft's "x64 calling convention"; tested against rustc
//! `extern "win64"` and gcc `ms_abi` callers in `tests/thunk.rs`, and as a table in
//! `tests/layout.rs`):
//! - the first four arguments go by position: position n takes the n-th of RCX/RDX/R8/R9 when it
//!   is an integer and XMMn when it is a float; the other register of that position is unused;
//! - the caller reserves 32 bytes of shadow space at [rsp] at the call, for the callee;
//! - argument 5 and later take 8-byte slots after it, at [rsp+32], [rsp+40], …; a narrow value is
//!   in the low bytes of its slot with the upper bytes unspecified.

use super::{Exit, Layout, Loc};
use crate::types::{Class, Type};

/// Bytes of shadow space the caller reserves below the stack arguments.
pub const SHADOW: u16 = 32;

pub fn layout(args: &[Type]) -> Layout {
    let locs: Vec<Loc> = args
        .iter()
        .enumerate()
        .map(|(i, t)| match (i, t.class()) {
            (0..=3, Class::Integer) => Loc::Gp(i as u8),
            (0..=3, Class::Float) => Loc::Fp(i as u8),
            _ => Loc::Stack(SHADOW + 8 * (i as u16 - 4)),
        })
        .collect();
    Layout {
        stack_bytes: SHADOW + 8 * (args.len().saturating_sub(4) as u16),
        locs,
        exit: Exit::default(),
    }
}
