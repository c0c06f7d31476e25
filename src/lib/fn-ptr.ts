// FnPtr: any C function pointer, callable from JS (the functions of a Library too: library.ts).
import { BareFn } from './bare-fn.js';
import { encodeAt } from './memory.js';
import { binding } from './native.js';
import { type Caller, callbacksOf, handleOf, MAX_ARGS, type Signature, variadicCall } from './signature.js';
import { codecOf, isStruct } from './struct.js';
import { describe, isType, t, type Type } from './types.js';

function checkAddress(address: unknown, what: string): bigint {
  if (typeof address !== 'bigint') {
    throw new TypeError(`${what} must be a bigint; got ${describe(address)}`);
  }
  if (address === 0n) throw new RangeError(`${what} is NULL (0n)`);
  if (address < 0n || address >= 1n << 64n) throw new RangeError(`${what} ${describe(address)} is not an address`);
  return address;
}

/** A callable native function pointer; call it like the C function. */
export type FnPtr<S extends Signature = Signature> = Caller<S> & {
  readonly address: bigint;
  readonly signature: S;
  /** The same call made on a thread of libuv's pool, so that a slow or blocking C function does
   * not hold the JS thread: its result, or its argument's error, as a Promise. The C strings and
   * structs passed are copied first; what a pointer argument points to must stay valid until the
   * Promise settles. */
  readonly async: (...args: Parameters<Caller<S>>) => Promise<ReturnType<Caller<S>>>;
  /** `async`, resolving with what this call left in errno and, on Windows, GetLastError
   * (`errno()` tells the last synchronous call's only: async calls run concurrently). */
  readonly asyncWithErrno: (...args: Parameters<Caller<S>>) => Promise<WithErrno<ReturnType<Caller<S>>>>;
};

/** The result of `fn.asyncWithErrno`. */
export interface WithErrno<R> {
  readonly value: R;
  readonly errno: number;
  /** GetLastError() on Windows; undefined elsewhere. */
  readonly lastError: number | undefined;
}

/** A function made by `binding.createCaller`: calls the C function with its arguments as they
 * are, converted natively (crates/napi/src/outgoing). */
type Native = (...args: unknown[]) => unknown;

/** Where a function comes from: its address, its name, and the library's External (its calls
 * are refused once the library is closed) or undefined. */
interface Origin {
  readonly address: bigint;
  readonly name: string;
  readonly library: unknown;
}

/** Calls `f` with the first `n` (the index) elements of `a` as its arguments: without a spread,
 * and without shortening the array (setting an array's length ran V8's runtime, a third of a
 * variadic call). */
// prettier-ignore
const APPLY: readonly ((f: Native, a: unknown[]) => unknown)[] = [
  (f) => f(),
  (f, a) => f(a[0]),
  (f, a) => f(a[0], a[1]),
  (f, a) => f(a[0], a[1], a[2]),
  (f, a) => f(a[0], a[1], a[2], a[3]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5], a[6]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]),
];

function nativeCaller(handle: unknown, origin: Origin, out?: Uint8Array): Native {
  return binding.createCaller(handle, origin.address, origin.name, out, origin.library) as Native;
}

/** Calls of a signature with structs: each struct argument encoded into bytes of its own, the
 * result decoded from bytes the native call fills. The bytes are the function's and reused: native
 * code copies the arguments before the C function runs, and the result is decoded as soon as the
 * call returns. Only while arguments are being encoded could a getter of one call the same
 * function and overwrite an argument already encoded: such a nested call encodes into fresh
 * bytes. */
function structCaller(signature: Signature, handle: unknown, origin: Origin): Native {
  let encoding = false;
  const encoders = structEncoders(signature);
  const ret = signature.ret;
  const out = isStruct(ret) ? new Uint8Array(ret.size) : undefined;
  const outView = out && new DataView(out.buffer);
  const read = isStruct(ret) ? codecOf(ret).read : undefined;
  const native = nativeCaller(handle, origin, out);
  return (...args) => {
    const nested = encoding;
    encoding = true;
    try {
      for (const [i, encode] of encoders) if (i < args.length) args[i] = encode(args[i], nested);
    } finally {
      encoding = nested;
    }
    try {
      // A call with more arguments than a signature can have is refused natively, with the count.
      const result = args.length < APPLY.length ? APPLY[args.length]!(native, args) : native(...args);
      return read === undefined ? result : read(outView!, 0);
    } catch (error) {
      // A callback's error rethrown after the native call returned carries its result (native
      // code gave it \`returnValue: undefined\` for a struct, which is decoded here).
      if (read !== undefined && typeof error === 'object' && error !== null) {
        try {
          if (Object.hasOwn(error, 'returnValue')) {
            Object.defineProperty(error, 'returnValue', { value: read(outView!, 0), writable: true, enumerable: true, configurable: true });
          }
        } catch {
          // An error that refuses the property (a non-configurable one of its own, a Proxy's
          // trap) goes on without it, as on the scalar path: the callback's error is what the
          // caller gets.
        }
      }
      throw error;
    }
  };
}

