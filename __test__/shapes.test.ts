// Signature shapes: 0 to 16 arguments, integer and float classes interleaved, arguments every ABI
// passes on the stack, callers that leave garbage above narrow arguments, and every calling
// convention of the platform. The callers here are compiled by rustc, go through libffi or are
// written in assembly (testlib).
import test from 'ava';

import { BareFn, FnPtr, memory, sig, t } from '../src/index.js';
import { callerFor, pointerBits, targetAbis } from './helpers/platform.js';
import { callViaLibffi, lib, toRaw } from './helpers/testlib.js';

const I64x16 = sig(t.i64, Array(16).fill(t.i64) as typeof t.i64[]);
const F64x16 = sig(t.f64, Array(16).fill(t.f64) as typeof t.f64[]);
const Mixed16 = sig(t.f64, [t.i8, t.f32, t.u16, t.f64, t.i32, t.f32, t.u64, t.f64, t.i64, t.f32, t.f64, t.bool, t.f32, t.f64, t.u8, t.f64]);

test('16 integer arguments, beyond the registers of every ABI, both directions', (tt) => {
  const values = Array.from({ length: 16 }, (_, i) => (i % 2 ? -(2n ** 63n) + BigInt(i) : 2n ** 63n - 1n - BigInt(i)));
  let seen: bigint[] = [];
  using cb = new BareFn(I64x16, (...args) => {
    seen = args;
    return -7n;
  });
  const callInts16 = lib.fn('tl_call_ints16', sig(t.i64, [t.pointer, t.pointer]));
  tt.is(callInts16(cb.address, memory.addressOf(BigInt64Array.from(values))), -7n);
  tt.deepEqual(seen, values);

  const sum16 = lib.fn('tl_sum16_i64', I64x16);
  const expected = values.reduce((acc, v, i) => BigInt.asIntN(64, acc + v * BigInt(i + 1)), 0n);
  tt.is(sum16(...(values as Parameters<typeof sum16>)), expected);
});

test('16 float arguments, beyond the registers of every ABI, both directions', (tt) => {
  const values = Array.from({ length: 16 }, (_, i) => (i + 1) * 1.25 * (i % 3 ? 1 : -1));
  values[7] = -0;
  values[8] = Number.MIN_VALUE;
  let seen: number[] = [];
  using cb = new BareFn(F64x16, (...args) => {
    seen = args;
    return Number.MAX_VALUE;
  });
  const callFloats16 = lib.fn('tl_call_floats16', sig(t.f64, [t.pointer, t.pointer]));
  tt.is(callFloats16(cb.address, memory.addressOf(Float64Array.from(values))), Number.MAX_VALUE);
  tt.deepEqual(seen, values);
  tt.true(Object.is(seen[7], -0));

  const sum16 = lib.fn('tl_sum16_f64', F64x16);
  const expected = values.reduce((acc, v, i) => acc + v * (i + 1), 0);
  tt.is(sum16(...(values as Parameters<typeof sum16>)), expected);
});

test('16 interleaved integer and float arguments, with a narrow integer and a double on the stack', (tt) => {
  const values = [-128, 2 ** -149, 65535, -0, -2147483648, 3.4028234663852886e38, 2n ** 64n - 1n, Infinity, -(2n ** 63n), -1.5, NaN, true, 0.25, Number.MIN_VALUE, 255, -Number.MAX_VALUE] as const;
  const raw = BigUint64Array.from(values, (v, i) => toRaw(Mixed16.args[i]!.name, v, []));
  let seen: unknown[] = [];
  using cb = new BareFn(Mixed16, (...args) => {
    seen = args;
    return -0;
  });
  const callMixed16 = lib.fn('tl_call_mixed16', sig(t.f64, [t.pointer, t.pointer]));
  const back = callMixed16(cb.address, memory.addressOf(raw));
  tt.true(Object.is(back, -0));
  tt.deepEqual(seen, [...values]);
});

