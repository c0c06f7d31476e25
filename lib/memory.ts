// memory: scalar reads and writes at native addresses, and the address of JS-owned bytes.
import { binding } from './native.js';
import { checkType, describe, type JsInput, type JsValue, type Type, type TypeName } from './types.js';

type Readable = Exclude<TypeName, 'void'>;
type Writable = Exclude<TypeName, 'void' | 'cstring'>;

function checkOffset(offset: unknown, what: string): number {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset)) {
    throw new TypeError(`${what}: the offset must be a safe integer; got ${describe(offset)}`);
  }
  return offset;
}

/**
 * JS-owned memory recently passed to `memory.addressOf`. A read that falls entirely inside one
 * of these regions is served from a DataView over the same bytes, without a call into native
 * code: a comparator reading the elements of the array being sorted costs a few nanoseconds per
 * read instead of a Node-API call. The regions hold their buffers, so an address in a region
 * cannot be reused by another allocation while it is cached; the oldest region is dropped when
 * a new one is added. Resizable buffers are not cached; a region whose buffer was detached is
 * dropped at its next hit (its DataView throws). Reads elsewhere, misaligned reads, bool and C
 * strings go to native code, which checks them and gives the errors.
 *
 * Addresses are compared as doubles, exact below 2^53 (regions above are not cached): a bigint
 * becomes a double by storing it into a BigUint64Array and reading its two 32-bit halves, which
 * optimised code does inline, where `Number(bigint)` or bigint arithmetic call into the runtime
 * or allocate (bench/README.md, qsort). The store wraps modulo 2^64, so a hit also checks that
 * the address is in [0, 2^64), as `BigInt.asUintN(64, address) === address`, which optimised
 * code does in about half the time of two bigint comparisons.
 */
interface Region {
  readonly start: number;
  readonly end: number;
  readonly view: DataView;
}
const REGIONS = 4;
const regions: Region[] = [];
// The fast path reads native-endian values through little-endian DataView accessors, and takes
// the low half of an address from the first 32-bit word.
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const scratch = new BigUint64Array(1);
const halves = new Uint32Array(scratch.buffer);

/** Size in bytes of the types the fast path reads, by type code; 0: always native (void, bool:
 * any non-zero byte is true, normalized natively; cstring). Parallel to GETTERS below: one table
 * of [size, getter] pairs cost about 45 more instructions per read (callgrind). */
// prettier-ignore
const SIZES = [
  0, 0, // void, bool
  1, 1, 2, 2, 4, 4, 8, 8, // i8 u8 i16 u16 i32 u32 i64 u64
  8, 8, 4, 8, 8, // isize usize f32 f64 pointer
  0, // cstring
];

function remember(view: ArrayBufferView | ArrayBuffer, address: bigint): void {
  const buffer = view instanceof ArrayBuffer ? view : view.buffer;
  const resizable = (buffer as { resizable?: boolean }).resizable === true;
  const start = Number(address);
  const length = view.byteLength;
  if (!littleEndian || address === 0n || resizable || start + length > Number.MAX_SAFE_INTEGER) return;
  const byteOffset = view instanceof ArrayBuffer ? 0 : view.byteOffset;
  regions.unshift({ start, end: start + length, view: new DataView(buffer, byteOffset, length) });
  if (regions.length > REGIONS) regions.length = REGIONS;
}

/** Drops region `k`; undefined. */
function forget(k: number): undefined {
  regions.splice(k, 1);
  return undefined;
}

/** A read by native code, which checks the address and gives the errors. */
function readNative(code: number, address: unknown, offset: unknown): unknown {
  return binding.memoryRead(code, address, checkOffset(offset, 'memory.read'));
}

/** Reads through a cached region; undefined when the read is not entirely inside one. The fast
 * path of `memory.read` is kept within V8's inlining budget (920 bytes of bytecode for a
 * function and all it inlines) even for a callback that reads twice: errors are built, and
 * rare cases handled, in functions of their own. */
function readCached(code: number, address: bigint, offset: number): unknown {
  scratch[0] = address;
  const low = halves[0]! + offset;
  const at = halves[1]! * 0x1_0000_0000 + low;
  for (let k = 0; k < regions.length; k++) {
    const region = regions[k]!;
    if (at < region.start || at >= region.end) continue;
    const size = SIZES[code]!;
    // NULL, misaligned, running past the region or wrapped: native code decides (and throws).
    // Alignment is tested on the low 32 bits (`%` on doubles is a slow call); `&` takes them
    // exactly from any integer below 2^53.
    if (size === 0 || at + size > region.end || (low & (size - 1)) !== 0 || at === offset || BigInt.asUintN(64, address) !== address) {
      return undefined;
    }
    try {
      return GETTERS[code]!(region.view, at - region.start);
    } catch {
      return forget(k); // detached (the only way the in-bounds read throws): memory may be reused
    }
  }
  return undefined;
}

/** Readers of one value at an index of a DataView, by type code (positions in types.ts
 * TYPE_NAMES; api.test.ts and memory-cache.test.ts read every type through them and natively and
 * compare). A table of small functions rather than a switch: a caller that reads one type calls
 * one of them, which V8 inlines, where a switch over every type exceeded its inlining budget
 * when a comparator made two reads. */
type Getter = (view: DataView, index: number) => unknown;
const GETTERS: readonly (Getter | undefined)[] = [
  undefined, // void: size 0, never read here
  undefined, // bool: size 0
  (v, i) => v.getInt8(i),
  (v, i) => v.getUint8(i),
  (v, i) => v.getInt16(i, true),
  (v, i) => v.getUint16(i, true),
  (v, i) => v.getInt32(i, true),
  (v, i) => v.getUint32(i, true),
  (v, i) => v.getBigInt64(i, true),
  (v, i) => v.getBigUint64(i, true),
  (v, i) => v.getBigInt64(i, true), // isize
  (v, i) => v.getBigUint64(i, true), // usize
  (v, i) => v.getFloat32(i, true),
  (v, i) => v.getFloat64(i, true),
  (v, i) => v.getBigUint64(i, true), // pointer
  undefined, // cstring: size 0
];

export const memory = {
  /** Reads one `type` at `address + offset` (bytes). NULL and misaligned addresses throw. */
  read<N extends Readable>(type: Type<N>, address: bigint, offset = 0): JsValue<N> {
    checkType(type, 'memory.read: the type');
    const cached = typeof address === 'bigint' && Number.isSafeInteger(offset) ? readCached(type.code, address, offset) : undefined;
    return (cached === undefined ? readNative(type.code, address, offset) : cached) as JsValue<N>;
  },

  /** Writes `value` as one `type` at `address + offset` (bytes). */
  write<N extends Writable>(type: Type<N>, address: bigint, value: JsInput<N>, offset = 0): void {
    checkType(type, 'memory.write: the type');
    binding.memoryWrite(type.code, address, value, checkOffset(offset, 'memory.write'));
  },

  /** Reads the NUL-terminated UTF-8 string at `address` (null for NULL). */
  readCString(address: bigint): string | null {
    return binding.memoryReadCString(address);
  },

  /** The address of the first byte of a TypedArray, Buffer, DataView or ArrayBuffer. */
  addressOf(view: ArrayBufferView | ArrayBuffer): bigint {
    const address = binding.memoryAddressOf(view) as bigint;
    remember(view, address);
    return address;
  },
};

