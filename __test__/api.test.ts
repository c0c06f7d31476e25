// Bad input at the API: every mistake is a TypeError or RangeError whose message names the
// offending argument and value, and nothing crashes.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import test from 'ava';

import { BareFn, FnPtr, Library, MAX_ARGS, memory, sig, t, type Abi, type Signature } from '../src/index.js';

import { libcPath, platformName, targetAbis, targetName, usizeMax } from './helpers/platform.js';

const Compare = sig(t.i32, [t.pointer, t.pointer]);

test('sig rejects unknown types, naming the argument', (tt) => {
  tt.throws(() => sig('i32' as never, []), { instanceOf: TypeError, message: 'sig: the return type must be one of t.void, t.i32, …; got "i32"' });
  tt.throws(() => sig(t.void, [t.i32, { name: 'i32', code: 6 } as never]), {
    instanceOf: TypeError,
    message: 'sig: argument 1 must be one of t.void, t.i32, …; got an object',
  });
  tt.throws(() => sig(t.void, t.i32 as never), { instanceOf: TypeError, message: /must be an array; got an object/ });
});

test('sig accepts 16 arguments and rejects 17', (tt) => {
  tt.is(MAX_ARGS, 16);
  tt.is(String(sig(t.void, Array(16).fill(t.u8))), `(${Array(16).fill('u8').join(', ')}) -> void`);
  tt.throws(() => sig(t.void, Array(17).fill(t.u8)), {
    instanceOf: RangeError,
    message: 'sig: a signature takes at most 16 arguments, got 17',
  });
});

test('void is only a return type', (tt) => {
  tt.throws(() => sig(t.void, [t.i32, t.void] as never), { instanceOf: TypeError, message: 'sig: argument 1 is void; void is only a return type' });
});

const ALL_ABIS: readonly Abi[] = ['C', 'system', 'stdcall', 'fastcall', 'thiscall', 'sysv64', 'win64', 'aapcs'];

test('calling conventions follow Rust on this platform', (tt) => {
  for (const abi of targetAbis) {
    tt.is(sig(t.void, [t.u32], { abi }).abi, abi);
  }
  tt.is(String(sig(t.void, [t.u32, t.f64], { abi: 'system' })), 'extern "system" (u32, f64) -> void');
  const valid = targetAbis.map((abi) => `'${abi}'`).join(', ');
  for (const abi of ALL_ABIS.filter((a) => !targetAbis.includes(a))) {
    tt.throws(() => sig(t.void, [], { abi }), {
      instanceOf: RangeError,
      message: `sig: calling convention '${abi}' does not exist on ${targetName} (as in Rust, where extern "${abi}" is not a supported ABI for this target); ${targetName} has ${valid}`,
    });
  }
  tt.throws(() => sig(t.void, [], { abi: 'pascal' as never }), { instanceOf: RangeError, message: /options.abi must be one of C, system, .*; got "pascal"/ });
});

test('error messages quote at most 40 characters of a string and describe a huge bigint by its size', (tt) => {
  using identity = new BareFn(sig(t.i32, [t.i32]), (x) => x);
  const id = FnPtr.from(identity.address, identity.signature);
  const long = 'x'.repeat(1 << 20);
  tt.throws(() => id(long as never), { instanceOf: TypeError, message: `FnPtr (i32) -> i32: argument 0 (i32): expected a number (i32), got "${'x'.repeat(40)}"…` });
  tt.throws(() => id((2n ** (2n ** 20n)) as never), {
    instanceOf: TypeError,
    message: 'FnPtr (i32) -> i32: argument 0 (i32): expected a number (i32), got a bigint of 16385 64-bit words',
  });
  tt.throws(() => sig(long as never, []), { instanceOf: TypeError, message: `sig: the return type must be one of t.void, t.i32, …; got "${'x'.repeat(40)}"…` });
  tt.throws(() => (BareFn.quarantine = (2n ** 300n) as never), { instanceOf: RangeError, message: 'BareFn.quarantine must be an integer from 0 to 10000000; got a bigint beyond 2^128 in size' });
  tt.throws(() => id(2n ** 100n as never), { message: `FnPtr (i32) -> i32: argument 0 (i32): expected a number (i32), got ${2n ** 100n}n` });
});

