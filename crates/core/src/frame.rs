//! The register image of one call, shared by every ABI: the capture code of a thunk (`arch/`)
//! stores the argument registers and the address of the caller's stack arguments into a
//! `RawFrame`, the handler reads arguments from it by `Loc` and writes the return value, and the
//! capture code loads the return registers from it. Outgoing calls use the same image the other
//! way round. Decoding and the binding layer never see which ABI filled it.

use crate::layout::{Exit, Loc, Place, Return, FP_REGS, GP_REGS};
use crate::signature::{ScalarInput, Signature, StructInput};
use crate::signature::{MAX_ARGS, MAX_BY_VALUE};
use crate::structs::Struct;

/// The image itself. Its field offsets are the contract with the assembly in `arch/` (passed to
/// it as `offset_of!` constants, never written as numbers there); its size is a multiple of 16 so
/// that reserving it keeps the stack pointer aligned.
#[repr(C, align(16))]
#[derive(Debug)]
pub struct RawFrame {
    /// General-purpose argument registers, in the convention's order (`Loc::Gp`): rdi..r9 on
    /// System V, rcx..r9 on Win64, x0-x7 on AArch64, ecx and edx on x86 (32 bits, upper half
    /// unspecified).
    pub gp: [u64; GP_REGS],
    /// Floating-point argument registers (`Loc::Fp`), their low 64 bits: xmm0-7 (Win64: 0-3),
    /// d0-d7. An `f32` is the low 32 bits.
    pub fp: [u64; FP_REGS],
    /// Address of the stack argument area (`Loc::Stack` offsets start there): the stack pointer
    /// at the call instruction, so the entry stack pointer plus the return address on x86.
    pub stack: u64,
    /// Outgoing calls: how many bytes of `stack` to copy below the stack pointer.
    pub stack_bytes: u64,
    /// Integer return registers: rax/rdx, x0/x1; on x86 `ret[0]` is EDX:EAX.
    pub ret: [u64; 2],
    /// Floating-point return registers' low 64 bits: xmm0/xmm1, d0-d3 (a returned HFA of four
    /// takes four); on x86 the ST0 value (stored as `float` or `double` per `x87`).
    pub ret_fp: [u64; 4],
    /// AArch64's indirect result register x8 (`Loc::ResultRegister`), captured and passed.
    pub result: u64,
    /// x86 only: 4 or 8 when the value returns on the x87 stack (`Exit::x87`), else 0.
    pub x87: u32,
    /// x86 only: bytes the callee pops on return (`Exit::callee_pops`).
    pub callee_pops: u32,
}

const _: () = assert!(size_of::<RawFrame>().is_multiple_of(16));

impl RawFrame {
    pub fn new() -> RawFrame {
        RawFrame {
            gp: [0; GP_REGS],
            fp: [0; FP_REGS],
            stack: 0,
            stack_bytes: 0,
            ret: [0; 2],
            ret_fp: [0; 4],
            result: 0,
            x87: 0,
            callee_pops: 0,
        }
    }

    /// Sets the return value (raw encoding) in every return register a caller of any scalar
    /// return type might read: integer callers read rax/x0/eax(:edx), float callers the low
    /// lane of xmm0/d0 (an `f32` is the low 32 bits of the raw value) or ST0 (`set_exit`).
    #[inline]
    pub fn set_return(&mut self, raw: u64) {
        self.ret[0] = raw;
        self.ret_fp[0] = raw;
    }

    /// How the call returns, for x86's template: whether to load ST0, how many bytes to pop.
    /// Other templates read neither field.
    #[inline]
    pub fn set_exit(&mut self, exit: Exit) {
        self.x87 = u32::from(exit.x87);
        self.callee_pops = u32::from(exit.callee_pops);
    }
}

impl Default for RawFrame {
    fn default() -> Self {
        RawFrame::new()
    }
}

/// The arguments of one incoming call, addressable by `Loc`, and its return value.
pub struct Frame<'a> {
    raw: &'a mut RawFrame,
    /// A struct return value was written (`return_struct`).
    struct_returned: bool,
}

