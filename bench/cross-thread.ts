// Calls from other threads (testlib threads), side by side in one process:
//   blocking round trips per second from 1 and 4 calling threads: bare-fn 'blocking' vs a koffi
//     registered callback (koffi blocks the calling thread until JS ran), with the CPU time the
//     process spent per call (bare-fn's callers spin briefly before sleeping);
//   nonblocking deliveries per second of void calls from 1 thread: bare-fn 'nonblocking' vs the
//     floor, a bare Node-API threadsafe function fed by a thread of the addon.
// The JS thread waits with setImmediate polling (bench/README.md: the event loop stays awake).
import koffi from 'koffi';

import * as binding from '../binding.js';
import { BareFn, memory, sig, t } from '../index.js';
import { expectedOnThread, lib, runThreads, testlibPath } from '../__test__/helpers/testlib.js';
import { median } from './stats.js';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const BLOCKING_CALLS = 100_000;
const QUEUED_CALLS = 1_000_000;

interface Sample {
  perSecond: number;
  cpuUsPerCall: number;
}

async function blockingRun(address: bigint, threads: number): Promise<Sample> {
  const cpu = process.cpuUsage();
  const result = await runThreads(address, threads, BLOCKING_CALLS / threads, 'i32');
  const used = process.cpuUsage(cpu);
  if (result.right !== BLOCKING_CALLS) throw new Error(`wrong results: ${JSON.stringify(result)}`);
  return { perSecond: BLOCKING_CALLS / (result.ms / 1000), cpuUsPerCall: (used.user + used.system) / BLOCKING_CALLS };
}

function counter(n: number): { fn: () => void; done: Promise<number> } {
  let count = 0;
  let resolve!: (ns: number) => void;
  const start = process.hrtime.bigint();
  const done = new Promise<number>((r) => (resolve = r));
  return {
    fn: () => {
      if (++count === n) resolve(Number(process.hrtime.bigint() - start));
    },
    done,
  };
}

async function main(): Promise<void> {
  const I32x2 = sig(t.i32, [t.i32, t.i32]);
  using blocking = new BareFn(I32x2, expectedOnThread, { threading: 'blocking', fallback: -1 });
  const KProto = koffi.proto('int32_t KCross(int32_t, int32_t)');
  koffi.load(testlibPath);
  const kcb = koffi.register(expectedOnThread, koffi.pointer(KProto)) as bigint;

  const rows: string[] = [];
  for (const threads of [1, 4]) {
    const samples: Record<string, Sample[]> = { 'bare-fn blocking': [], 'koffi registered': [] };
    await blockingRun(blocking.address, threads); // warm-up
    await blockingRun(kcb, threads);
    for (let rep = 0; rep < REPS; rep++) {
      samples['bare-fn blocking']!.push(await blockingRun(blocking.address, threads));
      samples['koffi registered']!.push(await blockingRun(kcb, threads));
    }
    for (const [name, xs] of Object.entries(samples)) {
      const rate = median(xs.map((x) => x.perSecond));
      const cpu = median(xs.map((x) => x.cpuUsPerCall));
      rows.push(`| ${name}, ${threads} thread${threads > 1 ? 's' : ''} | ${Math.round(rate).toLocaleString('en')} round trips/s | ${(1e6 / rate).toFixed(2)} µs | ${cpu.toFixed(2)} µs |`);
    }
  }
  koffi.unregister(kcb);

  const spawnVoid = lib.fn('tl_spawn_void', sig(t.pointer, [t.pointer, t.u32, t.u32]));
  const joinJob = lib.fn('tl_job_join', sig(t.u64, [t.pointer, t.pointer]));
  const queued: Record<string, number[]> = { 'bare-fn nonblocking': [], 'floor: bare threadsafe function': [] };
  for (let rep = 0; rep <= REPS; rep++) {
    const bare = counter(QUEUED_CALLS);
    {
      using sink = new BareFn(sig(t.void, [t.i32, t.i32]), bare.fn, { threading: 'nonblocking', ref: true });
      const job = spawnVoid(sink.address, 1, QUEUED_CALLS);
      const ns = await bare.done;
      joinJob(job, memory.addressOf(new BigUint64Array(3)));
      if (rep > 0) queued['bare-fn nonblocking']!.push(ns / QUEUED_CALLS);
    }
    const floor = counter(QUEUED_CALLS);
    binding.benchFloorTsfn(floor.fn, QUEUED_CALLS);
    const ns = await floor.done;
    if (rep > 0) queued['floor: bare threadsafe function']!.push(ns / QUEUED_CALLS);
  }

  console.log(`calls from other threads, node ${process.version}, koffi ${koffi.version}, median of ${REPS}`);
  console.log('| contender | rate | per call | process CPU per call |');
  console.log('|---|---:|---:|---:|');
  for (const row of rows) console.log(row);
  const floorNs = median(queued['floor: bare threadsafe function']!);
  for (const [name, xs] of Object.entries(queued)) {
    const ns = median(xs);
    console.log(`| ${name}, 1 thread | ${Math.round(1e9 / ns).toLocaleString('en')} deliveries/s | ${ns.toFixed(0)} ns (${(ns / floorNs).toFixed(2)}x floor) | |`);
  }
}

void main();
