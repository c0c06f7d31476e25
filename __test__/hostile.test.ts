// Hostile and careless input, second round: what once crashed the process or misbehaved is an
// error naming the input (each case here crashed or was accepted before its fix).
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import test from 'ava';

import { BareFn, FnPtr, Library, memory, sig, t } from '../src/index.js';
import { byValue } from './helpers/by-value.js';
import { libcPath, usizeMax } from './helpers/platform.js';
import { lib } from './helpers/testlib.js';

test('structs nested deeper than 256 levels are refused where they are made, even on a small stack', async (tt) => {
  // 10,000 levels crashed a worker with its default stack in native recursion, 2,000 with 1 MB.
  const script = `
    const { parentPort } = require('node:worker_threads');
    const { t, memory } = require(${JSON.stringify(path.join(__dirname, '..', 'build', 'index.js'))});
    const report = [];
    let s = t.struct({ v: t.u8 });
    try {
      for (let i = 0; i < 10000; i++) s = t.struct({ inner: s });
    } catch (e) {
      report.push(e.constructor.name + ': ' + e.message);
    }
    const block = memory.alloc(s);
    memory.write(s, block.address, memory.read(s, block.address));
    block.dispose();
    let a = t.array(t.u8, 1);
    try {
      for (let i = 0; i < 10000; i++) a = t.array(a, 1);
    } catch (e) {
      report.push(e.constructor.name + ': ' + e.message);
    }
    parentPort.postMessage(report);
  `;
  const worker = new Worker(script, { eval: true, resourceLimits: { stackSizeMb: 1 } });
  const report = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  tt.deepEqual(report, [
    'RangeError: t.struct: structs and arrays nest at most 256 deep in one another',
    'RangeError: t.array: structs and arrays nest at most 256 deep in one another',
  ]);
});

test('an address plus an offset that is NULL or outside the address space is refused, not read', (tt) => {
  const S = t.struct({ a: t.u32, b: t.u32 });
  const top = usizeMax - 15n; // 16 bytes below the end of this process's address space
  const cases: [() => unknown, string][] = [
    [() => memory.read(S, 0x10n, -16), 'memory.read: address 0x10 + offset -16 is NULL'],
    [() => memory.read(t.i32, 8n, -8), 'memory.read: address 0x8 + offset -8 is NULL'],
    [() => memory.readBytes(0x10n, 4, -16), 'memory.readBytes: address 0x10 + offset -16 is NULL'],
    [() => memory.writeBytes(0x10n, new Uint8Array(4), -16), 'memory.writeBytes: address 0x10 + offset -16 is NULL'],
    [() => memory.write(t.u8, 0x10n, 1, -16), 'memory.write: address 0x10 + offset -16 is NULL'],
    [() => memory.read(S, 0x10n, -33), 'memory.read: address 0x10 + offset -33 is outside the address space'],
    [() => memory.read(t.u8, top, 32), `memory.read: address 0x${top.toString(16)} + offset 32 is outside the address space`],
    [() => memory.readBytes(top, 32), `memory.readBytes: address 0x${top.toString(16)} + 32 bytes goes past the end of the address space`],
  ];
  for (const [call, message] of cases) tt.throws(call, { instanceOf: RangeError, message });
});

test('sig reads its argument types once: a Proxy cannot give checked types first and others later', (tt) => {
  let reads = 0;
  const args = new Proxy([t.i32, t.i32], {
    get(target, key, receiver) {
      if (key === '0' || key === '1') reads++;
      // After the check, a look-alike of a struct's descriptor (it once reached the native parser).
      return reads > 2 && (key === '0' || key === '1') ? { name: '{u8,u8,u8}' } : Reflect.get(target, key, receiver);
    },
  });
  const made = sig(t.i32, args as never);
  tt.is(reads, 2);
  tt.deepEqual(made.args, [t.i32, t.i32]);
  tt.is(String(made), '(i32, i32) -> i32');
  tt.throws(() => sig(t.i32, [{ name: '{u8,u8,u8}' } as never]), { instanceOf: TypeError, message: 'sig: argument 0 must be one of t.void, t.i32, …; got an object' });
});

