// The JS side of crates/napi/src/arg_buffer.rs: native -> JS calls pass 64-bit, size and pointer
// arguments through the env's argument buffer instead of as Node-API BigInts, which cost a C++
// allocation each (a sixth of a qsort comparator's call for its two pointers). A BareFn with such
// arguments is called through a wrapper that reads them from the buffer, where optimised code
// makes the BigInts inline (or, used only as addresses by memory.read, not at all), and calls the
// callback with every argument in place.
//
// Structs passed by value travel through the same buffer: native code copies each struct
// argument after the 64-bit slots (from STRUCTS_AT, each at the next multiple of 8, in argument
// order, as crates/napi callback.rs does), the wrapper decodes it in place, and a returned struct
// is encoded by the wrapper at RETURN_AT, where native code copies it from when the call returns
// (the wrapper returns undefined, or the error saying why the result could not be encoded).
import { encodeAt, encodedBytes } from './memory.js';
import { binding } from './native.js';
import type { Param } from './signature.js';
import { codecOf, isStruct } from './struct.js';
import { SCALARS, type Type } from './types.js';

// Typed arrays use the platform's byte order, as the native side's u64 stores do.
const buffer = binding.bareFnArgBuffer();
const [STRUCTS_AT, RETURN_AT] = binding.argBufferLayout() as [number, number];
const view = new DataView(buffer);
const unsigned = new BigUint64Array(buffer, 0, STRUCTS_AT / 8);
const signed = new BigInt64Array(buffer, 0, STRUCTS_AT / 8);

export type Callee = (...args: unknown[]) => unknown;
/** Gives the value of one argument from what native code passed in its place. */
type Reader = (passed: unknown) => unknown;

/** The passed value itself, for an argument that does not go through the buffer. */
const passed: Reader = (value) => value;
// One reader per position and signedness, so that a wrapper's readers are branch-free: when V8
// inlines the wrapper, the callback and the callback's memory.read calls together, a bigint read
// here and only used as an address becomes a plain 64-bit value and is never allocated. A reader
// choosing its typed array or its position at each call made the bigint one of several values
// (a phi), which V8 allocates: two young-generation objects per qsort comparison, ~1/4 of its
// time in scavenges (bench/README.md). Each is under V8's size for always inlined functions.
const UNSIGNED: readonly Reader[] = Array.from(unsigned, (_, position) => () => unsigned[position]);
const SIGNED: readonly Reader[] = Array.from(signed, (_, position) => () => signed[position]);

/** How an argument of `type` at `position` arrives: through the buffer when the addon's table
 * says so (arg_buffer.rs `passes` decides), as a signed or unsigned bigint. */
function readerOf(type: Type, position: number): Reader {
  const { viaArgBuffer, signed } = SCALARS[type.name];
  if (!viaArgBuffer) return passed;
  return (signed ? SIGNED : UNSIGNED)[position]!;
}

/**
 * Wrappers by arity (index 0: no arguments), each with a fixed argument list: V8 optimises
 * those, and inlines the callback into its wrapper when one callback is called through it. Rest parameters and a spread call (one wrapper for every arity) cost about as much as the
 * Node-API BigInts (bench:instructions).
 */
