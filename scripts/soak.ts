// Soak test (not part of npm test): creates, calls and disposes 1,000,000 BareFns, printing the
// resident memory at the start, middle and end. Disposed thunks beyond the quarantine bound are
// freed and their memory reused, so RSS must stay flat after the quarantine fills.
//
// The loop yields to the event loop every 10,000 BareFns, as an application does: Node runs the
// finalizers of garbage-collected native objects (the JS wrappers' native halves) from the event
// loop, so a loop that never yields holds all of them until it ends.
//
//   npm run soak            (SOAK_COUNT to change the count)
import { BareFn, sig, t } from '../src/index.js';
import { lib } from '../__test__/helpers/testlib.js';

const COUNT = Number(process.env.SOAK_COUNT ?? 1_000_000);
const callI32 = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));
const I32x2 = sig(t.i32, [t.i32, t.i32]);
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const samples: number[] = [];
const report = async (label: string): Promise<void> => {
  for (let k = 0; k < 3; k++) {
    globalThis.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const rss = process.memoryUsage().rss;
  samples.push(rss);
  console.log(`${label.padEnd(28)} rss ${mib(rss)}  live BareFns ${BareFn.live().length}`);
};

async function main(): Promise<void> {
  // Warm up well past the quarantine (4,096 tombstones) so the steady state is what is measured.
  for (let i = 0; i < 50_000; i++) new BareFn(I32x2, (a, b) => a + b).dispose();
  await report('start (after warm-up)');
  const start = process.hrtime.bigint();
  for (let i = 1; i <= COUNT; i++) {
    const k = i;
    const fn = new BareFn(I32x2, (a, b) => a + b + k);
    if (callI32(fn.address, i, 1) !== ((i + 1 + k) | 0)) throw new Error(`wrong result at ${i}`);
    fn.dispose();
    if (i % 10_000 === 0) await new Promise((resolve) => setImmediate(resolve));
    if (i === COUNT / 2) await report(`middle (${i.toLocaleString('en')})`);
  }
  const ns = Number(process.hrtime.bigint() - start);
  await report(`end (${COUNT.toLocaleString('en')})`);
  console.log(`${(ns / COUNT / 1000).toFixed(2)} µs per create + call + dispose`);
  const growth = samples[2]! - samples[0]!;
  console.log(`growth start -> end: ${mib(growth)} (${(growth / COUNT).toFixed(2)} bytes per BareFn)`);
  if (growth > 16 * 2 ** 20) {
    console.error('RSS grew by more than 16 MiB over the run: a leak');
    process.exit(1);
  }
}

void main();
