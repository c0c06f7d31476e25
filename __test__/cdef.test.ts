// cdef and lib.cdef: blocks of C declarations as headers write them (excerpts of zlib.h and
// expat.h verbatim: typedefs, struct and enum definitions, #defines, forward declarations,
// macros), read into types and constants and called in the system's libraries.
import test from 'ava';

import { BareFn, cdef, Library, memory, sig, t, type StructType } from '../src/index.js';

/** Plain char: unsigned on Linux for Arm. */
const charType = () => (process.platform === 'linux' && process.arch === 'arm64' ? t.u8 : t.i8);

test('typedefs, struct and enum definitions, #define constants and arrays sized by them', (tt) => {
  const h = cdef(`
    #include <stdint.h>   /* skipped, as every directive but #define */
    #define NAME_MAX 15
    #define FLAGS (1 << 4 | 0x3)   // C's precedence
    #define NEGATIVE -(2)
    #define VERSION "1.0"          /* not an integer: ignored */
    enum Color { RED, GREEN = 5, BLUE };
    enum Small : uint8_t { ONE = 1 };
    typedef uint32_t Id, *IdList;
    typedef struct Node {
      Id id;
      char name[NAME_MAX + 1];
      double weights[2][3];
      struct Node *next;
      struct { int16_t a, b; } pair;
      enum Color color;
      void (*visit)(struct Node *node, void *data);
      const char *label;       /* a pointer: a struct outlives any call */
    } Node;
    typedef int (*Compare)(const void *, const void *);
  `);
  tt.like(h, { NAME_MAX: 15, FLAGS: 19, NEGATIVE: -2, RED: 0, GREEN: 5, BLUE: 6, ONE: 1, Id: t.u32, IdList: t.pointer, 'enum Color': t.i32, 'enum Small': t.u8 });
  tt.false('VERSION' in h);
  const Node = h.Node as StructType;
  tt.is(h['struct Node'], Node);
  // The fields as t.struct would declare them (whose layouts structs.test.ts checks against gcc
  // on every platform), and on 64-bit targets gcc's offsets of this very struct.
  const written = t.struct({
    id: t.u32,
    name: t.array(charType(), 16),
    weights: t.array(t.array(t.f64, 3), 2),
    next: t.pointer,
    pair: t.struct({ a: t.i16, b: t.i16 }),
    color: t.i32,
    visit: t.pointer,
    label: t.pointer,
  });
  tt.is(Node.descriptor, written.descriptor);
  const offsets = (s: StructType) => Object.fromEntries(Object.keys(s.fields).map((name) => [name, t.offsetof(s, name as never)]));
  tt.deepEqual(offsets(Node), offsets(written));
  tt.is(t.sizeof(Node), t.sizeof(written));
  if (t.sizeof(t.pointer) === 8) tt.deepEqual(offsets(Node), { id: 0, name: 4, weights: 24, next: 72, pair: 80, color: 84, visit: 88, label: 96 });
  tt.is(String(h.Compare), '(pointer, pointer) -> i32');
  // An array typedef is a field's array and, as C adjusts it, a parameter's pointer.
  const named = cdef('typedef char Label[8];\nstruct Tagged { Label label; int n; };');
  tt.is((named['struct Tagged'] as StructType).descriptor, `{[${charType().name};8],i32}`);
  tt.is(String(sig.c('int f(Label l)', named)), '(pointer) -> i32');
  // Usable as the types of any declaration, and its function pointer typedefs as signatures.
  tt.is(String(sig.c('Id first(IdList ids, Compare cmp, enum Color c)', h)), '(pointer, pointer, i32) -> u32');
  using order = new BareFn(h.Compare as ReturnType<typeof sig.c<'int (*)(const void *, const void *)'>>, () => 0);
  tt.is(typeof order.address, 'bigint');
});

