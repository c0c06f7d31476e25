// A user's TypeScript program, run against the installed tarballs by packaging.test.ts: libc
// qsort with a TypeScript comparator as a bare function pointer.
import { BareFn, Library, memory, sig, t } from 'bare-fn';

// The project has no @types/node (installs are offline): bare-fn's types must not need it.
declare const console: { log(message: string): void };
declare const process: { platform: string };

const C_LIBRARY: Record<string, string> = { win32: 'msvcrt.dll', darwin: '/usr/lib/libSystem.B.dylib' };
const libc = Library.open(C_LIBRARY[process.platform] ?? 'libc.so.6');
const qsort = libc.fn('qsort', sig(t.void, [t.pointer, t.usize, t.usize, t.pointer]));
const values = Int32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
{
  using compare = new BareFn(sig(t.i32, [t.pointer, t.pointer]), (a, b) => memory.read(t.i32, a) - memory.read(t.i32, b));
  qsort(memory.addressOf(values), BigInt(values.length), 4n, compare.address);
}
const sorted = values.every((v, i) => v === i);
console.log(`sorted: ${sorted}`);
