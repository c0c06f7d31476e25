// Child process of lifetime.test.ts (run with --expose-gc): dispose() releases a BareFn's JS
// functions, the callback at once and onError when the thunk leaves quarantine, while the BareFn
// object itself is still reachable.
import { BareFn, sig, t } from '../../src/index.js';

const S = sig(t.i32, []);
BareFn.quarantine = 0;
const kept: BareFn[] = [];
const callbacks: WeakRef<() => number>[] = [];
const onErrors: WeakRef<() => void>[] = [];
for (let i = 0; i < 3; i++) {
  const callback = () => i;
  const onError = () => {};
  kept.push(new BareFn(S, callback, { onError }));
  callbacks.push(new WeakRef(callback));
  onErrors.push(new WeakRef(onError));
}
for (const fn of kept) fn.dispose();

async function main(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 10));
    globalThis.gc!();
  }
  const collected = (refs: WeakRef<object>[]) => refs.filter((r) => r.deref() === undefined).length;
  console.log(JSON.stringify({ callbacks: collected(callbacks), onErrors: collected(onErrors), kept: kept.filter((f) => f.disposed).length }));
}
void main();
