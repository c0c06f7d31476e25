//! Microsoft x64 argument assignment.
//!
//! ABI facts relied on (Microsoft's "x64 calling convention"; tested against rustc
//! `extern "win64"` and gcc `ms_abi` callers in `tests/thunk.rs`, the JS suite under wine with
//! its C partner compiled by MinGW's gcc, and as tables in `tests/layout.rs` and
//! `tests/by_value.rs`):
//! - the first four arguments go by position: position n takes the n-th of RCX/RDX/R8/R9 when it
//!   is an integer and XMMn when it is a float; the other register of that position is unused;
//! - the caller reserves 32 bytes of shadow space at [rsp] at the call, for the callee;
//! - argument 5 and later take 8-byte slots after it, at [rsp+32], [rsp+40], …; a narrow value is
//!   in the low bytes of its slot with the upper bytes unspecified;
//! - a struct of 1, 2, 4 or 8 bytes travels as an integer of its size (floats in it too: RCX, not
//!   XMM0); any other struct by reference: the caller passes the address of a copy, which the
//!   callee may change, in the struct's position;
//! - a variadic function's variadic floats travel in the integer register of their position
//!   (its callee reads them from there: `va_arg` walks the spilled RCX..R9), not XMM;
//! - a struct of 1, 2, 4 or 8 bytes returns in RAX; any other is written where a hidden first
//!   argument points (RCX: the real arguments move one position on), and that address comes
//!   back in RAX.

use super::{integer_sized, whole, Exit, Layout, Loc, Place, Return};
use crate::param::Param;
use crate::types::Class;

/// Bytes of shadow space the caller reserves below the stack arguments.
pub const SHADOW: u16 = 32;

pub fn layout(ret: &Param, args: &[Param], fixed: Option<usize>) -> Layout {
    let fixed = fixed.unwrap_or(args.len());
    let ret = match ret {
        Param::Scalar(_) => Return::Scalar,
        Param::Struct(s) if integer_sized(s.size()) => {
            Return::Parts(vec![whole(Loc::Gp(0), s.size())])
        }
        Param::Struct(_) => Return::Memory(Loc::Gp(0)),
    };
    let first = u16::from(matches!(ret, Return::Memory(_)));
    let position = |i: usize| first + i as u16;
    let at = |p: u16, class: Class| match (p, class) {
        (0..=3, Class::Integer) => Loc::Gp(p as u8),
        (0..=3, Class::Float) => Loc::Fp(p as u8),
        _ => Loc::Stack(SHADOW + 8 * (p - 4)),
    };
    let places = args
        .iter()
        .enumerate()
        .map(|(i, arg)| match arg {
            Param::Scalar(_) if i >= fixed => Place::Scalar(at(position(i), Class::Integer)),
            Param::Scalar(t) => Place::Scalar(at(position(i), t.class())),
            Param::Struct(s) if integer_sized(s.size()) => {
                Place::Parts(vec![whole(at(position(i), Class::Integer), s.size())])
            }
            Param::Struct(_) => Place::Reference(at(position(i), Class::Integer)),
        })
        .collect();
    Layout {
        places,
        ret,
        stack_bytes: SHADOW + 8 * (position(args.len())).saturating_sub(4),
        exit: Exit::default(),
    }
}
