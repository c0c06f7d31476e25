// The test partner library (crates/testlib), opened through bare-fn's own Library, with typed
// wrappers around its dynamic caller (libffi) and recorder (a libffi closure). Shared by the tests
// and the benchmarks.
import koffi from 'koffi';

import { type FnPtr, type JsValue, Library, memory, sig, t, type Signature, type Type, type TypeName } from '../../src/index.js';

import { isizeMax, isizeMin, pointerBits, testlibPath, usizeMax } from './platform.js';

export { testlibPath };
export const lib = Library.open(testlibPath);


const f32Bits = new Uint32Array(1);
const f32View = new Float32Array(f32Bits.buffer);
const f64Bits = new BigUint64Array(1);
const f64View = new Float64Array(f64Bits.buffer);

/** `text` in the encoding of a string type, in memory of its own (a new ArrayBuffer: aligned for
 * its units); a lone surrogate as it is, in UTF-16 and UTF-32. */
export function encodeText(type: 'cstring' | 'cstring16' | 'cstring32', text: string): Buffer {
  if (type === 'cstring') return Buffer.from(text, 'utf8');
  const units = type === 'cstring16' ? Uint16Array.from({ length: text.length }, (_, i) => text.charCodeAt(i)) : Uint32Array.from(text, (c) => c.codePointAt(0)!);
  return Buffer.from(units.buffer);
}

/**
 * The raw 64-bit encoding of a value (crates/core types.rs, crates/testlib raw.rs), computed here
 * in plain JS. C strings are copied into buffers kept in `keep` so their addresses stay valid.
 */
export function toRaw(type: TypeName, value: unknown, keep: Buffer[]): bigint {
  switch (type) {
    case 'void':
      return 0n;
    case 'bool':
      return value ? 1n : 0n;
    case 'f32':
      f32View[0] = value as number;
      return BigInt(f32Bits[0]!);
    case 'f64':
      f64View[0] = value as number;
      return f64Bits[0]!;
    case 'cstring':
    case 'cstring16':
    case 'cstring32': {
      if (value === null) return 0n;
      const bytes = encodeText(type, `${value as string}\0`);
      keep.push(bytes);
      return memory.addressOf(bytes);
    }
    default:
      return BigInt.asUintN(64, BigInt(value as number | bigint));
  }
}

const WIDTH: Partial<Record<TypeName, [number, boolean]>> = {
  i8: [8, true], u8: [8, false], i16: [16, true], u16: [16, false], i32: [32, true], u32: [32, false],
  i64: [64, true], isize: [pointerBits, true],
};

/** The JS value a raw encoding stands for (as bare-fn's conversions should produce it). */
export function fromRaw(type: TypeName, raw: bigint): unknown {
  switch (type) {
    case 'void':
      return undefined;
    case 'bool':
      return raw !== 0n;
    case 'f32':
      f32Bits[0] = Number(raw & 0xffff_ffffn);
      return f32View[0];
    case 'f64':
      f64Bits[0] = raw;
      return f64View[0];
    case 'cstring':
    case 'cstring16':
    case 'cstring32':
      return raw === 0n ? null : memory.readCString(raw, t[type]);
    case 'u64':
    case 'usize':
    case 'pointer':
      return raw;
    default: {
      const [bits, signed] = WIDTH[type]!;
      const v = signed ? BigInt.asIntN(bits, raw) : BigInt.asUintN(bits, raw);
      return bits === 64 || type === 'isize' ? v : Number(v);
    }
  }
}

const ffiCall = lib.fn('tl_ffi_call', sig(t.i32, [t.pointer, t.u8, t.u32, t.pointer, t.pointer, t.pointer]));
const recorderNew = lib.fn('tl_recorder_new', sig(t.pointer, [t.u8, t.u32, t.pointer, t.u64]));
const recorderFn = lib.fn('tl_recorder_fn', sig(t.pointer, [t.pointer]));
const recorderArg = lib.fn('tl_recorder_arg', sig(t.u64, [t.pointer, t.u32]));
const recorderCalls = lib.fn('tl_recorder_calls', sig(t.u64, [t.pointer]));
const recorderFree = lib.fn('tl_recorder_free', sig(t.void, [t.pointer]));

/** The signatures the libffi helpers take: scalars only. */
type ScalarSignature = Signature<Type, readonly Type[]>;

function codes(signature: ScalarSignature): Buffer {
  return Buffer.from(signature.args.map((a) => a.code));
}

