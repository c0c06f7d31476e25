//! x86 (32-bit) argument assignment: cdecl, stdcall, fastcall, thiscall.
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
//! - integers return in EAX (64-bit ones in EDX:EAX), floats on the x87 stack in ST0;
//! - a struct argument is copied onto the stack in argument order, at a 4-byte aligned offset,
//!   its size rounded up to 4 (cdecl and stdcall; `Signature::new` refuses structs with fastcall
//!   and thiscall, whose rules for them compilers do not share);
//! - a returned struct is written where a hidden first stack argument points, and that address
//!   comes back in EAX; on Linux (i386 psABI) every struct returns so and the callee pops the
//!   hidden argument even in cdecl (`ret 4`); on Windows (MSVC) a struct of 1, 2, 4 or 8 bytes
//!   returns in EAX (EDX:EAX) instead, and a cdecl caller pops the hidden argument. (MinGW's gcc
//!   returns a struct of one float or double in ST0 instead: bare-fn follows MSVC, whose
//!   toolchain the Windows packages are built with; an x86 DLL built by MinGW returning such a
//!   struct is not supported.)

use super::{integer_sized, on_stack, whole, Exit, Layout, Loc, Place, Return, StackCursor};
use crate::abi::{Os, X86Conv};
use crate::param::Param;
use crate::types::Class;

/// Pointers are 4 bytes on x86, whatever the host running the layout.
const POINTER: usize = 4;

pub fn layout(os: Os, conv: X86Conv, ret: &Param, args: &[Param]) -> Layout {
    let mut stack = StackCursor::default();
    let ret_place = match ret {
        Param::Scalar(_) => Return::Scalar,
        Param::Struct(s) if os == Os::Windows && integer_sized(s.size()) => {
            Return::Parts(vec![whole(Loc::Gp(0), s.size())])
        }
        Param::Struct(_) => Return::Memory(Loc::Stack(stack.place(4, 4))),
    };
    let hidden = stack.end;
    let mut free_units: u16 = match conv {
        X86Conv::Cdecl | X86Conv::Stdcall => 0,
        X86Conv::Fastcall => 2,
        X86Conv::Thiscall => 1,
    };
    let mut gp = 0u8;
    let places = args
        .iter()
        .map(|arg| {
            let t = match arg {
                Param::Scalar(t) => *t,
                Param::Struct(s) => {
                    return on_stack(
                        stack.place(s.size().next_multiple_of(4) as u16, 4),
                        s.size(),
                    )
                }
            };
            let size = t.size_for(POINTER) as u16;
            let integer = t.class() == Class::Integer;
            let units = size.div_ceil(4);
            if integer && units > free_units {
                free_units = 0;
            } else if integer {
                free_units -= units;
                if size <= 4 {
                    gp += 1;
                    return Place::Scalar(Loc::Gp(gp - 1));
                }
            }
            Place::Scalar(Loc::Stack(stack.place(size.max(4), 4)))
        })
        .collect();
    let callee_pops = match conv {
        // The i386 psABI's callee pops the hidden result pointer.
        X86Conv::Cdecl if os != Os::Windows => hidden,
        X86Conv::Cdecl => 0,
        X86Conv::Stdcall | X86Conv::Fastcall | X86Conv::Thiscall => stack.end,
    };
    let x87 = match ret.scalar() {
        Some(t) if t.class() == Class::Float => t.size_for(POINTER) as u8,
        _ => 0,
    };
    Layout {
        places,
        ret: ret_place,
        stack_bytes: stack.end,
        exit: Exit { callee_pops, x87 },
    }
}
