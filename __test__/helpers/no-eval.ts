// Run by by-value.test.ts in a Node started with --disallow-code-generation-from-strings, as an
// Electron renderer under a Content Security Policy without 'unsafe-eval' is: structs then go
// through bare-fn's loops instead of generated readers and writers. Prints what it got as JSON.
import { BareFn, FnPtr, memory, sig, t } from '../../src/index.js';

import { byValue } from './by-value.js';

let evalRefused = false;
try {
  new Function('return 1');
} catch {
  evalRefused = true;
}
// The rect shape of struct-shapes.ts, declared here for TypeScript to infer its values.
const Point = t.struct({ x: t.f64, y: t.f64 });
const Rect = t.struct({ origin: Point, size: Point });
const rect = { origin: { x: 1, y: 2 }, size: { x: 3, y: 4 } };
const echo = FnPtr.from(byValue('rect').echo, sig(Rect, [Rect]));
const swap = new BareFn(sig(Rect, [Rect]), (r) => ({ origin: r.size, size: r.origin }));
const call = FnPtr.from(byValue('rect').call, sig(Rect, [t.pointer, Rect]));
using block = memory.alloc(Rect);
memory.write(Rect, block.address, rect);
let refused = '';
try {
  echo({ origin: { x: 1 }, size: { x: 3, y: 4 } } as never);
} catch (e) {
  refused = (e as Error).message;
}
console.log(JSON.stringify({ evalRefused, echoed: echo(rect), swapped: call(swap.address, rect), read: memory.read(Rect, block.address), refused }));
swap.dispose();
