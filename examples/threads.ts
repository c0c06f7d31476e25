// Native threads calling a TypeScript function: the C library's own threads (pthread_create, or
// CreateThread on Windows) run a 'blocking' BareFn as their start routine (`ref: true`: the
// process waits for their calls, as it would for a timer). Each call runs on this
// JS thread while its native thread waits, and the value it returns comes back to that thread as
// the thread's result, which pthread_join (GetExitCodeThread) hands over. Run:
//   npm run example:threads
import { BareFn, Library, memory, sig, t } from '../src/index.js';

const THREADS = 64;
const windows = process.platform === 'win32';

// Each thread gets the address of its own input, a u32, and returns (as its exit value) the
// square of it; the JS side records which OS thread asked.
const inputs = Uint32Array.from({ length: THREADS }, (_, i) => i + 1);
const asked = new Set<number>();
let calls = 0;
let allCalled: () => void;
const done = new Promise<void>((resolve) => (allCalled = resolve));
const square = (input: bigint): number => {
  const n = memory.read(t.u32, input);
  asked.add(n);
  if (++calls === THREADS) allCalled();
  return n * n;
};

async function main(): Promise<void> {
  if (windows) {
    const kernel32 = Library.open('kernel32.dll');
    // DWORD WINAPI start(LPVOID); HANDLE CreateThread(attrs, stack, start, arg, flags, id)
    using start = new BareFn(sig(t.u32, [t.pointer], { abi: 'system' }), square, { threading: 'blocking', ref: true });
    const createThread = kernel32.fn('CreateThread', sig(t.pointer, [t.pointer, t.usize, t.pointer, t.pointer, t.u32, t.pointer], { abi: 'system' }));
    const wait = kernel32.fn('WaitForSingleObject', sig(t.u32, [t.pointer, t.u32], { abi: 'system' }));
    const exitCode = kernel32.fn('GetExitCodeThread', sig(t.i32, [t.pointer, t.pointer], { abi: 'system' }));
    const close = kernel32.fn('CloseHandle', sig(t.i32, [t.pointer], { abi: 'system' }));
    const handles = Array.from({ length: THREADS }, (_, i) => {
      const handle = createThread(0n, 0n, start.address, memory.addressOf(inputs) + BigInt(4 * i), 0, 0n);
      if (handle === 0n) throw new Error('CreateThread failed');
      return handle;
    });
    await done; // the calls run here, on this thread, while the threads wait for them
    const code = new Uint32Array(1);
    const results = handles.map((handle) => {
      wait(handle, 0xffffffff);
      exitCode(handle, memory.addressOf(code));
      close(handle);
      return code[0]!;
    });
    report(results);
    return;
  }
  const libc = Library.open(process.platform === 'darwin' ? '/usr/lib/libSystem.B.dylib' : 'libc.so.6');
  // void *start(void *); int pthread_create(pthread_t *, attr, start, arg); pthread_t is an
  // unsigned long on Linux and a pointer on macOS: 8 bytes on both 64-bit platforms.
  using start = new BareFn(sig(t.pointer, [t.pointer]), (input) => BigInt(square(input)), { threading: 'blocking', ref: true });
  const create = libc.fn('pthread_create', sig(t.i32, [t.pointer, t.pointer, t.pointer, t.pointer]));
  const join = libc.fn('pthread_join', sig(t.i32, [t.usize, t.pointer]));
  const ids = new BigUint64Array(THREADS);
  for (let i = 0; i < THREADS; i++) {
    const failed = create(memory.addressOf(ids) + BigInt(8 * i), 0n, start.address, memory.addressOf(inputs) + BigInt(4 * i));
    if (failed !== 0) throw new Error(`pthread_create failed: ${failed}`);
  }
  // Joining now would deadlock: each thread waits for this one to run its call. The calls run
  // while this thread awaits; then every thread has its result and ends.
  await done;
  const result = new BigUint64Array(1);
  const results = Array.from(ids, (id) => {
    join(id, memory.addressOf(result));
    return Number(result[0]);
  });
  report(results);
}

function report(results: number[]): void {
  const right = results.every((r, i) => r === (i + 1) ** 2);
  console.log(`${THREADS} native threads each called the BareFn once: ${asked.size} distinct inputs, results ${right ? 'all right' : 'WRONG'}`);
  console.log(`sum of squares: ${results.reduce((a, b) => a + b, 0)}`);
}

void main();
