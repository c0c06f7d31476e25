// Signatures (`sig`) and the callback and caller types inferred from them.
import { type Callee, wrapperFor } from './arg-buffer.js';
import { type CDeclaration, type CTypes, parseDeclaration } from './c-decl.js';
import type { CReading } from './c-reading.js';
import type { BareFn, Threading } from './bare-fn.js';
import { binding } from './native.js';
import { isMadeSignature, madeSignature } from './signatures-made.js';
import { type FieldInput, type FieldValue, isComposite, isStruct, type StructType } from './struct.js';
import { checkType, describe, optionReader, type Type } from './types.js';

/** Calling conventions, named as Rust's `extern "…"` ABI strings. */
export type Abi = 'C' | 'system' | 'stdcall' | 'fastcall' | 'thiscall' | 'sysv64' | 'win64' | 'aapcs';
const ABIS: readonly Abi[] = ['C', 'system', 'stdcall', 'fastcall', 'thiscall', 'sysv64', 'win64', 'aapcs'];
const readSigOptions = optionReader<{ abi?: Abi; variadic?: boolean }>(['abi', 'variadic'], 'sig');

/** The most arguments a signature may have. */
export const MAX_ARGS = 16;

/** What a signature's return and argument types may be: a scalar, or a struct passed by value. */
export type Param = Type | StructType;

export interface Signature<R extends Param = Param, A extends readonly Param[] = readonly Param[], V extends boolean = boolean> {
  readonly ret: R;
  /** The argument types; of a variadic function, its fixed ones. */
  readonly args: A;
  readonly abi: Abi;
  /** A variadic function's (`int printf(const char *, ...)`): an FnPtr of it takes the fixed
   * arguments, then a type and a value per variadic argument. */
  readonly variadic: V;
  /** `(pointer, pointer) -> i32`; `(cstring, ...) -> i32` */
  toString(): string;
}

/** What native code made of a signature: its External for the plain Node-API functions
 * (`createBareFn`, `createCaller`), and its text. */
interface NativeParts {
  readonly handle: unknown;
  readonly text: string;
  /** How an error about what a BareFn of it returned starts ("BareFn (i32) -> i32 returned"). */
  readonly returned: string;
}
const natives = new WeakMap<Signature, NativeParts>();

/** Native signatures by content, so that a signature made again (`sig(...)` in a loop, a second
 * `lib.fn('abs', sig(...))`, a variadic call with the same variadic types) costs a lookup. Emptied
 * when full: a program making ever new signatures keeps a bounded number. */
const byContent = new Map<string, NativeParts>();
const CACHED_SIGNATURES = 1024;

/** Signatures of scalars only, by their types' codes: sig() of the same types again is the same
 * (frozen) signature. Emptied when full. */
const byScalars = new Map<string, Signature>();

/** The native signature of these native names (see `nativeName`), made once. */
function nativeParts(ret: string, args: readonly string[], abi: Abi, fixed: number | undefined): NativeParts {
  // No name or struct descriptor contains '|'.
  const key = `${abi}|${fixed ?? ''}|${ret}|${args.join('|')}`;
  let parts = byContent.get(key);
  if (parts === undefined) {
    const native = new binding.NativeSignature(ret, [...args], abi, fixed);
    parts = { handle: native.handle(), text: native.toString(), returned: native.returnedWhat() };
    if (byContent.size >= CACHED_SIGNATURES) byContent.clear();
    byContent.set(key, parts);
  }
  return parts;
}

/** What `new BareFn` needs of a signature, in one lookup. */
export interface ForBareFn {
  /** The signature as a handle for the plain Node-API functions (`createBareFn`). */
  readonly handle: unknown;
  /** Wraps a callback whose arguments partly come through the argument buffer (arg-buffer.ts);
   * undefined when none does. */
  readonly wrap: ((callback: Callee) => Callee) | undefined;
}
/** Made by the first BareFn of a signature (not by sig(): most signatures are only called). */
const forBareFns = new WeakMap<Signature, ForBareFn>();

/** Looks `signature` up in `map`; a TypeError naming `what` (a function making the text, for
 * callers that make functions in loops) when sig() did not make it. */
function lookup<V>(map: WeakMap<Signature, V>, signature: unknown, what: string | (() => string)): V {
  const value = map.get(signature as Signature);
  if (value === undefined) {
    const named = typeof what === 'function' ? what() : what;
    throw new TypeError(`${named} must be a signature made by sig(…); got ${describe(signature)}`);
  }
  return value;
}

/** Whether `value` is a signature made by sig(). */
export function isSignature(value: unknown): value is Signature {
  return natives.has(value as Signature);
}

/** The signature's External, for `createCaller`. */
export function handleOf(signature: unknown, what: () => string): unknown {
  return lookup(natives, signature, what).handle;
}

