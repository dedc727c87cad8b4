/**
 * One object for everything a run logs, so the Trainer's loop has one line per update:
 * `metrics.jsonl` and TensorBoard scalars from the same row, the episode window, event-loop lag,
 * the heartbeat, and the resolved config saved next to them. The layout of a run directory:
 *
 * ```
 * <runDir>/config.json       the resolved config (written atomically at start)
 * <runDir>/machine.json      the machine and versions the run started on (when given)
 * (a fresh run refuses a directory that holds another run: see run-dir.ts)
 * <runDir>/metrics.jsonl     one row per update
 * <runDir>/tensorboard/      event files
 * <runDir>/heartbeat.jsonl   process health
 * <runDir>/hints.jsonl       training hints, one row each (written by TrainingHints, only when one fires)
 * <runDir>/checkpoints/      see checkpoints.md
 * ```
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { writeFileAtomic } from './atomic-file.js';
import { EpisodeWindow, EventLoopLagMonitor, Heartbeat, MetricsWriter, type EpisodeRecord, type MetricsRow } from './metrics.js';
import { TensorBoardWriter } from './tensorboard.js';

/** Paths inside a run directory. */
export interface RunPaths {
  /** The run directory itself. */
  root: string;
  /** Resolved config. */
  config: string;
  /** The machine the run started on. */
  machine: string;
  /** Per-update metrics. */
  metrics: string;
  /** TensorBoard log directory. */
  tensorboard: string;
  /** Heartbeat file. */
  heartbeat: string;
  /** Training hints (`TrainingHints`), created when the first one fires. */
  hints: string;
  /** Checkpoint store directory. */
  checkpoints: string;
}

/** The standard layout of `runDir`. */
export function runPaths(runDir: string): RunPaths {
  return {
    root: runDir,
    config: join(runDir, 'config.json'),
    machine: join(runDir, 'machine.json'),
    metrics: join(runDir, 'metrics.jsonl'),
    tensorboard: join(runDir, 'tensorboard'),
    heartbeat: join(runDir, 'heartbeat.jsonl'),
    hints: join(runDir, 'hints.jsonl'),
    checkpoints: join(runDir, 'checkpoints'),
  };
}

/** Options of {@link RunLogger}. */
export interface RunLoggerOptions {
  /** Saved as config.json (any JSON value). */
  config?: unknown;
  /** Saved as machine.json (CPU, cores, versions: see `machineInfo` in src/train/machine.ts). */
  machine?: unknown;
  /** Write TensorBoard files. Default true. */
  tensorboard?: boolean;
  /** Heartbeat period in seconds; 0 = none. Default 10. */
  heartbeatSeconds?: number;
  /** Query nvidia-smi in the heartbeat (its latest sample also goes into each metrics row). Default true. */
  gpu?: boolean;
  /** The `nvidia-smi` command (tests). Default 'nvidia-smi'. */
  nvidiaSmi?: string;
  /** Episodes in the statistics window. Default 100. */
  windowEpisodes?: number;
  /** metrics.jsonl rows buffered before writing. Default 1. */
  flushEveryRows?: number;
  /** A window restored from a checkpoint (replaces windowEpisodes). */
  window?: EpisodeWindow;
  /** Fields added to every heartbeat row (e.g. `() => ({ global_step })`). */
  heartbeatExtra?: () => MetricsRow;
}

/** Writes a run's metrics, TensorBoard scalars and heartbeat. */
export class RunLogger {
  /** File layout. */
  readonly paths: RunPaths;
  /** Rolling episode statistics (checkpoint it with `window.toJSON()`). */
  readonly window: EpisodeWindow;
  #metrics: MetricsWriter;
  #tb: TensorBoardWriter | null;
  #lag = new EventLoopLagMonitor(10);
  #heartbeat: Heartbeat | null;
  #closed = false;

