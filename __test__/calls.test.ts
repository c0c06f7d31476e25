// Calls from JS into C (FnPtr and Library functions), each a Node-API function of its own with a
// call plan (crates/napi/src/outgoing): C strings encoded on the call's stack and beyond it,
// argument counts, the functions' own properties, variadic calls of many type lists, and plans
// freed when their functions are collected or their worker ends.
import { Worker } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import path from 'node:path';

import test from 'ava';

import { FnPtr, Library, memory, sig, t } from '../src/index.js';
import { libcPath } from './helpers/platform.js';

const libc = Library.open(libcPath);
const strlen = libc.fn('strlen', sig(t.usize, [t.cstring]));
/** strstr(s, "") is s: a C string that went to C and came back, read while the call's own
 * strings still live. */
const strstr = libc.fn('strstr', sig(t.cstring, [t.cstring, t.cstring]));
const strcmp = libc.fn('strcmp', sig(t.i32, [t.cstring, t.cstring]));
/** libc's snprintf (msvcrt names it _snprintf: ucrt's snprintf is an inline function of its
 * headers). */
const snprintf = libc.fn(process.platform === 'win32' ? '_snprintf' : 'snprintf', sig(t.i32, [t.pointer, t.usize, t.cstring], { variadic: true }));

/** Strings of `unit` repeated to about `bytes` bytes of UTF-8, from `from` to `to`. */
function stringsAround(unit: string, from: number, to: number): string[] {
  const size = Buffer.byteLength(unit);
  const out: string[] = [];
  for (let n = Math.floor(from / size); n * size <= to; n++) out.push(unit.repeat(n));
  return out;
}

test('a C string argument of any length arrives whole, near and past the bytes a call keeps on its stack', (tt) => {
  // The call encodes its strings into 1 KiB of its own stack and gives one that may not fit an
  // allocation of its own: every length around that edge, in characters of 1 to 4 bytes.
  for (const unit of ['a', 'é', '€', '😀', 'a😀']) {
    for (const s of [...stringsAround(unit, 0, 8), ...stringsAround(unit, 1000, 1040), unit.repeat(5000)]) {
      tt.is(strlen(s), BigInt(Buffer.byteLength(s)), `${s.length} × ${unit}`);
      tt.is(strstr(s, ''), s, `round trip of ${s.length} × ${unit}`);
    }
  }
});

test('several C strings of one call share its stack, and those that do not fit are allocated', (tt) => {
  const a = 'x'.repeat(700);
  const b = 'x'.repeat(700);
  tt.is(strcmp(a, b), 0, 'the second does not fit after the first');
  tt.true(strcmp(a, `${b}y`) < 0);
  tt.true(strcmp(`${a}z`, b) > 0);
  // snprintf with two 600-byte strings as variadic arguments: the format, both strings, whole.
  const out = Buffer.alloc(2048);
  const left = 'L'.repeat(600);
  const right = 'é'.repeat(300);
  const written = snprintf(memory.addressOf(out), BigInt(out.length), '%s|%s', t.cstring, left, t.cstring, right);
  tt.is(written, 600 + 1 + 600);
  tt.is(out.toString('utf8', 0, written), `${left}|${right}`);
});

test('a long C string is checked as a short one: NUL characters and lone surrogates are errors', (tt) => {
  const long = 'a'.repeat(3000);
  tt.throws(() => strlen(`${long}\0b`), {
    instanceOf: TypeError,
    message: 'FnPtr (cstring) -> usize: argument 0 (cstring): a cstring cannot contain NUL characters (one is at index 3000)',
  });
  tt.throws(() => strlen(`${long}\uD800`), {
    instanceOf: TypeError,
    message: 'FnPtr (cstring) -> usize: argument 0 (cstring): a cstring is UTF-8, which cannot encode the lone surrogate U+D800 at index 3000',
  });
  tt.is(strlen(`${long}\uFFFD`), 3003n, 'a real U+FFFD is kept');
});

test('a call with too many or too few arguments is a TypeError counting them', (tt) => {
  const abs = libc.fn('abs', sig(t.i32, [t.i32]));
  tt.throws(() => (abs as (...args: unknown[]) => unknown)(), { instanceOf: TypeError, message: 'FnPtr (i32) -> i32 takes 1 arguments, got 0' });
  tt.throws(() => (abs as (...args: unknown[]) => unknown)(1, 2, 3), { instanceOf: TypeError, message: 'FnPtr (i32) -> i32 takes 1 arguments, got 3' });
  const rand = libc.fn('rand', sig(t.i32, []));
  tt.throws(() => (rand as (...args: unknown[]) => unknown)(1), { instanceOf: TypeError, message: 'FnPtr () -> i32 takes 0 arguments, got 1' });
  tt.is(typeof rand(), 'number');
});

test('a function is named after its symbol and carries its address and signature', (tt) => {
  const Abs = sig(t.i32, [t.i32]);
  const abs = libc.fn('abs', Abs);
  tt.is(abs.name, 'abs');
  tt.is(abs.address, libc.symbol('abs'));
  tt.is(abs.signature, Abs);
  const same = FnPtr.from(abs.address, Abs);
  tt.is(same.name, 'FnPtr');
  tt.is(same(-7), 7);
});

