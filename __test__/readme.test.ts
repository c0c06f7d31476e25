// The README's TypeScript samples run as written: each ```ts block is a file of a fresh project
// that has bare-fn (this checkout, built) in node_modules and the README's own tsconfig.json, `tsc`
// compiles them all, and Node runs each output. (Linux x64: the samples name libc.so.6, expat and
// GLib.)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import test from 'ava';

import { glibc } from './helpers/platform.js';

const root = path.resolve(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

/** The fenced blocks of `language`, dedented (a block inside a list item is indented). */
function blocks(language: string): string[] {
  const found: string[] = [];
  const fence = new RegExp(`^( *)\`\`\`${language}\\n([\\s\\S]*?)^\\1\`\`\`$`, 'gm');
  for (const [, indent, body] of readme.matchAll(fence)) {
    found.push(body!.split('\n').map((line) => line.slice(indent!.length)).join('\n'));
  }
  return found;
}

/** What a sample prints, by a line of its own that names it. */
const PRINTS: [string, string][] = [
  ['qsort(values', 'Int32Array(4) [ 1, 3, 5, 9 ]\n'],
  ['const Rect =', '16 5\n3\n'],
  ["libc.fn('div'", '{ quot: 3, rem: 2 }\n{ x: 3, y: 2 }\n'],
  ["sig.c('int (*)(const void *, const void *)')", '(pointer, pointer) -> i32 true ({f64,f64}, f64) -> {f64,f64} true\n'],
  ["sig(t.usize, [t.cstring])", '6n\nstrlen (cstring) -> usize\n7n\n'],
  ['snprintf(buf', '5 1.5 x\n'],
  ["Library.open('libexpat.so.1').cdef", "true [ 'a', 'b' ]\n"],
  ['let peak', ''],
  ['g_thread_pool_new', ''],
];

test("the README gives a tsconfig.json that compiles `using` for Node 20, and each sample's output is known here", (tt) => {
  const samples = blocks('ts');
  tt.is(samples.length, PRINTS.length, 'a sample added to the README gets its line here');
  for (const sample of samples) tt.truthy(PRINTS.find(([line]) => sample.includes(line)), `listed in PRINTS:\n${sample}`);
  const [tsconfig] = blocks('json').filter((block) => block.includes('compilerOptions'));
  tt.like(JSON.parse(tsconfig!), { compilerOptions: { target: 'ES2022', lib: ['ES2022', 'ESNext.Disposable'] } });
});

const onLinuxX64 = glibc && process.arch === 'x64' ? test : undefined;
onLinuxX64?.("every TypeScript sample of the README compiles with the README's tsconfig.json and runs", (tt) => {
  const samples = blocks('ts');
  const [tsconfig] = blocks('json').filter((block) => block.includes('compilerOptions'));
  const dir = mkdtempSync(path.join(tmpdir(), 'bare-fn-readme-'));
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(root, path.join(dir, 'node_modules', 'bare-fn'), 'dir');
  symlinkSync(path.join(root, 'node_modules', '@types'), path.join(dir, 'node_modules', '@types'), 'dir');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  const config = JSON.parse(tsconfig!) as { compilerOptions: Record<string, unknown> };
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ ...config, compilerOptions: { ...config.compilerOptions, outDir: 'dist' } }));
  samples.forEach((sample, i) => writeFileSync(path.join(dir, `sample${i}.ts`), sample));
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
  tt.is(tsc.stdout + tsc.stderr, '', 'tsc reports nothing');
  samples.forEach((sample, i) => {
    const expected = PRINTS.find(([line]) => sample.includes(line));
    const run = spawnSync(process.execPath, [path.join(dir, 'dist', `sample${i}.js`)], { cwd: dir, encoding: 'utf8' });
    tt.deepEqual({ status: run.status, stdout: run.stdout, stderr: run.stderr }, { status: 0, stdout: expected?.[1] ?? '', stderr: '' }, `sample ${i}:\n${sample}`);
  });
});
