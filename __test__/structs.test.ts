// Structs and arrays in memory: layout equal to gcc's (generated C in testlib), exact reads and
// writes checked through scalar reads at gcc's offsets and through koffi, errors naming the
// field path, native blocks, bulk bytes, and the nftw example against node:fs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import test from 'ava';
import koffi from 'koffi';

import { Library, memory, sig, t, type FieldType, type StructType } from '../src/index.js';

import { testlibC } from './helpers/by-value-c.js';
import { libcPath, platformName } from './helpers/platform.js';
import { layoutRow, SHAPES, SYSTEM } from './helpers/struct-shapes.js';
import { plain, randomStruct, sample, SCALARS, seeded } from './helpers/struct-values.js';
import { lib } from './helpers/testlib.js';

const root = path.join(__dirname, '..');

/** A table of u32s exported by testlib (`tl_*_layout_table(&len)`). */
function cTable(name: string): number[] {
  const len = new BigUint64Array(1);
  const at = lib.fn(name, sig(t.pointer, [t.pointer]))(memory.addressOf(len));
  const count = Number(len[0]);
  return count === 0 ? [] : Array.from(new Uint32Array(memory.readBytes(at, count * 4).buffer));
}

test('crates/testlib/c (shapes.h, layouts.c, by_value.c) is generated from the current shapes (npm run gen:layouts)', (tt) => {
  for (const [name, text] of Object.entries(testlibC())) {
    tt.is(readFileSync(path.join(root, 'crates', 'testlib', 'c', name), 'utf8'), text, name);
  }
});

test('sizeof, alignof and every offsetof equal gcc\'s for every test shape', (tt) => {
  const expected = Object.values(SHAPES).flatMap(layoutRow);
  tt.deepEqual(cTable('tl_shape_layout_table'), expected);
  tt.true(expected.length > 80);
  // The accessors say the same as the type.
  for (const shape of Object.values(SHAPES)) {
    tt.deepEqual([t.sizeof(shape), t.alignof(shape), ...Object.keys(shape.fields).map((f) => t.offsetof(shape, f))], layoutRow(shape));
  }
});

test('struct stat and struct FTW of examples/stat.ts equal the C library\'s on this platform', (tt) => {
  const arch = process.arch as keyof typeof SYSTEM;
  // glibc's (examples/stat.ts): musl's differ in field names (and nftw's constants).
  const here = platformName.endsWith('-gnu') ? SYSTEM[arch] : undefined;
  const table = cTable('tl_system_layout_table');
  if (here === undefined) {
    tt.deepEqual(table, [], 'no system structs declared for this platform');
    return;
  }
  tt.deepEqual(table, Object.values(here).flatMap(({ type }) => layoutRow(type)));
});

test('scalar sizes and alignments as C sees them', (tt) => {
  const pointer = process.arch === 'ia32' ? 4 : 8;
  tt.deepEqual([t.sizeof(t.bool), t.sizeof(t.i16), t.sizeof(t.f32), t.sizeof(t.f64), t.sizeof(t.pointer), t.sizeof(t.usize)], [1, 2, 4, 8, pointer, pointer]);
  tt.is(t.alignof(t.u16), 2);
  tt.is(t.sizeof(t.array(t.u16, 7)), 14);
  tt.is(t.alignof(t.array(t.u16, 7)), 2);
});

const writable = Object.entries(SHAPES).filter(([name]) => name !== 'scalars');

/** What of `read` (plain) a written `value` fixes: all of it, but of a union (nested too) only
 * the field written. */
function written(type: FieldType, read: unknown, value: unknown): unknown {
  if (!('kind' in type)) return read;
  if (type.kind === 'array') return (read as unknown[]).map((element, i) => written(type.element, element, (value as unknown[])[i]));
  const fields = type.union ? Object.keys(value as object) : Object.keys(type.fields);
  return Object.fromEntries(fields.map((key) => [key, written(type.fields[key]!, (read as Record<string, unknown>)[key], (value as Record<string, unknown>)[key])]));
}

