/**
 * `mario-rl report`: one self-contained HTML page for one or more run directories (read by
 * `readRun`). Everything is inline — uPlot's script and style (the npm package `uplot`, read from
 * node_modules), the data as JSON, the GIFs as data URIs — so the file opens from disk with no
 * network. Sections: notes (what the reader left out), the runs (start, end, steps, machine), the
 * curves against agent steps or wall time with the runs overlaid, the eval probes (flag rate per
 * stage over time, the last probe per stage), the curriculum's decisions, the adaptive schedule's
 * changes, the hints, the GIFs under media/ (newest first, up to a size cap) and each run's config.
 * A section whose files no run has is left out.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { expectInteger, expectOptions, rejectUnknownKeys } from '../validate.js';
import { PAGE_SCRIPT, PAGE_STYLE } from './report-page.js';
import { type JsonRow, type RunData } from './run-reader.js';

/** One chart of the curves section: the metrics names drawn in it, in order. */
export interface ReportChart {
  /** Element id suffix (stable, for tests). */
  id: string;
  /** Heading. */
  title: string;
  /** metrics.jsonl names; a chart none of whose names any run has is left out. */
  keys: readonly string[];
  /** A fixed y range (rates: 0…1); default uPlot's, from the data. */
  range?: readonly [number, number];
}

/** The curves, in page order (docs/metrics.md names them). */
export const REPORT_CHARTS: readonly ReportChart[] = [
  { id: 'return', title: 'Episodic return (mean over the window)', keys: ['charts/episodic_return'] },
  { id: 'max-x', title: 'Max x (p50, p90)', keys: ['charts/max_x_p50', 'charts/max_x_p90'] },
  { id: 'flag-rate', title: 'Flag rate (training window)', keys: ['charts/flag_rate'], range: [0, 1] },
  { id: 'losses', title: 'Losses', keys: ['losses/policy_loss', 'losses/value_loss', 'losses/td_loss'] },
  { id: 'entropy', title: 'Entropy', keys: ['losses/entropy'] },
  { id: 'approx-kl', title: 'Approx KL', keys: ['losses/approx_kl'] },
  { id: 'clipfrac', title: 'Clip fraction', keys: ['losses/clipfrac'], range: [0, 1] },
  { id: 'explained-variance', title: 'Explained variance', keys: ['losses/explained_variance'] },
  { id: 'sps', title: 'Agent steps per second', keys: ['charts/SPS', 'charts/env_SPS', 'charts/learner_SPS'] },
  { id: 'learning-rate', title: 'Learning rate', keys: ['charts/learning_rate'] },
  { id: 'ent-coef', title: 'Entropy coefficient (charts/ent_coef)', keys: ['charts/ent_coef'] },
  { id: 'q-values', title: 'Q values (DQN)', keys: ['losses/q_values'] },
  { id: 'epsilon', title: 'Epsilon (DQN)', keys: ['charts/epsilon'] },
  { id: 'curriculum-stage', title: 'Curriculum stage index', keys: ['curriculum/stage_index'] },
];

/** The charts of REPORT_CHARTS named by `ids`, in REPORT_CHARTS order; RangeError naming `name` for an unknown id. */
export function reportCharts(ids: readonly string[], name: string): ReportChart[] {
  const known = REPORT_CHARTS.map((c) => c.id);
  const bad = ids.find((id) => !known.includes(id));
  if (bad !== undefined || ids.length === 0) {
    throw new RangeError(`Expected chart ids from ${known.join(', ')} for ${name} but received '${bad ?? ids.join(',')}'`);
  }
  return REPORT_CHARTS.filter((c) => ids.includes(c.id));
}

/** Options of {@link buildReport}. */
export interface ReportOptions {
  /** Largest total size of the GIFs inlined, in bytes (newest first; the rest are listed as left out). Default 8 MiB. */
  maxMediaBytes?: number;
  /** Most points drawn per run and line (rows are thinned evenly beyond it, the last row always kept). Default 5000. */
  maxPoints?: number;
  /** With a value, the page reloads itself every this many seconds (`report --watch`). */
  refreshSeconds?: number;
  /** Ids of REPORT_CHARTS to draw (in that order). Default all. */
  charts?: readonly string[];
  /** The time printed as "generated" (tests pin it). Default now. */
  now?: Date;
}

