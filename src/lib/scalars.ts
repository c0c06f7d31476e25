// The scalar types as C lays them out on this platform (sizes and member alignments, from the
// addon's table of types), and how each is read from a DataView: shared by memory.read's fast path
// and struct decoding.
import { byCode, SCALARS } from './types.js';

// Every platform bare-fn supports is little-endian: DataView accessors read native order with
// `true`, and an address's low half is the first 32-bit word of its 64 bits.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('bare-fn: this platform is big-endian; bare-fn supports little-endian ones only');
}

/** Size and alignment as a struct member of each scalar type, by code (void: 0 and 1). */
export const LAYOUTS: readonly { readonly size: number; readonly align: number }[] = byCode(SCALARS);

const pointerSize = SCALARS.pointer.size;

/** Readers of one value at an index of a DataView, by type code (`byCode`; api.test.ts and memory-cache.test.ts read every type through them and natively and
 * compare). A table of small functions rather than a switch: a caller that reads one type calls
 * one of them, which V8 inlines, where a switch over every type exceeded its inlining budget
 * when a comparator made two reads. Pointer-sized types take the platform's width. */
export type Getter = (view: DataView, index: number) => unknown;
export const GETTERS: readonly (Getter | undefined)[] = byCode<Getter | undefined>({
  void: undefined,
  bool: (v, i) => v.getUint8(i) !== 0, // any non-zero byte is true, as natively
  i8: (v, i) => v.getInt8(i),
  u8: (v, i) => v.getUint8(i),
  i16: (v, i) => v.getInt16(i, true),
  u16: (v, i) => v.getUint16(i, true),
  i32: (v, i) => v.getInt32(i, true),
  u32: (v, i) => v.getUint32(i, true),
  i64: (v, i) => v.getBigInt64(i, true),
  u64: (v, i) => v.getBigUint64(i, true),
  isize: pointerSize === 8 ? (v, i) => v.getBigInt64(i, true) : (v, i) => BigInt(v.getInt32(i, true)),
  usize: pointerSize === 8 ? (v, i) => v.getBigUint64(i, true) : (v, i) => BigInt(v.getUint32(i, true)),
  f32: (v, i) => v.getFloat32(i, true),
  f64: (v, i) => v.getFloat64(i, true),
  pointer: pointerSize === 8 ? (v, i) => v.getBigUint64(i, true) : (v, i) => BigInt(v.getUint32(i, true)),
  cstring: undefined, // a pointer to read natively
  cstring16: undefined,
  cstring32: undefined,
});

/** Writers of one value at an index of a DataView, by type code: each writes a value that the
 * native conversion (crates/napi from_js.rs) takes exactly as it is, and returns true; for
 * anything else (out of range, wrong type, a value native code would round or refuse) it writes
 * nothing and returns false, and the caller goes the native way, which converts it or gives the
 * error. The string types and void have none. */
export type Setter = (view: DataView, index: number, value: unknown) => boolean;
const F32_MAX = 3.4028234663852886e38;
const SIGNED_BITS = pointerSize * 8;
export const SETTERS: readonly (Setter | undefined)[] = byCode<Setter | undefined>({
  void: undefined,
  bool: (v, i, x) => typeof x === 'boolean' && (v.setUint8(i, x ? 1 : 0), true),
  i8: (v, i, x) => typeof x === 'number' && (x << 24) >> 24 === x && (v.setInt8(i, x), true),
  u8: (v, i, x) => typeof x === 'number' && (x & 0xff) === x && (v.setUint8(i, x), true),
  i16: (v, i, x) => typeof x === 'number' && (x << 16) >> 16 === x && (v.setInt16(i, x, true), true),
  u16: (v, i, x) => typeof x === 'number' && (x & 0xffff) === x && (v.setUint16(i, x, true), true),
  i32: (v, i, x) => typeof x === 'number' && (x | 0) === x && (v.setInt32(i, x, true), true),
  u32: (v, i, x) => typeof x === 'number' && x >>> 0 === x && (v.setUint32(i, x, true), true),
  i64: (v, i, x) => setWide(v, i, x, 64, true),
  u64: (v, i, x) => setWide(v, i, x, 64, false),
  isize: (v, i, x) => setWide(v, i, x, SIGNED_BITS, true),
  usize: (v, i, x) => setWide(v, i, x, SIGNED_BITS, false),
  // Finite values beyond f32's range are native code's to refuse; NaN and infinities pass.
  f32: (v, i, x) => typeof x === 'number' && !(Math.abs(x) > F32_MAX && Number.isFinite(x)) && (v.setFloat32(i, x, true), true),
  f64: (v, i, x) => typeof x === 'number' && (v.setFloat64(i, x, true), true),
  pointer: (v, i, x) => setWide(v, i, x, SIGNED_BITS, false),
  cstring: undefined,
  cstring16: undefined,
  cstring32: undefined,
});

/** A 64-bit or pointer-sized integer from a bigint in range or a safe integer (natively too). */
function setWide(view: DataView, index: number, value: unknown, bits: number, signed: boolean): boolean {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value) && (signed || value >= 0)) n = BigInt(value);
  else return false;
  if ((signed ? BigInt.asIntN(bits, n) : BigInt.asUintN(bits, n)) !== n) return false;
  if (bits === 64) view.setBigUint64(index, BigInt.asUintN(64, n), true);
  else view.setUint32(index, Number(BigInt.asUintN(32, n)), true);
  return true;
}
