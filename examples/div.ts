// C functions that take and return structs by value, from the C library: div and lldiv return
// a div_t / lldiv_t ({ quot, rem }), inet_ntoa takes a struct in_addr (POSIX; Windows: the
// Universal C Runtime, whose msvcrt.dll predecessor has no lldiv). Run: npm run
// example:div -- 17 5
import { Library, sig, t } from '../src/index.js';

const libcPath = { win32: 'ucrtbase.dll', darwin: '/usr/lib/libSystem.B.dylib' }[process.platform as string] ?? 'libc.so.6';
const libc = Library.open(libcPath);

// typedef struct { int quot; int rem; } div_t;  typedef struct { long long quot, rem; } lldiv_t;
const Div = t.struct({ quot: t.i32, rem: t.i32 });
const LLDiv = t.struct({ quot: t.i64, rem: t.i64 });
const div = libc.fn('div', sig(Div, [t.i32, t.i32]));
const lldiv = libc.fn('lldiv', sig(LLDiv, [t.i64, t.i64]));

const [a = 17, b = 5] = process.argv.slice(2).map(Number);
const small = div(a, b); // TypeScript knows: { quot: number; rem: number }
console.log(`div(${a}, ${b}) = ${small.quot} rem ${small.rem}`);
const wide = BigInt(a) * 10n ** 12n + 3n;
const big = lldiv(wide, BigInt(b)); // { quot: bigint; rem: bigint }
console.log(`lldiv(${wide}, ${b}) = ${big.quot} rem ${big.rem}`);

// struct in_addr { uint32_t s_addr; } in network byte order, passed by value.
if (process.platform !== 'win32') {
  const InAddr = t.struct({ s_addr: t.u32 });
  const inet_ntoa = libc.fn('inet_ntoa', sig(t.cstring, [InAddr]));
  const address = new DataView(new Uint8Array([192, 168, a & 255, b & 255]).buffer).getUint32(0, true);
  console.log(`inet_ntoa = ${inet_ntoa({ s_addr: address })}`);
}
libc.close();
