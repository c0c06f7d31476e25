// Case 5: live callbacks. Each contender creates up to 1,000,000 callbacks without releasing
// them, in a child process of its own (so one contender's memory does not count against
// another's); reported: resident memory per callback (RSS delta / count, including the JS
// closures and wrappers) and how many it could create.
//   floor    per closure, the Node-API objects any addon holds to keep a JS function callable
//            from native code and learn when its owner is collected: a strong reference and an
//            External with a finalizer (crates/napi/src/bench_floor.rs)
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { type CaseResult, REPS } from '../harness.js';

const COUNT = 1_000_000;

export async function run(): Promise<CaseResult[]> {
  const child = path.join(__dirname, 'live-child.ts');
  const measure = (contender: string) =>
    JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', child, contender, String(COUNT)], {
        encoding: 'utf8',
        // The undisposed BareFns are reported as leaks when the child exits: not wanted here.
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as { reached: number; bytesEach: number; stopped?: string };
  const rows = ['floor', 'bare-fn', 'koffi'].map((contender) => {
    const runs = Array.from({ length: Math.min(REPS, 5) }, () => measure(contender));
    const reached = runs[0]!.reached;
    const limit = reached < COUNT ? `stops at ${reached.toLocaleString('en')}: ${runs[0]!.stopped}` : `${reached.toLocaleString('en')} live`;
    return { contender, samples: runs.map((r) => r.bytesEach), note: limit };
  });
  return [
    {
      id: 'live',
      title: `live callbacks: up to ${COUNT.toLocaleString('en')} created and kept`,
      unit: 'bytes of RSS each',
      baseline: 'floor',
      lowerIsBetter: true,
      rows,
    },
  ];
}
