//! What a signature's arguments and return value are: scalars, or C structs passed by value.

use std::fmt;
use std::sync::Arc;

use crate::structs::Struct;
use crate::types::Type;

/// One argument or return type of a signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    Scalar(Type),
    /// A struct passed or returned by value (laid out for the host).
    Struct(Arc<Struct>),
}

impl From<Type> for Param {
    fn from(t: Type) -> Param {
        Param::Scalar(t)
    }
}

impl From<Struct> for Param {
    fn from(s: Struct) -> Param {
        Param::Struct(Arc::new(s))
    }
}

impl Param {
    /// The scalar type, or None for a struct.
    #[inline]
    pub fn scalar(&self) -> Option<Type> {
        match self {
            Param::Scalar(t) => Some(*t),
            Param::Struct(_) => None,
        }
    }

    /// The struct, or None for a scalar.
    pub fn structure(&self) -> Option<&Struct> {
        match self {
            Param::Scalar(_) => None,
            Param::Struct(s) => Some(s),
        }
    }

    /// Whether this is `void`.
    pub fn is_void(&self) -> bool {
        self.scalar() == Some(Type::Void)
    }
}

/// A scalar's name, or a struct's descriptor (`{f64,f64}`), cut when long (`Struct::brief`): for
/// messages, not to be parsed.
impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Param::Scalar(t) => t.fmt(f),
            Param::Struct(s) => f.write_str(&s.brief()),
        }
    }
}
