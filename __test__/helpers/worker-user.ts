// A worker that loads bare-fn, makes BareFns and has native code call them, from its own thread
// and from testlib threads, then reports (electron.test.ts runs several at once).
import { parentPort, workerData } from 'node:worker_threads';

import { BareFn, memory, sig, t } from '../../src/index.js';
import { expectedOnThread, lib, runThreads } from './testlib.js';

const callI32 = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));

async function main(): Promise<void> {
  const id = workerData as number;
  using local = new BareFn(sig(t.i32, [t.i32, t.i32]), (a, b) => a * b + id);
  using blocking = new BareFn(sig(t.i32, [t.i32, t.i32]), expectedOnThread, { threading: 'blocking' });
  const direct = callI32(local.address, 6, 7);
  const threads = await runThreads(blocking.address, 2, 500, 'i32');
  const cell = new Float64Array(1);
  memory.write(t.f64, memory.addressOf(cell), id + 0.5);
  parentPort!.postMessage({ id, direct, right: threads.right, readBack: memory.read(t.f64, memory.addressOf(cell)) });
  // Stay alive until terminated, with a live BareFn that other threads could still call.
  setInterval(() => {}, 1000);
}
void main();