/** Calls the function at `address` with signature `signature` through libffi; returns its result. */
/** The argument block of one tl_ffi_call: its buffers stay referenced as long as this object. */
function libffiCall(address: bigint, signature: ScalarSignature, args: readonly unknown[]) {
  const keep: Buffer[] = [];
  const raw = new BigUint64Array(Math.max(1, args.length));
  args.forEach((value, i) => (raw[i] = toRaw(signature.args[i]!.name, value, keep)));
  const argCodes = Buffer.concat([codes(signature), Buffer.alloc(1)]);
  const result = new BigUint64Array(1);
  return {
    args: [address, signature.ret.code, args.length, memory.addressOf(argCodes), memory.addressOf(raw), memory.addressOf(result)] as const,
    finish(status: number): unknown {
      void [keep, raw, argCodes]; // referenced until the call is over
      if (status !== 0) throw new Error(`testlib could not call ${signature}`);
      return fromRaw(signature.ret.name, result[0]!);
    },
  };
}

/** Calls the function at `address` with signature `signature` through libffi; returns its result. */
export function callViaLibffi(address: bigint, signature: ScalarSignature, args: readonly unknown[]): unknown {
  const call = libffiCall(address, signature, args);
  return call.finish(ffiCall(...call.args));
}

let koffiFfiCall: { async: (...args: unknown[]) => void } | undefined;

/**
 * The same call made on a thread of koffi's (koffi's asynchronous calls run on its worker
 * threads), so the BareFn is called from a thread neither bare-fn nor testlib created. The call
 * itself goes through libffi: koffi cannot call a raw function pointer asynchronously.
 */
export function callViaLibffiOnKoffiThread(address: bigint, signature: ScalarSignature, args: readonly unknown[]): Promise<unknown> {
  koffiFfiCall ??= koffi.load(testlibPath).func('int32_t tl_ffi_call(void *f, uint8_t ret, uint32_t n, void *codes, void *args, void *result)');
  const call = libffiCall(address, signature, args);
  return new Promise((resolve, reject) => {
    koffiFfiCall!.async(...call.args, (error: unknown, status: number) => {
      if (error) reject(error);
      else {
        try {
          resolve(call.finish(status));
        } catch (e) {
          reject(e);
        }
      }
    });
  });
}

/** A native function of any signature (libffi closure) that records its last call's arguments. */
export class Recorder implements Disposable {
  readonly #handle: bigint;
  readonly #signature: ScalarSignature;
  readonly #keep: Buffer[] = [];

