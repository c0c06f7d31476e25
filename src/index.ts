/**
 * bare-fn: turn TypeScript functions into real, contextless C function pointers.
 *
 * This is the typed public API (README.md, "API"); its parts live in lib/. The native
 * addon (crates/napi, loaded by src/lib/native.ts) does the work; the TS layer
 * validates arguments with messages that name them, infers callback types from signatures, and
 * adds `Symbol.dispose`.
 *
 * Values are exported as constants rather than re-exported: TypeScript's CommonJS output
 * re-exports through getters defined over properties it first set to undefined, which turns the
 * exports object into a dictionary-mode object whose loads V8 does not optimise. A callback that
 * reads `memory.read(t.i32, p)` per native call paid about a tenth of its time for that
 * (bench/README.md, qsort); a test checks that the exports object keeps fast properties.
 */
import * as bareFn from './lib/bare-fn.js';
import * as cdefs from './lib/cdef.js';
import * as fnPtr from './lib/fn-ptr.js';
import * as library from './lib/library.js';
import * as mem from './lib/memory.js';
import * as signature from './lib/signature.js';
import * as structs from './lib/struct.js';
import * as types from './lib/types.js';
import type { Threading } from './lib/bare-fn.js';
import type { Signature } from './lib/signature.js';

export type { JsInput, JsValue, Type, TypeName } from './lib/types.js';
export type { ArrayType, FieldInput, FieldType, Fields, FieldValue, StructInput, StructType, StructValue, UnionType } from './lib/struct.js';
export type { Block } from './lib/block.js';
export type { Abi, Callback, Caller, CSignature, Fallback, FunctionPointer, Signature } from './lib/signature.js';
export type { CTypes } from './lib/c-decl.js';
export type { CDefinitions } from './lib/cdef.js';
export type { BareFnConstructor, BareFnOptions, ErrorInfo, LiveBareFn, Threading } from './lib/bare-fn.js';
export type { LibraryOptions } from './lib/library.js';

/** The types of signatures and of `memory`: the scalars, `t.struct`, `t.union` and `t.array`, and C's
 * `sizeof`, `alignof` and `offsetof`. */
export const t = Object.freeze({
  ...types.t,
  struct: structs.struct,
  union: structs.union,
  array: structs.array,
  sizeof: structs.sizeof,
  alignof: structs.alignof,
  offsetof: structs.offsetof,
});
/** The most arguments a signature may have. */
export const MAX_ARGS = signature.MAX_ARGS;
/** A signature from types (`sig(t.i32, [t.pointer, t.pointer])`), or from a C declaration
 * (`sig.c('int (*)(const void *, const void *)')`). */
export const sig = Object.assign(signature.sig, { c: signature.sigFromC });
/** A JS function as a real C function pointer (see src/lib/bare-fn.ts; its constructor's signatures:
 * `BareFnConstructor`). */
export const BareFn: bareFn.BareFnConstructor = bareFn.BareFn;
export type BareFn<S extends Signature = Signature, M extends Threading = 'local'> = bareFn.BareFn<S, M>;
export const DEFAULT_TIMEOUT_MS = bareFn.DEFAULT_TIMEOUT_MS;
export const DEFAULT_SETTLE_TIMEOUT_MS = bareFn.DEFAULT_SETTLE_TIMEOUT_MS;
/** The types and constants of a block of C declarations (typedefs, struct and enum definitions,
 * `#define`d integers, prototypes), usable as the `types` of any declaration. */
export const cdef = cdefs.cdef;
export const FnPtr = fnPtr.FnPtr;
export type FnPtr<S extends Signature = Signature> = fnPtr.FnPtr<S>;
export type { WithErrno } from './lib/fn-ptr.js';
export const Library = library.Library;
export type Library = library.Library;
export const errno = fnPtr.errno;
export const lastError = fnPtr.lastError;
/** Reads and writes of scalars, structs and bytes at native addresses, the address of JS-owned
 * bytes, and native blocks. */
export const memory = mem.memory;
