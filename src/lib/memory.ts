// memory: reads and writes of scalars, structs and bytes at native addresses, the address of
// JS-owned bytes, and native blocks (`memory.alloc`).
import { types } from 'node:util';

import { allocate, type Block } from './block.js';
import { binding } from './native.js';
import {
  type ArrayType,
  codecOf,
  type FieldInput,
  type FieldValue,
  isComposite,
  leafSize,
  leavesOf,
  sizeOf,
  type StructType,
} from './struct.js';
import { GETTERS as SCALAR_GETTERS } from './scalars.js';
import { byCode, checkType, describe, isText, isType, SCALARS, t, type JsInput, type JsValue, type TextName, type Type, type TypeName } from './types.js';

type Readable = Exclude<TypeName, 'void'>;
type Writable = Exclude<TypeName, 'void' | TextName>;

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
// the low half of an address from the first 32-bit word (scalars.ts: every platform is
// little-endian).
const scratch = new BigUint64Array(1);
const halves = new Uint32Array(scratch.buffer);

/** Size in bytes of the types the fast path reads, by type code; 0: always native (void; bool,
 * whose normalization stays with the errors of native code; the strings). Parallel to GETTERS: one
 * table of [size, getter] pairs cost about 45 more instructions per read (callgrind). */
const SIZES = byCode(SCALARS).map(({ name, js, size }) => (name === 'void' || name === 'bool' || js === 'string' ? 0 : size));
const GETTERS = SCALAR_GETTERS;
/** The members of `t` the fast path reads, at their codes: `CACHED[type.code] === type` is both
 * the type check (a look-alike object is not the member) and the test for a non-zero size. */
const CACHED: (Type | undefined)[] = [];
for (const type of Object.values(t) as Type[]) if (SIZES[type.code]! > 0) CACHED[type.code] = type;

