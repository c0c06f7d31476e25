// Sorts 1,000,000 random int32 values with the real libc qsort, whose comparator is a
// TypeScript function passed as a plain C function pointer.
//
//   npm run demo
import { BareFn, Library, memory, sig, t } from '../src/index.js';

const N = 1_000_000;

const C_LIBRARY: Partial<Record<NodeJS.Platform, string>> = { win32: 'msvcrt.dll', darwin: '/usr/lib/libSystem.B.dylib' };
const libcPath = C_LIBRARY[process.platform] ?? 'libc.so.6';
const libc = Library.open(libcPath);
// void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void *));
const qsort = libc.fn('qsort', sig(t.void, [t.pointer, t.usize, t.usize, t.pointer]));
const Compare = sig(t.i32, [t.pointer, t.pointer]);

const values = new Int32Array(N);
for (let i = 0; i < N; i++) values[i] = (Math.random() * 2 ** 32) | 0;

let calls = 0;
{
  using compare = new BareFn(Compare, (a, b) => {
    calls++;
    const x = memory.read(t.i32, a);
    const y = memory.read(t.i32, b);
    return x < y ? -1 : x > y ? 1 : 0;
  });

  const start = process.hrtime.bigint();
  qsort(memory.addressOf(values), BigInt(N), BigInt(Int32Array.BYTES_PER_ELEMENT), compare.address);
  const ns = Number(process.hrtime.bigint() - start);

  for (let i = 1; i < N; i++) {
    if (values[i - 1]! > values[i]!) throw new Error(`not sorted at index ${i}`);
  }
  console.log(`sorted ${N.toLocaleString('en')} int32 values with libc qsort and a TypeScript comparator`);
  console.log(`comparator calls: ${calls.toLocaleString('en')}`);
  console.log(`total: ${(ns / 1e6).toFixed(1)} ms, ${(ns / calls).toFixed(1)} ns per comparator call`);
}
libc.close();
