/// <reference lib="esnext.disposable" preserve="true" />
// (Kept in the emitted .d.ts: a consumer compiling with a plain lib: ["ES2022"] and no @types/node
// gets Disposable and Symbol.dispose from it.)
// memory.alloc's blocks: zero-filled native memory owned by a JS object, freed once on dispose.
import { binding } from './native.js';
import type { ArrayType, StructType } from './struct.js';
import type { Type } from './types.js';

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

/** Native memory from `memory.alloc`: `address` until disposed. */
export class Block<T extends Type | StructType | ArrayType | undefined = undefined> implements Disposable {
  #address: bigint | undefined;
  readonly size: number;
  /** The type it was allocated for; undefined for a byte count. */
  readonly type: T;

  /** @internal use memory.alloc */
  constructor(size: number, type: T) {
    if (size < 1) throw new RangeError(`memory.alloc: a block needs at least 1 byte; got ${size}`);
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
