// Structs and fixed arrays (`t.struct`, `t.array`): their C layout (computed natively, per
// platform: crates/core/src/structs.rs), the JS values they take, and reading and writing them
// as bytes.
import { binding } from './native.js';
import { GETTERS, LAYOUTS, SETTERS, type Setter } from './scalars.js';
import { describe, isText, isType, SCALARS, t, type JsInput, type JsValue, type Type, type TypeName, optionReader } from './types.js';

/** A type a struct field or array element can have: a scalar but void, a struct or an array. */
export type FieldType = Type<Exclude<TypeName, 'void'>> | StructType | ArrayType;
export interface Fields {
  readonly [name: string]: FieldType;
}

/** A C struct type made by `t.struct`, or a union made by `t.union` (`union` true). */
export interface StructType<F extends Fields = Fields> {
  readonly kind: 'struct';
  /** A union (`t.union`): every field at offset 0; a value read has every field, one written
   * sets exactly one. */
  readonly union: boolean;
  /** `struct { x: f64, y: f64 }`, for messages. */
  readonly name: string;
  readonly fields: F;
  readonly size: number;
  readonly align: number;
  /** Each field's byte offset. */
  readonly offsets: { readonly [K in keyof F]: number };
  /** `#pragma pack(n)`'s n, if packed. */
  readonly pack: 1 | 2 | 4 | 8 | 16 | undefined;
  /** @internal the layout's descriptor, as crates/core parses it */
  readonly descriptor: string;
}

/** A C union type made by `t.union`. */
export interface UnionType<F extends Fields = Fields> extends StructType<F> {
  readonly union: true;
}

/** A fixed-length C array type made by `t.array`, for struct fields (`char name[16]`). */
export interface ArrayType<E extends FieldType = FieldType, N extends number = number> {
  readonly kind: 'array';
  /** `[u8; 15]`, for messages. */
  readonly name: string;
  readonly element: E;
  readonly length: N;
  readonly size: number;
  readonly align: number;
  /** @internal */
  readonly descriptor: string;
}

/** Numeric arrays arrive as the typed array of their element type; bool, cstring, isize, usize,
 * pointer (whose size differs between platforms), struct and array elements as plain arrays. */
interface TypedArrays {
  i8: Int8Array;
  u8: Uint8Array;
  i16: Int16Array;
  u16: Uint16Array;
  i32: Int32Array;
  u32: Uint32Array;
  f32: Float32Array;
  f64: Float64Array;
  i64: BigInt64Array;
  u64: BigUint64Array;
}

/** A field of type T as JS sees it: as read (`'value'`) or as accepted when written (`'input'`,
 * where 64-bit integers also take numbers and arrays any array-like of their elements). */
type Field<T, M extends 'value' | 'input'> =
  T extends Type<infer N>
    ? M extends 'value'
      ? JsValue<N>
      : JsInput<N>
    : T extends UnionType<infer F>
      ? UnionOf<F, M>
      : T extends StructType<infer F>
      ? StructOf<F, M>
      : T extends ArrayType<infer E>
        ? (E extends Type<infer N extends keyof TypedArrays> ? TypedArrays[N] : never) | (M extends 'value' ? (E extends Type<keyof TypedArrays> ? never : Field<E, M>[]) : ArrayLike<Field<E, M>>)
        : never;
type StructOf<F extends Fields, M extends 'value' | 'input'> = { -readonly [K in keyof F]: Field<F[K], M> };
/** A union read has every field; one written, exactly one of them (the others `never`). */
type UnionOf<F extends Fields, M extends 'value' | 'input'> = M extends 'value'
  ? StructOf<F, M>
  : { [K in keyof F]: { -readonly [P in K]: Field<F[P], M> } & { readonly [P in Exclude<keyof F, K>]?: never } }[keyof F];

/** The JS value a field (or a signature's parameter) of type T is read as. */
export type FieldValue<T> = Field<T, 'value'>;
export type StructValue<F extends Fields> = StructOf<F, 'value'>;

