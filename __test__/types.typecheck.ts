// Type-level tests, checked by `tsc --noEmit` (npm run test:types). Every @ts-expect-error line
// must stay an error: if one compiles, tsc reports the directive as unused and the check fails.
import { BareFn, FnPtr, Library, memory, sig, t, type Callback, type CSignature, type FunctionPointer, type JsValue, type Signature, type Type } from '../src/index.js';

const Compare = sig(t.i32, [t.pointer, t.pointer]);
const OnEvent = sig(t.void, [t.u32, t.f64], { abi: 'system' });
const Mixed = sig(t.cstring, [t.bool, t.i64, t.f32, t.cstring, t.u8]);

// Parameters and the return type are inferred from the signature.
new BareFn(Compare, (a, b) => {
  const x: bigint = a;
  const y: bigint = b;
  return Number(x - y);
});
new BareFn(OnEvent, (id, value) => {
  const n: number = id + value;
  void n;
});
new BareFn(Mixed, (flag, big, f, s, byte) => {
  const checks: [boolean, bigint, number, string | null, number] = [flag, big, f, s, byte];
  void checks;
  return s === null ? null : s.toUpperCase();
});
// 64-bit returns accept bigint or a (safe-integer) number.
new BareFn(sig(t.u64, []), () => 1n);
new BareFn(sig(t.u64, []), () => 1);
// A void callback may return anything (the value is ignored, as in C).
new BareFn(OnEvent, () => 42);

// @ts-expect-error a pointer argument is a bigint, not a number
new BareFn(Compare, (a: number, b: bigint) => Number(b) + a);
// @ts-expect-error i32 must be returned as a number
new BareFn(Compare, () => 'less');
// @ts-expect-error i32 is not a bigint
new BareFn(Compare, () => 1n);
// @ts-expect-error too many parameters for the signature
new BareFn(OnEvent, (a: number, b: number, c: number) => void (a + b + c));
// @ts-expect-error a bool callback must return a boolean
new BareFn(sig(t.bool, []), () => 1);
// @ts-expect-error a cstring callback returns string | null
new BareFn(sig(t.cstring, []), () => undefined);
// @ts-expect-error the callback is required
new BareFn(Compare);
// @ts-expect-error the fallback has the return type
new BareFn(Compare, () => 0, { fallback: 'x' });
// @ts-expect-error unknown threading mode
new BareFn(Compare, () => 0, { threading: 'sometimes' });

// The threading mode is part of the handle's type.
const local: BareFn<typeof Compare, 'local'> = new BareFn(Compare, () => 0);
void local;
// @ts-expect-error a 'local' handle is not a 'blocking' one
const blocking: BareFn<typeof Compare, 'blocking'> = local;
void blocking;

// FnPtr: arguments and result typed from the signature.
const cmp = FnPtr.from(1024n, Compare);
const r: number = cmp(1n, 2n);
void r;
cmp(1, 2); // safe-integer numbers are accepted for pointers
// @ts-expect-error a string is not a pointer
cmp('a', 2n);
// @ts-expect-error too few arguments
cmp(1n);
// @ts-expect-error the result is a number, not a string
const wrong: string = cmp(1n, 2n);
void wrong;
// .async: the same arguments, the result as a Promise.
const later: Promise<number> = cmp.async(1n, 2n);
void later;
// @ts-expect-error the async call's arguments are typed as the call's
void cmp.async('a', 2n);
// @ts-expect-error its result is a Promise of a number
const notAwaited: number = cmp.async(1n, 2n);
void notAwaited;

const libc = Library.open('libc.so.6');
const strlen = libc.fn('strlen', sig(t.usize, [t.cstring]));
const len: bigint = strlen('abc');
void len;
// @ts-expect-error a cstring argument is a string or null
strlen(42);

// memory: read results typed by the type.
const i: number = memory.read(t.i32, 8n);
const p: bigint = memory.read(t.pointer, 8n);
const s: string | null = memory.read(t.cstring, 8n);
void [i, p, s];
// @ts-expect-error void cannot be read
memory.read(t.void, 8n);
// @ts-expect-error a cstring cannot be written
memory.write(t.cstring, 8n, 'x');
// @ts-expect-error an i32 is written from a number
memory.write(t.i32, 8n, 1n);

