// C declarations as signatures (sig.c, lib.fn with a prototype): every scalar type by its C
// names, pointers to pointers, C strings, unnamed parameters, `...`, structs by name, and errors
// pointing at the token at fault.
import test from 'ava';

import { C_TYPEDEFS, WIN32_TYPEDEFS } from '../src/lib/c-typedefs.js';
import { Library, memory, sig, t, type Type } from '../src/index.js';
import { SCALARS } from '../src/lib/types.js';
import { libcPath } from './helpers/platform.js';
import { lib } from './helpers/testlib.js';

const windows = process.platform === 'win32';
const long64 = t.sizeof(t.pointer) === 8 && !windows;
const charUnsigned = process.platform === 'linux' && process.arch === 'arm64';

test('every scalar type by its C names', (tt) => {
  const cases: [string, Type][] = [
    ['void', t.void], ['bool', t.bool], ['_Bool', t.bool],
    ['char', charUnsigned ? t.u8 : t.i8], ['signed char', t.i8], ['unsigned char', t.u8],
    ['short', t.i16], ['short int', t.i16], ['signed short', t.i16], ['unsigned short', t.u16], ['unsigned short int', t.u16],
    ['int', t.i32], ['signed', t.i32], ['signed int', t.i32], ['unsigned', t.u32], ['unsigned int', t.u32],
    ['long', long64 ? t.i64 : t.i32], ['long int', long64 ? t.i64 : t.i32], ['unsigned long', long64 ? t.u64 : t.u32],
    ['long long', t.i64], ['long long int', t.i64], ['unsigned long long', t.u64], ['long unsigned long int', t.u64],
    ['int8_t', t.i8], ['uint8_t', t.u8], ['int16_t', t.i16], ['uint16_t', t.u16], ['int32_t', t.i32], ['uint32_t', t.u32],
    ['int64_t', t.i64], ['uint64_t', t.u64], ['size_t', t.usize], ['uintptr_t', t.usize], ['ssize_t', t.isize], ['intptr_t', t.isize],
    ['ptrdiff_t', t.isize], ['float', t.f32], ['double', t.f64], ['const volatile int', t.i32],
  ];
  for (const [c, type] of cases) {
    tt.is(sig.c(`${c} f(void)`).ret, type, `${c} as a result`);
    if (type !== t.void) tt.deepEqual(sig.c(`void (*)(${c} named, ${c})`).args, [type, type], `${c} as arguments`);
  }
});

test('pointers, C strings, arrays, function pointers, unnamed parameters and ...', (tt) => {
  const s = sig.c('char **f(const char *s, char *buf, const char **argv, void *p, int a[16], int (*cb)(const void *, const void *), char const *t, ...)');
  tt.deepEqual([s.ret, ...s.args], [t.pointer, t.cstring, t.pointer, t.pointer, t.pointer, t.pointer, t.pointer, t.cstring]);
  tt.true(s.variadic);
  tt.is(String(sig.c('int (*)(const void *, const void *)')), '(pointer, pointer) -> i32');
  tt.is(String(sig.c('  unsigned\tlong long\n(*  handler )( int , double ) ')), '(i32, f64) -> u64');
  tt.is(String(sig.c('int f()')), '() -> i32');
});

test('structs by the names given, passed by value', (tt) => {
  const Point = t.struct({ x: t.f64, y: t.f64 });
  const s = sig.c('struct Point scale(struct Point p, double k, Point *out)', { Point });
  tt.deepEqual([s.ret, ...s.args], [Point, Point, t.f64, t.pointer]);
  tt.throws(() => sig.c('Rect f(void)', { Point }), { instanceOf: TypeError, message: /^sig\.c: unknown type "Rect" \(give it in the types argument: \{ Rect: t\.… \}\) at column 1:/ });
  tt.throws(() => sig.c('struct Rect f(void)', { Point }), { instanceOf: TypeError, message: /unknown struct "struct Rect" \(give it in the types argument: \{ Rect: t\.struct\(…\) \}\) at column 8/ });
});

test('bad declarations point at the token at fault', (tt) => {
  const fails = (declaration: string, problem: string, column: number) =>
    tt.throws(() => sig.c(declaration), { instanceOf: TypeError, message: `sig.c: ${problem} at column ${column}:\n  ${declaration}\n  ${' '.repeat(column - 1)}^` });
  fails('int f(strng s)', 'unknown type "strng" (give it in the types argument: { strng: t.… })', 7);
  fails('int f(int, void)', 'void is only a return type (or alone: (void))', 12);
  fails('int f(...)', 'a variadic function needs a fixed argument before ...', 7);
  fails('int f(int', 'expected ")", found the end', 10);
  fails('int f(int) x', 'unexpected "x" after the declaration', 12);
  fails('int f(int $)', 'unexpected "$"', 11);
  fails('long long long f(void)', 'long long long is too long', 1);
  fails('unsigned signed f(void)', 'signed and unsigned together', 1);
  fails('(int)', 'expected a type', 1);
  tt.throws(() => sig.c(42 as never), { instanceOf: TypeError, message: 'sig.c: the declaration must be a string; got 42' });
});

