//! Rust's ABI-string table, one row per target bare-fn ships, checked on any host.

use bare_fn_core::abi::{resolve, Aapcs64, Arch, Os, Target, X86Conv};
use bare_fn_core::{AbiError, CallConv, Flavor};
use CallConv::*;

const fn target(arch: Arch, os: Os) -> Target {
    Target { arch, os }
}

/// The conventions that resolve on `t`, with their flavors.
fn table(t: Target) -> Vec<(CallConv, Flavor)> {
    CallConv::ALL
        .into_iter()
        .filter_map(|c| resolve(c, t).ok().map(|f| (c, f)))
        .collect()
}

#[test]
fn x86_64_outside_windows_is_system_v_with_win64_available() {
    for os in [Os::Linux, Os::MacOs] {
        let t = target(Arch::X86_64, os);
        let sysv = Flavor::SysV64;
        assert_eq!(
            table(t),
            [
                (C, sysv),
                (System, sysv),
                (Sysv64, sysv),
                (Win64, Flavor::Win64)
            ]
        );
    }
}

#[test]
fn x86_64_windows_is_win64_and_takes_the_x86_names_as_c() {
    let t = target(Arch::X86_64, Os::Windows);
    let w = Flavor::Win64;
    assert_eq!(
        table(t),
        [
            (C, w),
            (System, w),
            (Stdcall, w),
            (Fastcall, w),
            (Thiscall, w),
            (Sysv64, Flavor::SysV64),
            (Win64, w)
        ]
    );
}

#[test]
fn aarch64_has_c_and_system_in_the_os_variant() {
    for (os, variant) in [(Os::Linux, Aapcs64::Standard), (Os::MacOs, Aapcs64::Darwin)] {
        let f = Flavor::Aapcs64(variant);
        assert_eq!(table(target(Arch::Aarch64, os)), [(C, f), (System, f)]);
    }
    let f = Flavor::Aapcs64(Aapcs64::Windows);
    assert_eq!(
        table(target(Arch::Aarch64, Os::Windows)),
        [
            (C, f),
            (System, f),
            (Stdcall, f),
            (Fastcall, f),
            (Thiscall, f)
        ]
    );
}

#[test]
fn x86_system_is_stdcall_on_windows_only() {
    use X86Conv::*;
    let x = Flavor::X86;
    assert_eq!(
        table(target(Arch::X86, Os::Windows)),
        [
            (C, x(Cdecl)),
            (System, x(Stdcall)),
            (CallConv::Stdcall, x(X86Conv::Stdcall)),
            (CallConv::Fastcall, x(X86Conv::Fastcall)),
            (CallConv::Thiscall, x(X86Conv::Thiscall)),
        ]
    );
    assert_eq!(
        resolve(System, target(Arch::X86, Os::Linux)),
        Ok(x(X86Conv::Cdecl))
    );
}

#[test]
fn a_missing_convention_names_the_target_and_the_ones_it_has() {
    let t = target(Arch::Aarch64, Os::MacOs);
    let err = resolve(Win64, t).unwrap_err();
    assert_eq!(
        err,
        AbiError::NotOnTarget {
            conv: Win64,
            target: t
        }
    );
    assert_eq!(
        err.to_string(),
        "calling convention 'win64' does not exist on aarch64-macos (as in Rust, where \
         extern \"win64\" is not a supported ABI for this target); aarch64-macos has 'C', 'system'"
    );
    let err = resolve(Aapcs, target(Arch::X86_64, Os::Linux)).unwrap_err();
    assert!(err
        .to_string()
        .ends_with("x86_64-linux has 'C', 'system', 'sysv64', 'win64'"));
}

#[test]
fn the_host_resolves_c() {
    assert!(C.resolve().is_ok());
    assert_eq!(C.resolve(), resolve(C, Target::HOST));
}
