// Lifetime: use after dispose (the quarantine's tombstones), leaks of undisposed BareFns,
// BareFn.live(), and where errors go when no JS -> native call is on the stack.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import test from 'ava';

import { BareFn, type ErrorInfo, sig, t } from '../src/index.js';
import { callOnThread, lib } from './helpers/testlib.js';

const I32x2 = sig(t.i32, [t.i32, t.i32]);
const callI32 = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));

function collectErrors(): { onError: (e: unknown, info: ErrorInfo) => void; seen: [string, ErrorInfo][] } {
  const seen: [string, ErrorInfo][] = [];
  return { onError: (e, info) => void seen.push([(e as Error).message, info]), seen };
}

const until = async (condition: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

test.serial('a disposed BareFn answers native calls with the fallback, on the owning thread and on another thread', async (tt) => {
  const errors = collectErrors();
  let calls = 0;
  for (const threading of ['local', 'blocking'] as const) {
    const cb = new BareFn(I32x2, () => ++calls, { threading, fallback: -5, onError: errors.onError } as never);
    const address = cb.address;
    cb.dispose();
    tt.throws(() => cb.address, { instanceOf: TypeError, message: 'BareFn (i32, i32) -> i32: address read after dispose' });
    tt.is(callI32(address, 1, 2), -5, `${threading}: owning thread`);
    tt.is(callOnThread(address, 1, 2), -5, `${threading}: another thread`);
  }
  await until(() => errors.seen.length === 4, 'four reports');
  tt.is(calls, 0);
  for (const [message, info] of errors.seen) {
    tt.is(message, 'BareFn (i32, i32) -> i32 called after dispose');
    tt.deepEqual(info, { signature: '(i32, i32) -> i32', kind: 'after-dispose' });
  }
});

test.serial('without onError, a call after dispose is rethrown from the native call on the stack', (tt) => {
  const cb = new BareFn(I32x2, () => 1);
  const address = cb.address;
  cb.dispose();
  tt.throws(() => callI32(address, 1, 2), { instanceOf: Error, message: 'BareFn (i32, i32) -> i32 called after dispose' });
});

test.serial('the quarantine bound is configurable and checked', (tt) => {
  const before = BareFn.quarantine;
  tt.is(before, 4096);
  try {
    BareFn.quarantine = 2;
    tt.is(BareFn.quarantine, 2);
    // Within the bound, the tombstones still answer.
    const addresses = [0, 1].map(() => {
      const cb = new BareFn(I32x2, () => 1, { fallback: -3, onError: () => {} });
      const address = cb.address;
      cb.dispose();
      return address;
    });
    for (const address of addresses) tt.is(callI32(address, 0, 0), -3);
    tt.throws(() => (BareFn.quarantine = -1), { instanceOf: RangeError, message: 'BareFn.quarantine must be an integer from 0 to 10000000; got -1' });
    tt.throws(() => (BareFn.quarantine = 1.5), { instanceOf: RangeError, message: /got 1.5$/ });
  } finally {
    BareFn.quarantine = before;
  }
});

test.serial('with a quarantine of 0, a callback may dispose its own BareFn and others while it runs', (tt) => {
  const before = BareFn.quarantine;
  BareFn.quarantine = 0;
  try {
    const others = Array.from({ length: 3 }, () => new BareFn(I32x2, () => 0));
    let made: { dispose(): void }[] = [];
    const self: BareFn<typeof I32x2> = new BareFn(I32x2, (a, b) => {
      self.dispose();
      for (const other of others) other.dispose();
      // New BareFns take the thunks and the memory just given up: a handler freed under this
      // call would now be one of theirs.
      made = Array.from({ length: 8 }, () => new BareFn(sig(t.f64, [t.f64]), () => 0.5, { fallback: 9 }));
      return a * b;
    });
    tt.is(callI32(self.address, 6, 7), 42, 'the result of the call that disposed its own BareFn');
    for (const bareFn of made) bareFn.dispose();
  } finally {
    BareFn.quarantine = before;
  }
});

test.serial('a thunk pushed out of the quarantine by another thread is released by its owning thread, after its call', async (tt) => {
  // The quarantine is process-wide; the main thread, idle, used to free a worker's handler at
  // once while the worker was inside that handler's call (the memory then served the BareFns made
  // below, and the call returned through one of them).
  const before = BareFn.quarantine;
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const script = path.join(__dirname, 'helpers', 'evicted-elsewhere.ts');
  const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(script)});`, { eval: true, workerData: { flags } });
  const result = new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  try {
    tt.not(Atomics.wait(flags, 0, 0, 10_000), 'timed-out', 'the worker is inside its call');
    BareFn.quarantine = 0;
    const made = Array.from({ length: 64 }, () => new BareFn(sig(t.f64, [t.f64]), () => 0.5, { fallback: 9 }));
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    tt.is(await result, 42);
    for (const bareFn of made) bareFn.dispose();
  } finally {
    BareFn.quarantine = before;
    await worker.terminate();
  }
});

test('BARE_FN_QUARANTINE must be an integer: blank and other text are errors, not 0 or NaN', (tt) => {
  for (const value of ['', ' ', 'abc', '1.5']) {
    const error = tt.throws(() =>
      execFileSync(process.execPath, ['-e', "require('./build/index.js')"], { cwd: path.join(__dirname, '..'), env: { ...process.env, BARE_FN_QUARANTINE: value }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    tt.true((error as Error & { stderr: string }).stderr.includes(`RangeError: BARE_FN_QUARANTINE must be an integer from 0 to 10000000; got ${JSON.stringify(value)}`), value);
  }
  const out = execFileSync(process.execPath, ['-e', "console.log(require('./build/index.js').BareFn.quarantine)"], { cwd: path.join(__dirname, '..'), env: { ...process.env, BARE_FN_QUARANTINE: ' 7 ' }, encoding: 'utf8' });
  tt.is(out.trim(), '7');
});

test.serial('BareFn.live() lists undisposed BareFns with signature and mode', (tt) => {
  const before = BareFn.live().length;
  const a = new BareFn(I32x2, () => 1);
  const b = new BareFn(sig(t.void, [t.cstring]), () => {}, { threading: 'nonblocking' });
  // live() is in no particular order: look the two up by address.
  const find = (address: bigint) => BareFn.live().find((l) => l.address === address);
  tt.is(BareFn.live().length, before + 2);
  tt.like(find(a.address), { signature: '(i32, i32) -> i32', threading: 'local', leaked: false, createdAt: undefined });
  tt.like(find(b.address), { signature: '(cstring) -> void', threading: 'nonblocking', leaked: false });
  const aAddress = a.address;
  a.dispose();
  tt.is(find(aAddress), undefined);
  tt.is(BareFn.live().length, before + 1);
  b.dispose();
  tt.is(BareFn.live().length, before);
});

test.serial('leaks are watched from the end of the task that made them: only undisposed BareFns are reported, and a reused place is not blamed', (tt) => {
  const script = path.join(__dirname, 'helpers', 'leak-watch.ts');
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  tt.deepEqual(JSON.parse(out), {
    sameTask: { warnings: 2250, leakedLive: 2250 },
    reused: { warnings: 1, controlReported: true, secondLeaked: false },
  });
});

test.serial('the calls of one native call do not keep each other\'s string arguments alive', (tt) => {
  const script = path.join(__dirname, 'helpers', 'big-strings.ts');
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  // 64 calls x 4 MiB: all kept would be 256 MiB (512 as UTF-16); a batch holds up to 16 MiB.
  tt.true(Number(out) <= 64, `the JS heap grew by ${out.trim()} MiB`);
});

test('a BareFn called deep in a worker with a large stack runs: the foreign-stack check uses the thread\'s real stack', async (tt) => {
  const script = path.join(__dirname, 'helpers', 'deep-stack.ts');
  const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(script)});`, { eval: true, resourceLimits: { stackSizeMb: 64 } });
  const [depthMiB, result] = await new Promise<[number, number]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  tt.true(depthMiB >= 12, `${depthMiB} MiB deep`);
  tt.is(result, 5, 'run, not refused as a foreign stack');
});

