//! C struct layout: member offsets, size and alignment, as C compilers lay a struct out on each
//! target, with `#pragma pack(n)`. Pure decisions, compiled for every host (`tests/structs.rs`
//! checks every target's table, and the host's against rustc's `repr(C)`); JS learns the layout
//! of a `t.struct` from here, and calls that pass structs by value classify them from it.
//!
//! A struct travels between JS and native code as a descriptor string: `{f64,f64}`, `{u8,[u8;15]}`,
//! `{{f64,f64},{f64,f64}}`, `{u8,u32}@1` (packed to 1); a union as `<f64,u32>`, its members all at
//! offset 0. Member names stay in JS: the layout does not depend on them. A union is a `Struct`
//! whose members overlap: its leaves (what ABIs classify it by) overlap too, which each ABI's
//! classification merges as the C compilers do (System V merges the classes of each eightbyte,
//! AAPCS64 takes a union of floats of one type as an HFA of its size, Win64 and x86 go by size).

use std::fmt;

use crate::abi::{Arch, Os, Target};
use crate::types::{Text, Type};

/// The largest struct, in bytes: every offset and size fits an i32 (and a JS number exactly).
pub const MAX_SIZE: usize = i32::MAX as usize;

/// One member of a struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Member {
    Scalar(Type),
    Struct(Struct),
    /// A fixed-length array, `T name[length]`.
    Array {
        element: Box<Member>,
        length: usize,
    },
}

/// A laid-out C struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Struct {
    members: Vec<Member>,
    offsets: Vec<usize>,
    size: usize,
    align: usize,
    pack: Option<usize>,
    target: Target,
    /// A union: every member at offset 0.
    union: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StructError {
    /// A struct without members (C forbids it; GNU C's size 0 has no portable meaning).
    Empty,
    /// A `void` member, or an array of them.
    Void,
    /// An array of length 0 (a flexible array member has no size to lay out).
    ZeroLength,
    /// Larger than `MAX_SIZE`.
    TooLarge,
    /// A pack that is not 1, 2, 4, 8 or 16.
    Pack(usize),
    /// A descriptor that does not parse: what was expected at which byte.
    Syntax { at: usize, expected: &'static str },
    /// Structs and arrays nested more than `MAX_DEPTH` deep.
    TooDeep,
}

/// How deep structs and arrays may nest in one another. C requires compilers to take 63 levels of
/// nested struct definitions; every walk of a layout (parsing, classifying, dropping) recurses
/// once per level, so a bound keeps them from overflowing a thread's stack (10,000 levels did
/// in a worker).
pub const MAX_DEPTH: usize = 256;

impl fmt::Display for StructError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StructError::Empty => f.write_str("a struct needs at least one field"),
            StructError::Void => f.write_str("a field cannot be void"),
            StructError::ZeroLength => f.write_str("an array needs a length of at least 1"),
            StructError::TooLarge => write!(f, "a struct or array is at most {MAX_SIZE} bytes"),
            StructError::Pack(n) => write!(f, "pack must be 1, 2, 4, 8 or 16; got {n}"),
            StructError::Syntax { at, expected } => {
                write!(f, "bad struct descriptor: expected {expected} at byte {at}")
            }
            StructError::TooDeep => write!(
                f,
                "structs and arrays nest at most {MAX_DEPTH} deep in one another"
            ),
        }
    }
}

impl Type {
    /// The alignment of this type as a struct member on `target`. Natural (its size) everywhere
    /// but x86 Linux, whose System V i386 ABI aligns 8-byte integers and doubles to 4 inside
    /// structs (Windows x86 aligns them to 8). ABI assumption tested per target in
    /// `tests/structs.rs` and against rustc's `repr(C)` on the host.
    pub fn member_align(self, target: Target) -> usize {
        let pointer = target.pointer_size();
        let size = self.size_for(pointer);
        match (target.arch, target.os) {
            (Arch::X86, Os::Linux | Os::MacOs) => size.min(4),
            _ => size,
        }
    }
}

impl Member {
    /// Size and alignment of this member on `target`.
    fn size_align(&self, target: Target) -> Result<(usize, usize), StructError> {
        match self {
            Member::Scalar(Type::Void) => Err(StructError::Void),
            Member::Scalar(t) => Ok((t.size_for(target.pointer_size()), t.member_align(target))),
            Member::Struct(s) => Ok((s.size, s.align)),
            Member::Array { element, length } => {
                if *length == 0 {
                    return Err(StructError::ZeroLength);
                }
                let (size, align) = element.size_align(target)?;
                let total = size.checked_mul(*length).filter(|&n| n <= MAX_SIZE);
                Ok((total.ok_or(StructError::TooLarge)?, align))
            }
        }
    }
}