/** The JS values accepted for a field (or a signature's parameter) of type T. */
export type FieldInput<T> = Field<T, 'input'>;
export type StructInput<F extends Fields> = StructOf<F, 'input'>;

/** What reads and writes a composite type: known for the struct and array types made here only
 * (a look-alike object is not one). */
export interface Codec {
  /** Reads the value at byte `at` of `view`. */
  read(view: DataView, at: number): unknown;
  /** Writes `value` at byte `at` of `view` when every scalar in it is one native code would
   * take as it is, with exactly the fields (in declaration order) or elements asked: the fast
   * path of encoding. False otherwise, maybe after writing part of it: the caller then goes
   * the native way (`collect`), which converts the value or gives the error. Padding is not
   * written. */
  write: Setter;
  /** Whether it has padding bytes (written as zeros: the caller clears them first). */
  padded: boolean;
  /** Appends the scalars of `value` (checked for shape here, for range natively) to `leaves`,
   * at `at` plus their offsets; `path` names the value in errors. */
  collect(value: unknown, at: number, path: string, leaves: Leaves): void;
}
const codecs = new WeakMap<object, Codec>();

/** The scalars of a value being written, in the order found. */
interface Leaves {
  codes: number[];
  offsets: number[];
  values: unknown[];
  paths: string[];
}

const readOptions = {
  struct: optionReader<{ pack?: 1 | 2 | 4 | 8 | 16 }>(['pack'], 't.struct'),
  union: optionReader<{ pack?: 1 | 2 | 4 | 8 | 16 }>(['pack'], 't.union'),
};
const PACKS = [1, 2, 4, 8, 16];
/** Past this many characters a type's name is cut (in messages). */
const NAME_MAX = 60;

/** The size and alignment of a scalar as a struct member here. */
function scalarLayout(type: Type): { readonly size: number; readonly align: number } {
  return LAYOUTS[type.code]!;
}

/** `type` if it can be a field or element; a TypeError naming `what` otherwise. */
function checkField(type: unknown, what: string): FieldType {
  if (type === t.void) throw new TypeError(`${what} is void; a field cannot be void`);
  if (isType(type) || isComposite(type)) return type as FieldType;
  throw new TypeError(`${what} must be a type of t (a scalar, t.struct(…) or t.array(…)); got ${describe(type)}`);
}

function descriptorOf(type: FieldType): string {
  return isType(type) ? type.name : type.descriptor;
}

function cut(name: string): string {
  return name.length > NAME_MAX ? `${name.slice(0, NAME_MAX - 1)}…` : name;
}

/** How a field is read from a DataView at a byte index: a scalar's getter (scalars.ts), a C
 * string through its pointer, a struct or array by its codec. */
function readerOf(type: FieldType): (view: DataView, at: number) => unknown {
  if (isText(type)) {
    const pointer = GETTERS[t.pointer.code]!;
    return (v, i) => binding.memoryReadCString(pointer(v, i) as bigint, type.code);
  }
  if (isType(type)) return GETTERS[type.code]!;
  return codecs.get(type)!.read;
}

/** `path` as the start of a message about the value itself. */
function label(path: string): string {
  return path.endsWith(':') ? path.slice(0, -1) : path;
}

/** The path of a field or element within `path`: `memory.write: field origin`, then `origin.x`. */
function child(path: string, field: string | number): string {
  const top = path.endsWith(':');
  if (typeof field === 'number') return top ? `${path} element [${field}]` : `${path}[${field}]`;
  return top ? `${path} field ${field}` : `${path}.${field}`;
}

function collectorOf(type: FieldType): Codec['collect'] {
  if (isText(type)) {
    return (_value, _at, path) => {
      throw new TypeError(`${label(path)} is a ${type.name}: cannot write one (its memory would not outlive the call); declare the field t.pointer and store a Buffer's address`);
    };
  }
  if (isType(type)) {
    return (value, at, path, leaves) => {
      leaves.codes.push(type.code);
      leaves.offsets.push(at);
      leaves.values.push(value);
      leaves.paths.push(path);
    };
  }
  return codecs.get(type)!.collect;
}