const Text = t.struct({ text: t.cstring, len: t.u32 });

test('a struct result whose C string points into a C-string argument is read while that argument lives', (tt) => {
  // tl_text_of(s) returns { s, strlen(s) }: its string is the call's own argument, freed when the
  // call returned, before the struct was decoded (garbage, or SIGSEGV for a long one).
  const textOf = lib.fn('tl_text_of', sig(Text, [t.cstring]));
  for (const s of ['short', 'é'.repeat(600), 'x'.repeat(1 << 20)]) {
    const got = textOf(s);
    tt.is(got.text, s);
    tt.is(got.len, Buffer.byteLength(s));
  }
});

test("a 'nonblocking' BareFn's struct argument keeps its C string when the caller's memory is gone", async (tt) => {
  const fromThread = lib.fn('tl_text_from_thread', sig(t.void, [t.pointer, t.u32]));
  const seen: string[] = [];
  let resolve = (): void => {};
  const promise = new Promise<void>((done) => (resolve = done));
  using onText = new BareFn(
    sig(t.void, [Text]),
    (text) => {
      seen.push(`${text.text}/${text.len}`);
      if (seen.length === 50) resolve();
    },
    { threading: 'nonblocking' },
  );
  // The C thread overwrites and frees each string as soon as its call is queued.
  fromThread(onText.address, 50);
  await promise;
  tt.deepEqual(seen, Array.from({ length: 50 }, (_, i) => `text ${i}/${i}`));
});

test("a callback's error rethrown from a struct-returning call is the callback's, whatever its returnValue", (tt) => {
  const Point = t.struct({ x: t.f64, y: t.f64 });
  const call = FnPtr.from(byValue('f64x2').call, sig(Point, [t.pointer, Point]));
  const locked = new Error('locked');
  Object.defineProperty(locked, 'returnValue', { value: 'mine', writable: false, configurable: false });
  const trapped = new Proxy(new Error('trapped'), {
    defineProperty() {
      throw new Error('trap');
    },
    getOwnPropertyDescriptor() {
      throw new Error('trap');
    },
  });
  for (const thrown of [locked, trapped]) {
    using throws = new BareFn(sig(Point, [Point]), () => {
      throw thrown;
    });
    let caught: unknown;
    try {
      call(throws.address, { x: 1, y: 2 });
    } catch (error) {
      caught = error;
    }
    // Compared by identity only: ava's messages would describe the Proxy through its traps.
    tt.true(caught === thrown);
  }
  tt.is((locked as Error & { returnValue: unknown }).returnValue, 'mine');
});

test('paths and symbol names that C would cut, or read as the program itself, are refused', (tt) => {
  // '' and '\0' opened the node executable; 'libc.so.6\0x' opened libc; 'strlen\0' resolved.
  tt.throws(() => Library.open(''), { instanceOf: TypeError, message: 'Library.open: the path is empty (dlopen would give the program itself)' });
  tt.throws(() => Library.open('\0'), { instanceOf: TypeError, message: 'Library.open: the path contains a NUL character (at index 0): C would cut it there' });
  tt.throws(() => Library.open(`${libcPath}\0x`), {
    instanceOf: TypeError,
    message: `Library.open: the path contains a NUL character (at index ${libcPath.length}): C would cut it there`,
  });
  using libc = Library.open(libcPath);
  tt.throws(() => libc.symbol('strlen\0'), { instanceOf: TypeError, message: 'Library.symbol: the name contains a NUL character (at index 6): C would cut it there' });
  tt.throws(() => libc.fn('strlen\0', sig(t.usize, [t.cstring])), {
    instanceOf: TypeError,
    message: 'Library.fn: the name contains a NUL character (at index 6): C would cut it there',
  });
});

