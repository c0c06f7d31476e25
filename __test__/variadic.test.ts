// Variadic functions: the C library's snprintf called with the fixed arguments, then a type and a
// value per variadic argument; C's default promotions (f32 -> double, narrow ints -> int); more
// doubles than registers; errors for what cannot be passed.
import test from 'ava';

import { BareFn, FnPtr, Library, memory, sig, t } from '../src/index.js';
import { libcPath } from './helpers/platform.js';

const windows = process.platform === 'win32';
const libc = Library.open(libcPath);
// msvcrt names it _snprintf (ucrt's snprintf is an inline function of its headers).
const Snprintf = sig(t.i32, [t.pointer, t.usize, t.cstring], { variadic: true });
const snprintf = libc.fn(windows ? '_snprintf' : 'snprintf', Snprintf);

/** What snprintf wrote, and its count. */
function format(fmt: string, ...variadic: unknown[]): [string, number] {
  const buffer = Buffer.alloc(512);
  const count = snprintf(memory.addressOf(buffer), BigInt(buffer.length), fmt, ...variadic);
  return [buffer.subarray(0, buffer.indexOf(0)).toString('utf8'), count];
}

test('snprintf with ints, doubles and strings, byte for byte', (tt) => {
  const [text, count] = format('%d|%s|%.3f|%u|%x|%c|%5.1f', t.i32, -42, t.cstring, 'héllo', t.f64, Math.PI, t.u32, 4_000_000_000, t.u32, 0xbeef, t.i32, 65, t.f64, -2.3125);
  tt.is(text, '-42|héllo|3.142|4000000000|beef|A| -2.3'); // no tie to round: C libraries round ties differently
  tt.is(count, Buffer.byteLength(text));
  tt.is(format('no arguments')[0], 'no arguments');
});

test('C\'s default promotions: f32 to double, i8/u16/bool to int', (tt) => {
  // The f32 is rounded to float first, then promoted: what a C float variable would print.
  tt.is(format('%.12f', t.f32, 0.1)[0], Math.fround(0.1).toFixed(12));
  tt.is(format('%d %d %d %d', t.i8, -3, t.u16, 65535, t.bool, true, t.i16, -32768)[0], '-3 65535 1 -32768');
  // Out of range for the declared type is an error, as for any argument.
  tt.throws(() => format('%d', t.i8, 300), { instanceOf: RangeError, message: /argument 3 \(i8\): 300 does not fit i8/ });
});

test('more doubles and integers than registers: the rest on the stack', (tt) => {
  // With the 3 fixed arguments: 16, the most a call takes; nine doubles fill the eight vector
  // registers of System V and AArch64 and four ints the six integer registers of System V.
  const doubles = Array.from({ length: 9 }, (_, i) => i + 0.5);
  const ints = Array.from({ length: 4 }, (_, i) => -i * 1000 - 1);
  const fmt = `${doubles.map(() => '%.1f').join(' ')} ${ints.map(() => '%d').join(' ')}`;
  const args = [...doubles.flatMap((d) => [t.f64, d]), ...ints.flatMap((n) => [t.i32, n])];
  tt.is(format(fmt, ...args)[0], `${doubles.map((d) => d.toFixed(1)).join(' ')} ${ints.join(' ')}`);
  tt.throws(() => format(fmt, ...args, t.i32, 1), { instanceOf: RangeError, message: 'FnPtr (pointer, usize, cstring, ...) -> i32: a call takes at most 16 arguments, fixed and variadic; got 17' });
});

test('64-bit and pointer-sized integers, and a pointer', (tt) => {
  const big = -(2n ** 40n) - 5n;
  tt.is(format('%lld %llu', t.i64, big, t.u64, 2n ** 63n)[0], `${big} ${2n ** 63n}`);
  tt.is(format('%s', t.pointer, memory.addressOf(Buffer.from('via pointer\0')))[0], 'via pointer');
});

test('what cannot be passed variadically is an error naming it', (tt) => {
  tt.throws(() => format('%d', t.i32), { instanceOf: TypeError, message: /takes its 3 fixed arguments, then a type and a value per variadic argument \(t\.i32, 5, t\.f64, 1\.5\); got 4 arguments$/ });
  tt.throws(() => format('%d', 5, t.i32), { instanceOf: TypeError, message: /variadic argument 0 must be preceded by its type, a scalar of t but void \(pass a struct by pointer\); got 5$/ });
  tt.throws(() => format('%d', t.void, 0), { instanceOf: TypeError, message: /variadic argument 0 must be preceded by its type/ });
  tt.throws(() => format('%d', t.struct({ a: t.i32 }), { a: 1 }), { instanceOf: TypeError, message: /variadic argument 0 must be preceded by its type/ });
  tt.throws(() => new BareFn(Snprintf as never, (() => 0) as never), {
    instanceOf: TypeError,
    message: 'new BareFn: the signature is variadic ((pointer, usize, cstring, ...) -> i32): a BareFn cannot be one (a thunk cannot read C\'s va_list); declare the arguments it receives',
  });
  tt.throws(() => sig(t.i32, [t.cstring], { variadic: 1 as never }), { instanceOf: TypeError, message: 'sig: options.variadic must be a boolean; got 1' });
  tt.is(String(Snprintf), '(pointer, usize, cstring, ...) -> i32');
  tt.deepEqual(structuredClone(Snprintf), { ret: t.i32, args: [t.pointer, t.usize, t.cstring], abi: 'C', variadic: true });
  tt.is(typeof FnPtr.from(1024n, Snprintf), 'function');
});