// sig: types must be members of t.
// @ts-expect-error a string is not a type
sig('i32', []);
// @ts-expect-error unknown calling convention
sig(t.void, [], { abi: 'pascal' });

// Helper types are usable on their own.
type Cb = Callback<typeof Compare>;
const cb: Cb = (a, b) => Number(a + b);
void cb;
const v: JsValue<'f32'> = 1.5;
void v;

// `using` disposes at the end of the block.
{
  using disposable = new BareFn(Compare, () => 0);
  void disposable.address;
}

// Threading modes are part of the handle's type: an API can demand a pointer that may be called
// from any thread.
declare function registerAudioCallback(cb: BareFn<Signature, 'blocking' | 'nonblocking'>): void;
const Tick = sig(t.void, [t.u32]);
registerAudioCallback(new BareFn(Tick, () => {}, { threading: 'blocking' }));
registerAudioCallback(new BareFn(Tick, () => {}, { threading: 'nonblocking' }));
// @ts-expect-error a 'local' BareFn (the default) may only be called on its own thread
registerAudioCallback(new BareFn(Tick, () => {}));
const blockingFn: BareFn<typeof Tick, 'blocking'> = new BareFn(Tick, () => {}, { threading: 'blocking', timeoutMs: 100 });
void blockingFn;
// @ts-expect-error 'nonblocking' needs a void signature: nobody waits for the result
new BareFn(Compare, () => 0, { threading: 'nonblocking' });
// @ts-expect-error timeoutMs is only for 'blocking'
new BareFn(Tick, () => {}, { threading: 'nonblocking', timeoutMs: 5 });
// A 'blocking' callback may return a Promise of its value: callers on other threads wait for it.
new BareFn(Compare, async () => 0, { threading: 'blocking', settleTimeoutMs: 1000 });
new BareFn(sig(t.cstring, [t.u32]), async (n) => `${n}`, { threading: 'blocking' });
// @ts-expect-error a 'local' one must return the value itself
new BareFn(Compare, async () => 0);
// @ts-expect-error a Promise of the wrong value
new BareFn(Compare, async () => 'zero', { threading: 'blocking' });
// A void callback may be async in every mode (a rejection is reported like a throw).
new BareFn(Tick, async () => {});
new BareFn(Tick, async () => {}, { threading: 'nonblocking' });

// Structs: memory.read infers the JS shape, memory.write checks it.
const Point = t.struct({ x: t.f64, y: t.f64 });
const Rect = t.struct({ origin: Point, size: Point });
const Named = t.struct({ len: t.u8, text: t.array(t.u8, 15), ids: t.array(t.u64, 2), flags: t.array(t.bool, 2) });
const rect = memory.read(Rect, 1n);
const rx: number = rect.origin.x;
void rx;
// @ts-expect-error no field z
void rect.origin.z;
const named = memory.read(Named, 1n);
const namedChecks: [number, Uint8Array, BigUint64Array, boolean[]] = [named.len, named.text, named.ids, named.flags];
void namedChecks;
memory.write(Rect, 1n, { origin: { x: 1, y: 2 }, size: { x: 3, y: 4 } });
// @ts-expect-error a field of the wrong type
memory.write(Point, 1n, { x: 1, y: 'two' });
// @ts-expect-error a missing field
memory.write(Point, 1n, { x: 1 });
memory.write(Named, 1n, { len: 1, text: [1, 2], ids: new BigUint64Array(2), flags: [true, false] });
const offset: number = t.offsetof(Rect, 'size');
void offset;
// @ts-expect-error not a field of Rect
t.offsetof(Rect, 'width');
using pointBlock = memory.alloc(Point);
const blockType: typeof Point = pointBlock.type;
void blockType;