function remember(view: ArrayBufferView | ArrayBuffer, address: bigint): void {
  const buffer = view instanceof ArrayBuffer ? view : view.buffer;
  const resizable = (buffer as { resizable?: boolean }).resizable === true;
  const start = Number(address);
  const length = view.byteLength;
  if (address === 0n || resizable || start + length > Number.MAX_SAFE_INTEGER) return;
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
  if (!isType(type) && isComposite(type)) return readCompositeAt(type, address, checkOffset(offset, 'memory.read'));
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

// ---------------------------------------------------------------------------------------------
// Structs and arrays: one copy between native memory and a scratch buffer, decoded or encoded
// in JS (or decoded straight from a cached region of JS-owned memory).

/** Scratch bytes, grown as needed and never handed to user code: one for struct reads and one
 * for writes, since a written value's getters run while the write's is filled and may read
 * memory (or write it: `encodeAt` notices). */
class Scratch {
  bytes = new Uint8Array(256);
  view = new DataView(this.bytes.buffer);

  /** Grown to `size` bytes at least. */
  fit(size: number): this {
    if (size > this.bytes.length) {
      this.bytes = new Uint8Array(Math.max(size, this.bytes.length * 2));
      this.view = new DataView(this.bytes.buffer);
    }
    return this;
  }
}
const reads = new Scratch();
const writes = new Scratch();
/** Where a leaf is written natively before its bytes move to its (maybe unaligned) offset. */
const LEAF_SLOT = 8;

/** address + offset as a bigint, when address is one (or a safe integer); else undefined and
 * native code gives the error. */
function absolute(address: unknown, offset: number): bigint | undefined {
  if (typeof address === 'bigint') return address + BigInt(offset);
  if (typeof address === 'number' && Number.isSafeInteger(address)) return BigInt(address) + BigInt(offset);
  return undefined;
}

/** The alignment of a struct read or write (NULL, an address outside the address space and the
 * rest: native, named by `what` too). */
function checkAligned(type: StructType | ArrayType, at: bigint | undefined, what: string): void {
  if (at !== undefined && at > 0n && at < 1n << 64n && at % BigInt(type.align) !== 0n) {
    throw new RangeError(`${what}: address 0x${at.toString(16)} is not aligned to ${type.align} bytes for ${type.name}`);
  }
}

/** A prototype's own getter, called on values directly (a property of the value itself, or a
 * changed prototype, cannot stand in for it). */
function getter(prototype: object, name: string): (this: unknown) => unknown {
  return Object.getOwnPropertyDescriptor(prototype, name)!.get! as (this: unknown) => unknown;
}
const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedBuffer = getter(TYPED_ARRAY, 'buffer');
const typedLength = getter(TYPED_ARRAY, 'byteLength');
const viewBuffer = getter(DataView.prototype, 'buffer');
const viewLength = getter(DataView.prototype, 'byteLength');
const bufferLength = getter(ArrayBuffer.prototype, 'byteLength');

/** The size of a TypedArray, DataView or ArrayBuffer as the engine knows it (a `byteLength`
 * property of the object's own could say less); a TypeError naming `what` for anything else, or
 * when its memory is detached (transferred or freed: it would read as empty). */
function realByteLength(source: unknown, what: string): number {
  const buffer = types.isTypedArray(source)
    ? typedBuffer.call(source)
    : types.isDataView(source)
      ? viewBuffer.call(source)
      : types.isArrayBuffer(source) || types.isSharedArrayBuffer(source)
        ? source
        : undefined;
  if (buffer === undefined) throw new TypeError(`${what} must be a TypedArray, Buffer, DataView or ArrayBuffer; got ${describe(source)}`);
  if (types.isArrayBuffer(buffer)) {
    try {
      ArrayBuffer.prototype.slice.call(buffer, 0, 0);
    } catch {
      throw new TypeError(`${what}: its ArrayBuffer is detached (transferred or freed)`);
    }
  }
  const length = types.isTypedArray(source) ? typedLength.call(source) : types.isDataView(source) ? viewLength.call(source) : bufferLength.call(buffer);
  return length as number;
}

function isDetached(view: DataView): boolean {
  try {
    return view.byteLength < 0; // throws when detached
  } catch {
    return true;
  }
}

function readCompositeAt(type: StructType | ArrayType, address: unknown, offset: number): unknown {
  // The address as a number where it is one exactly (as in readCached: no bigint arithmetic,
  // which allocates); the checks and errors of other addresses are native code's and
  // checkAligned's.
  let start = -1;
  if (typeof address === 'bigint' && (offset | 0) === offset && BigInt.asUintN(64, address) === address) {
    scratch[0] = address;
    const low = halves[0]! + offset;
    if (halves[1]! < 0x20_0000 && low >= 0) start = halves[1]! * 0x1_0000_0000 + low;
  }
  if (start < 0 || start % type.align !== 0) checkAligned(type, absolute(address, offset), 'memory.read');
  if (start >= 0) {
    for (const region of regions) {
      if (start >= region.start && start + type.size <= region.end) {
        if (isDetached(region.view)) {
          forget(region);
          break;
        }
        return codecOf(type).read(region.view, start - region.start);
      }
    }
  }
  const { bytes, view } = reads.fit(type.size);
  binding.memoryReadInto(address, offset, bytes, type.size, 'memory.read');
  return codecOf(type).read(view, 0);
}

function writeCompositeAt(type: StructType | ArrayType, address: unknown, value: unknown, offset: number): void {
  // Its own references: a getter of `value` may grow the scratch (a nested memory.write).
  const { bytes: target, view } = writes.fit(type.size);
  encodeAt(type, value, view, 0, 'memory.write');
  checkAligned(type, absolute(address, offset), 'memory.write');
  binding.memoryWriteFrom(address, offset, target, type.size, 'memory.write');
}

/** Counts `encodeAt` calls: one that sees the count move while it ran knows that a getter of its
 * value encoded something else meanwhile, maybe into the same bytes. */
let encodings = 0;

/**
 * Encodes `value` as a `type` at byte `at` of `view`, padding as zeros: in JS when every scalar
 * is one native code takes as it is (`Codec.write`), else the native way, which converts the
 * rest or throws the error, naming `what` and the field path, with nothing written to `view`.
 */
export function encodeAt(type: StructType | ArrayType, value: unknown, view: DataView, at: number, what: string): void {
  const codec = codecOf(type);
  const epoch = ++encodings;
  if (codec.padded) new Uint8Array(view.buffer, view.byteOffset + at, type.size).fill(0);
  // A getter that encoded meanwhile (a nested memory.write, a BareFn returning a struct) may have
  // overwritten what this wrote so far: then the native way, which reads every field first.
  if (codec.write(view, at, value) && encodings === epoch) return;
  const encoded = encodeNatively(type, value, what);
  new Uint8Array(view.buffer, view.byteOffset + at, type.size).set(encoded);
}

/** `value` encoded as a `type`, in bytes of its own (`encodeAt`). */
export function encodedBytes(type: StructType, value: unknown, what: string): Uint8Array {
  const bytes = new Uint8Array(type.size);
  encodeAt(type, value, new DataView(bytes.buffer), 0, what);
  return bytes;
}

/** The bytes of `value` as a `type`, each scalar converted natively (in a copy of `bytes`, which
 * `encodeAt` may be filling). */
function encodeNatively(type: StructType | ArrayType, value: unknown, what: string): Uint8Array {
  const leaves = leavesOf(type, value, what);
  const slot = Math.ceil(type.size / LEAF_SLOT) * LEAF_SLOT;
  const scratch = new Uint8Array(slot + LEAF_SLOT);
  const scratchAddress = binding.memoryAddressOf(scratch) as bigint;
  for (let i = 0; i < leaves.codes.length; i++) {
    const code = leaves.codes[i]!;
    binding.memoryWrite(code, scratchAddress, leaves.values[i], slot, leaves.paths[i]);
    scratch.copyWithin(leaves.offsets[i]!, slot, slot + leafSize(code));
  }
  return scratch.subarray(0, type.size);
}

/** A byte count: an integer from 0 to 2^31 - 1. */
const MAX_BYTES = 2 ** 31 - 1;
function checkLength(length: unknown, what: string): number {
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > MAX_BYTES) {
    throw new RangeError(`${what}: the length must be an integer from 0 to ${MAX_BYTES}; got ${describe(length)}`);
  }
  return length;
}

