//! The raw 64-bit value encoding and type codes shared with the tests (see lib.rs), and their
//! libffi types.

use libffi::raw::{self as ffi, ffi_type};
use std::ptr::addr_of_mut;

/// A type code of the shared encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
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
    CString,
    CString16,
    CString32,
}

impl Code {
    pub fn from_u8(code: u8) -> Option<Code> {
        use Code::*;
        [
            Void, Bool, I8, U8, I16, U16, I32, U32, I64, U64, Isize, Usize, F32, F64, Pointer,
            CString, CString16, CString32,
        ]
        .get(usize::from(code))
        .copied()
    }

    /// The libffi description of the C type.
    pub fn ffi_type(self) -> *mut ffi_type {
        // Only the addresses of libffi's type descriptors are taken; libffi never writes them
        // after its own initialisation.
        match self {
            Code::Void => addr_of_mut!(ffi::ffi_type_void),
            Code::Bool | Code::U8 => addr_of_mut!(ffi::ffi_type_uint8),
            Code::I8 => addr_of_mut!(ffi::ffi_type_sint8),
            Code::I16 => addr_of_mut!(ffi::ffi_type_sint16),
            Code::U16 => addr_of_mut!(ffi::ffi_type_uint16),
            Code::I32 => addr_of_mut!(ffi::ffi_type_sint32),
            Code::U32 => addr_of_mut!(ffi::ffi_type_uint32),
            Code::I64 => addr_of_mut!(ffi::ffi_type_sint64),
            Code::U64 => addr_of_mut!(ffi::ffi_type_uint64),
            // isize and usize are as wide as a pointer: 32 bits on 32-bit targets (i686).
            #[cfg(target_pointer_width = "64")]
            Code::Isize => addr_of_mut!(ffi::ffi_type_sint64),
            #[cfg(target_pointer_width = "64")]
            Code::Usize => addr_of_mut!(ffi::ffi_type_uint64),
            #[cfg(target_pointer_width = "32")]
            Code::Isize => addr_of_mut!(ffi::ffi_type_sint32),
            #[cfg(target_pointer_width = "32")]
            Code::Usize => addr_of_mut!(ffi::ffi_type_uint32),
            Code::F32 => addr_of_mut!(ffi::ffi_type_float),
            Code::F64 => addr_of_mut!(ffi::ffi_type_double),
            Code::Pointer | Code::CString | Code::CString16 | Code::CString32 => {
                addr_of_mut!(ffi::ffi_type_pointer)
            }
        }
    }

    /// The bytes of one unit of a string type (and of its NUL), None for the other types.
    pub fn text_unit(self) -> Option<usize> {
        match self {
            Code::CString => Some(1),
            Code::CString16 => Some(2),
            Code::CString32 => Some(4),
            _ => None,
        }
    }

    /// Reads a value of this type from memory libffi handed us and encodes it raw.
    ///
    /// # Safety
    /// `p` must point to a readable, aligned value of this type.
    pub unsafe fn load(self, p: *const u8) -> u64 {
        match self {
            Code::Void => 0,
            Code::Bool => u64::from(*p != 0),
            Code::I8 => *(p as *const i8) as i64 as u64,
            Code::U8 => u64::from(*p),
            Code::I16 => *(p as *const i16) as i64 as u64,
            Code::U16 => u64::from(*(p as *const u16)),
            Code::I32 => *(p as *const i32) as i64 as u64,
            Code::U32 | Code::F32 => u64::from(*(p as *const u32)),
            Code::I64 | Code::U64 | Code::F64 => *(p as *const u64),
            // Pointer-sized: 4 bytes on 32-bit targets, where reading 8 would take the next
            // argument's (or whatever follows) bytes too.
            Code::Isize => *(p as *const isize) as i64 as u64,
            Code::Usize | Code::Pointer | Code::CString | Code::CString16 | Code::CString32 => {
                *(p as *const usize) as u64
            }
        }
    }

    /// Writes the raw encoding `raw` as libffi's closure contract wants a result of this type:
    /// integers of up to a word (pointers too) as a full `ffi_arg` word, which is pointer-sized
    /// (8 bytes on 64-bit targets, 4 on 32-bit ones: truncating the sign- or zero-extended raw
    /// value to it extends as the type does); 64-bit integers and floats as themselves.
    ///
    /// # Safety
    /// `result` must be libffi's result buffer for this type.
    pub unsafe fn store_result(self, raw: u64, result: *mut u8) {
        match self {
            Code::Void => {}
            Code::F32 => *(result as *mut u32) = raw as u32,
            Code::I64 | Code::U64 | Code::F64 => *(result as *mut u64) = raw,
            _ => *(result as *mut usize) = raw as usize,
        }
    }

    /// The raw encoding of a value libffi returned in a full `ffi_arg` word (integers narrower than
    /// a word are widened by libffi; we re-extend from the type's own width to be exact).
    pub fn from_return_word(self, word: u64) -> u64 {
        match self {
            Code::F32 => word & 0xFFFF_FFFF,
            Code::Void => 0,
            // SAFETY: reading our own local as bytes of the type.
            _ => unsafe { self.load(&word as *const u64 as *const u8) },
        }
    }
}

/// Decodes `n` codes from a test-provided array; None when one is not a type code.
///
/// # Safety
/// `codes` must point to `n` readable bytes.
pub unsafe fn codes(codes: *const u8, n: u32) -> Option<Vec<Code>> {
    (0..n as usize)
        .map(|i| Code::from_u8(*codes.add(i)))
        .collect()
}

/// The name of type code `code` (`"pointer"`), NUL-terminated, or NULL for no code: the tests
/// check that these codes are the addon's (api.test.ts), which numbers its types on its own.
#[no_mangle]
pub extern "C" fn tl_code_name(code: u8) -> *const std::ffi::c_char {
    static NAMES: std::sync::OnceLock<Vec<std::ffi::CString>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        (0..=u8::MAX)
            .map_while(Code::from_u8)
            .map(|code| {
                let name = format!("{code:?}").to_lowercase();
                std::ffi::CString::new(name).unwrap_or_default()
            })
            .collect()
    });
    names
        .get(usize::from(code))
        .map_or(std::ptr::null(), |name| name.as_ptr())
}
