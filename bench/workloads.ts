// What the create + dispose and qsort measurements share between the timed cases (cases/) and the
// instruction counts (instructions-child.ts), so both measure the same code.
import koffi from 'koffi';

import { BareFn, Library, memory, sig, t } from 'bare-fn';

import { floor } from './floor.js';

/** One create + dispose pair of each contender, for the i-th distinct closure (each contender
 * also creates the closure, so that cost is in every row). The closures are inline: tsx keeps
 * function names by defining `name` on each named closure, a cost tsc output does not have. */
export function createDisposePairs(): Record<'floor' | 'bare-fn' | 'koffi', (i: number) => void> {
  const S = sig(t.i32, [t.i32, t.i32]);
  const KProto = koffi.pointer(koffi.proto('int32_t KLife(int32_t, int32_t)'));
  return {
    floor: (i) => floor.benchFloorRefPair((a: number, b: number) => a + b + i),
    'bare-fn': (i) => new BareFn(S, (a, b) => a + b + i).dispose(),
    koffi: (i) => koffi.unregister(koffi.register((a: number, b: number) => a + b + i, KProto)),
  };
}

/** The ordering every qsort contender uses. Not a - b: with random int32 that overflows the i32
 * result (bare-fn reports it as an error). */
export const order = (x: number, y: number): number => (x < y ? -1 : x > y ? 1 : 0);


/** A C function of the JS -> native case, called `n` times by each contender's loop. */
export interface CallWorkload {
  id: string;
  /** the C declaration, as the titles show it */
  title: string;
  /** loops by contender (those that can make the call): each makes `n` calls and returns a
   * checksum, the same for every contender */
  loops: Record<string, (n: number) => number>;
  /** why a contender cannot make the call */
  cannot: Record<string, string>;
}

/** Loops made so far: each one's source is numbered. */
let loops = 0;

/** A loop of its own for each contender: `body` is the expression summed, calling `f`. Its source
 * is made unique by a comment: V8 caches what it compiles by source text, and loops of the same
 * text shared their feedback, so that the first contender's call site was fast and every later
 * one's polymorphic (a Node-API function called through it took twice as long). */
function loop(f: unknown, body: string, context: Record<string, unknown> = {}): (n: number) => number {
  const names = Object.keys(context);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function('f', ...names, `/* loop ${loops++} */ return (n) => { let s = 0; for (let i = 0; i < n; i++) s += ${body}; return s; };`);
  return make(f, ...names.map((name) => context[name])) as (n: number) => number;
}

const WORDS = ['12345', '-42', '7', '  1000', '99999', '0', '31', '-8'];

