// Native -> JS calls on the owning thread: an (i32, i32) -> i32 callback, 1,000,000 per run, from a
// native loop (testlib), side by side in one process:
//   floor    a Rust loop in the addon calling the JS function through Node-API directly
//            (one handle scope per call, two int32 created, the int32 result read)
//   bare-fn  testlib's C-ABI loop calling a BareFn's address
//   koffi    the same testlib loop, loaded and called by koffi, calling a koffi.register callback
import koffi from 'koffi';

import * as binding from '../binding.js';
import { BareFn, Library, sig, t } from '../index.js';
import { testlibPath } from '../__test__/helpers/testlib.js';
import { median } from './stats.js';

const N = 1_000_000;
const REPS = Number(process.env.BENCH_REPS ?? 15);

const add = (a: number, b: number): number => (a + b) | 0;
const expected = (() => {
  let sum = 0n;
  for (let i = 0; i < N; i++) sum += BigInt(add(i, Math.imul(i, 3)));
  return sum;
})();

const lib = Library.open(testlibPath);
const loop = lib.fn('tl_loop_i32_i32_i32', sig(t.i64, [t.pointer, t.u32]));
using bare = new BareFn(sig(t.i32, [t.i32, t.i32]), add);

const klib = koffi.load(testlibPath);
const KAdd = koffi.proto('int32_t KAdd(int32_t, int32_t)');
const kloop = klib.func('int64_t tl_loop_i32_i32_i32(KAdd *cb, uint32_t n)');
const kcb = koffi.register(add, koffi.pointer(KAdd));

const contenders: Record<string, () => bigint> = {
  floor: () => BigInt(binding.benchFloorI32(add, N)),
  'bare-fn': () => loop(bare.address, N),
  koffi: () => BigInt(kloop(kcb, N)),
};

function time(run: () => bigint): number {
  const start = process.hrtime.bigint();
  const sum = run();
  const ns = Number(process.hrtime.bigint() - start) / N;
  if (sum !== expected) throw new Error(`wrong result ${sum}, expected ${expected}`);
  return ns;
}

// Runs are interleaved and their order rotates, so drift and noise hit every contender alike; the
// ratio to the floor is taken within each round, and its median reported.
const names = Object.keys(contenders);
const samples: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
const ratios: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
for (const run of Object.values(contenders)) time(run); // warm-up
for (let rep = 0; rep < REPS; rep++) {
  const round: Record<string, number> = {};
  for (let k = 0; k < names.length; k++) {
    const name = names[(rep + k) % names.length]!;
    round[name] = time(contenders[name]!);
  }
  for (const name of names) {
    samples[name]!.push(round[name]!);
    ratios[name]!.push(round[name]! / round.floor!);
  }
}
koffi.unregister(kcb);

console.log(`native -> JS, (i32, i32) -> i32, ${N.toLocaleString('en')} calls x ${REPS} runs, node ${process.version}, koffi ${koffi.version}`);
console.log('| contender | median ns/call | min-max ns/call | median ratio to floor |');
console.log('|---|---:|---:|---:|');
for (const name of names) {
  const xs = samples[name]!;
  console.log(
    `| ${name} | ${median(xs).toFixed(1)} | ${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)} | ${median(ratios[name]!).toFixed(2)}x |`,
  );
}
