//! Argument locations: which register or stack slot carries each argument, per ABI flavor.

mod sysv64;

use crate::abi::Flavor;
use crate::types::Type;

/// Where one argument travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loc {
    /// The n-th general-purpose argument register.
    Gp(u8),
    /// The n-th vector (floating-point) argument register.
    Fp(u8),
    /// The n-th 8-byte slot of the caller's stack argument area.
    Stack(u8),
}

pub use sysv64::{FP_REGS, GP_REGS, STACK_SLOTS};

/// Lays out `args` (already validated: no void, at most `MAX_ARGS`).
pub fn assign(flavor: Flavor, args: &[Type]) -> Vec<Loc> {
    match flavor {
        Flavor::SysV64 => sysv64::assign(args),
    }
}
