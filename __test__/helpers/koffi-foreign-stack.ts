// Child process of koffi.test.ts: a BareFn called synchronously inside a koffi call, on the main
// thread, or (argument `workers N`) in N workers one after another, each of which then ends and is
// torn down (koffi's stack is several MiB from a worker's, where a fixed window missed it and
// teardown aborted the process in about half the runs).
import { isMainThread, Worker } from 'node:worker_threads';

import koffi from 'koffi';

import { BareFn, sig, t } from '../../src/index.js';
import { lib, testlibPath } from './testlib.js';

async function inWorkers(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)});`, { eval: true });
    const code = await new Promise<number>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', resolve);
    });
    console.log(`worker ${i} exit ${code}`);
  }
}

function refusedInsideKoffi(): void {
  let calls = 0;
  // The report arrives through the event loop: this thread stays up until it has (a fixed 50 ms
  // was too short under qemu), or says it never came.
  const waiting = setTimeout(() => {
    console.log('no report within 20 s');
    add.dispose();
  }, 20_000);
  const add = new BareFn(sig(t.i32, [t.i32, t.i32]), (a, b) => (calls++, a + b), {
    fallback: -1,
    onError: (error, info) => {
      console.log(`onError ${info.kind}: ${(error as Error).message}`);
      clearTimeout(waiting);
      add.dispose();
    },
  });
  const kcall = koffi.load(testlibPath).func('int32_t tl_call_i32_i32_i32(void *cb, int32_t, int32_t)');
  const viaKoffi = kcall(add.address, 1, 2);
  const viaBareFn = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]))(add.address, 1, 2);
  console.log(`fallback ${viaKoffi}, callback calls ${calls - 1}, direct call ${viaBareFn}`);
}

if (isMainThread && process.argv[2] === 'workers') void inWorkers(Number(process.argv[3]));
else refusedInsideKoffi();
