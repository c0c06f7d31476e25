// fn.async: FnPtr and Library functions called on a thread of libuv's pool, their results as
// Promises, the JS thread free meanwhile. The C functions are libc's and testlib's.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import test from 'ava';

import { BareFn, type ErrorInfo, Library, memory, sig, t } from '../src/index.js';

import { libcPath } from './helpers/platform.js';
import { lib, testlibPath } from './helpers/testlib.js';

const libc = Library.open(libcPath);
const abs = libc.fn('abs', sig(t.i32, [t.i32]));
const sleepMs = lib.fn('tl_sleep_ms', sig(t.u32, [t.u32]));

test('a 300 ms C call through .async leaves the JS thread running its event loop', async (tt) => {
  let turns = 0;
  const ticking = setInterval(() => turns++, 5);
  try {
    const slept = await sleepMs.async(300);
    tt.is(slept, 300);
  } finally {
    clearInterval(ticking);
  }
  // Synchronously (sleepMs(300)) no timer could run during the call.
  tt.true(turns > 0, `${turns} timer turns while the call ran`);
});

test('1,000 concurrent .async calls resolve with their own values', async (tt) => {
  const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => abs.async(-i)));
  tt.deepEqual(results, Array.from({ length: 1000 }, (_, i) => i));
});

test('C strings, a struct result and a variadic call through .async', async (tt) => {
  const strlen = libc.fn('size_t strlen(const char *)');
  tt.is(await strlen.async('héllo'), 6n, 'UTF-8 bytes');
  const Div = t.struct({ quot: t.i32, rem: t.i32 });
  const div = libc.fn('div', sig(Div, [t.i32, t.i32]));
  tt.deepEqual(await Promise.all([div.async(7, 2), div.async(-9, 4)]), [
    { quot: 3, rem: 1 },
    { quot: -2, rem: -1 },
  ]);
  const snprintf = libc.fn(process.platform === 'win32' ? '_snprintf' : 'snprintf', sig(t.i32, [t.pointer, t.usize, t.cstring], { variadic: true }));
  const buffer = Buffer.alloc(32);
  const written = await snprintf.async(memory.addressOf(buffer), 32n, '%d|%s|%.2f', t.i32, -42, t.cstring, 'text', t.f64, 1.5);
  tt.is(buffer.toString('latin1', 0, written), '-42|text|1.50');
});

test("an argument that does not fit rejects with the synchronous call's error", async (tt) => {
  await tt.throwsAsync(abs.async('x' as never), { instanceOf: TypeError, message: 'FnPtr (i32) -> i32: argument 0 (i32): expected a number (i32), got "x"' });
  await tt.throwsAsync((abs.async as (...args: unknown[]) => Promise<number>)(), { instanceOf: TypeError, message: 'FnPtr (i32) -> i32 takes 1 arguments, got 0' });
});

test('a library closed while its async call runs stays loaded until the call settles', async (tt) => {
  // A copy of testlib of its own, so that closing it really unloads it (the tests' handle keeps
  // the original loaded); unloaded under the sleeping call, the process would crash.
  const copy = path.join(mkdtempSync(path.join(tmpdir(), 'bare-fn-async-')), path.basename(testlibPath));
  copyFileSync(testlibPath, copy);
  const own = Library.open(copy);
  const sleep = own.fn('tl_sleep_ms', sig(t.u32, [t.u32]));
  const running = sleep.async(200);
  own.close();
  tt.true(own.closed);
  await tt.throwsAsync(sleep.async(1), { instanceOf: TypeError, message: `Library ${JSON.stringify(copy)} is closed: cannot call tl_sleep_ms` });
  tt.is(await running, 200);
});

test('a worker terminated while its async calls run ends cleanly', async (tt) => {
  const worker = new Worker(
    `require('tsx/cjs');
    const { Library, sig, t } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'index.ts'))});
    const lib = Library.open(${JSON.stringify(testlibPath)});
    const sleep = lib.fn('tl_sleep_ms', sig(t.u32, [t.u32]));
    for (let i = 0; i < 4; i++) void sleep.async(300);
    require('node:worker_threads').parentPort.postMessage('started');`,
    { eval: true },
  );
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  tt.is(await worker.terminate(), 1);
  // This thread's own async calls still work.
  tt.is(await abs.async(-5), 5);
});

test("BareFns the async call's C function calls: 'blocking' ones run on the JS thread, and an error of theirs rejects the Promise with the call's result", async (tt) => {
  const callI32 = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));
  const I32x2 = sig(t.i32, [t.i32, t.i32]);
  using adding = new BareFn(I32x2, (a, b) => a + b, { threading: 'blocking' });
  tt.is(await callI32.async(adding.address, 20, 22), 42);
  using throwing = new BareFn(I32x2, () => {
    throw new RangeError('refused in JS');
  }, { threading: 'blocking', fallback: -7 });
  const error = await tt.throwsAsync(callI32.async(throwing.address, 1, 2), { instanceOf: RangeError, message: 'refused in JS' });
  tt.is((error as Error & { returnValue?: unknown }).returnValue, -7, "the C function's result: the fallback it got");
  // With onError the error goes there, as for a synchronous call, and the Promise resolves.
  const seen: string[] = [];
  using reported = new BareFn(I32x2, () => {
    throw new Error('to onError');
  }, { threading: 'blocking', fallback: -1, onError: (e: unknown, info: ErrorInfo) => void seen.push(`${info.kind}: ${(e as Error).message}`) });
  tt.is(await callI32.async(reported.address, 1, 2), -1);
  tt.deepEqual(seen, ['threw: to onError']);
  // A 'local' BareFn is refused on the pool thread as on any other.
  const refused: string[] = [];
  using local = new BareFn(I32x2, (a, b) => a + b, { fallback: -2, onError: (_e: unknown, info: ErrorInfo) => void refused.push(info.kind) });
  tt.is(await callI32.async(local.address, 1, 2), -2);
  await new Promise((resolve) => setImmediate(resolve));
  tt.deepEqual(refused, ['wrong-thread']);
});

test("asyncWithErrno gives each call's own errno, whatever other calls left", async (tt) => {
  // strtol sets errno to ERANGE (34 on Linux, macOS and Windows' CRT) on overflow; a call that
  // succeeds leaves errno as its pool thread had it, so only the overflowing call's is checked.
  const strtol = libc.fn('long strtol(const char *, char **, int)');
  const [big, small] = await Promise.all([strtol.asyncWithErrno('99999999999999999999999', 0n, 10), strtol.asyncWithErrno('42', 0n, 10)]);
  tt.is(big.errno, 34, 'ERANGE');
  tt.is(big.value, process.platform === 'win32' ? 2147483647 : 9223372036854775807n);
  tt.is(small.value, process.platform === 'win32' ? 42 : 42n);
  tt.is(typeof big.lastError, process.platform === 'win32' ? 'number' : 'undefined');
  tt.deepEqual(Object.keys(big), ['value', 'errno', 'lastError']);
  // A struct result is decoded in the object too.
  const div = libc.fn('div', sig(t.struct({ quot: t.i32, rem: t.i32 }), [t.i32, t.i32]));
  tt.deepEqual((await div.asyncWithErrno(9, 4)).value, { quot: 2, rem: 1 });
});
