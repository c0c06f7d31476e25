// Wide strings: t.cstring16 (char16_t, UTF-16), t.cstring32 (char32_t, UTF-32) and t.wcstring
// (wchar_t) as arguments, results, callback parameters and results (on the owning thread and from
// another), struct members, memory reads, and in C declarations; compared with what gcc made of
// u"" and U"" literals (testlib's c/text.c), the C library's wcslen and wcschr, and on Windows
// kernel32's W functions (under wine here).
import test from 'ava';

import { BareFn, cdef, FnPtr, Library, memory, sig, type Signature, t } from '../src/index.js';
import { libcPath } from './helpers/platform.js';
import { lib } from './helpers/testlib.js';

const windows = process.platform === 'win32';
const textFunction = lib.fn('tl_text_function', sig(t.pointer, [t.cstring]));
/** The address of a function of c/text.c. */
function c(name: string): bigint {
  const at = textFunction(name);
  if (at === 0n) throw new Error(`testlib's c/text.c has no ${name}`);
  return at;
}

const HELLO = 'h\u00e9llo \u{1F600}';
const units16 = (s: string) => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i));
const units32 = (s: string) => Array.from(s, (ch) => ch.codePointAt(0)!);
const sum = (units: number[]) => BigInt(units.reduce((a, b) => a + b, 0));

test('arguments: C receives the UTF-16 or UTF-32 units of the JS string, unit for unit', (tt) => {
  const c16Sum = FnPtr.from(c('c16_sum'), sig.c('uint64_t (*)(const char16_t *s, size_t *units)'));
  const c32Sum = FnPtr.from(c('c32_sum'), sig.c('uint64_t (*)(const char32_t *s, size_t *units)'));
  using count = memory.alloc(t.usize);
  // A lone surrogate is a UTF-16 unit like any other (Windows file names may hold one).
  for (const text of ['', 'plain', HELLO, 'x'.repeat(5000), 'a\uD800b']) {
    tt.is(c16Sum(text, count.address), sum(units16(text)), text.slice(0, 20));
    tt.is(memory.read(t.usize, count.address), BigInt(text.length));
  }
  for (const text of ['', 'plain', HELLO, '\u{10FFFF}'.repeat(3000)]) {
    tt.is(c32Sum(text, count.address), sum(units32(text)), text.slice(0, 20));
    tt.is(memory.read(t.usize, count.address), BigInt(units32(text).length));
  }
});

test('arguments C cannot take are errors: NUL in every encoding, a lone surrogate in UTF-32, a non-string', (tt) => {
  const c16Sum = FnPtr.from(c('c16_sum'), sig(t.u64, [t.cstring16, t.pointer]));
  const c32Sum = FnPtr.from(c('c32_sum'), sig(t.u64, [t.cstring32, t.pointer]));
  using count = memory.alloc(t.usize);
  tt.throws(() => c16Sum('a\0b', count.address), { instanceOf: TypeError, message: /a cstring16 cannot contain NUL characters \(one is at index 1\)$/ });
  tt.throws(() => c32Sum('\u{1F600}\0', count.address), { instanceOf: TypeError, message: /a cstring32 cannot contain NUL characters \(one is at index 2\)$/ });
  tt.throws(() => c32Sum('ab\uDC00', count.address), { instanceOf: TypeError, message: /a cstring32 is UTF-32, which cannot encode the lone surrogate U\+DC00 at index 2$/ });
  tt.throws(() => c16Sum(42 as never, count.address), { instanceOf: TypeError, message: /expected a string or null \(cstring16\), got 42$/ });
});

test("results: the compiler's u\"\" and U\"\" literals read back as the JS string", (tt) => {
  tt.is(FnPtr.from(c('c16_hello'), sig.c('const char16_t *(*)(void)'))(), HELLO);
  tt.is(FnPtr.from(c('c32_hello'), sig.c('const char32_t *(*)(void)'))(), HELLO);
});

test('callbacks: C hands a BareFn its wide string and gets the one the BareFn returned', (tt) => {
  for (const type of [t.cstring16, t.cstring32]) {
    const seen: (string | null)[] = [];
    using upper = new BareFn(sig(type, [type]), (text) => {
      seen.push(text);
      return text!.toUpperCase();
    });
    const call = FnPtr.from(c(type === t.cstring16 ? 'c16_call' : 'c32_call'), sig(type, [t.pointer]));
    tt.is(call(upper.address), 'WIDE \u{1F600} TEXT', type.name);
    tt.deepEqual(seen, ['wide \u{1F600} text']);
  }
});

test('from another thread: a blocking BareFn gets and returns wide strings (the C function run by .async)', async (tt) => {
  for (const type of [t.cstring16, t.cstring32]) {
    using exclaim = new BareFn(sig(type, [type]), (text) => `${text}!`, { threading: 'blocking' });
    const call = FnPtr.from(c(type === t.cstring16 ? 'c16_call' : 'c32_call'), sig(type, [t.pointer]));
    tt.is(await call.async(exclaim.address), 'wide \u{1F600} text!', type.name);
  }
});

