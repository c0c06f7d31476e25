// Child process of bench/cases/live.ts: creates up to COUNT live callbacks of one contender
// without releasing them, then prints how many it reached and the resident memory they took.
import koffi from 'koffi';

import { BareFn, sig, t } from 'bare-fn';

import * as binding from '../../binding.js';

const [contender, countText] = process.argv.slice(2);
const count = Number(countText);
const keep: unknown[] = [];
const settle = () => {
  globalThis.gc?.();
  return process.memoryUsage().rss;
};

const before = settle();
let reached = 0;
let stopped: string | undefined;
const S = sig(t.i32, [t.i32, t.i32]);
const KProto = koffi.pointer(koffi.proto('int32_t KLive(int32_t, int32_t)'));
type F = (a: number, b: number) => number;
const create =
  contender === 'bare-fn' ? (f: F) => new BareFn(S, f) : contender === 'floor' ? (f: F) => binding.benchFloorLive(f) : (f: F) => koffi.register(f, KProto);
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
const after = settle();
console.log(JSON.stringify({ reached, bytesEach: (after - before) / Math.max(1, reached), stopped }));
