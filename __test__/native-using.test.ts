// `using` without transpilation: Node >= 24 runs it natively (V8 ships explicit resource
// management); older versions reject the syntax, and the README tells users to transpile there.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import test from 'ava';

const index = JSON.stringify(path.resolve(__dirname, '..', 'build', 'index.js'));
const program = `
  const { BareFn, sig, t } = require(${index});
  let seen;
  {
    using f = new BareFn(sig(t.i32, []), () => 1);
    seen = f;
    if (f.disposed) throw new Error('disposed too early');
  }
  console.log('disposed at the end of the block: ' + seen.disposed);
`;

test('a plain JS program with `using` (no TypeScript, no loader)', (tt) => {
  const major = Number(process.versions.node.split('.')[0]);
  const run = () => execFileSync(process.execPath, ['-e', program], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (major >= 24) {
    tt.is(run().trim(), 'disposed at the end of the block: true');
  } else {
    const error = tt.throws(run) as Error & { stderr: string };
    tt.regex(error.stderr, /SyntaxError/, `Node ${process.version} has no native using`);
  }
});