  /** Creates the run directory and opens every writer. */
  constructor(runDir: string, options: RunLoggerOptions = {}) {
    this.paths = runPaths(runDir);
    mkdirSync(runDir, { recursive: true });
    if (options.config !== undefined) {
      writeFileAtomic(this.paths.config, [new TextEncoder().encode(`${JSON.stringify(options.config, null, 2)}\n`)]);
    }
    if (options.machine !== undefined) {
      writeFileAtomic(this.paths.machine, [new TextEncoder().encode(`${JSON.stringify(options.machine, null, 2)}\n`)]);
    }
    this.window = options.window ?? new EpisodeWindow(options.windowEpisodes ?? 100);
    this.#metrics = new MetricsWriter(this.paths.metrics, { flushEveryRows: options.flushEveryRows ?? 1 });
    this.#tb = options.tensorboard === false ? null : new TensorBoardWriter(this.paths.tensorboard);
    const hb = options.heartbeatSeconds ?? 10;
    this.#heartbeat =
      hb > 0
        ? new Heartbeat(this.paths.heartbeat, {
            intervalSeconds: hb,
            gpu: options.gpu ?? true,
            extra: options.heartbeatExtra,
            ...(options.nvidiaSmi ? { nvidiaSmi: options.nvidiaSmi } : {}),
          }).start()
        : null;
    this.#lag.start();
  }

  /** Waits for the heartbeat's nvidia-smi query in flight (tests). */
  async settled(): Promise<void> {
    await this.#heartbeat?.settled();
  }

  /** Records a finished episode in the window. */
  episode(record: EpisodeRecord): void {
    this.window.add(record);
  }

  /**
   * Writes one update's row: `global_step` and `update`, the caller's values, the window summary,
   * `time/wall` (ISO wall-clock time of the row, not sent to TensorBoard) and `perf/event_loop_lag_*` (since the previous update), plus `perf/gpu<i>_utilization_percent`
   * and `perf/gpu<i>_memory_used_mib` per GPU when the heartbeat has an nvidia-smi sample (the
   * heartbeat polls it, so a row never waits for the tool). Numeric fields also go to TensorBoard
   * at `global_step`. Returns the full row.
   */
  update(globalStep: number, globalUpdate: number, values: MetricsRow): MetricsRow {
    if (this.#closed) throw new Error('RunLogger is closed');
    if (this.#heartbeat?.error) throw this.#heartbeat.error;
    const lag = this.#lag.readAndReset();
    const row: MetricsRow = {
      global_step: globalStep,
      update: globalUpdate,
      ...values,
      ...this.window.summary(),
      'time/wall': new Date().toISOString(),
      'perf/event_loop_lag_mean_ms': lag.meanMs,
      'perf/event_loop_lag_p99_ms': lag.p99Ms,
      'perf/event_loop_lag_max_ms': lag.maxMs,
    };
    for (const g of this.#heartbeat?.lastGpu ?? []) {
      row[`perf/gpu${g.index}_utilization_percent`] = g.utilizationPercent;
      row[`perf/gpu${g.index}_memory_used_mib`] = g.memoryUsedMiB;
    }
    this.#metrics.write(row);
    if (this.#tb) {
      const scalars: Record<string, number> = {};
      for (const [k, v] of Object.entries(row)) {
        if (typeof v === 'number' && k !== 'global_step' && k !== 'update') scalars[k] = v;
      }
      this.#tb.addScalars(scalars, globalStep);
    }
    return row;
  }

  /** Histogram of a rollout quantity (advantages, values) in TensorBoard; no-op without it. */
  histogram(tag: string, values: ArrayLike<number>, globalStep: number): void {
    this.#tb?.addHistogram(tag, values, globalStep);
  }

  /** Writes buffered rows and events. */
  flush(): void {
    this.#metrics.flush();
    this.#tb?.flush();
  }

  /** Stops the heartbeat (writing a last row) and closes every file. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lag.stop();
    // Every file is closed even when one fails (full disk); the first failure is thrown.
    let first: unknown;
    for (const close of [() => this.#heartbeat?.stop(), () => this.#metrics.close(), () => this.#tb?.close()]) {
      try {
        close();
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }
}
