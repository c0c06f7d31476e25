// Native -> JS calls made during one JS -> native call share handle scopes in batches
// (crates/napi/src/native_call.rs); these tests cross batch boundaries, nest native calls inside
// callbacks, and recurse through native code, checking every value.
import test from 'ava';

import { BareFn, sig, t } from '../index.js';
import { lib } from './helpers/testlib.js';

const I32x2 = sig(t.i32, [t.i32, t.i32]);
const callI32 = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));
const loopI32 = lib.fn('tl_loop_i32_i32_i32', sig(t.i64, [t.pointer, t.u32]));

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