/** How a field is written on the fast path (`Codec.write`); a string never is. */
function writerOf(type: FieldType): Setter {
  if (isType(type)) return SETTERS[type.code] ?? (() => false);
  return codecs.get(type)!.write;
}

/** Whether a field has padding bytes. */
function paddedOf(type: FieldType): boolean {
  return !isType(type) && codecs.get(type)!.padded;
}

/**
 * A function made from source text, or undefined where the host forbids it (a Content Security
 * Policy without 'unsafe-eval', in an Electron renderer): a struct's reader and writer are made
 * for its fields, each a plain object literal and named loads, about five times as fast as a loop
 * over the field names (keyed stores into an empty object make V8 take a slow, dictionary-like
 * path). Field names enter the text only as JSON string literals.
 */
function compiled<F>(params: readonly string[], body: string, args: readonly unknown[]): F | undefined {
  try {
    return new Function(...params, body)(...args) as F;
  } catch {
    return undefined;
  }
}

/** A field name as an object literal's key (`__proto__` computed: as a literal key it would set
 * the prototype). */
function literalKey(name: string): string {
  return name === '__proto__' ? '["__proto__"]' : JSON.stringify(name);
}

/** The reader of a struct: generated (`compiled`), or a loop. */
function structReader(names: readonly string[], offsets: readonly number[], readers: readonly Codec['read'][]): Codec['read'] {
  const fields = names.map((name, i) => `${literalKey(name)}: r${i}(v, at + ${offsets[i]!})`);
  const made = compiled<Codec['read']>(readers.map((_, i) => `r${i}`), `return (v, at) => ({ ${fields.join(', ')} });`, readers);
  return (
    made ??
    ((view, at) => {
      const value: Record<string, unknown> = {};
      // Defined, not assigned: a field named __proto__ is a field, not the prototype.
      for (let i = 0; i < names.length; i++) Object.defineProperty(value, names[i]!, { value: readers[i]!(view, at + offsets[i]!), writable: true, enumerable: true, configurable: true });
      return value;
    })
  );
}

/** The fast-path writer of a struct (`Codec.write`): generated, or a loop. Exactly the fields, in
 * declaration order (a literal's keys come in the order written). */
function structWriter(names: readonly string[], offsets: readonly number[], writers: readonly Setter[]): Setter {
  const order = names.map((name, i) => `keys[${i}] !== ${JSON.stringify(name)}`).join(' || ');
  const stores = names.map((name, i) => `w${i}(v, at + ${offsets[i]!}, value[${JSON.stringify(name)}])`).join(' && ');
  const body = `return (v, at, value) => {
    if (typeof value !== 'object' || value === null) return false;
    const keys = Object.keys(value);
    if (keys.length !== ${names.length} || ${order}) return false;
    return ${stores};
  };`;
  const made = compiled<Setter>(writers.map((_, i) => `w${i}`), body, writers);
  return (
    made ??
    ((view, at, value) => {
      if (typeof value !== 'object' || value === null) return false;
      const keys = Object.keys(value);
      if (keys.length !== names.length) return false;
      for (let i = 0; i < names.length; i++) {
        const field = names[i]!;
        if (keys[i] !== field || !writers[i]!(view, at + offsets[i]!, (value as Record<string, unknown>)[field])) return false;
      }
      return true;
    })
  );
}

/** The typed array of each scalar type that has one on every platform (the addon's table says
 * which): an array field accepts one of its length as its value. */
const TYPED_ARRAYS: ReadonlyMap<Type, { new (length: number): ArrayBufferView & ArrayLike<unknown> }> = new Map(
  Object.values(SCALARS).flatMap(({ name, typedArray }) => (typedArray ? [[t[name], (globalThis as Record<string, unknown>)[typedArray] as never]] : [])),
);

/** A key JavaScript orders as an array index (before every other key of an object). */
const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

/**
 * A C struct: fields in declaration order, laid out as the platform's C compiler does (`pack`:
 * `#pragma pack(n)`, members aligned to at most n bytes). Field names are any strings; values are
 * read as objects with exactly these keys.
 */
