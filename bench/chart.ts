// An SVG bar chart of every case's ratios (time relative to the case's baseline), so the
// comparison reads at a glance: bars left of the 1.0 line are faster than the baseline.
import { type CaseResult, ratioOf } from './harness.js';

const COLORS: Record<string, string> = { 'bare-fn': '#2b7bb9', koffi: '#d9822b', floor: '#888888', 'ffi-rs': '#7a4fb5' };

export function svgChart(results: CaseResult[]): string {
  const rowHeight = 18;
  const labelWidth = 430;
  const barArea = 360;
  // Bars are cut at 4x (the label keeps the real ratio), so a 30x outlier does not flatten the
  // comparisons near 1x.
  const maxRatio = Math.min(4, Math.max(2, ...results.flatMap((r) => r.rows.map((row) => ratioOf(r, row) ?? 0))));
  const scale = barArea / maxRatio;
  const parts: string[] = [];
  let y = 30;
  for (const result of results) {
    parts.push(`<text x="4" y="${y + 12}" font-weight="bold">${escape(result.title)} (baseline: ${escape(result.baseline)})</text>`);
    y += rowHeight + 2;
    for (const row of result.rows) {
      const ratio = ratioOf(result, row);
      parts.push(`<text x="24" y="${y + 12}">${escape(row.contender)}</text>`);
      if (ratio === undefined) {
        parts.push(`<text x="${labelWidth}" y="${y + 12}" fill="#999">${escape(row.note ?? 'cannot')}</text>`);
      } else {
        const color = COLORS[row.contender] ?? '#555';
        const width = Math.min(ratio, maxRatio) * scale;
        parts.push(`<rect x="${labelWidth}" y="${y + 2}" width="${width.toFixed(1)}" height="${rowHeight - 4}" fill="${color}"/>`);
        parts.push(`<text x="${(labelWidth + width + 4).toFixed(1)}" y="${y + 12}">${ratio.toFixed(2)}x${ratio > maxRatio ? ' (bar cut)' : ''}</text>`);
      }
      y += rowHeight;
    }
    y += 8;
  }
  const height = y + 10;
  const oneX = labelWidth + scale;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barArea + 80}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="4" y="16" font-size="14" font-weight="bold">bare-fn benchmarks: each contender relative to its case's baseline (lower is better)</text>`,
    `<line x1="${oneX}" y1="24" x2="${oneX}" y2="${height - 6}" stroke="#c00" stroke-dasharray="4 3"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
