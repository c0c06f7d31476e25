/// <reference lib="esnext.disposable" preserve="true" />
// (Kept in the emitted .d.ts: a consumer compiling with a plain lib: ["ES2022"] and no @types/node
// gets Disposable and Symbol.dispose from it.)
// FnPtr (any C function pointer, callable from JS) and Library (dlopen).
import { encodeAt } from './memory.js';
import { binding, type Binding } from './native.js';
import { type CTypes, parseDeclaration } from './c-decl.js';
import { type Caller, type CSignature, isSignature, MAX_ARGS, nativeOf, sig, type Signature, variadicCall } from './signature.js';
import { codecOf, isStruct } from './struct.js';
import { NO_CLONE } from './no-clone.js';
import { checkOptions, describe, isType, t, type Type } from './types.js';

function checkAddress(address: unknown, what: string): bigint {
  if (typeof address !== 'bigint') {
    throw new TypeError(`${what} must be a bigint; got ${describe(address)}`);
  }
  if (address === 0n) throw new RangeError(`${what} is NULL (0n)`);
  if (address < 0n || address >= 1n << 64n) throw new RangeError(`${what} ${address}n is not an address`);
  return address;
}

/** A callable native function pointer; call it like the C function. */
export type FnPtr<S extends Signature = Signature> = Caller<S> & {
  readonly address: bigint;
  readonly signature: S;
};

type Call = (args: unknown[]) => unknown;

/** Calls of a signature with structs: each struct argument encoded into bytes of its own, the
 * result decoded from bytes the native call fills. The bytes are the FnPtr's and reused: native
 * code copies the arguments before the C function runs, and the result is decoded as soon as the
 * call returns. Only while arguments are being encoded could a getter of one call the same FnPtr
 * and overwrite an argument already encoded: such a nested call encodes into fresh bytes. */
function structCall(address: bigint, signature: Signature, native: Binding.NativeSignature): Call {
  const what = `FnPtr ${signature.toString()}`;
  let encoding = false;
  const encoders = signature.args.map((type, i) => {
    if (!isStruct(type)) return undefined;
    const shared = new Uint8Array(type.size);
    const sharedView = new DataView(shared.buffer);
    return (value: unknown, fresh: boolean) => {
      const bytes = fresh ? new Uint8Array(type.size) : shared;
      encodeAt(type, value, fresh ? new DataView(bytes.buffer) : sharedView, 0, `${what}: argument ${i}`);
      return bytes;
    };
  });
  const ret = signature.ret;
  const out = isStruct(ret) ? new Uint8Array(ret.size) : undefined;
  const outView = out && new DataView(out.buffer);
  const read = isStruct(ret) ? codecOf(ret).read : undefined;
  return (args) => {
    const nested = encoding;
    encoding = true;
    let passed: unknown[];
    try {
      passed = args.map((value, i) => (encoders[i] === undefined ? value : encoders[i]!(value, nested)));
    } finally {
      encoding = nested;
    }
    try {
      const result = binding.callPointer(address, native, passed, out);
      return read === undefined ? result : read(outView!, 0);
    } catch (error) {
      // A callback's error rethrown after the native call returned carries its result (native
      // code gave it \`returnValue: undefined\` for a struct, which is decoded here).
      if (read !== undefined && typeof error === 'object' && error !== null && Object.hasOwn(error, 'returnValue')) {
        Object.defineProperty(error, 'returnValue', { value: read(outView!, 0), writable: true, enumerable: true, configurable: true });
      }
      throw error;
    }
  };
}

/** The most distinct lists of variadic types a variadic FnPtr keeps native signatures for. */
const VARIADIC_SIGNATURES = 64;

/** Calls of a variadic function: the fixed arguments, then (type, value) pairs; a native
 * signature per list of variadic types, made on first use and kept. */
function variadicCaller(address: bigint, signature: Signature): Call {
  const what = `FnPtr ${signature.toString()}`;
  const fixed = signature.args.length;
  const signatures = new Map<string, Binding.NativeSignature>();
  return (args) => {
    const rest = args.length - fixed;
    if (rest < 0 || rest % 2 !== 0) {
      throw new TypeError(`${what} takes its ${fixed} fixed arguments, then a type and a value per variadic argument (t.i32, 5, t.f64, 1.5); got ${args.length} arguments`);
    }
    if (fixed + rest / 2 > MAX_ARGS) {
      throw new RangeError(`${what}: a call takes at most ${MAX_ARGS} arguments, fixed and variadic; got ${fixed + rest / 2}`);
    }
    const types: Type[] = [];
    const values = args.slice(0, fixed);
    for (let i = fixed; i < args.length; i += 2) {
      const type = args[i];
      if (!isType(type) || type === t.void) {
        throw new TypeError(`${what}: variadic argument ${types.length} must be preceded by its type, a scalar of t but void (pass a struct by pointer); got ${describe(type)}`);
      }
      types.push(type);
      values.push(args[i + 1]);
    }
    const key = types.map((type) => type.code).join();
    let native = signatures.get(key);
    if (native === undefined) {
      if (signatures.size >= VARIADIC_SIGNATURES) signatures.clear();
      native = variadicCall(signature, types);
      signatures.set(key, native);
    }
    return binding.callPointer(address, native, values);
  };
}

