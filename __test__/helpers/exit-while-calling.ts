// Child process of teardown.test.ts: native threads keep calling BareFns of every mode while the
// main thread finishes its script and the process exits. It must exit with code 0, no crash, no
// hang. Prints how many calls the threads had made by then.
import { BareFn, sig, t } from '../../src/index.js';
import { expectedOnThread, lib } from './testlib.js';

const I32x2 = sig(t.i32, [t.i32, t.i32]);
const spawnI32 = lib.fn('tl_spawn_i32', sig(t.pointer, [t.pointer, t.u32, t.u32, t.i32]));
const spawnVoid = lib.fn('tl_spawn_void', sig(t.pointer, [t.pointer, t.u32, t.u32]));

let calls = 0;
const blocking = new BareFn(I32x2, (th, i) => (calls++, expectedOnThread(th, i)), { threading: 'blocking', fallback: -1, timeoutMs: Infinity });
const local = new BareFn(I32x2, (th, i) => expectedOnThread(th, i), { fallback: -1, onError: () => {} });
// The nonblocking thread outruns JS: once the queue holds BareFn.queueLimit calls, the rest are
// dropped and reported ('queue-full'), here to onError (without it, an uncaught exception).
const nonblocking = new BareFn(sig(t.void, [t.i32, t.i32]), () => void calls++, { threading: 'nonblocking', onError: () => {} });
// Millions of calls each: the threads are still calling when the process exits.
spawnI32(blocking.address, 2, 100_000_000, -1);
spawnI32(local.address, 1, 100_000_000, -1);
spawnVoid(nonblocking.address, 1, 100_000_000);
setTimeout(() => console.log(`calls before exit: ${calls > 0 ? 'some' : 'none'}`), 200);
