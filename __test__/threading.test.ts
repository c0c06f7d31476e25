// Threading modes with real threads spawned by testlib: 'blocking' and 'nonblocking' calls from
// other threads, 'local' refusal, the deadlock that must end in a timeout, dispose under fire.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import test from 'ava';

import { BareFn, type ErrorInfo, sig, t } from '../src/index.js';
import { callOnThread, expectedOnThread, expectedTextOnThread, lib, runThreads, runThreadsBlocking, wideArgs } from './helpers/testlib.js';

const I32x2 = sig(t.i32, [t.i32, t.i32]);
const callI32 = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));
const callVoid = lib.fn('tl_call_void_u32_f64', sig(t.u32, [t.pointer, t.u32, t.f64]));
const Void2 = sig(t.void, [t.i32, t.i32]);

/**
 * Resolves with the first error onError receives. Its timer also keeps the event loop alive
 * meanwhile: a report queued from another thread does not do that by itself (README, Threading).
 */
function errorCatcher(): { onError: (e: unknown, info: ErrorInfo) => void; next: Promise<[Error, ErrorInfo]> } {
  let resolve!: (v: [Error, ErrorInfo]) => void;
  let timer: NodeJS.Timeout | undefined;
  const next = new Promise<[Error, ErrorInfo]>((r, reject) => {
    resolve = r;
    timer = setTimeout(() => reject(new Error('onError was not called within 5 s')), 5000);
  });
  return { onError: (e, info) => (clearTimeout(timer), resolve([e as Error, info])), next };
}

test.serial('blocking: 8 threads x 10,000 calls, every result right', async (tt) => {
  let calls = 0;
  using cb = new BareFn(I32x2, (th, i) => (calls++, expectedOnThread(th, i)), { threading: 'blocking', fallback: -1 });
  const result = await runThreads(cb.address, 8, 10_000, 'i32');
  tt.deepEqual({ right: result.right, fallback: result.fallback, wrong: result.wrong }, { right: 80_000, fallback: 0, wrong: 0 });
  tt.is(calls, 80_000);
});

test.serial('blocking: 64-bit arguments from 4 threads arrive exact (they pass through the argument buffer)', async (tt) => {
  const W = sig(t.u64, [t.u64, t.i64]);
  const seen: [bigint, bigint][] = [];
  using cb = new BareFn(W, (a, b) => (seen.length < 3 && seen.push([a, b]), a ^ BigInt.asUintN(64, b)), { threading: 'blocking', fallback: 1n });
  const result = await runThreads(cb.address, 4, 2_000, 'wide', 1);
  tt.deepEqual({ right: result.right, fallback: result.fallback, wrong: result.wrong }, { right: 8_000, fallback: 0, wrong: 0 });
  // The values themselves, not only what the callback made of them: (t, i) is in the first.
  for (const [a, b] of seen) tt.deepEqual([a, b], wideArgs(Number((a >> 32n) & 0xffffn), Number(a & 0xffff_ffffn)));
  tt.is(seen.length, 3);
});

test.serial('nonblocking: 8 threads x 10,000 calls, all delivered, in order per thread', async (tt) => {
  const next = new Array<number>(8).fill(0);
  let outOfOrder = 0;
  let delivered = 0;
  let allDelivered!: () => void;
  const done = new Promise<void>((r) => (allDelivered = r));
  using cb = new BareFn(
    Void2,
    (th, i) => {
      if (next[th] !== i) outOfOrder++;
      next[th] = i + 1;
      if (++delivered === 80_000) allDelivered();
    },
    // Calls still queued do not keep the event loop alive on their own: ref does, until dispose.
    { threading: 'nonblocking', ref: true },
  );
  const result = await runThreads(cb.address, 8, 10_000, 'void');
  tt.is(result.right, 80_000, 'every thread made its calls');
  await done;
  tt.is(delivered, 80_000);
  tt.is(outOfOrder, 0);
  tt.deepEqual(next, new Array(8).fill(10_000));
});

test.serial('blocking: a cstring returned to each of 4 threads stays valid until that thread calls again', async (tt) => {
  using cb = new BareFn(sig(t.cstring, [t.i32, t.i32]), expectedTextOnThread, { threading: 'blocking' });
  const result = await runThreads(cb.address, 4, 5_000, 'cstring');
  tt.deepEqual([result.right, result.fallback, result.wrong], [20_000, 0, 0]);
});

