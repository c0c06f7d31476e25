// koffi as an independent FFI on the other side of the boundary: koffi callbacks are the native
// functions bare-fn's FnPtr calls (koffi decodes the arguments and encodes the return value), koffi
// calls testlib's targets to check testlib and bare-fn's Library agree, and koffi reads memory
// bare-fn wrote.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

import test from 'ava';
import koffi from 'koffi';

import { FnPtr, memory, sig, t } from '../src/index.js';
import { KOFFI_NAMES, fromKoffi } from './helpers/koffi-types.js';
import { usizeMax } from './helpers/platform.js';
import { EXTREMES, VALUE_TYPES, lib, testlibPath, typeOf } from './helpers/testlib.js';
import { SCALARS } from '../src/lib/types.js';

const klib = koffi.load(testlibPath);

let protoCount = 0;
for (const name of VALUE_TYPES) {
  const text = SCALARS[name].js === 'string';
  test(`FnPtr -> koffi callback: ${name} as argument${text ? '' : ' and return value'}`, (tt) => {
    const kt = KOFFI_NAMES[name];
    // koffi does not keep a string returned by a callback alive, so strings are only arguments.
    const ret = text ? 'int32_t' : kt;
    const proto = koffi.proto(`${ret} KEcho${protoCount++}(${kt})`);
    const seen: unknown[] = [];
    const kcb = koffi.register((x: unknown) => {
      seen.push(fromKoffi(name, x));
      return text ? 7 : x;
    }, koffi.pointer(proto));
    try {
      const type = typeOf(name);
      const call = FnPtr.from(kcb as bigint, sig(text ? t.i32 : type, [type])) as unknown as (v: unknown) => unknown;
      // koffi 3.3.4 reads an empty UTF-32 string as null (koffi.decode of a lone NUL as 'str32'
      // too): '' is left to wide-strings.test.ts, where wcslen('') is 0.
      for (const value of EXTREMES[name].filter((v) => !(name === 'cstring32' && v === ''))) {
        tt.is(call(value), text ? 7 : value, `return of ${String(value)}`);
        tt.is(seen.at(-1), value, `koffi received ${String(value)}`);
      }
    } finally {
      koffi.unregister(kcb);
    }
  });
}

test('koffi and bare-fn Library agree on testlib targets', (tt) => {
  const kadd = klib.func('int32_t tl_add_i32(int32_t, int32_t)');
  const add = lib.fn('tl_add_i32', sig(t.i32, [t.i32, t.i32]));
  for (const [a, b] of [[2147483647, 1], [-5, 3], [0, -2147483648]] as const) tt.is(add(a, b), kadd(a, b));

  const kneg = klib.func('int8_t tl_neg_i8(int8_t)');
  const neg = lib.fn('tl_neg_i8', sig(t.i8, [t.i8]));
  for (const v of [-128, 127, 0, -1]) tt.is(neg(v), kneg(v));

  const ksum = klib.func(`int64_t tl_sum16_i64(${Array(16).fill('int64_t').join(', ')})`);
  const sum = lib.fn('tl_sum16_i64', sig(t.i64, Array(16).fill(t.i64) as typeof t.i64[]));
  const ints = Array.from({ length: 16 }, (_, i) => BigInt(i * 1_000_003 - 7_000_000));
  tt.is(sum(...(ints as Parameters<typeof sum>)), BigInt(ksum(...ints)));

  const ksumf = klib.func(`double tl_sum16_f64(${Array(16).fill('double').join(', ')})`);
  const sumf = lib.fn('tl_sum16_f64', sig(t.f64, Array(16).fill(t.f64) as typeof t.f64[]));
  const floats = Array.from({ length: 16 }, (_, i) => i * 0.1 - 0.7);
  tt.is(sumf(...(floats as Parameters<typeof sumf>)), ksumf(...floats));

  const kstrlen = klib.func('size_t tl_strlen(const char *)');
  const strlen = lib.fn('tl_strlen', sig(t.usize, [t.cstring]));
  for (const s of ['', 'h\u00e9llo', '\u{1F600}']) tt.is(strlen(s), BigInt(kstrlen(s)));
  tt.is(strlen(null), usizeMax); // tl_strlen's usize::MAX

  tt.is(lib.fn('tl_hello', sig(t.cstring, []))(), klib.func('const char *tl_hello()')());
  tt.is(lib.fn('tl_null_str', sig(t.cstring, []))(), null);
});

test('koffi reads back what memory.write stored, for every writable scalar', (tt) => {
  const buf = new BigUint64Array(2);
  const at = memory.addressOf(buf);
  for (const name of VALUE_TYPES.filter((n) => SCALARS[n].js !== 'string')) {
    for (const value of EXTREMES[name]) {
      memory.write(typeOf(name) as never, at, value as never, 8);
      tt.is(fromKoffi(name, koffi.decode(at, 8, KOFFI_NAMES[name])), value, `${name} ${String(value)}`);
      tt.is(memory.read(typeOf(name) as never, at, 8), value);
    }
  }
});

const foreignStackScript = path.join(__dirname, 'helpers', 'koffi-foreign-stack.ts');
const refusedInsideKoffi = [
  'fallback -1, callback calls 0, direct call 3',
  'onError refused: BareFn (i32, i32) -> i32 was called on a foreign stack (e.g. inside a koffi call, which runs native code on a stack of its own); V8 cannot run JS there, so the call was refused',
];

test('a BareFn called inside a koffi call is refused with the fallback and a clear report', (tt) => {
  // koffi runs native code on a stack of its own, where V8 cannot run JS. The refusal reaches
  // onError once the event loop runs JS again; the process must survive.
  const out = execFileSync(process.execPath, ['--import', 'tsx', foreignStackScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  tt.is(out.trim(), refusedInsideKoffi.join('\n'));
});

test('inside a koffi call in a worker too: refused, and six workers in a row end and are torn down cleanly', (tt) => {
  const workers = 6;
  const result = spawnSync(process.execPath, ['--import', 'tsx', foreignStackScript, 'workers', String(workers)], { encoding: 'utf8' });
  tt.is(result.stderr, '');
  tt.is(result.status, 0);
  const expected = Array.from({ length: workers }, (_, i) => [...refusedInsideKoffi, `worker ${i} exit 0`]).flat();
  tt.is(result.stdout.trim(), expected.join('\n'));
});
