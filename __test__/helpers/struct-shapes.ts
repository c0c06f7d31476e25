// The struct shapes whose layout is checked against gcc (crates/testlib/c/layouts.c) and which
// C passes and returns by value (crates/testlib/c/by_value.c), both generated from this file by
// scripts/gen-layouts.ts: every shape that changes classification or layout, random shapes (the
// property test: a fixed seed, so the C and the tests agree), and the system structs of
// examples/stat.ts. Order matters: it is the order of the C tables.
import { t, type StructType } from '../../src/index.js';
import { FTW, StatArm64, StatX64 } from '../../examples/stat.js';

import { randomStruct, SCALARS, seeded } from './struct-values.js';

const Point = t.struct({ x: t.f64, y: t.f64 });
const Odd = t.struct({ a: t.u8, b: t.u16 });

/** Random struct shapes (nested, arrays, packs) of at most 256 bytes. */
function randomShapes(count: number): Record<string, StructType> {
  const next = seeded(20261130);
  const shapes: Record<string, StructType> = {};
  while (Object.keys(shapes).length < count) {
    const shape = randomStruct(next, SCALARS);
    if (shape.size <= 256) shapes[`random${Object.keys(shapes).length}`] = shape;
  }
  return shapes;
}

/** Structs declared in the generated C from their bare-fn definition. */
export const SHAPES: Record<string, StructType> = {
  i32: t.struct({ a: t.i32 }),
  i64x2: t.struct({ a: t.i64, b: t.i64 }),
  f64x2: Point,
  f32x4: t.struct({ a: t.f32, b: t.f32, c: t.f32, d: t.f32 }),
  f32_i32: t.struct({ a: t.f32, b: t.i32 }),
  i8_f64: t.struct({ a: t.i8, b: t.f64 }),
  f64x3: t.struct({ a: t.f64, b: t.f64, c: t.f64 }),
  bytes1: t.struct({ a: t.u8 }),
  bytes3: t.struct({ a: t.u8, b: t.u8, c: t.u8 }),
  bytes5: t.struct({ a: t.array(t.u8, 5) }),
  bytes7: t.struct({ a: t.u8, b: t.u16, c: t.array(t.u8, 4) }),
  odd: Odd,
  rect: t.struct({ origin: Point, size: Point }),
  nested_odd: t.struct({ a: t.u8, inner: Odd, b: t.f32, c: t.bool }),
  name: t.struct({ len: t.u8, text: t.array(t.u8, 15) }),
  arrays: t.struct({ a: t.u8, b: t.array(t.array(t.u16, 3), 2), c: t.array(Point, 2), d: t.u8 }),
  scalars: t.struct({
    b: t.bool, i8: t.i8, u8: t.u8, i16: t.i16, u16: t.u16, i32: t.i32, u32: t.u32, i64: t.i64,
    u64: t.u64, isize: t.isize, usize: t.usize, f32: t.f32, f64: t.f64, p: t.pointer, s: t.cstring,
  }),
  packed1: t.struct({ a: t.u8, b: t.u32 }, { pack: 1 }),
  packed2: t.struct({ a: t.u8, b: t.u32, c: t.u8 }, { pack: 2 }),
  packed4: t.struct({ a: t.u8, b: t.f64, c: t.u16 }, { pack: 4 }),
  packed_outer: t.struct({ a: t.u8, inner: Odd, b: t.f64 }, { pack: 1 }),
  // Unions: each classified by its overlapping members (System V merges classes per eightbyte,
  // AAPCS64 takes floats of one type as an HFA of the union's size, Win64 and x86 go by size).
  union_i32_f32: t.union({ i: t.i32, f: t.f32 }),
  union_f64_i64: t.union({ d: t.f64, l: t.i64 }),
  union_floats: t.union({ one: t.f32, three: t.array(t.f32, 3), pair: t.struct({ x: t.f32, y: t.f32 }) }),
  union_doubles: t.union({ d: t.f64, pair: Point }),
  union_bytes12: t.union({ d: t.f64, bytes: t.array(t.u8, 12) }),
  union_odd: t.union({ odd: Odd, bytes: t.array(t.u8, 3) }),
  union_big: t.union({ a: t.array(t.f64, 3), b: t.u8 }),
  union_packed: t.union({ a: t.u8, b: t.f64 }, { pack: 2 }),
  struct_with_union: t.struct({ tag: t.u8, value: t.union({ i: t.i32, f: t.f32 }), after: t.u16 }),
  ...randomShapes(32),
};

/** System structs of Linux, per architecture (as process.arch names it): the C name, its header,
 * and its bare-fn definition. */
export const SYSTEM: Record<'x64' | 'arm64', Record<string, { c: string; header: string; type: StructType }>> = {
  x64: {
    stat: { c: 'struct stat', header: 'sys/stat.h', type: StatX64 },
    FTW: { c: 'struct FTW', header: 'ftw.h', type: FTW },
  },
  arm64: {
    stat: { c: 'struct stat', header: 'sys/stat.h', type: StatArm64 },
    FTW: { c: 'struct FTW', header: 'ftw.h', type: FTW },
  },
};

/** The numbers the C table holds for a struct, in its order: size, alignment, each field's offset. */
export function layoutRow(type: StructType): number[] {
  return [type.size, type.align, ...Object.values(type.offsets)];
}
