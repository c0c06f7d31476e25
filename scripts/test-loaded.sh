#!/usr/bin/env bash
# npm run test:loaded: the whole suite (npm test) while every CPU is busy with another process,
# as on a developer laptop or a loaded server. The suite must pass so: it has no stopwatch
# assertions (figures belong in bench/). The busy processes are stopped however the run ends.
set -euo pipefail
cd "$(dirname "$0")/.."
hogs=()
cleanup() { for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
for _ in $(seq "$(nproc)"); do
  node -e 'for (;;) {}' &
  hogs+=($!)
done
echo "$(nproc) busy processes started; running npm test"
npm test
