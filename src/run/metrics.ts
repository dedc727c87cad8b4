/**
 * Metrics people can read while a run is going and after it ends:
 * - {@link MetricsWriter}: `metrics.jsonl`, one JSON row per update, cleanrl-style names
 *   (`losses/value_loss`, `charts/episodic_return_p50`, `charts/SPS`, ...);
 * - {@link EpisodeWindow}: mean and p50/p90/p99 of return, length, max x and flag rate over the
 *   last K episodes;
 * - {@link EventLoopLagMonitor}: event-loop delay (a stalled loop means stalled env stepping);
 * - {@link Heartbeat}: `heartbeat.jsonl`, process health every N seconds (rss, heap, CPU,
 *   event-loop lag, uptime, GPU utilisation/memory when `nvidia-smi` exists).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

import { expectInteger, expectNumber } from '../validate.js';
import { fileWriteError, flushSyncClose } from './atomic-file.js';

/** A JSON value in a metrics row. */
export type MetricsValue = number | string | boolean | null | MetricsValue[] | { [key: string]: MetricsValue };

/** A metrics row: metric name → value (usually numbers; any JSON passes through). */
export type MetricsRow = Record<string, MetricsValue>;

/** Options of {@link MetricsWriter}. */
export interface MetricsWriterOptions {
  /** Rows buffered before writing; 1 writes every row at once. Default 1 (one row per update is cheap). */
  flushEveryRows?: number;
  /** Also write when this many ms passed since the last write, whatever the row count. Default 5000. */
  flushIntervalMs?: number;
  /** Clock in ms (injectable for tests). Default `Date.now`. */
  now?: () => number;
}

/**
 * Appends JSON rows to a file (created with its directory; an existing file is appended to, so
 * a resumed run continues its log). Non-finite numbers are written as null: JSON has no NaN.
 */
export class MetricsWriter {
  /** The file. */
  readonly path: string;
  #fd: number | null;
  #pending: string[] = [];
  #flushEveryRows: number;
  #flushIntervalMs: number;
  #now: () => number;
  #lastFlush: number;

