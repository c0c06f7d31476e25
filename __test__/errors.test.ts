// Errors of native -> JS calls: a callback that throws, or returns a value that does not fit the
// return type. The native caller always gets the fallback; the error goes to onError if given,
// else it is rethrown from the bare-fn call (FnPtr / Library function) that entered native code.
import test from 'ava';

import { BareFn, Library, memory, sig, t, type TypeName } from '../src/index.js';
import { libcPath } from './helpers/platform.js';
import { callViaLibffi, lib } from './helpers/testlib.js';

const BAD_RETURNS: [TypeName, unknown, ErrorConstructor, string][] = [
  ['i32', 'x', TypeError, 'expected a number (i32), got "x"'],
  ['i32', undefined, TypeError, 'expected a number (i32), got undefined'],
  ['i32', 1.5, RangeError, '1.5 is not an integer (i32)'],
  ['i32', 2 ** 31, RangeError, '2147483648 does not fit i32'],
  ['u8', 300, RangeError, '300 does not fit u8'],
  ['u8', -1, RangeError, '-1 does not fit u8'],
  ['i8', -129, RangeError, '-129 does not fit i8'],
  ['u16', 65536, RangeError, '65536 does not fit u16'],
  ['i16', NaN, RangeError, 'NaN is not an integer (i16)'],
  ['u32', -1, RangeError, '-1 does not fit u32'],
  ['bool', 1, TypeError, 'expected a boolean (bool), got 1'],
  ['u64', 2 ** 53, RangeError, '9007199254740992 is beyond Number.MAX_SAFE_INTEGER; pass a bigint for u64'],
  ['u64', -1n, RangeError, '-1n does not fit u64'],
  ['u64', 2n ** 64n, RangeError, '18446744073709551616n does not fit u64'],
  ['i64', 2n ** 63n, RangeError, '9223372036854775808n does not fit i64'],
  ['isize', '1', TypeError, 'expected a bigint or safe integer (isize), got "1"'],
  ['usize', 1.5, RangeError, '1.5 is not an integer (usize)'],
  ['pointer', -1n, RangeError, '-1n does not fit pointer'],
  ['f32', 1e39, RangeError, '1e+39 is beyond the range of f32'],
  ['f32', '1', TypeError, 'expected a number (f32), got "1"'],
  ['f64', 1n, TypeError, 'expected a number (f64), got 1n'],
  ['cstring', 5, TypeError, 'expected a string or null (cstring), got 5'],
  ['cstring', 'a\0b', TypeError, 'a cstring cannot contain NUL characters (one is at index 1)'],
];

const ZERO: Partial<Record<TypeName, unknown>> = { bool: false, cstring: null, i64: 0n, u64: 0n, isize: 0n, usize: 0n, pointer: 0n };

for (const [name, value, type, message] of BAD_RETURNS) {
  test(`a callback returning ${typeof value === 'bigint' ? `${value}n` : JSON.stringify(value) ?? 'undefined'} for ${name} is an error of the call`, (tt) => {
    const s = sig(t[name], []);
    const full = `BareFn () -> ${name} returned: ${message}`;
    using rethrown = new BareFn(s, (() => value) as never);
    tt.throws(() => callViaLibffi(rethrown.address, s, []), { instanceOf: type, message: full });

    const errors: unknown[] = [];
    using reported = new BareFn(s, (() => value) as never, { onError: (error, info) => errors.push(error, info) });
    tt.is(callViaLibffi(reported.address, s, []), name in ZERO ? ZERO[name] : 0, 'the native caller got the default fallback');
    tt.is(errors.length, 2);
    tt.true(errors[0] instanceof type);
    tt.is((errors[0] as Error).message, full);
    tt.deepEqual(errors[1], { signature: `() -> ${name}`, kind: 'bad-return' });
  });
}

test('the fallback option is what the native caller gets, and is checked against the return type', (tt) => {
  const s = sig(t.i16, [t.i16]);
  using cb = new BareFn(s, () => 'nope' as never, { fallback: -32768, onError: () => {} });
  tt.is(callViaLibffi(cb.address, s, [1]), -32768);
  tt.throws(() => new BareFn(s, () => 0, { fallback: 40000 }), {
    instanceOf: RangeError,
    message: 'new BareFn: options.fallback: 40000 does not fit i16',
  });
});

