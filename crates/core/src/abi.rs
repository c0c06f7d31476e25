//! Calling conventions as named by users (Rust's `extern "..."` ABI strings), and how each one
//! resolves on the target this library was compiled for.
//!
//! The rule follows Rust: a convention that is an alias of C on the target is accepted, one that
//! cannot exist on the target is an error. Where Rust knows a convention but bare-fn has no thunk
//! templates for it on this target, that is an error too, saying so.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallConv {
    C,
    System,
    Stdcall,
    Fastcall,
    Thiscall,
    Sysv64,
    Win64,
    Aapcs,
}

/// The register-assignment family a signature is laid out and thunked with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// System V AMD64: 6 integer registers, 8 vector registers, then 8-byte stack slots in
    /// argument order; integer and float classes are counted independently.
    SysV64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AbiError {
    /// Rust rejects this ABI string on the target (E0570).
    NotOnTarget {
        conv: CallConv,
        target: &'static str,
    },
    /// Rust accepts it, but bare-fn has no thunk templates for it on this target.
    NotImplemented {
        conv: CallConv,
        target: &'static str,
    },
}

impl fmt::Display for AbiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AbiError::NotOnTarget { conv, target } => write!(
                f,
                "calling convention '{conv}' does not exist on {target} (as in Rust, where \
                 extern \"{conv}\" is not a supported ABI for this target)"
            ),
            AbiError::NotImplemented { conv, target } => write!(
                f,
                "calling convention '{conv}' is not supported by bare-fn on {target} yet"
            ),
        }
    }
}

impl CallConv {
    pub const ALL: [CallConv; 8] = [
        CallConv::C,
        CallConv::System,
        CallConv::Stdcall,
        CallConv::Fastcall,
        CallConv::Thiscall,
        CallConv::Sysv64,
        CallConv::Win64,
        CallConv::Aapcs,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CallConv::C => "C",
            CallConv::System => "system",
            CallConv::Stdcall => "stdcall",
            CallConv::Fastcall => "fastcall",
            CallConv::Thiscall => "thiscall",
            CallConv::Sysv64 => "sysv64",
            CallConv::Win64 => "win64",
            CallConv::Aapcs => "aapcs",
        }
    }

    pub fn from_name(name: &str) -> Option<CallConv> {
        CallConv::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Resolves this convention on the compile target.
    pub fn resolve(self) -> Result<Flavor, AbiError> {
        resolve_on_target(self)
    }
}

impl fmt::Display for CallConv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The alignment every function's code address has on the target: x86 code may start at any
/// byte (koffi's trampolines really are at odd addresses); AArch64 instructions are 4 bytes,
/// aligned; 32-bit ARM marks Thumb code with the low bit, so any address can be valid there.
pub const CODE_ALIGN: usize = if cfg!(target_arch = "aarch64") { 4 } else { 1 };

/// Human name of the compile target, for error messages.
pub const TARGET: &str = concat!(env!("BARE_FN_TARGET_ARCH"), "-", env!("BARE_FN_TARGET_OS"));

/// x86-64 outside Windows (Linux, macOS, BSDs): `C`, `system` and `sysv64` are all System V.
/// Rust rejects stdcall/fastcall/thiscall/aapcs here (checked with rustc 1.95: E0570).
/// `win64` exists in Rust on this target, but closure-ffi only provides win64 thunks on Windows.
#[cfg(all(target_arch = "x86_64", not(windows)))]
fn resolve_on_target(conv: CallConv) -> Result<Flavor, AbiError> {
    match conv {
        CallConv::C | CallConv::System | CallConv::Sysv64 => Ok(Flavor::SysV64),
        CallConv::Win64 => Err(AbiError::NotImplemented {
            conv,
            target: TARGET,
        }),
        CallConv::Stdcall | CallConv::Fastcall | CallConv::Thiscall | CallConv::Aapcs => {
            Err(AbiError::NotOnTarget {
                conv,
                target: TARGET,
            })
        }
    }
}

/// Targets without thunk templates yet: every convention is reported as not implemented, so the
/// library still builds and fails clearly at `sig(...)`.
#[cfg(not(all(target_arch = "x86_64", not(windows))))]
fn resolve_on_target(conv: CallConv) -> Result<Flavor, AbiError> {
    Err(AbiError::NotImplemented {
        conv,
        target: TARGET,
    })
}
