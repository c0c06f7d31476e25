#!/usr/bin/env bash
# Installs what the cross-platform suites (npm run test:cross) need on a Debian 12 x86-64 host:
# - a second Rust: Debian's rustc-web/cargo-web 1.96 (/usr/bin/rustc, /usr/bin/cargo), whose
#   standard library source (rust-web-src) allows -Zbuild-std for any target, and whose arm64
#   standard library comes as a multiarch package;
# - AArch64: the cross gcc, the arm64 libc (multiarch, the one the guest programs run with) and
#   qemu-user with its binfmt entries (registered by arm64.sh, so that child processes run too);
# - Windows x64 and x86: MinGW-w64, wine64 and wine32 (the i386 architecture; 32-bit Windows
#   programs run in wine64's prefix, WoW64 style, with /usr/lib/wine/wine);
# - i686 Linux: the 32-bit libc and libgcc for gcc -m32 (Debian's gcc-multilib conflicts with
#   the AArch64 cross gcc; these two parts of it do not);
# - clang, for Apple arm64 and other targets' assembly, and LLVM's tools (llvm-objdump, llvm-nm)
#   that read the macOS builds.
# Idempotent: installs nothing when everything is there.
set -euo pipefail
need=(rustc-web cargo-web rust-web-src gcc-aarch64-linux-gnu qemu-user qemu-user-binfmt
  gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 wine64 wine32:i386 clang lld llvm lib32gcc-12-dev libc6-dev-i386
  libstd-rust-web-dev:arm64 libc6:arm64 libc6-dev:arm64 libstdc++6:arm64)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO dpkg --add-architecture arm64
$SUDO dpkg --add-architecture i386
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