test('two different calling conventions in one C declaration are an error at the second', (tt) => {
  tt.throws(() => sig.c('int __stdcall __cdecl f(int)'), {
    instanceOf: TypeError,
    message: 'sig.c: conflicting calling conventions __stdcall and __cdecl at column 15:\n  int __stdcall __cdecl f(int)\n                ^',
  });
  tt.throws(() => sig.c('int __cdecl (__stdcall *)(int)'), { instanceOf: TypeError, message: /conflicting calling conventions __cdecl and __stdcall/ });
  tt.is(String(sig.c('int __cdecl __cdecl f(int)')), '(i32) -> i32', 'the same one twice is only redundant');
});

test('options and types are read from their own properties only, never from Object.prototype', (tt) => {
  const proto = Object.prototype as Record<string, unknown>;
  const polluted = { pack: 1, variadic: true, abi: 'stdcall', lazy: 'yes', threading: 'blocking', Evil: t.struct({ a: t.u8 }) };
  try {
    Object.assign(proto, polluted);
    tt.is(t.sizeof(t.struct({ a: t.u8, b: t.u32 }, {})), 8, 'not packed');
    const plain = sig(t.i32, [t.i32], {});
    tt.is(plain.variadic, false);
    tt.is(plain.abi, 'C');
    tt.notThrows(() => Library.open(libcPath, {}).close());
    tt.throws(() => sig.c('struct Evil f(void)'), { instanceOf: TypeError, message: /unknown struct "struct Evil"/ });
    using local = new BareFn(sig(t.void, []), () => {}, {});
    tt.is(local.threading, 'local');
  } finally {
    for (const key of Object.keys(polluted)) delete proto[key];
  }
});

test('a struct definition is read once, in its written order, from string keys only', (tt) => {
  let reads = 0;
  const changing = t.struct({
    get a() {
      return reads++ === 0 ? t.f64 : t.u8;
    },
    b: t.u8,
  });
  tt.is(reads, 1);
  tt.is(changing.fields.a, t.f64, 'the fields say what the layout was made of');
  tt.deepEqual(changing.offsets, { a: 0, b: 8 });
  tt.throws(() => t.struct({ b: t.u8, 1: t.u32 }), {
    instanceOf: TypeError,
    message: `t.struct: field "1" is named like an array index, which JavaScript puts before every other name: C's member order would be lost; name it otherwise`,
  });
  tt.throws(() => t.struct({ a: t.u8, [Symbol('s')]: t.u32 }), { instanceOf: TypeError, message: 't.struct: field names are strings; got Symbol(s)' });
  const proxied = t.struct(new Proxy({ a: t.u8, b: t.u32 }, {}));
  tt.deepEqual(proxied.offsets, { a: 0, b: 4 });
});

test('memory.writeBytes writes what the bytes really hold and refuses detached memory', (tt) => {
  using block = memory.alloc(8);
  const source = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  Object.defineProperty(source, 'byteLength', { value: 2 });
  memory.writeBytes(block.address, source);
  tt.deepEqual([...memory.readBytes(block.address, 8)], [1, 2, 3, 4, 5, 6, 7, 8], 'a byteLength of its own is not the size');
  const buffer = new ArrayBuffer(8);
  const views = [new Uint8Array(buffer), new DataView(buffer)];
  structuredClone(buffer, { transfer: [buffer] });
  for (const detached of [buffer, ...views]) {
    tt.throws(() => memory.writeBytes(block.address, detached), {
      instanceOf: TypeError,
      message: 'memory.writeBytes: the bytes: its ArrayBuffer is detached (transferred or freed)',
    });
  }
  tt.throws(() => memory.writeBytes(block.address, Object.setPrototypeOf({}, Uint8Array.prototype) as Uint8Array), {
    instanceOf: TypeError,
    message: 'memory.writeBytes: the bytes must be a TypedArray, Buffer, DataView or ArrayBuffer; got an object',
  });
});

