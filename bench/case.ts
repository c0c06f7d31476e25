// Child process of bench/run.ts: runs one case module (bench/cases/<name>.ts) in a process of its
// own and prints its results as JSON. A process per case keeps one case's heap and JIT state
// from weighing on the next, and lets each case load only what it measures (the compiled
// package, 'bare-fn', where the hot JS code uses it).
import path from 'node:path';

import { type CaseResult } from './harness.js';

async function main(): Promise<void> {
  const name = process.argv[2]!;
  const module = (await import(path.join(__dirname, 'cases', `${name}.ts`))) as { run: () => Promise<CaseResult[]> };
  process.stdout.write(JSON.stringify(await module.run()));
}

void main();