// prettier-ignore
const BY_ARITY: readonly ((f: Callee, r: readonly Reader[]) => Callee)[] = [
  (f, []) => () => f(),
  (f, [r0]) => (a) => f(r0!(a)),
  (f, [r0, r1]) => (a, b) => f(r0!(a), r1!(b)),
  (f, [r0, r1, r2]) => (a, b, c) => f(r0!(a), r1!(b), r2!(c)),
  (f, [r0, r1, r2, r3]) => (a, b, c, d) => f(r0!(a), r1!(b), r2!(c), r3!(d)),
  (f, [r0, r1, r2, r3, r4]) => (a, b, c, d, e) => f(r0!(a), r1!(b), r2!(c), r3!(d), r4!(e)),
  (f, [r0, r1, r2, r3, r4, r5]) => (a, b, c, d, e, g) => f(r0!(a), r1!(b), r2!(c), r3!(d), r4!(e), r5!(g)),
  (f, [r0, r1, r2, r3, r4, r5, r6]) => (a, b, c, d, e, g, h) => f(r0!(a), r1!(b), r2!(c), r3!(d), r4!(e), r5!(g), r6!(h)),
  (f, [r0, r1, r2, r3, r4, r5, r6, r7]) => (a, b, c, d, e, g, h, i) => f(r0!(a), r1!(b), r2!(c), r3!(d), r4!(e), r5!(g), r6!(h), r7!(i)),
  (f, [r0, r1, r2, r3, r4, r5, r6, r7, r8]) => (a, b, c, d, e, g, h, i, j) => f(r0!(a), r1!(b), r2!(c), r3!(d), r4!(e), r5!(g), r6!(h), r7!(i), r8!(j)),
  (f, [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9]) => (a, b, c, d, e, g, h, i, j, k) => f(r0!(a), r1!(b), r2!(c), r3!(d), r4!(e), r5!(g), r6!(h), r7!(i), r8!(j), r9!(k)),
  (f, [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10]) => (a, b, c, d, e, g, h, i, j, k, l) => f(r0!(a), r1!(b), r2!(c), r3!(d), r4!(e), r5!(g), r6!(h), r7!(i), r8!(j), r9!(k), r10!(l)),
  (f, [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11]) => (a, b, c, d, e, g, h, i, j, k, l, m) => f(r0!(a), r1!(b), r2!(c), r3!(d), r4!(e), r5!(g), r6!(h), r7!(i), r8!(j), r9!(k), r10!(l), r11!(m)),
  (f, [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12]) => (a, b, c, d, e, g, h, i, j, k, l, m, n) => f(r0!(a), r1!(b), r2!(c), r3!(d), r4!(e), r5!(g), r6!(h), r7!(i), r8!(j), r9!(k), r10!(l), r11!(m), r12!(n)),
  (f, [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13]) => (a, b, c, d, e, g, h, i, j, k, l, m, n, o) => f(r0!(a), r1!(b), r2!(c), r3!(d), r4!(e), r5!(g), r6!(h), r7!(i), r8!(j), r9!(k), r10!(l), r11!(m), r12!(n), r13!(o)),
  (f, [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14]) => (a, b, c, d, e, g, h, i, j, k, l, m, n, o, q) => f(r0!(a), r1!(b), r2!(c), r3!(d), r4!(e), r5!(g), r6!(h), r7!(i), r8!(j), r9!(k), r10!(l), r11!(m), r12!(n), r13!(o), r14!(q)),
  (f, [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15]) => (a, b, c, d, e, g, h, i, j, k, l, m, n, o, q, r) => f(r0!(a), r1!(b), r2!(c), r3!(d), r4!(e), r5!(g), r6!(h), r7!(i), r8!(j), r9!(k), r10!(l), r11!(m), r12!(n), r13!(o), r14!(q), r15!(r)),
];

/**
 * What a BareFn of a signature with these types keeps in the function table for its callback:
 * undefined when no argument goes through the buffer and the result is no struct (the callback
 * itself), else a function that wraps a callback. Made once per signature, by sig(); `returned`
 * names the result in errors.
 */
export function wrapperFor(args: readonly Param[], ret: Param, returned: string): ((callback: Callee) => Callee) | undefined {
  let structAt = STRUCTS_AT;
  const readers = args.map((type, position): Reader => {
    if (!isStruct(type)) return readerOf(type, position);
    const { read } = codecOf(type);
    const at = structAt;
    structAt += Math.ceil(type.size / 8) * 8;
    return () => read(view, at);
  });
  const wrap = BY_ARITY[readers.length]!;
  if (!isStruct(ret)) return readers.every((reader) => reader === passed) ? undefined : (callback) => wrap(callback, readers);
  // A struct result is encoded here; one that cannot be is handed back as its error (not thrown:
  // native code reports it as a bad return, as for a scalar), anything else as undefined. Around
  // the callback, not in every wrapper: a step more in the wrappers of every signature cost a
  // qsort comparator about 4% (V8 inlines less of a larger wrapper).
  const encoded = (result: unknown): unknown => {
    // A Promise (or thenable) is handed back as one of the struct's bytes, or of the error saying
    // why its value cannot be encoded: a caller on another thread waits for it
    // (crates/napi/src/callback/settle.rs); on the owning thread native code reports it by name.
    if (isThenable(result)) return Promise.resolve(result).then(encodedOrError);
    try {
      encodeAt(ret, result, view, RETURN_AT, returned);
      return undefined;
    } catch (error) {
      return error;
    }
  };
  const encodedOrError = (value: unknown): unknown => {
    try {
      return encodedBytes(ret, value, returned);
    } catch (error) {
      return error;
    }
  };
  return (callback) => wrap((...args) => encoded(callback(...args)), readers);
}

/** Whether `value` is a Promise or another object with a `then` method. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value instanceof Promise || (typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function');
}
