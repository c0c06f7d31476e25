// A 'blocking' BareFn whose callback returns a Promise, called from native threads (testlib's
// tl_spawn_*, real threads calling the pointer and checking each result): the caller waits until
// the Promise settles and gets its value, converted like a returned one; a rejection or a value
// that does not fit gives it the fallback and is reported; settleTimeoutMs bounds the wait.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';

import test from 'ava';

import { BareFn, type ErrorInfo, Library, memory, sig, t } from '../src/index.js';

import { callOnThread, expectedOnThread, expectedTextOnThread, join, lib, pointOnThread, runThreads, testlibPath } from './helpers/testlib.js';
import { glibc } from './helpers/platform.js';

const Point = t.struct({ x: t.f64, y: t.f64 });

/** Errors reported to onError, as "kind: message". */
function recorder() {
  const seen: string[] = [];
  const onError = (error: unknown, info: ErrorInfo) => void seen.push(`${info.kind}: ${(error as Error).message}`);
  return { seen, onError };
}
const turn = () => new Promise((resolve) => setImmediate(resolve));

test('threads get the values their callbacks resolve to, after the callbacks returned', async (tt) => {
  let returned = 0;
  let resolved = 0;
  using awaited = new BareFn(
    sig(t.i32, [t.i32, t.i32]),
    async (th, i) => {
      returned++;
      await turn(); // the callback has returned its Promise; the value comes a loop turn later
      resolved++;
      return expectedOnThread(th, i);
    },
    { threading: 'blocking' },
  );
  const result = await runThreads(awaited.address, 4, 40, 'i32');
  tt.like(result, { right: 160, fallback: 0, wrong: 0 });
  tt.is(returned, 160);
  tt.is(resolved, 160);
});

test('C strings and structs resolved by a Promise reach the threads', async (tt) => {
  using text = new BareFn(sig(t.cstring, [t.i32, t.i32]), async (th, i) => {
    await turn();
    return expectedTextOnThread(th, i);
  }, { threading: 'blocking' });
  tt.like(await runThreads(text.address, 2, 30, 'cstring'), { right: 60, fallback: 0, wrong: 0 });

  using moved = new BareFn(sig(Point, [Point, t.i32]), async (p, n) => {
    await turn();
    return { x: p.y, y: p.x - n };
  }, { threading: 'blocking' });
  tt.like(await runThreads(moved.address, 2, 30, 'point'), { right: 60, fallback: 0, wrong: 0 });
  tt.deepEqual(pointOnThread(1, 2).ret, { x: 2.5, y: -1 }, 'the rule the C threads check');
});

test('a rejection gives the caller the fallback and is reported as a throw', async (tt) => {
  const { seen, onError } = recorder();
  using halfRejected = new BareFn(
    sig(t.i32, [t.i32, t.i32]),
    async (th, i) => {
      await turn();
      if (i % 2 === 1) throw new RangeError(`odd call ${th}/${i}`);
      return expectedOnThread(th, i);
    },
    { threading: 'blocking', fallback: -1, onError },
  );
  tt.like(await runThreads(halfRejected.address, 1, 6, 'i32'), { right: 3, fallback: 3, wrong: 0 });
  await turn();
  tt.deepEqual(seen, ['threw: odd call 0/1', 'threw: odd call 0/3', 'threw: odd call 0/5']);
});

test("a resolved value that does not fit is 'bad-return', the caller gets the fallback", async (tt) => {
  const { seen, onError } = recorder();
  using wrong = new BareFn(sig(t.i32, [t.i32, t.i32]), (async () => 'seven') as never, { threading: 'blocking', fallback: -1, onError });
  tt.like(await runThreads(wrong.address, 1, 2, 'i32'), { right: 0, fallback: 2, wrong: 0 });
  await turn();
  tt.is(seen.length, 2);
  tt.is(seen[0], 'bad-return: BareFn (i32, i32) -> i32 returned a Promise whose value does not fit: expected a number (i32), got "seven"');

  using badPoint = new BareFn(sig(Point, [Point, t.i32]), (async () => ({ x: 1 })) as never, { threading: 'blocking', onError });
  tt.like(await runThreads(badPoint.address, 1, 1, 'point'), { right: 0, fallback: 1, wrong: 0 }, 'zeros: the struct fallback');
  await turn();
  tt.regex(seen[2]!, /^bad-return: .*\by\b/, 'names the missing field');
});

test('a thenable is awaited like a Promise', async (tt) => {
  using thenable = new BareFn(
    sig(t.i32, [t.i32, t.i32]),
    ((th: number, i: number) => ({ then: (resolve: (v: number) => void) => setImmediate(() => resolve(expectedOnThread(th, i))) })) as never,
    { threading: 'blocking' },
  );
  tt.like(await runThreads(thenable.address, 2, 10, 'i32'), { right: 20, fallback: 0, wrong: 0 });
});

