// Child process of lifetime.test.ts (run with --expose-gc): leak detection is attached late (see
// BareFn.#watchLater), so check what that must not change. Prints, as JSON, what each step saw.
import { BareFn, sig, t } from '../../src/index.js';

const S = sig(t.i32, [t.i32]);
const warnings: string[] = [];
process.on('warning', (w) => {
  if (w.name === 'BareFnLeakWarning') warnings.push(w.message);
});

/** Collects garbage and lets the leak watch (a FinalizationRegistry) report. */
async function collect(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    globalThis.gc!();
    await new Promise((r) => setTimeout(r, 10));
  }
}

const leakedOf = (address: bigint) => BareFn.live().find((l) => l.address === address)?.leaked;

async function main(): Promise<void> {
  const steps: Record<string, unknown> = {};
  const before = BareFn.live().length;

  // 1. One synchronous task creates 3,000 BareFns (more than wait for their watch at once) in
  // pairs, disposes the first of every other pair while the second is the newest, and drops them
  // all: exactly the 2,250 undisposed leak (1,500 second ones and 750 first ones).
  (() => {
    for (let i = 0; i < 1500; i++) {
      const first = new BareFn(S, (x) => x + i);
      new BareFn(S, (x) => x - i);
      if (i % 2 === 0) first.dispose();
    }
  })();
  await collect();
  steps.sameTask = { warnings: warnings.length, leakedLive: BareFn.live().filter((l) => l.leaked).length - before };

  // 2. A BareFn watched (it lived past its task), then disposed: its place in the registry is
  // reused by the next BareFn, which stays reachable. Collecting the first must not blame the
  // second (dispose takes the first's watch back). `control`, watched and dropped undisposed at
  // the same time, shows that collection and the leak watch did run: it alone is reported.
  warnings.length = 0;
  let first: BareFn | undefined = new BareFn(S, (x) => x);
  let control: BareFn | undefined = new BareFn(S, (x) => x + 1);
  await new Promise((r) => setTimeout(r, 0)); // both are watched now
  first.dispose();
  first = undefined;
  control = undefined;
  const second = new BareFn(S, (x) => x * 2);
  await collect();
  steps.reused = { warnings: warnings.length, controlReported: /\(i32\) -> i32/.test(warnings[0] ?? ''), secondLeaked: leakedOf(second.address) };
  second.dispose();
  console.log(JSON.stringify(steps));
}
void main();