test('every shape written and read back exactly, native block and JS-owned memory alike', (tt) => {
  for (const [name, shape] of writable) {
    for (const seed of [1, 2, 3]) {
      const value = sample(shape, seed);
      using block = memory.alloc(shape);
      memory.write(shape, block.address, value as never);
      tt.deepEqual(written(shape, plain(memory.read(shape, block.address)), value), value, `${name} native`);
      const bytes = new Uint8Array(shape.size + 8);
      const at = memory.addressOf(bytes) + 8n; // cached region: read in JS
      memory.write(shape, at, value as never);
      tt.deepEqual(written(shape, plain(memory.read(shape, at)), value), value, `${name} cached`);
      tt.deepEqual(plain(memory.read(shape, at)), plain(memory.read(shape, block.address)), `${name} read alike`);
      tt.deepEqual(memory.readBytes(block.address, shape.size), bytes.subarray(8), `${name} same bytes`);
    }
  }
});

test('fields land at gcc\'s offsets: each read back as a scalar at the offset the C table gives', (tt) => {
  const table = cTable('tl_shape_layout_table');
  let row = 0;
  for (const [name, shape] of Object.entries(SHAPES)) {
    const offsets = table.slice(row + 2, row + 2 + Object.keys(shape.fields).length);
    row += 2 + offsets.length;
    if (name === 'scalars') continue;
    const value = sample(shape, 5) as Record<string, unknown>;
    using block = memory.alloc(shape);
    memory.write(shape, block.address, value as never);
    Object.entries(shape.fields).forEach(([field, type], i) => {
      if ('kind' in type) return; // composite fields: covered by their own shapes
      if (!Object.hasOwn(value, field)) return; // a union's fields but the one written
      // Through an aligned copy of the field's bytes: packed fields are misaligned for memory.read.
      const aligned = new Uint8Array(8);
      aligned.set(memory.readBytes(block.address, t.sizeof(type), offsets[i]));
      tt.is(memory.read(type as never, memory.addressOf(aligned)), value[field] as never, `${name}.${field}`);
    });
  }
});

test('a union: every field read from the same bytes, one written (the rest zero), as koffi reads it', (tt) => {
  const Value = t.union({ i: t.i32, f: t.f32, bytes: t.array(t.u8, 6) });
  tt.deepEqual([Value.size, Value.align, Value.name], [8, 4, 'union { i: i32, f: f32, bytes: [u8; 6] }']);
  using block = memory.alloc(Value);
  memory.writeBytes(block.address, new Uint8Array(8).fill(0xff));
  memory.write(Value, block.address, { f: 1.5 });
  tt.deepEqual(plain(memory.read(Value, block.address)), { i: 0x3fc00000, f: 1.5, bytes: [0, 0, 0xc0, 0x3f, 0, 0] });
  tt.deepEqual([...memory.readBytes(block.address, 8)], [0, 0, 0xc0, 0x3f, 0, 0, 0, 0], 'the bytes the field does not cover are zero');
  const kValue = koffi.union({ i: 'int32_t', f: 'float', bytes: koffi.array('uint8_t', 6, 'Array') });
  tt.is(koffi.sizeof(kValue), Value.size);
  // koffi's union value reads its members on access.
  const decoded = koffi.decode(block.address, kValue) as { i: number; f: number; bytes: number[] };
  tt.deepEqual({ i: decoded.i, f: decoded.f, bytes: decoded.bytes }, { i: 0x3fc00000, f: 1.5, bytes: [0, 0, 0xc0, 0x3f, 0, 0] });
  const fails = (value: unknown, message: string) => tt.throws(() => memory.write(Value, block.address, value as never), { instanceOf: TypeError, message });
  fails({ i: 1, f: 2 }, 'memory.write: a value of union { i: i32, f: f32, bytes: [u8; 6] } sets exactly one field; got i, f');
  fails({}, 'memory.write: a value of union { i: i32, f: f32, bytes: [u8; 6] } sets exactly one field; got none');
  fails({ x: 1 }, 'memory.write: field x is not a field of union { i: i32, f: f32, bytes: [u8; 6] }');
  fails(7, 'memory.write: expected an object with one field of union { i: i32, f: f32, bytes: [u8; 6] }; got 7');
  tt.throws(() => t.union({ n: t.i32, s: t.struct({ text: t.cstring16 }) }), { instanceOf: TypeError, message: /^t\.union: field "s" is or holds a string/ });
  tt.throws(() => t.union({}), { instanceOf: TypeError, message: 't.union: a union needs at least one field' });
  tt.throws(() => t.union({ a: t.u8 }, { pack: 3 as never }), { instanceOf: RangeError, message: 't.union: options.pack must be one of 1, 2, 4, 8, 16; got 3' });
});