test.serial('blocking: calls that time out while JS is busy leave nothing queued behind them', async (tt) => {
  const errors: ErrorInfo['kind'][] = [];
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve)); // delivered, or dropped
  using slow = new BareFn(I32x2, expectedOnThread, { threading: 'blocking', timeoutMs: 1, fallback: -1, onError: (_e, info) => void errors.push(info.kind) });
  const delivered: number[] = [];
  const sinkError = (_e: unknown, info: ErrorInfo) => {
    errors.push(info.kind);
    settle();
  };
  using sink = new BareFn(Void2, (_th, i) => (delivered.push(i), settle()), { threading: 'nonblocking', ref: true, onError: sinkError });
  const limit = BareFn.queueLimit;
  BareFn.queueLimit = 100;
  try {
    // The JS thread waits in the join: every one of the 1,200 calls times out after 1 ms. Each
    // left a job in the queue before, far over the limit of 100.
    const storm = runThreadsBlocking(slow.address, 4, 300, 'i32');
    tt.deepEqual([storm.right, storm.fallback, storm.wrong], [0, 1200, 0]);
    // Still before the event loop ran: a nonblocking call finds room in the queue.
    tt.is(runThreadsBlocking(sink.address, 1, 1, 'void').right, 1);
  } finally {
    BareFn.queueLimit = limit;
  }
  await settled;
  tt.deepEqual(delivered, [0], 'the nonblocking call was queued, not dropped');
  tt.deepEqual([...new Set(errors)], ['timeout'], 'only the timeouts were reported');
});

test.serial('nonblocking: a long queue runs a few batches per event-loop turn, so timers and immediates are not starved', async (tt) => {
  const QUEUED = 50_000;
  let calls = 0;
  let callsWhenImmediateRan = -1;
  let allDelivered!: () => void;
  const done = new Promise<void>((resolve) => (allDelivered = resolve));
  using cb = new BareFn(
    Void2,
    () => {
      if (++calls === 1) setImmediate(() => (callsWhenImmediateRan = calls));
      if (calls === QUEUED) allDelivered();
    },
    { threading: 'nonblocking', ref: true },
  );
  // The JS thread waits in the join while the thread queues every call: then they all wait.
  tt.is(runThreadsBlocking(cb.address, 1, QUEUED, 'void').right, QUEUED);
  await done;
  // Batches are 1,024 calls; a turn runs at most two before the immediates (one woke up through
  // each of the env's two threadsafe functions). Through one function, Node-API ran a whole
  // queue of up to a million calls in one callback, and the immediate saw them all.
  tt.true(callsWhenImmediateRan > 0 && callsWhenImmediateRan <= 2 * 1024, `the immediate ran after ${callsWhenImmediateRan} calls`);
});

test.serial('nonblocking: calls that find the queue full are dropped and reported once, not queued without bound', async (tt) => {
  tt.throws(() => (BareFn.queueLimit = 0), { instanceOf: RangeError, message: 'BareFn.queueLimit must be an integer from 1 to 2147483647; got 0' });
  tt.is(BareFn.queueLimit, 1_048_576);
  const delivered: number[] = [];
  const errors: [string, ErrorInfo][] = [];
  using cb = new BareFn(Void2, (_th, i) => void delivered.push(i), {
    threading: 'nonblocking',
    onError: (e, info) => void errors.push([(e as Error).message, info]),
  });
  const limit = BareFn.queueLimit;
  BareFn.queueLimit = 100;
  try {
    // The JS thread waits in the join while the thread makes 10,000 calls: nothing drains the
    // queue, so it fills up to the limit and the rest are dropped.
    runThreadsBlocking(cb.address, 1, 10_000, 'void');
  } finally {
    BareFn.queueLimit = limit;
  }
  await new Promise((r) => setTimeout(r, 50));
  tt.deepEqual(delivered, Array.from({ length: 100 }, (_, i) => i), 'the first calls, up to the limit');
  tt.is(errors.length, 1);
  const [message, info] = errors[0]!;
  tt.is(info.kind, 'queue-full');
  const match = /^BareFn \(i32, i32\) -> void called from thread \d+: the queue to thread \d+ is full \(100 calls waiting, BareFn.queueLimit\), so the call was dropped \((\d+) more errors of this BareFn on other threads were not reported separately\)$/.exec(message);
  tt.truthy(match, message);
  tt.is(delivered.length + 1 + Number(match![1]), 10_000, 'every call was either run or counted as dropped');
});

test.serial('blocking and nonblocking BareFns called on the owning thread run synchronously', (tt) => {
  const seen: number[] = [];
  using sink = new BareFn(sig(t.void, [t.u32, t.f64]), (a, b) => void seen.push(a, b), { threading: 'nonblocking' });
  using add = new BareFn(I32x2, (a, b) => a + b, { threading: 'blocking' });
  tt.is(callI32(add.address, 1, 2), 3);
  tt.is(callVoid(sink.address, 7, 0.5), 1);
  tt.deepEqual(seen, [7, 0.5], 'delivered before the native call returned');
});

