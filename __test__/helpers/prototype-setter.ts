// Child process of lifetime.test.ts: a setter on Object.prototype that creates a BareFn must not
// run while BareFn.live() builds its list (it made the addon panic on its registry). Prints the
// number of entries live() saw and whether the setter ran.
import { BareFn, sig, t } from '../../src/index.js';

let setterRan = false;
const made: BareFn<ReturnType<typeof sig>>[] = [];
Object.defineProperty(Object.prototype, 'signature', {
  set() {
    setterRan = true;
    made.push(new BareFn(sig(t.void, []), () => {}));
  },
  configurable: true,
});
using a = new BareFn(sig(t.i32, []), () => 1);
using b = new BareFn(sig(t.i32, []), () => 2);
const live = BareFn.live();
console.log(JSON.stringify({ entries: live.length, setterRan, signature: live[0]?.signature, own: Object.hasOwn(live[0]!, 'signature') }));
void [a, b];
