// The scalar types as C lays them out on this platform (sizes and member alignments, asked of the
// native layout once), and how each is read from a DataView: shared by memory.read's fast path
// and struct decoding.
import { binding } from './native.js';
import { t, type Type } from './types.js';

// Every platform bare-fn supports is little-endian: DataView accessors read native order with
// `true`, and an address's low half is the first 32-bit word of its 64 bits.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('bare-fn: this platform is big-endian; bare-fn supports little-endian ones only');
}

/** The members of `t`, by code. */
const TYPES = Object.values(t) as Type[];

/** Size and alignment as a struct member of each scalar type, by code (void: 0 and 1). */
export const LAYOUTS: readonly { readonly size: number; readonly align: number }[] = TYPES.map((type) => {
  if (type === t.void) return { size: 0, align: 1 };
  const [size, align] = binding.structLayout('t.sizeof', `{${type.name}}`) as [number, number];
  return { size, align };
});

const pointerSize = LAYOUTS[t.pointer.code]!.size;

/** Readers of one value at an index of a DataView, by type code (positions in types.ts
 * TYPE_NAMES; api.test.ts and memory-cache.test.ts read every type through them and natively and
 * compare). A table of small functions rather than a switch: a caller that reads one type calls
 * one of them, which V8 inlines, where a switch over every type exceeded its inlining budget
 * when a comparator made two reads. Pointer-sized types take the platform's width. */
export type Getter = (view: DataView, index: number) => unknown;
export const GETTERS: readonly (Getter | undefined)[] = [
  undefined, // void
  (v, i) => v.getUint8(i) !== 0, // bool: any non-zero byte is true, as natively
  (v, i) => v.getInt8(i),
  (v, i) => v.getUint8(i),
  (v, i) => v.getInt16(i, true),
  (v, i) => v.getUint16(i, true),
  (v, i) => v.getInt32(i, true),
  (v, i) => v.getUint32(i, true),
  (v, i) => v.getBigInt64(i, true),
  (v, i) => v.getBigUint64(i, true),
  pointerSize === 8 ? (v, i) => v.getBigInt64(i, true) : (v, i) => BigInt(v.getInt32(i, true)), // isize
  pointerSize === 8 ? (v, i) => v.getBigUint64(i, true) : (v, i) => BigInt(v.getUint32(i, true)), // usize
  (v, i) => v.getFloat32(i, true),
  (v, i) => v.getFloat64(i, true),
  pointerSize === 8 ? (v, i) => v.getBigUint64(i, true) : (v, i) => BigInt(v.getUint32(i, true)), // pointer
  undefined, // cstring: a pointer to read natively
];