test("a Promise that does not settle within settleTimeoutMs leaves the caller with the fallback and a 'timeout' report", async (tt) => {
  const { seen, onError } = recorder();
  const never = new Promise<number>(() => {});
  using stuck = new BareFn(sig(t.i32, [t.i32, t.i32]), () => never, { threading: 'blocking', settleTimeoutMs: 50, fallback: -1, onError });
  tt.like(await runThreads(stuck.address, 2, 2, 'i32'), { right: 0, fallback: 4, wrong: 0 });
  await turn();
  tt.true(seen.length >= 1, 'reported (reports of one BareFn from other threads are coalesced)');
  tt.regex(seen[0]!, /^timeout: BareFn \(i32, i32\) -> i32 called from thread \d+: the Promise its callback returned did not settle within 50 ms \(settleTimeoutMs\); the caller got the fallback/);
});

// Serial, and with seconds of margin for the owning thread to take the call: this file's other
// tests keep the same JS thread busy, and the suite must pass with every CPU loaded and under
// qemu (where 100 ms was not enough).
test.serial('the take timeout does not cut short a Promise that settles within settleTimeoutMs', async (tt) => {
  const { seen, onError } = recorder();
  using slow = new BareFn(
    sig(t.i32, [t.i32, t.i32]),
    async (th, i) => {
      await sleep(3500);
      return expectedOnThread(th, i);
    },
    { threading: 'blocking', timeoutMs: 3000, settleTimeoutMs: 60_000, fallback: -1, onError },
  );
  tt.like(await runThreads(slow.address, 1, 1, 'i32'), { right: 1, fallback: 0, wrong: 0 });
  tt.deepEqual(seen, []);
});

test('an async callback called while JS is blocked in the native call joining its caller: the take timeout, no hang', async (tt) => {
  // callOnThread joins its thread: the JS thread is blocked in it and can run nothing queued, so
  // the caller gets the fallback when timeoutMs runs out (before any Promise exists).
  const { seen, onError } = recorder();
  using blocked = new BareFn(sig(t.i32, [t.i32, t.i32]), async (a, b) => a + b, { threading: 'blocking', timeoutMs: 20, fallback: -1, onError });
  tt.is(callOnThread(blocked.address, 2, 3), -1);
  for (let i = 0; i < 10 && seen.length === 0; i++) await turn();
  tt.regex(seen[0] ?? '', /^timeout: .* did not take the call within 20 ms/);
});

test("settleTimeoutMs is checked like timeoutMs and only for 'blocking'", (tt) => {
  const signature = sig(t.i32, [t.i32, t.i32]);
  tt.throws(() => new BareFn(signature, () => 0, { threading: 'blocking', settleTimeoutMs: -1 }), {
    instanceOf: RangeError,
    message: 'new BareFn: options.settleTimeoutMs must be a number >= 0 or Infinity; got -1',
  });
  tt.throws(() => new BareFn(signature, () => 0, { settleTimeoutMs: 10 } as never), {
    instanceOf: TypeError,
    message: "new BareFn: options.settleTimeoutMs is only for threading 'blocking'; this one is \"local\"",
  });
  using unbounded = new BareFn(signature, () => 0, { threading: 'blocking', settleTimeoutMs: Infinity });
  tt.is(unbounded.threading, 'blocking');
});

test("an async call's C function waits for a 'blocking' callback's Promise; its rejection rejects the async call with the C result", async (tt) => {
  const callI32 = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));
  const I32x2 = sig(t.i32, [t.i32, t.i32]);
  using adding = new BareFn(I32x2, async (a, b) => {
    await sleep(20);
    return a + b;
  }, { threading: 'blocking' });
  tt.is(await callI32.async(adding.address, 20, 22), 42);
  using rejecting = new BareFn(I32x2, async () => {
    await turn();
    throw new RangeError('rejected in JS');
  }, { threading: 'blocking', fallback: -7 });
  const error = await tt.throwsAsync(callI32.async(rejecting.address, 1, 2), { instanceOf: RangeError, message: 'rejected in JS' });
  tt.is((error as Error & { returnValue?: unknown }).returnValue, -7, "the C function's result: the fallback it got");
});

