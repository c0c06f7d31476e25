// Child process of koffi.test.ts: a BareFn called synchronously inside a koffi call.
import koffi from 'koffi';

import { BareFn, sig, t } from '../../index.js';
import { lib, testlibPath } from './testlib.js';

let calls = 0;
const add = new BareFn(sig(t.i32, [t.i32, t.i32]), (a, b) => (calls++, a + b), {
  fallback: -1,
  onError: (error, info) => console.log(`onError ${info.kind}: ${(error as Error).message}`),
});
const kcall = koffi.load(testlibPath).func('int32_t tl_call_i32_i32_i32(void *cb, int32_t, int32_t)');
const viaKoffi = kcall(add.address, 1, 2);
const viaBareFn = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]))(add.address, 1, 2);
console.log(`fallback ${viaKoffi}, callback calls ${calls - 1}, direct call ${viaBareFn}`);
setTimeout(() => add.dispose(), 50); // the report arrives through the event loop
