/**
 * Reads a run directory back (the files `RunLogger`, the eval probes, the curriculum, the hints and
 * the adaptive schedules write; docs/metrics.md) for `mario-rl report` and `mario-rl
 * export-metrics`. Every file but metrics.jsonl is optional: an absent one is `null`. A run still
 * being written may end in a half-written line; that line is left out and a note says so, as does
 * any other line that is not JSON. Nothing here throws for a damaged file except a run directory
 * with no metrics at all ({@link RunReadError}).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

import { type MetricsRow } from './metrics.js';
import { runPaths } from './run-logger.js';

/** A run directory that cannot be read as one (no such folder, no metrics). The CLI exits with 2. */
export class RunReadError extends Error {
  override name = 'RunReadError';
}

/** One row of a JSONL file: any JSON object. */
export type JsonRow = Record<string, unknown>;

/** What {@link readJsonl} read. */
export interface JsonlFile<T = JsonRow> {
  /** The rows that parsed, in file order. */
  rows: T[];
  /** Notes for the reader: a truncated last line, lines that are not JSON objects. */
  notes: string[];
}

/**
 * Reads a JSONL file: one JSON object per line, blank lines ignored. A last line without its
 * newline that does not parse is a write in progress (or a crash mid-write) and is left out with a
 * note; any other line that does not parse is left out with a note naming its line number.
 * Returns null when the file does not exist.
 */
export function readJsonl(path: string): JsonlFile | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const rows: JsonRow[] = [];
  const notes: string[] = [];
  const bad: number[] = [];
  const name = basename(path);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      rows.push(value as JsonRow);
    } else if (i === lines.length - 1) {
      notes.push(
        `${name}: the last line is truncated (${line.length} bytes without a newline: a write in progress?); read the ${rows.length} whole rows before it`,
      );
    } else {
      bad.push(i + 1);
    }
  }
  if (bad.length)
    notes.push(`${name}: left out ${bad.length} line(s) that are not JSON objects (line ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''})`);
  return { rows, notes };
}

/** A GIF under `RUN/media/`. */
export interface MediaFile {
  /** File name, e.g. `probe-0000000256-1-1-best.gif`. */
  name: string;
  /** Full path. */
  path: string;
  /** Size in bytes. */
  bytes: number;
}

/** What the heartbeat says about the process and the machine. */
export interface HeartbeatSummary {
  /** Rows read. */
  rows: number;
  /** `time` of the first and the last row (ISO 8601). */
  firstTime: string | null;
  lastTime: string | null;
  /** Largest resident set size seen, MiB. */
  peakRssMiB: number | null;
  /** Mean CPU use over the rows (100 = one core). */
  meanCpuPercent: number | null;
  /** GPUs of the last row that had them (`nvidia-smi`), or the reason there were none. */
  gpus: { index: number; memoryTotalMiB?: number }[];
  gpuUnavailable: string | null;
}

/** A run directory, read. */
export interface RunData {
  /** The directory as given. */
  dir: string;
  /** A short label (the folder name; made unique by the caller when several runs share one). */
  label: string;
  /** metrics.jsonl rows, non-empty. */
  metrics: MetricsRow[];
  /** evals.jsonl, curriculum.jsonl, hints.jsonl, adaptive.jsonl rows; null when the file is absent. */
  evals: JsonRow[] | null;
  curriculum: JsonRow[] | null;
  hints: JsonRow[] | null;
  adaptive: JsonRow[] | null;
  /** config.json, or null when absent or not JSON (a note says which). */
  config: JsonRow | null;
  /** machine.json (the machine and versions the run started on), or null when absent or unreadable. */
  machine: JsonRow | null;
  /** heartbeat.jsonl summarised, or null when absent. */
  heartbeat: HeartbeatSummary | null;
  /** The host that wrote the TensorBoard files (their names carry it), or null. */
  host: string | null;
  /** GIFs under media/, by name. */
  media: MediaFile[];
  /** Modification times of config.json (≈ start) and metrics.jsonl (≈ last write), ISO 8601. */
  configTime: string | null;
  metricsTime: string | null;
  /** What the reader left out or could not read, for the reader of the report. */
  notes: string[];
}

