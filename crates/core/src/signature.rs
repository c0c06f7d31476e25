//! A runtime signature: return type, argument types and calling convention, validated and laid
//! out once, so that every call only follows the precomputed argument locations.

use std::fmt;

use crate::abi::{AbiError, CallConv, Flavor, Target, X86Conv};
use crate::layout::{self, Layout, Loc, Place, Return};
use crate::param::Param;
use crate::types::{Class, Extension, Text, Type};

/// The most arguments a signature may have. The thunk templates are sized for it.
pub const MAX_ARGS: usize = 16;

/// The most bytes of structs passed by value a signature may have among its arguments, and the
/// largest struct it may return by value (the binding keeps a buffer of this size per thread
/// for each). A C compiler has no such limit; a struct this large is better passed by pointer.
pub const MAX_BY_VALUE: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigError {
    TooManyArgs {
        count: usize,
    },
    VoidArgument {
        index: usize,
    },
    /// Structs by value with x86 fastcall or thiscall (compilers disagree about them).
    StructWithRegisterConvention {
        conv: CallConv,
    },
    /// A struct in a variadic function's signature (a variadic argument, a fixed one or the
    /// result): not supported, pass it by pointer.
    VariadicWithStruct {
        index: Option<usize>,
    },
    /// A variadic function of an x86 convention other than cdecl (callee-popped conventions
    /// cannot have one).
    VariadicNotCdecl {
        conv: CallConv,
    },
    /// Struct arguments of more than `MAX_BY_VALUE` bytes in all, or a larger returned struct.
    TooLargeByValue {
        what: &'static str,
        bytes: usize,
    },
    /// x86 thiscall without a `this`: a first argument that is not a pointer or an integer of
    /// at most 32 bits (compilers disagree about where anything else goes).
    ThiscallWithoutThis {
        first: Option<Param>,
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
            SigError::StructWithRegisterConvention { conv } => write!(
                f,
                "structs by value are not supported with x86 {conv} (compilers disagree about \
                 where they go); use cdecl or stdcall, or pass a pointer"
            ),
            SigError::VariadicWithStruct { index } => {
                match index {
                    Some(index) => {
                        write!(f, "argument {index} of a variadic function is a struct")?
                    }
                    None => f.write_str("a variadic function's result is a struct")?,
                }
                f.write_str(": not supported (pass it by pointer)")
            }
            SigError::VariadicNotCdecl { conv } => write!(
                f,
                "a variadic function is cdecl on x86 ('C'); '{conv}' cannot be variadic"
            ),
            SigError::TooLargeByValue { what, bytes } => write!(
                f,
                "{what} {bytes} bytes by value; at most {MAX_BY_VALUE} are supported (pass a \
                 pointer instead)"
            ),
            SigError::ThiscallWithoutThis { first } => {
                let got = first
                    .as_ref()
                    .map_or("no arguments".to_owned(), Param::to_string);
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
    ret: Param,
    args: Vec<Param>,
    /// A call of a variadic function: how many arguments are fixed (the rest are variadic).
    fixed: Option<usize>,
    conv: CallConv,
    flavor: Flavor,
    layout: Layout,
    inputs: Vec<Input>,
    /// The same plan when every argument is a scalar (most signatures): the native -> JS path
    /// then reads them without a branch on the kind of each.
    scalars: Option<Vec<ScalarInput>>,
    /// Every argument travels in a register and a scalar (or nothing) comes back: an outgoing
    /// call is a jump with the registers loaded (`CallFrame::call`).
    registers_only: bool,
    /// How to normalize a scalar result (a struct's: none), found once.
    ret_extension: Extension,
}

/// How a thunk reads one argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Scalar(ScalarInput),
    Struct(StructInput),
}

/// A scalar argument: its type, where it travels, and how to widen its bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScalarInput {
    /// The type it travels as: a variadic argument's is promoted (C's default promotions).
    pub ty: Type,
    /// The type it was declared as (`ty` unless promoted): the one its value is given in.
    pub declared: Type,
    pub loc: Loc,
    pub extension: Extension,
    /// A variadic `f32`, promoted to `double` as C does: its raw value (f32 bits) travels as the
    /// f64 of the same value (outgoing calls only).
    pub widen: bool,
}

/// A struct argument: its size and where its bytes travel (`Frame::read_struct`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructInput {
    pub size: usize,
    pub place: Place,
    /// The offsets of its string members with their encodings, nested ones included (a queued
    /// call copies the strings they point to).
    pub strings: Vec<(usize, Text)>,
}

impl Signature {
    pub fn new<A: Into<Param>>(
        ret: impl Into<Param>,
        args: impl IntoIterator<Item = A>,
        conv: CallConv,
    ) -> Result<Signature, SigError> {
        Signature::build(
            ret.into(),
            args.into_iter().map(Into::into).collect(),
            conv,
            None,
        )
    }

    /// One call of a variadic function: `args` are its `fixed` arguments, then the variadic
    /// ones (scalars), which C's default promotions widen as they travel (f32 to double, integers
    /// and bool narrower than 32 bits to int).
    pub fn variadic<A: Into<Param>>(
        ret: impl Into<Param>,
        args: impl IntoIterator<Item = A>,
        conv: CallConv,
        fixed: usize,
    ) -> Result<Signature, SigError> {
        let args: Vec<Param> = args.into_iter().map(Into::into).collect();
        Signature::build(ret.into(), args, conv, Some(fixed))
    }

