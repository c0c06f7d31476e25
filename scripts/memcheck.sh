#!/usr/bin/env bash
# npm run test:memcheck: the Rust tests of crates/core and crates/testlib, and a subset of the JS
# tests, under Valgrind memcheck. Any error fails the run; the only suppressions are Node's and
# V8's own false positives, listed with reasons in memcheck/node.supp.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed (Debian: apt-get install valgrind)" >&2; exit 2; }

VALGRIND=(valgrind --tool=memcheck --error-exitcode=99 --num-callers=40 --suppressions=memcheck/node.supp)

echo "== Rust tests (crates/core, crates/testlib) under memcheck, with leak checking"
mapfile -t binaries < <(cargo test --locked -p bare-fn-core -p bare-fn-testlib --no-run --message-format=json 2>/dev/null |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.split("\n")){if(!l)continue;const m=JSON.parse(l);if(m.reason==="compiler-artifact"&&m.executable&&m.profile.test)console.log(m.executable)}})')
for bin in "${binaries[@]}"; do
  echo "-- $(basename "$bin")"
  "${VALGRIND[@]}" --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite -q "$bin" -q --test-threads=1
done

echo "== JS tests under memcheck (ava and its worker process; Node's own leaks at exit are not checked)"
npm run -s build
"${VALGRIND[@]}" -q --trace-children=yes --leak-check=no \
  node node_modules/ava/entrypoints/cli.mjs \
  __test__/roundtrip.test.ts __test__/errors.test.ts __test__/shapes.test.ts \
  __test__/threading.test.ts __test__/lifetime.test.ts
echo "memcheck: no errors"
