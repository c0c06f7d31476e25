#!/usr/bin/env bash
# The Linux glibc addon as the packages ship it (npm run package, CI's build jobs): built with
# cargo-zigbuild against glibc 2.17, so that it loads on every glibc from 2.17 on. A plain build
# links against the build machine's glibc and needs it or newer (GLIBC_2.34 on Debian 12).
# Installs cargo-zigbuild and zig from PyPI the first time (scripts/zig-tools.sh).
# Usage: scripts/zigbuild.sh <rust target, e.g. x86_64-unknown-linux-gnu> <output .node>
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1
out=$2
source scripts/zig-tools.sh
# zig links and compiles: a linker or C compiler set for the target (scripts/cross/env.sh sets
# Debian's cross gcc, which links against this machine's glibc) would take its place.
upper=$(echo "$target" | tr 'a-z-' 'A-Z_')
unset "CARGO_TARGET_${upper}_LINKER" "CC_${target//-/_}" "AR_${target//-/_}"
PATH="$ZIG_TOOLS:$PATH" CARGO_TARGET_DIR="$PWD/target/zigbuild" \
  cargo zigbuild --locked --release -p bare-fn-napi --target "$target.2.17"
cp "target/zigbuild/$target/release/libbare_fn_napi.so" "$out"