test('lib.fn with a prototype calls the C library', (tt) => {
  using libc = Library.open(libcPath);
  const strcmp = libc.fn('int strcmp(const char *a, const char *b)');
  tt.true(strcmp('abc', 'abd') < 0);
  tt.is(libc.fn('size_t strlen(const char *)')('héllo'), 6n);
  const snprintf = libc.fn(windows ? 'int _snprintf(char *buf, size_t n, const char *format, ...)' : 'int snprintf(char *buf, size_t n, const char *format, ...)');
  const buf = Buffer.alloc(32);
  tt.is(snprintf(memory.addressOf(buf), 32n, '%s=%d', t.cstring, 'x', t.i32, 7), 3);
  tt.is(buf.toString('utf8', 0, 3), 'x=7');
  tt.throws(() => libc.fn('int (*)(int)'), { instanceOf: TypeError, message: 'Library.fn("int (*)(int)"): the declaration must name the function, as in \'int strcmp(const char *a, const char *b)\'' });
  tt.throws(() => libc.fn('int no_such_function_here(void)'), { instanceOf: RangeError, message: /symbol "no_such_function_here" not found/ });
});

const MINGW_FAST16 = ['int_fast16_t', 'uint_fast16_t'];

test("the platform's typedefs by name, each of the C compiler's size and signedness (testlib's c/typedefs.c)", (tt) => {
  const cTypedef = lib.fn('tl_c_typedef', sig(t.cstring, [t.u32, t.pointer, t.pointer]));
  const out = new Uint32Array(2);
  const at = memory.addressOf(out);
  const seen: string[] = [];
  for (let index = 0; ; index++) {
    const name = cTypedef(index, at, at + 4n);
    if (name === null) break;
    seen.push(name);
    const [compiled, kind] = out as unknown as [number, number];
    const type = sig.c(`${name} f(void)`).ret as Type;
    const read = `${t.sizeof(type as never)} bytes, ${type === t.pointer || SCALARS[type.name].js === 'string' ? 'pointer' : /^[if]/.test(type.name) ? 'signed' : 'unsigned'}`;
    // testlib is compiled by MinGW gcc on Windows, whose int_fast16_t is short; bare-fn follows
    // MSVC's (int), the compiler of the shipped packages: compared with MSVC's size there.
    const msvc = windows && MINGW_FAST16.includes(name);
    if (msvc) tt.is(compiled, 2, `MinGW's ${name}`);
    const size = msvc ? 4 : compiled;
    tt.is(read, `${size} bytes, ${['unsigned', 'signed', 'pointer'][kind]}`, `${name} is t.${type.name}`);
  }
  // Every name bare-fn knows here is in the C table (the POSIX names Windows lacks are refused).
  const known = [...Object.keys(C_TYPEDEFS), ...(windows ? Object.keys(WIN32_TYPEDEFS) : [])].filter((name) => !(windows && ['pid_t', 'suseconds_t', 'uid_t', 'gid_t'].includes(name)));
  tt.deepEqual([...seen].sort(), known.sort());
  if (windows) tt.throws(() => sig.c('uid_t f(void)'), { instanceOf: TypeError, message: /unknown type "uid_t"/ });
  else tt.throws(() => sig.c('DWORD f(void)'), { instanceOf: TypeError, message: /unknown type "DWORD"/ });
});

test('typedefs in prototypes as headers write them, with a C library', (tt) => {
  using libc = Library.open(libcPath);
  // time_t is 64-bit with the Microsoft CRT, whose plain `time` export is the 32-bit one.
  const time = libc.fn(windows ? 'time_t _time64(time_t *tloc)' : 'time_t time(time_t *tloc)');
  const now = time(0n);
  tt.is(typeof now, t.sizeof(sig.c('time_t f(void)').ret as never) === 8 ? 'bigint' : 'number');
  tt.true(Number(now) > 1_700_000_000, `time() = ${now}`);
  if (!windows) {
    const getpid = libc.fn('pid_t getpid(void)');
    tt.is(getpid(), process.pid);
  }
});

test('the types argument takes any type by name: scalars, opaque handles, structs and signatures', (tt) => {
  const Point = t.struct({ x: t.f64, y: t.f64 });
  const Handler = sig(t.void, [t.pointer, t.cstring]);
  const s = sig.c('XML_Status parse(XML_Parser p, const XML_Char *s, gint len, Point at, XML_Handler h)', {
    XML_Status: t.i32,
    XML_Parser: t.pointer,
    XML_Char: t.u8,
    gint: t.i32,
    Point,
    XML_Handler: Handler,
  });
  tt.deepEqual([s.ret, ...s.args], [t.i32, t.pointer, t.pointer, t.i32, Point, t.pointer]);
  // A name given in types wins over a built-in one.
  tt.is(sig.c('off_t f(void)', { off_t: t.i64 }).ret, t.i64);
  tt.throws(() => sig.c('int f(Bad b)', { Bad: 42 } as never), {
    instanceOf: TypeError,
    message: 'sig.c: types.Bad is 42: a type (t.i32, t.pointer, …), a t.struct(…) or a signature at column 7:\n  int f(Bad b)\n        ^',
  });
  tt.throws(() => sig.c('int f(Nothing n)', { Nothing: t.void }), { instanceOf: TypeError, message: /^sig\.c: types\.Nothing is t\.void, which is only a return type at column 7/ });
  tt.throws(() => sig.c('struct H f(void)', { H: Handler } as never), {
    instanceOf: TypeError,
    message: /^sig\.c: "struct H" must be a struct: types\.H is the signature \(pointer, cstring\) -> void, not t\.struct\(…\)/,
  });
});