test('options must be objects with known keys, argument arrays must not have holes', (tt) => {
  tt.throws(() => sig(t.void, [, t.i32] as never), { instanceOf: TypeError, message: 'sig: argument 0 must be one of t.void, t.i32, …; got undefined' });
  tt.throws(() => sig(t.void, [], null as never), { instanceOf: TypeError, message: 'sig: options must be an object like { abi: … }; got null' });
  tt.throws(() => sig(t.void, [], 'stdcall' as never), { instanceOf: TypeError, message: 'sig: options must be an object like { abi: … }; got "stdcall"' });
  tt.throws(() => sig(t.void, [], { ABI: 'system' } as never), { instanceOf: TypeError, message: 'sig: unknown option "ABI"; the options are abi, variadic' });
  tt.throws(() => new BareFn(Compare, () => 0, 'blocking' as never), {
    instanceOf: TypeError,
    message: 'new BareFn: options must be an object like { threading: … }; got "blocking"',
  });
  tt.throws(() => new BareFn(Compare, () => 0, { threading: 'blocking', timeout: 50 } as never), {
    instanceOf: TypeError,
    message: 'new BareFn: unknown option "timeout"; the options are threading, timeoutMs, settleTimeoutMs, ref, fallback, onError',
  });
});

test('an onError getter is read once', (tt) => {
  let reads = 0;
  const options = {
    get onError() {
      reads++;
      return reads === 1 ? () => {} : undefined;
    },
  };
  using cb = new BareFn(Compare, () => 0, options);
  tt.is(reads, 1);
  tt.is(typeof cb.address, 'bigint');
});

test('a cstring argument with a lone surrogate is an error, not a U+FFFD', (tt) => {
  using libc = Library.open(libcPath);
  const strlen = libc.fn('strlen', sig(t.usize, [t.cstring]));
  tt.throws(() => strlen('ab\uD800c'), {
    instanceOf: TypeError,
    message: 'FnPtr (cstring) -> usize: argument 0 (cstring): a cstring is UTF-8, which cannot encode the lone surrogate U+D800 at index 2',
  });
  tt.is(strlen('a\uFFFDb'), 5n, 'a real U+FFFD is kept');
  tt.is(strlen('\u{1F600}'), 4n, 'a surrogate pair is one character');
  tt.throws(() => memory.readCString('x' as never), { instanceOf: TypeError, message: 'memory.readCString: the address: expected a bigint or safe integer (pointer), got "x"' });
});

test('new BareFn checks its signature, callback and options', (tt) => {
  tt.throws(() => new BareFn({} as Signature, () => 0 as never), {
    instanceOf: TypeError,
    message: 'new BareFn: the signature must be a signature made by sig(…); got an object',
  });
  tt.throws(() => new BareFn(Compare, 42 as never), { instanceOf: TypeError, message: 'new BareFn: the callback must be a function; got 42' });
  tt.throws(() => new BareFn(Compare, () => 0, { onError: 'log' as never }), {
    instanceOf: TypeError,
    message: 'new BareFn: options.onError must be a function; got "log"',
  });
  tt.throws(() => new BareFn(sig(t.u8, []), () => 0, { fallback: 300 }), {
    instanceOf: RangeError,
    message: 'new BareFn: options.fallback: 300 does not fit u8',
  });
  tt.throws(() => new BareFn(Compare, () => 0, { threading: 'shared' } as never), {
    instanceOf: RangeError,
    message: 'new BareFn: options.threading must be one of local, blocking, nonblocking; got "shared"',
  });
  tt.throws(() => new BareFn(Compare, () => 0, { threading: 'nonblocking' } as never), {
    instanceOf: TypeError,
    message: "new BareFn: 'nonblocking' needs a void return type (the caller does not wait for a result); (pointer, pointer) -> i32 returns i32",
  });
  tt.throws(() => new BareFn(Compare, () => 0, { threading: 'blocking', timeoutMs: -1 }), {
    instanceOf: RangeError,
    message: 'new BareFn: options.timeoutMs must be a number >= 0 or Infinity; got -1',
  });
  tt.throws(() => new BareFn(Compare, () => 0, { timeoutMs: 5 } as never), {
    instanceOf: TypeError,
    message: "new BareFn: options.timeoutMs is only for threading 'blocking'; this one is \"local\"",
  });
  tt.throws(() => new BareFn(Compare, () => 0, { ref: 1 as never }), {
    instanceOf: TypeError,
    message: 'new BareFn: options.ref must be a boolean; got 1',
  });
});

