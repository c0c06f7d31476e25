// Case 4: create + dispose of 10,000 distinct closures, in µs per pair (each contender also
// creates the JS closures, so that cost is in every row).
//   floor    one addon call per closure that creates and deletes a strong Node-API reference:
//            the least any addon must do to keep a JS function callable from native code
//   bare-fn  new BareFn(...).dispose()
//   koffi    koffi.unregister(koffi.register(...))
import { type CaseResult, interleaved } from '../harness.js';
import { createDisposePairs } from '../workloads.js';

const N = 10_000;

export async function run(): Promise<CaseResult[]> {
  const pair = createDisposePairs();
  const perPair = (body: (i: number) => void) => () => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) body(i);
    return Number(process.hrtime.bigint() - start) / N / 1000;
  };
  const samples = await interleaved({
    floor: perPair(pair.floor),
    'bare-fn': perPair(pair['bare-fn']),
    koffi: perPair(pair.koffi),
  });
  return [
    {
      id: 'lifecycle',
      title: `create + dispose of ${N.toLocaleString('en')} distinct closures`,
      unit: 'µs/pair',
      baseline: 'floor',
      lowerIsBetter: true,
      rows: Object.entries(samples).map(([contender, s]) => ({ contender, samples: s })),
    },
  ];
}
