// `npm run bench:instructions`: instructions and heap allocations per item (create + dispose
// pair, qsort comparison, JS -> native call) counted by callgrind, which, unlike times, do not
// move with a noisy machine's load. Each workload runs twice with different sizes under callgrind
// (instructions-child.ts); the difference of the totals over the difference of the item counts
// cancels start-up and warm-up. Allocations are the calls callgrind saw to malloc, calloc and
// realloc. Needs valgrind (apt-get install valgrind); takes a few minutes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const CHILD = path.join(__dirname, 'instructions-child.ts');
/** Workloads (instructions-child.ts) and the two sizes to run each with. */
const RUNS: [string, number, number][] = [
  ['create+dispose/floor', 10_000, 30_000],
  ['create+dispose/bare-fn', 10_000, 30_000],
  ['create+dispose/koffi', 10_000, 30_000],
  ['qsort/floor', 100_000, 200_000],
  ['qsort/bare-fn', 100_000, 200_000],
  ...['abs', 'atoi', 'fma', 'memset'].flatMap((call) =>
    ['Node-API floor', 'bare-fn', 'koffi'].map((contender): [string, number, number] => [`call/${call}/${contender}`, 100_000, 200_000]),
  ),
  ...['div', 'snprintf', 'strcmp'].flatMap((call) => ['bare-fn', 'koffi'].map((contender): [string, number, number] => [`call/${call}/${contender}`, 50_000, 100_000])),
];

/** Calls of the allocation functions in a callgrind output file: the `calls=` lines under a
 * callee named malloc, calloc or realloc (names are given once, then by their number). */
function allocations(file: string): number {
  const names = new Map<string, string>();
  let callee = '';
  let total = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const named = /^cfn=\((\d+)\)(?: (.*))?$/.exec(line);
    if (named) {
      if (named[2] !== undefined) names.set(named[1]!, named[2]);
      callee = names.get(named[1]!) ?? '';
      continue;
    }
    const calls = /^calls=(\d+) /.exec(line);
    if (calls && /^(malloc|calloc|realloc)$/.test(callee)) total += Number(calls[1]);
  }
  return total;
}

/** Total instructions, allocations and measured items of one run. */
function measure(workload: string, count: number): { instructions: number; allocations: number; items: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bare-fn-callgrind-'));
  const out = path.join(dir, 'callgrind.out');
  const args = ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}`];
  // --predictable: V8 otherwise times its garbage collections by the clock, which moved the
  // counts of create + dispose by several hundred instructions per pair from run to run.
  const node = [process.execPath, '--single-threaded', '--predictable', '--import', 'tsx', CHILD, workload, String(count)];
  // tsx's compile cache would make the first run of a workload pay for compiling and the second
  // not: without it both pay the same, which the difference cancels.
  const env = { ...process.env, TSX_DISABLE_CACHE: '1' };
  const run = spawnSync('valgrind', [...args, ...node], { encoding: 'utf8', env, stdio: ['ignore', 'ignore', 'pipe'] });
  if ((run.error as { code?: string } | undefined)?.code === 'ENOENT') {
    throw new Error('bench:instructions needs valgrind (apt-get install valgrind)');
  }
  const output = run.stderr;
  if (run.status !== 0) throw new Error(`${workload} ${count}: exit status ${run.status}\n${output}`);
  const instructions = /I\s+refs:\s+([\d,]+)/.exec(output)?.[1];
  const items = /^items (\d+)$/m.exec(output)?.[1];
  if (instructions === undefined || items === undefined) throw new Error(`${workload}: unexpected output\n${output}`);
  const allocated = allocations(out);
  rmSync(dir, { recursive: true, force: true });
  return { instructions: Number(instructions.replaceAll(',', '')), allocations: allocated, items: Number(items) };
}

function main(): void {
  console.log(`Node ${process.version}; per item (callgrind, difference of two sizes)\n`);
  console.log('| workload | instructions per item | heap allocations per item |\n|---|---:|---:|');
  const only = process.env.BENCH_ONLY;
  for (const [workload, small, large] of RUNS) {
    if (only && !workload.includes(only)) continue;
    const a = measure(workload, small);
    const b = measure(workload, large);
    const items = b.items - a.items;
    const perItem = (b.instructions - a.instructions) / items;
    const allocated = (b.allocations - a.allocations) / items;
    console.log(`| ${workload} | ${Math.round(perItem).toLocaleString('en')} | ${allocated.toFixed(2)} |`);
  }
}

main();