test('koffi decodes what memory.write stored, struct for struct', (tt) => {
  const kPoint = koffi.struct({ x: 'double', y: 'double' });
  const kOdd = koffi.struct({ a: 'uint8_t', b: 'uint16_t' });
  const cases: [StructType, ReturnType<typeof koffi.struct>][] = [
    [SHAPES.rect!, koffi.struct({ origin: kPoint, size: kPoint })],
    [SHAPES.nested_odd!, koffi.struct({ a: 'uint8_t', inner: kOdd, b: 'float', c: 'bool' })],
    [SHAPES.name!, koffi.struct({ len: 'uint8_t', text: koffi.array('uint8_t', 15, 'Array') })],
    [SHAPES.packed1!, koffi.pack({ a: 'uint8_t', b: 'uint32_t' })],
    [SHAPES.i8_f64!, koffi.struct({ a: 'int8_t', b: 'double' })],
  ];
  for (const [shape, kType] of cases) {
    tt.is(koffi.sizeof(kType), shape.size);
    const value = sample(shape, 9);
    using block = memory.alloc(shape);
    memory.write(shape, block.address, value as never);
    tt.deepEqual(koffi.decode(block.address, kType), value, shape.name);
  }
});

test('random shapes: written, copied by libc memcpy, read back exactly', (tt) => {
  const libc = Library.open(libcPath);
  const memcpy = libc.fn('memcpy', sig(t.pointer, [t.pointer, t.pointer, t.usize]));
  const next = seeded(12345);
  for (let i = 0; i < 200; i++) {
    const shape = randomStruct(next, SCALARS);
    const value = sample(shape, i);
    using from = memory.alloc(shape);
    using to = memory.alloc(shape);
    memory.write(shape, from.address, value as never);
    memcpy(to.address, from.address, BigInt(shape.size));
    tt.deepEqual(plain(memory.read(shape, to.address)), value, shape.descriptor);
  }
  libc.close();
});

test('a cstring field is read as the string its pointer addresses, or null', (tt) => {
  const Named = t.struct({ id: t.u32, name: t.cstring });
  const Stored = t.struct({ id: t.u32, name: t.pointer }); // the same layout, writable
  const text = Buffer.from('héllo\0');
  using block = memory.alloc(Named);
  memory.write(Stored, block.address, { id: 7, name: memory.addressOf(text) });
  tt.deepEqual(memory.read(Named, block.address), { id: 7, name: 'héllo' });
  memory.write(Stored, block.address, { id: 8, name: 0n });
  tt.deepEqual(memory.read(Named, block.address), { id: 8, name: null });
  tt.deepEqual(memory.read(t.array(Named, 1), block.address), [{ id: 8, name: null }]);
});

