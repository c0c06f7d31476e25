// When the JS thread that owns BareFns goes away (worker terminated, process exiting), native
// calls to them get the fallback: no crash, no hang.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import test from 'ava';

import { sig, t } from '../index.js';
import { callOnThread, lib, runThreads } from './helpers/testlib.js';

const callI32 = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));
const callVoid = lib.fn('tl_call_void_u32_f64', sig(t.u32, [t.pointer, t.u32, t.f64]));

test('BareFns of a terminated worker return their fallback to native callers on any thread', async (tt) => {
  const script = path.join(__dirname, 'helpers', 'worker-owner.ts');
  const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(script)});`, { eval: true });
  const addresses = await new Promise<{ local: bigint; blocking: bigint; nonblocking: bigint }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const alive = await runThreads(addresses.blocking, 2, 1000, 'i32', -22);
  tt.is(alive.right, 2000, "while the worker lives, other threads' calls run on the worker's thread");
  await worker.terminate();
  tt.is(callI32(addresses.local, 1, 2), -11, 'local, from the main thread');
  tt.is(callOnThread(addresses.local, 1, 2), -11, 'local, from another thread');
  tt.is(callI32(addresses.blocking, 1, 2), -22, 'blocking, from the main thread');
  // timeoutMs is Infinity: a caller waiting for a worker that is gone would never return.
  tt.is(callOnThread(addresses.blocking, 1, 2), -22, 'blocking (timeoutMs: Infinity), from another thread');
  tt.is(callVoid(addresses.nonblocking, 1, 2), 1, 'nonblocking, from the main thread');
});

test('the process exits normally while native threads are calling BareFns of every mode', (tt) => {
  const script = path.join(__dirname, 'helpers', 'exit-while-calling.ts');
  // stderr is piped: the BareFns there are never disposed and are reported as leaks once collected.
  // The timeout only turns a hang into a failure: the process exits in well under a second here
  // (0.5 s; it took 2 s and 420 MB when each queued call refused at exit was reported, and did
  // not exit while the flood lasted when one event-loop turn ran the whole queue).
  const out = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  tt.is(out.trim(), 'calls before exit: some');
});

test('BareFns registered as C exit handlers answer with their fallback on every exit path, with the exit code asked for', (tt) => {
  const script = path.join(__dirname, 'helpers', 'exit-handler.ts');
  const run = (mode: string) => spawnSync(process.execPath, ['--import', 'tsx', script, mode], { encoding: 'utf8' });
  for (const [mode, code] of [['end', 0], ['exit', 3]] as const) {
    const out = run(mode);
    tt.deepEqual([out.status, out.signal, out.stdout, out.stderr], [code, null, '', ''], mode);
  }
  const thrown = run('throw');
  tt.deepEqual([thrown.status, thrown.signal, thrown.stdout], [1, null, ''], 'throw');
  tt.true(thrown.stderr.includes('Error: uncaught on purpose'), thrown.stderr);
  tt.false(/panicked|Segmentation|Aborted/.test(thrown.stderr), thrown.stderr);
});
