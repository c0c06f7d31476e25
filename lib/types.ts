// The scalar types (`t`), the JS types their values take, and argument checks shared by the API.
/** Names of the scalar types, in the order of their native codes (crates/core Type::ALL). */
const TYPE_NAMES = [
  'void',
  'bool',
  'i8',
  'u8',
  'i16',
  'u16',
  'i32',
  'u32',
  'i64',
  'u64',
  'isize',
  'usize',
  'f32',
  'f64',
  'pointer',
  'cstring',
] as const;

export type TypeName = (typeof TYPE_NAMES)[number];

/** A scalar C type. Use the members of `t`; other objects are rejected. */
export interface Type<N extends TypeName = TypeName> {
  readonly name: N;
  /** @internal native type code */
  readonly code: number;
}

type NumberTypes = 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'f32' | 'f64';
type BigIntTypes = 'i64' | 'u64' | 'isize' | 'usize' | 'pointer';

/** The JS type a native value of type N arrives as. */
export type JsValue<N extends TypeName> = N extends 'void'
  ? undefined
  : N extends 'bool'
    ? boolean
    : N extends NumberTypes
      ? number
      : N extends BigIntTypes
        ? bigint
        : N extends 'cstring'
          ? string | null
          : never;

/** The JS types accepted for a native value of type N (64-bit types also take safe integers). */
export type JsInput<N extends TypeName> = N extends BigIntTypes ? bigint | number : JsValue<N>;

/** The members of `t` by code: a type is valid when it is the member its code names, which checks
 * identity with one indexed load (memory.read runs this per call). */
const byCode: Type[] = [];
function makeType<N extends TypeName>(name: N): Type<N> {
  const type = Object.freeze({ name, code: TYPE_NAMES.indexOf(name) });
  byCode[type.code] = type;
  return type;
}

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
  cstring: makeType('cstring'),
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
  return typeof code === 'number' && byCode[code] === value;
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
