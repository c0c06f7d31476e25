// What a user installs works: the main package and this platform's package are packed as the
// release publishes them, installed from the tarballs into a fresh project with no network
// (npm --offline, empty cache) and no Rust on PATH, and used from TypeScript (node16 and bundler
// resolution), CommonJS and ESM.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

import test from 'ava';

import { npm } from '../scripts/package.js';
import { platformName } from './helpers/platform.js';

const root = path.resolve(__dirname, '..');
const work = mkdtempSync(path.join(os.tmpdir(), 'bare-fn-pack-'));
const nodeDir = path.dirname(process.execPath);
// No cargo, rustc or compiler directories: only node and the system binaries npm needs.
const system = process.platform === 'win32' ? [path.join(process.env.SystemRoot ?? 'C:\\Windows', 'System32')] : ['/usr/bin', '/bin'];
// npm tells musl from glibc by the system's /usr/bin/ldd, not the running Node, and refuses the
// musl package to a musl Node on a glibc system (scripts/cross/musl.sh); its libc setting does
// not reach that check: force it there.
const libc = platformName.endsWith('-musl') ? { npm_config_force: 'true' } : {};
const env = { ...process.env, ...libc, PATH: [nodeDir, ...system].join(path.delimiter), npm_config_cache: path.join(work, 'npm-cache'), npm_config_offline: 'true' };
const run = (cwd: string, file: string, args: string[]) => execFileSync(file, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function project(name: string, tarballs: string[]): string {
  const dir = path.join(work, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  npm(dir, ['install', '--no-audit', '--no-fund', ...tarballs], env);
  return dir;
}

/** The file names in a .tgz, read here (no tar program on every platform). */
function tarList(file: string): string[] {
  const tar = gunzipSync(readFileSync(file));
  const names: string[] = [];
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0; ) {
    const field = (from: number, length: number) => tar.subarray(at + from, at + from + length).toString('latin1').replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    names.push(prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    at += 512 + Math.ceil(parseInt(field(124, 12).trim() || '0', 8) / 512) * 512;
  }
  return names.sort();
}

/** The packages as the release workflow publishes them, made by `npm run package`'s script (run
 * as the command runs it, after the build it starts with), into a directory of the test's. */
const tarballs = (() => {
  const out = path.join(work, 'dist');
  const tsx = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  // With this machine's tools (on Linux with glibc it builds the shipped addon with cargo-zigbuild).
  const printed = execFileSync(process.execPath, ['--import', tsx, path.join(root, 'scripts', 'package.ts'), out], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [main, platform] = readdirSync(out).sort((a, b) => a.length - b.length).map((f) => path.join(out, f));
  if (!printed.includes(`npm install ${main} ${platform}`)) throw new Error(`npm run package said: ${printed}`);
  return { main: main!, platform: platform! };
})();

test('the main package ships the JS, the types and the loader, and no native binary', (tt) => {
  const files = tarList(tarballs.main);
  // Every module of src/lib/, compiled into build/lib/, with its declarations.
  const modules = readdirSync(path.join(root, 'src', 'lib')).filter((f) => f.endsWith('.ts'));
  tt.true(modules.length >= 7);
  const lib = modules.flatMap((m) => [`package/build/lib/${m.replace(/\.ts$/, '.d.ts')}`, `package/build/lib/${m.replace(/\.ts$/, '.js')}`]);
  tt.deepEqual(files, ['package/LICENSE', 'package/README.md', 'package/binding.d.ts', 'package/build/index.d.ts', 'package/build/index.js', ...lib, 'package/package.json'].sort());
  tt.deepEqual(tarList(tarballs.platform), [
    'package/README.md',
    `package/bare-fn.${platformName}.node`,
    'package/package.json',
  ]);
});

test('installed from the tarballs, offline and without Rust: TypeScript, CommonJS and ESM consumers work', (tt) => {
  const dir = project('consumer', [tarballs.main, tarballs.platform]);
  copyFileSync(path.join(__dirname, 'packaging', 'consumer.ts'), path.join(dir, 'consumer.ts'));
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const [module, resolution] of [['node16', 'node16'], ['preserve', 'bundler']]) {
    // A plain ES2022 setup: no @types/node, no ESNext.Disposable (bare-fn's declarations bring it).
    const config = { compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module, moduleResolution: resolution, lib: ['ES2022'], types: [], skipLibCheck: false }, files: ['consumer.ts'] };
    writeFileSync(path.join(dir, `tsconfig.${resolution}.json`), JSON.stringify(config));
    tt.is(run(dir, process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`]), '', `tsc with moduleResolution ${resolution}`);
  }
  const tsx = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  tt.is(run(dir, process.execPath, ['--import', tsx, 'consumer.ts']).trim(), 'sorted: true');

  writeFileSync(path.join(dir, 'cjs.cjs'), "const { BareFn, sig, t } = require('bare-fn'); const f = new BareFn(sig(t.i32, []), () => 7); console.log(typeof f.address); f.dispose();");
  tt.is(run(dir, process.execPath, ['cjs.cjs']).trim(), 'bigint');
  // Loads from the exports object (`bareFn.memory.read(bareFn.t.i32, p)` in compiled TS, per
  // native call) are only optimised while it keeps fast properties (src/index.ts explains).
  writeFileSync(path.join(dir, 'fast.cjs'), "console.log(%HasFastProperties(require('bare-fn')), Object.keys(require('bare-fn')).join());");
  tt.is(run(dir, process.execPath, ['--allow-natives-syntax', 'fast.cjs']).trim(), 'true t,MAX_ARGS,sig,BareFn,DEFAULT_TIMEOUT_MS,DEFAULT_SETTLE_TIMEOUT_MS,cdef,FnPtr,Library,errno,lastError,memory');
  writeFileSync(path.join(dir, 'esm.mjs'), "import { BareFn, FnPtr, sig, t } from 'bare-fn'; const f = new BareFn(sig(t.i32, [t.i32]), (x) => x * 2); console.log(FnPtr.from(f.address, f.signature)(21)); f.dispose();");
  tt.is(run(dir, process.execPath, ['esm.mjs']).trim(), '42');
});

test('without the platform package, loading fails with a message naming the platform and the package to install', (tt) => {
  const dir = project('no-platform', [tarballs.main]);
  const error = tt.throws(() => run(dir, process.execPath, ['-e', "require('bare-fn')"]));
  tt.regex(
    (error as Error & { stderr: string }).stderr,
    new RegExp(`Error: bare-fn: cannot load its native addon for ${platformName} \\(Node v[\\d.]+\\)\\. Install its prebuilt package: npm install bare-fn-${platformName} `),
  );
});

// The glibc a Linux addon needs: what it imports strongly must exist in old glibcs too. Rust's
// std imports gettid weakly (it loads without it); bare-fn's own thread ids come from the system
// call, since glibc's gettid() wrapper (2.30) made the addon unloadable on older systems.
const onGlibc = platformName.endsWith('-gnu') ? test : undefined;
onGlibc?.("the platform package's addon needs glibc 2.17 at most (scripts/zigbuild.sh, as CI builds it), and loads here", (tt) => {
  const dir = mkdtempSync(path.join(work, 'floor-'));
  execFileSync('tar', ['-xzf', tarballs.platform, '-C', dir]);
  const addon = path.join(dir, 'package', `bare-fn.${platformName}.node`);
  tt.is(execFileSync('bash', [path.join(root, 'scripts/glibc-floor.sh'), addon], { encoding: 'utf8' }), 'GLIBC_2.17\n');
  // The same script refuses a floor below what the addon needs (CI's build rows rely on that).
  const refused = spawnSync('bash', [path.join(root, 'scripts/glibc-floor.sh'), addon, '2.16'], { encoding: 'utf8' });
  tt.is(refused.status, 1);
  tt.regex(refused.stderr, /needs GLIBC_2\.17, newer than the floor GLIBC_2\.16/);
  // The consumers' test loads this addon (installed from the tarball); so does this process.
  tt.is(typeof (require(addon) as { scalarTypes: unknown }).scalarTypes, 'function');
});

onGlibc?.('the Linux addon imports no glibc function newer than its floor strongly (gettid is a system call)', (tt) => {
  const symbols = execFileSync('readelf', ['--dyn-syms', '-W', path.join(root, `bare-fn.${platformName}.node`)], { encoding: 'utf8' });
  const strong = symbols
    .split('\n')
    .filter((line) => / GLOBAL /.test(line))
    .flatMap((line) => /\sUND\s+(\S+)/.exec(line)?.[1] ?? []);
  tt.true(strong.some((name) => name.startsWith('dlopen')), 'the table was read');
  tt.deepEqual(strong.filter((name) => /^gettid\b/.test(name)), []);
});