export function struct<const F extends Fields>(fields: F, options?: { pack?: 1 | 2 | 4 | 8 | 16 }): StructType<F> {
  return record('struct', fields, options) as StructType<F>;
}

/**
 * A C union: its fields overlap at offset 0, laid out as the platform's C compiler does (`pack` as
 * for a struct). A value read has every field (the same bytes read as each); a value written sets
 * exactly one field, the union's other bytes zero. A string field (or a struct or array holding
 * one) is refused: reading every field would follow a pointer the union may not hold.
 */
export function union<const F extends Fields>(fields: F, options?: { pack?: 1 | 2 | 4 | 8 | 16 }): UnionType<F> {
  return record('union', fields, options) as UnionType<F>;
}

/** Whether a field is or holds a string (a pointer that reading follows). */
function holdsText(type: FieldType): boolean {
  if (isType(type)) return isText(type);
  return type.kind === 'array' ? holdsText(type.element) : Object.values(type.fields).some(holdsText);
}

/** A struct or union type of `fields` (see `struct`, `union`). */
function record(kind: 'struct' | 'union', fields: Fields, options: unknown): StructType {
  const what = `t.${kind}`;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new TypeError(`${what}: the fields must be an object like { x: t.f64 }; got ${describe(fields)}`);
  }
  const { pack } = readOptions[kind](options as never);
  if (pack !== undefined && !PACKS.includes(pack)) {
    throw new RangeError(`${what}: options.pack must be one of ${PACKS.join(', ')}; got ${describe(pack)}`);
  }
  // The definition is read once (its keys, then each field): a getter or a Proxy read twice
  // gave the type's fields and its layout different answers.
  const names: string[] = [];
  const types: FieldType[] = [];
  const read: Record<string, FieldType> = {};
  for (const key of Reflect.ownKeys(fields)) {
    if (typeof key === 'symbol') throw new TypeError(`${what}: field names are strings; got ${String(key)}`);
    if (!Object.prototype.propertyIsEnumerable.call(fields, key)) continue;
    if (ARRAY_INDEX.test(key) && Number(key) < 2 ** 32 - 1) {
      throw new TypeError(`${what}: field ${describe(key)} is named like an array index, which JavaScript puts before every other name: C's member order would be lost; name it otherwise`);
    }
    const type = checkField((fields as Record<string, unknown>)[key], `${what}: field ${describe(key)}`);
    if (kind === 'union' && holdsText(type)) {
      throw new TypeError(`${what}: field ${describe(key)} is or holds a string, which reading every field of a union would follow whatever the union holds; declare it t.pointer (memory.readCString reads it)`);
    }
    names.push(key);
    types.push(type);
    read[key] = type;
  }
  if (names.length === 0) throw new TypeError(`${what}: a ${kind} needs at least one field`);
  const [open, close] = kind === 'union' ? ['<', '>'] : ['{', '}'];
  const descriptor = `${open}${types.map(descriptorOf).join(',')}${close}${pack === undefined ? '' : `@${pack}`}`;
  const [size, align, ...offsetList] = binding.structLayout(what, descriptor) as number[];
  const offsets = Object.fromEntries(names.map((name, i) => [name, offsetList[i]!]));
  const name = cut(`${kind} { ${names.map((n, i) => `${n}: ${types[i]!.name}`).join(', ')} }`);
  const type: StructType = Object.freeze({
    kind: 'struct' as const,
    union: kind === 'union',
    name,
    fields: Object.freeze(read),
    size: size!,
    align: align!,
    offsets: Object.freeze(offsets),
    pack,
    descriptor,
  });
  const parts: Parts = { name, fields, names, types, offsets: offsetList, size: size! };
  codecs.set(type, kind === 'union' ? unionCodec(parts) : structCodec(parts));
  return type;
}

/** What a struct's or union's codec is made of. */
interface Parts {
  name: string;
  fields: Fields;
  names: readonly string[];
  types: readonly FieldType[];
  offsets: readonly number[];
  size: number;
}

