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
 * a new one is added. Resizable buffers are not cached; a detached buffer is skipped.
 * Reads elsewhere, misaligned reads and C strings go to native code, which checks them.
 */
interface Region {
  readonly start: bigint;
  readonly end: bigint;
  /** start % 8, to check alignment without bigint arithmetic */
  readonly startMod8: number;
  readonly view: DataView;
}
const REGIONS = 4;
const regions: Region[] = [];
// The fast path reads native-endian values through little-endian DataView accessors.
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type Getter = (view: DataView, index: number) => unknown;
/** Fast-path readers by type code: [size, getter]; bool and cstring always go native. */
const READERS: ReadonlyArray<readonly [number, Getter] | undefined> = [
  undefined, // void
  undefined, // bool: any non-zero byte is true, normalized natively
  [1, (v, i) => v.getInt8(i)],
  [1, (v, i) => v.getUint8(i)],
  [2, (v, i) => v.getInt16(i, true)],
  [2, (v, i) => v.getUint16(i, true)],
  [4, (v, i) => v.getInt32(i, true)],
  [4, (v, i) => v.getUint32(i, true)],
  [8, (v, i) => v.getBigInt64(i, true)],
  [8, (v, i) => v.getBigUint64(i, true)],
  [8, (v, i) => v.getBigInt64(i, true)],
  [8, (v, i) => v.getBigUint64(i, true)],
  [4, (v, i) => v.getFloat32(i, true)],
  [8, (v, i) => v.getFloat64(i, true)],
  [8, (v, i) => v.getBigUint64(i, true)],
  undefined, // cstring
];

function remember(view: ArrayBufferView | ArrayBuffer, address: bigint): void {
  const buffer = view instanceof ArrayBuffer ? view : view.buffer;
  const resizable = (buffer as { resizable?: boolean }).resizable === true;
  if (!littleEndian || address === 0n || resizable) return;
  const byteOffset = view instanceof ArrayBuffer ? 0 : view.byteOffset;
  const length = view.byteLength;
  regions.unshift({
    start: address,
    end: address + BigInt(length),
    startMod8: Number(address % 8n),
    view: new DataView(buffer, byteOffset, length),
  });
  if (regions.length > REGIONS) regions.length = REGIONS;
}

/** Reads through a cached region; undefined when the read is not entirely inside one. */
function readCached(code: number, address: bigint, offset: number): unknown {
  const reader = READERS[code];
  if (reader === undefined) return undefined;
  for (let k = 0; k < regions.length; k++) {
    const region = regions[k]!;
    if (address < region.start || address >= region.end) continue;
    const index = Number(address - region.start) + offset;
    const view = region.view;
    const size = reader[0];
    if (index < 0 || index + size > view.byteLength || (region.startMod8 + index) % size !== 0) return undefined;
    return reader[1](view, index);
  }
  return undefined;
}

export const memory = {
  /** Reads one `type` at `address + offset` (bytes). NULL and misaligned addresses throw. */
  read<N extends Readable>(type: Type<N>, address: bigint, offset = 0): JsValue<N> {
    checkType(type, 'memory.read: the type');
    if (typeof address === 'bigint' && Number.isSafeInteger(offset)) {
      const cached = readCached(type.code, address, offset);
      if (cached !== undefined) return cached as JsValue<N>;
    }
    return binding.memoryRead(type.code, address, checkOffset(offset, 'memory.read')) as JsValue<N>;
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

