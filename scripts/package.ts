// npm run package: the installable tarballs of this checkout, in dist/ (or the directory given as
// the first argument): the main package, with every platform package as an optional dependency as
// the release publishes it, and this platform's package with the addon just built. Install both
// into an app: `npm install <checkout>/dist/bare-fn-<version>.tgz <checkout>/dist/bare-fn-<platform>-<version>.tgz`
// (README, Install from a checkout). The packaging test installs them offline.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { platformTriple } from '../src/lib/platform.js';

const root = path.resolve(__dirname, '..');

/** Runs npm: its own script when run by npm (npm_execpath), by this Node; else the npm on PATH. */
export function npm(cwd: string, args: string[], env: NodeJS.ProcessEnv): string {
  const cli = process.env.npm_execpath;
  const [file, argv] = cli?.endsWith('.js') ? [process.execPath, [cli, ...args]] : ['npm', args];
  // npm is npm.cmd on Windows, which only a shell runs.
  const shell = file === 'npm' && process.platform === 'win32';
  return execFileSync(file, argv, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], shell });
}

function pack(dir: string, out: string, env: NodeJS.ProcessEnv): string {
  const result = JSON.parse(npm(dir, ['pack', '--json', '--pack-destination', out], env)) as { filename: string }[];
  return path.join(out, result[0]!.filename);
}

/**
 * Stages and packs the two packages into `out`; returns their paths. Needs the addon and the
 * compiled JS of a build (npm run package builds them first). `env` is npm's environment.
 */
export function packageCheckout(out: string, env: NodeJS.ProcessEnv = process.env): { main: string; platform: string } {
  const platform = platformTriple();
  if (!existsSync(path.join(root, `bare-fn.${platform}.node`)) || !existsSync(path.join(root, 'build', 'index.js'))) {
    throw new Error('build first: npm run build:native && npm run build:ts');
  }
  const addon = shippedAddon(platform);
  const stage = mkdtempSync(path.join(os.tmpdir(), 'bare-fn-stage-'));
  try {
    const main = path.join(stage, 'main');
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; files: string[]; optionalDependencies?: Record<string, string> };
    for (const entry of manifest.files) {
      // Entries are file names or `dir/*.ext` patterns.
      const [dir, pattern] = entry.includes('/') ? [path.dirname(entry), path.basename(entry)] : ['.', entry];
      const suffix = pattern.startsWith('*') ? pattern.slice(1) : undefined;
      mkdirSync(path.join(main, dir), { recursive: true });
      for (const file of suffix ? readdirSync(path.join(root, dir)).filter((f) => f.endsWith(suffix)) : [pattern]) {
        copyFileSync(path.join(root, dir, file), path.join(main, dir, file));
      }
    }
    // The platform packages, as `napi pre-publish` adds them at release (the repo's package.json
    // cannot name them: its lockfile cannot resolve unpublished packages).
    manifest.optionalDependencies = Object.fromEntries(readdirSync(path.join(root, 'npm')).map((triple) => [`bare-fn-${triple}`, manifest.version]));
    writeFileSync(path.join(main, 'package.json'), JSON.stringify(manifest, null, 2));

    const native = path.join(stage, platform);
    cpSync(path.join(root, 'npm', platform), native, { recursive: true });
    copyFileSync(addon, path.join(native, `bare-fn.${platform}.node`));
    mkdirSync(out, { recursive: true });
    return { main: pack(main, out, env), platform: pack(native, out, env) };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Rust's names of the Linux glibc targets. */
const GNU_TARGETS: Readonly<Record<string, string>> = { 'linux-x64-gnu': 'x86_64-unknown-linux-gnu', 'linux-arm64-gnu': 'aarch64-unknown-linux-gnu' };

/**
 * The addon the platform package ships: for Linux with glibc, the one scripts/zigbuild.sh builds
 * against glibc 2.17 (as CI builds the published packages), so that a package made here loads on
 * the glibc README promises, not only on this machine's; elsewhere the addon just built.
 */
function shippedAddon(platform: string): string {
  const target = GNU_TARGETS[platform];
  if (target === undefined) return path.join(root, `bare-fn.${platform}.node`);
  const out = path.join(root, 'target', 'zigbuild', `bare-fn.${platform}.node`);
  mkdirSync(path.dirname(out), { recursive: true });
  execFileSync('bash', [path.join(root, 'scripts', 'zigbuild.sh'), target, out], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out;
}

if (require.main === module) {
  const out = path.resolve(process.argv[2] ?? path.join(root, 'dist'));
  const { main, platform } = packageCheckout(out);
  console.log(`${path.relative(process.cwd(), main)}\n${path.relative(process.cwd(), platform)}`);
  console.log(`install into an app: npm install ${main} ${platform}`);
}
