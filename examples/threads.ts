// A native producer thread feeding a TypeScript consumer through a 'blocking' BareFn: the
// producer (testlib, standing in for an audio or network thread of a C library) calls the pointer
// from its own thread; each call runs on this JS thread and its return value goes back to the
// producer, which checks it.
//
//   node scripts/ensure-built.js && node --import tsx examples/threads.ts
import { BareFn, sig, t } from '../index.js';
import { expectedOnThread, runThreads } from '../__test__/helpers/testlib.js';

const CALLS = 200_000;

async function main(): Promise<void> {
  let consumed = 0;
  // (producer thread index, sequence number) -> acknowledgement the producer verifies
  using consumer = new BareFn(
    sig(t.i32, [t.i32, t.i32]),
    (producer, seq) => {
      consumed++;
      return expectedOnThread(producer, seq);
    },
    { threading: 'blocking', timeoutMs: 1000, fallback: -1 },
  );

  for (const producers of [1, 4]) {
    consumed = 0;
    const result = await runThreads(consumer.address, producers, CALLS / producers, 'i32');
    if (result.wrong !== 0 || result.fallback !== 0 || consumed !== CALLS) {
      throw new Error(`lost or wrong calls: ${JSON.stringify(result)}, consumed ${consumed}`);
    }
    const perSecond = CALLS / (result.ms / 1000);
    console.log(
      `${producers} producer thread(s): ${CALLS.toLocaleString('en')} blocking round trips in ${result.ms.toFixed(0)} ms ` +
        `= ${Math.round(perSecond).toLocaleString('en')}/s (${((result.ms * 1000) / CALLS).toFixed(2)} µs each), all acknowledged`,
    );
  }
}

void main();
