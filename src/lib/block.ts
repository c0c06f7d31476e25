/// <reference lib="esnext.disposable" preserve="true" />
// (Kept in the emitted .d.ts: a consumer compiling with a plain lib: ["ES2022"] and no @types/node
// gets Disposable and Symbol.dispose from it.)
// memory.alloc's blocks: zero-filled native memory owned by a JS object, freed once on dispose.
import { binding } from './native.js';
import { NO_CLONE } from './no-clone.js';
import type { ArrayType, StructType } from './struct.js';
import { describe, type Type } from './types.js';

/**
 * Reports blocks garbage-collected without dispose, like leaked BareFns. Their memory is not
 * freed then: native code may still hold the address.
 */
const leakWatch = new FinalizationRegistry<{ what: string; address: bigint }>(({ what, address }) =>
  process.emitWarning(
    `memory.alloc: a block of ${what} at 0x${address.toString(16)} was garbage-collected without dispose; its memory stays allocated, since native code may still use it`,
    'BareFnLeakWarning',
  ),
);

/** What memory.alloc passes to `Block`'s constructor: a block made otherwise (through a block's
 * `constructor`) could claim any size without having it. */
const MADE_BY_ALLOC = Symbol('memory.alloc');

/** The largest block, in bytes. */
export const MAX_BLOCK = 2 ** 31 - 1;

/** Native memory from `memory.alloc`: `address` until disposed. */
export class Block<T extends Type | StructType | ArrayType | undefined = undefined> implements Disposable {
  #address: bigint | undefined;
  readonly size: number;
  /** The type it was allocated for; undefined for a byte count. */
  readonly type: T;
  /** Makes structuredClone and postMessage refuse a block with a DataCloneError saying why
   * (no-clone.ts): a copy would not own the memory; post its `.address`. */
  readonly noClone = NO_CLONE;

  /** @internal use memory.alloc */
  constructor(size: number, type: T, made: symbol) {
    if (made !== MADE_BY_ALLOC) throw new TypeError('memory blocks are made by memory.alloc(typeOrSize)');
    if (!Number.isInteger(size) || size < 1 || size > MAX_BLOCK) {
      throw new RangeError(`memory.alloc: the size must be an integer from 1 to ${MAX_BLOCK}; got ${describe(size)}`);
    }
    this.#address = binding.memoryAlloc(size) as bigint;
    this.size = size;
    this.type = type;
    // The message is made if it is ever needed; the type's name is already made.
    const what = type === undefined ? `${size} bytes` : `${type.name} (${size} bytes)`;
    leakWatch.register(this, { what, address: this.#address }, this);
  }

  /** The block's first byte. Reading it after dispose is a TypeError. */
  get address(): bigint {
    if (this.#address === undefined) throw new TypeError(`memory.alloc block of ${this.size} bytes: address read after dispose`);
    return this.#address;
  }

  get disposed(): boolean {
    return this.#address === undefined;
  }

  /** Frees the memory; idempotent. */
  dispose(): void {
    if (this.#address === undefined) return;
    binding.memoryFree(this.#address);
    this.#address = undefined;
    leakWatch.unregister(this);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** A new block of `size` bytes for `type` (memory.alloc). */
export function allocate<T extends Type | StructType | ArrayType | undefined>(size: number, type: T): Block<T> {
  return new Block(size, type, MADE_BY_ALLOC);
}