test('bad values are errors naming the field path, and nothing is written', (tt) => {
  const Rect = SHAPES.rect!;
  const Name = SHAPES.name!;
  using block = memory.alloc(Rect);
  const good = { origin: { x: 1, y: 2 }, size: { x: 3, y: 4 } };
  memory.write(Rect, block.address, good);
  const rejects = (value: unknown, error: { instanceOf: typeof TypeError | typeof RangeError; message: string | RegExp }) => {
    tt.throws(() => memory.write(Rect, block.address, value as never), error);
    tt.deepEqual(memory.read(Rect, block.address), good, 'unchanged');
  };
  const R = 'struct { origin: struct { x: f64, y: f64 }, size: struct { x: f64, y: f64 } }';
  rejects({ origin: { x: 1 }, size: { x: 1, y: 2 } }, { instanceOf: TypeError, message: 'memory.write: field origin.y is missing (struct { x: f64, y: f64 })' });
  rejects({ origin: { x: 1, y: 2, z: 3 }, size: { x: 1, y: 2 } }, { instanceOf: TypeError, message: 'memory.write: field origin.z is not a field of struct { x: f64, y: f64 }' });
  rejects({ origin: { x: 9, y: 9 }, size: { x: 1, y: 'big' } }, { instanceOf: TypeError, message: /^memory.write: field size.y: expected a number/ });
  rejects({ origin: 5, size: { x: 1, y: 2 } }, { instanceOf: TypeError, message: 'memory.write: field origin: expected an object for struct { x: f64, y: f64 }; got 5' });
  rejects(null, { instanceOf: TypeError, message: `memory.write: expected an object for ${R.slice(0, 59)}…; got null` });
  using name = memory.alloc(Name);
  tt.throws(() => memory.write(Name, name.address, { len: 300, text: new Uint8Array(15) }), { instanceOf: RangeError, message: 'memory.write: field len: 300 does not fit u8' });
  tt.throws(() => memory.write(Name, name.address, { len: 1, text: [1, 2, 256, ...Array(12).fill(0)] }), { instanceOf: RangeError, message: 'memory.write: field text[2]: 256 does not fit u8' });
  tt.throws(() => memory.write(Name, name.address, { len: 1, text: [1] }), { instanceOf: RangeError, message: 'memory.write: field text: expected 15 elements for [u8; 15]; got 1' });
  tt.throws(() => memory.write(t.struct({ s: t.cstring }), name.address, { s: 'x' } as never), { instanceOf: TypeError, message: /^memory.write: field s is a cstring: cannot write one/ });
  tt.throws(() => memory.read(Rect, block.address + 4n), { instanceOf: RangeError, message: /^memory.read: address 0x[0-9a-f]+ is not aligned to 8 bytes for struct \{ origin/ });
  tt.throws(() => memory.read(Rect, 0n), { instanceOf: RangeError, message: 'memory.read: address is NULL' });
  // Errors of the native copy name the call made, not the copy.
  tt.throws(() => memory.read(Rect, 'x' as never), { instanceOf: TypeError, message: /^memory.read: address: / });
  tt.throws(() => memory.write(Rect, 2n ** 64n + 8n, good), { instanceOf: RangeError, message: /^memory.write: address: / });
  tt.deepEqual(memory.read(Name, name.address), { len: 0, text: new Uint8Array(15) }, 'a block starts zero-filled');
});

test('bad struct and array types are errors naming the field', (tt) => {
  tt.throws(() => t.struct({}), { instanceOf: TypeError, message: 't.struct: a struct needs at least one field' });
  tt.throws(() => t.struct({ a: t.void } as never), { instanceOf: TypeError, message: 't.struct: field "a" is void; a field cannot be void' });
  tt.throws(() => t.struct({ a: { name: 'i32', code: 6 } } as never), { instanceOf: TypeError, message: 't.struct: field "a" must be a type of t (a scalar, t.struct(…) or t.array(…)); got an object' });
  tt.throws(() => t.struct([t.i32] as never), { instanceOf: TypeError, message: /^t.struct: the fields must be an object/ });
  tt.throws(() => t.struct({ a: t.u8 }, { pack: 3 as never }), { instanceOf: RangeError, message: 't.struct: options.pack must be one of 1, 2, 4, 8, 16; got 3' });
  tt.throws(() => t.struct({ a: t.u8 }, { packed: 1 } as never), { instanceOf: TypeError, message: 't.struct: unknown option "packed"; the options are pack' });
  for (const length of [0, -1, 1.5, 2 ** 31, Infinity]) {
    tt.throws(() => t.array(t.u8, length), { instanceOf: RangeError, message: `t.array: the length must be an integer from 1 to 2147483647; got ${length}` });
  }
  tt.throws(() => t.array(t.u8, '3' as never), { instanceOf: TypeError, message: 't.array: the length must be a number; got "3"' });
  tt.throws(() => t.array(t.f64, 2 ** 30), { instanceOf: RangeError, message: 't.array: a struct or array is at most 2147483647 bytes' });
  tt.throws(() => t.offsetof(SHAPES.rect!, 'z' as never), { instanceOf: TypeError, message: /^t.offsetof: "z" is not a field of struct/ });
});

test('memory.alloc: zero-filled, typed or sized, freed once; the address is an error after dispose', (tt) => {
  const block = memory.alloc(64);
  tt.is(block.size, 64);
  tt.is(block.type, undefined);
  tt.deepEqual(memory.readBytes(block.address, 64), new Uint8Array(64));
  block.dispose();
  block.dispose();
  tt.true(block.disposed);
  tt.throws(() => block.address, { instanceOf: TypeError, message: 'memory.alloc block of 64 bytes: address read after dispose' });
  using typed = memory.alloc(SHAPES.f64x3 as StructType);
  tt.is(typed.size, 24);
  tt.is(typed.type, SHAPES.f64x3!);
  tt.throws(() => memory.alloc(0), { instanceOf: RangeError, message: 'memory.alloc: the size must be an integer from 1 to 2147483647; got 0' });
  tt.throws(() => memory.alloc(-1), { instanceOf: RangeError, message: 'memory.alloc: the size must be an integer from 1 to 2147483647; got -1' });
  tt.throws(() => memory.alloc(t.void as never), { instanceOf: TypeError, message: 'memory.alloc: the type is void; a field cannot be void' });
});

test('a block garbage-collected without dispose is reported, like a leaked BareFn', (tt) => {
  const script = `
    const { memory } = require(${JSON.stringify(path.join(root, 'build', 'index.js'))});
    process.on('warning', (w) => console.log(w.name + ': ' + w.message));
    (() => { memory.alloc(48); })();
    // Collected at some gc; the warning comes from the registry's callback after it.
    let rounds = 0;
    const collect = () => { globalThis.gc(); if (++rounds < 20) setTimeout(collect, 20); };
    process.on('warning', () => { rounds = 20; });
    setTimeout(collect, 10);`;
  const out = execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
  tt.regex(out, /^BareFnLeakWarning: memory.alloc: a block of 48 bytes at 0x[0-9a-f]+ was garbage-collected without dispose; its memory stays allocated, since native code may still use it\n$/);
});

test('readBytes and writeBytes copy exactly and check their arguments', (tt) => {
  using block = memory.alloc(16);
  memory.writeBytes(block.address, new Uint8Array([1, 2, 3, 4]), 6);
  memory.writeBytes(block.address, new Uint16Array([0xbeef]).buffer);
  tt.deepEqual(memory.readBytes(block.address, 12), new Uint8Array([0xef, 0xbe, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0]));
  tt.deepEqual(memory.readBytes(block.address, 2, 7), new Uint8Array([2, 3]));
  tt.deepEqual(memory.readBytes(block.address, 0), new Uint8Array(0));
  tt.throws(() => memory.readBytes(0n, 4), { instanceOf: RangeError, message: 'memory.readBytes: address is NULL' });
  tt.throws(() => memory.readBytes(block.address, -1), { instanceOf: RangeError, message: 'memory.readBytes: the length must be an integer from 0 to 2147483647; got -1' });
  // A faked byteLength does not make native code read past the bytes: their real size is copied.
  const small = Uint8Array.from([9, 9, 9, 9]);
  Object.defineProperty(small, 'byteLength', { value: 64 });
  memory.writeBytes(block.address, small);
  tt.deepEqual(memory.readBytes(block.address, 6), new Uint8Array([9, 9, 9, 9, 0, 0]));
  tt.throws(() => memory.writeBytes(block.address, [1, 2] as never), { instanceOf: TypeError, message: 'memory.writeBytes: the bytes must be a TypedArray, Buffer, DataView or ArrayBuffer; got an object' });
});

// nftw and the struct stat of examples/stat.ts are Linux's: the test exists there only.
const linuxOnly = process.platform === 'linux' ? test : undefined;
linuxOnly?.('examples/nftw.ts walks a tree and reads each file\'s struct stat as node:fs does', (tt) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bare-fn-nftw-'));
  try {
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'a.txt'), 'hello\n');
    writeFileSync(path.join(dir, 'sub', 'b.bin'), Buffer.alloc(70000, 1));
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'examples', 'nftw.ts'), dir], { encoding: 'utf8' });
    tt.is(result.stderr, '');
    const lines = result.stdout.trim().split('\n');
    for (const file of ['a.txt', path.join('sub', 'b.bin')]) {
      const full = path.join(dir, file);
      const { size, mode } = statSync(full);
      const depth = file.split(path.sep).length;
      tt.true(lines.includes(`${'  '.repeat(depth)}${full} ${size} bytes mode ${(mode & 0o7777).toString(8)}`), file);
    }
    tt.is(lines.at(-1), '2 files, 70006 bytes');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a getter of a written value that reads or writes memory itself does not corrupt the write', (tt) => {
  const P = t.struct({ x: t.i32, y: t.i32 });
  using a = memory.alloc(P);
  using b = memory.alloc(P);
  memory.write(P, b.address, { x: 77, y: 88 });
  memory.write(P, a.address, {
    x: 1,
    get y() {
      memory.read(P, b.address);
      memory.write(P, b.address, { x: 5, y: 6 });
      return 2;
    },
  });
  tt.deepEqual(memory.read(P, a.address), { x: 1, y: 2 });
  tt.deepEqual(memory.read(P, b.address), { x: 5, y: 6 });
});
