//! Calling conventions as named by users (Rust's `extern "..."` ABI strings), and how each one
//! resolves on a target.
//!
//! The rule follows Rust (rustc's `spec/abi_map.rs`): a convention that is an alias of C on the
//! target is accepted, one that cannot exist there is an error naming the ones that do. The table
//! is a pure function of (arch, OS, name), so every target's row is tested on any host
//! (`tests/abi.rs`); only `Target::HOST` depends on the build.

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
    X86,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Os {
    Linux,
    MacOs,
    Windows,
}

/// An (arch, OS) pair: what decides which conventions exist and how they lay out arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    pub arch: Arch,
    pub os: Os,
}

/// The AArch64 procedure-call standard's three variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Aapcs64 {
    /// AAPCS64 as written (Linux, Android, BSDs): 8-byte stack slots.
    Standard,
    /// Apple's DarwinPCS: stack arguments packed at their natural size and alignment.
    Darwin,
    /// Windows on Arm: AAPCS64 for non-variadic calls.
    Windows,
}

/// The x86 (32-bit) conventions: all pass arguments on the stack, right to left, in 4-byte units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum X86Conv {
    /// The caller pops the arguments.
    Cdecl,
    /// The callee pops the arguments.
    Stdcall,
    /// The first two integer arguments of at most 32 bits in ECX and EDX; the callee pops.
    Fastcall,
    /// The first argument (`this`) in ECX when it is pointer-sized; the callee pops.
    Thiscall,
}

/// How a signature is laid out, thunked and called: one per ABI file in `layout/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// System V AMD64: 6 integer registers, 8 vector registers, then 8-byte stack slots in
    /// argument order; integer and float classes are counted independently.
    SysV64,
    /// Microsoft x64: 4 positions shared by RCX/RDX/R8/R9 and XMM0-3, 32 bytes of shadow space,
    /// then 8-byte stack slots.
    Win64,
    /// AArch64: x0-x7 and v0-v7, counted independently, then the stack.
    Aapcs64(Aapcs64),
    /// x86: everything on the stack except fastcall's and thiscall's register arguments.
    X86(X86Conv),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AbiError {
    /// Rust rejects this ABI string on the target (E0570).
    NotOnTarget { conv: CallConv, target: Target },
}

impl fmt::Display for AbiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AbiError::NotOnTarget { conv, target } => {
                let valid: Vec<String> = CallConv::ALL
                    .into_iter()
                    .filter(|c| resolve(*c, *target).is_ok())
                    .map(|c| format!("'{c}'"))
                    .collect();
                write!(
                    f,
                    "calling convention '{conv}' does not exist on {target} (as in Rust, where \
                     extern \"{conv}\" is not a supported ABI for this target); {target} has {}",
                    valid.join(", ")
                )
            }
        }
    }
}

impl Flavor {
    /// Every flavor, for code that stores one as a small index.
    pub const ALL: [Flavor; 9] = [
        Flavor::SysV64,
        Flavor::Win64,
        Flavor::Aapcs64(Aapcs64::Standard),
        Flavor::Aapcs64(Aapcs64::Darwin),
        Flavor::Aapcs64(Aapcs64::Windows),
        Flavor::X86(X86Conv::Cdecl),
        Flavor::X86(X86Conv::Stdcall),
        Flavor::X86(X86Conv::Fastcall),
        Flavor::X86(X86Conv::Thiscall),
    ];
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

    /// Resolves this convention on the target this library was compiled for.
    pub fn resolve(self) -> Result<Flavor, AbiError> {
        resolve(self, Target::HOST)
    }
}

impl fmt::Display for CallConv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Target {
    pub const HOST: Target = Target {
        arch: if cfg!(target_arch = "x86_64") {
            Arch::X86_64
        } else if cfg!(target_arch = "aarch64") {
            Arch::Aarch64
        } else if cfg!(target_arch = "x86") {
            Arch::X86
        } else {
            panic!("bare-fn supports x86_64, aarch64 and x86 targets")
        },
        os: if cfg!(windows) {
            Os::Windows
        } else if cfg!(target_vendor = "apple") {
            Os::MacOs
        } else {
            // Linux and the other ELF systems share the System V / AAPCS64 / i386 psABIs.
            Os::Linux
        },
    };

    /// Bytes of a pointer (and of `size_t`) on this target.
    pub const fn pointer_size(self) -> usize {
        match self.arch {
            Arch::X86_64 | Arch::Aarch64 => 8,
            Arch::X86 => 4,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arch = match self.arch {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
            Arch::X86 => "x86",
        };
        let os = match self.os {
            Os::Linux => "linux",
            Os::MacOs => "macos",
            Os::Windows => "windows",
        };
        write!(f, "{arch}-{os}")
    }
}

/// Rust's ABI-string table for the targets bare-fn ships (checked against rustc 1.95's
/// `abi_map.rs` and E0570 on each target):
/// - x86-64: `sysv64` and `win64` exist on every OS; `C`/`system` are System V outside Windows
///   and Win64 on Windows. On Windows, `stdcall`/`fastcall`/`thiscall` are accepted as C (Rust
///   maps them to C with a deprecation lint; MSVC ignores `__stdcall` on x64 and Windows headers
///   are full of it); elsewhere they do not exist. `aapcs` is 32-bit ARM only.
/// - AArch64: only `C` and `system`, with the OS's variant; on Windows the x86 names are accepted
///   as C, as on x64.
/// - x86: `C` is cdecl, `system` is stdcall on Windows and cdecl elsewhere; `stdcall`,
///   `fastcall`, `thiscall` exist on every OS (gcc has the attributes on Linux too).
pub fn resolve(conv: CallConv, target: Target) -> Result<Flavor, AbiError> {
    use CallConv::*;
    let windows = target.os == Os::Windows;
    let flavor = match (target.arch, conv) {
        (Arch::X86_64, C | System) if windows => Some(Flavor::Win64),
        (Arch::X86_64, Stdcall | Fastcall | Thiscall) if windows => Some(Flavor::Win64),
        (Arch::X86_64, C | System | Sysv64) => Some(Flavor::SysV64),
        (Arch::X86_64, Win64) => Some(Flavor::Win64),
        (Arch::Aarch64, C | System) => Some(Flavor::Aapcs64(match target.os {
            Os::Linux => Aapcs64::Standard,
            Os::MacOs => Aapcs64::Darwin,
            Os::Windows => Aapcs64::Windows,
        })),
        (Arch::Aarch64, Stdcall | Fastcall | Thiscall) if windows => {
            Some(Flavor::Aapcs64(Aapcs64::Windows))
        }
        (Arch::X86, C) => Some(Flavor::X86(X86Conv::Cdecl)),
        (Arch::X86, System) if windows => Some(Flavor::X86(X86Conv::Stdcall)),
        (Arch::X86, System) => Some(Flavor::X86(X86Conv::Cdecl)),
        (Arch::X86, Stdcall) => Some(Flavor::X86(X86Conv::Stdcall)),
        (Arch::X86, Fastcall) => Some(Flavor::X86(X86Conv::Fastcall)),
        (Arch::X86, Thiscall) => Some(Flavor::X86(X86Conv::Thiscall)),
        _ => None,
    };
    flavor.ok_or(AbiError::NotOnTarget { conv, target })
}

/// The alignment every function's code address has on the target: x86 code may start at any
/// byte (koffi's trampolines really are at odd addresses); AArch64 instructions are 4 bytes,
/// aligned.
pub const CODE_ALIGN: usize = match Target::HOST.arch {
    Arch::Aarch64 => 4,
    Arch::X86_64 | Arch::X86 => 1,
};
