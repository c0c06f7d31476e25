#!/usr/bin/env bash
# Windows x64 (`windows.sh`, or `windows.sh x64`: built as x86_64-pc-windows-gnu with MinGW-w64,
# run under wine64) or ia32 (`windows.sh ia32`: i686-pc-windows-gnu, run by wine32 in the same
# prefix, WoW64 style): the Rust suites of core and testlib, then the whole JS suite run by npm's
# Node for Windows of that architecture. Leaves bare-fn.win32-<arch>-msvc.node beside the host's
# addon, where the loader on Windows finds it. The published win32-*-msvc packages are built by
# CI with MSVC; both compilers use the same conventions on x64, and bare-fn implements MSVC's on
# ia32 (where MinGW gcc returns some small structs differently; see testlib's by_value.c). Both
# look Node-API up in the host executable. Arguments after the architecture go to ava.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cross/env.sh
arch=x64
case "${1:-}" in x64 | ia32) arch=$1 && shift ;; esac
if [ $arch = x64 ]; then
  TARGET=x86_64-pc-windows-gnu MINGW=x86_64-w64-mingw32 node_arch=x64 run=$WINE
  # Where a 64-bit prefix keeps the DLLs of programs of its own bitness.
  sysdir=system32
else
  TARGET=i686-pc-windows-gnu MINGW=i686-w64-mingw32 node_arch=x86 run=/usr/lib/wine/wine
  # ... and of 32-bit programs.
  sysdir=syswow64
fi
NODE_VERSION=${WINDOWS_NODE_VERSION:-22}
# Debian's Rust has no Windows standard library: build it from its source (CROSS_FLAGS below).
export RUSTC_BOOTSTRAP=1

echo "== wine prefix (Windows 10) with a bcryptprimitives.dll for Rust's std"
mkdir -p $CROSS_DIR
# A prefix made before wine32 was installed has no 32-bit half, and `wineboot -u` does not add
# one: it is made again (it holds nothing but what this script puts there).
if [ $arch = ia32 ] && [ -e "$WINEPREFIX/system.reg" ] && [ ! -e "$WINEPREFIX/drive_c/windows/syswow64/kernel32.dll" ]; then
  /usr/lib/wine/wineserver -k || true
  rm -rf "$WINEPREFIX"
fi
if [ ! -e "$WINEPREFIX/system.reg" ]; then
  $WINE wineboot -i >/dev/null 2>&1
  $WINE winecfg /v win10 >/dev/null 2>&1
fi
# --kill-at: the stdcall ProcessPrng exported undecorated on ia32 (not ProcessPrng@8), as the
# real DLL does and Rust's std imports it.
$MINGW-gcc -O2 -shared -Wl,--kill-at -o "$WINEPREFIX/drive_c/windows/$sysdir/bcryptprimitives.dll" \
  scripts/cross/bcryptprimitives.c -ladvapi32

# napi-build on windows-gnu insists on a libnode.dll to link with (-lnode); the addon looks
# Node-API up at load time (napi's dyn-symbols), so an empty import library satisfies it.
libnode=$CROSS_DIR/libnode-$arch
mkdir -p $libnode
printf 'LIBRARY node.exe\nEXPORTS\n' > $libnode/empty.def
$MINGW-dlltool -d $libnode/empty.def -l $libnode/libnode.dll.a
: > $libnode/libnode.dll
export LIBNODE_PATH=$PWD/$libnode

if [ $arch = ia32 ]; then
  # Debian ships the start and end objects rustc links into every i686-pc-windows-gnu executable
  # and DLL (rsbegin.o, rsend.o: the frame registration of DWARF unwinding) for no Windows
  # target but x64: build them from the library source, where rustc's -L finds them.
  rtstartup=$PWD/$CROSS_DIR/rtstartup-$TARGET
  mkdir -p "$rtstartup"
  for obj in rsbegin rsend; do
    [ -e "$rtstartup/$obj.o" ] || $RUSTC --target $TARGET --emit=obj -C panic=abort -O \
      -o "$rtstartup/$obj.o" /usr/lib/rustlib/src/rust/library/rtstartup/$obj.rs
  done
  export CARGO_TARGET_I686_PC_WINDOWS_GNU_RUSTFLAGS="-L native=$rtstartup"
fi

CROSS_FLAGS="-Zbuild-std=std,panic_unwind" cross_prepare win32-$arch $TARGET win32-$arch-msvc "node-win-$node_arch@$NODE_VERSION"

# node.exe under wine cannot write to a Linux pipe (EBADF): its output goes to a file.
log=$CROSS_DIR/windows-$arch-ava.log
winpath() { echo "Z:$(realpath "$1" | tr / '\\')"; }
echo "== JS suite on Windows $arch (Node under wine; output in $log)"
status=0
BARE_FN_TESTLIB=$(winpath $CROSS_OUT/bare_fn_testlib.dll) npm_execpath=$(winpath "$(readlink -f "$(command -v npm)")") \
  $run $CROSS_DIR/node-win-$node_arch/bin/node.exe node_modules/ava/entrypoints/cli.mjs "$@" >"$log" 2>&1 || status=$?
cat "$log"
exit $status