test('narrow arguments are exact when the caller leaves garbage in the upper bits, in every convention', (tt) => {
  // testlib's assembly callers: see crates/testlib/src/dirty.rs for the register contents.
  for (const abi of targetAbis) {
    const Dirty = sig(t.i64, [t.i8, t.u8, t.i16, t.u16, t.i32, t.u32, t.f32, t.bool, t.i8, t.u16, t.i8], { abi });
    let seen: unknown[] = [];
    using cb = new BareFn(Dirty, (...args) => {
      seen = args;
      return 2n ** 63n - 1n;
    });
    const callDirty = lib.fn(callerFor('tl_call_dirty_narrow', abi), sig(t.i64, [t.pointer]));
    tt.is(callDirty(cb.address), 2n ** 63n - 1n, abi);
    tt.deepEqual(seen, [-128, 255, -32768, 65535, -2147483648, 4294967295, 1.5, true, -2, 54321, 100], abi);
  }
});

test('typed callers compiled by rustc: (i32, i32) -> i32, (f64, f64) -> f64, (u32, f64) -> void, (cstring) -> cstring', (tt) => {
  using add = new BareFn(sig(t.i32, [t.i32, t.i32]), (a, b) => (a + b) | 0);
  tt.is(lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]))(add.address, 2147483647, 1), -2147483648);

  using div = new BareFn(sig(t.f64, [t.f64, t.f64]), (a, b) => a / b);
  tt.is(lib.fn('tl_call_f64_f64_f64', sig(t.f64, [t.pointer, t.f64, t.f64]))(div.address, 1, -0), -Infinity);

  const seen: unknown[] = [];
  using sink = new BareFn(sig(t.void, [t.u32, t.f64]), (a, b) => void seen.push(a, b));
  tt.is(lib.fn('tl_call_void_u32_f64', sig(t.u32, [t.pointer, t.u32, t.f64]))(sink.address, 4294967295, NaN), 1);
  tt.deepEqual(seen, [4294967295, NaN]);

  using upper = new BareFn(sig(t.cstring, [t.cstring]), (s) => (s === null ? null : s.toUpperCase()));
  const callStr = lib.fn('tl_call_cstring_cstring', sig(t.cstring, [t.pointer, t.cstring]));
  tt.is(callStr(upper.address, 'h\u00e9llo'), 'H\u00c9LLO');
  tt.is(callStr(upper.address, null), null);
});

test('every convention of this platform is called by, and calls, code compiled for it', (tt) => {
  for (const abi of targetAbis) {
    using mul = new BareFn(sig(t.i32, [t.i32, t.i32], { abi }), (a, b) => a * b);
    const call = lib.fn(callerFor('tl_call_i32_i32_i32', abi), sig(t.i32, [t.pointer, t.i32, t.i32]));
    tt.is(call(mul.address, -6, 7), -42, abi);
    // FnPtr calls mul as `abi` too: its thunk is the callee compiled for it.
    tt.is(FnPtr.from(mul.address, mul.signature)(-6, -7), 42, abi);
  }
});

test('every argument count from 0 to 16 reaches the callback in order', (tt) => {
  // 64-bit, size and pointer arguments come through the argument buffer and a wrapper per arity
  // (src/lib/arg-buffer.ts): every arity has some, signed and unsigned, at moving positions.
  const kinds = [t.u32, t.pointer, t.f32, t.i64, t.u32, t.isize, t.usize, t.u64] as const;
  const typeAt = (i: number) => kinds[(i + Math.floor(i / 8)) % kinds.length]!;
  const valueOf = (i: number): unknown => {
    const type = typeAt(i);
    if (type === t.f32) return i + 0.5;
    if (type === t.u32) return i * 1000;
    // Wide values of the type's own width (isize, usize and pointer are 32-bit on 32-bit targets):
    // signed ones far below zero; unsigned ones with the top bit and both halves' low bits set.
    const bits = type === t.i64 || type === t.u64 ? 64 : pointerBits;
    if (type === t.i64 || type === t.isize) return -(2n ** BigInt(bits - 2)) - BigInt(i);
    return 2n ** BigInt(bits - 1) + BigInt(i) * (2n ** BigInt(bits / 2) + 1n);
  };
  for (let n = 0; n <= 16; n++) {
    const s = sig(t.u32, Array.from({ length: n }, (_, i) => typeAt(i)));
    const values = Array.from({ length: n }, (_, i) => valueOf(i));
    let seen: unknown[] = [];
    using cb = new BareFn(s, ((...args: unknown[]) => {
      seen = args;
      return n;
    }) as never);
    tt.is(callViaLibffi(cb.address, s, values), n);
    tt.deepEqual(seen, values, `${n} arguments`);
  }
});