  constructor(signature: ScalarSignature, returns: unknown) {
    this.#signature = signature;
    const argCodes = Buffer.concat([codes(signature), Buffer.alloc(1)]);
    const ret = toRaw(signature.ret.name, returns, this.#keep);
    this.#handle = recorderNew(signature.ret.code, signature.args.length, memory.addressOf(argCodes), ret);
    if (this.#handle === 0n) throw new Error(`testlib could not make a recorder for ${signature}`);
  }

  get address(): bigint {
    return recorderFn(this.#handle);
  }

  get calls(): number {
    return Number(recorderCalls(this.#handle));
  }

  /** The arguments of the last call, decoded from what libffi handed the closure. */
  get seen(): unknown[] {
    return this.#signature.args.map((a, i) => fromRaw(a.name, recorderArg(this.#handle, i)));
  }

  [Symbol.dispose](): void {
    recorderFree(this.#handle);
  }
}

/** Extreme and special values of each type, for exhaustive round trips. */
export const EXTREMES: { readonly [N in Exclude<TypeName, 'void'>]: readonly JsValue<N>[] } = {
  bool: [true, false],
  i8: [-128, 127, 0, -1],
  u8: [0, 255, 128],
  i16: [-32768, 32767, -1],
  u16: [0, 65535, 32768],
  i32: [-2147483648, 2147483647, -1, 0],
  u32: [0, 4294967295, 2147483648],
  i64: [-(2n ** 63n), 2n ** 63n - 1n, -1n, 0n, 2n ** 53n + 1n],
  u64: [0n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n],
  isize: [isizeMin, isizeMax, -1n],
  usize: [0n, usizeMax],
  f32: [-0, 0, NaN, Infinity, -Infinity, 2 ** -149, -(2 ** -149), 2 ** -126, 3.4028234663852886e38, 1.5],
  f64: [-0, 0, NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE, 2 ** -1022, 0.1],
  pointer: [0n, 1n, 0xdead_beefn, usizeMax],
  cstring: [null, '', 'plain ascii', 'h\u00e9llo w\u00f6rld \u2713', '\u{1F600} emoji', 'a'.repeat(1000)],
  cstring16: [null, '', 'plain ascii', 'h\u00e9llo w\u00f6rld \u2713', '\u{1F600} emoji \uD800 lone', 'a'.repeat(1000)],
  cstring32: [null, '', 'plain ascii', 'h\u00e9llo w\u00f6rld \u2713', '\u{1F600}\u{10FFFF} emoji', 'a'.repeat(1000)],
};

export type ValueType = Exclude<TypeName, 'void'>;
export const VALUE_TYPES = Object.keys(EXTREMES) as ValueType[];
export const typeOf = (name: TypeName): Type => t[name];
export type { FnPtr };

const spawnI32 = lib.fn('tl_spawn_i32', sig(t.pointer, [t.pointer, t.u32, t.u32, t.i32]));
export const spawnVoid = lib.fn('tl_spawn_void', sig(t.pointer, [t.pointer, t.u32, t.u32]));
const spawnWide = lib.fn('tl_spawn_wide', sig(t.pointer, [t.pointer, t.u32, t.u32, t.u64]));
const spawnCString = lib.fn('tl_spawn_cstring', sig(t.pointer, [t.pointer, t.u32, t.u32]));
const spawnPoint = lib.fn('tl_spawn_point', sig(t.pointer, [t.pointer, t.u32, t.u32]));
const jobDone = lib.fn('tl_job_done', sig(t.bool, [t.pointer]));
const jobJoin = lib.fn('tl_job_join', sig(t.u64, [t.pointer, t.pointer]));
export const callOnThread = lib.fn('tl_call_on_thread_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));

/** What testlib's threads expect an `(i32, i32) -> i32` callback to return for `(t, i)`. */
export const expectedOnThread = (t: number, i: number): number => (t << 20) ^ Math.imul(i, 7);

/** What testlib's threads pass a `(Point, i32) -> Point` callback for `(t, i)`, and expect back. */
export const pointOnThread = (t: number, i: number) => ({ arg: { x: t, y: i + 0.5 }, n: i, ret: { x: i + 0.5, y: t - i } });

/** What testlib's threads expect an `(i32, i32) -> cstring` callback to return for `(t, i)`. */
export const expectedTextOnThread = (t: number, i: number): string => `thread ${t}, call ${i}: ${'x'.repeat(i % 40)}`;

/** What testlib's threads pass a `(u64, i64) -> u64` callback for `(t, i)`; they expect back
 * the first XOR the second's 64 bits. */
export const wideArgs = (t: number, i: number): [bigint, bigint] => [
  0xffff_0000_0000_0000n | (BigInt(t) << 32n) | BigInt(i),
  -((BigInt(t) << 40n) + BigInt(i) + 1n),
];

export interface JobResult {
  right: number;
  fallback: number;
  wrong: number;
  /** from spawn to join */
  ms: number;
}

/**
 * Runs testlib threads calling `address` and waits for them without blocking the event loop
 * (queued calls run meanwhile). `fallback` is the value counted as a fallback result.
 */
export async function runThreads(address: bigint, threads: number, calls: number, kind: 'i32' | 'void' | 'wide' | 'cstring' | 'point', fallback = -1): Promise<JobResult> {
  const job =
    kind === 'point'
      ? spawnPoint(address, threads, calls)
      : kind === 'i32'
      ? spawnI32(address, threads, calls, fallback)
      : kind === 'wide'
        ? spawnWide(address, threads, calls, BigInt.asUintN(64, BigInt(fallback)))
        : kind === 'cstring'
          ? spawnCString(address, threads, calls)
          : spawnVoid(address, threads, calls);
  while (!jobDone(job)) await new Promise((resolve) => setImmediate(resolve));
  return join(job);
}

/** As runThreads, but the JS thread waits in the join, running nothing the threads queue. */
export function runThreadsBlocking(address: bigint, threads: number, calls: number, kind: 'i32' | 'void', fallback = -1): JobResult {
  return join(kind === 'i32' ? spawnI32(address, threads, calls, fallback) : spawnVoid(address, threads, calls));
}

/** Waits for a job of testlib's threads (`tl_spawn_*`) and counts its results. */
export function join(job: bigint): JobResult {
  const counts = new BigUint64Array(3);
  const ns = jobJoin(job, memory.addressOf(counts));
  return { right: Number(counts[0]), fallback: Number(counts[1]), wrong: Number(counts[2]), ms: Number(ns) / 1e6 };
}
