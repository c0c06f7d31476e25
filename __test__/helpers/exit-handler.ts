// Child process of teardown.test.ts: BareFns registered as C exit handlers (glibc's
// __cxa_atexit, which atexit calls, and on_exit; atexit elsewhere, musl included) run after JS is gone, on every exit path: argv[2] is 'end'
// (the script ends), 'exit' (process.exit(3)) or 'throw' (an uncaught exception). They must
// answer with their fallback without touching V8 or destroyed thread-locals.
import { BareFn, Library, sig, t } from '../../src/index.js';
import { glibc, libcPath } from './platform.js';

const libc = Library.open(libcPath);
if (glibc) {
  // glibc's atexit is a static wrapper (libc_nonshared.a) around __cxa_atexit.
  const cxaAtexit = libc.fn('__cxa_atexit', sig(t.i32, [t.pointer, t.pointer, t.pointer]));
  const handler = new BareFn(sig(t.void, [t.pointer]), () => console.log('ran in JS'));
  cxaAtexit(handler.address, 0n, 0n);
  const onExit = libc.fn('on_exit', sig(t.i32, [t.pointer, t.pointer]));
  const withStatus = new BareFn(sig(t.i32, [t.i32, t.pointer]), (status) => (console.log(`status ${status}`), 0));
  onExit(withStatus.address, 0n);
} else {
  const atexit = libc.fn('atexit', sig(t.i32, [t.pointer]));
  const handler = new BareFn(sig(t.void, []), () => console.log('ran in JS'));
  atexit(handler.address);
}
const mode = process.argv[2];
if (mode === 'exit') process.exit(3);
if (mode === 'throw') throw new Error('uncaught on purpose');
