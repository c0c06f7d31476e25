#!/usr/bin/env bash
# npm run test:cross: every target bare-fn ships that can be built and run on this x86-64 Linux
# host, beyond the host's own suite (npm test):
# - AArch64 placements: bare-fn's layouts against what clang generates for Linux, Apple and
#   Windows on Arm (the generated table must still match clang: --check);
# - i686 Linux: the core suite natively (cdecl, stdcall, fastcall, thiscall);
# - Linux arm64: the Rust suites and the whole JS suite under qemu-aarch64 (arm64.sh);
# - Windows x64: the Rust suites and the whole JS suite under wine64 (windows.sh).
# Installs what it needs first (install-toolchains.sh). Stops at the first failing part.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/cross/install-toolchains.sh
source scripts/cross/env.sh

echo "== AArch64 placements against clang"
node --import tsx scripts/cross/placements.ts --check

echo "== core on i686-unknown-linux-gnu (native, std built from source)"
RUSTC_BOOTSTRAP=1 $CROSS_CARGO test --locked --release -Zbuild-std=std,panic_unwind -p bare-fn-core \
  --target i686-unknown-linux-gnu --target-dir $CROSS_TARGET_DIR

bash scripts/cross/arm64.sh
bash scripts/cross/windows.sh
