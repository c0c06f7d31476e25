// Structs passed and returned by value, against C compiled by the platform's C compiler
// (crates/testlib/c/by_value.c, generated from struct-shapes.ts): every shape that changes how an
// ABI classifies a struct, alone, after six integers, and among eight doubles and more so that
// some arguments go on the stack, both ways (FnPtr calling C, C calling a BareFn); koffi as an
// independent FFI for random shapes; a BareFn called from other threads.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import test from 'ava';
import koffi from 'koffi';

import { BareFn, FnPtr, memory, sig, t, type FieldType, type StructType } from '../src/index.js';

import { byValue, records } from './helpers/by-value.js';
import { SHAPES } from './helpers/struct-shapes.js';
import { plain, randomStruct, readBack, sample, seeded } from './helpers/struct-values.js';
import { pointOnThread, runThreads } from './helpers/testlib.js';

/** Every shape but the one with a cstring field (a struct holding one cannot be written). */
const SHAPES_BY_VALUE = Object.entries(SHAPES).filter(([label]) => label !== 'scalars') as [keyof typeof SHAPES, StructType][];

const i32x6 = [t.i32, t.i32, t.i32, t.i32, t.i32, t.i32] as const;
const f64x8 = [t.f64, t.f64, t.f64, t.f64, t.f64, t.f64, t.f64, t.f64] as const;

/** What the C functions recorded of their other arguments. */
function recorded(ints: number, doubles: number): { ints: number[]; doubles: number[] } {
  const at = records();
  return {
    ints: Array.from({ length: ints }, (_, i) => memory.read(t.i32, at.ints, 4 * i)),
    doubles: Array.from({ length: doubles }, (_, i) => memory.read(t.f64, at.doubles, 8 * i)),
  };
}

for (const [label, S] of SHAPES_BY_VALUE) {
  const v = sample(S, 1) as never;
  const w = sample(S, 2) as never;
  // As read back: a union's every field (the same bytes read as each); a struct's value itself.
  const [V, W] = [readBack(S, v), readBack(S, w)];

  test(`${label} ${S.descriptor}: FnPtr -> C, alone, after six ints, among doubles and on the stack`, (tt) => {
    const fns = byValue(label);
    const echo = FnPtr.from(fns.echo, sig(S, [S]));
    tt.deepEqual(plain(echo(v)), V);
    tt.deepEqual(plain(echo(w)), W);

    const after6 = FnPtr.from(fns.after6, sig(S, [...i32x6, S, t.i32]));
    tt.deepEqual(plain(after6(1, -2, 3, -4, 5, -6, v, 7)), V);
    tt.deepEqual(recorded(7, 0).ints, [1, -2, 3, -4, 5, -6, 7]);

    const mixed = FnPtr.from(fns.mixed, sig(S, [...f64x8, t.i32, S, t.f64, S, t.i32]));
    tt.deepEqual(plain(mixed(0.25, 1.25, 2.25, 3.25, 4.25, 5.25, 6.25, 7.25, -3, v, 9.5, w, 4)), V);
    tt.deepEqual(recorded(2, 9), { ints: [-3, 4], doubles: [0.25, 1.25, 2.25, 3.25, 4.25, 5.25, 6.25, 7.25, 9.5] });
    tt.deepEqual(plain(memory.read(S, records().second)), W, 'the second struct, after the stack arguments');
  });

  test(`${label} ${S.descriptor}: C -> BareFn, alone, after six ints, among doubles and on the stack`, (tt) => {
    const fns = byValue(label);
    const seen: unknown[][] = [];
    using echo = new BareFn(sig(S, [S]), (s) => (seen.push([s]), v));
    const call = FnPtr.from(fns.call, sig(S, [t.pointer, S]));
    tt.deepEqual(plain(call(echo.address, v)), V);
    tt.deepEqual(plain(seen.pop()), [V]);

    using after6 = new BareFn(sig(S, [...i32x6, S, t.i32]), (...args) => (seen.push(args), w));
    const callAfter6 = FnPtr.from(fns.callAfter6, sig(S, [t.pointer, S]));
    tt.deepEqual(plain(callAfter6(after6.address, v)), W);
    tt.deepEqual(plain(seen.pop()), [-1, 2, -3, 4, -5, 6, V, -7]);

    using mixed = new BareFn(sig(S, [...f64x8, t.i32, S, t.f64, S, t.i32]), (...args) => (seen.push(args), w));
    const callMixed = FnPtr.from(fns.callMixed, sig(S, [t.pointer, S, S]));
    tt.deepEqual(plain(callMixed(mixed.address, v, w)), W);
    tt.deepEqual(plain(seen.pop()), [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, -11, V, 8.5, W, 12]);
  });
}

