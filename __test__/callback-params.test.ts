// Function pointer parameters of C declarations take a BareFn of the signature declared there
// (its address), checked: libc's qsort declared inline, called directly, through .async and
// through FnPtr.from of sig.c; a parameter of a signature typedef (expat's handlers and SQLite's
// callback in cdef.test.ts); a mismatch names both signatures.
import test from 'ava';

import { BareFn, FnPtr, Library, memory, sig, t } from '../src/index.js';
import { libcPath } from './helpers/platform.js';

const QSORT = 'void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void *))';
const Compare = sig.c('int (*)(const void *a, const void *b)');
const byValue = (a: bigint, b: bigint) => memory.read(t.i32, a) - memory.read(t.i32, b);
const unsorted = () => new Int32Array([5, -3, 9, 0, 7, -8]);
const SORTED = [-8, -3, 0, 5, 7, 9];

test('qsort declared in C takes the BareFn comparator itself (and its address, as before)', (tt) => {
  using libc = Library.open(libcPath);
  const qsort = libc.fn(QSORT);
  using compare = new BareFn(Compare, byValue);
  const values = unsorted();
  qsort(values, BigInt(values.length), 4n, compare);
  tt.deepEqual([...values], SORTED);
  const again = unsorted();
  qsort(again, BigInt(again.length), 4n, compare.address);
  tt.deepEqual([...again], SORTED);
  tt.is(qsort.name, 'qsort');
  // The same name with a signature of plain pointers is another function, which takes addresses.
  const plain = libc.fn('qsort', sig(t.void, [t.pointer, t.usize, t.usize, t.pointer]));
  tt.not(plain, qsort as unknown);
  tt.throws(() => plain(unsorted(), 6n, 4n, compare as never), { instanceOf: TypeError, message: /argument 3 \(pointer\): expected an address/ });
});

test('a BareFn of another signature, or a disposed one, is a TypeError naming it', (tt) => {
  using libc = Library.open(libcPath);
  const qsort = libc.fn(QSORT);
  using wrong = new BareFn(sig(t.i32, [t.i32]), (x) => x);
  tt.throws(() => qsort(unsorted(), 6n, 4n, wrong as never), {
    instanceOf: TypeError,
    message: 'qsort (pointer, usize, usize, pointer) -> void: argument 3 is a function pointer called as (pointer, pointer) -> i32; got a BareFn of (i32) -> i32',
  });
  const disposed = new BareFn(Compare, byValue);
  disposed.dispose();
  tt.throws(() => qsort(unsorted(), 6n, 4n, disposed), { instanceOf: TypeError, message: 'BareFn (pointer, pointer) -> i32: address read after dispose' });
});

test('through .async: a blocking BareFn comparator, called from the pool thread; a mismatch rejects', async (tt) => {
  using libc = Library.open(libcPath);
  const qsort = libc.fn(QSORT);
  using compare = new BareFn(Compare, byValue, { threading: 'blocking' });
  const values = unsorted();
  await qsort.async(values, BigInt(values.length), 4n, compare);
  tt.deepEqual([...values], SORTED);
  using wrong = new BareFn(sig(t.i32, [t.pointer]), () => 0, { threading: 'blocking' });
  await tt.throwsAsync(qsort.async(unsorted(), 6n, 4n, wrong as never), { instanceOf: TypeError, message: /argument 3 is a function pointer called as \(pointer, pointer\) -> i32; got a BareFn of \(pointer\) -> i32$/ });
});

test('FnPtr.from with sig.c of a declaration with a function pointer parameter checks it too', (tt) => {
  using libc = Library.open(libcPath);
  const declared = sig.c(QSORT);
  // Its own object: sig() of the same types gives another, which knows no function pointer.
  tt.not(declared, sig(t.void, [t.pointer, t.usize, t.usize, t.pointer]) as unknown);
  tt.is(String(declared), '(pointer, usize, usize, pointer) -> void');
  const qsort = FnPtr.from(libc.symbol('qsort'), declared);
  using compare = new BareFn(Compare, byValue);
  const values = unsorted();
  qsort(values, 6n, 4n, compare);
  tt.deepEqual([...values], SORTED);
  using wrong = new BareFn(sig(t.void, []), () => undefined);
  tt.throws(() => qsort(unsorted(), 6n, 4n, wrong as never), { instanceOf: TypeError, message: /got a BareFn of \(\) -> void$/ });
});
