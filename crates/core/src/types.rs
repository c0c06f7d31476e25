//! The scalar types a signature is made of, and the "raw" 64-bit encoding every value takes
//! while it crosses the boundary between native code and the JS layer.
//!
//! Raw encoding (shared with the JS tests' native helper library): integers are sign-extended
//! (signed types) or zero-extended (unsigned types, bool as 0/1) to 64 bits; `f32` is its IEEE
//! bits in the low 32 bits with the upper 32 bits zero; `f64` is its bits; pointers and C strings
//! (of every encoding) are the address.

use std::fmt;

/// One scalar type of a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Void,
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    Isize,
    Usize,
    F32,
    F64,
    Pointer,
    /// `const char *`, NUL-terminated UTF-8, read-only.
    CString,
    /// `const char16_t *` (Windows' `const wchar_t *`), NUL-terminated UTF-16, read-only.
    CString16,
    /// `const char32_t *` (`const wchar_t *` elsewhere), NUL-terminated UTF-32, read-only.
    CString32,
}

/// The encoding of a NUL-terminated string type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    Utf8,
    Utf16,
    Utf32,
}

impl Text {
    /// Bytes of one code unit (and of the terminating NUL).
    pub fn unit(self) -> usize {
        match self {
            Text::Utf8 => 1,
            Text::Utf16 => 2,
            Text::Utf32 => 4,
        }
    }
}

/// Which register file the ABI uses for a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Integer,
    Float,
}

impl Type {
    pub const ALL: [Type; 18] = [
        Type::Void,
        Type::Bool,
        Type::I8,
        Type::U8,
        Type::I16,
        Type::U16,
        Type::I32,
        Type::U32,
        Type::I64,
        Type::U64,
        Type::Isize,
        Type::Usize,
        Type::F32,
        Type::F64,
        Type::Pointer,
        Type::CString,
        Type::CString16,
        Type::CString32,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Type::Void => "void",
            Type::Bool => "bool",
            Type::I8 => "i8",
            Type::U8 => "u8",
            Type::I16 => "i16",
            Type::U16 => "u16",
            Type::I32 => "i32",
            Type::U32 => "u32",
            Type::I64 => "i64",
            Type::U64 => "u64",
            Type::Isize => "isize",
            Type::Usize => "usize",
            Type::F32 => "f32",
            Type::F64 => "f64",
            Type::Pointer => "pointer",
            Type::CString => "cstring",
            Type::CString16 => "cstring16",
            Type::CString32 => "cstring32",
        }
    }

    /// The encoding of a string type (a pointer to NUL-terminated text), None for the others.
    #[inline]
    pub fn text(self) -> Option<Text> {
        match self {
            Type::CString => Some(Text::Utf8),
            Type::CString16 => Some(Text::Utf16),
            Type::CString32 => Some(Text::Utf32),
            _ => None,
        }
    }

    pub fn from_name(name: &str) -> Option<Type> {
        Type::ALL.into_iter().find(|t| t.name() == name)
    }

    /// A signed integer type.
    pub fn is_signed(self) -> bool {
        matches!(
            self,
            Type::I8 | Type::I16 | Type::I32 | Type::I64 | Type::Isize
        )
    }

    pub fn class(self) -> Class {
        match self {
            Type::F32 | Type::F64 => Class::Float,
            _ => Class::Integer,
        }
    }

    /// Size in bytes of the C type on this target (`void` is 0).
    pub fn size(self) -> usize {
        self.size_for(size_of::<usize>())
    }

    /// Size in bytes of the C type on a target whose pointers take `pointer` bytes.
    pub fn size_for(self, pointer: usize) -> usize {
        match self {
            Type::Void => 0,
            Type::Bool | Type::I8 | Type::U8 => 1,
            Type::I16 | Type::U16 => 2,
            Type::I32 | Type::U32 | Type::F32 => 4,
            Type::I64 | Type::U64 | Type::F64 => 8,
            Type::Isize | Type::Usize | Type::Pointer => pointer,
            Type::CString | Type::CString16 | Type::CString32 => pointer,
        }
    }

    /// Turns the bits a register or stack slot held into the raw encoding of this type.
    ///
    /// ABI assumption (x86-64 SysV, AArch64 AAPCS64, Win64): a narrow integer argument occupies
    /// the low bits of its register or slot and the bits above its width are *unspecified*; the
    /// callee must not trust them (clang assumes extension to 32 bits, gcc does not provide it in
    /// every case). So every narrow type is masked here and sign- or zero-extended by us.
    /// A `bool` is defined by its low 8 bits only. An `f32` lives in the low 32 bits of its
    /// vector register or slot. Tested in `tests/normalize.rs` and by the JS "dirty caller" test.
    #[inline]
    pub fn normalize(self, bits: u64) -> u64 {
        self.extension().apply(bits)
    }

    /// How `normalize` treats this type, as data: precomputed per argument, it decodes without a
    /// branch on the type.
    pub const fn extension(self) -> Extension {
        const fn ext(bits: u32, signed: bool) -> Extension {
            let mask = if bits == 64 {
                u64::MAX
            } else {
                (1 << bits) - 1
            };
            let sign = if signed && bits < 64 {
                1 << (bits - 1)
            } else {
                0
            };
            Extension {
                mask,
                sign,
                boolean: false,
            }
        }
        let ptr_bits = usize::BITS;
        match self {
            Type::Void => ext(0, false),
            Type::Bool => Extension {
                mask: 0xFF,
                sign: 0,
                boolean: true,
            },
            Type::I8 => ext(8, true),
            Type::U8 => ext(8, false),
            Type::I16 => ext(16, true),
            Type::U16 => ext(16, false),
            Type::I32 => ext(32, true),
            Type::U32 | Type::F32 => ext(32, false),
            Type::I64 | Type::U64 | Type::F64 => ext(64, false),
            Type::Isize => ext(ptr_bits, true),
            Type::Usize | Type::Pointer => ext(ptr_bits, false),
            Type::CString | Type::CString16 | Type::CString32 => ext(ptr_bits, false),
        }
    }
}

/// Which bits of a register or slot hold a value, and how to widen them (see `Type::normalize`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extension {
    /// The defined low bits.
    mask: u64,
    /// The sign bit of a signed type narrower than 64 bits, else 0.
    sign: u64,
    /// `bool`: any non-zero low byte is true (1).
    boolean: bool,
}

impl Extension {
    #[inline]
    pub fn apply(self, bits: u64) -> u64 {
        // Sign extension without a branch: flipping the sign bit and subtracting it turns the
        // masked two's-complement value into its 64-bit form; with sign = 0 it is a no-op.
        let value = ((bits & self.mask) ^ self.sign).wrapping_sub(self.sign);
        if self.boolean {
            u64::from(value != 0)
        } else {
            value
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