test('a struct member: read from a struct passed by value, and from memory; never written', (tt) => {
  const Named16 = t.struct({ name: t.cstring16, id: t.i32 });
  let seen = '';
  using named = new BareFn(sig(t.i32, [Named16]), (value) => {
    seen = value.name!;
    return value.id;
  });
  tt.is(FnPtr.from(c('c16_named'), sig(t.i32, [t.pointer]))(named.address), 42);
  tt.is(seen, 'n\u00e4me');

  const text = Buffer.from(new Uint16Array([0x77, 0xd83d, 0xde00, 0]).buffer);
  using block = memory.alloc(Named16);
  memory.write(t.pointer, block.address, memory.addressOf(text));
  tt.is(memory.read(Named16, block.address).name, 'w\u{1F600}');
  tt.throws(() => memory.write(Named16, block.address, { name: 'x', id: 1 }), { instanceOf: TypeError, message: /name is a cstring16: cannot write one/ });
  tt.throws(() => memory.write(t.cstring32 as never, block.address, 'x' as never), {
    instanceOf: TypeError,
    message: 'memory.write: cannot write a cstring32 (its memory would not outlive the call); write the units into a buffer and store its address as a pointer',
  });
});

test('memory.readCString reads each encoding, checks alignment and the type', (tt) => {
  const utf16 = Buffer.from(new Uint16Array([...units16(HELLO), 0]).buffer);
  const utf32 = Buffer.from(new Uint32Array([...units32(HELLO), 0]).buffer);
  tt.is(memory.readCString(memory.addressOf(utf16), t.cstring16), HELLO);
  tt.is(memory.readCString(memory.addressOf(utf32), t.cstring32), HELLO);
  tt.is(memory.readCString(0n, t.cstring32), null);
  // Not valid text reads as U+FFFD: a lone surrogate and a unit beyond U+10FFFF in UTF-32.
  const bad = Buffer.from(new Uint32Array([0x61, 0xd800, 0x110000, 0]).buffer);
  tt.is(memory.readCString(memory.addressOf(bad), t.cstring32), 'a\uFFFD\uFFFD');
  tt.throws(() => memory.readCString(memory.addressOf(utf32) + 2n, t.cstring32), { instanceOf: RangeError, message: /^memory\.readCString: address 0x[0-9a-f]+ is not aligned for cstring32 \(4 bytes\)$/ });
  tt.throws(() => memory.readCString(memory.addressOf(utf32), t.u32 as never), { instanceOf: TypeError, message: 'memory.readCString: u32 is not a string type (cstring, cstring16, cstring32)' });
});

test('C declarations: const char16_t *, const char32_t *, const wchar_t * and their typedefs are strings; without const, pointers', (tt) => {
  const declared = sig.c('const wchar_t *f(const char16_t *a, const char32_t *b, char16_t *c, const wchar_t **d)');
  tt.is(declared.ret, t.wcstring);
  tt.deepEqual(declared.args, [t.cstring16, t.cstring32, t.pointer, t.pointer]);
  const h = cdef(`
    typedef wchar_t XML_Char;
    typedef char16_t UChar;
    typedef const XML_Char *(*namer)(const UChar *text);
  `);
  const name = h.namer as Signature;
  tt.is(name.ret, t.wcstring);
  tt.deepEqual(name.args, [t.cstring16]);
  if (windows) {
    tt.deepEqual(sig.c('int f(LPCWSTR a, PCWSTR b, LPWSTR c, const WCHAR *d)').args, [t.cstring16, t.cstring16, t.pointer, t.cstring16]);
  }
});

test("the C library's wcslen and wcschr through their prototypes", (tt) => {
  using libc = Library.open(libcPath);
  const wcslen = libc.fn('size_t wcslen(const wchar_t *s)');
  // wchar_t is UTF-16 on Windows (the emoji takes two units), UTF-32 elsewhere.
  tt.is(wcslen(HELLO), BigInt(windows ? HELLO.length : units32(HELLO).length));
  tt.is(wcslen(''), 0n);
  const wcschr = libc.fn('const wchar_t *wcschr(const wchar_t *s, wchar_t c)');
  tt.is(wcschr('find the \u00e9 here', 0xe9), '\u00e9 here');
  tt.is(wcschr('absent', 0x7a), null);
});

if (windows) {
  test("kernel32's W functions: lstrlenW, GetModuleFileNameW into a buffer, EnumSystemCodePagesW calling a BareFn", (tt) => {
    using kernel32 = Library.open('kernel32.dll');
    tt.is(kernel32.fn('int __stdcall lstrlenW(LPCWSTR s)')(HELLO), HELLO.length);
    const path = new Uint16Array(1024);
    const length = kernel32.fn('DWORD __stdcall GetModuleFileNameW(HMODULE m, LPWSTR path, DWORD size)')(null, path, path.length);
    const read = memory.readCString(memory.addressOf(path), t.cstring16)!;
    tt.is(read.length, Number(length));
    tt.regex(read, /node(\.exe)?$/i);
    // The same list of code pages through the W and the A function: the W one's strings decoded
    // from UTF-16, the A one's from UTF-8.
    const pages = (suffix: 'A' | 'W') => {
      const list: string[] = [];
      using proc = new BareFn(sig(t.i32, [suffix === 'W' ? t.cstring16 : t.cstring], { abi: 'system' }), (page) => {
        list.push(page!);
        return 1;
      });
      kernel32.fn(`BOOL __stdcall EnumSystemCodePages${suffix}(void *proc, DWORD flags)`)(proc.address, 1);
      return list;
    };
    const wide = pages('W');
    tt.true(wide.includes('1252'), wide.join(' '));
    tt.deepEqual(wide, pages('A'));
  });
}
