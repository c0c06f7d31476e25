// Callbacks that return a Promise (async functions) on the thread that owns their BareFn, which
// cannot wait for one: a value needed now is an error naming the Promise (the caller gets the
// fallback), and a rejection is reported like a throw instead of left unhandled (which ends the
// process).
import test from 'ava';

import { BareFn, type ErrorInfo, sig, t } from '../src/index.js';

import { lib } from './helpers/testlib.js';

const callI32 = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));
const callVoid = lib.fn('tl_call_void_u32_f64', sig(t.u32, [t.pointer, t.u32, t.f64]));
const Point = t.struct({ x: t.f64, y: t.f64 });
const loopPoint = lib.fn('tl_loop_point', sig(t.f64, [t.pointer, t.u32]));

/** Errors reported to onError, as "kind: message". */
function recorder() {
  const seen: string[] = [];
  const onError = (error: unknown, info: ErrorInfo) => void seen.push(`${info.kind}: ${(error as Error).message}`);
  return { seen, onError };
}
const settled = () => new Promise((resolve) => setImmediate(resolve));

// The callbacks returning a Promise where a value is needed are cast: their types refuse them.
const NEEDS_VALUE = "a Promise: its native caller needs the value when the callback returns, and the thread that owns the BareFn cannot wait for a Promise (return the value itself)";

test('a scalar result given as a Promise is an error naming it; the caller gets the fallback', async (tt) => {
  const { seen, onError } = recorder();
  using adding = new BareFn(sig(t.i32, [t.i32, t.i32]), (async (a: number, b: number) => a + b) as never, { fallback: -1, onError });
  tt.is(callI32(adding.address, 2, 3), -1);
  await settled();
  tt.deepEqual(seen, [`bad-return: BareFn (i32, i32) -> i32 returned ${NEEDS_VALUE}`]);
});

test('a struct result given as a Promise is the same error, not a missing field', async (tt) => {
  const { seen, onError } = recorder();
  using moving = new BareFn(sig(Point, [Point]), (async (p: { x: number; y: number }) => ({ x: p.x + 1, y: p.y })) as never, { fallback: { x: 10, y: 20 }, onError });
  tt.is(loopPoint(moving.address, 1), 30, 'the fallback, x + y');
  await settled();
  tt.deepEqual(seen, [`bad-return: BareFn ({f64,f64}) -> {f64,f64} returned ${NEEDS_VALUE}`]);
});

test("a void callback's rejected Promise is reported like a throw; one that resolves is fine", async (tt) => {
  const { seen, onError } = recorder();
  let ran = 0;
  using fine = new BareFn(sig(t.void, [t.u32, t.f64]), async () => void ran++, { onError });
  using failing = new BareFn(sig(t.void, [t.u32, t.f64]), async (n) => {
    await null;
    throw new Error(`rejected ${n}`);
  }, { onError });
  tt.is(callVoid(fine.address, 1, 0.5), 1);
  tt.is(callVoid(failing.address, 7, 0.5), 1);
  await settled();
  tt.is(ran, 1);
  tt.deepEqual(seen, ['threw: rejected 7']);
});

test('a Promise that rejects after being refused as a value is reported too', async (tt) => {
  const { seen, onError } = recorder();
  const rejecting = async () => {
    throw new RangeError('no value');
  };
  using failing = new BareFn(sig(t.i32, [t.i32, t.i32]), rejecting as never, { fallback: -9, onError });
  tt.is(callI32(failing.address, 1, 2), -9);
  await settled();
  tt.deepEqual(seen, [`bad-return: BareFn (i32, i32) -> i32 returned ${NEEDS_VALUE}`, 'threw: no value']);
});

test("a 'nonblocking' callback's rejected Promise, for a call from another thread, is reported like a throw", async (tt) => {
  const { seen, onError } = recorder();
  const Text = t.struct({ text: t.cstring, len: t.u32 });
  const rejecting = async (text: { text: string | null }) => {
    await null;
    if (text.text === 'text 1') throw new Error(`rejected ${text.text}`);
  };
  using queued = new BareFn(sig(t.void, [Text]), rejecting, { threading: 'nonblocking', onError });
  // Calls it twice on a thread of its own and joins it: both calls are queued to this thread.
  lib.fn('tl_text_from_thread', sig(t.void, [t.pointer, t.u32]))(queued.address, 2);
  for (let i = 0; i < 5 && seen.length === 0; i++) await settled();
  tt.deepEqual(seen, ['threw: rejected text 1']);
});
