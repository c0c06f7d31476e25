/// <reference lib="esnext.disposable" preserve="true" />
// (Kept in the emitted .d.ts: a consumer compiling with a plain lib: ["ES2022"] and no @types/node
// gets Disposable and Symbol.dispose from it.)
// Library: a shared library opened with dlopen/LoadLibrary (crates/napi library.rs), its symbols,
// and its functions as FnPtrs.
import { type CTypes, parseDeclaration } from './c-decl.js';
import { type LibraryCdefOf, readBlock } from './cdef.js';
import { checkNoNul, type FnPtr, makeCaller } from './fn-ptr.js';
import { binding, type Binding } from './native.js';
import { NO_CLONE } from './no-clone.js';
import { type CSignature, handleOf, isSignature, type Signature, signatureOf } from './signature.js';
import { describe, optionReader } from './types.js';

export interface LibraryOptions {
  lazy?: boolean;
  global?: boolean;
  deepBind?: boolean;
}
const readLibraryOptions = optionReader<LibraryOptions>(['lazy', 'global', 'deepBind'], 'Library.open');

/** A loaded shared library (dlopen / LoadLibrary). */
export class Library implements Disposable {
  readonly #native: Binding.NativeLibrary;
  /** Its state as an External, for symbol lookups and held by its functions. */
  readonly #handle: unknown;
  /** Makes structuredClone and postMessage refuse a Library with a DataCloneError saying why
   * (no-clone.ts); post its `.path` and open it there. */
  readonly noClone = NO_CLONE;
  /** The functions `fn` made, by name and signature: one asked for again (lib.fn in a loop) is
   * the one made before, as long as its signature lives. Emptied by close(). */
  readonly #functions = new Map<string, WeakMap<Signature, FnPtr>>();
  /** The functions `fn` made of C declarations given without types, by declaration. */
  readonly #declared = new Map<string, FnPtr>();

  private constructor(native: Binding.NativeLibrary) {
    this.#native = native;
    this.#handle = native.handle();
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
    // dlopen('') and a path cut at a NUL would open something else than asked: the program
    // itself, or a shorter path.
    if (path === '') throw new TypeError('Library.open: the path is empty (dlopen would give the program itself)');
    checkNoNul(path, 'Library.open: the path');
    const read = readLibraryOptions(options);
    for (const [name, value] of Object.entries(read)) {
      if (value !== undefined && typeof value !== 'boolean') {
        throw new TypeError(`Library.open: options.${name} must be a boolean; got ${describe(value)}`);
      }
    }
    // Which options this platform's loader has is the addon's to say (library.rs, OpenOptions).
    return new Library(binding.NativeLibrary.open(path, read));
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
    checkNoNul(name, 'Library.symbol: the name');
    return binding.librarySymbol(this.#handle, name);
  }

  /**
   * A block of C declarations (see `cdef`) whose prototypes are functions of this library: an
   * object with one function per prototype, by its name, beside the block's types and constants.
   * (TypeScript does not read the block: its members are typed loosely.)
   */
  cdef<const H extends string, const T extends CTypes = Record<never, never>>(header: H, types?: T): LibraryCdefOf<H, T> {
    const block = readBlock(header, types, `Library.cdef`);
    const functions = Object.fromEntries(Object.entries(block.functions).map(([name, signature]) => [name, this.fn(name, signature)]));
    return Object.freeze({ ...block.types, ...block.constants, ...functions }) as LibraryCdefOf<H, T>;
  }

  /** An exported function, callable with `signature`, or declared in C with its name
   * (`lib.fn('int strcmp(const char *a, const char *b)')`, structs by name in `types`: see
   * sig.c). Asked for again with the same name and signature object (or the same declaration
   * without types), it is the same function. Calls after close() are a TypeError. */
  fn<S extends Signature>(name: string, signature: S): FnPtr<S>;
  fn<const D extends `${string}(${string}`, const T extends CTypes = Record<never, never>>(declaration: D, types?: T): FnPtr<CSignature<D, T>>;
  /** A declaration held in a `string` (not a literal TypeScript can read): the general signature,
   * read at run time. */
  fn<D extends string>(declaration: string extends D ? D : never, types?: CTypes): FnPtr;
  fn(nameOrDeclaration: string, signatureOrTypes?: Signature | CTypes): FnPtr {
    if (isSignature(signatureOrTypes) || typeof nameOrDeclaration !== 'string' || !nameOrDeclaration.includes('(')) {
      return this.#function(nameOrDeclaration, signatureOrTypes as Signature);
    }
    const known = signatureOrTypes === undefined ? this.#declared.get(nameOrDeclaration) : undefined;
    if (known !== undefined) return known;
    const what = `Library.fn(${describe(nameOrDeclaration)})`;
    const parsed = parseDeclaration(nameOrDeclaration, signatureOrTypes, what);
    if (parsed.name === undefined) throw new TypeError(`${what}: the declaration must name the function, as in 'int strcmp(const char *a, const char *b)'`);
    const made = this.#function(parsed.name, signatureOf(parsed));
    // Types given may be another object with other structs next time: only a declaration alone
    // says the same thing each time.
    if (signatureOrTypes === undefined) this.#declared.set(nameOrDeclaration, made);
    return made;
  }

  /** The function `name` as `signature`: made, or the one made before. */
  #function(name: string, signature: Signature): FnPtr {
    const known = this.#functions.get(name)?.get(signature);
    if (known !== undefined) return known;
    const what = (): string => `Library.fn(${describe(name)}): the signature`;
    handleOf(signature, what);
    if (typeof name === 'string') checkNoNul(name, 'Library.fn: the name');
    const address = this.symbol(name);
    const made = makeCaller(signature, { address, name, library: this.#handle }, what);
    let bySignature = this.#functions.get(name);
    if (bySignature === undefined) this.#functions.set(name, (bySignature = new WeakMap()));
    bySignature.set(signature, made);
    return made;
  }

  close(): void {
    this.#functions.clear();
    this.#declared.clear();
    this.#native.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
