#!/usr/bin/env bash
# macOS, x64 and arm64: built here (cargo-zigbuild, the standard library built from source with
# Debian's rustc-web), checked here, run in CI only (no way to run Mach-O programs on Linux).
# scripts/macos/check-addon.sh checks each addon (as CI checks its own builds): its CPU and
# minimum macOS, its only export, Node-API looked up at load time, libSystem and nothing else,
# thunk memory from mmap(MAP_JIT) with Apple silicon's JIT write protection. Leaves
# bare-fn.darwin-<arch>.node beside the host's addon. Usage: macos.sh [x64] [arm64].
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cross/env.sh
source scripts/zig-tools.sh
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(x64 arm64)

for arch in "${arches[@]}"; do
  case $arch in
    x64) cpu=x86_64 minos=10.12 ;;
    arm64) cpu=aarch64 minos=11.0 ;;
    *) echo "macos.sh: unknown architecture '$arch' (x64, arm64)" >&2 && exit 2 ;;
  esac
  target=$cpu-apple-darwin
  echo "== addon for $target"
  # strip=false: stripping would ask for rust-objcopy, which Debian's Rust lacks. The deployment
  # target: zig otherwise writes its own newest macOS as the minimum. Hidden visibility, of Rust
  # symbols and of C ones (capstone's API too: CAPSTONE_STATIC): zig's Mach-O linker ignores the
  # list of exported symbols rustc gives it, which Apple's linker (CI's builds) applies.
  upper=$(echo "$target" | tr 'a-z-' 'A-Z_')
  env PATH="$ZIG_TOOLS:$PATH" RUSTC_BOOTSTRAP=1 CARGO_PROFILE_RELEASE_STRIP=false \
    MACOSX_DEPLOYMENT_TARGET=$minos "CFLAGS_${target//-/_}=-fvisibility=hidden -DCAPSTONE_STATIC" \
    "CARGO_TARGET_${upper}_RUSTFLAGS=-Zdefault-visibility=hidden" \
    $CROSS_CARGO zigbuild --locked --release -Zbuild-std=std,panic_unwind -p bare-fn-napi \
    --target $target --target-dir $CROSS_TARGET_DIR
  addon=bare-fn.darwin-$arch.node
  cp "$CROSS_TARGET_DIR/$target/release/libbare_fn_napi.dylib" "$addon"

  bash scripts/macos/check-addon.sh "$addon" $arch
done
