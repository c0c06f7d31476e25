// Worker of lifetime.test.ts: a BareFn of this thread disposes itself inside its own call, then
// waits there while the main thread pushes its thunk out of the (process-wide) quarantine and
// allocates. Posts the call's result. workerData.flags: [0] set here once inside the call, [1] set
// by the main thread when done.
import { parentPort, workerData } from 'node:worker_threads';

import { BareFn, sig, t } from '../../src/index.js';
import { lib } from './testlib.js';

const { flags } = workerData as { flags: Int32Array };
const call = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));
const self: BareFn<ReturnType<typeof sig<typeof t.i32, [typeof t.i32, typeof t.i32]>>> = new BareFn(sig(t.i32, [t.i32, t.i32]), (a, b) => {
  self.dispose();
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  Atomics.wait(flags, 1, 0, 10_000);
  return a * b;
});
parentPort!.postMessage(call(self.address, 6, 7));
