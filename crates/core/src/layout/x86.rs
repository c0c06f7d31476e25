//! x86 (32-bit) argument assignment: cdecl, stdcall, fastcall, thiscall, for scalar arguments.
//!
//! ABI facts relied on (i386 System V psABI and Microsoft's x86 conventions; tested as a table in
//! `tests/layout.rs`, end to end against rustc's callers on i686 Linux in `tests/thunk.rs`, and
//! checked against clang for i686-pc-windows-msvc (MSVC's rules) and MinGW's gcc, which agree on
//! every fastcall, thiscall and stdcall shape of `tests/layout.rs`):
//! - stack arguments are pushed right to left, so they sit in argument order from [esp+4] on
//!   entry; each takes 4 bytes, or 8 for 64-bit integers and doubles, aligned to 4 only;
//! - fastcall, as clang (which matches MSVC) and rustc (which matches clang) do it: ECX and EDX
//!   are two 4-byte units handed out left to right; floats never take them; an argument needing
//!   more units than are left ends register use (a 64-bit integer first takes both, yet goes on
//!   the stack); only integers of at most 32 bits travel in a register (`Gp(0)` ECX, `Gp(1)` EDX);
//! - thiscall: the first argument (`this`; `Signature::new` requires a pointer or an integer of
//!   at most 32 bits there, the one case where MSVC, gcc and LLVM agree) goes in ECX;
//! - cdecl: the caller pops the arguments; stdcall, fastcall and thiscall: the callee does
//!   (`ret n`);
//! - integers return in EAX (64-bit ones in EDX:EAX), floats on the x87 stack in ST0.

use super::{Exit, Layout, Loc, StackCursor};
use crate::abi::X86Conv;
use crate::types::{Class, Type};

/// Pointers are 4 bytes on x86, whatever the host running the layout.
const POINTER: usize = 4;

pub fn layout(conv: X86Conv, ret: Type, args: &[Type]) -> Layout {
    let mut free_units: u16 = match conv {
        X86Conv::Cdecl | X86Conv::Stdcall => 0,
        X86Conv::Fastcall => 2,
        X86Conv::Thiscall => 1,
    };
    let mut stack = StackCursor::default();
    let mut gp = 0u8;
    let locs = args
        .iter()
        .map(|t| {
            let size = t.size_for(POINTER) as u16;
            let integer = t.class() == Class::Integer;
            let units = size.div_ceil(4);
            if integer && units > free_units {
                free_units = 0;
            } else if integer {
                free_units -= units;
                if size <= 4 {
                    gp += 1;
                    return Loc::Gp(gp - 1);
                }
            }
            Loc::Stack(stack.place(size.max(4), 4))
        })
        .collect();
    let callee_pops = match conv {
        X86Conv::Cdecl => 0,
        X86Conv::Stdcall | X86Conv::Fastcall | X86Conv::Thiscall => stack.end,
    };
    Layout {
        locs,
        stack_bytes: stack.end,
        exit: Exit {
            callee_pops,
            x87: if ret.class() == Class::Float {
                ret.size_for(POINTER) as u8
            } else {
                0
            },
        },
    }
}