type Composite = StructType | ArrayType;

export const memory = {
  /** Reads one `type` at `address + offset` (bytes): a scalar, or a struct or array (copied into
   * a new object). NULL and misaligned addresses throw. */
  read: ((type: Type | Composite, address: bigint, offset = 0): unknown => {
    const cached = typeof address === 'bigint' && (offset | 0) === offset ? readCached(type as Type, address, offset) : undefined;
    return cached === undefined ? readSlow(type, address, offset) : cached;
  }) as {
    <N extends Readable>(type: Type<N>, address: bigint, offset?: number): JsValue<N>;
    <C extends Composite>(type: C, address: bigint, offset?: number): FieldValue<C>;
  },

  /** Writes `value` as one `type` at `address + offset` (bytes). A struct or array is checked
   * whole (every field present, none extra, each in range) before any byte is written; its
   * padding is written as zeros. */
  write: ((type: Type | Composite, address: bigint, value: unknown, offset = 0): void => {
    const by = checkOffset(offset, 'memory.write');
    if (!isType(type) && isComposite(type)) return writeCompositeAt(type, address, value, by);
    checkType(type, 'memory.write: the type');
    binding.memoryWrite(type.code, address, value, by, undefined);
  }) as {
    <N extends Writable>(type: Type<N>, address: bigint, value: JsInput<N>, offset?: number): void;
    <C extends Composite>(type: C, address: bigint, value: FieldInput<C>, offset?: number): void;
  },

  /** A copy of the `length` bytes at `address + offset`. */
  readBytes(address: bigint, length: number, offset = 0): Uint8Array {
    const out = new Uint8Array(checkLength(length, 'memory.readBytes'));
    binding.memoryReadInto(address, checkOffset(offset, 'memory.readBytes'), out, length, 'memory.readBytes');
    return out;
  },

  /** Copies the bytes of a TypedArray, Buffer, DataView or ArrayBuffer to `address + offset`. */
  writeBytes(address: bigint, source: ArrayBufferView | ArrayBuffer, offset = 0): void {
    const length = checkLength(realByteLength(source, 'memory.writeBytes: the bytes'), 'memory.writeBytes');
    binding.memoryWriteFrom(address, checkOffset(offset, 'memory.writeBytes'), source, length, 'memory.writeBytes');
  },

  /** A zero-filled native block for a type (its size and alignment) or a byte count, freed once
   * on dispose (`using block = memory.alloc(Point)`). */
  alloc: ((typeOrSize: Type | Composite | number): Block<Type | Composite | undefined> => {
    if (typeof typeOrSize === 'number') return allocate(typeOrSize, undefined);
    return allocate(sizeOf(typeOrSize, 'memory.alloc: the type'), typeOrSize);
  }) as {
    <T extends Type | Composite>(type: T): Block<T>;
    (size: number): Block<undefined>;
  },

  /** Reads the NUL-terminated string at `address` (null for NULL): UTF-8, or the encoding of
   * `type` (`t.cstring16`, `t.cstring32`, `t.wcstring`). What is not valid text reads as U+FFFD. */
  readCString(address: bigint, type: Type<TextName> = t.cstring): string | null {
    return binding.memoryReadCString(address, (type as Type | undefined)?.code) as string | null;
  },

  /** The address of the first byte of a TypedArray, Buffer, DataView or ArrayBuffer. */
  addressOf(view: ArrayBufferView | ArrayBuffer): bigint {
    const address = binding.memoryAddressOf(view) as bigint;
    remember(view, address);
    return address;
  },
};