/** The f64x2 shape, declared here for TypeScript to infer its values. */
const Point = t.struct({ x: t.f64, y: t.f64 });

test('a BareFn returning a struct: a bad result, a throw and a fallback', (tt) => {
  const errors: Error[] = [];
  const call = FnPtr.from(byValue('f64x2').call, sig(Point, [t.pointer, Point]));
  const results: unknown[] = [{ x: 1 }, { x: 1, y: 2, z: 3 }, { x: 1, y: 'two' }, null];
  let next = 0;
  const kinds: string[] = [];
  using bad = new BareFn(sig(Point, [Point]), () => results[next++] as never, {
    onError: (e, info) => {
      errors.push(e as Error);
      kinds.push(info.kind);
    },
  });
  for (let i = 0; i < results.length; i++) tt.deepEqual(call(bad.address, { x: 5, y: 6 }), { x: 0, y: 0 }, 'zeros');
  tt.deepEqual(
    errors.map((e) => [e.constructor.name, e.message]),
    [
      ['TypeError', 'BareFn ({f64,f64}) -> {f64,f64} returned: field y is missing (struct { x: f64, y: f64 })'],
      ['TypeError', 'BareFn ({f64,f64}) -> {f64,f64} returned: field z is not a field of struct { x: f64, y: f64 }'],
      ['TypeError', 'BareFn ({f64,f64}) -> {f64,f64} returned: field y: expected a number (f64), got "two"'],
      ['TypeError', 'BareFn ({f64,f64}) -> {f64,f64} returned: expected an object for struct { x: f64, y: f64 }; got null'],
    ],
  );
  tt.deepEqual(kinds, ['bad-return', 'bad-return', 'bad-return', 'bad-return'], 'reported as a bad return, as for a scalar');
  using throws = new BareFn(
    sig(Point, [Point]),
    () => {
      throw new Error('no point');
    },
    { fallback: { x: -1, y: 0.5 }, onError: (e) => errors.push(e as Error) },
  );
  tt.deepEqual(call(throws.address, { x: 5, y: 6 }), { x: -1, y: 0.5 }, 'the fallback');
  tt.is(errors.at(-1)!.message, 'no point');
  // Without onError the error is rethrown from the FnPtr call, with C's result (the fallback).
  using rethrown = new BareFn(
    sig(Point, [Point]),
    () => {
      throw new RangeError('rethrown');
    },
    { fallback: { x: 2, y: 3 } },
  );
  const error = tt.throws(() => call(rethrown.address, { x: 5, y: 6 }), { instanceOf: RangeError, message: 'rethrown' });
  tt.deepEqual((error as RangeError & { returnValue: unknown }).returnValue, { x: 2, y: 3 });
  tt.throws(() => new BareFn(sig(Point, [Point]), (p) => p, { fallback: { x: 1 } as never }), {
    instanceOf: TypeError,
    message: 'new BareFn: options.fallback: field y is missing (struct { x: f64, y: f64 })',
  });
});

