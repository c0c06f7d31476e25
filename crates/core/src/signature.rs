//! A runtime signature: return type, argument types and calling convention, validated and laid
//! out once, so that every call only follows the precomputed argument locations.

use std::fmt;

use crate::abi::{AbiError, CallConv, Flavor, X86Conv};
use crate::frame::Frame;
use crate::layout::{self, Layout, Loc};
use crate::types::{Class, Extension, Type};

/// The most arguments a signature may have. The thunk templates are sized for it.
pub const MAX_ARGS: usize = 16;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigError {
    TooManyArgs {
        count: usize,
    },
    VoidArgument {
        index: usize,
    },
    /// x86 thiscall without a `this`: a first argument that is not a pointer or an integer of
    /// at most 32 bits (compilers disagree about where anything else goes).
    ThiscallWithoutThis {
        first: Option<Type>,
    },
    Abi(AbiError),
}

impl fmt::Display for SigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigError::TooManyArgs { count } => write!(
                f,
                "a signature takes at most {MAX_ARGS} arguments, got {count}"
            ),
            SigError::VoidArgument { index } => {
                write!(f, "argument {index} is void; void is only a return type")
            }
            SigError::ThiscallWithoutThis { first } => {
                let got = first.map_or("no arguments".to_owned(), |t| t.name().to_owned());
                write!(
                    f,
                    "a thiscall function's first argument is `this`: a pointer or an integer of \
                     at most 32 bits; got {got}"
                )
            }
            SigError::Abi(e) => e.fmt(f),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    ret: Type,
    args: Vec<Type>,
    conv: CallConv,
    flavor: Flavor,
    layout: Layout,
    inputs: Vec<Input>,
}

/// How a thunk reads one argument: its type, where it travels, and how to widen its bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Input {
    pub ty: Type,
    pub loc: Loc,
    pub extension: Extension,
}

impl Input {
    /// The raw encoding of this argument in `frame`.
    #[inline]
    pub fn decode(&self, frame: &Frame<'_>) -> u64 {
        self.extension.apply(frame.read(self.loc))
    }
}

impl Signature {
    pub fn new(ret: Type, args: Vec<Type>, conv: CallConv) -> Result<Signature, SigError> {
        if args.len() > MAX_ARGS {
            return Err(SigError::TooManyArgs { count: args.len() });
        }
        if let Some(index) = args.iter().position(|&t| t == Type::Void) {
            return Err(SigError::VoidArgument { index });
        }
        let flavor = conv.resolve().map_err(SigError::Abi)?;
        if flavor == Flavor::X86(X86Conv::Thiscall) {
            let first = args.first().copied();
            let this = first.is_some_and(|t| t.class() == Class::Integer && t.size() <= 4);
            if !this {
                return Err(SigError::ThiscallWithoutThis { first });
            }
        }
        let layout = layout::layout(flavor, ret, &args);
        let inputs = args
            .iter()
            .zip(&layout.locs)
            .map(|(&ty, &loc)| Input {
                ty,
                loc,
                extension: ty.extension(),
            })
            .collect();
        Ok(Signature {
            ret,
            args,
            conv,
            flavor,
            layout,
            inputs,
        })
    }

    pub fn ret(&self) -> Type {
        self.ret
    }

    pub fn args(&self) -> &[Type] {
        &self.args
    }

    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// How calls of this signature travel: argument locations, stack area, return.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// How to read each argument of an incoming call, in argument order.
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }
}

/// `(pointer, pointer) -> i32`, prefixed with `extern "abi"` when it is not C.
impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.conv != CallConv::C {
            write!(f, "extern \"{}\" ", self.conv)?;
        }
        f.write_str("(")?;
        for (i, t) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(t.name())?;
        }
        write!(f, ") -> {}", self.ret)
    }
}
