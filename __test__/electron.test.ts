// The properties Electron needs, tested here where Electron cannot be downloaded (CI runs a real
// Electron smoke test): the addon uses Node-API only, never creates external ArrayBuffers
// (Electron's V8 memory cage forbids them), and works in several worker threads at once, which
// can be terminated while they own BareFns.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import test from 'ava';

const root = path.resolve(__dirname, '..');
const addon = path.join(root, 'bare-fn.linux-x64-gnu.node');
const imports = execFileSync('nm', ['-D', '--undefined-only', addon], { encoding: 'utf8' })
  .split('\n')
  .map((line) => line.trim().split(/\s+/).at(-1)!)
  .filter(Boolean);

test('the addon imports Node-API only: no V8, libuv or Node internals', (tt) => {
  tt.true(imports.some((s) => s.startsWith('napi_')), 'it does use Node-API');
  const engine = imports.filter((s) => !s.startsWith('napi_') && /v8|node|uv_|nan/i.test(s));
  tt.deepEqual(engine, []);
});

test('the addon never creates external ArrayBuffers or Buffers', (tt) => {
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
