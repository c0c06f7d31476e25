// Values and shapes for struct tests: a deterministic value of any struct or array type, the
// value as bare-fn reads it back, and random struct shapes (nested, arrays, packed).
import { type FieldType, memory, type StructType, t } from '../../src/index.js';

/** A deterministic value for every field of a type, different per seed. */
export function sample(type: FieldType, seed: number): unknown {
  if ('kind' in type) {
    if (type.kind === 'array') return Array.from({ length: type.length }, (_, i) => sample(type.element, seed * 31 + i));
    if (type.union) {
      // One field, by seed: a union is written from one.
      const [name, field] = Object.entries(type.fields)[seed % Object.keys(type.fields).length]!;
      return { [name]: sample(field, seed * 13) };
    }
    return Object.fromEntries(Object.entries(type.fields).map(([name, field], i) => [name, sample(field, seed * 17 + i)]));
  }
  const n = (seed * 2654435761) >>> 0;
  switch (type.name) {
    case 'bool': return n % 2 === 0;
    case 'i8': return (n % 256) - 128;
    case 'u8': return n % 256;
    case 'i16': return (n % 65536) - 32768;
    case 'u16': return n % 65536;
    case 'i32': return n | 0;
    case 'u32': return n;
    case 'f32': return Math.fround(n / 7 - 1e5);
    case 'f64': return n / 3 - 1e9;
    case 'i64': case 'isize': return BigInt.asIntN(type.name === 'isize' && t.sizeof(t.isize) === 4 ? 32 : 64, BigInt(n) * -0x1_0000_0001n);
    case 'u64': return BigInt(n) * 0x1_0000_0001n;
    case 'usize': case 'pointer': return BigInt.asUintN(t.sizeof(t.usize) * 8, BigInt(n) * 0x1_0000_0001n);
    default: return null; // cstring: not writable (its reading has a test of its own)
  }
}

/** What reading `value` back as `type` gives, in plain form: the value itself for a struct, every
 * field for a union (the same bytes read as each). */
export function readBack(type: StructType, value: unknown): unknown {
  using block = memory.alloc(type);
  memory.write(type, block.address, value as never);
  return plain(memory.read(type, block.address));
}

/** The value as read back: typed arrays for numeric arrays. */
export function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}


/** Every scalar a struct field written from JS may have (cstring is read-only). */
export const SCALARS: readonly FieldType[] = [t.bool, t.i8, t.u8, t.i16, t.u16, t.i32, t.u32, t.i64, t.u64, t.isize, t.usize, t.f32, t.f64, t.pointer];

/** A deterministic source of integers below n. */
export function seeded(seed: number): (n: number) => number {
  let state = seed;
  return (n) => ((state = (state * 1103515245 + 12345) >>> 0) >>> 8) % n;
}

/** A random struct of fields of `scalars`, nested structs and arrays (two levels), maybe packed. */
export function randomStruct(next: (n: number) => number, scalars: readonly FieldType[], depth = 0): StructType {
  const fields = Object.fromEntries(Array.from({ length: 1 + next(6) }, (_, i) => [`f${i}`, randomField(next, scalars, depth)]));
  const pack = [undefined, undefined, 1, 2, 4][next(5)];
  return t.struct(fields, pack === undefined ? undefined : { pack: pack as 1 });
}

function randomField(next: (n: number) => number, scalars: readonly FieldType[], depth: number): FieldType {
  const pick = next(10);
  if (depth < 2 && pick === 0) return randomStruct(next, scalars, depth + 1);
  if (depth < 2 && pick === 1) return t.array(randomField(next, scalars, depth + 1), 1 + next(4));
  return scalars[next(scalars.length)]!;
}