test('unions: tagged, typedef\'d, inside structs, by name in declarations; a struct where a union is named is an error', (tt) => {
  const h = cdef(`
    union Value { int i; float f; unsigned char bytes[8]; };
    typedef union { double d; long long l; } Wide;
    struct Tagged { unsigned char tag; union Value value; Wide wide; };
  `);
  const Value = h['union Value'] as StructType;
  tt.deepEqual([Value.union, Value.size, Value.align, Value.descriptor], [true, 8, 4, `<i32,f32,[u8;8]>`]);
  tt.deepEqual(Object.values(Value.offsets), [0, 0, 0]);
  tt.is((h.Wide as StructType).descriptor, '<f64,i64>');
  const Tagged = h['struct Tagged'] as StructType;
  tt.deepEqual([Tagged.descriptor, Tagged.offsets], ['{u8,<i32,f32,[u8;8]>,<f64,i64>}', { tag: 0, value: 4, wide: 16 }]);
  tt.is(String(sig.c('union Value f(Wide w, union Value *p)', h)), '(<f64,i64>, pointer) -> <i32,f32,[u8;8]>');
  tt.throws(() => sig.c('int f(union Point p)', { Point: t.struct({ x: t.f64 }) }), {
    instanceOf: TypeError,
    message: /^sig\.c: "union Point" must be a union: types\.Point is struct \{ x: f64 \}/,
  });
});

test('errors point at the line and column in the block', (tt) => {
  const fails = (block: string, message: string) => tt.throws(() => cdef(block), { instanceOf: TypeError, message });
  fails('typedef int A;\nstruct B { int x : 3; };', "cdef: bit-fields are not supported (their layout is the compiler's choice) at line 2, column 18:\n  struct B { int x : 3; };\n                   ^");
  fails('int counter;', 'cdef: a variable is not read (only types, constants and functions are: use lib.symbol for its address) at column 5:\n  int counter;\n      ^');
  fails('typedef struct { } Empty;', 'cdef: a struct needs at least one field at column 9:\n  typedef struct { } Empty;\n          ^');
  fails('typedef union { } Empty;', 'cdef: a union needs at least one field at column 9:\n  typedef union { } Empty;\n          ^');
  fails('#define N 0\nstruct S { char name[N]; };', 'cdef: an array size must be a positive integer; this one is 0 at line 2, column 22:\n  struct S { char name[N]; };\n                       ^');
  fails('struct P { int x; int x; };', 'cdef: field x is declared twice at column 23:\n  struct P { int x; int x; };\n                        ^');
  fails('typedef Missing M;', 'cdef: unknown type "Missing" (give it in the types argument: { Missing: t.… }) at column 9:\n  typedef Missing M;\n          ^');
  tt.throws(() => cdef(42 as never), { instanceOf: TypeError, message: 'cdef: the declarations must be a string; got 42' });
});