test("memory blocks are made by memory.alloc only, and refuse to be cloned as BareFns do", (tt) => {
  using block = memory.alloc(8);
  const Made = block.constructor as new (size: number, type: undefined, made?: symbol) => unknown;
  // It took any size (2^32 + 8 allocated 8 bytes for a block that said 4 GiB), NaN, 2^53.
  for (const size of [2 ** 32 + 8, 2 ** 53, Number.NaN, 8]) {
    tt.throws(() => new Made(size, undefined), { instanceOf: TypeError, message: 'memory blocks are made by memory.alloc(typeOrSize)' });
  }
  for (const size of [2 ** 32 + 8, Number.NaN, 0, -1, 1.5]) {
    tt.throws(() => memory.alloc(size), { instanceOf: RangeError, message: `memory.alloc: the size must be an integer from 1 to 2147483647; got ${String(size)}` });
  }
  // A DOMException, which ava's throws() does not take for an error.
  let refusal: unknown;
  try {
    structuredClone(block);
  } catch (error) {
    refusal = error;
  }
  tt.is((refusal as DOMException).name, 'DataCloneError');
  tt.regex((refusal as DOMException).message, /post a BareFn's or block's \.address, a Library's \.path, and rebuild\) could not be cloned\.$/);
});

test('messages stay small and quick whatever the input: a huge bigint address, an oversized array', (tt) => {
  // It printed 20 million digits (11.5 s).
  tt.throws(() => FnPtr.from(2n ** (2n ** 26n), sig(t.void, [])), { instanceOf: RangeError, message: 'FnPtr.from: the address a bigint beyond 2^128 in size is not an address' });
  tt.throws(() => t.array(t.u16, 2 ** 31 - 1), { instanceOf: RangeError, message: 't.array: a struct or array is at most 2147483647 bytes' });
});

test('a 1 MB path or symbol comes back as its first 256 characters and its length, a field name as its first 40', (tt) => {
  const long = 'x'.repeat(1_000_000);
  const cut = `"${'x'.repeat(256)}"… (1000000 characters)`;
  // Each came back whole, twice over (the OS's reason repeats it): 2 MB messages.
  const open = tt.throws(() => Library.open(long), { instanceOf: RangeError });
  tt.true(open.message.startsWith(`Library.open: cannot open path ${cut}: `), open.message);
  tt.true(open.message.length < 1000, `${open.message.length} characters`);
  using libc = Library.open(libcPath);
  for (const find of [() => libc.symbol(long), () => libc.fn(long, sig(t.i32, []))]) {
    const error = tt.throws(find, { instanceOf: RangeError });
    tt.true(error.message.startsWith(`Library ${JSON.stringify(libcPath)}: symbol ${cut} not found: `), error.message);
    tt.true(error.message.length < 1000, `${error.message.length} characters`);
  }
  tt.throws(() => t.struct({ [long]: 5 as never }), { instanceOf: TypeError, message: `t.struct: field "${'x'.repeat(40)}"… must be a type of t (a scalar, t.struct(…) or t.array(…)); got 5` });
});

test("a signature's long struct is named by its first fields and its size, not spelt out in every message", (tt) => {
  const fields: Record<string, typeof t.u8> = {};
  for (let i = 0; i < 4096; i++) fields[`f${i}`] = t.u8;
  const Wide = t.struct(fields);
  const fn = FnPtr.from(0x1000n, sig(t.void, [Wide]));
  tt.is(fn.signature.toString(), '({u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,…, 4096 fields, 4096 bytes}) -> void');
  // It spelt all 4,096 fields: 12 KB.
  const error = tt.throws(() => (fn as (x: unknown) => void)(1), { instanceOf: TypeError });
  tt.true(error.message.startsWith('FnPtr ({u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,…, 4096 fields, 4096 bytes}) -> void: argument 0: '), error.message);
  tt.true(error.message.length < 300, `${error.message.length} characters`);
});

test('a C declaration naming a struct given as another type in types says what it is', (tt) => {
  // It said "unknown struct Point (give it in the types argument)", which it was.
  tt.throws(() => sig.c('struct Point f(void)', { Point: t.i32 } as never), {
    instanceOf: TypeError,
    message: 'sig.c: "struct Point" must be a struct: types.Point is t.i32, not t.struct(…) at column 8:\n  struct Point f(void)\n         ^',
  });
  tt.throws(() => sig.c('struct Point f(void)', { 'struct Point': t.array(t.u8, 2) } as never), {
    instanceOf: TypeError,
    message: 'sig.c: "struct Point" must be a struct: types["struct Point"] is [u8; 2], not t.struct(…) at column 8:\n  struct Point f(void)\n         ^',
  });
});

test.serial("a 'nonblocking' BareFn's queue is bounded in bytes too: large struct arguments fill it sooner", async (tt) => {
  // 100,000 queued calls with a 4 KiB struct took 421 MB; the default limit allowed 4.3 GB.
  const Big = t.struct({ bytes: t.array(t.u8, 4096) });
  const flood = lib.fn('tl_big_from_thread', sig(t.void, [t.pointer, t.u32]));
  const delivered: number[] = [];
  const errors: [string, string][] = [];
  using onBig = new BareFn(sig(t.void, [Big]), (big) => void delivered.push(big.bytes[0]!), {
    threading: 'nonblocking',
    onError: (e, info) => void errors.push([(e as Error).message, info.kind]),
  });
  const limit = BareFn.queueLimit;
  BareFn.queueLimit = 1000;
  try {
    // The JS thread waits in the join: the C thread's 2,000 calls are queued or dropped.
    flood(onBig.address, 2000);
  } finally {
    BareFn.queueLimit = limit;
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  // 1,000 calls' worth of bytes holds a few dozen calls of 4 KiB, not 1,000.
  tt.true(delivered.length > 10 && delivered.length < 100, `${delivered.length} delivered`);
  tt.deepEqual(delivered, Array.from({ length: delivered.length }, (_, i) => i % 256), 'the first ones, in order');
  tt.is(errors.length, 1);
  tt.is(errors[0]![1], 'queue-full');
  tt.regex(errors[0]![0], /is full \(\d+ calls of \d+ bytes waiting, at most BareFn\.queueLimit × \d+ bytes\), so the call was dropped/);
});

test('a syntax error quotes a window of its line, with the line and column, whatever the declaration', (tt) => {
  // A 1 MB declaration came back whole in the message, and a multi-line one put the caret under
  // the wrong line.
  const long = `int f(${'int a, '.repeat(150_000)}bogus)`;
  const error = tt.throws(() => sig.c(long), { instanceOf: TypeError })!;
  tt.true(error.message.length < 300, `${error.message.length} characters`);
  tt.is(
    error.message,
    `sig.c: unknown type "bogus" (give it in the types argument: { bogus: t.… }) at column ${long.indexOf('bogus') + 1}:\n  …${long.slice(long.indexOf('bogus') - 60, long.indexOf('bogus') + 6)}\n  ${' '.repeat(61)}^`,
  );
  tt.throws(() => sig.c('int\n  f(int,\n  @x)'), { instanceOf: TypeError, message: 'sig.c: unexpected "@" at line 3, column 3:\n    @x)\n    ^' });
});

test('function pointer parameters nested deeper than 64 are an error naming the declaration, not a stack overflow', (tt) => {
  const nest = (n: number): string => `void f(${'void (*)('.repeat(n)}int${')'.repeat(n)})`;
  tt.is(String(sig.c(nest(64))), '(pointer) -> void');
  for (const depth of [65, 5000]) {
    tt.throws(() => sig.c(nest(depth)), { instanceOf: TypeError, message: /^sig\.c: function pointer parameters nest at most 64 deep at column 592:/ });
  }
});