/** node:ffi's module, where the running Node has it (Node >= 26 with --experimental-ffi). */
function nodeFfi(): { dlopen(path: string, definitions: Record<string, { return: string; arguments: string[] }>): { functions: Record<string, (...args: unknown[]) => unknown> } } | undefined {
  try {
    return process.execArgv.includes('--experimental-ffi') ? (require('node:ffi') as never) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The JS -> native calls: libc's abs, atoi, fma (libm), memset, div (a struct result), snprintf
 * (variadic) and strcmp declared as a C prototype, each by the Node-API floor (a hand-written
 * function making the same C call, crates/bench-floor), bare-fn, koffi and node:ffi.
 */
export function callWorkloads(): CallWorkload[] {
  const libcPath = 'libc.so.6';
  const libmPath = 'libm.so.6';
  const libc = Library.open(libcPath);
  const libm = Library.open(libmPath);
  const kc = koffi.load(libcPath);
  const km = koffi.load(libmPath);
  const ffi = nodeFfi();
  const fc = ffi?.dlopen(libcPath, {
    abs: { return: 'i32', arguments: ['i32'] },
    atoi: { return: 'i32', arguments: ['string'] },
    memset: { return: 'pointer', arguments: ['pointer', 'i32', 'u64'] },
    strcmp: { return: 'i32', arguments: ['string', 'string'] },
  }).functions;
  const fm = ffi?.dlopen(libmPath, { fma: { return: 'f64', arguments: ['f64', 'f64', 'f64'] } }).functions;
  const noFfi = ffi ? undefined : 'needs Node >= 26 with --experimental-ffi (measured in its own table)';
  const block = new Uint8Array(16);
  const at = memory.addressOf(block);
  const Div = t.struct({ quot: t.i32, rem: t.i32 });
  koffi.struct('BenchDiv', { quot: 'int', rem: 'int' });
  const text = Buffer.alloc(32);
  const textAt = memory.addressOf(text);
  const workloads: CallWorkload[] = [
    {
      id: 'abs',
      title: 'abs(int)',
      loops: {
        'Node-API floor': loop(floor.floorAbs, 'f((i & 1023) - 512)'),
        'bare-fn': loop(libc.fn('abs', sig(t.i32, [t.i32])), 'f((i & 1023) - 512)'),
        koffi: loop(kc.func('int abs(int)'), 'f((i & 1023) - 512)'),
        ...(fc && { 'node:ffi': loop(fc.abs, 'f((i & 1023) - 512)') }),
      },
      cannot: {},
    },
    {
      id: 'atoi',
      title: 'atoi(const char *)',
      loops: {
        'Node-API floor': loop(floor.floorAtoi, 'f(W[i & 7])', { W: WORDS }),
        'bare-fn': loop(libc.fn('atoi', sig(t.i32, [t.cstring])), 'f(W[i & 7])', { W: WORDS }),
        koffi: loop(kc.func('int atoi(const char *)'), 'f(W[i & 7])', { W: WORDS }),
        ...(fc && { 'node:ffi': loop(fc.atoi, 'f(W[i & 7])', { W: WORDS }) }),
      },
      cannot: {},
    },
    {
      id: 'fma',
      title: 'fma(double, double, double)',
      loops: {
        'Node-API floor': loop(floor.floorFma, 'f(i, 2, 0.5)'),
        'bare-fn': loop(libm.fn('fma', sig(t.f64, [t.f64, t.f64, t.f64])), 'f(i, 2, 0.5)'),
        koffi: loop(km.func('double fma(double, double, double)'), 'f(i, 2, 0.5)'),
        ...(fm && { 'node:ffi': loop(fm.fma, 'f(i, 2, 0.5)') }),
      },
      cannot: {},
    },
    {
      id: 'memset',
      title: 'memset(void *, int, size_t), a pointer argument and result',
      loops: {
        'Node-API floor': loop(floor.floorMemset, '(f(p, i & 255, 16n) === p ? 1 : 0)', { p: at }),
        'bare-fn': loop(libc.fn('memset', sig(t.pointer, [t.pointer, t.i32, t.usize])), '(f(p, i & 255, 16n) === p ? 1 : 0)', { p: at }),
        // koffi returns a pointer as an External object, not comparable with the address.
        koffi: loop(kc.func('void *memset(void *, int, size_t)'), '(f(p, i & 255, 16n) !== null ? 1 : 0)', { p: at }),
        ...(fc && { 'node:ffi': loop(fc.memset, '(f(p, i & 255, 16n) === p ? 1 : 0)', { p: at }) }),
      },
      cannot: {},
    },
    {
      id: 'div',
      title: 'div(int, int), a struct result',
      loops: {
        'bare-fn': loop(libc.fn('div', sig(Div, [t.i32, t.i32])), 'f(i, 7).rem'),
        koffi: loop(kc.func('BenchDiv div(int, int)'), 'f(i, 7).rem'),
      },
      cannot: { 'Node-API floor': 'not written', ...(fc && { 'node:ffi': 'cannot: no structs' }) },
    },
    {
      id: 'snprintf',
      title: 'snprintf(buf, n, "%d", i), variadic',
      loops: {
        'bare-fn': loop(libc.fn('snprintf', sig(t.i32, [t.pointer, t.usize, t.cstring], { variadic: true })), 'f(p, 32n, "%d", I32, i)', { p: textAt, I32: t.i32 }),
        koffi: loop(kc.func('int snprintf(uint8_t *buf, size_t n, const char *format, ...)'), 'f(b, 32, "%d", "int", i)', { b: text }),
      },
      cannot: { 'Node-API floor': 'not written', ...(fc && { 'node:ffi': 'cannot: no variadic functions' }) },
    },
    {
      id: 'strcmp',
      title: 'strcmp declared as a C prototype',
      loops: {
        'bare-fn': loop(libc.fn('int strcmp(const char *a, const char *b)'), 'f("12", W[i & 7])', { W: WORDS }),
        koffi: loop(kc.func('int strcmp(const char *a, const char *b)'), 'f("12", W[i & 7])', { W: WORDS }),
        ...(fc && { 'node:ffi': loop(fc.strcmp, 'f("12", W[i & 7])', { W: WORDS }) }),
      },
      cannot: { 'Node-API floor': 'not written' },
    },
  ];
  if (noFfi) for (const w of workloads) w.cannot['node:ffi'] ??= noFfi;
  return workloads;
}
