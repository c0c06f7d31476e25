#!/usr/bin/env node
// Builds what `npm run demo` and `npm run bench` need when it is missing: the native addon and
// build/index.js compiled from src/index.ts (also when a TS source is newer than its output: the
// benchmarks measure the compiled package, as users load it); with the argument `bench`, also
// the test library the benchmarks call through and the Node-API floor's addon
// (crates/bench-floor). The demo calls the C library only: it builds neither.
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const { execSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const steps = [
  ['binding.d.ts', 'build:native'],
  ['build/index.js', 'build:ts'],
  ...(process.argv[2] === 'bench'
    ? [
        ['target/release/libbare_fn_testlib.so', 'build:testlib'],
        ['target/release/libbare_fn_bench_floor.so', 'build:bench-floor'],
      ]
    : []),
];
const addon = readdirSync(root).some((f) => f.startsWith('bare-fn.') && f.endsWith('.node'));
/** A TS source of the package compiled after its output. */
function staleTs() {
  const lib = path.join(root, 'src', 'lib');
  const sources = ['index.ts', ...readdirSync(lib).filter((f) => f.endsWith('.ts')).map((f) => path.join('lib', f))];
  return sources.some((source) => {
    const output = path.join(root, 'build', source.replace(/\.ts$/, '.js'));
    return !existsSync(output) || statSync(path.join(root, 'src', source)).mtimeMs > statSync(output).mtimeMs;
  });
}
for (const [artifact, script] of steps) {
  const missing = !existsSync(path.join(root, artifact)) || (script === 'build:native' && !addon) || (script === 'build:ts' && staleTs());
  if (missing) {
    console.error(`[bare-fn] ${artifact} is missing or out of date: npm run ${script}`);
    execSync(`npm run ${script}`, { cwd: root, stdio: 'inherit' });
  }
}