/** What {@link buildReport} made. */
export interface Report {
  /** The page. */
  html: string;
  /** GIFs inlined and left out (over the cap), by path. */
  mediaIncluded: string[];
  mediaLeftOut: string[];
  /** Charts drawn (ids of REPORT_CHARTS with data, plus `eval-flag-rate` when there are probes). */
  charts: string[];
  /** Every note on the page (the runs' notes and the report's own), for the CLI to print. */
  notes: string[];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const DASHES: number[][] = [[], [6, 3], [2, 3], [10, 3, 2, 3]];

let uplotAssets: { script: string; style: string } | null = null;

/** uPlot's minified browser build and stylesheet, read once from the installed `uplot` package. */
function uplot(): { script: string; style: string } {
  if (!uplotAssets) {
    const require = createRequire(import.meta.url);
    uplotAssets = {
      script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      style: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    };
  }
  return uplotAssets;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON safe inside a `<script>` element (no `</script>`, no `<!--`). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A number for a table cell: integers as they are, others to 4 significant digits. */
function fmt(v: unknown): string {
  const n = num(v);
  if (n === null) return v === undefined || v === null ? '–' : escapeHtml(String(v));
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 1e5 || (Math.abs(n) < 1e-3 && n !== 0) ? n.toExponential(3) : String(Number(n.toPrecision(4)));
}

const pct = (v: unknown) => (num(v) === null ? '–' : `${(num(v)! * 100).toFixed(1)}%`);

function duration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s} s`;
}

/** Row indices to draw: all, or evenly thinned to `max` with the last kept. */
function thin(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const every = Math.ceil(n / max);
  const out: number[] = [];
  for (let i = 0; i < n; i += every) out.push(i);
  if (out.at(-1) !== n - 1) out.push(n - 1);
  return out;
}

interface ChartLine {
  label: string;
  stroke: string;
  dash: number[];
  x: { step: string; time: string | null };
  y: (number | null)[];
}

/** Builds the page for `runs` (at least one). */
export function buildReport(runs: readonly RunData[], options: ReportOptions = {}): Report {
  const o = expectOptions<ReportOptions>(options, 'options');
  rejectUnknownKeys(o, 'options', ['maxMediaBytes', 'maxPoints', 'refreshSeconds', 'charts', 'now']);
  const maxMedia = o.maxMediaBytes === undefined ? 8 * 2 ** 20 : expectInteger(o.maxMediaBytes, 'options.maxMediaBytes', 0, 2 ** 40);
  const maxPoints = o.maxPoints === undefined ? 5000 : expectInteger(o.maxPoints, 'options.maxPoints', 2, 1e7);
  if (o.refreshSeconds !== undefined) expectInteger(o.refreshSeconds, 'options.refreshSeconds', 1, 86_400);
  if (runs.length === 0) throw new RangeError('Expected at least one run for runs but received none');
  const chosen = o.charts === undefined ? REPORT_CHARTS : reportCharts(o.charts, 'options.charts');
  const now = o.now ?? new Date();
  const multi = runs.length > 1;
  const notes: string[] = [];
  for (const r of runs) for (const n of r.notes) notes.push(multi ? `${r.label}: ${n}` : n);

  // Data: per run, the x arrays once; each line points at them by id.
  const xs: Record<string, (number | null)[]> = {};
  const rowsDrawn = runs.map((r) => thin(r.metrics.length, maxPoints));
  runs.forEach((r, ri) => {
    const idx = rowsDrawn[ri]!;
    if (idx.length < r.metrics.length)
      notes.push(`${multi ? `${r.label}: ` : ''}curves draw ${idx.length} of ${r.metrics.length} metrics rows (evenly spaced, the last included)`);
    xs[`r${ri}:step`] = idx.map((i) => num(r.metrics[i]!.global_step));
    const time = idx.map((i) => num(r.metrics[i]!['time/elapsed_s']));
    if (time.some((t) => t !== null)) xs[`r${ri}:time`] = time;
  });
  const color = (ri: number, ki: number) => PALETTE[(multi ? ri : ki) % PALETTE.length]!;
  const dash = (ri: number, ki: number) => (multi ? DASHES[ki % DASHES.length]! : DASHES[Math.floor(ki / PALETTE.length) % DASHES.length]!);

  const charts: { id: string; title: string; lines: ChartLine[]; range?: readonly [number, number] }[] = [];
  for (const c of chosen) {
    const lines: ChartLine[] = [];
    runs.forEach((r, ri) => {
      c.keys.forEach((key, ki) => {
        const idx = rowsDrawn[ri]!;
        const y = idx.map((i) => num(r.metrics[i]![key]));
        if (!y.some((v) => v !== null)) return;
        lines.push({
          label: multi ? `${r.label}: ${key}` : key,
          stroke: color(ri, ki),
          dash: dash(ri, ki),
          x: { step: `r${ri}:step`, time: xs[`r${ri}:time`] ? `r${ri}:time` : null },
          y,
        });
      });
    });
    if (lines.length) charts.push({ id: c.id, title: c.title, lines, ...(c.range ? { range: c.range } : {}) });
  }
  const withEvals = runs.some((r) => r.evals?.length);
  if (withEvals) {
    const lines: ChartLine[] = [];
    let k = 0;
    runs.forEach((r, ri) => {
      const byStage = new Map<string, JsonRow[]>();
      for (const e of r.evals ?? []) {
        const stage = String(e.stage ?? '?');
        if (!byStage.has(stage)) byStage.set(stage, []);
        byStage.get(stage)!.push(e);
      }
      [...byStage].forEach(([stage, rows]) => {
        const id = `r${ri}:eval:${stage}`;
        xs[id] = rows.map((e) => num(e.global_step));
        lines.push({
          label: multi ? `${r.label}: ${stage}` : `stage ${stage}`,
          stroke: PALETTE[k++ % PALETTE.length]!,
          dash: multi ? DASHES[ri % DASHES.length]! : [],
          x: { step: id, time: null },
          y: rows.map((e) => num(e.flag_rate)),
        });
      });
    });
    charts.push({ id: 'eval-flag-rate', title: 'Eval flag rate per stage (probes)', lines, range: [0, 1] });
  }

  // Media: newest first (names carry the zero-padded step), across runs, up to the cap.
  const media = runs.flatMap((r) => r.media.map((m) => ({ run: r.label, ...m }))).sort((a, b) => b.name.localeCompare(a.name));
  const included: typeof media = [];
  const leftOut: typeof media = [];
  let used = 0;
  for (const m of media) {
    if (used + m.bytes <= maxMedia) {
      included.push(m);
      used += m.bytes;
    } else leftOut.push(m);
  }
  if (leftOut.length) {
    const mib = (b: number) => (b / 2 ** 20).toFixed(1);
    notes.push(
      `left out ${leftOut.length} of ${media.length} GIFs (${mib(leftOut.reduce((s, m) => s + m.bytes, 0))} MiB) over the ${mib(maxMedia)} MiB cap (--max-media-mib): ${leftOut
        .slice(0, 6)
        .map((m) => m.name)
        .join(', ')}${leftOut.length > 6 ? ', …' : ''}`,
    );
  }

  const body: string[] = [];
  const title = `mario-rl report: ${runs.map((r) => r.label).join(', ')}`;
  body.push(`<h1>${escapeHtml(title)}</h1>`);
  body.push(
    `<p class="sub">generated ${escapeHtml(now.toISOString())}${o.refreshSeconds ? `, reloads every ${o.refreshSeconds} s while the run goes on (report --watch)` : ''}</p>`,
  );
  if (notes.length) body.push(`<div class="notes" id="notes"><strong>Notes</strong><ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></div>`);
  body.push(runsSection(runs));
  body.push('<h2 id="curves">Curves</h2>');
  body.push(
    '<p>x axis: <select id="x-axis"><option value="step">agent steps</option><option value="time">wall time (s)</option></select> — drag on a chart to zoom, double-click to zoom out; click a legend entry to hide its line.</p>',
  );
  const curveCharts = charts.filter((c) => c.id !== 'eval-flag-rate');
  body.push(`<div class="grid">${curveCharts.map(panel).join('')}</div>`);
  const missing = chosen.filter((c) => !charts.some((d) => d.id === c.id)).map((c) => c.title);
  if (missing.length) body.push(`<p class="sub">No values in any run for: ${missing.map(escapeHtml).join('; ')}.</p>`);
  if (withEvals)
    body.push(
      evalSection(
        runs,
        charts.find((c) => c.id === 'eval-flag-rate')!,
      ),
    );
  if (runs.some((r) => r.curriculum?.length)) body.push(curriculumSection(runs));
  if (runs.some((r) => r.adaptive?.length)) body.push(adaptiveSection(runs));
  body.push(hintsSection(runs));
  if (media.length) body.push(mediaSection(included, leftOut.length));
  body.push(configSection(runs));

  const assets = uplot();
  const data = { x: xs, charts };
  const html = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // No network: the page loads nothing from anywhere (images are data URIs).
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    o.refreshSeconds ? `<meta http-equiv="refresh" content="${o.refreshSeconds}">` : '',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${assets.style}</style>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head><body>',
    body.join('\n'),
    `<script type="application/json" id="report-data">${scriptJson(data)}</script>`,
    `<script>${assets.script}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
  return {
    html,
    mediaIncluded: included.map((m) => m.path),
    mediaLeftOut: leftOut.map((m) => m.path),
    charts: charts.map((c) => c.id),
    notes,
  };
}

