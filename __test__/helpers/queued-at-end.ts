// Child process of teardown.test.ts: work that other threads queued for the main thread while it
// waited in a native call, left when the script ends. argv[2]:
// - 'queued': 1,000 calls of a 'nonblocking' BareFn; they must run before the process exits;
// - 'refused': a 'local' BareFn called on another thread; the refusal must be reported;
// - 'exit': as 'queued', then process.exit(0) before they can run: the line at exit names them.
import { BareFn, sig, t } from '../../src/index.js';
import { callOnThread, lib } from './testlib.js';

const mode = process.argv[2];
if (mode === 'refused') {
  const local = new BareFn(sig(t.i32, [t.i32, t.i32]), (a, b) => a + b, { fallback: -1 });
  console.log(`called on another thread: ${callOnThread(local.address, 1, 2)}`);
} else {
  const Text = t.struct({ text: t.cstring, len: t.u32 });
  const texts: string[] = [];
  const collect = new BareFn(sig(t.void, [Text]), (text) => void texts.push(text.text as string), { threading: 'nonblocking' });
  // Calls `collect` 1,000 times on a thread of its own and joins it: every call is queued.
  lib.fn('tl_text_from_thread', sig(t.void, [t.pointer, t.u32]))(collect.address, 1000);
  process.on('exit', () => {
    console.log(texts.length === 0 ? 'ran 0 calls' : `ran ${texts.length} calls: ${texts[0]} .. ${texts.at(-1)}`);
  });
  if (mode === 'exit') process.exit(0);
}
