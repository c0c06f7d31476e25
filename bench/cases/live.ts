// Case 5: live callbacks. Each contender creates up to 1,000,000 callbacks without releasing
// them, in a child process of its own (so one contender's memory does not count against
// another's); reported: how many it could create, the native memory per callback (outside the
// JS heap: malloc'ed bytes and executable thunks, see live-child.ts; the README's target is on
// this one) and the resident memory per callback in all (RSS delta / count, including the JS
// closures and wrappers).
//   floor    per closure, the Node-API objects any addon holds to keep a JS function callable
//            from native code and learn when its owner is collected: a strong reference and an
//            External with a finalizer (crates/napi/src/bench_floor.rs)
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { type CaseResult, REPS } from '../harness.js';

const COUNT = 1_000_000;
/** Below this many callbacks a per-callback figure is noise: the process's own allocations (V8's
 * compiler, the GC) move its native memory by a few MB between two measurements, which came out
 * as -350 to +340 bytes each for koffi's 8,192 (its trampolines are allocated up front anyway). */
const MEASURABLE = 100_000;

export async function run(): Promise<CaseResult[]> {
  const child = path.join(__dirname, 'live-child.ts');
  const measure = (contender: string) =>
    JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', child, contender, String(COUNT)], {
        encoding: 'utf8',
        // The undisposed BareFns are reported as leaks when the child exits: not wanted here.
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as { reached: number; bytesEach: number; nativeEach: number; stopped?: string };
  const contenders = ['floor', 'bare-fn', 'koffi'].map((contender) => {
    const runs = Array.from({ length: Math.min(REPS, 5) }, () => measure(contender));
    const reached = runs[0]!.reached;
    const note = reached < COUNT ? `stops at ${reached.toLocaleString('en')}: ${runs[0]!.stopped}` : `${reached.toLocaleString('en')} live`;
    return { contender, runs, note };
  });
  const result = (id: string, what: string, unit: string, sample: (run: (typeof contenders)[number]['runs'][number]) => number) => ({
    id,
    title: `live callbacks, ${what}: up to ${COUNT.toLocaleString('en')} created and kept`,
    unit,
    baseline: 'floor',
    lowerIsBetter: true,
    rows: contenders.map(({ contender, runs, note }) =>
      runs[0]!.reached < MEASURABLE
        ? { contender, samples: null, note: `${note}; too few to measure per callback` }
        : { contender, samples: runs.map(sample), note },
    ),
  });
  return [
    result('live-native', 'native memory', 'bytes outside the JS heap each', (run) => run.nativeEach),
    result('live', 'all memory', 'bytes of RSS each', (run) => run.bytesEach),
  ];
}
