// Every type, as argument and as return value, in both directions, with the extreme values of
// each (README.md, Types). The other side of the boundary is always code bare-fn did not write: libffi (testlib's
// dynamic caller and recorder) or rustc-compiled typed callers.
import test from 'ava';

import { BareFn, FnPtr, sig, t } from '../src/index.js';
import { usizeMax } from './helpers/platform.js';
import { EXTREMES, Recorder, VALUE_TYPES, callViaLibffi, typeOf } from './helpers/testlib.js';

for (const name of VALUE_TYPES) {
  const type = typeOf(name);

  test(`native -> JS: ${name} as argument and return value`, (tt) => {
    const seen: unknown[] = [];
    const s = sig(type, [type]);
    using echo = new BareFn(s, ((x: unknown) => {
      seen.push(x);
      return x;
    }) as never);
    for (const value of EXTREMES[name]) {
      const back = callViaLibffi(echo.address, s, [value]);
      tt.is(seen.at(-1), value, `the callback received ${String(value)}`);
      tt.is(back, value, `the caller got ${String(value)} back`);
    }
    tt.is(seen.length, EXTREMES[name].length);
  });

  test(`JS -> native: ${name} as argument and return value`, (tt) => {
    const s = sig(type, [type]);
    for (const value of EXTREMES[name]) {
      using rec = new Recorder(s, value);
      const call = FnPtr.from(rec.address, s) as unknown as (v: unknown) => unknown;
      tt.is(call(value), value, `the return value ${String(value)}`);
      tt.deepEqual(rec.seen, [value], `the argument ${String(value)}`);
      tt.is(rec.calls, 1);
    }
  });
}

test('void return in both directions', (tt) => {
  const s = sig(t.void, [t.u32, t.f64]);
  const seen: unknown[] = [];
  using cb = new BareFn(s, (a, b) => void seen.push(a, b));
  tt.is(callViaLibffi(cb.address, s, [4294967295, -0]), undefined);
  tt.deepEqual(seen, [4294967295, -0]);
  using rec = new Recorder(s, undefined);
  tt.is(FnPtr.from(rec.address, s)(7, 2.5), undefined);
  tt.deepEqual(rec.seen, [7, 2.5]);
});

test('no arguments in both directions', (tt) => {
  const s = sig(t.i64, []);
  using cb = new BareFn(s, () => -(2n ** 63n));
  tt.is(callViaLibffi(cb.address, s, []), -(2n ** 63n));
  using rec = new Recorder(s, 42n);
  tt.is(FnPtr.from(rec.address, s)(), 42n);
  tt.is(rec.calls, 1);
});

test('64-bit inputs also accept safe-integer numbers', (tt) => {
  const s = sig(t.u64, [t.i64, t.pointer]);
  using rec = new Recorder(s, 9n);
  // The largest safe integer a pointer holds here: 2^53 - 1, or 2^32 - 1 on 32-bit targets.
  const widest = Math.min(2 ** 53 - 1, Number(usizeMax));
  tt.is(FnPtr.from(rec.address, s)(-(2 ** 53 - 1), widest), 9n);
  tt.deepEqual(rec.seen, [-(2n ** 53n - 1n), BigInt(widest)]);
  // A safe integer past a 32-bit target's pointers is refused, as the same bigint is.
  if (widest < 2 ** 53 - 1) tt.throws(() => FnPtr.from(rec.address, s)(0, widest + 1), { instanceOf: RangeError, message: `FnPtr (i64, pointer) -> u64: argument 1 (pointer): ${widest + 1} does not fit pointer` });
  using cb = new BareFn(s, () => 2 ** 53 - 1);
  tt.is(callViaLibffi(cb.address, s, [0n, 0n]), 2n ** 53n - 1n);
});

test('a cstring returned by a callback stays valid until the next call of the same BareFn', (tt) => {
  const s = sig(t.cstring, [t.u32]);
  using cb = new BareFn(s, (n) => '\u00e9'.repeat(n));
  const first = callViaLibffi(cb.address, s, [3]);
  tt.is(first, '\u00e9\u00e9\u00e9');
  tt.is(callViaLibffi(cb.address, s, [0]), '');
});