impl Struct {
    /// Lays `members` out in order, each at the next multiple of its alignment (capped at `pack`),
    /// the size rounded up to the struct's alignment (the largest member alignment, capped).
    pub fn new(
        members: Vec<Member>,
        pack: Option<usize>,
        target: Target,
    ) -> Result<Struct, StructError> {
        Struct::lay_out(members, pack, target, false)
    }

    /// A union of `members`: each at offset 0, the size the largest member's rounded up to the
    /// union's alignment (the largest member alignment, capped at `pack`).
    pub fn union(
        members: Vec<Member>,
        pack: Option<usize>,
        target: Target,
    ) -> Result<Struct, StructError> {
        Struct::lay_out(members, pack, target, true)
    }

    fn lay_out(
        members: Vec<Member>,
        pack: Option<usize>,
        target: Target,
        union: bool,
    ) -> Result<Struct, StructError> {
        if let Some(n) = pack.filter(|n| ![1, 2, 4, 8, 16].contains(n)) {
            return Err(StructError::Pack(n));
        }
        if members.is_empty() {
            return Err(StructError::Empty);
        }
        let cap = pack.unwrap_or(usize::MAX);
        let (mut end, mut align) = (0usize, 1usize);
        let mut offsets = Vec::with_capacity(members.len());
        for member in &members {
            let (size, natural) = member.size_align(target)?;
            let member_align = natural.min(cap);
            let at = if union {
                0
            } else {
                end.next_multiple_of(member_align)
            };
            offsets.push(at);
            let member_end = at
                .checked_add(size)
                .filter(|&n| n <= MAX_SIZE)
                .ok_or(StructError::TooLarge)?;
            end = end.max(member_end);
            align = align.max(member_align);
        }
        let size = end.next_multiple_of(align);
        if size > MAX_SIZE {
            return Err(StructError::TooLarge);
        }
        Ok(Struct {
            members,
            offsets,
            size,
            align,
            pack,
            target,
            union,
        })
    }

    /// Whether it is a union (its members overlap at offset 0).
    pub fn is_union(&self) -> bool {
        self.union
    }

    /// Parses and lays out a descriptor (see the module's documentation).
    pub fn parse(descriptor: &str, target: Target) -> Result<Struct, StructError> {
        let mut parser = Parser {
            text: descriptor.as_bytes(),
            at: 0,
            target,
            depth: 0,
        };
        let parsed = parser.structure()?;
        if parser.at != parser.text.len() {
            return Err(parser.error("the end"));
        }
        Ok(parsed)
    }

    /// Each member's byte offset, in member order.
    pub fn offsets(&self) -> &[usize] {
        &self.offsets
    }

    pub fn size(&self) -> usize {
        self.size
    }

    pub fn align(&self) -> usize {
        self.align
    }

    /// Every scalar inside, nested structs and arrays flattened, with its byte offset, in
    /// memory order: what calling conventions classify a struct passed by value by.
    pub fn leaves(&self) -> Vec<(usize, Type)> {
        let mut out = Vec::new();
        self.collect_leaves(0, &mut out);
        out
    }

    /// The offsets of its string members (`cstring`, `cstring16`, `cstring32`) with their
    /// encodings, nested ones included.
    pub fn string_offsets(&self) -> Vec<(usize, Text)> {
        let leaves = self.leaves().into_iter();
        leaves
            .filter_map(|(offset, ty)| Some((offset, ty.text()?)))
            .collect()
    }

    fn collect_leaves(&self, base: usize, out: &mut Vec<(usize, Type)>) {
        for (member, offset) in self.members.iter().zip(&self.offsets) {
            member.collect_leaves(base + offset, self.target, out);
        }
    }
}

impl Member {
    fn collect_leaves(&self, at: usize, target: Target, out: &mut Vec<(usize, Type)>) {
        match self {
            Member::Scalar(t) => out.push((at, *t)),
            Member::Struct(s) => s.collect_leaves(at, out),
            Member::Array { element, length } => {
                // Laid out already, so the element's size is known good.
                let stride = element.size_align(target).map_or(0, |(size, _)| size);
                for i in 0..*length {
                    element.collect_leaves(at + i * stride, target, out);
                }
            }
        }
    }
}

