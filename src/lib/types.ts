// The scalar types (`t`), the JS types their values take, and argument checks shared by the API.
import { binding } from './native.js';

/** The scalar types by name, with the JS type their values take: `TypeName`, `JsValue` and
 * `JsInput` derive from it, and the addon's table (`SCALARS`), which says all else about each type
 * (code, size, alignment), must agree with it. */
const JS_TYPES = {
  void: 'undefined',
  bool: 'boolean',
  i8: 'number',
  u8: 'number',
  i16: 'number',
  u16: 'number',
  i32: 'number',
  u32: 'number',
  i64: 'bigint',
  u64: 'bigint',
  isize: 'bigint',
  usize: 'bigint',
  f32: 'number',
  f64: 'number',
  pointer: 'bigint',
  cstring: 'string',
  cstring16: 'string',
  cstring32: 'string',
} as const;

export type TypeName = keyof typeof JS_TYPES;
const TYPE_NAMES = Object.keys(JS_TYPES) as TypeName[];

/** One scalar type as the addon describes it (crates/napi scalar_types.rs). */
export interface Scalar {
  readonly name: TypeName;
  /** The native type code. */
  readonly code: number;
  /** Bytes on this platform (void: 0). */
  readonly size: number;
  /** Alignment as a struct member on this platform. */
  readonly align: number;
  readonly js: 'undefined' | 'boolean' | 'number' | 'bigint' | 'string';
  readonly signed: boolean;
  /** Arguments of BareFns of this type come through the argument buffer (arg-buffer.ts). */
  readonly viaArgBuffer: boolean;
  /** The typed array whose elements are its values on every platform, if one is. */
  readonly typedArray?: string | null;
}

/** The addon's table of scalar types, by name; the one source of what each type is. */
export const SCALARS: Readonly<Record<TypeName, Scalar>> = (() => {
  const records = binding.scalarTypes() as Scalar[];
  const described = (list: readonly { readonly name: string; readonly js: string }[]) =>
    list.map(({ name, js }) => `${name}: ${js}`).sort().join(', ');
  const ours = described(TYPE_NAMES.map((name) => ({ name, js: JS_TYPES[name] })));
  if (described(records) !== ours) {
    throw new Error(
      `bare-fn: the addon's scalar types (${described(records)}) are not this package's (${ours}): its native and JS files come from different builds`,
    );
  }
  return Object.freeze(Object.fromEntries(records.map((record) => [record.name, Object.freeze(record)]))) as Record<TypeName, Scalar>;
})();

/** `values`, one per type name, placed at each type's code: the tables fast paths index by code. */
export function byCode<V>(values: Readonly<Record<TypeName, V>>): readonly V[] {
  const table: V[] = new Array<V>(TYPE_NAMES.length);
  for (const name of TYPE_NAMES) table[SCALARS[name].code] = values[name];
  return table;
}

/** A scalar C type. Use the members of `t`; other objects are rejected. */
export interface Type<N extends TypeName = TypeName> {
  readonly name: N;
  /** @internal native type code */
  readonly code: number;
}

/** The type names whose values are the JS type `J`. */
type NamesOf<J> = { [N in TypeName]: (typeof JS_TYPES)[N] extends J ? N : never }[TypeName];
type NumberTypes = NamesOf<'number'>;
type BigIntTypes = NamesOf<'bigint'>;

/** The JS type a native value of type N arrives as. */
export type JsValue<N extends TypeName> = N extends NamesOf<'undefined'>
  ? undefined
  : N extends NamesOf<'boolean'>
    ? boolean
    : N extends NumberTypes
      ? number
      : N extends BigIntTypes
        ? bigint
        : N extends NamesOf<'string'>
          ? string | null
          : never;

/** The JS types accepted for a native value of type N (64-bit types also take safe integers). */
export type JsInput<N extends TypeName> = N extends BigIntTypes ? bigint | number : JsValue<N>;

/** The members of `t` by code: a type is valid when it is the member its code names, which checks
 * identity with one indexed load (memory.read runs this per call). */
const typeAt: Type[] = [];
function makeType<N extends TypeName>(name: N): Type<N> {
  const type = Object.freeze({ name, code: SCALARS[name].code });
  typeAt[type.code] = type;
  return type;
}

