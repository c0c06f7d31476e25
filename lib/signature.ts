// Signatures (`sig`) and the callback and caller types inferred from them.
import { type Callee, wrapperFor } from './arg-buffer.js';
import { binding, type Binding } from './native.js';
import { checkOptions, checkType, describe, type JsInput, type JsValue, type Type } from './types.js';

/** Calling conventions, named as Rust's `extern "…"` ABI strings. */
export type Abi = 'C' | 'system' | 'stdcall' | 'fastcall' | 'thiscall' | 'sysv64' | 'win64' | 'aapcs';
const ABIS: readonly Abi[] = ['C', 'system', 'stdcall', 'fastcall', 'thiscall', 'sysv64', 'win64', 'aapcs'];
const SIG_OPTIONS = ['abi'] as const;

/** The most arguments a signature may have. */
export const MAX_ARGS = 16;

export interface Signature<R extends Type = Type, A extends readonly Type[] = readonly Type[]> {
  readonly ret: R;
  readonly args: A;
  readonly abi: Abi;
  /** `(pointer, pointer) -> i32` */
  toString(): string;
}

const natives = new WeakMap<Signature, Binding.NativeSignature>();

/** What `new BareFn` needs of a signature, in one lookup. */
export interface ForBareFn {
  /** The signature as a handle for the plain Node-API functions (`createBareFn`). */
  readonly handle: unknown;
  /** Wraps a callback whose arguments partly come through the argument buffer (arg-buffer.ts);
   * undefined when none does. */
  readonly wrap: ((callback: Callee) => Callee) | undefined;
}
const forBareFns = new WeakMap<Signature, ForBareFn>();

/** Looks `signature` up in `map`; a TypeError naming `what` when sig() did not make it. */
function lookup<V>(map: WeakMap<Signature, V>, signature: unknown, what: string): V {
  const value = map.get(signature as Signature);
  if (value === undefined) {
    throw new TypeError(`${what} must be a signature made by sig(…); got ${describe(signature)}`);
  }
  return value;
}

/** The native signature, for the napi-rs functions (`callPointer`). */
export function nativeOf(signature: unknown, what: string): Binding.NativeSignature {
  return lookup(natives, signature, what);
}

/** What `new BareFn` needs of the signature. */
export function forBareFn(signature: unknown, what: string): ForBareFn {
  return lookup(forBareFns, signature, what);
}

/**
 * A function signature: return type, argument types (at most 16) and calling convention
 * (default 'C'). Conventions follow Rust: an alias of C on this platform is accepted, one that
 * cannot exist here is a RangeError.
 */
export function sig<const R extends Type, const A extends readonly Type[]>(
  ret: R,
  args: A,
  options?: { abi?: Abi },
): Signature<R, A> {
  checkType(ret, 'sig: the return type');
  if (!Array.isArray(args)) {
    throw new TypeError(`sig: the argument types must be an array; got ${describe(args)}`);
  }
  // An index loop, not forEach, which skips the holes of a sparse array ([, t.i32]).
  for (let i = 0; i < args.length; i++) checkType(args[i], `sig: argument ${i}`);
  if (args.length > MAX_ARGS) {
    throw new RangeError(`sig: a signature takes at most ${MAX_ARGS} arguments, got ${args.length}`);
  }
  if (options !== undefined) checkOptions(options, SIG_OPTIONS, 'sig');
  const abi = options?.abi ?? 'C';
  if (!ABIS.includes(abi)) {
    throw new RangeError(`sig: options.abi must be one of ${ABIS.join(', ')}; got ${describe(abi)}`);
  }
  const native = new binding.NativeSignature(
    ret.name,
    args.map((a) => a.name),
    abi,
  );
  const text = native.toString();
  // toString is not enumerable: structuredClone copies a signature as the data it is (V8 refuses
  // a function-valued property, naming its source text).
  const signature = Object.freeze(
    Object.defineProperty({ ret, args: Object.freeze([...args]) as unknown as A, abi }, 'toString', { value: () => text }),
  ) as Signature<R, A>;
  natives.set(signature, native);
  forBareFns.set(signature, { handle: native.handle(), wrap: wrapperFor(args) });
  return signature;
}

type JsValues<A extends readonly Type[]> = { -readonly [K in keyof A]: A[K] extends Type<infer N> ? JsValue<N> : never };
type JsInputs<A extends readonly Type[]> = { -readonly [K in keyof A]: A[K] extends Type<infer N> ? JsInput<N> : never };

/** The JS function a BareFn of signature S calls. */
export type Callback<S extends Signature> =
  S extends Signature<Type<infer R>, infer A> ? (...args: JsValues<A>) => R extends 'void' ? void : JsInput<R> : never;

/** The JS function FnPtr.from gives for signature S. */
export type Caller<S extends Signature> =
  S extends Signature<Type<infer R>, infer A> ? (...args: JsInputs<A>) => JsValue<R> : never;

/** What a BareFn of signature S returns to native code when JS cannot deliver a result. */
export type Fallback<S extends Signature> = S extends Signature<Type<infer R>> ? JsInput<R> : never;
