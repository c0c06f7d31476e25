// Cases 1 and 2: native -> JS calls on the owning thread, 1,000,000 per run, from a C-ABI loop in
// testlib, for three signatures. Contenders:
//   floor    a Rust loop in the addon calling the same JS function through Node-API directly
//            (one handle scope per call, the arguments created, the result read)
//   bare-fn  testlib's loop calling a BareFn
//   koffi    the same testlib loop, loaded and called by koffi, calling a koffi.register callback
//   ffi-rs   cannot: its callbacks cannot return a value to C from the JS thread
import koffi from 'koffi';

import * as binding from '../../binding.js';
import { BareFn, Library, sig, t } from '../../index.js';
import { testlibPath } from '../../__test__/helpers/testlib.js';
import { type CaseResult, interleaved, nsPer } from '../harness.js';

const N = 1_000_000;
const FFI_RS = { contender: 'ffi-rs', samples: null, note: 'cannot: a callback cannot return a value to C on the JS thread' };

export async function run(): Promise<CaseResult[]> {
  const lib = Library.open(testlibPath);
  const klib = koffi.load(testlibPath);
  const results: CaseResult[] = [];

  {
    const add = (a: number, b: number): number => (a + b) | 0;
    let expected = 0;
    for (let i = 0; i < N; i++) expected += add(i, Math.imul(i, 3));
    const loop = lib.fn('tl_loop_i32_i32_i32', sig(t.i64, [t.pointer, t.u32]));
    using bare = new BareFn(sig(t.i32, [t.i32, t.i32]), add);
    const KProto = koffi.proto('int32_t KI32(int32_t, int32_t)');
    const kloop = klib.func('int64_t tl_loop_i32_i32_i32(KI32 *cb, uint32_t n)');
    const kcb = koffi.register(add, koffi.pointer(KProto));
    const samples = await interleaved({
      floor: () => nsPer(N, () => binding.benchFloorI32(add, N), expected),
      'bare-fn': () => nsPer(N, () => Number(loop(bare.address, N)), expected),
      koffi: () => nsPer(N, () => Number(kloop(kcb, N)), expected),
    });
    koffi.unregister(kcb);
    results.push(result('i32', '(i32, i32) -> i32', samples));
  }

  {
    const f = (a: number, b: number): number => a * b;
    let expected = 0;
    for (let i = 0; i < N; i++) expected += f(i, 0.5);
    const loop = lib.fn('tl_loop_f64_f64_f64', sig(t.f64, [t.pointer, t.u32]));
    using bare = new BareFn(sig(t.f64, [t.f64, t.f64]), f);
    const KProto = koffi.proto('double KF64(double, double)');
    const kloop = klib.func('double tl_loop_f64_f64_f64(KF64 *cb, uint32_t n)');
    const kcb = koffi.register(f, koffi.pointer(KProto));
    const samples = await interleaved({
      floor: () => nsPer(N, () => binding.benchFloorF64(f, N), expected),
      'bare-fn': () => nsPer(N, () => loop(bare.address, N), expected),
      koffi: () => nsPer(N, () => kloop(kcb, N), expected),
    });
    koffi.unregister(kcb);
    results.push(result('f64', '(f64, f64) -> f64', samples));
  }

  {
    // The callback returns a small value from its i64 and u8 arguments, so sums are exact.
    const P = 0x1234n;
    const f = (a: bigint, _b: number, _c: number, _d: number, _p: bigint, e: number): bigint => a + BigInt(e);
    const fk = (a: number | bigint, _b: number, _c: number, _d: number, _p: unknown, e: number): bigint => BigInt(a) + BigInt(e);
    let expected = 0;
    for (let i = 0; i < N; i++) expected += i + (i % 256);
    const loop = lib.fn('tl_loop_mixed6', sig(t.i64, [t.pointer, t.pointer, t.u32]));
    using bare = new BareFn(sig(t.i64, [t.i64, t.f64, t.i32, t.f32, t.pointer, t.u8]), f);
    const KProto = koffi.proto('int64_t KMixed(int64_t, double, int32_t, float, void *, uint8_t)');
    const kloop = klib.func('int64_t tl_loop_mixed6(KMixed *cb, void *p, uint32_t n)');
    const kcb = koffi.register(fk, koffi.pointer(KProto));
    const samples = await interleaved({
      floor: () => nsPer(N, () => binding.benchFloorMixed6(f, Number(P), N), expected),
      'bare-fn': () => nsPer(N, () => Number(loop(bare.address, P, N)), expected),
      koffi: () => nsPer(N, () => Number(kloop(kcb, P, N)), expected),
    });
    koffi.unregister(kcb);
    results.push(result('mixed6', '(i64, f64, i32, f32, pointer, u8) -> i64', samples));
  }
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
