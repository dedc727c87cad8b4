/**
 * `mario-rl report RUN --out curves.svg`: the report's curves as one static SVG, a panel per chart
 * against agent steps, the runs overlaid with a legend, for pictures in docs (docs/results.md)
 * where a page with scripts cannot go. At most ~400 points per line (every k-th row and the last).
 */
import { REPORT_CHARTS, type ReportChart } from './report.js';
import { type RunData } from './run-reader.js';

const W = 640;
const H = 170;
const M = { l: 60, r: 20, t: 24, b: 28 };
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const fmt = (v: number) =>
  Math.abs(v) >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : Math.abs(v) >= 1e3 ? `${(v / 1e3).toFixed(0)}k` : Number(v.toPrecision(3)).toString();
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Options of {@link buildSvgReport}. */
export interface SvgReportOptions {
  /** What `global_step` counts, for the x axis. Default 'agent steps' (scripts/soak.ts plots seconds). */
  xLabel?: string;
}

/** The SVG of `charts` (default: every chart of REPORT_CHARTS with values) for `runs`. */
export function buildSvgReport(
  runs: readonly RunData[],
  charts: readonly ReportChart[] = REPORT_CHARTS,
  options: SvgReportOptions = {},
): { svg: string; charts: string[] } {
  const xLabel = options.xLabel ?? 'agent steps';
  const multi = runs.length > 1;
  const maxStep = Math.max(1, ...runs.flatMap((r) => r.metrics.map((m) => (typeof m.global_step === 'number' ? m.global_step : 0))));
  const parts: string[] = [];
  const drawn: string[] = [];
  for (const chart of charts) {
    const lines: { label: string; colour: string; pts: [number, number][] }[] = [];
    runs.forEach((r, ri) =>
      chart.keys.forEach((key, ki) => {
        const all = r.metrics.flatMap((m) =>
          typeof m.global_step === 'number' && typeof m[key] === 'number' ? [[m.global_step, m[key]] as [number, number]] : [],
        );
        if (!all.length) return;
        const every = Math.max(1, Math.ceil(all.length / 400));
        const pts = all.filter((_, i) => i % every === 0 || i === all.length - 1);
        lines.push({ label: multi ? `${r.label}: ${key}` : key, colour: PALETTE[(multi ? ri * chart.keys.length + ki : ki) % PALETTE.length]!, pts });
      }),
    );
    if (!lines.length) continue;
    const y0 = drawn.length * (H + 10);
    drawn.push(chart.id);
    const values = lines.flatMap((l) => l.pts.map((p) => p[1]));
    const lo = Math.min(0, ...values);
    const top = Math.max(...values);
    const hi = top - lo > 1e-12 ? top : lo + 1; // a flat line at lo: a 0…1 axis
    const x = (s: number) => M.l + ((W - M.l - M.r) * s) / maxStep;
    const y = (v: number) => H - M.b - ((H - M.t - M.b) * (v - lo)) / (hi - lo);
    parts.push(`<g transform="translate(0 ${y0})"><text x="${M.l}" y="16" font-size="13" font-family="sans-serif">${esc(chart.title)}</text>`);
    parts.push(
      `<line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}" stroke="#888"/><line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}" stroke="#888"/>`,
    );
    parts.push(`<text x="${M.l - 4}" y="${(y(hi) + 4).toFixed(1)}" font-size="11" text-anchor="end" font-family="sans-serif">${fmt(hi)}</text>`);
    parts.push(`<text x="${M.l - 4}" y="${(y(lo) + 4).toFixed(1)}" font-size="11" text-anchor="end" font-family="sans-serif">${fmt(lo)}</text>`);
    parts.push(`<text x="${W - M.r}" y="${H - 10}" font-size="11" text-anchor="end" font-family="sans-serif">${fmt(maxStep)} ${esc(xLabel)}</text>`);
    lines.forEach((l, i) => {
      const d = l.pts.map((p, k) => `${k ? 'L' : 'M'}${x(p[0]).toFixed(1)} ${y(p[1]).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${l.colour}" stroke-width="1.5"/>`);
      // Legend: top right, one entry a line.
      const ly = M.t + 2 + i * 13;
      parts.push(`<line x1="${W - M.r - 190}" y1="${ly}" x2="${W - M.r - 176}" y2="${ly}" stroke="${l.colour}" stroke-width="2"/>`);
      parts.push(`<text x="${W - M.r - 172}" y="${ly + 4}" font-size="10" font-family="sans-serif">${esc(l.label)}</text>`);
    });
    parts.push('</g>');
  }
  const height = Math.max(1, drawn.length) * (H + 10);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
  return { svg, charts: drawn };
}