test('FnPtr struct arguments: bad values are errors naming the argument and field', (tt) => {
  const echo = FnPtr.from(byValue('rect').echo, sig(SHAPES.rect!, [SHAPES.rect!]));
  tt.throws(() => echo({ origin: { x: 1, y: 2 }, size: { x: 3 } } as never), {
    instanceOf: TypeError,
    message: 'FnPtr ({{f64,f64},{f64,f64}}) -> {{f64,f64},{f64,f64}}: argument 0: field size.y is missing (struct { x: f64, y: f64 })',
  });
  const bytes = FnPtr.from(byValue('bytes3').echo, sig(SHAPES.bytes3!, [SHAPES.bytes3!]));
  tt.throws(() => bytes({ a: 1, b: 256, c: 3 }), { instanceOf: RangeError, message: /argument 0: field b: 256 does not fit u8$/ });
  tt.throws(() => (echo as unknown as () => unknown)(), { instanceOf: TypeError, message: /takes 1 arguments, got 0/ });
});

test('signatures: structs count as one argument; arrays and oversized structs by value are refused', (tt) => {
  tt.notThrows(() => sig(Point, Array(16).fill(Point) as StructType[]));
  tt.throws(() => sig(t.void, Array(17).fill(Point) as StructType[]), { instanceOf: RangeError, message: 'sig: a signature takes at most 16 arguments, got 17' });
  tt.throws(() => sig(t.void, [t.array(t.u8, 4) as never]), {
    instanceOf: TypeError,
    message: 'sig: argument 0 is an array ([u8; 4]): C passes no array by value; wrap it in a t.struct, or pass a pointer',
  });
  const Big = t.struct({ a: t.array(t.u8, 4097) });
  tt.throws(() => sig(t.void, [Big]), { instanceOf: RangeError, message: 'sig: the struct arguments take 4097 bytes by value; at most 4096 are supported (pass a pointer instead)' });
  tt.throws(() => sig(Big, []), { instanceOf: RangeError, message: 'sig: the returned struct takes 4097 bytes by value; at most 4096 are supported (pass a pointer instead)' });
  tt.is(sig(Point, [t.i32, Point]).toString(), '(i32, {f64,f64}) -> {f64,f64}');
});

// Serial: while this test awaits its threads, concurrent tests of this file would hold the JS
// thread for seconds (under qemu), and the threads' calls time out.
test.serial('a blocking BareFn taking and returning a struct, called from four threads', async (tt) => {
  const seen = new Set<string>();
  using swap = new BareFn(
    sig(Point, [Point, t.i32]),
    (p, n) => {
      seen.add(`${p.x}`);
      return { x: p.y, y: p.x - n };
    },
    { threading: 'blocking', timeoutMs: 60_000 },
  );
  const result = await runThreads(swap.address, 4, 200, 'point');
  tt.deepEqual(result, { ...result, right: 800, fallback: 0, wrong: 0 });
  tt.deepEqual([...seen].sort(), ['0', '1', '2', '3'], 'each thread passed its own point');
  tt.deepEqual(pointOnThread(3, 4).ret, { x: 4.5, y: -1 });
});

/**
 * Whether koffi passes `type` as C compilers do: it packs structs to 1 only (koffi.pack), and
 * (koffi 2.x on x86-64 System V) passes a packed struct with a misaligned scalar in registers,
 * where gcc and clang pass it in memory, as bare-fn does (the packed shapes above, against gcc).
 */
function koffiCan(type: FieldType, at = 0): boolean {
  if (!('kind' in type)) return at % t.sizeof(type) === 0;
  if (type.kind === 'array') {
    const stride = type.size / type.length;
    return Array.from({ length: type.length }, (_, i) => koffiCan(type.element, at + i * stride)).every(Boolean);
  }
  const fields = Object.entries(type.fields);
  return (type.pack === undefined || type.pack === 1) && fields.every(([name, field]) => koffiCan(field, at + type.offsets[name]!));
}

/** koffi's type for a bare-fn struct type. */
function koffiType(type: FieldType): unknown {
  if (!('kind' in type)) return KOFFI_SCALARS[type.name]!;
  if (type.kind === 'array') return koffi.array(koffiType(type.element) as never, type.length, 'Array');
  const fields = Object.fromEntries(Object.entries(type.fields).map(([name, field]) => [name, koffiType(field)]));
  return type.pack === undefined ? koffi.struct(fields as never) : koffi.pack(fields as never);
}
const KOFFI_SCALARS: Record<string, string> = {
  i8: 'int8_t', u8: 'uint8_t', i16: 'int16_t', u16: 'uint16_t', i32: 'int32_t', u32: 'uint32_t', i64: 'int64_t', u64: 'uint64_t', f32: 'float', f64: 'double',
};

