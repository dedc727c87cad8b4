/**
 * `mario-rl export-metrics`: JSONL rows (metrics.jsonl, evals.jsonl) as one table in Parquet, Arrow
 * IPC (the file format, a.k.a. Feather v2) or CSV, for pandas, polars, DuckDB or a spreadsheet.
 *
 * Columns are the rows' keys in first-seen order; a row without a key has null there. A column whose
 * values are all numbers is a float64 (agent steps stay exact up to 2^53), all booleans a boolean,
 * anything else text: strings as they are, objects and arrays (evals' `death_x_hist`) as their JSON.
 * Parquet is written by `hyparquet-writer` and Arrow by `apache-arrow` (both pure JS, loaded only
 * when that format is asked for); CSV (RFC 4180, numbers in JS's shortest exact form, null empty)
 * is ours.
 */
import { writeFileSync } from 'node:fs';

import { expectOneOf } from '../validate.js';
import { type JsonRow } from './run-reader.js';

/** The formats written. */
export const EXPORT_FORMATS = ['parquet', 'arrow', 'csv'] as const;
/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A column of the table: its name, type and values (null where a row has none). */
export type ExportColumn =
  | { name: string; type: 'float64'; values: (number | null)[] }
  | { name: string; type: 'bool'; values: (boolean | null)[] }
  | { name: string; type: 'text'; values: (string | null)[] };

/** The format a file name's extension implies (`.parquet`, `.arrow`/`.feather`/`.ipc`, `.csv`), or null. */
export function formatFromPath(path: string): ExportFormat | null {
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  if (ext === 'parquet') return 'parquet';
  if (ext === 'arrow' || ext === 'feather' || ext === 'ipc') return 'arrow';
  if (ext === 'csv') return 'csv';
  return null;
}

/** Turns rows into typed columns (see the file comment). */
export function rowsToColumns(rows: readonly JsonRow[]): ExportColumn[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
    }
  }
  return names.map((name): ExportColumn => {
    const raw = rows.map((r) => (r[name] === undefined ? null : r[name]));
    const present = raw.filter((v) => v !== null);
    if (present.every((v) => typeof v === 'number')) return { name, type: 'float64', values: raw as (number | null)[] };
    if (present.every((v) => typeof v === 'boolean')) return { name, type: 'bool', values: raw as (boolean | null)[] };
    return { name, type: 'text', values: raw.map((v) => (v === null ? null : typeof v === 'string' ? v : JSON.stringify(v))) };
  });
}

/** One CSV field (RFC 4180: quoted when it holds a comma, a quote or a line break). */
function csvField(v: number | boolean | string | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The columns as CSV text: a header line, then one line per row, `\n` line ends. */
export function columnsToCsv(columns: readonly ExportColumn[]): string {
  const n = columns[0]?.values.length ?? 0;
  const lines = [columns.map((c) => csvField(c.name)).join(',')];
  for (let i = 0; i < n; i++) lines.push(columns.map((c) => csvField(c.values[i]!)).join(','));
  return lines.join('\n') + '\n';
}

/** The columns as a Parquet file (one row group per 100k rows, snappy pages as hyparquet-writer does by default). */
export async function columnsToParquet(columns: readonly ExportColumn[]): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const type = { float64: 'DOUBLE', bool: 'BOOLEAN', text: 'STRING' } as const;
  const buffer = parquetWriteBuffer({
    columnData: columns.map((c) => ({ name: c.name, data: c.values, type: type[c.type] })),
    rowGroupSize: 100_000,
  });
  return new Uint8Array(buffer);
}

/** The columns as an Arrow IPC file. */
export async function columnsToArrow(columns: readonly ExportColumn[]): Promise<Uint8Array> {
  const arrow = await import('apache-arrow');
  const vectors: Record<string, InstanceType<typeof arrow.Vector>> = {};
  for (const c of columns) {
    vectors[c.name] =
      c.type === 'float64'
        ? arrow.vectorFromArray(c.values, new arrow.Float64())
        : c.type === 'bool'
          ? arrow.vectorFromArray(c.values, new arrow.Bool())
          : arrow.vectorFromArray(c.values, new arrow.Utf8());
  }
  return arrow.tableToIPC(new arrow.Table(vectors), 'file');
}

/** Writes `rows` to `path` in `format`; returns the number of columns written. */
export async function exportRows(rows: readonly JsonRow[], path: string, format: ExportFormat): Promise<number> {
  expectOneOf(format, 'format', EXPORT_FORMATS);
  const columns = rowsToColumns(rows);
  const bytes =
    format === 'csv' ? new TextEncoder().encode(columnsToCsv(columns)) : format === 'parquet' ? await columnsToParquet(columns) : await columnsToArrow(columns);
  writeFileSync(path, bytes);
  return columns.length;
}