impl<'a> Frame<'a> {
    /// # Safety
    /// `raw.stack` must address the stack argument area of a call in progress, holding every
    /// `Loc::Stack` the frame is read at plus 8 bytes (see `read`), and the frame's struct
    /// arguments passed by reference and its hidden result address (if any) must be what that
    /// call's caller passed.
    #[inline]
    pub unsafe fn new(raw: &'a mut RawFrame) -> Frame<'a> {
        Frame {
            raw,
            struct_returned: false,
        }
    }

    /// The bits of the register or stack bytes at `loc`, before narrowing to the argument's
    /// type. A stack read takes 8 bytes whatever the type: a narrower last argument's extra bytes
    /// lie in the caller's own frame, above its outgoing arguments, which every caller has.
    #[inline]
    pub fn read(&self, loc: Loc) -> u64 {
        match loc {
            Loc::Gp(i) => self.raw.gp[usize::from(i)],
            Loc::Fp(i) => self.raw.fp[usize::from(i)],
            // SAFETY: `new`'s contract: the area is readable at the offsets of the signature.
            Loc::Stack(offset) => unsafe { self.stack(offset).cast::<u64>().read_unaligned() },
            Loc::ResultRegister => self.raw.result,
        }
    }

    fn stack(&self, offset: u16) -> *const u8 {
        // SAFETY (of the callers' reads): see `new`.
        (self.raw.stack as usize as *const u8).wrapping_add(usize::from(offset))
    }

    /// Copies the bytes of a struct argument into `out`.
    ///
    /// # Panics
    /// When `out` is not the struct's size.
    pub fn read_struct(&self, input: &StructInput, out: &mut [u8]) {
        assert_eq!(out.len(), input.size, "a struct argument's bytes");
        match &input.place {
            Place::Scalar(_) => unreachable!("not a struct argument"),
            Place::Parts(parts) => {
                for part in parts {
                    let to = &mut out[usize::from(part.offset)..][..usize::from(part.size)];
                    match part.loc {
                        // SAFETY: `new`'s contract: the caller's stack holds the struct's bytes.
                        Loc::Stack(offset) => unsafe {
                            std::ptr::copy_nonoverlapping(
                                self.stack(offset),
                                to.as_mut_ptr(),
                                to.len(),
                            )
                        },
                        loc => to.copy_from_slice(&self.read(loc).to_le_bytes()[..to.len()]),
                    }
                }
            }
            // SAFETY: `new`'s contract: the caller passed the address of a copy of the struct,
            // which lives until the call returns.
            // The size is the signature's (asserted above).
            Place::Reference(loc) => unsafe {
                let from = self.read(*loc) as usize as *const u8;
                std::ptr::copy_nonoverlapping(from, out.as_mut_ptr(), out.len());
            },
        }
    }

    /// Makes `bytes` the struct this call of `sig` returns: into the return registers, or to the
    /// caller's memory (whose address is then returned too). A handler of a signature that
    /// returns a struct calls this once; its own return value is then ignored.
    ///
    /// # Panics
    /// When `sig` returns no struct of `bytes.len()` bytes.
    pub fn return_struct(&mut self, sig: &Signature, bytes: &[u8]) {
        let size = sig.ret().structure().map(Struct::size);
        assert_eq!(size, Some(bytes.len()), "the returned struct's bytes");
        match &sig.layout().ret {
            Return::Scalar => unreachable!("not a struct return"),
            Return::Parts(parts) => {
                for part in parts {
                    let value = bits(&bytes[usize::from(part.offset)..][..usize::from(part.size)]);
                    match part.loc {
                        Loc::Gp(i) => self.raw.ret[usize::from(i)] = value,
                        Loc::Fp(i) => self.raw.ret_fp[usize::from(i)] = value,
                        other => unreachable!("{other:?} is not a return register"),
                    }
                }
            }
            Return::Memory(loc) => {
                let to = self.read(*loc);
                // SAFETY: `new`'s contract: the caller passed the address of memory for the
                // struct (its size, which `bytes` has).
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        bytes.as_ptr(),
                        to as usize as *mut u8,
                        bytes.len(),
                    )
                };
                self.raw.ret[0] = to;
            }
        }
        self.struct_returned = true;
    }

    /// Whether `return_struct` ran.
    pub fn struct_returned(&self) -> bool {
        self.struct_returned
    }

    /// The register image, for the dispatcher.
    pub(crate) fn raw(&mut self) -> &mut RawFrame {
        self.raw
    }
}

/// Up to 8 little-endian bytes as the low bytes of a register (zero above).
pub(crate) fn bits(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(word)
}

/// The largest stack argument area an outgoing call can need on any convention: Win64's shadow
/// space, 8 bytes per argument, and the structs copied there (each padded by less than 8).
pub const MAX_STACK_BYTES: usize = 32 + 16 * MAX_ARGS + MAX_BY_VALUE;

impl ScalarInput {
    /// The raw encoding of this argument in `frame`.
    #[inline]
    pub fn decode(&self, frame: &Frame<'_>) -> u64 {
        self.extension.apply(frame.read(self.loc))
    }
}
