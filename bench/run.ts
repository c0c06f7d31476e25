// npm run bench: every benchmark case, each in a process of its own (bench/case.ts), all
// contenders of a case interleaved in that process. Prints markdown tables, writes
// bench/results/results.md, results.json and ratios.svg, and replaces README's benchmark section
// (between its bench markers) with the tables.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import koffi from 'koffi';

import { type CaseResult, REPS, table } from './harness.js';
import { svgChart } from './chart.js';

/** Case names (BENCH_ONLY matches them) and their modules in bench/cases. */
const CASES: { name: string; module: string }[] = [
  { name: 'native -> JS', module: 'native-to-js' },
  { name: 'qsort', module: 'qsort' },
  { name: 'create + dispose', module: 'lifecycle' },
  { name: 'live handles', module: 'live' },
  { name: 'cross-thread', module: 'cross-thread' },
  { name: 'conventions', module: 'conventions' },
  { name: 'structs', module: 'structs' },
  { name: 'JS -> native', module: 'js-to-native' },
  { name: 'async calls', module: 'async-calls' },
];

function runCase(module: string): CaseResult[] {
  const output = execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'case.ts'), module], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  return JSON.parse(output) as CaseResult[];
}

function main(): void {
  const only = process.env.BENCH_ONLY;
  const results: CaseResult[] = [];
  for (const c of CASES) {
    if (only && !c.name.includes(only)) continue;
    console.error(`running ${c.name}…`);
    results.push(...runCase(c.module));
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

main();
