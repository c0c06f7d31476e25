//! `scalarTypes()`: every scalar type as one record, the table the TypeScript layer and the tests
//! derive theirs from (src/lib/types.ts reads codes by name, src/lib/scalars.ts its readers and writers,
//! src/lib/struct.ts the typed arrays, src/lib/arg-buffer.ts which arguments come through the buffer).
//! Adding a scalar type is a row in core's `Type`, its conversions here, and its names there.

use bare_fn_core::abi::Target;
use bare_fn_core::Type;
use napi_derive::napi;

use crate::arg_buffer;

/// One scalar type, as JS sees it.
#[napi(object)]
pub struct ScalarType {
    /// `t.<name>`.
    pub name: String,
    /// What native code calls it (core's `Type::ALL` index).
    pub code: u32,
    /// Bytes on this platform (`void`: 0).
    pub size: u32,
    /// Alignment as a struct member on this platform (`void`: 1): not always its size (8-byte
    /// types align to 4 in structs on 32-bit x86 Linux).
    pub align: u32,
    /// The JS type of its values: 'undefined', 'boolean', 'number', 'bigint' or 'string'.
    pub js: String,
    /// A signed integer (its bigints or numbers may be negative).
    pub signed: bool,
    /// Arguments of BareFns of this type come to JS through the argument buffer (`arg_buffer`).
    pub via_arg_buffer: bool,
    /// The typed array whose elements are its values on every platform, if one is (`isize`,
    /// `usize` and `pointer` change size with the platform: none).
    pub typed_array: Option<String>,
}

/// What JS type values of `ty` take (to_js.rs makes them, from_js.rs takes them).
fn js(ty: Type) -> &'static str {
    match ty {
        Type::Void => "undefined",
        Type::Bool => "boolean",
        Type::I8 | Type::U8 | Type::I16 | Type::U16 | Type::I32 | Type::U32 => "number",
        Type::F32 | Type::F64 => "number",
        Type::I64 | Type::U64 | Type::Isize | Type::Usize | Type::Pointer => "bigint",
        Type::CString | Type::CString16 | Type::CString32 => "string",
    }
}

fn typed_array(ty: Type) -> Option<&'static str> {
    Some(match ty {
        Type::I8 => "Int8Array",
        Type::U8 => "Uint8Array",
        Type::I16 => "Int16Array",
        Type::U16 => "Uint16Array",
        Type::I32 => "Int32Array",
        Type::U32 => "Uint32Array",
        Type::F32 => "Float32Array",
        Type::F64 => "Float64Array",
        Type::I64 => "BigInt64Array",
        Type::U64 => "BigUint64Array",
        _ => return None,
    })
}

#[napi(js_name = "scalarTypes")]
pub fn scalar_types() -> Vec<ScalarType> {
    Type::ALL
        .iter()
        .enumerate()
        .map(|(code, &ty)| ScalarType {
            name: ty.name().into(),
            code: code as u32,
            size: ty.size() as u32,
            align: ty.member_align(Target::HOST).max(1) as u32,
            js: js(ty).into(),
            signed: ty.is_signed(),
            via_arg_buffer: arg_buffer::passes(ty),
            typed_array: typed_array(ty).map(Into::into),
        })
        .collect()
}