/** An encoder per struct argument of `signature`, with its position: into bytes the function
 * shares from call to call, or into fresh ones (`fresh`). */
function structEncoders(signature: Signature): [number, (value: unknown, fresh: boolean) => Uint8Array][] {
  const what = `FnPtr ${signature.toString()}`;
  const encoders: [number, (value: unknown, fresh: boolean) => Uint8Array][] = [];
  signature.args.forEach((type, i) => {
    if (!isStruct(type)) return;
    const shared = new Uint8Array(type.size);
    const sharedView = new DataView(shared.buffer);
    encoders.push([
      i,
      (value, fresh) => {
        const bytes = fresh ? new Uint8Array(type.size) : shared;
        encodeAt(type, value, fresh ? new DataView(bytes.buffer) : sharedView, 0, `${what}: argument ${i}`);
        return bytes;
      },
    ]);
  });
  return encoders;
}

/** The most distinct lists of variadic types a variadic function keeps native functions for. */
const VARIADIC_SIGNATURES = 64;

/** A native function per list of variadic types, by type code, one level per variadic argument. */
interface VariadicNode {
  native?: Native;
  readonly next: (VariadicNode | undefined)[];
}

/** Calls of a variadic function: the fixed arguments, then (type, value) pairs; a native function
 * per list of variadic types, made on first use and kept (looked up by type code, without
 * building a key). */
function variadicCaller(signature: Signature, origin: Origin): Native {
  const fixed = signature.args.length;
  let root: VariadicNode = { next: [] };
  let made = 0;
  /** This call's variadic types (reused from call to call). */
  const types: Type[] = [];
  return (...args) => {
    const count = variadicTypes(signature, args, types);
    let node = root;
    for (let k = 0; k < count; k++) node = node.next[types[k]!.code] ??= { next: [] };
    let native = node.native;
    if (native === undefined) {
      if (made === VARIADIC_SIGNATURES) {
        // Start over rather than grow without bound; this list is the first of the new table.
        root = { next: [] };
        made = 0;
        node = root;
        for (let k = 0; k < count; k++) node = node.next[types[k]!.code] ??= { next: [] };
      }
      native = node.native = nativeCaller(variadicCall(signature, types.slice(0, count)), origin);
      made++;
    }
    return APPLY[fixed + count]!(native, args);
  };
}

/** Checks a variadic call's arguments (the fixed ones, then a type and a value per variadic
 * one), puts its variadic types into `types` and moves the values down over the types, so that
 * the first fixed + count of `args` are the native call's arguments; returns the count. */
function variadicTypes(signature: Signature, args: unknown[], types: Type[]): number {
  const what = `FnPtr ${signature.toString()}`;
  const fixed = signature.args.length;
  const length = args.length;
  const rest = length - fixed;
  if (rest < 0 || rest % 2 !== 0) {
    throw new TypeError(`${what} takes its ${fixed} fixed arguments, then a type and a value per variadic argument (t.i32, 5, t.f64, 1.5); got ${length} arguments`);
  }
  const count = rest / 2;
  if (fixed + count > MAX_ARGS) {
    throw new RangeError(`${what}: a call takes at most ${MAX_ARGS} arguments, fixed and variadic; got ${fixed + count}`);
  }
  for (let k = 0; k < count; k++) {
    const type = args[fixed + 2 * k];
    if (!isType(type) || type === t.void) {
      throw new TypeError(`${what}: variadic argument ${k} must be preceded by its type, a scalar of t but void (pass a struct by pointer); got ${describe(type)}`);
    }
    types[k] = type;
    args[fixed + k] = args[fixed + 2 * k + 1];
  }
  return count;
}

/** `fn.async` (crates/napi/src/outgoing/async_call.rs): the arguments converted now, the call
 * made on a pool thread. Struct arguments are encoded into bytes of their own (the call runs
 * later), a struct result decoded from the bytes the Promise gets; an argument's error rejects. */
