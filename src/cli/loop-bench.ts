/**
 * Measures the whole Trainer loop (acting + learning) in agent steps/s: a fresh run for
 * `updates + 1` updates, the first (graph builds, session start) excluded. Used by
 * `mario-rl bench` and `npm run bench:train-e2e`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { validateConfig, type TrainerConfig } from '../train/config.js';
import { Trainer } from '../train/trainer.js';

/** What {@link measureTrainLoop} returns. */
export interface LoopMeasurement {
  /** Agent steps per wall second over the measured updates. */
  sps: number;
  /** Mean `charts/env_SPS` of the measured updates (acting phase). */
  envSps: number;
  /** Mean `charts/learner_SPS` of the measured updates (learning phase). */
  learnerSps: number;
}

/**
 * Trains `config` (PPO or A2C; a throwaway run directory, no checkpoints, TensorBoard or
 * heartbeat) for `updates` measured updates after one warm-up update. Warnings (device fallback,
 * CPU speed) go to `options.onWarning`, else the Trainer's default.
 */
export async function measureTrainLoop(config: unknown, updates: number, options: { onWarning?: (message: string) => void } = {}): Promise<LoopMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), 'mario-rl-loop-bench-'));
  try {
    const c: TrainerConfig = validateConfig(config);
    if (c.algo === 'dqn') throw new RangeError("Expected algo 'ppo' or 'a2c' for the loop benchmark but received 'dqn'");
    // Speed only: no training hints (a bench's short runs are not meant to learn).
    const run = validateConfig(
      { runDir: dir, checkpoint: { interval: 0 }, log: { heartbeatSeconds: 0, tensorboard: false, progress: 'off' }, hints: { enabled: false } },
      c,
    );
    const trainer = new Trainer(run, { handleSignals: false, ...(options.onWarning ? { onWarning: options.onWarning } : {}) });
    const perUpdate = trainer.sizes.stepsPerUpdate;
    const rows: Record<string, unknown>[] = [];
    let t1 = 0;
    trainer.on('update', (r) => {
      rows.push(r);
      if (r.update === 1) t1 = performance.now();
    });
    try {
      await trainer.train({ totalSteps: (updates + 1) * perUpdate });
    } finally {
      await trainer.close();
    }
    const seconds = (performance.now() - t1) / 1000;
    const rest = rows.slice(1);
    const avg = (k: string) => {
      const xs = rest.map((r) => r[k]).filter((v): v is number => typeof v === 'number');
      return xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
    };
    return { sps: (updates * perUpdate) / seconds, envSps: avg('charts/env_SPS'), learnerSps: avg('charts/learner_SPS') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