const cstring16 = makeType('cstring16');
const cstring32 = makeType('cstring32');

/** The scalar types of signatures and of `memory`. */
export const t = Object.freeze({
  void: makeType('void'),
  bool: makeType('bool'),
  i8: makeType('i8'),
  u8: makeType('u8'),
  i16: makeType('i16'),
  u16: makeType('u16'),
  i32: makeType('i32'),
  u32: makeType('u32'),
  i64: makeType('i64'),
  u64: makeType('u64'),
  isize: makeType('isize'),
  usize: makeType('usize'),
  f32: makeType('f32'),
  f64: makeType('f64'),
  pointer: makeType('pointer'),
  /** `const char *`: NUL-terminated UTF-8. */
  cstring: makeType('cstring'),
  /** `const char16_t *`: NUL-terminated UTF-16. */
  cstring16,
  /** `const char32_t *`: NUL-terminated UTF-32. */
  cstring32,
  /** `const wchar_t *`: `cstring16` on Windows, `cstring32` elsewhere (the same member). */
  wcstring: (process.platform === 'win32' ? cstring16 : cstring32) as Type<'cstring16' | 'cstring32'>,
});

/** Past this many characters a quoted string is cut, and past 2^128 a bigint is described by its
 * size: a message must stay small and quick to make whatever the value (a 2^(2^26) bigint took
 * 20 s to print in decimal). */
const QUOTED = 40;
const HUGE = 2n ** 128n;

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > QUOTED ? `${JSON.stringify(value.slice(0, QUOTED))}…` : JSON.stringify(value);
  if (typeof value === 'bigint') return value >= HUGE || value <= -HUGE ? 'a bigint beyond 2^128 in size' : `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/**
 * A reader of the options `known` of `what`: it checks that options (undefined: none given) are an
 * object whose own keys are all known (options passed as a string, `'blocking'`, or with a
 * misspelt key, `{ timeout: 50 }`, were silently ignored), and gives an object with every known
 * key as an own property: the option's own value, read once, or undefined. Nothing comes from
 * prototypes (`Object.prototype.pack = 1` packed every struct), a getter cannot give one value to
 * a check and another to its use, and reads of the result are fast (a null-prototype object is
 * a dictionary in V8: reading five options from one cost a tenth of a BareFn's creation).
 */
export function optionReader<O extends object>(known: readonly (keyof O & string)[], what: string): (options: O | undefined) => Partial<O> {
  const none = Object.freeze(Object.fromEntries(known.map((key) => [key, undefined]))) as Partial<O>;
  return (options) => {
    if (options === undefined) return none;
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new TypeError(`${what}: options must be an object like { ${known[0]}: … }; got ${describe(options)}`);
    }
    for (const key of Object.keys(options)) {
      if (!(known as readonly string[]).includes(key)) {
        throw new TypeError(`${what}: unknown option ${describe(key)}; the options are ${known.join(', ')}`);
      }
    }
    const read: Partial<O> = { ...none };
    for (const key of known) if (Object.hasOwn(options, key)) read[key] = options[key];
    return read;
  };
}

/** `object[key]` if it is an own property, else undefined (nothing from its prototypes). */
export function own<T>(object: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** Whether `value` is a member of `t` (not a look-alike object). */
export function isType(value: unknown): value is Type {
  const code = typeof value === 'object' && value !== null ? (value as Type).code : undefined;
  return typeof code === 'number' && typeAt[code] === value;
}

/** The string types (`cstring`, `cstring16`, `cstring32`): a pointer to NUL-terminated text,
 * read natively, never written into memory (the text would not outlive the call). */
export type TextName = NamesOf<'string'>;
export function isText(value: unknown): value is Type<TextName> {
  return isType(value) && SCALARS[value.name].js === 'string';
}

/** `value` if it is a member of `t`, else a TypeError naming `what`. */
export function checkType(value: unknown, what: string): Type {
  // Kept small (the message is built elsewhere) so that V8 inlines it into memory.read.
  if (!isType(value)) notAType(value, what);
  return value;
}

function notAType(value: unknown, what: string): never {
  throw new TypeError(`${what} must be one of t.void, t.i32, …; got ${describe(value)}`);
}