test.serial("local: a call from another thread is refused with the fallback and reported as 'wrong-thread'", async (tt) => {
  const errors = errorCatcher();
  let calls = 0;
  using cb = new BareFn(I32x2, () => ++calls, { fallback: -7, onError: errors.onError });
  tt.is(callOnThread(cb.address, 1, 2), -7);
  const [error, info] = await errors.next;
  tt.is(calls, 0, 'no JS ran for the refused call');
  tt.deepEqual(info, { signature: '(i32, i32) -> i32', kind: 'wrong-thread' });
  tt.regex(error.message, /^BareFn \(i32, i32\) -> i32 called from thread \d+; it is 'local' to thread \d+$/);
  const [, from, owner] = /thread (\d+); .* thread (\d+)/.exec(error.message)!;
  tt.not(from, owner);
  if (process.platform === 'linux') tt.is(Number(owner), process.pid, 'the main JS thread is the process id on Linux');
  else tt.true(Number(owner) > 0, 'an OS thread id');
});

test.serial('blocking: the JS thread blocked waiting for the calling thread ends in the timeout error, not a hang', async (tt) => {
  const errors = errorCatcher();
  let calls = 0;
  using cb = new BareFn(I32x2, () => ++calls, { threading: 'blocking', timeoutMs: 300, fallback: -9, onError: errors.onError });
  const start = performance.now();
  // callOnThread blocks this thread until its thread's call returns: the call cannot run here.
  tt.is(callOnThread(cb.address, 1, 2), -9);
  const elapsed = performance.now() - start;
  tt.true(elapsed >= 300 && elapsed < 300 + 2000, `returned after ${elapsed.toFixed(0)} ms`);
  const [error, info] = await errors.next;
  tt.is(info.kind, 'timeout');
  tt.regex(error.message, /did not take the call within 300 ms \(busy, or blocked waiting for the calling thread\); the caller got the fallback$/);
  await new Promise((r) => setTimeout(r, 20));
  tt.is(calls, 0, 'the abandoned call never runs');
});

test.serial('dispose while other threads are calling: each call gets the right value or the fallback', async (tt) => {
  let calls = 0;
  const afterDispose: string[] = [];
  const cb = new BareFn(I32x2, (th, i) => (calls++, expectedOnThread(th, i)), {
    threading: 'blocking',
    fallback: -1,
    onError: (e, info) => afterDispose.push(info.kind),
  });
  const running = runThreads(cb.address, 4, 20_000, 'i32');
  while (calls < 2_000) await new Promise((r) => setImmediate(r));
  cb.dispose();
  const result = await running;
  tt.is(result.wrong, 0);
  tt.is(result.right + result.fallback, 80_000);
  tt.true(result.right >= 2_000 && result.fallback > 0, `${result.right} right, ${result.fallback} fallback`);
  await new Promise((r) => setTimeout(r, 20));
  tt.true(afterDispose.length > 0 && afterDispose.every((k) => k === 'after-dispose'));
});

test.serial('re-entrancy: a blocking BareFn called while its own callback runs, on the owning thread', (tt) => {
  const fib: BareFn<typeof I32x2, 'blocking'> = new BareFn(I32x2, (n) => (n < 2 ? n : callI32(fib.address, n - 1, 0) + callI32(fib.address, n - 2, 0)), {
    threading: 'blocking',
  });
  tt.is(callI32(fib.address, 15, 0), 610);
  fib.dispose();
});

test.serial('a foreign thread calling a local BareFn in a loop gets coalesced reports, not one per call', async (tt) => {
  const reports: string[] = [];
  using cb = new BareFn(I32x2, () => 1, { fallback: -1, onError: (e) => void reports.push((e as Error).message) });
  const result = await runThreads(cb.address, 1, 100_000, 'i32');
  tt.is(result.fallback, 100_000, 'every call was refused with the fallback');
  // One more refused call carries any count that arrived while the last report was delivered.
  tt.is(callOnThread(cb.address, 1, 2), -1);
  const counted = () => reports.reduce((sum, message) => sum + 1 + Number(/\((\d+) more errors/.exec(message)?.[1] ?? 0), 0);
  const deadline = Date.now() + 5000;
  while (counted() < 100_001 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  tt.is(counted(), 100_001, 'every refused call is accounted for');
  tt.regex(reports[0]!, /^BareFn \(i32, i32\) -> i32 called from thread \d+; it is 'local' to thread \d+/);

  // While the owning thread is busy (here waiting in the join), all of them make one report.
  reports.length = 0;
  tt.is(runThreadsBlocking(cb.address, 1, 100_000, 'i32').fallback, 100_000);
  await new Promise((r) => setTimeout(r, 20));
  tt.is(reports.length, 1);
  tt.regex(reports[0]!, /\(99999 more errors of this BareFn on other threads were not reported separately\)$/);
});

test('examples/threads.ts: the C library\'s threads run a blocking BareFn as their start routine and get its results', (tt) => {
  const script = path.join(__dirname, '..', 'examples', 'threads.ts');
  const result = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' });
  tt.is(result.stderr, '');
  tt.is(result.stdout, '64 native threads each called the BareFn once: 64 distinct inputs, results all right\nsum of squares: 89440\n');
  tt.is(result.status, 0);
});
