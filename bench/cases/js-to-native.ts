// Case 9: JS -> native calls, 1,000,000 per run, of libc functions (bench/workloads.ts,
// callWorkloads). Contenders:
//   Node-API floor  a hand-written Node-API function making the same C call (crates/bench-floor)
//   bare-fn         a Library function
//   koffi           koffi's lib.func
//   node:ffi        Node's own FFI (Node >= 26 with --experimental-ffi): the case runs again in a
//                   child on Node 26 (scripts/node-bin.js), whose tables say so in their titles
// Then the setup: sig(...) + lib.fn(...) of a signature already made once, beside koffi's lib.func.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import koffi from 'koffi';

import { Library, sig, t } from 'bare-fn';
import { type CaseResult, interleaved, nsPer, type Row } from '../harness.js';
import { callWorkloads } from '../workloads.js';

const N = 1_000_000;
const SETUPS = 10_000;
const CONTENDERS = ['Node-API floor', 'bare-fn', 'koffi', 'node:ffi'];
const NODE_FFI = 26;

async function calls(suffix: string): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const w of callWorkloads()) {
    const names = Object.keys(w.loops);
    const expected = w.loops[names[0]!]!(N);
    const samples = await interleaved(Object.fromEntries(names.map((name) => [name, () => nsPer(N, () => w.loops[name]!(N), expected)])));
    const rows: Row[] = CONTENDERS.map((contender) => ({ contender, samples: samples[contender] ?? null, note: w.cannot[contender] }));
    results.push({
      id: `js-to-native-${w.id}${suffix ? '-node' + NODE_FFI : ''}`,
      title: `${w.title}, JS -> native, ${N.toLocaleString('en')} calls${suffix}`,
      unit: 'ns/call',
      baseline: samples['Node-API floor'] ? 'Node-API floor' : 'koffi',
      lowerIsBetter: true,
      rows: rows.filter((row) => row.samples || row.note),
    });
  }
  return results;
}

async function setup(): Promise<CaseResult> {
  const libc = Library.open('libc.so.6');
  const klib = koffi.load('libc.so.6');
  const Abs = sig(t.i32, [t.i32]);
  const each = (make: () => unknown) => () =>
    nsPer(SETUPS, () => {
      let made = 0;
      for (let i = 0; i < SETUPS; i++) if (make()) made++;
      return made;
    }, SETUPS);
  const samples = await interleaved({
    'koffi lib.func': each(() => klib.func('int abs(int)')),
    'bare-fn lib.fn(name, signature)': each(() => libc.fn('abs', Abs)),
    'bare-fn lib.fn(name, sig(...))': each(() => libc.fn('abs', sig(t.i32, [t.i32]))),
    'bare-fn lib.fn(C declaration)': each(() => libc.fn('int abs(int)')),
  });
  return {
    id: 'js-to-native-setup',
    title: `making a function of abs(int), ${SETUPS.toLocaleString('en')} times (the signature made once before)`,
    unit: 'ns/function',
    baseline: 'koffi lib.func',
    lowerIsBetter: true,
    rows: Object.entries(samples).map(([contender, s]) => ({ contender, samples: s })),
  };
}

/** The call tables again on Node 26 with node:ffi, in a child (null where that Node cannot run). */
function onNodeFfi(): CaseResult[] {
  if (process.env.BENCH_NODE_FFI === '0') return [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { nodeBinary } = require('../../scripts/node-bin.js') as { nodeBinary: (major: number) => string };
  const node = nodeBinary(NODE_FFI);
  const output = execFileSync(node, ['--experimental-ffi', '--no-warnings', '--import', 'tsx', path.join(__dirname, '..', 'case.ts'), 'js-to-native'], {
    encoding: 'utf8',
    env: { ...process.env, BENCH_JS_TO_NATIVE_CHILD: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  return JSON.parse(output) as CaseResult[];
}

export async function run(): Promise<CaseResult[]> {
  if (process.env.BENCH_JS_TO_NATIVE_CHILD) return calls(` (Node ${process.versions.node}, with node:ffi)`);
  return [...(await calls('')), await setup(), ...onNodeFfi()];
}
