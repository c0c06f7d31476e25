// A worker that creates BareFns of each mode, hands their addresses to its parent and waits to be
// terminated (teardown.test.ts). The blocking one has ref: true, which keeps the worker alive.
import { parentPort } from 'node:worker_threads';

import { BareFn, sig, t } from '../../src/index.js';
import { expectedOnThread } from './testlib.js';

const I32x2 = sig(t.i32, [t.i32, t.i32]);
const local = new BareFn(I32x2, (a, b) => a + b, { fallback: -11 });
const blocking = new BareFn(I32x2, expectedOnThread, { threading: 'blocking', fallback: -22, timeoutMs: Infinity, ref: true });
const nonblocking = new BareFn(sig(t.void, [t.u32, t.f64]), () => {}, { threading: 'nonblocking' });
parentPort!.postMessage({ local: local.address, blocking: blocking.address, nonblocking: nonblocking.address });
// Reachable until the worker is terminated: the test is about live BareFns of a worker that goes
// away (collected ones would be leaks, reported and kept the same way, but noisily).
(globalThis as { keep?: unknown }).keep = [local, blocking, nonblocking];