function panel(c: { id: string; title: string }): string {
  return `<div class="panel"><h3>${escapeHtml(c.title)}</h3><div class="chart" id="chart-${c.id}"></div></div>`;
}

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.join('')}</tr>`).join('')}</tbody></table>`;
}

const td = (html: string) => `<td>${html}</td>`;
const tdn = (html: string) => `<td class="n">${html}</td>`;

function machine(r: RunData): string {
  const parts: string[] = [];
  const m = r.machine;
  if (m) {
    const str = (k: string) => (typeof m[k] === 'string' ? escapeHtml(m[k]) : null);
    if (str('host')) parts.push(`host ${str('host')}`);
    if (str('cpu')) parts.push(`${str('cpu')}${num(m.cores) !== null ? ` × ${m.cores} cores` : ''}`);
    if (num(m.memoryGiB) !== null) parts.push(`${m.memoryGiB} GiB`);
    if (str('os')) parts.push(str('os')!);
    if (str('node')) parts.push(`Node ${str('node')}`);
    if (str('marioRl')) parts.push(`mario-rl ${str('marioRl')}${str('native') ? ` (native: ${str('native')})` : ''}`);
    if (str('device')) parts.push(`learner on ${str('device')}`);
  } else if (r.host) parts.push(`host ${escapeHtml(r.host)}`);
  const c = r.config ?? {};
  if (typeof c.device === 'string') parts.push(`device ${escapeHtml(c.device)}`);
  if (num(c.threads) !== null) parts.push(`${c.threads} ORT threads`);
  const hb = r.heartbeat;
  if (hb?.gpus.length) parts.push(`${hb.gpus.length} GPU(s)${hb.gpus[0]!.memoryTotalMiB ? `, ${hb.gpus[0]!.memoryTotalMiB} MiB each` : ''}`);
  else if (hb?.gpuUnavailable) parts.push(`no GPU seen (${escapeHtml(hb.gpuUnavailable)})`);
  if (hb?.peakRssMiB !== null && hb?.peakRssMiB !== undefined) parts.push(`peak RSS ${hb.peakRssMiB.toFixed(0)} MiB`);
  if (hb?.meanCpuPercent !== null && hb?.meanCpuPercent !== undefined) parts.push(`mean CPU ${hb.meanCpuPercent.toFixed(0)}%`);
  return parts.length ? parts.join(', ') : 'unknown (no machine.json, config.json, heartbeat.jsonl or TensorBoard files)';
}

