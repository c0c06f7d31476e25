// memory: scalar reads and writes at native addresses, and the address of JS-owned bytes.
import { binding } from './native.js';
import { checkType, describe, t, type JsInput, type JsValue, type Type, type TypeName } from './types.js';

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
 *
 * Size matters here more than anywhere: V8 inlines at most 920 bytes of bytecode into one
 * optimised function, and a BareFn's pointer argument is only never allocated when its wrapper
 * (arg-buffer.ts), the callback and every memory.read of it are inlined together (~1/4 of a qsort
 * comparison's time went to scavenging the two bigints otherwise). So the fast path, `readCached`
 * under `memory.read`, tries the region of the last cached read only, with a table lookup for the
 * type check; searching the other regions, checking the arguments and building errors happen in
 * `readSlow`, which a comparator whose reads all hit never calls.
 */
interface Region {
  readonly start: number;
  readonly end: number;
  readonly view: DataView;
}
const REGIONS = 4;
const regions: Region[] = [];
/** Contains no address: the last region before any cached read, and after one is dropped. */
const NO_REGION: Region = { start: Infinity, end: -Infinity, view: new DataView(new ArrayBuffer(0)) };
/** The region of the last cached read (or of the last memory.addressOf). */
let last = NO_REGION;
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
/** The members of `t` the fast path reads, at their codes: `CACHED[type.code] === type` is both
 * the type check (a look-alike object is not the member) and the test for a non-zero size. */
const CACHED: (Type | undefined)[] = [];
for (const type of Object.values(t) as Type[]) if (SIZES[type.code]! > 0) CACHED[type.code] = type;

function remember(view: ArrayBufferView | ArrayBuffer, address: bigint): void {
  const buffer = view instanceof ArrayBuffer ? view : view.buffer;
  const resizable = (buffer as { resizable?: boolean }).resizable === true;
  const start = Number(address);
  const length = view.byteLength;
  if (!littleEndian || address === 0n || resizable || start + length > Number.MAX_SAFE_INTEGER) return;
  const byteOffset = view instanceof ArrayBuffer ? 0 : view.byteOffset;
  last = { start, end: start + length, view: new DataView(buffer, byteOffset, length) };
  regions.unshift(last);
  if (regions.length > REGIONS) regions.length = REGIONS;
}

/** Drops `region`, whose buffer was detached (memory may be reused); undefined. */
function forget(region: Region): undefined {
  regions.splice(regions.indexOf(region), 1);
  last = NO_REGION;
  return undefined;
}

/**
 * Reads `type` at `address + offset` from the last region read; undefined when the read is not
 * entirely inside it, or is for native code to decide (and refuse): a type not read here, NULL,
 * misaligned, wrapped modulo 2^64, or a detached buffer. The caller checked that `address` is a
 * bigint and `offset` an int32; `type` may be anything.
 */
function readCached(type: Type, address: bigint, offset: number): unknown {
  const code = (type as Type | undefined)?.code as number;
  const size = SIZES[code]!;
  scratch[0] = address;
  const low = halves[0]! + offset;
  const at = halves[1]! * 0x1_0000_0000 + low;
  const region = last;
  // Alignment is tested on the low 32 bits (`%` on doubles is a slow call); `&` takes them
  // exactly from any integer below 2^53. `at === offset`: the address is NULL.
  if (CACHED[code] !== type || at < region.start || at + size > region.end || (low & (size - 1)) !== 0 || at === offset || BigInt.asUintN(64, address) !== address) {
    return undefined;
  }
  try {
    return GETTERS[code]!(region.view, at - region.start);
  } catch {
    return forget(region); // detached (the only way the in-bounds read throws)
  }
}

/** memory.read when the fast path gave nothing: checks the arguments, tries the other regions,
 * then reads natively (native code checks the address and gives the errors). */
function readSlow(type: unknown, address: unknown, offset: unknown): unknown {
  const { code } = checkType(type, 'memory.read: the type');
  const by = checkOffset(offset, 'memory.read');
  if (typeof address === 'bigint' && (by | 0) === by) {
    const previous = last;
    for (const region of regions) {
      if (region === previous) continue;
      last = region;
      const value = readCached(type as Type, address, by);
      if (value !== undefined) return value;
    }
    last = previous;
  }
  return binding.memoryRead(code, address, by);
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
    const cached = typeof address === 'bigint' && (offset | 0) === offset ? readCached(type, address, offset) : undefined;
    return (cached === undefined ? readSlow(type, address, offset) : cached) as JsValue<N>;
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