test('a function asked for again is the one made before: by name and signature, by declaration, until close', (tt) => {
  using lib = Library.open(libcPath);
  const Abs = sig(t.i32, [t.i32]);
  const abs = lib.fn('abs', Abs);
  tt.is(lib.fn('abs', Abs), abs);
  tt.is(sig(t.i32, [t.i32]), Abs, 'a signature of the same scalars is the same signature');
  tt.not(lib.fn('labs', sig(t.i64, [t.i64])) as unknown, abs, 'another name');
  tt.not(lib.fn('abs', sig(t.i32, [t.i32], { abi: 'system' })) as unknown, abs, 'another signature (on this platform system is C, but the object differs)');
  const declared = lib.fn('int abs(int)');
  tt.is(lib.fn('int abs(int)'), declared);
  const Point = t.struct({ x: t.i32, y: t.i32 });
  tt.not(sig(t.void, [Point]), sig(t.void, [Point]), 'signatures with structs are made each time');
  lib.close();
  tt.throws(() => lib.fn('abs', Abs), { instanceOf: TypeError, message: `Library ${JSON.stringify(libcPath)} is closed: cannot look up symbol "abs"` });
  tt.throws(() => abs(-1), { instanceOf: TypeError, message: `Library ${JSON.stringify(libcPath)} is closed: cannot call abs` });
});

test('a variadic argument is checked as its declared type before C promotes it', (tt) => {
  const out = Buffer.alloc(16);
  tt.throws(() => snprintf(memory.addressOf(out), 16n, '%d', t.i8, 300), {
    instanceOf: RangeError,
    message: 'FnPtr (pointer, usize, cstring, ...i8) -> i32: argument 3 (i8): 300 does not fit i8',
  });
  tt.throws(() => snprintf(memory.addressOf(out), 16n, '%f', t.f32, 1e300), { instanceOf: RangeError });
});

test('a variadic function called with more lists of types than it keeps native functions for', (tt) => {
  // 64 lists are kept; 80 distinct lists of two variadic types, each called twice.
  const out = Buffer.alloc(64);
  const ints = [t.i32, t.u32, t.i64, t.u64, t.isize, t.usize, t.i16, t.u16, t.i8, t.u8] as const;
  // Sizes as long longs where they are 64-bit (msvcrt knows no %z).
  const wide = t.sizeof(t.usize) === 8;
  const formats: Record<string, string> = { i64: '%lld', u64: '%llu', isize: wide ? '%lld' : '%d', usize: wide ? '%llu' : '%u', u32: '%u', u16: '%u', u8: '%u' };
  for (let round = 0; round < 2; round++) {
    for (const x of ints) {
      for (const y of [t.f64, t.f32, t.i32, t.u8, t.i64, t.usize, t.u16, t.bool]) {
        const fy = y === t.f64 || y === t.f32 ? '%.1f' : (formats[y.name] ?? '%d');
        const n = snprintf(memory.addressOf(out), 64n, `${formats[x.name] ?? '%d'} ${fy}`, x, 7, y, y === t.bool ? true : 2);
        const expected = `7 ${y === t.f64 || y === t.f32 ? '2.0' : y === t.bool ? '1' : '2'}`;
        tt.is(out.toString('utf8', 0, n), expected, `${x.name}, ${y.name}`);
      }
    }
  }
});

test('functions that the garbage collector takes free their plans, struct results included', async (tt) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const Div = t.struct({ quot: t.i32, rem: t.i32 });
  const Abs = sig(t.i32, [t.i32]);
  const DivSig = sig(Div, [t.i32, t.i32]);
  let collected = 0;
  const registry = new FinalizationRegistry(() => collected++);
  // FnPtr.from makes a function each time (lib.fn gives the one it made before).
  for (let i = 0; i < 2000; i++) {
    const abs = FnPtr.from(libc.symbol('abs'), Abs);
    const div = FnPtr.from(libc.symbol('div'), DivSig);
    tt.is(abs(-i), i);
    tt.deepEqual(div(i, 7), { quot: Math.trunc(i / 7), rem: i % 7 });
    registry.register(abs, i);
    registry.register(div, i);
  }
  for (let i = 0; i < 10 && collected < 1000; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  tt.true(collected >= 1000, `collected ${collected} of 4000`);
  tt.is(libc.fn('abs', Abs)(-5), 5, 'functions made afterwards work');
});

test('a worker that made and called functions ends: their plans are freed with its env, nothing else changes', async (tt) => {
  const script = `
    const { parentPort } = require('node:worker_threads');
    const { Library, sig, t } = require(${JSON.stringify(path.join(__dirname, '..', 'build', 'index.js'))});
    const libc = Library.open(${JSON.stringify(libcPath)});
    const Div = t.struct({ quot: t.i32, rem: t.i32 });
    const fns = [];
    for (let i = 0; i < 100; i++) fns.push(libc.fn('div', sig(Div, [t.i32, t.i32])), libc.fn('abs', sig(t.i32, [t.i32])));
    parentPort.postMessage(fns[0](17, 5).rem + fns[1](-4));
  `;
  for (const end of ['exit', 'terminate'] as const) {
    const worker = new Worker(script, { eval: true });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const result = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    tt.is(result, 6, end);
    if (end === 'terminate') await worker.terminate();
    await exited;
  }
  tt.is(libc.fn('abs', sig(t.i32, [t.i32]))(-9), 9);
});