test('a Promise collected without settling gives the waiting caller the fallback at once, not after settleTimeoutMs', async (tt) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const { seen, onError } = recorder();
  // Nothing keeps the Promise once the callback returned it: nothing can settle it.
  using forgotten = new BareFn(sig(t.i32, [t.i32, t.i32]), () => new Promise<number>(() => {}), { threading: 'blocking', settleTimeoutMs: 60_000, fallback: -1, onError });
  const collecting = setInterval(gc, 20);
  try {
    tt.like(await runThreads(forgotten.address, 1, 2, 'i32'), { right: 0, fallback: 2, wrong: 0 });
  } finally {
    clearInterval(collecting);
  }
  for (let i = 0; i < 10 && seen.length === 0; i++) await turn();
  tt.regex(seen[0] ?? '', /^timeout: BareFn \(i32, i32\) -> i32: the Promise its callback returned to a call from another thread was garbage-collected without settling; the caller got the fallback/);
});

// GLib's thread pool, as an Electron app would use it: its worker threads call a 'blocking'
// BareFn whose callback is async, and g_thread_pool_free(pool, FALSE, TRUE), which waits for
// every task, runs through .async so that this thread is free to run them. (Linux x64, where
// GLib is part of the system this suite runs on.)
const onLinuxX64 = glibc && process.arch === 'x64' ? test : undefined;
onLinuxX64?.("GLib's pool threads wait for async callbacks; g_thread_pool_free(.., TRUE) through .async returns after the last one settled", async (tt) => {
  using glib = Library.open('libglib-2.0.so.0');
  // GLib's own declarations (gtypes.h, gthreadpool.h), read by lib.cdef.
  const g = glib.cdef(`
    typedef void *gpointer;
    typedef int gint;
    typedef gint gboolean;
    typedef struct _GError GError;
    typedef struct _GThreadPool GThreadPool;
    typedef void (*GFunc)(gpointer data, gpointer user_data);
    GThreadPool *g_thread_pool_new(GFunc func, gpointer user_data, gint max_threads, gboolean exclusive, GError **error);
    gboolean g_thread_pool_push(GThreadPool *pool, gpointer data, GError **error);
    void g_thread_pool_free(GThreadPool *pool, gboolean immediate, gboolean wait_);
  `);
  const done: number[] = [];
  using task = new BareFn(g.GFunc, async (data) => {
    await sleep(5);
    done.push(Number(data));
  }, { threading: 'blocking' });
  const pool = g.g_thread_pool_new(task, null, 3, 0, null);
  for (let i = 1; i <= 12; i++) tt.is(g.g_thread_pool_push(pool, BigInt(i), null), 1);
  await g.g_thread_pool_free.async(pool, 0, 1);
  // Had a thread not waited for its task's Promise, the pool would have ended before the sleeps.
  tt.deepEqual([...done].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
});

test('pthreads calling a blocking BareFn while .async joins them: the JS thread runs every call', async (tt) => {
  const spawn = lib.fn('tl_spawn_i32', sig(t.pointer, [t.pointer, t.u32, t.u32, t.i32]));
  const joinJob = lib.fn('tl_job_join', sig(t.u64, [t.pointer, t.pointer]));
  let sum = 0;
  using adding = new BareFn(sig(t.i32, [t.i32, t.i32]), (th, i) => {
    sum += i;
    return expectedOnThread(th, i);
  }, { threading: 'blocking' });
  const counts = new BigUint64Array(3);
  // The join runs on a pool thread; this one stays free to run the threads' calls.
  await joinJob.async(spawn(adding.address, 4, 250, -1), memory.addressOf(counts));
  tt.deepEqual([...counts], [1000n, 0n, 0n], 'right, fallback, wrong');
  tt.is(sum, 4 * ((249 * 250) / 2));
});

test('a worker terminated while C threads wait for its callbacks\' Promises: the threads get the fallback, nothing crashes', async (tt) => {
  const worker = new Worker(
    `require('tsx/cjs');
    const { BareFn, Library, sig, t } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'index.ts'))});
    const { parentPort } = require('node:worker_threads');
    const lib = Library.open(${JSON.stringify(testlibPath)});
    let entered = 0;
    const pending = new BareFn(sig(t.i32, [t.i32, t.i32]), async () => {
      if (++entered === 2) parentPort.postMessage('entered');
      return new Promise(() => {});
    }, { threading: 'blocking', settleTimeoutMs: Infinity, fallback: -1, ref: true });
    parentPort.postMessage(lib.fn('tl_spawn_i32', sig(t.pointer, [t.pointer, t.u32, t.u32, t.i32]))(pending.address, 2, 1, -1));`,
    { eval: true },
  );
  const messages: unknown[] = [];
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (message) => {
      messages.push(message);
      if (messages.length === 2) resolve();
    });
    worker.once('error', reject);
  });
  const [job, entered] = messages;
  tt.is(entered, 'entered', 'both threads wait for a Promise');
  tt.is(await worker.terminate(), 1);
  // Both threads stop waiting once the worker's env is gone (they poll for it).
  tt.like(join(job as bigint), { right: 0, fallback: 2, wrong: 0 });
});