/** Reads a run directory. Throws {@link RunReadError} when `dir` is not a folder or has no metrics rows. */
export function readRun(dir: string, name = 'RUN'): RunData {
  // Paths are quoted whole (validate's describe() shortens long strings, and a path is the point here).
  const expected = (what: string) => `Expected ${what} for ${name} but received '${dir}'`;
  if (!existsSync(dir)) throw new RunReadError(`${expected('a run directory')} (no such folder)`);
  if (!statSync(dir).isDirectory()) throw new RunReadError(`${expected('a run directory')} (a file, not a folder)`);
  const paths = runPaths(dir);
  const metrics = readJsonl(paths.metrics);
  if (!metrics) throw new RunReadError(`${expected('a run directory with metrics.jsonl')} (it has none: has the run written its first update?)`);
  if (metrics.rows.length === 0) {
    const why = metrics.notes.length ? `: ${metrics.notes.join('; ')}` : '';
    throw new RunReadError(`${expected('a run directory with at least one metrics row')} (metrics.jsonl has none${why})`);
  }
  const notes = [...metrics.notes];
  const optional = (file: string): JsonRow[] | null => {
    const read = readJsonl(join(dir, file));
    if (read) notes.push(...read.notes);
    return read ? read.rows : null;
  };
  let config: JsonRow | null = null;
  if (existsSync(paths.config)) {
    try {
      const parsed = JSON.parse(readFileSync(paths.config, 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) config = parsed as JsonRow;
      else notes.push('config.json: not a JSON object; left out');
    } catch {
      notes.push('config.json: not JSON (truncated?); left out');
    }
  }
  let machine: JsonRow | null = null;
  if (existsSync(paths.machine)) {
    try {
      const parsed = JSON.parse(readFileSync(paths.machine, 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) machine = parsed as JsonRow;
      else notes.push('machine.json: not a JSON object; left out');
    } catch {
      notes.push('machine.json: not JSON (truncated?); left out');
    }
  }
  const heartbeatRows = optional('heartbeat.jsonl');
  return {
    dir,
    label: basename(resolve(dir)),
    metrics: metrics.rows as MetricsRow[],
    evals: optional('evals.jsonl'),
    curriculum: optional('curriculum.jsonl'),
    hints: optional('hints.jsonl'),
    adaptive: optional('adaptive.jsonl'),
    config,
    machine,
    heartbeat: heartbeatRows ? summarizeHeartbeat(heartbeatRows) : null,
    host: tensorboardHost(paths.tensorboard),
    media: mediaFiles(join(dir, 'media')),
    configTime: mtime(paths.config),
    metricsTime: mtime(paths.metrics),
    notes,
  };
}

function mtime(path: string): string | null {
  return existsSync(path) ? statSync(path).mtime.toISOString() : null;
}

/** `events.out.tfevents.<seconds>.<host>.<pid>[…]`: the host is between the time and the pid. */
function tensorboardHost(dir: string): string | null {
  if (!existsSync(dir)) return null;
  for (const f of readdirSync(dir).sort()) {
    const m = /^events\.out\.tfevents\.\d+\.(.+)\.\d+(?:\.\d+)?$/.exec(f);
    if (m) return m[1]!;
  }
  return null;
}

function mediaFiles(dir: string): MediaFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.gif'))
    .sort()
    .map((name) => {
      const path = join(dir, name);
      return { name, path, bytes: statSync(path).size };
    });
}

function summarizeHeartbeat(rows: JsonRow[]): HeartbeatSummary {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  let peak: number | null = null;
  let cpu = 0;
  let cpuN = 0;
  let gpus: HeartbeatSummary['gpus'] = [];
  let gpuUnavailable: string | null = null;
  for (const r of rows) {
    const rss = num(r.rss_mib);
    if (rss !== null) peak = Math.max(peak ?? 0, rss);
    const c = num(r.cpu_percent);
    if (c !== null) {
      cpu += c;
      cpuN++;
    }
    if (Array.isArray(r.gpu) && r.gpu.length) {
      gpus = (r.gpu as JsonRow[]).map((g) => ({
        index: num(g.index) ?? 0,
        ...(num(g.memory_total_mib ?? g.memoryTotalMiB) !== null ? { memoryTotalMiB: num(g.memory_total_mib ?? g.memoryTotalMiB)! } : {}),
      }));
    }
    if (typeof r.gpu_unavailable === 'string') gpuUnavailable = r.gpu_unavailable;
  }
  const time = (r: JsonRow | undefined) => (r && typeof r.time === 'string' ? r.time : null);
  return {
    rows: rows.length,
    firstTime: time(rows[0]),
    lastTime: time(rows.at(-1)),
    peakRssMiB: peak,
    meanCpuPercent: cpuN ? cpu / cpuN : null,
    gpus,
    gpuUnavailable: gpus.length ? null : gpuUnavailable,
  };
}