function runsSection(runs: readonly RunData[]): string {
  const rows = runs.map((r, ri) => {
    const last = r.metrics.at(-1)!;
    const start = r.heartbeat?.firstTime ?? r.configTime;
    const end = r.heartbeat?.lastTime ?? r.metricsTime;
    const elapsed = num(last['time/elapsed_s']);
    const startSource = r.heartbeat?.firstTime ? '' : ' (config.json written)';
    const endSource = r.heartbeat?.lastTime ? '' : ' (metrics.jsonl last written)';
    const c = r.config ?? {};
    const env = (c.env ?? {}) as JsonRow;
    const what = [c.algo, c.network, env.game, env.obs].filter((v) => typeof v === 'string').join(' · ');
    return [
      td(`<span class="swatch" style="background:${PALETTE[ri % PALETTE.length]}"></span>${escapeHtml(r.label)}`),
      td(escapeHtml(r.dir)),
      td(escapeHtml(what || 'unknown')),
      td(start ? escapeHtml(start) + startSource : 'unknown'),
      td(end ? escapeHtml(end) + endSource : 'unknown'),
      tdn(elapsed !== null ? duration(elapsed) : '–'),
      tdn(fmt(last.global_step)),
      tdn(fmt(last.update)),
      tdn(fmt(last['charts/episodic_return'])),
      tdn(pct(last['charts/flag_rate'])),
      td(machine(r)),
    ];
  });
  return `<h2 id="runs">Runs</h2>${table(['run', 'directory', 'what', 'start', 'end', 'training time', 'agent steps', 'updates', 'return (last)', 'flag rate (last)', 'machine'], rows)}`;
}

