// When the JS thread that owns BareFns goes away (worker terminated, process exiting), native
// calls to them get the fallback: no crash, no hang.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import test from 'ava';

import { sig, t } from '../src/index.js';
import { callOnThread, lib, runThreads } from './helpers/testlib.js';
import { glibc } from './helpers/platform.js';

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
  const out = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 120_000 });
  tt.deepEqual([out.status, out.signal, out.stdout.trim()], [0, null, 'calls before exit: some']);
  // The threads were still calling after the main thread's JS ended: the calls are counted.
  tt.regex(out.stderr, /^bare-fn: at exit, JS never ran \d+ calls (and never saw \d+ error reports? )?\(.*\): \d+ calls?( and \d+ error reports?)? of BareFn /m);
});

/** The line on stderr at exit naming calls JS never ran (crates/napi/src/dropped.rs). */
const neverRan = (total: string, of: string) =>
  `bare-fn: at exit, JS never ran ${total} (their thread's JS had ended: process.exit(), an uncaught exception, a terminated worker, or calls after teardown): ${of}\n`;

test('BareFns registered as C exit handlers answer with their fallback on every exit path, with the exit code asked for, and are named at exit', (tt) => {
  const script = path.join(__dirname, 'helpers', 'exit-handler.ts');
  const run = (mode: string) => spawnSync(process.execPath, ['--import', 'tsx', script, mode], { encoding: 'utf8' });
  // Exit handlers run in reverse order of registration: on_exit's first, then __cxa_atexit's, then
  // bare-fn's, which prints the line. On Windows each DLL's C runtime keeps its own table, run when
  // the DLL is unloaded at exit, the C library's after the addon's (it was loaded first): its
  // handler's call comes after the line, too late to be named (README, Threading modes: Teardown).
  // musl's atexit table is the C library's, as glibc's: its handler runs before bare-fn's too.
  const named = glibc
    ? neverRan('2 calls', "1 call of BareFn (i32, pointer) -> i32 ('local'); 1 call of BareFn (pointer) -> void ('local')")
    : process.platform === 'linux'
      ? neverRan('1 call', "1 call of BareFn () -> void ('local')")
      : '';
  for (const [mode, code] of [['end', 0], ['exit', 3]] as const) {
    const out = run(mode);
    tt.deepEqual([out.status, out.signal, out.stdout, out.stderr], [code, null, '', named], mode);
  }
  const thrown = run('throw');
  tt.deepEqual([thrown.status, thrown.signal, thrown.stdout], [1, null, ''], 'throw');
  tt.true(thrown.stderr.includes('Error: uncaught on purpose'), thrown.stderr);
  tt.true(thrown.stderr.endsWith(named), thrown.stderr);
  tt.false(/panicked|Segmentation|Aborted/.test(thrown.stderr), thrown.stderr);
});

test("calls and error reports other threads queued are delivered before a script ends, though nothing keeps the loop alive", (tt) => {
  const script = path.join(__dirname, 'helpers', 'queued-at-end.ts');
  const run = (mode: string) => spawnSync(process.execPath, ['--import', 'tsx', script, mode], { encoding: 'utf8' });
  // 1,000 nonblocking calls queued while JS waited in a native call that joined their thread.
  const queued = run('queued');
  tt.deepEqual([queued.status, queued.signal, queued.stdout, queued.stderr], [0, null, 'ran 1000 calls: text 0 .. text 999\n', '']);
  // A 'local' BareFn called on a thread that a native call joined: the refusal is reported (an
  // uncaught exception here: it has no onError) instead of vanishing with exit code 0.
  const refused = run('refused');
  tt.deepEqual([refused.status, refused.signal, refused.stdout], [1, null, 'called on another thread: -1\n']);
  tt.regex(refused.stderr, /Error: BareFn \(i32, i32\) -> i32 called from thread \d+; it is 'local' to thread \d+/);
});

test('calls JS never ran because the process exited are summed up on stderr; the exit code stays the one asked for', (tt) => {
  const script = path.join(__dirname, 'helpers', 'queued-at-end.ts');
  const out = spawnSync(process.execPath, ['--import', 'tsx', script, 'exit'], { encoding: 'utf8' });
  tt.deepEqual(
    [out.status, out.signal, out.stdout, out.stderr],
    // Where the BareFn was created: the line of `new BareFn` in the script.
    [0, null, 'ran 0 calls\n', neverRan('1000 calls', `1000 calls of BareFn ({cstring,u32}) -> void ('nonblocking', created at <anonymous> (${script}:16:19))`)],
  );
});
