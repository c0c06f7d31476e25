// The work each JS context of the Electron smoke test does (scripts/electron-smoke.cjs: the main
// process, a worker of it, a utilityProcess, a renderer with Node integration): the C library's
// qsort calls a BareFn comparator (passed itself to a prototype's function pointer parameter),
// and a thread the C library starts calls a 'blocking' BareFn while `.async` waits for that thread
// on libuv's pool. `smoke(where)` resolves with a line saying what ran, or rejects. Plain Node runs
// it too (electron.test.ts), in the main thread and in a worker.
'use strict';
const path = require('node:path');
const { isMainThread, parentPort, workerData } = require('node:worker_threads');

const { BareFn, Library, memory, sig, t } = require(path.join(__dirname, '..', 'build', 'index.js'));

const windows = process.platform === 'win32';
const LIBC = { win32: 'msvcrt.dll', darwin: '/usr/lib/libSystem.B.dylib' }[process.platform] ?? 'libc.so.6';
// pthread_create is in libc since glibc 2.34; libpthread.so.0 finds it in both (and musl answers
// the name with itself).
const PTHREAD = { darwin: '/usr/lib/libSystem.B.dylib' }[process.platform] ?? 'libpthread.so.0';

function sortWithQsort() {
  const libc = Library.open(LIBC);
  try {
    const qsort = libc.fn('void qsort(void *base, size_t n, size_t size, int (*compar)(const void *, const void *))');
    const values = Int32Array.from([5, 3, 9, 1, 7]);
    const compare = new BareFn(sig(t.i32, [t.pointer, t.pointer]), (a, b) => memory.read(t.i32, a) - memory.read(t.i32, b));
    try {
      qsort(values, BigInt(values.length), 4n, compare);
    } finally {
      compare.dispose();
    }
    if (values.join(',') !== '1,3,5,7,9') throw new Error(`qsort did not sort: ${values.join(',')}`);
    return values.join(',');
  } finally {
    libc.close();
  }
}

/** A native thread (pthread_create, or CreateThread on Windows) runs a 'blocking' BareFn as its
 * start routine; this thread waits for it through .async, free to run the call. Resolves with
 * what the thread's routine returned (41 + 1). */
async function callFromNativeThread() {
  if (windows) {
    const kernel32 = Library.open('kernel32.dll');
    try {
      const createThread = kernel32.fn('HANDLE __stdcall CreateThread(void *attributes, SIZE_T stack, void *start, LPVOID arg, DWORD flags, DWORD *id)');
      const wait = kernel32.fn('DWORD __stdcall WaitForSingleObject(HANDLE handle, DWORD ms)');
      const exitCode = kernel32.fn('BOOL __stdcall GetExitCodeThread(HANDLE thread, DWORD *code)');
      const closeHandle = kernel32.fn('BOOL __stdcall CloseHandle(HANDLE handle)');
      const start = new BareFn(sig(t.u32, [t.pointer], { abi: 'system' }), (arg) => Number(arg) + 1, { threading: 'blocking' });
      try {
        const thread = createThread(null, 0n, start.address, 41n, 0, null);
        if (thread === 0n) throw new Error('CreateThread failed');
        await wait.async(thread, 0xffffffff);
        const code = new Uint32Array(1);
        exitCode(thread, code);
        closeHandle(thread);
        return code[0];
      } finally {
        start.dispose();
      }
    } finally {
      kernel32.close();
    }
  }
  const pthread = Library.open(PTHREAD);
  try {
    const create = pthread.fn('int pthread_create(void *thread, const void *attr, void *start, void *arg)');
    const join = pthread.fn('int pthread_join(void *thread, void **result)');
    const start = new BareFn(sig(t.pointer, [t.pointer]), (arg) => arg + 1n, { threading: 'blocking' });
    try {
      const thread = new BigUint64Array(1);
      const status = create(thread, null, start.address, 41n);
      if (status !== 0) throw new Error(`pthread_create failed: ${status}`);
      const result = new BigUint64Array(1);
      const joined = await join.async(thread[0], result);
      if (joined !== 0) throw new Error(`pthread_join failed: ${joined}`);
      return Number(result[0]);
    } finally {
      start.dispose();
    }
  } finally {
    pthread.close();
  }
}

async function smoke(where) {
  const sorted = sortWithQsort();
  const returned = await callFromNativeThread();
  if (returned !== 42) throw new Error(`the native thread's blocking call returned ${returned}, not 42`);
  const runtime = process.versions.electron ? `electron ${process.versions.electron}` : `node ${process.version}`;
  return `${where} (${runtime}): qsort with a BareFn sorted ${sorted}; a native thread's blocking BareFn returned ${returned}`;
}

/** Runs the smoke test and reports to `post` ({ line } or { error }), then lets the process or
 * thread end. */
function report(where, post) {
  smoke(where).then(
    (line) => post({ line }),
    (error) => post({ error: String(error && error.stack ? error.stack : error) }),
  );
}

if (!isMainThread && workerData === 'electron-smoke') report('worker thread', (message) => parentPort.postMessage(message));
if (isMainThread && require.main === module && process.parentPort) {
  // An Electron utilityProcess: its parent port is Electron's.
  report('utility process', (message) => {
    process.parentPort.postMessage(message);
    process.exit(message.error ? 1 : 0);
  });
}

module.exports = { smoke };