function evalSection(runs: readonly RunData[], chart: { id: string; title: string }): string {
  const out = ['<h2 id="evals">Eval probes (evals.jsonl)</h2>', `<div class="grid">${panel(chart)}</div>`];
  for (const r of runs) {
    if (!r.evals?.length) continue;
    const last = new Map<string, JsonRow>();
    for (const e of r.evals) last.set(String(e.stage ?? '?'), e);
    const probes = new Set(r.evals.map((e) => e.probe)).size;
    out.push(`<h3>${escapeHtml(r.label)}: last probe per stage (${probes} probes)</h3>`);
    out.push(
      table(
        ['stage', 'agent step', 'episodes', 'flag rate', 'max x mean', 'max x p10', 'max x p50', 'max x min', 'return mean', 'early deaths', 'stage length'],
        [...last].map(([stage, e]) => [
          td(escapeHtml(stage)),
          tdn(fmt(e.global_step)),
          tdn(fmt(e.episodes)),
          tdn(pct(e.flag_rate)),
          tdn(fmt(e.max_x_mean)),
          tdn(fmt(e.max_x_p10)),
          tdn(fmt(e.max_x_p50)),
          tdn(fmt(e.max_x_min)),
          tdn(fmt(e.return_mean)),
          tdn(pct(e.early_death_rate)),
          tdn(fmt(e.length)),
        ]),
      ),
    );
  }
  return out.join('\n');
}

function curriculumSection(runs: readonly RunData[]): string {
  const out = ['<h2 id="curriculum">Curriculum (curriculum.jsonl)</h2>'];
  for (const r of runs) {
    const rows = r.curriculum ?? [];
    if (!rows.length) continue;
    // Every decision that changed something, and the holds only when there are few rows.
    const shown = rows.length <= 40 ? rows : rows.filter((e, i) => e.decision !== 'hold' || i === rows.length - 1);
    const holds = rows.filter((e) => e.decision === 'hold').length;
    const t = (rows.at(-1)!.thresholds ?? {}) as JsonRow;
    out.push(
      `<h3>${escapeHtml(r.label)}: ${rows.length} gate decisions (${holds} holds${shown.length < rows.length ? ', not listed' : ''}); gate flag rate ≥ ${pct(t.flag_rate)}, p10 progress ≥ ${pct(t.progress_p10)}, ${fmt(t.consecutive)} in a row</h3>`,
    );
    out.push(
      table(
        ['agent step', 'stage', 'decision', 'flag rate', 'max x p10', 'stage length', 'p10 progress', 'streak'],
        shown.map((e) => [
          tdn(fmt(e.global_step)),
          td(escapeHtml(String(e.stage ?? '?'))),
          td(e.decision === 'hold' ? 'hold' : `<strong>${escapeHtml(String(e.decision))}</strong>`),
          tdn(pct(e.flag_rate)),
          tdn(fmt(e.max_x_p10)),
          tdn(fmt(e.length)),
          tdn(pct(e.progress_p10)),
          tdn(fmt(e.streak)),
        ]),
      ),
    );
  }
  return out.join('\n');
}