  /** Opens `path` for appending. */
  constructor(path: string, options: MetricsWriterOptions = {}) {
    this.path = path;
    this.#flushEveryRows = expectInteger(options.flushEveryRows ?? 1, 'flushEveryRows', 1, 1_000_000);
    this.#flushIntervalMs = expectNumber(options.flushIntervalMs ?? 5000, 'flushIntervalMs', 0);
    this.#now = options.now ?? Date.now;
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.#fd = openSync(path, 'a');
    } catch (err) {
      throw fileWriteError(err, path);
    }
    this.#lastFlush = this.#now();
  }

  /** Adds one row (written according to the flush policy). */
  write(row: MetricsRow): void {
    if (this.#fd === null) throw new Error(`MetricsWriter for ${this.path} is closed`);
    this.#pending.push(JSON.stringify(row, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
    if (this.#pending.length >= this.#flushEveryRows || this.#now() - this.#lastFlush >= this.#flushIntervalMs) this.flush();
  }

  /** Writes buffered rows now. */
  flush(): void {
    this.#lastFlush = this.#now();
    if (this.#fd === null || this.#pending.length === 0) return;
    try {
      writeSync(this.#fd, `${this.#pending.join('\n')}\n`);
    } catch (err) {
      throw fileWriteError(err, this.path);
    }
    this.#pending = [];
  }

  /** Flushes, syncs and closes (the file is closed even when the last write fails; that error is thrown). */
  close(): void {
    if (this.#fd === null) return;
    try {
      flushSyncClose(this.#fd, () => this.flush(), this.path);
    } finally {
      this.#fd = null;
    }
  }
}

/** One finished episode. */
export interface EpisodeRecord {
  /** Undiscounted return. */
  return: number;
  /** Length in agent steps. */
  length: number;
  /** Furthest x position reached (0 when the game has none). */
  maxX?: number;
  /** Whether the flag (stage clear) was reached. */
  flag?: boolean;
}

/** Linear-interpolated quantile (numpy's default) of an ascending-sorted array; NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Rolling statistics over the last `size` episodes (a ring buffer; nothing allocated per episode). */
export class EpisodeWindow {
  #size: number;
  #returns: Float64Array;
  #lengths: Float64Array;
  #maxX: Float64Array;
  #flags: Uint8Array;
  #count = 0;
  #next = 0;
  #total = 0;

  /** @param size window length K (default 100). */
  constructor(size = 100) {
    this.#size = expectInteger(size, 'windowEpisodes', 1, 1_000_000);
    this.#returns = new Float64Array(this.#size);
    this.#lengths = new Float64Array(this.#size);
    this.#maxX = new Float64Array(this.#size);
    this.#flags = new Uint8Array(this.#size);
  }

  /** Episodes in the window. */
  get count(): number {
    return this.#count;
  }

  /** Episodes recorded since creation (or since the state was restored). */
  get totalEpisodes(): number {
    return this.#total;
  }

  /** Smallest and largest return in the window (undefined when it is empty): `summary()`'s quantiles cannot say "every return was 0". */
  returnRange(): { min: number; max: number } | undefined {
    if (this.#count === 0) return undefined;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < this.#count; i++) {
      min = Math.min(min, this.#returns[i]!);
      max = Math.max(max, this.#returns[i]!);
    }
    return { min, max };
  }

  /** Records a finished episode. */
  add(episode: EpisodeRecord): void {
    const i = this.#next;
    this.#returns[i] = episode.return;
    this.#lengths[i] = episode.length;
    this.#maxX[i] = episode.maxX ?? 0;
    this.#flags[i] = episode.flag ? 1 : 0;
    this.#next = (i + 1) % this.#size;
    this.#count = Math.min(this.#count + 1, this.#size);
    this.#total++;
  }

  /**
   * Statistics as metric names: `charts/episodic_return` (mean) and `_p50/_p90/_p99`, the same for
   * `episodic_length` and `max_x`, `charts/flag_rate`, `charts/episodes` (window size used).
   * Empty when no episode finished yet, so rows do not carry NaN.
   */
  summary(): MetricsRow {
    if (this.#count === 0) return {};
    const row: MetricsRow = {};
    const stat = (name: string, values: Float64Array) => {
      const v = values.slice(0, this.#count).sort();
      let sum = 0;
      for (const x of v) sum += x;
      row[`charts/${name}`] = sum / v.length;
      row[`charts/${name}_p50`] = quantileSorted(v, 0.5);
      row[`charts/${name}_p90`] = quantileSorted(v, 0.9);
      row[`charts/${name}_p99`] = quantileSorted(v, 0.99);
    };
    stat('episodic_return', this.#returns);
    stat('episodic_length', this.#lengths);
    stat('max_x', this.#maxX);
    let flags = 0;
    for (let i = 0; i < this.#count; i++) flags += this.#flags[i];
    row['charts/flag_rate'] = flags / this.#count;
    row['charts/episodes'] = this.#count;
    return row;
  }

  /** Episodes in the window, oldest first (for checkpoints, so a resumed run reports the same window). */
  toJSON(): { size: number; total: number; episodes: Required<EpisodeRecord>[] } {
    const episodes: Required<EpisodeRecord>[] = [];
    const start = this.#count < this.#size ? 0 : this.#next;
    for (let k = 0; k < this.#count; k++) {
      const i = (start + k) % this.#size;
      episodes.push({ return: this.#returns[i], length: this.#lengths[i], maxX: this.#maxX[i], flag: this.#flags[i] === 1 });
    }
    return { size: this.#size, total: this.#total, episodes };
  }

  /** Rebuilds a window saved with {@link EpisodeWindow.toJSON}. */
  static fromJSON(state: { size: number; total: number; episodes: EpisodeRecord[] }): EpisodeWindow {
    const w = new EpisodeWindow(state.size);
    for (const e of state.episodes) w.add(e);
    w.#total = expectInteger(state.total, 'total', 0, Number.MAX_SAFE_INTEGER);
    return w;
  }
}

/** Event-loop delay statistics in milliseconds. */
export interface EventLoopLag {
  /** Mean delay. */
  meanMs: number;
  /** 99th percentile delay. */
  p99Ms: number;
  /** Largest delay. */
  maxMs: number;
}

/** Measures event-loop delay with `perf_hooks.monitorEventLoopDelay`; read and reset once per update. */
export class EventLoopLagMonitor {
  #histogram: IntervalHistogram;
  #running = false;

  /** @param resolutionMs sampling period (default 20 ms). */
  constructor(resolutionMs = 20) {
    this.#histogram = monitorEventLoopDelay({ resolution: expectInteger(resolutionMs, 'resolutionMs', 1, 10_000) });
  }

  /** Starts sampling. */
  start(): this {
    if (!this.#running) this.#histogram.enable();
    this.#running = true;
    return this;
  }

  /** Stops sampling. */
  stop(): void {
    if (this.#running) this.#histogram.disable();
    this.#running = false;
  }

  /** Statistics since the last reset (zeros before the first sample). */
  read(): EventLoopLag {
    const h = this.#histogram;
    if (h.count === 0) return { meanMs: 0, p99Ms: 0, maxMs: 0 };
    return { meanMs: h.mean / 1e6, p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6 };
  }

  /** Reads then resets. */
  readAndReset(): EventLoopLag {
    const lag = this.read();
    this.#histogram.reset();
    return lag;
  }
}

/** One GPU's utilisation and memory as reported by `nvidia-smi`. */
export interface GpuSample {
  /** GPU index. */
  index: number;
  /** Utilisation in percent. */
  utilizationPercent: number;
  /** Memory used, MiB. */
  memoryUsedMiB: number;
  /** Memory total, MiB. */
  memoryTotalMiB: number;
}

/** The `nvidia-smi` arguments used by {@link queryGpus}. */
export const NVIDIA_SMI_ARGS = ['--query-gpu=index,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'];

/** Parses `nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits` output. */
export function parseNvidiaSmiCsv(text: string): GpuSample[] {
  const out: GpuSample[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const cells = line.split(',').map((c) => Number(c.trim()));
    if (cells.length !== 4 || cells.some((c) => Number.isNaN(c))) {
      throw new Error(`Unexpected nvidia-smi output line: ${JSON.stringify(line)}`);
    }
    out.push({ index: cells[0], utilizationPercent: cells[1], memoryUsedMiB: cells[2], memoryTotalMiB: cells[3] });
  }
  return out;
}

/** Result of {@link queryGpus}: samples, or why there are none. */
export type GpuQueryResult = { ok: true; gpus: GpuSample[] } | { ok: false; reason: string };

/** Runs `nvidia-smi` (asynchronously, 5 s timeout); never throws: a missing tool or driver becomes a reason. */
export function queryGpus(command = 'nvidia-smi'): Promise<GpuQueryResult> {
  return new Promise((resolveQuery) => {
    execFile(command, NVIDIA_SMI_ARGS, { timeout: 5000, windowsHide: true }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const reason = code === 'ENOENT' ? `${command} not found on PATH` : `${command} failed: ${(stderr || err.message).trim().split('\n')[0]}`;
        resolveQuery({ ok: false, reason });
        return;
      }
      try {
        resolveQuery({ ok: true, gpus: parseNvidiaSmiCsv(stdout) });
      } catch (e) {
        resolveQuery({ ok: false, reason: (e as Error).message });
      }
    });
  });
}

/** Options of {@link Heartbeat}. */
export interface HeartbeatOptions {
  /** Seconds between rows. Default 10. */
  intervalSeconds?: number;
  /** Query GPUs through `nvidia-smi` (skipped with a recorded reason when it is missing). Default true. */
  gpu?: boolean;
  /** The `nvidia-smi` command (for tests). Default 'nvidia-smi'. */
  nvidiaSmi?: string;
  /** Extra fields merged into every row (e.g. globalStep), read at each beat. */
  extra?: () => MetricsRow;
}

/**
 * Writes process health to `heartbeat.jsonl` every N seconds on an unref'd timer (it never keeps
 * the process alive). Rows: `time` (ISO), `uptime_s`, `rss_mib`, `heap_used_mib`,
 * `heap_total_mib`, `external_mib`, `cpu_percent` (user+system since the previous beat, 100 = one
 * core), `event_loop_lag_mean_ms`/`_p99_ms`/`_max_ms`, and `gpu` (array of samples) or
 * `gpu_unavailable` (the reason, recorded once then no further queries).
 */
export class Heartbeat {
  /** The file. */
  readonly path: string;
  #writer: MetricsWriter;
  #intervalMs: number;
  #timer: NodeJS.Timeout | null = null;
  #lag = new EventLoopLagMonitor(10);
  #gpu: boolean;
  #nvidiaSmi: string;
  #gpuReason: string | null = null;
  #lastGpu: GpuSample[] | null = null;
  #gpuInFlight: Promise<void> | null = null;
  #extra: () => MetricsRow;
  #lastCpu = process.cpuUsage();
  #lastTime = process.hrtime.bigint();
  #error: Error | null = null;

  /** Opens `path`; call {@link start}. */
  constructor(path: string, options: HeartbeatOptions = {}) {
    this.path = path;
    this.#intervalMs = expectNumber(options.intervalSeconds ?? 10, 'heartbeatSeconds', 0.01, 86_400) * 1000;
    this.#gpu = options.gpu ?? true;
    this.#nvidiaSmi = options.nvidiaSmi ?? 'nvidia-smi';
    this.#extra = options.extra ?? (() => ({}));
    this.#writer = new MetricsWriter(path, { flushEveryRows: 1 });
  }

  /** Starts the timer (first row after one interval) and the lag monitor. */
  start(): this {
    if (this.#timer) return this;
    this.#lag.start();
    this.#pollGpu();
    // A failed write (full disk) on the timer must not become an uncaught exception: it stops the
    // heartbeat and waits in `error` for the owner (RunLogger throws it at the next row).
    this.#timer = setInterval(() => {
      try {
        this.beat();
      } catch (err) {
        this.#error = err as Error;
        if (this.#timer) clearInterval(this.#timer);
        this.#timer = null;
      }
    }, this.#intervalMs);
    this.#timer.unref();
    return this;
  }

  #pollGpu(): void {
    if (!this.#gpu || this.#gpuReason !== null || this.#gpuInFlight) return;
    this.#gpuInFlight = queryGpus(this.#nvidiaSmi).then((r) => {
      if (r.ok) this.#lastGpu = r.gpus;
      else this.#gpuReason = r.reason;
      this.#gpuInFlight = null;
    });
  }

  /** Writes one row now (the timer calls this) and returns it. */
  beat(): MetricsRow {
    const mem = process.memoryUsage();
    const now = process.hrtime.bigint();
    const cpu = process.cpuUsage(this.#lastCpu);
    const elapsedUs = Number(now - this.#lastTime) / 1000;
    this.#lastCpu = process.cpuUsage();
    this.#lastTime = now;
    const lag = this.#lag.readAndReset();
    const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
    const row: MetricsRow = {
      time: new Date().toISOString(),
      uptime_s: Math.round(process.uptime() * 10) / 10,
      rss_mib: mib(mem.rss),
      heap_used_mib: mib(mem.heapUsed),
      heap_total_mib: mib(mem.heapTotal),
      external_mib: mib(mem.external),
      cpu_percent: elapsedUs > 0 ? Math.round(((cpu.user + cpu.system) / elapsedUs) * 1000) / 10 : 0,
      event_loop_lag_mean_ms: Math.round(lag.meanMs * 100) / 100,
      event_loop_lag_p99_ms: Math.round(lag.p99Ms * 100) / 100,
      event_loop_lag_max_ms: Math.round(lag.maxMs * 100) / 100,
      ...this.#extra(),
    };
    if (this.#gpu) {
      if (this.#gpuReason !== null) row.gpu_unavailable = this.#gpuReason;
      else if (this.#lastGpu) row.gpu = this.#lastGpu.map((g) => ({ ...g }));
    }
    this.#writer.write(row);
    this.#pollGpu();
    return row;
  }

  /** The write error that stopped the heartbeat's timer, if any. */
  get error(): Error | null {
    return this.#error;
  }

  /** The latest GPU samples (null before the first answer, or when nvidia-smi is missing or off). */
  get lastGpu(): readonly GpuSample[] | null {
    return this.#lastGpu;
  }

  /** Waits for a GPU query in flight (tests; shutdown does not need to). */
  async settled(): Promise<void> {
    await this.#gpuInFlight;
  }

  /** Stops the timer, writes a final row, closes the file. Safe to call twice. */
  stop(): void {
    if (this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
      try {
        this.beat();
      } catch {
        // The last row is best effort; the writer below reports a failing file when it closes.
      }
    }
    this.#lag.stop();
    this.#writer.close();
  }
}

/**
 * Wall time per phase of the loop (e.g. 'env' for acting, 'learner' for training), so a row can
 * report `charts/env_SPS` and `charts/learner_SPS` separately. Phases may overlap (overlap mode:
 * acting while the learner runs); each is timed on its own.
 */
export class PhaseTimer {
  #now: () => number;
  #totals = new Map<string, number>();
  #started = new Map<string, number>();

  /** @param now clock in ms (injectable for tests); default `performance.now`. */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Starts timing `phase`; starting a running phase throws (a missed `stop`). */
  start(phase: string): void {
    if (this.#started.has(phase)) throw new Error(`PhaseTimer: phase '${phase}' is already running`);
    this.#started.set(phase, this.#now());
  }

  /** Stops `phase` and returns the milliseconds since its `start`. */
  stop(phase: string): number {
    const t0 = this.#started.get(phase);
    if (t0 === undefined) throw new Error(`PhaseTimer: phase '${phase}' was not started`);
    this.#started.delete(phase);
    const ms = this.#now() - t0;
    this.#totals.set(phase, (this.#totals.get(phase) ?? 0) + ms);
    return ms;
  }

  /** Times `fn` (sync or async) as `phase`. */
  async time<T>(phase: string, fn: () => T | Promise<T>): Promise<T> {
    this.start(phase);
    try {
      return await fn();
    } finally {
      this.stop(phase);
    }
  }

  /** Seconds accumulated per phase since the last reset; then starts a new period. */
  readAndReset(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [phase, ms] of this.#totals) out[phase] = ms / 1000;
    this.#totals.clear();
    return out;
  }
}