/// The descriptor: `Struct::parse(&s.to_string(), target)` gives `s` back.
impl fmt::Display for Struct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (open, close) = if self.union { ("<", ">") } else { ("{", "}") };
        f.write_str(open)?;
        for (i, member) in self.members.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            member.fmt(f)?;
        }
        f.write_str(close)?;
        match self.pack {
            Some(n) => write!(f, "@{n}"),
            None => Ok(()),
        }
    }
}

/// How long a struct's descriptor may be in a message before it is cut (`Struct::brief`).
const BRIEF: usize = 60;

impl Struct {
    /// The descriptor for messages: in full up to 60 characters, else its first members and the
    /// count: `{u8,u8,u8,…, 4096 fields, 4096 bytes}` (a signature with a 4,096-field struct
    /// spelled 12 KB into every message).
    pub fn brief(&self) -> String {
        let full = self.to_string();
        if full.len() <= BRIEF {
            return full;
        }
        // The last comma between members of this struct (depth 1) within the limit.
        let mut depth = 0;
        let mut cut = 1;
        for (at, byte) in full.bytes().enumerate().take(BRIEF - 20) {
            match byte {
                b'{' | b'[' | b'<' => depth += 1,
                b'}' | b']' | b'>' => depth -= 1,
                b',' if depth == 1 => cut = at + 1,
                _ => {}
            }
        }
        let fields = match self.members.len() {
            1 => "1 field".to_string(),
            n => format!("{n} fields"),
        };
        let close = if self.union { '>' } else { '}' };
        format!("{}…, {fields}, {} bytes{close}", &full[..cut], self.size())
    }
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Member::Scalar(t) => f.write_str(t.name()),
            Member::Struct(s) => s.fmt(f),
            Member::Array { element, length } => write!(f, "[{element};{length}]"),
        }
    }
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
    target: Target,
    /// Structs and arrays open at `at`.
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, expected: &'static str) -> StructError {
        StructError::Syntax {
            at: self.at,
            expected,
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.text.get(self.at) == Some(&byte);
        self.at += usize::from(found);
        found
    }

    fn expect(&mut self, byte: u8, expected: &'static str) -> Result<(), StructError> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }

    fn structure(&mut self) -> Result<Struct, StructError> {
        let union = self.eat(b'<');
        let (close, expected) = if union {
            (b'>', "',' or '>'")
        } else {
            self.expect(b'{', "'{' or '<'")?;
            (b'}', "',' or '}'")
        };
        let mut members = Vec::new();
        if !self.eat(close) {
            loop {
                members.push(self.member()?);
                if self.eat(close) {
                    break;
                }
                self.expect(b',', expected)?;
            }
        }
        let pack = if self.eat(b'@') {
            Some(self.number()?)
        } else {
            None
        };
        Struct::lay_out(members, pack, self.target, union)
    }

    fn member(&mut self) -> Result<Member, StructError> {
        match self.text.get(self.at) {
            Some(b'{' | b'<') => Ok(Member::Struct(self.nested(Parser::structure)?)),
            Some(b'[') => {
                self.at += 1;
                let element = Box::new(self.nested(Parser::member)?);
                self.expect(b';', "';'")?;
                let length = self.number()?;
                self.expect(b']', "']'")?;
                Ok(Member::Array { element, length })
            }
            _ => {
                let start = self.at;
                while self
                    .text
                    .get(self.at)
                    .is_some_and(u8::is_ascii_alphanumeric)
                {
                    self.at += 1;
                }
                std::str::from_utf8(&self.text[start..self.at])
                    .ok()
                    .and_then(Type::from_name)
                    .map(Member::Scalar)
                    .ok_or(StructError::Syntax {
                        at: start,
                        expected: "a type name, '{', '<' or '['",
                    })
            }
        }
    }

    /// `parse` one level deeper, if the bound allows.
    fn nested<T>(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<T, StructError>,
    ) -> Result<T, StructError> {
        if self.depth == MAX_DEPTH {
            return Err(StructError::TooDeep);
        }
        self.depth += 1;
        let parsed = parse(self);
        self.depth -= 1;
        parsed
    }

    /// A decimal number; beyond MAX_SIZE it is too large for anything it can count.
    fn number(&mut self) -> Result<usize, StructError> {
        let start = self.at;
        let mut n = 0usize;
        while let Some(digit) = self.text.get(self.at).filter(|b| b.is_ascii_digit()) {
            n = n
                .saturating_mul(10)
                .saturating_add(usize::from(digit - b'0'));
            self.at += 1;
        }
        if self.at == start {
            return Err(self.error("a number"));
        }
        if n > MAX_SIZE {
            return Err(StructError::TooLarge);
        }
        Ok(n)
    }
}
