// Case 3: libc qsort of 1,000,000 random int32 with a JS comparator, in ns per comparison (the
// note gives the total). glibc's qsort merge-sorts through a temporary copy, so comparators read
// memory JS did not allocate.
//   floor    the addon calls qsort with a native comparator that reads both ints itself and calls
//            the same ordering function through Node-API
//   bare-fn  a BareFn (pointer, pointer) -> i32 reading the ints with memory.read
//   koffi    a registered callback reading them with koffi.decode
//   ffi-rs   cannot: its callbacks cannot return a value to C on the JS thread
import koffi from 'koffi';

import { floor } from '../floor.js';
import { BareFn, Library, memory, sig, t } from 'bare-fn';
import { type CaseResult, interleaved } from '../harness.js';
import { order } from '../workloads.js';

const N = 1_000_000;

export async function run(): Promise<CaseResult[]> {
  const source = Int32Array.from({ length: N }, () => (Math.random() * 2 ** 32) | 0);
  const totals: Record<string, number[]> = { floor: [], 'bare-fn': [], koffi: [] };
  const libc = Library.open('libc.so.6');
  const qsort = libc.fn('qsort', sig(t.void, [t.pointer, t.usize, t.usize, t.pointer]));
  const kqsortLib = koffi.load('libc.so.6');
  const KCompare = koffi.proto('int KCompare(const void *a, const void *b)');
  const kqsort = kqsortLib.func('void qsort(_Inout_ int32_t *base, size_t n, size_t size, KCompare *cmp)');

  let calls = 0;
  using compare = new BareFn(sig(t.i32, [t.pointer, t.pointer]), (a, b) => {
    calls++;
    return order(memory.read(t.i32, a), memory.read(t.i32, b));
  });
  const kcb = koffi.register((a: unknown, b: unknown) => {
    calls++;
    return order(koffi.decode(a, 'int32_t') as number, koffi.decode(b, 'int32_t') as number);
  }, koffi.pointer(KCompare));

  const sortWith = (name: string, sort: (values: Int32Array) => number) => () => {
    const values = source.slice();
    calls = 0;
    const start = process.hrtime.bigint();
    const comparisons = sort(values);
    const ns = Number(process.hrtime.bigint() - start);
    for (let i = 1; i < N; i++) if (values[i - 1]! > values[i]!) throw new Error(`${name}: not sorted at ${i}`);
    totals[name]!.push(ns / 1e6);
    return ns / comparisons;
  };
  const samples = await interleaved({
    floor: sortWith('floor', (values) => floor.benchFloorQsort(order, values)),
    'bare-fn': sortWith('bare-fn', (values) => {
      qsort(memory.addressOf(values), BigInt(N), 4n, compare.address);
      return calls;
    }),
    koffi: sortWith('koffi', (values) => {
      kqsort(values, N, 4, kcb);
      return calls;
    }),
  });
  koffi.unregister(kcb);
  libc.close();
  const total = (name: string) => `${Math.round(totals[name]!.sort((a, b) => a - b)[Math.floor(totals[name]!.length / 2)]!)} ms in all`;
  return [
    {
      id: 'qsort',
      title: `libc qsort of ${N.toLocaleString('en')} random int32 with a JS comparator`,
      unit: 'ns/comparison',
      baseline: 'floor',
      lowerIsBetter: true,
      rows: [
        ...Object.entries(samples).map(([contender, s]) => ({ contender, samples: s, note: total(contender) })),
        { contender: 'ffi-rs', samples: null, note: 'cannot: a callback cannot return a value to C on the JS thread' },
      ],
    },
  ];
}
