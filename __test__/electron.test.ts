// The properties Electron needs, tested here where Electron cannot be downloaded (CI runs a real
// Electron smoke test): the addon uses Node-API only, never creates external ArrayBuffers
// (Electron's V8 memory cage forbids them), and works in several worker threads at once, which
// can be terminated while they own BareFns.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import test from 'ava';

import { importsOf } from './helpers/imports.js';
import { addonPath } from './helpers/platform.js';

const imports = importsOf(addonPath);

test('the addon imports Node-API only: no V8, libuv or Node internals', (tt) => {
  if (process.platform === 'win32') {
    // Windows has no import library of Node-API: napi-rs looks the functions up by name in the
    // host executable when the addon loads (node.exe and electron.exe both export them), so the
    // DLL imports nothing from the host at all, only system DLLs.
    tt.true(readFileSync(addonPath).includes('napi_call_function'), 'it does use Node-API');
    const host = imports.filter((s) => !/^(kernel32|ntdll|msvcrt|advapi32|bcryptprimitives|ws2_32|userenv|api-ms-win-[\w-]+)\.dll!/.test(s));
    tt.deepEqual(host, []);
    return;
  }
  tt.true(imports.some((s) => s.startsWith('napi_')), 'it does use Node-API');
  const engine = imports.filter((s) => !s.startsWith('napi_') && /v8|node|uv_|nan/i.test(s));
  tt.deepEqual(engine, []);
});

test('the addon never creates external ArrayBuffers or Buffers', (tt) => {
  // On Windows the names of every Node-API function are in the DLL (looked up when it loads),
  // so only the import table says which are used: the same source is checked on Linux and macOS.
  const external = imports.filter((s) => /external_(arraybuffer|buffer)/.test(s));
  tt.deepEqual(external, []);
});

test('four workers load the addon at once, run BareFns from their own and other threads, and are terminated', async (tt) => {
  const script = path.join(__dirname, 'helpers', 'worker-user.ts');
  const workers = [1, 2, 3, 4].map((id) => new Worker(`require('tsx/cjs'); require(${JSON.stringify(script)});`, { eval: true, workerData: id }));
  const reports = await Promise.all(
    workers.map(
      (worker) =>
        new Promise<{ id: number; direct: number; right: number; readBack: number }>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  tt.deepEqual(
    reports.sort((a, b) => a.id - b.id),
    [1, 2, 3, 4].map((id) => ({ id, direct: 42 + id, right: 1000, readBack: id + 0.5 })),
  );
  const codes = await Promise.all(workers.map((worker) => worker.terminate()));
  tt.deepEqual(codes, [1, 1, 1, 1], 'terminated, not crashed');
});

// The Electron smoke test (CI) runs scripts/electron-smoke-work.cjs in the main process, a worker,
// a utilityProcess and a renderer; its work runs here in plain Node, in this thread and a worker.
test("the Electron smoke test's work: qsort with a BareFn, and a native thread's blocking call awaited through .async", async (tt) => {
  const work = path.join(__dirname, '..', 'scripts', 'electron-smoke-work.cjs');
  const { smoke } = require(work) as { smoke(where: string): Promise<string> };
  const expected = (where: string) => `${where} (node ${process.version}): qsort with a BareFn sorted 1,3,5,7,9; a native thread's blocking BareFn returned 42`;
  tt.is(await smoke('main thread'), expected('main thread'));
  const worker = new Worker(work, { workerData: 'electron-smoke' });
  try {
    const [message] = (await once(worker, 'message')) as [{ line?: string; error?: string }];
    tt.deepEqual(message, { line: expected('worker thread') });
  } finally {
    await worker.terminate();
  }
});