// Structs by value: callback parameters are typed objects, results are checked.
const Pt = t.struct({ x: t.f64, y: t.f64 });
const Scale = sig(Pt, [Pt, t.i32]);
new BareFn(Scale, (p, n) => ({ x: p.x * n, y: p.y }));
// @ts-expect-error a field of a struct argument that does not exist
new BareFn(Scale, (p) => ({ x: p.z, y: p.y }));
// @ts-expect-error a returned struct with a field of the wrong type
new BareFn(Scale, (p) => ({ x: 'one', y: p.y }));
// @ts-expect-error a returned struct missing a field
new BareFn(Scale, (p) => ({ x: p.x }));
// @ts-expect-error a returned struct with a misspelt field (y missing)
new BareFn(Scale, (p) => ({ x: p.x, why: p.y }));
// An extra field beside all the right ones is not a compile error (TypeScript does not check
// excess properties of a returned literal); it is an error of the call at run time.
new BareFn(Scale, (p) => ({ x: p.x, y: p.y, z: 0 }));
const scaleFn = FnPtr.from(1n, Scale);
const scaled: { x: number; y: number } = scaleFn({ x: 1, y: 2 }, 3);
void scaled;
const scaledLater: Promise<{ x: number; y: number }> = scaleFn.async({ x: 1, y: 2 }, 3);
void scaledLater;
// @ts-expect-error an FnPtr struct argument missing a field
scaleFn({ x: 1 }, 3);
// @ts-expect-error arrays are not passed by value
sig(t.void, [t.array(t.u8, 4)]);

// Variadic functions: the fixed arguments typed, then type/value pairs (checked at run time).
const Printf = sig(t.i32, [t.cstring], { variadic: true });
const printf = FnPtr.from(1n, Printf);
const printed: number = printf('%d %f', t.i32, 1, t.f64, 2.5);
void printed;
// @ts-expect-error the fixed arguments are typed
printf(42);
// @ts-expect-error a BareFn cannot be variadic
new BareFn(Printf, () => 0);

// C declarations: TypeScript reads the literal and types the callback and the caller.
const CCompare = sig.c('int (*)(const void *, const void *)');
new BareFn(CCompare, (a, b) => {
  const x: bigint = a;
  const y: bigint = b;
  return Number(x - y);
});
// @ts-expect-error the callback returns an int
new BareFn(CCompare, () => 'less');
const cStrcmp = libc.fn('int strcmp(const char *a, const char *b)');
const cOrder: number = cStrcmp('a', 'b');
void cOrder;
// @ts-expect-error const char * is a string
cStrcmp(1n, 'b');
// A prototype with a function pointer parameter keeps its types.
const cQsort = libc.fn('void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void *))');
cQsort(new Int32Array(4), 4n, 4n, new BareFn(CCompare, () => 0).address);
// ...and takes a BareFn of the comparator's signature itself, in any threading mode, not another.
cQsort(new Int32Array(4), 4n, 4n, new BareFn(CCompare, () => 0));
void cQsort.async(new Int32Array(4), 4n, 4n, new BareFn(CCompare, () => 0, { threading: 'blocking' }));
// @ts-expect-error a BareFn of another signature
cQsort(new Int32Array(4), 4n, 4n, new BareFn(sig(t.i32, [t.i32]), (x) => x));
// @ts-expect-error a plain pointer parameter takes no BareFn
libc.fn('void *memset(void *s, int c, size_t n)')(new BareFn(CCompare, () => 0), 0, 4n);
// @ts-expect-error nmemb is a size_t
cQsort(new Int32Array(4), 'four', 4n, 0n);
// A declaration held in a string variable is the general signature.
const declared: string = 'int abs(int)';
const general = libc.fn(declared);
general(1);
// A pointer argument takes an address, the bytes of a buffer, or null.
const cMemset = libc.fn('void *memset(void *s, int c, size_t n)');
cMemset(new Uint8Array(4), 0, 4n);
cMemset(Buffer.alloc(4), 0, 4n);
cMemset(new DataView(new ArrayBuffer(4)), 0, 4n);
cMemset(null, 0, 0n);
// @ts-expect-error not a string
cMemset('four', 0, 4n);
const cStrchr = libc.fn('const char *strchr(const char *s, int c)');
const cFound: string | null = cStrchr('abc', 98);
void cFound;
const CScale = sig.c('Pt scale(Pt p, double k)', { Pt });
new BareFn(CScale, (p, k) => ({ x: p.x * k, y: p.y }));
const cPrintf = libc.fn('int printf(const char *format, ...)');
cPrintf('%d', t.i32, 1);

