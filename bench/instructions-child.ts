// Child process of bench/instructions.ts, run under callgrind: warms one workload up, then runs
// it `count` more times. Usage: instructions-child.ts <workload> <count>; prints how many items
// (pairs, comparisons) the measured part did, on stderr.
import { BareFn, Library, memory, sig, t } from 'bare-fn';

import { floor } from './floor.js';
import { callWorkloads, createDisposePairs, order } from './workloads.js';

const [workload, countText] = process.argv.slice(2);
const count = Number(countText);

/** Runs `n` items of the workload; returns how many items that was. */
type Workload = (n: number) => number;

const pairs = (body: (i: number) => void): Workload => (n) => {
  for (let i = 0; i < n; i++) body(i);
  return n;
};

function qsortWith(sortBy: 'bare-fn' | 'floor'): Workload {
  let seed = 1;
  const source = Int32Array.from({ length: 200_000 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) | 0);
  const libc = Library.open('libc.so.6');
  const qsort = libc.fn('qsort', sig(t.void, [t.pointer, t.usize, t.usize, t.pointer]));
  let calls = 0;
  const compare = new BareFn(sig(t.i32, [t.pointer, t.pointer]), (a, b) => {
    calls++;
    return order(memory.read(t.i32, a), memory.read(t.i32, b));
  });
  // n: how many elements to sort; the items are the comparisons made.
  return (n) => {
    const values = source.slice(0, n);
    if (sortBy === 'floor') return floor.benchFloorQsort(order, values);
    calls = 0;
    qsort(memory.addressOf(values), BigInt(n), 4n, compare.address);
    return calls;
  };
}

/** A JS -> native call of workloads.ts's callWorkloads, by `call/<id>/<contender>`. */
function callOf(name: string): Workload {
  const [, id, contender] = name.split('/');
  const loop = callWorkloads().find((w) => w.id === id)?.loops[contender!];
  if (loop === undefined) throw new Error(`no workload ${name}`);
  return (n) => {
    loop(n);
    return n;
  };
}

const WORKLOADS: Record<string, () => Workload> = {
  'create+dispose/bare-fn': () => pairs(createDisposePairs()['bare-fn']),
  'create+dispose/koffi': () => pairs(createDisposePairs().koffi),
  'create+dispose/floor': () => pairs(createDisposePairs().floor),
  'qsort/bare-fn': () => qsortWith('bare-fn'),
  'qsort/floor': () => qsortWith('floor'),
};

async function main(): Promise<void> {
  const run = workload!.startsWith('call/') ? callOf(workload!) : WORKLOADS[workload!]!();
  // Warm-up: past the quarantine (4,096) and into optimised code.
  for (let i = 0; i < 4; i++) run(5_000);
  await new Promise((r) => setImmediate(r));
  process.stderr.write(`items ${run(count)}\n`);
}

void main();
