// TypeScript's messages for misuse read like the runtime errors: the fixture's lines, each
// refused, compiled by tsc here and their messages checked (a `@ts-expect-error` line in
// types.typecheck.ts proves an error, not what it says).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';

const root = path.resolve(__dirname, '..');
const fixture = path.join(__dirname, 'fixtures', 'misuse.ts');

test('misuse is refused by tsc with messages that say what is wrong', (tt) => {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = ['--ignoreConfig', '--noEmit', '--strict', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--lib', 'ES2022,ESNext.Disposable', '--types', 'node', '--skipLibCheck', fixture];
  const { stdout } = spawnSync(process.execPath, [tsc, ...args], { cwd: root, encoding: 'utf8' });
  // Each error's first line starts with the file name and position; the details follow indented.
  const lines = readFileSync(fixture, 'utf8').split('\n');
  const byLabel = new Map<string, string>();
  let current: string | undefined;
  for (const line of stdout.split('\n')) {
    const at = /misuse\.ts\((\d+),\d+\): error/.exec(line);
    if (at) current = /\/\* (\S+) \*\//.exec(lines[Number(at[1]) - 1]!)?.[1];
    if (current !== undefined) byLabel.set(current, `${byLabel.get(current) ?? ''}${line}\n`);
  }
  tt.deepEqual([...byLabel.keys()].sort(), ['local-where-thread-safe', 'nonblocking-result', 'promise-local', 'seventeen', 'timeout-not-blocking', 'void-argument'], stdout);
  tt.regex(byLabel.get('nonblocking-result')!, /Type '"nonblocking"' is not assignable to type '"'nonblocking' needs a void return type: the caller does not wait for a result"'/);
  tt.regex(byLabel.get('timeout-not-blocking')!, /Type 'number' is not assignable to type '"timeoutMs is only for threading 'blocking'"'/);
  tt.regex(byLabel.get('local-where-thread-safe')!, /Argument of type 'BareFn<.*, "local">' is not assignable to parameter of type 'BareFn<.*, "blocking" \| "nonblocking">'/);
  tt.regex(byLabel.get('promise-local')!, /a Promise: only a 'blocking' BareFn's callers on other threads wait for one; return the value itself/);
  tt.regex(byLabel.get('void-argument')!, /Type 'Type<"void">' is not assignable to type '"void is only a return type"'/);
  tt.regex(byLabel.get('seventeen')!, /Type 'Type<"i32">' is not assignable to type '"a signature takes at most 16 arguments"'/);
});
