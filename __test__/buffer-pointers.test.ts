// Buffers as pointer arguments: a TypedArray, Buffer, DataView or ArrayBuffer passed where a call
// takes a pointer is the address of its bytes (from its byteOffset) for the duration of the call,
// null is NULL; libc and the system's zlib write and read them.
import test from 'ava';

import { Library, memory, sig, t } from '../src/index.js';

import { libcPath } from './helpers/platform.js';

const windows = process.platform === 'win32';
const libc = Library.open(libcPath);
const memset = libc.fn('void *memset(void *s, int c, size_t n)');
const memcpy = libc.fn('void *memcpy(void *dest, const void *src, size_t n)');

test('every kind of buffer is the address of its bytes, from its offset', (tt) => {
  const bytes = new Uint8Array(8);
  tt.is(memset(bytes, 0x41, 8n), memory.addressOf(bytes), 'memset returns the address it was given');
  tt.deepEqual([...bytes], [0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41]);
  const buffer = Buffer.alloc(6);
  memset(buffer.subarray(2), 0x42, 3n);
  tt.deepEqual([...buffer], [0, 0, 0x42, 0x42, 0x42, 0]);
  const backing = new ArrayBuffer(8);
  memset(new DataView(backing, 4, 2), 0x43, 2n);
  memset(backing, 0x44, 1n);
  tt.deepEqual([...new Uint8Array(backing)], [0x44, 0, 0, 0, 0x43, 0x43, 0, 0]);
  const words = new Uint32Array([1, 2, 3, 4]);
  memcpy(words.subarray(2), new Uint32Array([7, 8]), 8n);
  tt.deepEqual([...words], [1, 2, 7, 8]);
  // Small typed arrays live in V8's heap until their address is asked for: the bytes written are
  // the array's, not a copy's.
  const small = new Float64Array(1);
  memcpy(small, new Float64Array([2.5]), 8n);
  tt.is(small[0], 2.5);
});

test('null is NULL for a pointer parameter; a typed array is an out parameter', (tt) => {
  // time_t is 64-bit with the Microsoft CRT, whose plain `time` export is the 32-bit one.
  const time = libc.fn(windows ? 'time_t _time64(time_t *tloc)' : 'time_t time(time_t *tloc)');
  const now = BigInt(time(null));
  const out = t.sizeof(sig.c('time_t f(void)').ret as never) === 8 ? new BigInt64Array(1) : new Int32Array(1);
  const again = BigInt(time(out));
  tt.is(BigInt(out[0]!), again, 'the out parameter holds what time() returned');
  tt.true(again >= now && again - now < 60n);
});

test('a value that is no address nor buffer is a TypeError naming what a pointer takes', (tt) => {
  tt.throws(() => memset({} as never, 0, 1n), {
    instanceOf: TypeError,
    message: 'FnPtr (pointer, i32, usize) -> pointer: argument 0 (pointer): expected an address (a bigint or safe integer), a TypedArray, Buffer, DataView or ArrayBuffer, or null (pointer), got an object',
  });
  tt.throws(() => memset('text' as never, 0, 1n), { instanceOf: TypeError, message: /argument 0 \(pointer\): expected an address .* got "text"$/ });
  // A bigint out of range is still the range error it was.
  tt.throws(() => memset(-1n as never, 0, 1n), { instanceOf: RangeError, message: /argument 0 \(pointer\): -1n does not fit pointer/ });
});

test('buffers through .async: written by the pool thread, kept alive until the call settles', async (tt) => {
  const bytes = new Uint8Array(1 << 16);
  const returned = await memset.async(bytes, 0x5a, BigInt(bytes.length));
  tt.is(returned, memory.addressOf(bytes));
  tt.true(bytes.every((b) => b === 0x5a));
  // The caller keeps no reference: the call does, until it settles.
  const calls = Array.from({ length: 32 }, (_, i) => memset.async(new Uint8Array(4096), i, 4096n));
  tt.is((await Promise.all(calls)).length, 32);
});

// The system zlib (glibc Linux, where it is part of the system), as a user calls it: buffers in,
// an out parameter for the length, the prototypes with zlib's typedefs spelled as C types.
const onGlibc = process.platform === 'linux' && (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime !== undefined ? test : undefined;
onGlibc?.("zlib's compress and uncompress round-trip Uint8Arrays, the length through an out parameter", (tt) => {
  using z = Library.open('libz.so.1');
  const compress = z.fn('int compress(unsigned char *dest, unsigned long *destLen, const unsigned char *source, unsigned long sourceLen)');
  const uncompress = z.fn('int uncompress(unsigned char *dest, unsigned long *destLen, const unsigned char *source, unsigned long sourceLen)');
  const text = new TextEncoder().encode('bare-fn '.repeat(100));
  const packed = new Uint8Array(1024);
  const length = new BigUint64Array([BigInt(packed.length)]);
  tt.is(compress(packed, length, text, BigInt(text.length)), 0, 'Z_OK');
  tt.true(length[0]! < 100n, `${text.length} bytes compressed to ${length[0]}`);
  const unpacked = new Uint8Array(text.length);
  const outLength = new BigUint64Array([BigInt(unpacked.length)]);
  tt.is(uncompress(unpacked, outLength, packed.subarray(0, Number(length[0])), length[0]!), 0);
  tt.is(outLength[0], BigInt(text.length));
  tt.deepEqual(unpacked, text);
});
