// Child process of lifetime.test.ts (--expose-gc): one native call passes a 4 MiB string to a
// BareFn 64 times. Each call's JS string must become garbage once the call returns, even though
// the calls of one native call share handle scopes. Prints the most the JS heap grew, in MiB.
import v8 from 'node:v8';

import { BareFn, sig, t } from '../../src/index.js';
import { lib } from './testlib.js';

declare const gc: () => void;

const loop = lib.fn('tl_loop_cstring', sig(t.i64, [t.pointer, t.cstring, t.u32]));
const used = () => v8.getHeapStatistics().used_heap_size;
gc();
const before = used();
let most = 0;
using cb = new BareFn(sig(t.i32, [t.cstring]), (text) => {
  gc();
  most = Math.max(most, used() - before);
  return text!.length;
});
const text = 'x'.repeat(4 << 20);
console.log(loop(cb.address, text, 64) === 64n * BigInt(text.length) ? Math.round(most / (1 << 20)) : 'wrong sum');