test('a BareFn exposes its address, signature and mode; dispose is idempotent', (tt) => {
  const f = new BareFn(Compare, () => 0);
  tt.is(typeof f.address, 'bigint');
  tt.true(f.address > 0n);
  tt.is(f.signature, Compare);
  tt.is(f.threading, 'local');
  tt.false(f.disposed);
  f.dispose();
  tt.true(f.disposed);
  f.dispose();
  f[Symbol.dispose]();
  tt.true(f.disposed);
  tt.throws(() => f.address, { instanceOf: TypeError, message: 'BareFn (pointer, pointer) -> i32: address read after dispose' });
});

test('structuredClone and postMessage refuse a BareFn or Library saying why; a signature clones as its data', (tt) => {
  const f = new BareFn(Compare, () => 0);
  const libc = Library.open(libcPath);
  const why = /^Symbol\(bare-fn objects stay on the thread that made them: post a BareFn's or block's \.address, a Library's \.path, and rebuild\) could not be cloned\.$/;
  // A DOMException, which ava's throws() does not take for an error.
  const refusal = (clone: () => unknown): unknown => {
    try {
      clone();
    } catch (error) {
      return error;
    }
    return undefined;
  };
  const { port1, port2 } = new MessageChannel();
  for (const clone of [() => structuredClone(f), () => structuredClone(libc), () => structuredClone({ nested: [f] }), () => port1.postMessage(f)]) {
    const error = refusal(clone);
    tt.true(error instanceof DOMException);
    tt.is((error as DOMException).name, 'DataCloneError');
    tt.regex((error as DOMException).message, why);
  }
  port1.close();
  port2.close();
  tt.deepEqual(structuredClone(Compare), { ret: t.i32, args: [t.pointer, t.pointer], abi: 'C', variadic: false });
  // What to post instead works: the address is a bigint, the signature its data.
  tt.is(structuredClone({ address: f.address }).address, f.address);
  // JSON and spreading, which skip or copy the marker, still work.
  tt.is(JSON.stringify(f), JSON.stringify({ signature: { ret: t.i32, args: [t.pointer, t.pointer], abi: 'C', variadic: false }, threading: 'local' }));
  tt.is({ ...f }.threading, 'local');
  f.dispose();
  libc.close();
});

test('using disposes at the end of the block', (tt) => {
  let escaped: BareFn<typeof Compare> | undefined;
  {
    using f = new BareFn(Compare, () => 0);
    escaped = f;
    tt.false(f.disposed);
  }
  tt.true(escaped.disposed);
});

test('FnPtr.from rejects NULL and non-bigint addresses', (tt) => {
  tt.throws(() => FnPtr.from(0n, Compare), { instanceOf: RangeError, message: 'FnPtr.from: the address is NULL (0n)' });
  tt.throws(() => FnPtr.from(4096 as never, Compare), { instanceOf: TypeError, message: 'FnPtr.from: the address must be a bigint; got 4096' });
  if (process.arch === 'arm64') {
    tt.throws(() => FnPtr.from(0x1001n, Compare), { instanceOf: RangeError, message: 'FnPtr.from: the address 0x1001 is not aligned to 4 bytes, as code is here' });
  } else {
    // x86 code may start at any byte (koffi's callback trampolines do): odd addresses are valid.
    tt.is(FnPtr.from(0x1001n, Compare).address, 0x1001n);
  }
  tt.throws(() => FnPtr.from(-8n, Compare), { instanceOf: RangeError, message: 'FnPtr.from: the address -8n is not an address' });
  tt.throws(() => FnPtr.from(4096n, 'sig' as never), { instanceOf: TypeError, message: 'FnPtr.from: the signature must be a signature made by sig(…); got "sig"' });
});

test('FnPtr calls check the argument count and each argument', (tt) => {
  using add = new BareFn(sig(t.i32, [t.i32, t.u8]), (a, b) => a + b);
  const f = FnPtr.from(add.address, add.signature);
  tt.is(f(40, 2), 42);
  tt.throws(() => (f as (...a: unknown[]) => number)(1), { instanceOf: TypeError, message: 'FnPtr (i32, u8) -> i32 takes 2 arguments, got 1' });
  tt.throws(() => f(1, 300), { instanceOf: RangeError, message: 'FnPtr (i32, u8) -> i32: argument 1 (u8): 300 does not fit u8' });
  tt.throws(() => f(1.5, 1), { instanceOf: RangeError, message: 'FnPtr (i32, u8) -> i32: argument 0 (i32): 1.5 is not an integer (i32)' });
  tt.throws(() => f('1' as never, 1), { instanceOf: TypeError, message: 'FnPtr (i32, u8) -> i32: argument 0 (i32): expected a number (i32), got "1"' });
});

test('Library.open of a missing file and fn of a missing symbol', (tt) => {
  const missing = process.platform === 'win32' ? 'C:\\no\\such\\missing.dll' : '/no/such/libmissing.so';
  const reason = process.platform === 'win32' ? /LoadLibraryExW failed: .*\(os error 126\)$/ : /No such file/;
  const error = tt.throws(() => Library.open(missing), { instanceOf: RangeError });
  tt.true(error.message.startsWith(`Library.open: cannot open path ${JSON.stringify(missing)}: `), error.message);
  tt.regex(error.message, reason);
  tt.throws(() => Library.open(42 as never), { instanceOf: TypeError, message: 'Library.open: the path must be a string; got 42' });
  const libc = Library.open(libcPath);
  const name = JSON.stringify(libcPath);
  tt.throws(() => libc.fn('no_such_function_here', sig(t.void, [])), {
    instanceOf: RangeError,
    message: (message: string) => message.startsWith(`Library ${name}: symbol "no_such_function_here" not found: `),
  });
  const strlen = libc.fn('strlen', sig(t.usize, [t.cstring]));
  tt.is(strlen('héllo'), 6n);
  libc.close();
  tt.true(libc.closed);
  tt.throws(() => strlen('x'), { instanceOf: TypeError, message: `Library ${name} is closed: cannot call strlen` });
  tt.throws(() => libc.symbol('strlen'), { instanceOf: TypeError, message: `Library ${name} is closed: cannot look up symbol "strlen"` });
});

test('a cstring result pointing into a cstring argument (libc strchr, strstr) is read while the argument lives', (tt) => {
  using libc = Library.open(libcPath);
  const strchr = libc.fn('strchr', sig(t.cstring, [t.cstring, t.i32]));
  const strstr = libc.fn('strstr', sig(t.cstring, [t.cstring, t.cstring]));
  for (let i = 0; i < 100; i++) {
    tt.is(strchr(`hello, world ${i}`, 'w'.charCodeAt(0)), `world ${i}`);
    tt.is(strstr(`a needle in a haystack ${i}`, 'hay'), `haystack ${i}`);
  }
  tt.is(strchr('abc', 'z'.charCodeAt(0)), null);
});

test('memory rejects NULL, misaligned addresses and bad types', (tt) => {
  const buf = new Float64Array(2);
  const at = memory.addressOf(buf);
  memory.write(t.f64, at, -0, 8);
  tt.true(Object.is(buf[1], -0));
  tt.throws(() => memory.read(t.i32, 0n), { instanceOf: RangeError, message: 'memory.read: address is NULL' });
  tt.throws(() => memory.read(t.i32, at, 2), { instanceOf: RangeError, message: /^memory.read: address 0x[0-9a-f]+ is not aligned to 4 bytes for i32$/ });
  tt.throws(() => memory.write(t.u8, at, 256), { instanceOf: RangeError, message: 'memory.write: value: 256 does not fit u8' });
  tt.throws(() => memory.read(t.void as never, at), { instanceOf: TypeError, message: 'memory.read: cannot access void' });
  tt.throws(() => memory.write(t.cstring as never, at, 'x' as never), { instanceOf: TypeError, message: /^memory.write: cannot write a cstring/ });
  tt.throws(() => memory.read(t.i32, at, 0.5), { instanceOf: TypeError, message: 'memory.read: the offset must be a safe integer; got 0.5' });
  tt.throws(() => memory.addressOf({} as never), {
    instanceOf: TypeError,
    message: 'memory.addressOf: expected a TypedArray, Buffer, DataView or ArrayBuffer, got an object',
  });
});

test('memory reads and writes every scalar type exactly', (tt) => {
  const buf = Buffer.alloc(64);
  const at = memory.addressOf(buf);
  const cases = [
    [t.bool, true],
    [t.i8, -128],
    [t.u8, 255],
    [t.i16, -32768],
    [t.u16, 65535],
    [t.i32, -2147483648],
    [t.u32, 4294967295],
    [t.i64, -(2n ** 63n)],
    [t.u64, 2n ** 64n - 1n],
    [t.isize, -1n],
    [t.usize, usizeMax],
    [t.f32, 1.401298464324817e-45],
    [t.f64, -0],
    [t.pointer, 0xdeadbeefn],
  ] as const;
  for (const [type, value] of cases) {
    memory.write(type as never, at, value as never, 8);
    tt.is(memory.read(type, at, 8), value as never, type.name);
  }
  memory.write(t.f64, at, Number.NaN, 8);
  tt.true(Number.isNaN(memory.read(t.f64, at, 8)));
  buf.write('ünïcode\0', 16, 'utf8');
  // memory.read(t.cstring, p) reads the `const char *` stored at p, then the string it points to.
  memory.write(t.pointer, at, at + 16n, 8);
  tt.is(memory.read(t.cstring, at, 8), 'ünïcode');
  memory.write(t.pointer, at, 0n, 8);
  tt.is(memory.read(t.cstring, at, 8), null);
  tt.is(memory.readCString(at + 16n), 'ünïcode');
  tt.is(memory.readCString(0n), null);
  const view = new Uint8Array(buf.buffer, buf.byteOffset + 8, 8);
  tt.is(memory.addressOf(view), at + 8n);
});

// The loader asks the running process which libc it has (process.report), not the system's
// files: a process that reports the other libc (no glibc: musl; a glibc version: glibc) wants the
// other addon, whatever /usr/bin/ldd says on this machine.
const onLinux = process.platform === 'linux' ? test : undefined;
onLinux?.("the loader picks the addon of the running process's libc, not the system's", (tt) => {
  const load = (report: string) =>
    spawnSync(process.execPath, ['-e', `${report}; require(${JSON.stringify(path.join(__dirname, '..', 'build', 'index.js'))}); console.log('loaded')`], { encoding: 'utf8' });
  const own = load('');
  tt.is(own.stdout, 'loaded\n', own.stderr);
  const glibc = platformName.endsWith('-gnu');
  const other = glibc ? 'musl' : 'gnu';
  const pretend = glibc ? 'delete r.header.glibcVersionRuntime' : "r.header.glibcVersionRuntime = '2.36'";
  const faked = load(`const real = process.report.getReport.bind(process.report); process.report.getReport = () => { const r = real(); ${pretend}; return r; }`);
  tt.not(faked.status, 0);
  tt.regex(faked.stderr, new RegExp(`bare-fn: cannot load its native addon for linux-${process.arch}-${other} \\(Node ${process.version.replace(/\./g, '\\.')}\\)\\. Install its prebuilt package: npm install bare-fn-linux-${process.arch}-${other}`));
});

test('the shipped addon exports no benchmark code (the Node-API floor is an addon of its own)', (tt) => {
  const exported = Object.keys(require(path.join(__dirname, '..', `bare-fn.${platformName}.node`)) as object);
  tt.true(exported.includes('createCaller'), 'the binding itself');
  tt.deepEqual(exported.filter((name) => /bench/i.test(name)), []);
});
