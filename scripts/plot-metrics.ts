/**
 * Plots columns of a run's metrics.jsonl against global_step as a standalone SVG (one panel per
 * column), for docs and quick looks without TensorBoard.
 *
 *   npx tsx scripts/plot-metrics.ts runs/x/metrics.jsonl out.svg [column ...]
 *
 * Default columns: charts/episodic_return, charts/max_x_p50, charts/max_x_p90, charts/flag_rate.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output, ...cols] = process.argv.slice(2);
if (!input || !output || !output.endsWith('.svg')) {
  console.error('usage: tsx scripts/plot-metrics.ts METRICS.jsonl OUT.svg [column ...]');
  process.exit(2);
}
const columns = cols.length ? cols : ['charts/episodic_return', 'charts/max_x_p50', 'charts/max_x_p90', 'charts/flag_rate'];
const rows = readFileSync(input, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new Error(`${input}:${i + 1}: not JSON`);
    }
  });
if (rows.length === 0) throw new Error(`${input}: no rows`);

const W = 640;
const H = 160;
const M = { l: 60, r: 20, t: 24, b: 28 };
const fmt = (v: number) =>
  Math.abs(v) >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : Math.abs(v) >= 1e3 ? `${(v / 1e3).toFixed(0)}k` : Number(v.toPrecision(3)).toString();
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const maxStep = Math.max(...rows.map((r) => Number(r.global_step) || 0), 1);
const parts: string[] = [];
columns.forEach((col, k) => {
  const all = rows
    .filter((r) => typeof r[col] === 'number' && typeof r.global_step === 'number')
    .map((r) => [r.global_step as number, r[col] as number] as const);
  // At most ~400 points a panel: keep every k-th row and the last.
  const every = Math.max(1, Math.ceil(all.length / 400));
  const pts = all.filter((_, i) => i % every === 0 || i === all.length - 1);
  const y0 = k * (H + 10);
  parts.push(`<g transform="translate(0 ${y0})"><text x="${M.l}" y="16" font-size="13" font-family="sans-serif">${esc(col)}</text>`);
  if (pts.length) {
    const lo = Math.min(0, ...pts.map((p) => p[1]));
    const hi = Math.max(...pts.map((p) => p[1]), lo + 1e-9);
    const x = (s: number) => M.l + ((W - M.l - M.r) * s) / maxStep;
    const y = (v: number) => H - M.b - ((H - M.t - M.b) * (v - lo)) / (hi - lo);
    parts.push(
      `<line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}" stroke="#888"/><line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}" stroke="#888"/>`,
    );
    parts.push(`<text x="${M.l - 4}" y="${(y(hi) + 4).toFixed(1)}" font-size="11" text-anchor="end" font-family="sans-serif">${fmt(hi)}</text>`);
    parts.push(`<text x="${M.l - 4}" y="${(y(lo) + 4).toFixed(1)}" font-size="11" text-anchor="end" font-family="sans-serif">${fmt(lo)}</text>`);
    parts.push(`<text x="${W - M.r}" y="${H - 10}" font-size="11" text-anchor="end" font-family="sans-serif">${fmt(maxStep)} steps</text>`);
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)} ${y(p[1]).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>`);
  } else {
    parts.push(`<text x="${M.l}" y="60" font-size="12" font-family="sans-serif">(no values)</text>`);
  }
  parts.push('</g>');
});
const height = columns.length * (H + 10);
writeFileSync(
  output,
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`,
);
console.log(`${output}: ${columns.length} panels, ${rows.length} rows`);