    fn build(
        ret: Param,
        args: Vec<Param>,
        conv: CallConv,
        fixed: Option<usize>,
    ) -> Result<Signature, SigError> {
        if args.len() > MAX_ARGS {
            return Err(SigError::TooManyArgs { count: args.len() });
        }
        if let Some(index) = args.iter().position(Param::is_void) {
            return Err(SigError::VoidArgument { index });
        }
        let flavor = conv.resolve().map_err(SigError::Abi)?;
        let first_variadic = fixed.unwrap_or(args.len()).min(args.len());
        if fixed.is_some() {
            if let Some(index) = args.iter().position(|a| a.scalar().is_none()) {
                let index = Some(index);
                return Err(SigError::VariadicWithStruct { index });
            }
            if ret.scalar().is_none() {
                return Err(SigError::VariadicWithStruct { index: None });
            }
        }
        if fixed.is_some() && matches!(flavor, Flavor::X86(conv) if conv != X86Conv::Cdecl) {
            return Err(SigError::VariadicNotCdecl { conv });
        }
        let structs = || args.iter().chain([&ret]).filter_map(Param::structure);
        if matches!(flavor, Flavor::X86(X86Conv::Fastcall | X86Conv::Thiscall))
            && structs().next().is_some()
        {
            return Err(SigError::StructWithRegisterConvention { conv });
        }
        let by_value: usize = args
            .iter()
            .filter_map(Param::structure)
            .map(|s| s.size())
            .sum();
        if by_value > MAX_BY_VALUE {
            let what = "the struct arguments take";
            return Err(SigError::TooLargeByValue {
                what,
                bytes: by_value,
            });
        }
        if let Some(s) = ret.structure().filter(|s| s.size() > MAX_BY_VALUE) {
            let what = "the returned struct takes";
            return Err(SigError::TooLargeByValue {
                what,
                bytes: s.size(),
            });
        }
        if flavor == Flavor::X86(X86Conv::Thiscall) {
            let first = args.first().cloned();
            let this = first
                .as_ref()
                .and_then(Param::scalar)
                .is_some_and(|t| t.class() == Class::Integer && t.size() <= 4);
            if !this {
                return Err(SigError::ThiscallWithoutThis { first });
            }
        }
        // The variadic arguments as they travel: promoted.
        let travelling: Vec<Param> = args
            .iter()
            .enumerate()
            .map(|(i, arg)| match arg.scalar() {
                Some(t) if i >= first_variadic => Param::Scalar(promoted(t)),
                _ => arg.clone(),
            })
            .collect();
        let layout = layout::layout_on(Target::HOST.os, flavor, &ret, &travelling, fixed);
        let inputs: Vec<Input> = travelling
            .iter()
            .zip(&args)
            .zip(&layout.places)
            .map(|((arg, declared), place)| match (arg, place) {
                (Param::Scalar(ty), Place::Scalar(loc)) => Input::Scalar(ScalarInput {
                    ty: *ty,
                    declared: declared.scalar().unwrap_or(*ty),
                    loc: *loc,
                    extension: ty.extension(),
                    widen: declared.scalar() == Some(Type::F32) && *ty == Type::F64,
                }),
                (Param::Struct(s), place) => Input::Struct(StructInput {
                    size: s.size(),
                    place: place.clone(),
                    strings: s.string_offsets(),
                }),
                (Param::Scalar(_), other) => unreachable!("a scalar at {other:?}"),
            })
            .collect();
        let scalars = inputs
            .iter()
            .map(|input| match input {
                Input::Scalar(scalar) => Some(*scalar),
                Input::Struct(_) => None,
            })
            .collect();
        let ret_extension = ret.scalar().unwrap_or(Type::Void).extension();
        let registers_only = !matches!(flavor, Flavor::X86(_))
            && layout.ret == Return::Scalar
            && inputs.iter().all(|input| {
                matches!(
                    input,
                    Input::Scalar(ScalarInput {
                        loc: Loc::Gp(_) | Loc::Fp(_),
                        ..
                    })
                )
            });
        Ok(Signature {
            ret,
            args,
            fixed,
            conv,
            flavor,
            layout,
            inputs,
            scalars,
            registers_only,
            ret_extension,
        })
    }

    pub fn ret(&self) -> &Param {
        &self.ret
    }

    pub fn args(&self) -> &[Param] {
        &self.args
    }

    /// Whether it is a call of a variadic function (no thunk can have one).
    pub fn is_variadic(&self) -> bool {
        self.fixed.is_some()
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

    /// How a scalar result's register bits become its raw value (`Type::normalize`).
    #[inline]
    pub fn ret_extension(&self) -> Extension {
        self.ret_extension
    }

    /// Whether every argument travels in a register and the result, if any, is a scalar.
    #[inline]
    pub fn registers_only(&self) -> bool {
        self.registers_only
    }

    /// `inputs` when every argument is a scalar.
    #[inline]
    pub fn scalar_inputs(&self) -> Option<&[ScalarInput]> {
        self.scalars.as_deref()
    }
}

/// C's default argument promotions, for a variadic argument.
fn promoted(t: Type) -> Type {
    match t {
        Type::F32 => Type::F64,
        Type::Bool | Type::I8 | Type::I16 => Type::I32,
        Type::U8 | Type::U16 => Type::U32,
        other => other,
    }
}

/// `(pointer, pointer) -> i32`, prefixed with `extern "abi"` when it is not C; a variadic call's
/// variadic part after `...`: `(cstring, ...i32, f64) -> i32`.
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
            if Some(i) == self.fixed {
                f.write_str("...")?;
            }
            t.fmt(f)?;
        }
        if self.fixed == Some(self.args.len()) {
            f.write_str(if self.args.is_empty() { "..." } else { ", ..." })?;
        }
        write!(f, ") -> {}", self.ret)
    }
}
