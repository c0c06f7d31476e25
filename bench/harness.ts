// Measurement and reporting shared by the benchmark cases (bench/run.ts runs them all).

/** One contender's measurements in a case; `samples` is null when it cannot do the case, or when
 * what it can do is too little to measure (the note says which). */
export interface Row {
  contender: string;
  samples: number[] | null;
  /** why it cannot, or a remark on how it was measured */
  note?: string;
}

export interface CaseResult {
  id: string;
  title: string;
  /** unit of the samples, e.g. 'ns/call' */
  unit: string;
  /** the contender the others are compared with (the Node-API floor where there is one) */
  baseline: string;
  /** false when bigger is better (rates) */
  lowerIsBetter: boolean;
  rows: Row[];
}

export const REPS = Math.max(5, Number(process.env.BENCH_REPS ?? 7));

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/**
 * Runs each contender once to warm up, then REPS rounds in which every contender runs once, in an
 * order that rotates from round to round, so drift and noise on this machine hit all alike. Each
 * run returns its own measurement (in the case's unit).
 */
export async function interleaved(contenders: Record<string, () => number | Promise<number>>): Promise<Record<string, number[]>> {
  const names = Object.keys(contenders);
  for (const name of names) await contenders[name]!();
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let rep = 0; rep < REPS; rep++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(rep + k) % names.length]!;
      samples[name]!.push(await contenders[name]!());
    }
  }
  return samples;
}

/** Nanoseconds per operation of `run`, which performs `n` operations and returns a checksum. */
export function nsPer(n: number, run: () => unknown, expected?: unknown): number {
  const start = process.hrtime.bigint();
  const got = run();
  const ns = Number(process.hrtime.bigint() - start) / n;
  if (expected !== undefined && got !== expected) throw new Error(`wrong result ${String(got)}, expected ${String(expected)}`);
  return ns;
}

/**
 * The median over rounds of this row's sample divided by the baseline's sample of the same round
 * (interleaved runs pair them), as a time ratio: below 1 is faster than the baseline.
 */
export function ratioOf(result: CaseResult, row: Row): number | undefined {
  const base = result.rows.find((r) => r.contender === result.baseline)?.samples;
  if (!row.samples || !base) return undefined;
  const paired = row.samples.length === base.length;
  const ratios = paired ? row.samples.map((x, i) => x / base[i]!) : [median(row.samples) / median(base)];
  const r = median(ratios);
  return result.lowerIsBetter ? r : 1 / r;
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** The markdown table of one case. */
export function table(result: CaseResult): string {
  const lines = [
    `**${result.title}** (${result.unit}, median and min-max of ${REPS} runs; ratio to ${result.baseline}: median of per-round ratios)`,
    '',
    `| contender | median | min-max | ratio |`,
    '|---|---:|---:|---:|',
  ];
  for (const row of result.rows) {
    if (!row.samples) {
      lines.push(`| ${row.contender} | - | - | ${row.note ?? 'cannot'} |`);
      continue;
    }
    const ratio = ratioOf(result, row);
    const note = row.note ? ` (${row.note})` : '';
    lines.push(
      `| ${row.contender}${note} | ${fmt(median(row.samples))} | ${fmt(Math.min(...row.samples))}-${fmt(Math.max(...row.samples))} | ${ratio === undefined ? '' : `${ratio.toFixed(2)}x`} |`,
    );
  }
  return lines.join('\n');
}
