// memory.read serves reads inside memory passed to memory.addressOf from a JS view of the same
// bytes (src/lib/memory.ts). These tests hold that path to what a native read gives, at its edges:
// region bounds, offsets, NULL, addresses that wrap modulo 2^64, misalignment, detached buffers.
import test from 'ava';
import koffi from 'koffi';

import { memory, t } from '../src/index.js';
import { SCALARS } from '../src/lib/types.js';
import { KOFFI_NAMES, fromKoffi } from './helpers/koffi-types.js';
import { VALUE_TYPES, typeOf } from './helpers/testlib.js';

/** 64 bytes, of which 30 (bytes 16..45) are passed to addressOf. */
function region() {
  const outer = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
  const inner = outer.subarray(16, 46);
  const at = memory.addressOf(inner);
  return { outer, inner, at, view: new DataView(outer.buffer) };
}

test('reads inside a region equal what koffi reads natively, for every cached type', (tt) => {
  const { at } = region();
  // bool and the strings are always read natively.
  for (const name of VALUE_TYPES.filter((n) => n !== 'bool' && SCALARS[n].js !== 'string')) {
    const size = koffi.sizeof(KOFFI_NAMES[name]);
    for (let offset = 0; offset + size <= 30; offset += size) {
      const expected = fromKoffi(name, koffi.decode(at + BigInt(offset), KOFFI_NAMES[name]));
      tt.is(memory.read(typeOf(name) as never, at, offset), expected as never, `${name} at +${offset}`);
    }
  }
});

test('reads at and across the region edges, and with offsets into it, give the bytes there', (tt) => {
  const { at, view } = region();
  // The last elements inside; reads straddling the end, past it or before the start go native,
  // and give the bytes there (the rest of the outer array) all the same.
  tt.is(memory.read(t.i16, at, 28), view.getInt16(44, true));
  tt.is(memory.read(t.u8, at + 29n), view.getUint8(45));
  tt.is(memory.read(t.i32, at, 28), view.getInt32(44, true));
  tt.is(memory.read(t.i32, at, 32), view.getInt32(48, true));
  tt.is(memory.read(t.i32, at, -4), view.getInt32(12, true));
  // An address before the region with an offset into it reads inside it.
  tt.is(memory.read(t.u64, at - 8n, 16), view.getBigUint64(24, true));
});

test('a read the native path refuses is refused inside a region too', (tt) => {
  const { at } = region();
  tt.throws(() => memory.read(t.i32, 0n, Number(at)), { instanceOf: RangeError, message: 'memory.read: address is NULL' });
  tt.throws(() => memory.read(t.i32, at + 2n ** 64n), { instanceOf: RangeError, message: /^memory.read: address/ });
  tt.throws(() => memory.read(t.i32, at - 2n ** 64n), { instanceOf: RangeError, message: /^memory.read: address/ });
  tt.throws(() => memory.read(t.i32, at, 2), { instanceOf: RangeError, message: /^memory.read: address 0x[0-9a-f]+ is not aligned to 4 bytes for i32$/ });
  tt.throws(() => memory.read(t.i32, at, 4.5), { instanceOf: TypeError, message: 'memory.read: the offset must be a safe integer; got 4.5' });
  tt.throws(() => memory.read({ name: 'i32', code: 6 } as never, at), { instanceOf: TypeError, message: 'memory.read: the type must be one of t.void, t.i32, …; got an object' });
});

test('writes by native code are seen by cached reads at once', (tt) => {
  const { at, inner } = region();
  memory.write(t.i32, at, -123456789, 4);
  tt.is(memory.read(t.i32, at, 4), -123456789);
  inner[0] = 0xff;
  tt.is(memory.read(t.i8, at), -1);
});

test('a region whose buffer was detached is read natively, from wherever the bytes went', (tt) => {
  const buffer = new ArrayBuffer(16);
  const at = memory.addressOf(buffer);
  new Int32Array(buffer)[1] = 42;
  tt.is(memory.read(t.i32, at, 4), 42);
  // Transferring moves the backing store without copying it: the same address, a new owner.
  const moved = structuredClone(buffer, { transfer: [buffer] });
  tt.is(buffer.byteLength, 0);
  new Int32Array(moved)[1] = 43;
  tt.is(memory.read(t.i32, at, 4), 43);
  tt.is(memory.addressOf(moved), at);
});

test('reads that alternate between regions and native memory each read their own bytes', (tt) => {
  // The fast path tries only the region of the last cached read; the others are found again.
  const first = region();
  const second = region();
  second.inner.reverse();
  const native = koffi.alloc('int32_t', 1);
  const nativeAt = BigInt(koffi.address(native));
  koffi.encode(native, 'int32_t', -77);
  for (let i = 0; i < 30; i += 2) {
    tt.is(memory.read(t.u8, first.at, i), first.inner[i]!);
    tt.is(memory.read(t.u8, second.at, i), second.inner[i]!);
    tt.is(memory.read(t.i32, nativeAt), -77);
    tt.is(memory.read(t.u16, first.at, i), first.view.getUint16(16 + i, true));
  }
  koffi.free(native);
});

test('a detached region that is not the last one read is dropped when it is looked for', (tt) => {
  const buffer = new ArrayBuffer(16);
  const at = memory.addressOf(buffer);
  new Int32Array(buffer)[2] = 7;
  const other = region();
  tt.is(memory.read(t.u8, other.at), other.inner[0]!);
  const moved = structuredClone(buffer, { transfer: [buffer] });
  new Int32Array(moved)[2] = 8;
  tt.is(memory.read(t.i32, at, 8), 8);
  tt.is(memory.read(t.u8, other.at, 1), other.inner[1]!);
});