function makeCaller<S extends Signature>(address: bigint, signature: S, guard?: () => void): FnPtr<S> {
  const native = nativeOf(signature, 'FnPtr.from: the signature');
  const structs = isStruct(signature.ret) || signature.args.some(isStruct);
  if (signature.variadic && structs) {
    throw new TypeError(`FnPtr ${signature.toString()}: a variadic function with struct arguments or a struct result is not supported (pass them by pointer)`);
  }
  const invoke: Call = signature.variadic
    ? variadicCaller(address, signature)
    : structs
      ? structCall(address, signature, native)
      : (args) => binding.callPointer(address, native, args);
  const call = guard
    ? (...args: unknown[]) => {
        guard();
        return invoke(args);
      }
    : (...args: unknown[]) => invoke(args);
  return Object.assign(call, { address, signature }) as unknown as FnPtr<S>;
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
    return makeCaller(address, signature);
  },
};

/** dlopen's flags (see Library.open). */
export interface LibraryOptions {
  lazy?: boolean;
  global?: boolean;
  deepBind?: boolean;
}
const LIBRARY_OPTIONS = ['lazy', 'global', 'deepBind'] as const;

/** A loaded shared library (dlopen / LoadLibrary). */
export class Library implements Disposable {
  readonly #native: Binding.NativeLibrary;
  /** Makes structuredClone and postMessage refuse a Library with a DataCloneError saying why
   * (no-clone.ts); post its `.path` and open it there. */
  readonly noClone = NO_CLONE;

  private constructor(native: Binding.NativeLibrary) {
    this.#native = native;
  }

  /**
   * Loads a shared library. On Linux and macOS, dlopen's flags: `lazy` (RTLD_LAZY, the default;
   * false: RTLD_NOW, every symbol bound at once), `global` (RTLD_GLOBAL: its symbols serve
   * libraries loaded later; default RTLD_LOCAL), `deepBind` (RTLD_DEEPBIND, glibc only: the
   * library's own symbols first, before those of the process, which matters when Node itself
   * exports the same names, as it does zlib's and OpenSSL's). An option a platform has no flag for
   * is a TypeError naming it.
   */
  static open(path: string, options?: LibraryOptions): Library {
    if (typeof path !== 'string') {
      throw new TypeError(`Library.open: the path must be a string; got ${describe(path)}`);
    }
    if (options !== undefined) checkOptions(options, LIBRARY_OPTIONS, 'Library.open');
    const { lazy, global, deepBind } = options ?? {};
    for (const [name, value] of [['lazy', lazy], ['global', global], ['deepBind', deepBind]] as const) {
      if (value === undefined) continue;
      if (typeof value !== 'boolean') throw new TypeError(`Library.open: options.${name} must be a boolean; got ${describe(value)}`);
      if (process.platform === 'win32') {
        throw new TypeError(`Library.open: options.${name} is a dlopen flag; Windows' LoadLibrary has none`);
      }
    }
    if (deepBind === true && !binding.hasDeepBind()) {
      throw new TypeError(`Library.open: options.deepBind needs RTLD_DEEPBIND, which only glibc's dlopen has (not ${process.platform === 'linux' ? 'musl' : process.platform}'s)`);
    }
    return new Library(binding.NativeLibrary.open(path, lazy, global, deepBind));
  }

  get path(): string {
    return this.#native.path;
  }

  get closed(): boolean {
    return this.#native.closed;
  }

  /** The address of an exported symbol. */
  symbol(name: string): bigint {
    if (typeof name !== 'string') {
      throw new TypeError(`Library.symbol: the name must be a string; got ${describe(name)}`);
    }
    return this.#native.symbol(name) as bigint;
  }

  /** An exported function, callable with `signature`, or declared in C with its name
   * (`lib.fn('int strcmp(const char *a, const char *b)')`, structs by name in `types`: see
   * sig.c). Calls after close() are a TypeError. */
  fn<S extends Signature>(name: string, signature: S): FnPtr<S>;
  fn<const D extends `${string}(${string}`, const T extends CTypes = Record<never, never>>(declaration: D, types?: T): FnPtr<CSignature<D, T>>;
  fn(nameOrDeclaration: string, signatureOrTypes?: Signature | CTypes): FnPtr {
    let name = nameOrDeclaration;
    let signature = signatureOrTypes as Signature;
    if (!isSignature(signatureOrTypes) && typeof nameOrDeclaration === 'string' && nameOrDeclaration.includes('(')) {
      const what = `Library.fn(${describe(nameOrDeclaration)})`;
      const parsed = parseDeclaration(nameOrDeclaration, signatureOrTypes, what);
      if (parsed.name === undefined) throw new TypeError(`${what}: the declaration must name the function, as in 'int strcmp(const char *a, const char *b)'`);
      name = parsed.name;
      signature = sig(parsed.ret, parsed.args as never, { abi: parsed.abi ?? 'C', variadic: parsed.variadic });
    }
    nativeOf(signature, `Library.fn(${describe(name)}): the signature`);
    const address = this.symbol(name);
    return makeCaller(address, signature, () => {
      if (this.#native.closed) {
        throw new TypeError(`Library ${JSON.stringify(this.path)} is closed: cannot call ${name}`);
      }
    });
  }

  close(): void {
    this.#native.close();
  }

  [Symbol.dispose](): void {
    this.#native.close();
  }
}

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