function asyncCaller(signature: Signature, handle: unknown, origin: Origin, withErrno: boolean): (...args: unknown[]) => Promise<unknown> {
  const encoders = structEncoders(signature);
  const ret = signature.ret;
  const read = isStruct(ret) ? codecOf(ret).read : undefined;
  const decode = read && ((bytes: unknown) => read(new DataView((bytes as Uint8Array).buffer), 0));
  const settle = decode && withErrno ? (result: unknown) => ({ ...(result as WithErrno<unknown>), value: decode((result as WithErrno<unknown>).value) }) : decode;
  const types: Type[] = [];
  return (...args) => {
    try {
      let target = handle;
      if (signature.variadic) {
        const count = variadicTypes(signature, args, types);
        target = variadicCall(signature, types.slice(0, count));
        args.length = signature.args.length + count;
      }
      for (const [i, encode] of encoders) if (i < args.length) args[i] = encode(args[i], true);
      const started = binding.callAsync(target, origin.address, origin.name, origin.library, args, withErrno);
      return settle === undefined ? started : started.then(settle);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/**
 * `call`, taking at each function pointer parameter (`callbacks[i]`, from a C declaration) a
 * BareFn whose signature is the one declared there, as its address; a BareFn of another
 * signature is a TypeError naming both. Other values go to `call` as they are (an address, null,
 * a buffer). `call` itself when there is no such parameter; for `.async`, an error rejects.
 */
function takingBareFns<F extends Native>(call: F, signature: Signature, origin: Origin, callbacks: readonly (Signature | undefined)[], async: boolean): F {
  const checked = callbacks.flatMap((expected, index) => (expected === undefined ? [] : [{ index, expected: String(expected) }]));
  if (checked.length === 0) return call;
  const addresses = (args: unknown[]): void => {
    for (const { index, expected } of checked) {
      const arg = args[index];
      if (!(arg instanceof BareFn)) continue;
      const actual = String(arg.signature);
      if (actual !== expected) {
        throw new TypeError(`${origin.name} ${String(signature)}: argument ${index} is a function pointer called as ${expected}; got a BareFn of ${actual}`);
      }
      args[index] = arg.address;
    }
  };
  const taking = async
    ? (...args: unknown[]) => {
        try {
          addresses(args);
        } catch (error) {
          return Promise.reject(error);
        }
        return call(...args);
      }
    : (...args: unknown[]) => {
        addresses(args);
        return call(...args);
      };
  Object.defineProperty(taking, 'name', { value: call.name });
  return taking as F;
}

export function makeCaller<S extends Signature>(signature: S, origin: Origin, what: () => string): FnPtr<S> {
  const callbacks = callbacksOf(signature);
  const handle = handleOf(signature, what);
  const structs = isStruct(signature.ret) || signature.args.some(isStruct);
  if (signature.variadic && structs) {
    throw new TypeError(`FnPtr ${signature.toString()}: a variadic function with struct arguments or a struct result is not supported (pass them by pointer)`);
  }
  const call = signature.variadic
    ? variadicCaller(signature, origin)
    : structs
      ? structCaller(signature, handle, origin)
      : nativeCaller(handle, origin);
  // Plain stores (readonly in the types): defining them took a tenth of a lib.fn.
  const made = takingBareFns(call, signature, origin, callbacks, false) as Native & { address: bigint; signature: S; async: unknown; asyncWithErrno: unknown };
  made.address = origin.address;
  made.signature = signature;
  made.async = takingBareFns(asyncCaller(signature, handle, origin, false), signature, origin, callbacks, true);
  made.asyncWithErrno = takingBareFns(asyncCaller(signature, handle, origin, true), signature, origin, callbacks, true);
  return made as unknown as FnPtr<S>;
}

/** A TypeError naming `what` when `text` holds a NUL character, where C would cut it. */
export function checkNoNul(text: string, what: string): void {
  const at = text.indexOf('\0');
  if (at >= 0) throw new TypeError(`${what} contains a NUL character (at index ${at}): C would cut it there`);
}

/** Code addresses on this platform are multiples of this (1n on x86, where code may start anywhere). */
const CODE_ALIGN = BigInt(binding.codeAlignment());

export const FnPtr = {
  /** Makes any function pointer callable from JS with the given signature. */
  from<S extends Signature>(address: bigint, signature: S): FnPtr<S> {
    checkAddress(address, 'FnPtr.from: the address');
    if (address % CODE_ALIGN !== 0n) {
      throw new RangeError(
        `FnPtr.from: the address 0x${address.toString(16)} is not aligned to ${CODE_ALIGN} bytes, as code is here`,
      );
    }
    return makeCaller(signature, { address, name: 'FnPtr', library: undefined }, () => 'FnPtr.from: the signature');
  },
};

/** dlopen's flags (see Library.open). */
/** errno as the last FnPtr or Library function call on this thread left it: read right after the
 * C function returned, before anything else could change it (0 before any call). On Windows it
 * is the C runtime's errno (ucrt; msvcrt for MinGW builds). */
export function errno(): number {
  return binding.lastErrno();
}

/** Windows' GetLastError() as the last FnPtr or Library function call on this thread left it.
 * Elsewhere there is none: a TypeError that says to use errno(). */
export function lastError(): number {
  if (process.platform !== 'win32') {
    throw new TypeError(`lastError() is Windows' GetLastError(); on ${process.platform} use errno()`);
  }
  return binding.lastOsError();
}