function structCodec({ name, fields, names, types, offsets, size }: Parts): Codec {
  const collectors = types.map(collectorOf);
  const fieldBytes = types.reduce((sum, type) => sum + sizeOf(type, 'field'), 0);
  return {
    padded: fieldBytes < size || types.some(paddedOf),
    write: structWriter(names, offsets, types.map(writerOf)),
    read: structReader(names, offsets, types.map(readerOf)),
    collect(value, at, path, leaves) {
      if (typeof value !== 'object' || value === null) {
        throw new TypeError(`${label(path)}: expected an object for ${name}; got ${describe(value)}`);
      }
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(fields, key)) {
          throw new TypeError(`${child(path, key)} is not a field of ${name}`);
        }
      }
      for (let i = 0; i < names.length; i++) {
        const field = names[i]!;
        const fieldValue = (value as Record<string, unknown>)[field];
        if (fieldValue === undefined && !Object.hasOwn(value, field)) {
          throw new TypeError(`${child(path, field)} is missing (${name})`);
        }
        collectors[i]!(fieldValue, at + offsets[i]!, child(path, field), leaves);
      }
    },
  };
}

/** A union's codec: read as a struct whose fields all sit at 0; written from exactly one field,
 * the rest of its bytes zero (`padded` when a field is smaller than the union or padded). */
function unionCodec({ name, fields, names, types, offsets, size }: Parts): Codec {
  const collectors = types.map(collectorOf);
  const writers = types.map(writerOf);
  return {
    padded: types.some((type) => sizeOf(type, 'field') < size || paddedOf(type)),
    read: structReader(names, offsets, types.map(readerOf)),
    write(view, at, value) {
      if (typeof value !== 'object' || value === null) return false;
      const keys = Object.keys(value);
      const i = keys.length === 1 ? names.indexOf(keys[0]!) : -1;
      return i >= 0 && writers[i]!(view, at, (value as Record<string, unknown>)[keys[0]!]);
    },
    collect(value, at, path, leaves) {
      if (typeof value !== 'object' || value === null) {
        throw new TypeError(`${label(path)}: expected an object with one field of ${name}; got ${describe(value)}`);
      }
      const keys = Object.keys(value);
      for (const key of keys) {
        if (!Object.hasOwn(fields, key)) throw new TypeError(`${child(path, key)} is not a field of ${name}`);
      }
      if (keys.length !== 1) {
        throw new TypeError(`${label(path)}: a value of ${name} sets exactly one field; got ${keys.length === 0 ? 'none' : keys.join(', ')}`);
      }
      const i = names.indexOf(keys[0]!);
      collectors[i]!((value as Record<string, unknown>)[keys[0]!], at, child(path, keys[0]!), leaves);
    },
  };
}

/** The most elements an array type may have (its size is also bounded: a struct is at most
 * 2^31 - 1 bytes). */
const MAX_LENGTH = 2 ** 31 - 1;

