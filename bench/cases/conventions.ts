// Case 7: what a calling convention's thunk costs, natively, next to System V's: on x86-64 both
// System V and Win64 exist (Rust's extern "sysv64" / "win64"), so the same native -> JS calls run
// side by side, from testlib loops compiled for each convention. The other conventions cannot be
// timed on this host (AArch64 runs under qemu, x86 Windows conventions are not measured here:
// emulated timings mean nothing).
//   System V  testlib's C loop calling a BareFn made with abi 'sysv64'
//   Win64     the same loop compiled as extern "win64", calling a BareFn made with abi 'win64'
import { BareFn, Library, sig, t } from '../../src/index.js';
import { testlibPath } from '../../__test__/helpers/testlib.js';
import { type CaseResult, interleaved, nsPer } from '../harness.js';

const N = 1_000_000;

export async function run(): Promise<CaseResult[]> {
  if (process.arch !== 'x64') return [];
  const lib = Library.open(testlibPath);
  const cases = [
    {
      id: 'i32',
      types: [t.i32, t.i32] as const,
      ret: t.i32,
      fn: (a: number, b: number) => (a + b) | 0,
      loop: (suffix: string) => lib.fn(`tl_loop_i32_i32_i32${suffix}`, sig(t.i64, [t.pointer, t.u32])),
      extra: [] as unknown[],
    },
    {
      id: 'mixed6',
      types: [t.i64, t.f64, t.i32, t.f32, t.pointer, t.u8] as const,
      ret: t.i64,
      fn: (a: bigint, _b: number, _c: number, _d: number, _p: bigint, e: number) => a + BigInt(e),
      loop: (suffix: string) => lib.fn(`tl_loop_mixed6${suffix}`, sig(t.i64, [t.pointer, t.pointer, t.u32])),
      extra: [0x1234n] as unknown[],
    },
  ];
  const results: CaseResult[] = [];
  for (const c of cases) {
    using sysv = new BareFn(sig(c.ret, [...c.types], { abi: 'sysv64' }), c.fn as never);
    using win64 = new BareFn(sig(c.ret, [...c.types], { abi: 'win64' }), c.fn as never);
    const [sysvLoop, win64Loop] = [c.loop(''), c.loop('_win64')] as ((...args: unknown[]) => bigint)[];
    const expected = sysvLoop!(sysv.address, ...c.extra, N);
    const samples = await interleaved({
      'System V': () => nsPer(N, () => sysvLoop!(sysv.address, ...c.extra, N), expected),
      Win64: () => nsPer(N, () => win64Loop!(win64.address, ...c.extra, N), expected),
    });
    results.push({
      id: `conventions-${c.id}`,
      title: `native -> JS by convention, ${String(sysv.signature).replace(/^extern "sysv64" /, '')}, ${N.toLocaleString('en')} calls`,
      unit: 'ns/call',
      baseline: 'System V',
      lowerIsBetter: true,
      rows: Object.entries(samples).map(([contender, s]) => ({ contender, samples: s })),
    });
  }
  lib.close();
  return results;
}