/** What `new BareFn` needs of the signature. */
export function forBareFn(signature: unknown, what: string): ForBareFn {
  const { handle, text, returned } = lookup(natives, signature, what);
  const checked = signature as Signature;
  if (checked.variadic) {
    throw new TypeError(`${what} is variadic (${text}): a BareFn cannot be one (a thunk cannot read C's va_list); declare the arguments it receives`);
  }
  let made = forBareFns.get(checked);
  if (made === undefined) {
    made = { handle, wrap: wrapperFor(checked.args, checked.ret, returned) };
    forBareFns.set(checked, made);
  }
  return made;
}

/** What the runtime refuses in an argument list, as the type of the argument at fault: a `void`
 * argument, a 17th argument (TypeScript then says "'Type<"void">' is not assignable to '"void is
 * only a return type"'"). */
type CheckedArgs<A extends readonly Param[]> = {
  readonly [K in keyof A]: K extends '16' ? 'a signature takes at most 16 arguments' : A[K] extends Type<'void'> ? 'void is only a return type' : A[K];
};

/** `param` if it is a scalar type or a struct; a TypeError naming `what` otherwise. */
function checkParam(param: unknown, what: string): Param {
  if (isStruct(param)) return param;
  if (isComposite(param)) {
    throw new TypeError(`${what} is an array (${param.name}): C passes no array by value; wrap it in a t.struct, or pass a pointer`);
  }
  return checkType(param, what);
}

/** How native code names a parameter: a scalar's name, a struct's layout descriptor. */
function nativeName(param: Param): string {
  return isStruct(param) ? param.descriptor : param.name;
}

/**
 * A function signature: return type, argument types (at most 16) and calling convention
 * (default 'C'). Types are scalars (`t.i32`) or structs (`t.struct(…)`), passed by value as the
 * platform's C compiler does. Conventions follow Rust: an alias of C on this platform is
 * accepted, one that cannot exist here is a RangeError.
 */
export function sig<const R extends Param, const A extends readonly Param[], const V extends boolean = false>(
  ret: R,
  args: A & CheckedArgs<A>,
  options?: { abi?: Abi; variadic?: V },
): Signature<R, A, V> {
  checkParam(ret, 'sig: the return type');
  if (!Array.isArray(args)) {
    throw new TypeError(`sig: the argument types must be an array; got ${describe(args)}`);
  }
  // Each element read once, into a copy (a getter or a Proxy could give another value the next
  // time); an index loop, not forEach, which skips the holes of a sparse array ([, t.i32]).
  const length = args.length;
  if (length > MAX_ARGS) {
    throw new RangeError(`sig: a signature takes at most ${MAX_ARGS} arguments, got ${length}`);
  }
  const params: Param[] = [];
  for (let i = 0; i < length; i++) params.push(checkParam(args[i], `sig: argument ${i}`));
  const read = readSigOptions(options);
  const abi = read.abi ?? 'C';
  if (!ABIS.includes(abi)) {
    throw new RangeError(`sig: options.abi must be one of ${ABIS.join(', ')}; got ${describe(abi)}`);
  }
  const variadic = read.variadic ?? false;
  if (typeof variadic !== 'boolean') throw new TypeError(`sig: options.variadic must be a boolean; got ${describe(variadic)}`);
  // Scalars only: the same signature as one made before is that one (structs with the same
  // layout may differ in their fields' names: those are made each time).
  const scalars = !isStruct(ret) && !params.some(isStruct);
  const key = scalars ? `${abi}|${variadic}|${(ret as Type).code}|${params.map((param) => (param as Type).code).join()}` : '';
  const known = scalars ? byScalars.get(key) : undefined;
  if (known !== undefined) return known as Signature<R, A, V>;
  // A variadic function's signature is checked as a call with no variadic argument (a callee-pop
  // x86 convention cannot be variadic); each call makes its own (fn-ptr.ts, variadicCaller).
  const parts = nativeParts(nativeName(ret), params.map(nativeName), abi, variadic ? length : undefined);
  const text = parts.text;
  // toString is not enumerable: structuredClone copies a signature as the data it is (V8 refuses
  // a function-valued property, naming its source text).
  const signature = Object.freeze(
    Object.defineProperty({ ret, args: Object.freeze(params) as unknown as A, abi, variadic: variadic as V }, 'toString', { value: () => text }),
  ) as Signature<R, A, V>;
  natives.set(signature, parts);
  madeSignature(signature);
  if (scalars) {
    if (byScalars.size >= CACHED_SIGNATURES) byScalars.clear();
    byScalars.set(key, signature);
  }
  return signature;
}

/** The External of the native signature of one call of a variadic function: its fixed
 * arguments, then `variadic` (scalar types: checked by the caller). */
export function variadicCall(signature: Signature, variadic: readonly Type[]): unknown {
  return nativeParts(
    nativeName(signature.ret),
    [...signature.args.map(nativeName), ...variadic.map((type) => type.name)],
    signature.abi,
    signature.args.length,
  ).handle;
}

