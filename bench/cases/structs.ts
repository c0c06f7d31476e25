// Case 8: structs. First, a native -> JS call taking and returning a struct by value
// (Point -> Point, two doubles each way), next to the same call with two doubles in and one out:
// what passing a struct costs over passing its fields (decoding the argument, encoding the
// result). Contenders:
//   (f64, f64) -> f64   testlib's loop calling a BareFn of two doubles (the baseline)
//   Point -> Point      testlib's loop calling a BareFn of the struct
//   koffi Point         the same struct loop, called by koffi, calling a koffi.register callback
// Then memory.read of a struct of four doubles in native memory, next to four memory.read calls
// of its fields (the baseline).
import koffi from 'koffi';

import { BareFn, Library, memory, sig, t } from 'bare-fn';
import { testlibPath } from '../../__test__/helpers/platform.js';
import { type CaseResult, interleaved, nsPer } from '../harness.js';

const N = 1_000_000;
const READS = 1_000_000;

export async function run(): Promise<CaseResult[]> {
  const lib = Library.open(testlibPath);
  const klib = koffi.load(testlibPath);
  const Point = t.struct({ x: t.f64, y: t.f64 });
  using fields = new BareFn(sig(t.f64, [t.f64, t.f64]), (x, y) => x + 1 + y);
  using point = new BareFn(sig(Point, [Point]), (p) => ({ x: p.x + 1, y: p.y }));
  const loopF64 = lib.fn('tl_loop_f64_f64', sig(t.f64, [t.pointer, t.u32]));
  const loopPoint = lib.fn('tl_loop_point', sig(t.f64, [t.pointer, t.u32]));
  koffi.struct('BenchPoint', { x: 'double', y: 'double' }); // named for the prototypes below
  const kproto = koffi.proto('BenchPoint BenchPointFn(BenchPoint)');
  const kloop = klib.func('double tl_loop_point(BenchPointFn *cb, uint32_t n)');
  const kcb = koffi.register((p: { x: number; y: number }) => ({ x: p.x + 1, y: p.y }), koffi.pointer(kproto));
  // Sum over i of (i + 1 + 0.5): every result checked.
  const expected = (N * (N - 1)) / 2 + 1.5 * N;
  const calls = await interleaved({
    '(f64, f64) -> f64': () => nsPer(N, () => loopF64(fields.address, N), expected),
    'Point -> Point': () => nsPer(N, () => loopPoint(point.address, N), expected),
    'koffi Point': () => nsPer(N, () => kloop(kcb, N) as number, expected),
  });
  koffi.unregister(kcb);
  lib.close();

  const Quad = t.struct({ a: t.f64, b: t.f64, c: t.f64, d: t.f64 });
  using block = memory.alloc(Quad);
  memory.write(Quad, block.address, { a: 1, b: 2, c: 3, d: 4 });
  const at = block.address;
  const reads = await interleaved({
    'four field reads': () =>
      nsPer(READS, () => {
        let sum = 0;
        for (let i = 0; i < READS; i++) {
          sum += memory.read(t.f64, at, 0) + memory.read(t.f64, at, 8) + memory.read(t.f64, at, 16) + memory.read(t.f64, at, 24);
        }
        return sum;
      }, 10 * READS),
    'one struct read': () =>
      nsPer(READS, () => {
        let sum = 0;
        for (let i = 0; i < READS; i++) {
          const q = memory.read(Quad, at);
          sum += q.a + q.b + q.c + q.d;
        }
        return sum;
      }, 10 * READS),
  });
  return [
    {
      id: 'structs-by-value',
      title: `a struct by value: Point -> Point beside (f64, f64) -> f64, native -> JS, ${N.toLocaleString('en')} calls`,
      unit: 'ns/call',
      baseline: '(f64, f64) -> f64',
      lowerIsBetter: true,
      rows: Object.entries(calls).map(([contender, samples]) => ({ contender, samples })),
    },
    {
      id: 'structs-read',
      title: `memory.read of a struct of four f64 in native memory beside four field reads, ${READS.toLocaleString('en')} times`,
      unit: 'ns/read',
      baseline: 'four field reads',
      lowerIsBetter: true,
      rows: Object.entries(reads).map(([contender, samples]) => ({ contender, samples })),
    },
  ];
}
