// Child process of lifetime.test.ts (--expose-gc): the only Library object of testlib in this
// process becomes garbage after an address was taken from it; garbage collection must not unload
// the library under the address. Prints the call's result.
import { FnPtr, Library, sig, t } from '../../src/index.js';
import { testlibPath } from './platform.js';

declare const gc: () => void;

const address = Library.open(testlibPath).symbol('tl_add_i32');
const add = FnPtr.from(address, sig(t.i32, [t.i32, t.i32]));
// Collect over a few turns of the event loop: finalizers run between turns.
const collect = (rounds: number): void => {
  gc();
  if (rounds > 0) setImmediate(() => collect(rounds - 1));
  else console.log(add(40, 2));
};
collect(3);