test('BareFn.live() runs no setter of Object.prototype (one that created a BareFn made the addon panic)', (tt) => {
  const script = path.join(__dirname, 'helpers', 'prototype-setter.ts');
  const out = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  tt.deepEqual(JSON.parse(out), { entries: 2, setterRan: false, signature: '() -> i32', own: true });
});

test.serial('garbage collection of a Library does not unload it: addresses taken from it stay callable', (tt) => {
  const script = path.join(__dirname, 'helpers', 'library-gc.ts');
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  tt.is(out.trim(), '42');
});

test.serial('a BareFn garbage-collected without dispose is reported once as a leak, with where it was created', (tt) => {
  const script = path.join(__dirname, 'helpers', 'leak.ts');
  const run = (trace: boolean, threading = 'blocking') =>
    JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, threading], {
        encoding: 'utf8',
        env: { ...process.env, BARE_FN_TRACE: trace ? '1' : '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ) as { warnings: string[]; live: unknown[]; stillCallable: number };
  const traced = run(true);
  tt.is(traced.warnings.length, 1);
  tt.regex(traced.warnings[0]!, /^BareFn \(i32, i32\) -> i32 \('blocking', 0x[0-9a-f]+\) was garbage-collected without dispose\(\): its thunk and JS function are kept forever, since native code may still call it\.\nCreated at forget \(.*leak\.ts:\d+:\d+\)\n/);
  tt.deepEqual(traced.live, [{ signature: '(i32, i32) -> i32', threading: 'blocking', leaked: true, traced: true, sameAddress: true }]);
  tt.is(traced.stillCallable, 42, 'the leaked thunk still calls its JS function');

  // Untraced, a 'local' BareFn records nothing (a stack capture per BareFn costs about a
  // microsecond); one other threads may call records its site always (its errors show it).
  const untraced = run(false, 'local');
  tt.is(untraced.warnings.length, 1);
  tt.regex(untraced.warnings[0]!, /kept forever, since native code may still call it\. Set BARE_FN_TRACE=1 to record where BareFns are created\.$/);
  const blocking = run(false);
  tt.regex(blocking.warnings[0]!, /\nCreated at forget \(.*leak\.ts:\d+:\d+\)\n/);
});

test('dispose releases the JS functions without waiting for the BareFn object to be collected', (tt) => {
  const script = path.join(__dirname, 'helpers', 'release.ts');
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  tt.deepEqual(JSON.parse(out), { callbacks: 3, onErrors: 3, kept: 3 });
});

test.serial('a refused call from another thread, without onError, is an uncaught error whose stack is where the BareFn was created', (tt) => {
  // The JS thread waits in a native join while the thread's blocking call times out: the timeout
  // error is made natively and delivered by the event loop, where it used to say only
  // `at <anonymous_script>:0`.
  const script = `
    require('tsx/cjs');
    const { BareFn, sig, t } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'index.ts'))});
    const { runThreadsBlocking } = require(${JSON.stringify(path.join(__dirname, 'helpers', 'testlib.ts'))});
    process.on('uncaughtException', (e) => { console.log(e.stack); process.exit(0); });
    function makeTheBareFn() {
      return new BareFn(sig(t.i32, [t.i32, t.i32]), (a, b) => a + b, { threading: 'blocking', timeoutMs: 20, fallback: -4 });
    }
    const cb = makeTheBareFn();
    const { fallback } = runThreadsBlocking(cb.address, 1, 1, 'i32', -4);
    console.log('fallback calls: ' + fallback);
    setTimeout(() => {}, 5000);
  `;
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim().split('\n');
  tt.is(out[0], 'fallback calls: 1');
  tt.regex(out[1]!, /^Error: BareFn \(i32, i32\) -> i32 called from thread \d+: thread \d+ did not take the call within 20 ms/);
  tt.regex(out[2]!, /^ {4}at makeTheBareFn \(\[eval\]:\d+:\d+\)$/, 'the creator first');
  tt.false(out.some((line) => line.includes('anonymous_script')));
});

test.serial('an error of a call from another thread, without onError, is an uncaught exception of the owning thread', (tt) => {
  const script = `
    require('tsx/cjs');
    const { BareFn, sig, t } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'index.ts'))});
    process.on('uncaughtException', (e) => { console.log('uncaught: ' + e.message); process.exit(0); });
    const cb = new BareFn(sig(t.i32, [t.i32, t.i32]), () => { throw new RangeError('boom from a queued call'); }, { threading: 'blocking', fallback: -4 });
    setTimeout(() => {}, 5000);
    const { runThreads } = require(${JSON.stringify(path.join(__dirname, 'helpers', 'testlib.ts'))});
    void runThreads(cb.address, 1, 1, 'i32', -4);
  `;
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  tt.is(out.trim(), 'uncaught: boom from a queued call');
});