// What TypeScript reads of a C declaration is what the parser gives, or the general Signature
// where it cannot follow (never a guess): a table, each compared exactly.
type Same<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
type Reads<D extends string> = CSignature<D>;
type Compar = FunctionPointer<Signature<Type<'i32'>, [Type<'pointer'>, Type<'pointer'>], false>>;
const cReadings: [
  // Function pointer parameters are pointers that take a BareFn of their own signature; array
  // parameters are pointers.
  Same<Reads<'void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void *))'>, Signature<Type<'void'>, [Type<'pointer'>, Type<'usize'>, Type<'usize'>, Compar], false>>,
  Same<Reads<'int atexit(void (*function)(void))'>, Signature<Type<'i32'>, [FunctionPointer<Signature<Type<'void'>, [], false>>], false>>,
  Same<Reads<'int pipe(int pipefd[2])'>, Signature<Type<'i32'>, [Type<'pointer'>], false>>,
  Same<Reads<'int sqlite3_exec(sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **), void *arg, char **errmsg)'>, Signature<Type<'i32'>, [Type<'pointer'>, Type<'cstring'>, FunctionPointer<Signature<Type<'i32'>, [Type<'pointer'>, Type<'i32'>, Type<'pointer'>, Type<'pointer'>], false>>, Type<'pointer'>, Type<'pointer'>], false>>,
  Same<Reads<'void f(void (__stdcall *cb)(int (*inner)(void), int), ...)'>, Signature<Type<'void'>, [FunctionPointer<Signature<Type<'void'>, [FunctionPointer<Signature<Type<'i32'>, [], false>>, Type<'i32'>], false>>], true>>,
  Same<Reads<'int f(int (*)(int)'>, Signature>,
  Same<Reads<'const char **f(void)'>, Signature<Type<'pointer'>, [], false>>,
  Same<Reads<'const char *const *f(void)'>, Signature<Type<'pointer'>, [], false>>,
  Same<Reads<'extern const char *gnu_get_libc_version(void);'>, Signature<Type<'cstring'>, [], false>>,
  Same<Reads<'volatile const char *f(void)'>, Signature<Type<'cstring'>, [], false>>,
  Same<Reads<'int f(const\tchar *s, char *buf, FILE *stream)'>, Signature<Type<'i32'>, [Type<'cstring'>, Type<'pointer'>, Type<'pointer'>], false>>,
  Same<Reads<'  unsigned\tlong long\n(*  handler )( int , double ) '>, Signature<Type<'u64'>, [Type<'i32'>, Type<'f64'>], false>>,
  Same<Reads<'int printf(const char *format, ...)'>, Signature<Type<'i32'>, [Type<'cstring'>], true>>,
  Same<Reads<'int f(strng s)'>, Signature>,
  Same<Reads<'pid_t getpid(void)'>, Signature<Type<'i32'>, [], false>>,
  Same<Reads<'size_t f(uint_least8_t a, char16_t b, HANDLE h, LPCSTR s)'>, Signature<Type<'usize'>, [Type<'u8'>, Type<'u16'>, Type<'pointer'>, Type<'cstring'>], false>>,
  // A platform's choice is either name, as for long.
  Same<Reads<'time_t time(time_t *t)'>, Signature<Type<'i32' | 'i64'>, [Type<'pointer'>], false>>,
  Same<CSignature<'XML_Status f(XML_Parser p, XML_Handler h)', { XML_Status: Type<'i32'>; XML_Parser: Type<'pointer'>; XML_Handler: Signature }>, Signature<Type<'i32'>, [Type<'pointer'>, FunctionPointer<Signature>], false>>,
  // Wide strings: const pointers to char16_t, char32_t, wchar_t (either, by platform) and WCHAR.
  Same<Reads<'const char16_t *f(const char32_t *a, char16_t *b, const wchar_t *c, LPCWSTR d, const WCHAR *e)'>, Signature<Type<'cstring16'>, [Type<'cstring32'>, Type<'pointer'>, Type<'cstring16' | 'cstring32'>, Type<'cstring16' | 'cstring32'>, Type<'cstring16'>], false>>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];