// The system's zlib and expat (glibc Linux x64, where both are part of the system this suite
// runs on), declared by excerpts of their headers as written.
const glibc = process.platform === 'linux' && (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime !== undefined;
const onLinuxX64 = glibc && process.arch === 'x64' ? test : undefined;

const ZLIB_H = `
typedef unsigned char  Byte;  /* 8 bits */
typedef unsigned int   uInt;  /* 16 bits or more */
typedef unsigned long  uLong; /* 32 bits or more */
typedef Byte  Bytef;
typedef void *voidpf;
typedef voidpf (*alloc_func) (voidpf opaque, uInt items, uInt size);
typedef void   (*free_func)  (voidpf opaque, voidpf address);
struct internal_state;
typedef struct z_stream_s {
    const Bytef *next_in;     /* next input byte */
    uInt     avail_in;  /* number of bytes available at next_in */
    uLong    total_in;  /* total number of input bytes read so far */
    Bytef    *next_out; /* next output byte will go here */
    uInt     avail_out; /* remaining free space at next_out */
    uLong    total_out; /* total number of bytes output so far */
    const char *msg;  /* last error message, NULL if no error */
    struct internal_state *state; /* not visible by applications */
    alloc_func zalloc;  /* used to allocate the internal state */
    free_func  zfree;   /* used to free the internal state */
    voidpf     opaque;  /* private data object passed to zalloc and zfree */
    int     data_type;  /* best guess about the data type: binary or text */
    uLong   adler;      /* Adler-32 or CRC-32 value of the uncompressed data */
    uLong   reserved;   /* reserved for future use */
} z_stream;
typedef z_stream *z_streamp;
#define Z_NO_FLUSH      0
#define Z_FINISH        4
#define Z_OK            0
#define Z_STREAM_END    1
#define Z_DEFAULT_COMPRESSION  (-1)
#define ZLIB_VERSION "1.2.13"
#define ZEXTERN extern
ZEXTERN const char * zlibVersion (void);
ZEXTERN int deflateInit_ (z_streamp strm, int level, const char *version, int stream_size);
ZEXTERN int deflate (z_streamp strm, int flush);
ZEXTERN int deflateEnd (z_streamp strm);
ZEXTERN uLong compressBound (uLong sourceLen);
`;

onLinuxX64?.("zlib's deflate through lib.cdef of zlib.h's own declarations, z_stream read and written as a struct", (tt) => {
  // deepBind: Node exports its own zlib's functions, which the system zlib's internal calls
  // would bind to otherwise (library-options.test.ts).
  using libz = Library.open('libz.so.1', { deepBind: true });
  const z = libz.cdef(ZLIB_H);
  const input = new TextEncoder().encode('cdef '.repeat(200));
  const bound = z.compressBound(BigInt(input.length)) as bigint;
  const output = new Uint8Array(Number(bound));
  using stream = memory.alloc(z.z_stream as StructType);
  tt.is(z.deflateInit_(stream.address, z.Z_DEFAULT_COMPRESSION, z.zlibVersion(), t.sizeof(z.z_stream as StructType)), z.Z_OK);
  const fields = memory.read(z.z_stream as StructType, stream.address) as Record<string, unknown>;
  memory.write(z.z_stream as StructType, stream.address, {
    ...fields,
    next_in: memory.addressOf(input),
    avail_in: input.length,
    next_out: memory.addressOf(output),
    avail_out: output.length,
  } as never);
  tt.is(z.deflate(stream.address, z.Z_FINISH), z.Z_STREAM_END);
  const total = Number(memory.read(t.u64, stream.address, t.offsetof(z.z_stream as StructType, 'total_out' as never)));
  tt.is(z.deflateEnd(stream.address), z.Z_OK);
  tt.true(total > 0 && total < 100, `${input.length} bytes deflated to ${total}`);
  // node:zlib reads what the system's zlib wrote.
  const { inflateSync } = require('node:zlib') as typeof import('node:zlib');
  tt.deepEqual(new Uint8Array(inflateSync(output.subarray(0, total))), input);
});

const EXPAT_H = `
#define XMLCALL
#define XMLPARSEAPI_EXTERN extern
typedef struct XML_ParserStruct *XML_Parser;
typedef char XML_Char;
typedef unsigned char XML_Bool;
enum XML_Status {
  XML_STATUS_ERROR = 0,
#define XML_STATUS_ERROR XML_STATUS_ERROR
  XML_STATUS_OK = 1,
#define XML_STATUS_OK XML_STATUS_OK
  XML_STATUS_SUSPENDED = 2
#define XML_STATUS_SUSPENDED XML_STATUS_SUSPENDED
};
typedef void(XMLCALL *XML_StartElementHandler)(void *userData, const XML_Char *name,
                                               const XML_Char **atts);
typedef void(XMLCALL *XML_EndElementHandler)(void *userData, const XML_Char *name);
XMLPARSEAPI_EXTERN XML_Parser XMLCALL XML_ParserCreate(const XML_Char *encoding);
XMLPARSEAPI_EXTERN void XMLCALL XML_SetElementHandler(XML_Parser parser, XML_StartElementHandler start,
                      XML_EndElementHandler end);
XMLPARSEAPI_EXTERN enum XML_Status XMLCALL XML_Parse(XML_Parser parser, const char *s, int len, int isFinal);
XMLPARSEAPI_EXTERN void XMLCALL XML_ParserFree(XML_Parser parser);
`;

onLinuxX64?.("expat parses a document through lib.cdef, its handlers BareFns of expat.h's handler typedefs", (tt) => {
  using expat = Library.open('libexpat.so.1');
  const x = expat.cdef(EXPAT_H);
  const seen: string[] = [];
  // TypeScript reads the literal block too: the handlers' parameters are inferred from expat.h's
  // typedefs (a const XML_Char * is a string: XML_Char is char).
  using start = new BareFn(x.XML_StartElementHandler, (_user, name, atts) => {
    const first = memory.read(t.pointer, atts);
    seen.push(`<${name}${first === 0n ? '' : ` ${memory.readCString(first)}`}>`);
  });
  using end = new BareFn(x.XML_EndElementHandler, (_user, name) => void seen.push(`</${name}>`));
  tt.is(String(x.XML_StartElementHandler), '(pointer, cstring, pointer) -> void', 'const XML_Char * is a C string: XML_Char is char');
  const parser = x.XML_ParserCreate('UTF-8');
  // A parameter of a handler typedef takes the BareFn itself (checked against the typedef).
  x.XML_SetElementHandler(parser, start, end);
  tt.throws(() => x.XML_SetElementHandler(parser, end as never, start as never), { instanceOf: TypeError, message: /argument 1 is a function pointer called as \(pointer, cstring, pointer\) -> void; got a BareFn of \(pointer, cstring\) -> void$/ });
  const doc = '<list kind="a"><item/><item>x</item></list>';
  tt.is(x.XML_Parse(parser, doc, Buffer.byteLength(doc), 1), x.XML_STATUS_OK);
  x.XML_ParserFree(parser);
  tt.deepEqual(seen, ['<list kind>', '<item>', '</item>', '<item>', '</item>', '</list>']);
});

const SQLITE3_H = `
#define SQLITE_API
typedef struct sqlite3 sqlite3;
SQLITE_API int sqlite3_open(
  const char *filename,   /* Database filename (UTF-8) */
  sqlite3 **ppDb          /* OUT: SQLite db handle */
);
SQLITE_API int sqlite3_close(sqlite3*);
typedef int (*sqlite3_callback)(void*,int,char**, char**);
SQLITE_API int sqlite3_exec(
  sqlite3*,                                  /* An open database */
  const char *sql,                           /* SQL to be evaluated */
  int (*callback)(void*,int,char**,char**),  /* Callback function */
  void *,                                    /* 1st argument to callback */
  char **errmsg                              /* Error msg written here */
);
SQLITE_API void sqlite3_free(void*);
#define SQLITE_OK           0   /* Successful result */
#define SQLITE_ABORT        4   /* Callback routine requested an abort */
`;

onLinuxX64?.("SQLite's sqlite3_exec through lib.cdef: rows to a BareFn of sqlite3.h's callback typedef, an abort, the error message", (tt) => {
  using sqlite = Library.open('libsqlite3.so.0');
  const s = sqlite.cdef(SQLITE3_H);
  tt.throws(() => cdef('typedef struct sqlite3 sqlite3;\nint f(sqlite3 db);'), { instanceOf: TypeError, message: /^cdef: "sqlite3" is an incomplete struct: only a pointer to it can be passed at line 2, column 7/ });
  const out = new BigUint64Array(1);
  tt.is(s.sqlite3_open(':memory:', out), s.SQLITE_OK);
  const db = out[0]!;
  const rows: string[] = [];
  using onRow = new BareFn(s.sqlite3_callback, ((_arg: bigint, n: number, values: bigint, names: bigint) => {
    const read = (array: bigint, i: number) => memory.readCString(memory.read(t.pointer, array, i * t.sizeof(t.pointer)));
    rows.push(Array.from({ length: n }, (_, i) => `${read(names, i)}=${read(values, i)}`).join(' '));
    return rows.length < 2 ? 0 : 1; // the third row aborts
  }) as never);
  const sql = "create table t(a, b); insert into t values (1, 'one'), (2, 'two'), (3, 'three'); select * from t;";
  const error = new BigUint64Array(1);
  tt.is(s.sqlite3_exec(db, sql, onRow, null, error), s.SQLITE_ABORT);
  tt.deepEqual(rows, ['a=1 b=one', 'a=2 b=two']);
  tt.is(memory.readCString(error[0]!), 'query aborted');
  s.sqlite3_free(error[0]!);
  tt.is(s.sqlite3_close(db), s.SQLITE_OK);
});
