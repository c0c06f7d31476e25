// Worker of lifetime.test.ts, started with a 64 MiB stack: a BareFn called from native code more
// than 8 MiB below where the worker's JS started must run (it is the worker's own stack, not a
// foreign one such as koffi's). Posts [how deep in MiB, the call's result].
import { parentPort } from 'node:worker_threads';

import { BareFn, sig, t } from '../../src/index.js';
import { lib } from './testlib.js';

const position = lib.fn('tl_stack_position', sig(t.usize, []));
const call = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));
using add = new BareFn(sig(t.i32, [t.i32, t.i32]), (a, b) => a + b);
const top = position();

function deep(level: number): [number, number] {
  if (level % 1000 === 0) {
    const depth = Number(top - position());
    if (depth > 12 << 20) return [Math.floor(depth / (1 << 20)), call(add.address, 2, 3)];
  }
  return deep(level + 1);
}

parentPort!.postMessage(deep(1));
