// The JS side of crates/napi/src/arg_buffer.rs: native -> JS calls pass 64-bit, size and pointer
// arguments through the env's argument buffer instead of as Node-API BigInts, which cost a C++
// allocation each (a sixth of a qsort comparator's call for its two pointers). A BareFn with such
// arguments is called through a wrapper that reads them from the buffer, where optimised code
// makes the BigInts inline, and calls the callback with every argument in place.
import { binding } from './native.js';
import type { Type } from './types.js';

// Typed arrays use the platform's byte order, as the native side's u64 stores do.
const buffer = binding.bareFnArgBuffer();
const unsigned = new BigUint64Array(buffer);
const signed = new BigInt64Array(buffer);

// Where an argument's value comes from: passed, or (undefined in its place) read from the buffer.
const PASSED = 0;
const UNSIGNED = 1;
const SIGNED = 2;

/** The same choice as arg_buffer.rs `passes`: the types whose JS values are bigints. */
function kindOf(type: Type): number {
  const name = type.name;
  if (name === 'u64' || name === 'usize' || name === 'pointer') return UNSIGNED;
  if (name === 'i64' || name === 'isize') return SIGNED;
  return PASSED;
}

export type Callee = (...args: unknown[]) => unknown;
/** The argument at `position`: `passed`, or read from the buffer. */
type Arg = (position: number, passed: unknown) => unknown;

/**
 * Wrappers by arity (from 1: a signature without arguments has none to read), each with a fixed
 * argument list: V8 optimises those, and inlines the callback
 * into its wrapper when one callback is called through it. Rest parameters and a spread call
 * (one wrapper for every arity) cost about as much as the Node-API BigInts (bench:instructions).
 */
// prettier-ignore
const BY_ARITY: readonly ((f: Callee, x: Arg) => Callee)[] = [
  (f, x) => (a) => f(x(0, a)),
  (f, x) => (a, b) => f(x(0, a), x(1, b)),
  (f, x) => (a, b, c) => f(x(0, a), x(1, b), x(2, c)),
  (f, x) => (a, b, c, d) => f(x(0, a), x(1, b), x(2, c), x(3, d)),
  (f, x) => (a, b, c, d, e) => f(x(0, a), x(1, b), x(2, c), x(3, d), x(4, e)),
  (f, x) => (a, b, c, d, e, g) => f(x(0, a), x(1, b), x(2, c), x(3, d), x(4, e), x(5, g)),
  (f, x) => (a, b, c, d, e, g, h) => f(x(0, a), x(1, b), x(2, c), x(3, d), x(4, e), x(5, g), x(6, h)),
  (f, x) => (a, b, c, d, e, g, h, i) => f(x(0, a), x(1, b), x(2, c), x(3, d), x(4, e), x(5, g), x(6, h), x(7, i)),
  (f, x) => (a, b, c, d, e, g, h, i, j) => f(x(0, a), x(1, b), x(2, c), x(3, d), x(4, e), x(5, g), x(6, h), x(7, i), x(8, j)),
  (f, x) => (a, b, c, d, e, g, h, i, j, k) => f(x(0, a), x(1, b), x(2, c), x(3, d), x(4, e), x(5, g), x(6, h), x(7, i), x(8, j), x(9, k)),
  (f, x) => (a, b, c, d, e, g, h, i, j, k, l) => f(x(0, a), x(1, b), x(2, c), x(3, d), x(4, e), x(5, g), x(6, h), x(7, i), x(8, j), x(9, k), x(10, l)),
  (f, x) => (a, b, c, d, e, g, h, i, j, k, l, m) => f(x(0, a), x(1, b), x(2, c), x(3, d), x(4, e), x(5, g), x(6, h), x(7, i), x(8, j), x(9, k), x(10, l), x(11, m)),
  (f, x) => (a, b, c, d, e, g, h, i, j, k, l, m, n) => f(x(0, a), x(1, b), x(2, c), x(3, d), x(4, e), x(5, g), x(6, h), x(7, i), x(8, j), x(9, k), x(10, l), x(11, m), x(12, n)),
  (f, x) => (a, b, c, d, e, g, h, i, j, k, l, m, n, o) => f(x(0, a), x(1, b), x(2, c), x(3, d), x(4, e), x(5, g), x(6, h), x(7, i), x(8, j), x(9, k), x(10, l), x(11, m), x(12, n), x(13, o)),
  (f, x) => (a, b, c, d, e, g, h, i, j, k, l, m, n, o, p) => f(x(0, a), x(1, b), x(2, c), x(3, d), x(4, e), x(5, g), x(6, h), x(7, i), x(8, j), x(9, k), x(10, l), x(11, m), x(12, n), x(13, o), x(14, p)),
  (f, x) => (a, b, c, d, e, g, h, i, j, k, l, m, n, o, p, q) => f(x(0, a), x(1, b), x(2, c), x(3, d), x(4, e), x(5, g), x(6, h), x(7, i), x(8, j), x(9, k), x(10, l), x(11, m), x(12, n), x(13, o), x(14, p), x(15, q)),
];

/**
 * What a BareFn of a signature with these argument types keeps in the function table for its
 * callback: undefined when no argument goes through the buffer (the callback itself), else a
 * function that wraps a callback. Made once per signature, by sig().
 */
export function wrapperFor(args: readonly Type[]): ((callback: Callee) => Callee) | undefined {
  const kinds = args.map(kindOf);
  if (kinds.every((kind) => kind === PASSED)) return undefined;
  const arg: Arg = (position, passed) => {
    const kind = kinds[position];
    return kind === PASSED ? passed : kind === UNSIGNED ? unsigned[position] : signed[position];
  };
  const wrap = BY_ARITY[kinds.length - 1]!;
  return (callback) => wrap(callback, arg);
}
