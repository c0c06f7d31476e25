// Cases 1 and 2: native -> JS calls on the owning thread, 1,000,000 per run, from a C-ABI loop in
// testlib, for three signatures. Contenders:
//   floor    a Rust loop in the addon calling the same JS function through Node-API directly
//            (one handle scope per call, the arguments created, the result read)
//   bare-fn  testlib's loop calling a BareFn
//   koffi    the same testlib loop, loaded and called by koffi, calling a koffi.register callback
//   ffi-rs   cannot: its callbacks cannot return a value to C from the JS thread
import koffi from 'koffi';

import { floor } from '../floor.js';
import { BareFn, Library, type Signature, sig, t } from '../../src/index.js';
import { testlibPath } from '../../__test__/helpers/testlib.js';
import { type CaseResult, interleaved, nsPer } from '../harness.js';

const N = 1_000_000;
const FFI_RS = { contender: 'ffi-rs', samples: null, note: 'cannot: a callback cannot return a value to C on the JS thread' };

/** One signature: the same JS function called N times by the floor, bare-fn and koffi. */
interface SignatureCase {
  id: string;
  signature: Signature;
  /** the function the floor and bare-fn call, and koffi's version (koffi gives small 64-bit
   * integers as numbers) */
  fn: (...args: never[]) => unknown;
  koffiFn?: (...args: never[]) => unknown;
  /** C declarations of the koffi prototype (a name of its own: koffi's type names are global)
   * and of testlib's loop taking it */
  koffiProto: string;
  koffiLoop: string;
  /** testlib's loop, as bare-fn calls it: (callback address, extra arguments..., n) */
  loop: (...args: never[]) => number | bigint;
  extra: unknown[];
  floor: () => number;
  expected: number;
}

async function measure(c: SignatureCase, klib: ReturnType<typeof koffi.load>): Promise<CaseResult> {
  using bare = new BareFn(c.signature, c.fn as never);
  const proto = koffi.proto(c.koffiProto);
  const kloop = klib.func(c.koffiLoop);
  const kcb = koffi.register(c.koffiFn ?? c.fn, koffi.pointer(proto));
  const loop = c.loop as (...args: unknown[]) => number | bigint;
  const samples = await interleaved({
    floor: () => nsPer(N, c.floor, c.expected),
    'bare-fn': () => nsPer(N, () => Number(loop(bare.address, ...c.extra, N)), c.expected),
    koffi: () => nsPer(N, () => Number(kloop(kcb, ...c.extra, N)), c.expected),
  });
  koffi.unregister(kcb);
  return result(c.id, String(c.signature).replace(/^extern "C" /, ''), samples);
}

export async function run(): Promise<CaseResult[]> {
  const lib = Library.open(testlibPath);
  const klib = koffi.load(testlibPath);
  const sum = (f: (i: number) => number): number => {
    let total = 0;
    for (let i = 0; i < N; i++) total += f(i);
    return total;
  };

  const add = (a: number, b: number): number => (a + b) | 0;
  const half = (a: number, b: number): number => a * b;
  // The mixed callback returns a small value from its i64 and u8 arguments, so sums are exact.
  const P = 0x1234n;
  const mixed = (a: bigint, _b: number, _c: number, _d: number, _p: bigint, e: number): bigint => a + BigInt(e);
  const mixedKoffi = (a: number | bigint, _b: number, _c: number, _d: number, _p: unknown, e: number): bigint => BigInt(a) + BigInt(e);

  const results = [
    await measure(
      {
        id: 'i32',
        signature: sig(t.i32, [t.i32, t.i32]),
        fn: add,
        koffiProto: 'int32_t KI32(int32_t, int32_t)',
        koffiLoop: 'int64_t tl_loop_i32_i32_i32(KI32 *cb, uint32_t n)',
        loop: lib.fn('tl_loop_i32_i32_i32', sig(t.i64, [t.pointer, t.u32])),
        extra: [],
        floor: () => floor.benchFloorI32(add, N),
        expected: sum((i) => add(i, Math.imul(i, 3))),
      },
      klib,
    ),
    await measure(
      {
        id: 'f64',
        signature: sig(t.f64, [t.f64, t.f64]),
        fn: half,
        koffiProto: 'double KF64(double, double)',
        koffiLoop: 'double tl_loop_f64_f64_f64(KF64 *cb, uint32_t n)',
        loop: lib.fn('tl_loop_f64_f64_f64', sig(t.f64, [t.pointer, t.u32])),
        extra: [],
        floor: () => floor.benchFloorF64(half, N),
        expected: sum((i) => half(i, 0.5)),
      },
      klib,
    ),
    await measure(
      {
        id: 'mixed6',
        signature: sig(t.i64, [t.i64, t.f64, t.i32, t.f32, t.pointer, t.u8]),
        fn: mixed,
        koffiFn: mixedKoffi,
        koffiProto: 'int64_t KMixed6(int64_t, double, int32_t, float, void *, uint8_t)',
        koffiLoop: 'int64_t tl_loop_mixed6(KMixed6 *cb, void *p, uint32_t n)',
        loop: lib.fn('tl_loop_mixed6', sig(t.i64, [t.pointer, t.pointer, t.u32])),
        extra: [P],
        floor: () => floor.benchFloorMixed6(mixed, Number(P), N),
        expected: sum((i) => i + (i % 256)),
      },
      klib,
    ),
  ];
  lib.close();
  return results;
}

function result(id: string, signature: string, samples: Record<string, number[]>): CaseResult {
  return {
    id: `native-to-js-${id}`,
    title: `native -> JS, ${signature}, ${N.toLocaleString('en')} calls from a native loop`,
    unit: 'ns/call',
    baseline: 'floor',
    lowerIsBetter: true,
    rows: [...Object.entries(samples).map(([contender, s]) => ({ contender, samples: s })), FFI_RS],
  };
}
