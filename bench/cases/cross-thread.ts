// Case 6: calls from other threads (testlib threads), side by side in one process.
//   blocking: round trips from 1 and 4 calling threads, bare-fn 'blocking' (and one whose callback
//     is async: the caller waits for its Promise) vs a koffi registered callback (koffi blocks the
//     calling thread until JS ran), on an idle machine and with a busy process on every CPU; the
//     note gives the process CPU time per call;
//   nonblocking: void calls from 1 thread delivered to JS, bare-fn 'nonblocking' vs the floor,
//     a bare Node-API threadsafe function fed by a thread of the addon (one call per item), idle
//     and with every CPU busy.
// The JS thread waits by polling with setImmediate, so its event loop stays awake.
import { spawn } from 'node:child_process';
import os from 'node:os';

import koffi from 'koffi';

import { floor } from '../floor.js';
import { BareFn, sig, t } from '../../src/index.js';
import { expectedOnThread, join, runThreads, spawnVoid, testlibPath } from '../../__test__/helpers/testlib.js';
import { type CaseResult, interleaved, median } from '../harness.js';

const BLOCKING_CALLS = 100_000;
const QUEUED_CALLS = 1_000_000;

/** Runs `measure` with a busy process on every CPU when `loaded`, as on a developer laptop or a
 * loaded server (started here, stopped when it ends). */
async function underLoad<T>(loaded: boolean, measure: () => Promise<T>): Promise<T> {
  const hogs = loaded ? Array.from({ length: os.availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })) : [];
  const exited = hogs.map((hog) => new Promise((resolve) => hog.once('exit', resolve)));
  try {
    if (loaded) await new Promise((resolve) => setTimeout(resolve, 500)); // started and spinning
    return await measure();
  } finally {
    for (const hog of hogs) hog.kill();
    await Promise.all(exited); // gone before the next, idle, case
  }
}
const LOADED_TITLE = ', every CPU busy with another process';

export async function run(): Promise<CaseResult[]> {
  const I32x2 = sig(t.i32, [t.i32, t.i32]);
  using blocking = new BareFn(I32x2, expectedOnThread, { threading: 'blocking', fallback: -1 });
  using awaited = new BareFn(I32x2, async (th, i) => expectedOnThread(th, i), { threading: 'blocking', fallback: -1 });
  koffi.load(testlibPath);
  const kcb = koffi.register(expectedOnThread, koffi.pointer(koffi.proto('int32_t KCross(int32_t, int32_t)'))) as bigint;
  const results: CaseResult[] = [];
  for (const [threads, loaded] of [[1, false], [4, false], [1, true], [4, true]] as const) {
    const cpu: Record<string, number[]> = { 'bare-fn': [], 'bare-fn, async callback': [], koffi: [] };
    const roundTrip = (name: string, address: bigint) => async () => {
      const before = process.cpuUsage();
      const r = await runThreads(address, threads, BLOCKING_CALLS / threads, 'i32');
      const used = process.cpuUsage(before);
      if (r.right !== BLOCKING_CALLS) throw new Error(`${name}: wrong results ${JSON.stringify(r)}`);
      cpu[name]!.push((used.user + used.system) / BLOCKING_CALLS);
      return (r.ms * 1e3) / BLOCKING_CALLS;
    };
    const samples = await underLoad(loaded, () => interleaved({
        'bare-fn': roundTrip('bare-fn', blocking.address),
        'bare-fn, async callback': roundTrip('bare-fn, async callback', awaited.address),
        koffi: roundTrip('koffi', kcb),
      }));
    results.push({
      id: `cross-thread-blocking-${threads}${loaded ? '-loaded' : ''}`,
      title: `blocking calls from ${threads} other thread${threads > 1 ? 's' : ''}, (i32, i32) -> i32 round trips${loaded ? LOADED_TITLE : ''}`,
      unit: 'µs/call',
      baseline: 'koffi',
      lowerIsBetter: true,
      rows: Object.entries(samples).map(([contender, s]) => ({
        contender,
        samples: s,
        note: `process CPU ${median(cpu[contender]!).toFixed(2)} µs/call`,
      })),
    });
  }
  koffi.unregister(kcb);

  const delivered = (start: (onCall: () => void) => () => void) => async () => {
    let count = 0;
    let done!: (ns: number) => void;
    const finished = new Promise<number>((resolve) => (done = resolve));
    const begin = process.hrtime.bigint();
    const cleanup = start(() => {
      if (++count === QUEUED_CALLS) done(Number(process.hrtime.bigint() - begin));
    });
    const ns = await finished;
    cleanup();
    return ns / QUEUED_CALLS;
  };
  for (const loaded of [false, true]) {
    const samples = await underLoad(loaded, () =>
      interleaved({
        floor: delivered((onCall) => {
          floor.benchFloorTsfn(onCall, QUEUED_CALLS);
          return () => {};
        }),
        'bare-fn': delivered((onCall) => {
          const sink = new BareFn(sig(t.void, [t.i32, t.i32]), onCall, { threading: 'nonblocking', ref: true });
          const job = spawnVoid(sink.address, 1, QUEUED_CALLS);
          return () => {
            join(job);
            sink.dispose();
          };
        }),
      }),
    );
    results.push({
      id: `cross-thread-nonblocking${loaded ? '-loaded' : ''}`,
      title: `nonblocking void calls from another thread, ${QUEUED_CALLS.toLocaleString('en')} delivered to JS${loaded ? LOADED_TITLE : ''}`,
      unit: 'ns/call',
      baseline: 'floor',
      lowerIsBetter: true,
      rows: [
        ...Object.entries(samples).map(([contender, s]) => ({ contender, samples: s })),
        { contender: 'koffi', samples: null, note: 'cannot: its callbacks always block the calling thread' },
      ],
    });
  }
  return results;
}