void cReadings;
// @ts-expect-error a bare name is not a declaration: give the signature
libc.fn('strcmp');

// A union reads as every field, and is written (and returned by a callback) as exactly one.
const Value = t.union({ i: t.i32, f: t.f32, big: t.i64 });
const ValueFn = sig(Value, [Value]);
new BareFn(ValueFn, (v) => {
  const i: number = v.i;
  const big: bigint = v.big;
  return i > 0 ? { f: v.f } : { big: big + 1n };
});
// @ts-expect-error a union value sets exactly one field
new BareFn(ValueFn, (v) => ({ i: v.i, f: v.f }));
declare const valueAt: bigint;
memory.write(Value, valueAt, { big: 1 });
// @ts-expect-error not a field
memory.write(Value, valueAt, { d: 1 });

// A literal cdef block is read too: its typedefs type what follows them (a char typedef's const
// pointer is a string), its function pointer typedefs are signatures, its numbers numbers, each
// prototype of lib.cdef a function of its signature; what the reader does not follow is any, and
// a name the block does not define is an error.
declare const expat: Library;
const xp = expat.cdef(`
/* expat.h, abridged */
#define XMLCALL
#define XMLPARSEAPI_EXTERN extern
typedef struct XML_ParserStruct *XML_Parser;
typedef char XML_Char;
typedef unsigned char XML_Bool;
typedef void(XMLCALL *XML_EndElementHandler)(void *userData, const XML_Char *name); // a comment
XMLPARSEAPI_EXTERN XML_Parser XMLCALL XML_ParserCreate(const XML_Char *encoding);
void XMLCALL XML_SetEndElementHandler(XML_Parser parser, XML_EndElementHandler end);
XML_Bool XML_StopParser(XML_Parser parser, XML_Bool resumable);
#define XML_MAJOR_VERSION 2
enum XML_Status { XML_STATUS_ERROR = 0, XML_STATUS_OK = 1 };
typedef struct { int a; } Anon, *PAnon;
enum XML_Status XMLCALL XML_Parse(XML_Parser parser, const char *s, int len, int isFinal);
struct XML_ParserStruct *XML_Other(void);
int (*fp_as_function)(int);
`);
const xpReadings: [
  Same<typeof xp.XML_Parser, Type<'pointer'>>,
  Same<typeof xp.XML_EndElementHandler, Signature<Type<'void'>, [Type<'pointer'>, Type<'cstring'>], false>>,
  Same<typeof xp.XML_ParserCreate, FnPtr<Signature<Type<'pointer'>, [Type<'cstring'>], false>>>,
  Same<typeof xp.XML_StopParser, FnPtr<Signature<Type<'u8'>, [Type<'pointer'>, Type<'u8'>], false>>>,
  Same<typeof xp.XML_MAJOR_VERSION, number>,
  Same<typeof xp.XML_STATUS_OK, any>,
  Same<(typeof xp)['enum XML_Status'], any>,
  Same<typeof xp.PAnon, any>,
  // A prototype after an enum or a struct keyword is a function; so is a function pointer
  // declarator (the parser reads it as one), by its name.
  Same<typeof xp.XML_Parse, any>,
  Same<typeof xp.XML_Other, FnPtr<Signature<Type<'pointer'>, [], false>>>,
  Same<typeof xp.fp_as_function, FnPtr<Signature<Type<'i32'>, [Type<'i32'>], false>>>,
] = [true, true, true, true, true, true, true, true, true, true, true];
void xpReadings;
const xpParser: bigint = xp.XML_ParserCreate('UTF-8');
using xpEnd = new BareFn(xp.XML_EndElementHandler, (_user, name) => void (name satisfies string | null));
xp.XML_SetEndElementHandler(xpParser, xpEnd);
// @ts-expect-error not defined in the block
void xp.XML_Nothing;
// A block held in a string variable is the loose record.
declare const someHeader: string;
const loose = expat.cdef(someHeader);
loose.anything(1, 2);