test('a comparator that throws inside libc qsort: qsort returns and the exception is rethrown from the qsort call', (tt) => {
  using libc = Library.open(libcPath);
  const qsort = libc.fn('qsort', sig(t.void, [t.pointer, t.usize, t.usize, t.pointer]));
  const values = Int32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
  let calls = 0;
  using cmp = new BareFn(sig(t.i32, [t.pointer, t.pointer]), (a, b) => {
    if (++calls === 10) throw new RangeError('comparator failed at call 10');
    return memory.read(t.i32, a) - memory.read(t.i32, b);
  });
  tt.throws(() => qsort(memory.addressOf(values), 1000n, 4n, cmp.address), { instanceOf: RangeError, message: 'comparator failed at call 10' });
  tt.true(calls > 10, 'qsort went on calling (with the fallback for the failed call) and returned');
  tt.deepEqual([...values].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i), 'no element was lost');
});

test('a rethrown error carries the native call\'s own result as returnValue (libc bsearch\'s match)', (tt) => {
  using libc = Library.open(libcPath);
  const bsearch = libc.fn('bsearch', sig(t.pointer, [t.pointer, t.pointer, t.usize, t.usize, t.pointer]));
  const values = Int32Array.from([10, 20, 30, 40, 50]);
  const key = Int32Array.from([40]);
  // The first comparison throws: bsearch gets the fallback 0 ("equal") for it and returns the
  // element it compared, the middle one.
  using cmp = new BareFn(sig(t.i32, [t.pointer, t.pointer]), () => {
    throw new TypeError('no comparison');
  });
  const base = memory.addressOf(values);
  const error = tt.throws(() => bsearch(memory.addressOf(key), base, 5n, 4n, cmp.address), { instanceOf: TypeError, message: 'no comparison' });
  tt.is((error as TypeError & { returnValue: bigint }).returnValue, base + 8n);
  tt.deepEqual(Object.getOwnPropertyDescriptor(error, 'returnValue'), { value: base + 8n, writable: true, enumerable: true, configurable: true });
  // A thrown primitive comes out as itself (it used to come out as undefined: Node-API keeps no
  // reference to a primitive) and has nowhere to carry the result; a frozen error keeps its shape.
  const callInts = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));
  for (const primitive of ['plain', 42, null, undefined, 7n]) {
    using throwsPrimitive = new BareFn(sig(t.i32, [t.i32, t.i32]), () => {
      throw primitive;
    });
    let thrown: unknown = 'nothing thrown';
    try {
      callInts(throwsPrimitive.address, 1, 2);
    } catch (e) {
      thrown = e;
    }
    tt.is(thrown, primitive);
  }
  const frozen = Object.freeze(new Error('frozen'));
  using throwsFrozen = new BareFn(sig(t.i32, [t.i32, t.i32]), () => {
    throw frozen;
  });
  tt.is(tt.throws(() => callInts(throwsFrozen.address, 1, 2)), frozen);
  tt.false(Object.hasOwn(frozen, 'returnValue'));
});

test('only the first error of a native call is rethrown; later errors of the same call are dropped', (tt) => {
  const callInts = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));
  const callTwice = new BareFn(sig(t.i32, [t.i32, t.i32]), (a) => {
    throw new Error(`error ${a}`);
  });
  tt.throws(() => callInts(callTwice.address, 1, 0), { message: 'error 1' });
  tt.throws(() => callInts(callTwice.address, 2, 0), { message: 'error 2' }, 'each JS -> native call starts clean');
  callTwice.dispose();
});

test('nested calls: an error is rethrown from the innermost bare-fn call that entered native code', (tt) => {
  const callInts = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));
  using inner = new BareFn(sig(t.i32, [t.i32, t.i32]), () => {
    throw new TypeError('inner failed');
  });
  let caught: unknown;
  using outer = new BareFn(sig(t.i32, [t.i32, t.i32]), (a, b) => {
    try {
      callInts(inner.address, a, b);
    } catch (error) {
      caught = error;
    }
    return a + b;
  });
  tt.is(callInts(outer.address, 20, 22), 42, 'the outer native call is not affected');
  tt.true(caught instanceof TypeError);
  tt.is((caught as Error).message, 'inner failed');
});

test('onError that throws itself: the native caller still gets the fallback, and the error is rethrown', (tt) => {
  const s = sig(t.u8, []);
  using cb = new BareFn(s, () => 1000, {
    fallback: 9,
    onError: () => {
      throw new Error('onError failed');
    },
  });
  tt.throws(() => callViaLibffi(cb.address, s, []), { message: 'onError failed' });
});
