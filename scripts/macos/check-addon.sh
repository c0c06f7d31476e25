#!/usr/bin/env bash
# Checks a macOS build of the addon: what a Node or Electron process on the package's oldest
# macOS needs of it, and that its thunk memory works under the hardened runtime. Run on the
# builds made here (scripts/cross/macos.sh, LLVM's tools) and on CI's builds (Xcode's objdump
# and nm: OBJDUMP=objdump NM=nm). Usage: check-addon.sh <addon.node> <x64|arm64>
set -euo pipefail
addon=$1 arch=$2
OBJDUMP=${OBJDUMP:-llvm-objdump} NM=${NM:-llvm-nm}
case $arch in
  x64) cpu=X86_64 minos=10.12 ;;
  arm64) cpu=ARM64 minos=11.0 ;;
  *) echo "check-addon.sh: unknown architecture '$arch' (x64, arm64)" >&2 && exit 2 ;;
esac
failed=0
# $1 names the check, the rest is the command.
check() {
  local what=$1 && shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what" && failed=1; fi
}

echo "== checks of $addon"
header=$($OBJDUMP --macho --private-headers "$addon")
check "a 64-bit Mach-O dylib for $cpu" grep -Eq "^MH_MAGIC_64 +$cpu .* DYLIB " <<<"$header"
# The oldest macOS Node 20 supports there. LC_BUILD_VERSION's minos, or LC_VERSION_MIN_MACOSX's
# version for targets before 10.14.
check "minimum macOS $minos" grep -Eq "^ *(minos|version) $minos$" <<<"$header"
# What dyld can find in it: the entry point, and the header symbols every linker adds.
exports=$($OBJDUMP --macho --exports-trie "$addon" | awk '$2 ~ /^_/ {print $2}' | grep -Evx '__mh_dylib_header|___dso_handle' || true)
check "exports napi_register_module_v1 only" test "$exports" = _napi_register_module_v1
dylibs=$(grep -A2 'cmd LC_LOAD_DYLIB' <<<"$header" | awk '$1 == "name" {print $2}')
check "loads libSystem only" test "$dylibs" = /usr/lib/libSystem.B.dylib
# Binds as dyld opcodes (what zig writes, and Apple's linker for these minimum macOS versions),
# or as chained fixups (Apple's linker for newer ones), which only --dyld-info lists.
if grep -q LC_DYLD_CHAINED_FIXUPS <<<"$header"; then
  binds=$($OBJDUMP --macho --dyld-info "$addon")
else
  binds=$($OBJDUMP --macho --bind --lazy-bind --weak-bind "$addon")
fi
# Each bound symbol with the library it binds to (the column before the symbol): Node-API from
# whatever image of the process has it (node, or Electron's framework), the rest from libSystem.
napi=$(awk '$NF ~ /^_(napi|node_api)_/ {print $(NF-1)}' <<<"$binds" | sort -u)
check "Node-API by dynamic lookup ($(grep -c '_napi_' <<<"$binds") binds)" test "$napi" = flat-namespace
others=$(awk 'NF >= 6 && $NF ~ /^_/ && $NF !~ /^_(napi|node_api)_/ {print $(NF-1)}' <<<"$binds" | sort -u)
check "everything else from libSystem" test "$others" = libSystem
# Thunk memory (crates/core/src/thunk_memory): mmap(MAP_JIT), never jit-allocator2's two views
# of a shared file, which the hardened runtime refuses to an app entitled to allow-jit only.
imports=$($NM -u -j "$addon")
has() { grep -qx "$1" <<<"$imports"; }
mapped_not_shared() { has _mmap && ! has _shm_open && ! has _mkstemp; }
jit_write_protected() { has _pthread_jit_write_protect_np && has _sys_icache_invalidate; }
check "thunk memory from mmap, no shared-file mapping" mapped_not_shared
if [ $arch = arm64 ]; then
  check "JIT write protection toggled, instruction cache invalidated" jit_write_protected
fi
exit $failed