test('random shapes by value round-trip exactly through koffi callbacks (an independent FFI)', (tt) => {
  const next = seeded(2024);
  const scalars = [t.i8, t.u8, t.i16, t.u16, t.i32, t.u32, t.i64, t.u64, t.f32, t.f64];
  let checked = 0;
  for (let i = 0; checked < 60; i++) {
    const S = randomStruct(next, scalars);
    if (!koffiCan(S) || S.size > 512) continue;
    const K = koffiType(S);
    const proto = koffi.proto(`KBy${i}`, K as never, ['int32_t', K as never, 'double', K as never]);
    const received: unknown[] = [];
    const callback = koffi.register((n: number, a: unknown, d: number, b: unknown) => (received.push(n, d), n > 0 ? a : b), koffi.pointer(proto));
    try {
      const call = FnPtr.from(callback as bigint, sig(S, [t.i32, S, t.f64, S]));
      const [a, b] = [sample(S, i), sample(S, i + 1000)];
      tt.deepEqual(plain(call(1, a as never, 2.5, b as never)), plain(a), S.descriptor);
      tt.deepEqual(plain(call(-1, a as never, -0.5, b as never)), plain(b), S.descriptor);
      tt.deepEqual(received, [1, 2.5, -1, -0.5]);
    } finally {
      koffi.unregister(callback);
    }
    checked++;
  }
});

test('examples/div.ts: the C library\'s div, lldiv and inet_ntoa with structs by value', (tt) => {
  for (const [a, b] of [[17, 5], [-17, 5], [1000, -7]] as const) {
    const script = path.join(__dirname, '..', 'examples', 'div.ts');
    const result = spawnSync(process.execPath, ['--import', 'tsx', script, String(a), String(b)], { encoding: 'utf8' });
    tt.is(result.stderr, '');
    const wide = BigInt(a) * 10n ** 12n + 3n;
    const lines = [
      `div(${a}, ${b}) = ${Math.trunc(a / b)} rem ${a % b}`,
      `lldiv(${wide}, ${b}) = ${wide / BigInt(b)} rem ${wide % BigInt(b)}`,
      ...(process.platform === 'win32' ? [] : [`inet_ntoa = 192.168.${a & 255}.${b & 255}`]),
    ];
    tt.is(result.stdout, `${lines.join('\n')}\n`);
  }
});

test('where code generation is forbidden (a CSP without unsafe-eval), structs go through loops alike', (tt) => {
  const script = path.join(__dirname, 'helpers', 'no-eval.ts');
  const result = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--import', 'tsx', script], { encoding: 'utf8' });
  tt.is(result.stderr, '');
  const rect = { origin: { x: 1, y: 2 }, size: { x: 3, y: 4 } };
  tt.deepEqual(JSON.parse(result.stdout), {
    evalRefused: true,
    echoed: rect,
    swapped: { origin: rect.size, size: rect.origin },
    read: rect,
    refused: 'FnPtr ({{f64,f64},{f64,f64}}) -> {{f64,f64},{f64,f64}}: argument 0: field origin.y is missing (struct { x: f64, y: f64 })',
  });
});

test('a getter of a struct argument that calls the same FnPtr does not clobber the arguments already encoded', (tt) => {
  const Pair = t.struct({ x: t.f64, y: t.f64 });
  using first = new BareFn(sig(t.f64, [Pair, Pair]), (a, b) => a.x * 100 + b.x);
  const call = FnPtr.from(first.address, sig(t.f64, [Pair, Pair]));
  const inner: number[] = [];
  const second = {
    get x() {
      inner.push(call({ x: 5, y: 5 }, { x: 6, y: 6 }));
      return 2;
    },
    y: 2,
  };
  tt.is(call({ x: 1, y: 1 }, second), 102);
  // The nested call made the encoding start over the native way, which reads the getter again.
  tt.deepEqual(inner, [506, 506]);
});
