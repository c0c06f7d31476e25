// Child process of bench/cases/live.ts: creates up to COUNT live callbacks of one contender
// without releasing them, then prints how many it reached and the memory they took:
// - resident memory (RSS) in all, JS heap included;
// - native memory, outside the JS heap: bytes allocated by malloc and not freed (glibc's
//   mallinfo2, called through koffi; Node-API's references and finalizers, the addons' own
//   state, V8's and Node's bookkeeping) plus the resident bytes of shared-memory mappings, where
//   jit-allocator keeps bare-fn's executable thunks (mapped twice from one shared-memory file;
//   the writable view, through which every thunk is written, counts each page once). Measured
//   this way, not as RSS less the JS heap: V8's resident heap pages are not all in its
//   statistics, and that difference moved by 50 bytes a callback from run to run.
import fs from 'node:fs';

import koffi from 'koffi';

import { BareFn, sig, t } from 'bare-fn';

import { floor } from '../floor.js';

const [contender, countText] = process.argv.slice(2);
const count = Number(countText);
const keep: unknown[] = [];

const MallInfo2 = koffi.struct('bench_mallinfo2', {
  arena: 'size_t',
  ordblks: 'size_t',
  smblks: 'size_t',
  hblks: 'size_t',
  hblkhd: 'size_t',
  usmblks: 'size_t',
  fsmblks: 'size_t',
  uordblks: 'size_t',
  fordblks: 'size_t',
  keepcost: 'size_t',
});
const mallinfo2 = koffi.load('libc.so.6').func('mallinfo2', MallInfo2, []) as () => { uordblks: number | bigint; hblkhd: number | bigint };

/** Bytes allocated by malloc and not freed: small blocks in the arenas, and mmap'ed ones. */
function mallocInUse(): number {
  const info = mallinfo2();
  return Number(info.uordblks) + Number(info.hblkhd);
}

/** Resident bytes of writable shared mappings (see above). */
function sharedWritable(): number {
  let total = 0;
  let counted = false;
  for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ (\S+) /.exec(line);
    if (mapping) counted = mapping[1] === 'rw-s';
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && counted) total += Number(rss[1]) * 1024;
  }
  return total;
}

const settle = () => {
  globalThis.gc?.();
  globalThis.gc?.();
  return { rss: process.memoryUsage().rss, native: mallocInUse() + sharedWritable() };
};

const before = settle();
let reached = 0;
let stopped: string | undefined;
const S = sig(t.i32, [t.i32, t.i32]);
const KProto = koffi.pointer(koffi.proto('int32_t KLive(int32_t, int32_t)'));
type F = (a: number, b: number) => number;
const create =
  contender === 'bare-fn' ? (f: F) => new BareFn(S, f) : contender === 'floor' ? (f: F) => floor.benchFloorLive(f) : (f: F) => koffi.register(f, KProto);
try {
  for (; reached < count; reached++) {
    const i = reached;
    // Inline, not bound to a name: tsx keeps function names by defining `name` on each closure,
    // which costs about 300 bytes per closure here (tsc output does not).
    keep.push(create((a: number, b: number) => a + b + i));
  }
} catch (error) {
  stopped = (error as Error).message;
}
// Measured once the task has ended: what is done then for callbacks that outlive it (bare-fn's
// leak watch) counts too.
setTimeout(() => {
  const after = settle();
  const each = (bytes: number) => bytes / Math.max(1, reached);
  console.log(JSON.stringify({ reached, bytesEach: each(after.rss - before.rss), nativeEach: each(after.native - before.native), stopped }));
}, 100);
