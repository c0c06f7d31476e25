#!/usr/bin/env node
// Builds what `npm run demo` and `npm run bench` need when it is missing: the native addon,
// the test library the benchmarks call through, and index.js compiled from index.ts.
'use strict';
const { existsSync } = require('node:fs');
const { execSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const steps = [
  ['binding.js', 'build:native'],
  ['target/release/libbare_fn_testlib.so', 'build:testlib'],
  ['index.js', 'build:ts'],
];
const addon = require('node:fs')
  .readdirSync(root)
  .some((f) => f.startsWith('bare-fn.') && f.endsWith('.node'));
for (const [artifact, script] of steps) {
  const missing = !existsSync(path.join(root, artifact)) || (script === 'build:native' && !addon);
  if (missing) {
    console.error(`[bare-fn] ${artifact} is missing: npm run ${script}`);
    execSync(`npm run ${script}`, { cwd: root, stdio: 'inherit' });
  }
}