/** A fixed-length array, `T name[length]`, for struct fields. */
export function array<const E extends FieldType, const N extends number>(element: E, length: N): ArrayType<E, N> {
  checkField(element, 't.array: the element type');
  if (typeof length !== 'number') throw new TypeError(`t.array: the length must be a number; got ${describe(length)}`);
  if (!Number.isInteger(length) || length < 1 || length > MAX_LENGTH) {
    throw new RangeError(`t.array: the length must be an integer from 1 to ${MAX_LENGTH}; got ${describe(length)}`);
  }
  const descriptor = `[${descriptorOf(element)};${length}]`;
  const [size, align] = binding.structLayout('t.array', `{${descriptor}}`) as number[];
  const stride = size! / length;
  const name = cut(`[${element.name}; ${length}]`);
  const type: ArrayType<E, N> = Object.freeze({ kind: 'array' as const, name, element, length, size: size!, align: align!, descriptor });
  const Typed = isType(element) ? TYPED_ARRAYS.get(element) : undefined;
  const read = readerOf(element);
  const collect = collectorOf(element);
  const write = writerOf(element);
  codecs.set(type, {
    padded: paddedOf(element),
    write(view, at, value) {
      if (Typed !== undefined && value instanceof Typed) {
        if (value.length !== length) return false;
        new Uint8Array(view.buffer, view.byteOffset + at, size!).set(new Uint8Array(value.buffer, value.byteOffset, size!));
        return true;
      }
      const list = value as ArrayLike<unknown> | null | undefined;
      if (typeof list !== 'object' || list === null || list.length !== length) return false;
      for (let i = 0; i < length; i++) if (!write(view, at + i * stride, list[i])) return false;
      return true;
    },
    read: Typed
      ? (view, at) => {
          const out = new Typed(length);
          new Uint8Array(out.buffer).set(new Uint8Array(view.buffer, view.byteOffset + at, size));
          return out;
        }
      : (view, at) => Array.from({ length }, (_, i) => read(view, at + i * stride)),
    collect(value, at, path, leaves) {
      const list = value as ArrayLike<unknown> | null | undefined;
      if (typeof list !== 'object' || list === null || typeof list.length !== 'number') {
        throw new TypeError(`${label(path)}: expected an array of ${length} for ${name}; got ${describe(value)}`);
      }
      if (list.length !== length) {
        throw new RangeError(`${label(path)}: expected ${length} elements for ${name}; got ${list.length}`);
      }
      for (let i = 0; i < length; i++) collect(list[i], at + i * stride, child(path, i), leaves);
    },
  });
  return type;
}

function checkComposite(type: unknown, what: string): Codec {
  const codec = typeof type === 'object' && type !== null ? codecs.get(type) : undefined;
  if (codec === undefined) throw new TypeError(`${what} must be a type made by t.struct or t.array; got ${describe(type)}`);
  return codec;
}

/** Whether `type` is a struct or array type made here. */
export function isComposite(type: unknown): type is StructType | ArrayType {
  return typeof type === 'object' && type !== null && codecs.has(type);
}

/** Size in bytes of a type, as C's sizeof. */
export function sizeof(type: FieldType): number {
  return sizeOf(type, 't.sizeof: the type');
}

/** sizeof, with errors naming `what`. */
export function sizeOf(type: unknown, what: string): number {
  const checked = checkField(type, what);
  return isType(checked) ? scalarLayout(checked).size : checked.size;
}

/** The size of a scalar by its code. */
export function leafSize(code: number): number {
  return LAYOUTS[code]!.size;
}

/** Alignment in bytes of a type as a struct member, as C's alignof. */
export function alignof(type: FieldType): number {
  const checked = checkField(type, 't.alignof: the type');
  return isType(checked) ? scalarLayout(checked).align : checked.align;
}

/** Byte offset of a field, as C's offsetof. */
export function offsetof<F extends Fields>(type: StructType<F>, field: keyof F & string): number {
  checkComposite(type, 't.offsetof: the type');
  if (type.kind !== 'struct') throw new TypeError(`t.offsetof: the type must be a struct; got ${type.name}`);
  if (typeof field !== 'string' || !Object.hasOwn(type.offsets, field)) {
    throw new TypeError(`t.offsetof: ${describe(field)} is not a field of ${type.name}`);
  }
  return type.offsets[field];
}

/** The codec of a struct or array type made here. */
export function codecOf(type: StructType | ArrayType): Codec {
  return codecs.get(type)!;
}

/** Whether `type` is a struct type made here. */
export function isStruct(type: unknown): type is StructType {
  return isComposite(type) && type.kind === 'struct';
}

/** The scalars of `value` as a value of `type`, checked for shape (missing, extra, wrong kind,
 * wrong length: errors that start with `what` and name the path). */
export function leavesOf(type: unknown, value: unknown, what: string): Leaves {
  const leaves: Leaves = { codes: [], offsets: [], values: [], paths: [] };
  checkComposite(type, `${what}: the type`).collect(value, 0, `${what}:`, leaves);
  return leaves;
}
