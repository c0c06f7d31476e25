// `npm run bench:instructions`: instructions per item (create + dispose pair, qsort comparison)
// counted by callgrind, which, unlike times, do not move with a noisy machine's load. Each
// workload runs twice with different sizes under callgrind (instructions-child.ts); the
// difference of the totals over the difference of the item counts cancels start-up and
// warm-up. Needs valgrind (apt-get install valgrind); takes a few minutes.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const CHILD = path.join(__dirname, 'instructions-child.ts');
/** Workloads (instructions-child.ts) and the two sizes to run each with. */
const RUNS: [string, number, number][] = [
  ['create+dispose/floor', 10_000, 30_000],
  ['create+dispose/bare-fn', 10_000, 30_000],
  ['create+dispose/koffi', 10_000, 30_000],
  ['qsort/floor', 100_000, 200_000],
  ['qsort/bare-fn', 100_000, 200_000],
];

/** Total instructions and measured items of one run. */
function measure(workload: string, count: number): { instructions: number; items: number } {
  const args = ['--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/dev/null'];
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
  return { instructions: Number(instructions.replaceAll(',', '')), items: Number(items) };
}

function main(): void {
  console.log(`Node ${process.version}; instructions per item (callgrind, difference of two sizes)\n`);
  console.log('| workload | instructions per item |\n|---|---:|');
  for (const [workload, small, large] of RUNS) {
    const a = measure(workload, small);
    const b = measure(workload, large);
    const perItem = (b.instructions - a.instructions) / (b.items - a.items);
    console.log(`| ${workload} | ${Math.round(perItem).toLocaleString('en')} |`);
  }
}

main();