function adaptiveSection(runs: readonly RunData[]): string {
  const out = ['<h2 id="adaptive">Adaptive schedules (adaptive.jsonl)</h2>'];
  for (const r of runs) {
    if (!r.adaptive?.length) continue;
    out.push(`<h3>${escapeHtml(r.label)}</h3>`);
    out.push(
      table(
        ['agent step', 'reason', 'entropy coefficient', 'lr scale', 'probes without a rise'],
        r.adaptive.map((e) => [
          tdn(fmt(e.global_step)),
          td(escapeHtml(String(e.reason ?? ''))),
          tdn(fmt(e.ent_coef)),
          tdn(fmt(e.lr_scale)),
          tdn(fmt(e.stagnant_probes)),
        ]),
      ),
    );
  }
  return out.join('\n');
}

function hintsSection(runs: readonly RunData[]): string {
  const out = ['<h2 id="hints">Hints (hints.jsonl)</h2>'];
  for (const r of runs) {
    const label = runs.length > 1 ? `${escapeHtml(r.label)}: ` : '';
    if (!r.hints?.length) {
      out.push(`<p>${label}none raised${r.hints === null ? ' (no hints.jsonl)' : ''}.</p>`);
      continue;
    }
    if (label) out.push(`<h3>${label.slice(0, -2)}</h3>`);
    out.push(
      table(
        ['agent step', 'update', 'code', 'message'],
        r.hints.map((h) => [
          tdn(fmt(h.global_step)),
          tdn(fmt(h.update)),
          td(`<code>${escapeHtml(String(h.code ?? ''))}</code>`),
          td(escapeHtml(String(h.message ?? ''))),
        ]),
      ),
    );
  }
  return out.join('\n');
}

function mediaSection(included: readonly { run: string; name: string; path: string }[], leftOut: number): string {
  const figures = included.map((m) => {
    const b64 = readFileSync(m.path).toString('base64');
    return `<figure><img alt="${escapeHtml(m.name)}" src="data:image/gif;base64,${b64}"><figcaption>${escapeHtml(m.run)}: ${escapeHtml(m.name)}</figcaption></figure>`;
  });
  const more = leftOut ? `<p class="sub">${leftOut} more left out over the size cap (see the notes).</p>` : '';
  return `<h2 id="media">Episodes (media/)</h2><div class="media">${figures.join('')}</div>${more}`;
}

/** A config flattened to dotted keys (`ppo.clipCoef`), arrays and scalars as their JSON. */
function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, JSON.stringify(value) ?? 'undefined');
  return out;
}

/** The config keys whose values differ between runs (`runDir` aside: it always does). */
export function configDifferences(runs: readonly RunData[]): { key: string; values: (string | null)[] }[] {
  const flat = runs.map((r) => (r.config ? flatten(r.config) : null));
  const keys = [...new Set(flat.flatMap((f) => (f ? [...f.keys()] : [])))].filter((k) => k !== 'runDir').sort();
  return keys.map((key) => ({ key, values: flat.map((f) => (f ? (f.get(key) ?? null) : null)) })).filter((d) => new Set(d.values).size > 1);
}

function configSection(runs: readonly RunData[]): string {
  const out = ['<h2 id="config">Config</h2>'];
  if (runs.length > 1) {
    const diff = configDifferences(runs);
    out.push(
      diff.length
        ? `<h3>What differs between the runs</h3>${table(
            ['config key', ...runs.map((r) => r.label)],
            diff.map((d) => [td(`<code>${escapeHtml(d.key)}</code>`), ...d.values.map((v) => td(v === null ? '–' : escapeHtml(v)))]),
          )}`
        : '<p>The runs have the same config (runDir aside).</p>',
    );
  }
  for (const r of runs) {
    out.push(
      r.config
        ? `<details${runs.length === 1 ? ' open' : ''}><summary>${escapeHtml(r.label)}: config.json</summary><pre>${escapeHtml(JSON.stringify(r.config, null, 2))}</pre></details>`
        : `<p>${escapeHtml(r.label)}: no config.json.</p>`,
    );
  }
  return out.join('\n');
}
