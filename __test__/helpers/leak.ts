// Child process of lifetime.test.ts (run with --expose-gc): a BareFn that becomes unreachable
// without dispose is reported once as a leak, stays listed by BareFn.live(), and stays callable.
import { BareFn, sig, t } from '../../src/index.js';
import { lib } from './testlib.js';

const callI32 = lib.fn('tl_call_i32_i32_i32', sig(t.i32, [t.pointer, t.i32, t.i32]));
const warnings: string[] = [];
process.on('warning', (w) => {
  if (w.name === 'BareFnLeakWarning') warnings.push(w.message);
});

/** The leaked BareFn's mode: 'blocking' (the default) or 'local' (argument). */
const threading = process.argv[2] === 'local' ? 'local' : 'blocking';

function forget(): bigint {
  const leaked = new BareFn(sig(t.i32, [t.i32, t.i32]), (a, b) => a * b, { threading });
  return leaked.address; // the handle itself becomes unreachable here
}

async function main(): Promise<void> {
  const address = forget();
  for (let i = 0; i < 10 && warnings.length === 0; i++) {
    globalThis.gc!();
    await new Promise((r) => setTimeout(r, 10));
  }
  globalThis.gc!();
  await new Promise((r) => setTimeout(r, 10));
  const live = BareFn.live();
  console.log(JSON.stringify({
    warnings,
    live: live.map((l) => ({ signature: l.signature, threading: l.threading, leaked: l.leaked, traced: l.createdAt !== undefined, sameAddress: l.address === address })),
    stillCallable: callI32(address, 6, 7),
  }));
}
void main();
