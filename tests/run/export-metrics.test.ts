/**
 * `mario-rl export-metrics` (src/run/export-metrics.ts, src/cli/export-metrics.ts): each format
 * read back with another reader (hyparquet for Parquet, apache-arrow's reader for Arrow, a CSV
 * parser written here) equals metrics.jsonl row for row, nulls and missing keys included; evals
 * with their nested histogram; bad usage exits with 2 naming the flag.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { tableFromIPC } from 'apache-arrow';
import { parquetReadObjects } from 'hyparquet';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { exportMetricsCommand } from '../../src/cli/export-metrics.js';
import { type ExportFormat, formatFromPath, rowsToColumns } from '../../src/run/export-metrics.js';

const fixture = resolve(import.meta.dirname, 'fixtures/tiny-run');
let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-export-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

async function exportMetrics(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
  vi.spyOn(console, 'error').mockImplementation((m: string) => void err.push(m));
  const code = await exportMetricsCommand.run(args);
  vi.restoreAllMocks();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const jsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** An RFC 4180 reader, separate from the writer: quoted fields, doubled quotes, commas and line breaks inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  return rows;
}

/** Reads an exported file back as rows of plain values (objects as the JSON text they were written as). */
async function readBack(path: string, format: ExportFormat): Promise<Record<string, unknown>[]> {
  const bytes = readFileSync(path);
  if (format === 'parquet') {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    return (await parquetReadObjects({ file: ab })) as Record<string, unknown>[];
  }
  if (format === 'arrow')
    return tableFromIPC(bytes)
      .toArray()
      .map((r: { toJSON(): Record<string, unknown> }) => ({ ...r.toJSON() }));
  const [head, ...body] = parseCsv(bytes.toString('utf8'));
  return body.map((cells) => Object.fromEntries(head!.map((h, i) => [h, cells[i]])));
}

/** What a reader should give back for `rows` in `format`: every column in every row, null where absent. */
function expected(rows: Record<string, unknown>[], format: ExportFormat) {
  const columns = rowsToColumns(rows);
  return rows.map((r) =>
    Object.fromEntries(
      columns.map((c) => {
        const v = r[c.name] ?? null;
        const text = v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
        // CSV has no types: numbers come back as their shortest exact text, null as ''.
        return [c.name, format === 'csv' ? (text === null ? '' : String(text)) : text];
      }),
    ),
  );
}

describe('export-metrics round trip', () => {
  const tricky = [
    { global_step: 128, update: 1, 'charts/SPS': 134.99438154438656, note: 'a, "quoted"\nline', ok: true, hist: { bin_width: 256, counts: [1, 2] } },
    { global_step: 256, update: 2, 'charts/SPS': null, 'losses/approx_kl': 1.1185649782419205e-5, ok: false },
    { global_step: 9007199254740991, update: 3, 'charts/SPS': -0.1 },
  ];

  it.each(['parquet', 'arrow', 'csv'] as const)('%s: the fixture run and tricky rows read back equal to the JSONL', async (format) => {
    const out = join(dir, `m.${format}`);
    const r = await exportMetrics(fixture, '--out', out);
    expect(r).toEqual({ code: 0, out: expect.stringMatching(new RegExp(`^wrote .*m\\.${format} \\(${format}\\): 8 rows × 49 columns$`)), err: '' });
    const rows = jsonl(join(fixture, 'metrics.jsonl'));
    expect(await readBack(out, format)).toEqual(expected(rows, format));

    const run = join(dir, 'tricky');
    cpSync(fixture, run, { recursive: true });
    writeFileSync(join(run, 'metrics.jsonl'), tricky.map((t) => JSON.stringify(t)).join('\n') + '\n');
    const out2 = join(dir, `t.${format}`);
    expect((await exportMetrics(run, '--out', out2)).code).toBe(0);
    expect(await readBack(out2, format)).toEqual(expected(tricky, format));
  });

  it('--evals writes the probes too; --format overrides the extension', async () => {
    const out = join(dir, 'm.bin');
    const evalsOut = join(dir, 'e.bin');
    const r = await exportMetrics(fixture, '--out', out, '--format', 'parquet', '--evals', evalsOut);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/e\.bin \(parquet\): 4 rows × 14 columns$/);
    const evals = jsonl(join(fixture, 'evals.jsonl'));
    const back = await readBack(evalsOut, 'parquet');
    expect(back).toEqual(expected(evals, 'parquet'));
    expect(JSON.parse(back[1]!.death_x_hist as string)).toEqual({ bin_width: 256, counts: [1, 2] });
  });

  it('a truncated last line: the whole rows, and a note', async () => {
    const run = join(dir, 'run');
    cpSync(fixture, run, { recursive: true });
    writeFileSync(join(run, 'metrics.jsonl'), '{"global_step":1}\n{"global_step":2}\n{"glo');
    const r = await exportMetrics(run, '--out', join(dir, 'm.csv'));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^note: metrics\.jsonl: the last line is truncated/);
    expect(readFileSync(join(dir, 'm.csv'), 'utf8')).toBe('global_step\n1\n2\n');
  });

  it('formats from extensions', () => {
    expect(['a.parquet', 'a.ARROW', 'a.feather', 'a.ipc', 'a.csv', 'a.json'].map(formatFromPath)).toEqual(['parquet', 'arrow', 'arrow', 'arrow', 'csv', null]);
  });
});

describe('mario-rl export-metrics bad input', () => {
  it.each([
    [[fixture], /--out is required/],
    [[fixture, '--out', 'm.json'], /Expected --format or an --out ending in \.parquet, .* for --out but received 'm\.json'/],
    [[fixture, '--out', 'm.csv', '--format', 'xlsx'], /--format must be one of parquet, arrow, csv but is 'xlsx'/],
    [[fixture, '--out', 'm.csv', '--colour'], /unknown flag --colour/],
    [['--out', 'm.csv'], /Expected one run directory for RUN but received none/],
    [[fixture, fixture, '--out', 'm.csv'], /Expected one run directory for RUN but received '.*' '.*'/],
    [[fixture, '--out', 'm.csv', '--evals', 'm.csv'], /Expected another file than --out for --evals/],
    [[fixture, '--out', 'm.csv', '--evals', '/nope/e.csv'], /Expected a file in an existing folder for --evals but received '\/nope\/e\.csv'/],
  ])('%j: exit 2 with the usage', async (args, message) => {
    const r = await exportMetrics(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain('usage: mario-rl export-metrics RUN');
  });

  it('no metrics, no evals: exit 2 naming the folder or the flag', async () => {
    expect(await exportMetrics(dir, '--out', join(dir, 'm.csv'))).toMatchObject({
      code: 2,
      err: expect.stringMatching(/for RUN but received '.*' \(it has none/),
    });
    const run = join(dir, 'run');
    cpSync(fixture, run, { recursive: true });
    rmSync(join(run, 'evals.jsonl'));
    const r = await exportMetrics(run, '--out', join(dir, 'm.csv'), '--evals', join(dir, 'e.csv'));
    expect(r).toMatchObject({
      code: 2,
      err: expect.stringMatching(/Expected a run with eval probes \(evals\.jsonl\) for --evals but received '.*run' \(no evals\.jsonl/),
    });
  });
});