type JsValues<A extends readonly Param[]> = { -readonly [K in keyof A]: FieldValue<A[K]> };
type JsInputs<A extends readonly Param[]> = { -readonly [K in keyof A]: ArgInput<A[K]> };

/** What a call takes for an argument of type P: what a field takes, and for a pointer also the
 * bytes of a buffer (their address for the duration of the call) or null (NULL); for a function
 * pointer parameter of a C declaration also a BareFn of its signature. */
type ArgInput<P extends Param> =
  P extends FunctionPointer<infer S>
    ? PointerInput | BareFn<S, Threading>
    : P extends Type<'pointer'>
      ? PointerInput
      : FieldInput<P>;
type PointerInput = FieldInput<Type<'pointer'>> | ArrayBufferView | ArrayBuffer | null;

declare const calledAs: unique symbol;
/** A function pointer parameter of a C declaration, as TypeScript reads it (c-reading.ts): a
 * pointer that also takes a BareFn of signature S. At run time it is `t.pointer` (the phantom
 * property exists in types only). */
export interface FunctionPointer<S extends Signature = Signature> extends Type<'pointer'> {
  readonly [calledAs]: S;
}

/** The JS function a BareFn of signature S calls (none for a variadic signature). */
export type Callback<S extends Signature, M = 'local'> =
  S extends Signature<infer R, infer A, infer V>
    ? V extends true
      ? 'a BareFn cannot be variadic'
      : (...args: JsValues<A>) => R extends Type<'void'> ? void : M extends 'blocking' ? FieldInput<R> | PromiseLike<FieldInput<R>> : FieldInput<R> | NotAPromise
    : never;

/** What a callback that must return its value now is told when it returns a Promise instead
 * (TypeScript shows the text): on the owning thread nothing can wait for one. A void callback may
 * be async in every mode (a rejection is reported like a throw). */
interface NotAPromise {
  readonly then: "a Promise: only a 'blocking' BareFn's callers on other threads wait for one; return the value itself";
}

/** The JS function FnPtr.from gives for signature S: of a variadic function, the fixed arguments
 * then a type and a value per variadic argument (`t.i32, 5, t.f64, 1.5`; checked at run time). */
export type Caller<S extends Signature> =
  S extends Signature<infer R, infer A, infer V>
    ? V extends true
      ? (...args: [...JsInputs<A>, ...unknown[]]) => FieldValue<R>
      : (...args: JsInputs<A>) => FieldValue<R>
    : never;

/** What a BareFn of signature S returns to native code when JS cannot deliver a result. */
export type Fallback<S extends Signature> = S extends Signature<infer R> ? FieldInput<R> : never;

/** The signature a C declaration reads as, where TypeScript can read it (see c-decl.ts). */
export type CSignature<S extends string, T extends CTypes = Record<never, never>> =
  CReading<S, T> extends [infer R extends Param, infer A extends readonly Param[], infer V extends boolean] ? Signature<R, A, V> : Signature;

/**
 * A signature from a C declaration: a function pointer type (`'int (*)(const void *, const void
 * *)'`) or a prototype (`'int strcmp(const char *a, const char *b)'`); `const char *` is a C
 * string, other pointers `t.pointer`, `...` makes it variadic, `__stdcall` and friends its
 * convention; structs by the names given in `types` (`{ Point }`: `Point` or `struct Point`).
 * Errors point at the token at fault.
 */
export function sigFromC<const S extends string, const T extends CTypes = Record<never, never>>(declaration: S, types?: T): CSignature<S, T> {
  return signatureOf(parseDeclaration(declaration, types, 'sig.c')) as unknown as CSignature<S, T>;
}

/** The function pointer parameters of signatures read from C declarations: for each argument,
 * the signature a BareFn passed there must have (fn-ptr.ts checks it). */
const CALLBACKS = new WeakMap<Signature, readonly (Signature | undefined)[]>();

/** The signature of a declaration the parser read. With function pointer parameters it is an
 * object of its own (never the one sig() gives again for the same types), which knows them. */
export function signatureOf(parsed: Omit<CDeclaration, 'name'>): Signature {
  const signature = sig(parsed.ret, parsed.args as never, { abi: parsed.abi ?? 'C', variadic: parsed.variadic });
  if (parsed.callbacks.every((callback) => callback === undefined)) return signature;
  const callbacks = parsed.callbacks.map((callback) =>
    callback === undefined || isMadeSignature(callback) ? callback : signatureOf(callback as Omit<CDeclaration, 'name'>),
  );
  const text = String(signature);
  const own = Object.freeze(Object.defineProperty({ ...signature }, 'toString', { value: () => text })) as Signature;
  natives.set(own, natives.get(signature)!);
  madeSignature(own);
  CALLBACKS.set(own, callbacks);
  return own;
}

/** What each argument of `signature` must be called as when it is a function pointer parameter
 * of a C declaration (empty for other signatures). */
export function callbacksOf(signature: Signature): readonly (Signature | undefined)[] {
  return CALLBACKS.get(signature) ?? [];
}
