// Case 10: async calls, JS -> native on another thread with a Promise: `abs` through bare-fn's
// `fn.async`, koffi's `fn.async` (its callback wrapped in a Promise) and the Node-API floor (a
// hand-written function running `abs` as Node-API async work, crates/bench-floor async_work.rs),
// awaited one at a time and 64 in flight.
import koffi from 'koffi';

import { floor } from '../floor.js';
import { Library, sig, t } from '../../src/index.js';
import { type CaseResult, interleaved } from '../harness.js';

const N = 100_000;
const CONTENDERS = ['Node-API floor', 'bare-fn', 'koffi'];

type AsyncAbs = (x: number) => Promise<number>;

/** Nanoseconds per call of N calls of `f`, `inFlight` at a time; checks the sum of the results. */
async function nsPerCall(f: AsyncAbs, inFlight: number): Promise<number> {
  const start = process.hrtime.bigint();
  let sum = 0;
  let next = 0;
  const lane = async () => {
    while (next < N) {
      const i = next++;
      const value = await f(-(i & 1023));
      sum += value; // after the await: `sum += await f()` read sum before it, losing other lanes' sums

    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const ns = Number(process.hrtime.bigint() - start) / N;
  let expected = 0;
  for (let i = 0; i < N; i++) expected += i & 1023;
  if (sum !== expected) throw new Error(`wrong sum ${sum}, expected ${expected}`);
  return ns;
}

export async function run(): Promise<CaseResult[]> {
  const libc = Library.open('libc.so.6');
  const abs = libc.fn('abs', sig(t.i32, [t.i32]));
  const kabs = koffi.load('libc.so.6').func('int abs(int)');
  const contenders: Record<string, AsyncAbs> = {
    'Node-API floor': (x) => floor.floorAbsAsync(x),
    'bare-fn': (x) => abs.async(x),
    koffi: (x) => new Promise((resolve, reject) => kabs.async(x, (error: unknown, value: number) => (error ? reject(error) : resolve(value)))),
  };
  const results: CaseResult[] = [];
  for (const inFlight of [1, 64]) {
    const samples = await interleaved(Object.fromEntries(CONTENDERS.map((name) => [name, () => nsPerCall(contenders[name]!, inFlight)])));
    results.push({
      id: `async-abs-${inFlight}`,
      title: `abs(int) through an async call, ${N.toLocaleString('en')} calls, ${inFlight} in flight`,
      unit: 'ns/call',
      baseline: 'Node-API floor',
      lowerIsBetter: true,
      rows: CONTENDERS.map((contender) => ({ contender, samples: samples[contender]! })),
    });
  }
  return results;
}
