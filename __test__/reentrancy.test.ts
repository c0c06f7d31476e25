// Native -> JS calls made during one JS -> native call share handle scopes in batches
// (crates/napi/src/native_call.rs); these tests cross batch boundaries, nest native calls inside
// callbacks, and recurse through native code, checking every value.
import test from 'ava';

import { BareFn, memory, sig, t } from '../src/index.js';
import { PointerList } from './helpers/platform.js';
import { callViaLibffi, lib } from './helpers/testlib.js';

const I32x2 = sig(t.i32, [t.i32, t.i32]);
const callI32 = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));
const loopI32 = lib.fn('tl_loop_i32_i32_i32', sig(t.i64, [t.pointer, t.u32]));
const callChain = lib.fn('tl_call_chain', sig(t.i32, [t.pointer, t.u32, t.i32]));

const expectedLoopSum = (n: number, f: (a: number, b: number) => number): bigint => {
  let sum = 0n;
  for (let i = 0; i < n; i++) sum += BigInt(f(i, Math.imul(i, 3)));
  return sum;
};

test('many calls in one native call: every result right across handle-scope batches', (tt) => {
  const f = (a: number, b: number) => (a ^ b) - 7;
  let calls = 0;
  using cb = new BareFn(I32x2, (a, b) => {
    calls++;
    const garbage = { a, b, list: [a, b, String(a)] }; // handles and objects created per call
    return f(garbage.a, garbage.list[1] as number);
  });
  tt.is(loopI32(cb.address, 10_000), expectedLoopSum(10_000, f));
  tt.is(calls, 10_000);
});

test('a callback that makes native calls which call other BareFns', (tt) => {
  using inner = new BareFn(I32x2, (a, b) => a - b);
  using outer = new BareFn(I32x2, (a, b) => (a % 100 === 0 ? Number(loopI32(inner.address, 3)) : 0) + callI32(inner.address, a, b));
  const f = (a: number, b: number) => (a % 100 === 0 ? -6 : 0) + (a - b);
  tt.is(loopI32(outer.address, 1000), expectedLoopSum(1000, f));
});

test('BareFns called in turn within one native call each run their own function', (tt) => {
  // A batch remembers the JS functions of the BareFns called in it (crates/napi/src/native_call.rs,
  // Callees: 4 places, by registry index); more BareFns than places, in turn, share places.
  const fns = Array.from({ length: 6 }, (_, k) => new BareFn(I32x2, (acc, i) => (Math.imul(acc, 7) + k * 100 + i) | 0));
  const order = Array.from({ length: 300 }, (_, i) => (i * 5) % fns.length);
  const list = new PointerList(order.map((k) => fns[k]!.address));
  let expected = 3;
  order.forEach((k, i) => (expected = (Math.imul(expected, 7) + k * 100 + i) | 0));
  tt.is(callChain(memory.addressOf(list.words), order.length, 3), expected);
  for (const f of fns) f.dispose();
});

test('a BareFn disposed during a native call: one created in its place meanwhile runs its own function', (tt) => {
  // `replace` disposes `first` and creates `second`, which takes first's place in the registry
  // (the last freed), and lists second's address for the rest of the same native call: the batch
  // must not call first's function for it.
  let second: BareFn<typeof I32x2> | undefined;
  const first = new BareFn(I32x2, (acc) => acc + 1000);
  const list = new PointerList(3);
  const replace = new BareFn(I32x2, (acc) => {
    first.dispose();
    second = new BareFn(I32x2, (a) => a + 2000);
    list.set(2, second.address);
    return acc;
  });
  list.set(0, first.address);
  list.set(1, replace.address);
  list.set(2, first.address);
  tt.is(callChain(memory.addressOf(list.words), 3, 1), 3001);
  tt.is(first.disposed, true);
  replace.dispose();
  second!.dispose();
});

test('64-bit arguments of nested calls: each callback gets its own, though they share one buffer', (tt) => {
  // Both signatures' arguments go through the env's argument buffer (crates/napi/src/arg_buffer.rs),
  // at the same positions: the inner call overwrites what the outer one was called with.
  const W = sig(t.u64, [t.u64, t.i64]);
  const seen: bigint[][] = [];
  using inner = new BareFn(W, (a, b) => (seen.push([a, b]), a + 1n));
  using outer = new BareFn(W, (a, b) => {
    const back = callViaLibffi(inner.address, W, [a * 2n, b * 2n]) as bigint;
    seen.push([a, b]);
    return back ^ BigInt.asUintN(64, b);
  });
  const a = 2n ** 62n + 5n;
  const b = -(2n ** 61n) - 3n;
  tt.is(callViaLibffi(outer.address, W, [a, b]), (a * 2n + 1n) ^ BigInt.asUintN(64, b));
  tt.deepEqual(seen, [
    [a * 2n, b * 2n],
    [a, b],
  ]);
});

test('recursion through native code on the owning thread', (tt) => {
  let depth = 0;
  let maxDepth = 0;
  const factorial: BareFn<typeof I32x2> = new BareFn(I32x2, (n) => {
    depth++;
    maxDepth = Math.max(maxDepth, depth);
    const r = n <= 1 ? 1 : n * callI32(factorial.address, n - 1, 0);
    depth--;
    return r;
  });
  tt.is(callI32(factorial.address, 12, 0), 479001600);
  tt.is(maxDepth, 12);
  tt.is(loopI32(factorial.address, 5), 1n + 1n + 2n + 6n + 24n);
  factorial.dispose();
});
