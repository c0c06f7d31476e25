//! Exposes the target's arch and OS to the crate for error messages.
fn main() {
    for (var, out) in [
        ("CARGO_CFG_TARGET_ARCH", "BARE_FN_TARGET_ARCH"),
        ("CARGO_CFG_TARGET_OS", "BARE_FN_TARGET_OS"),
    ] {
        let value = std::env::var(var).unwrap_or_else(|_| "unknown".into());
        println!("cargo:rustc-env={out}={value}");
    }
}
