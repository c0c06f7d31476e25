// npm run bench: every benchmark case, all contenders of a case interleaved in one process.
// Prints markdown tables, writes bench/results/results.md, results.json and ratios.svg, and
// replaces README's benchmark section (between its bench markers) with the tables.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import koffi from 'koffi';

import { type CaseResult, REPS, table } from './harness.js';
import { svgChart } from './chart.js';
import * as crossThread from './cases/cross-thread.js';
import * as nativeToJs from './cases/native-to-js.js';
import * as lifecycle from './cases/lifecycle.js';
import * as live from './cases/live.js';
import * as qsort from './cases/qsort.js';

const CASES: { name: string; run: () => Promise<CaseResult[]> }[] = [
  { name: 'native -> JS', run: nativeToJs.run },
  { name: 'qsort', run: qsort.run },
  { name: 'create + dispose', run: lifecycle.run },
  { name: 'live handles', run: live.run },
  { name: 'cross-thread', run: crossThread.run },
];

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  const results: CaseResult[] = [];
  for (const c of CASES) {
    if (only && !c.name.includes(only)) continue;
    console.error(`running ${c.name}…`);
    results.push(...(await c.run()));
  }
  const header = `Node ${process.version}, koffi ${koffi.version}, ${REPS} runs per contender, ${new Date().toISOString().slice(0, 10)}.`;
  const markdown = [header, '', ...results.map((r) => table(r) + '\n')].join('\n');
  console.log(markdown);
  if (only) return; // a partial run does not replace the recorded results
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'results.md'), markdown);
  writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 1));
  writeFileSync(path.join(dir, 'ratios.svg'), svgChart(results));
  const readme = path.join(__dirname, '..', 'README.md');
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf('<!-- bench:start -->');
  const end = text.indexOf('<!-- bench:end -->');
  if (start >= 0 && end > start) {
    writeFileSync(readme, `${text.slice(0, start)}<!-- bench:start -->\n${markdown}\n${text.slice(end)}`);
  }
}

void main();
