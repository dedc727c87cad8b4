/** Shared by the Trainer suites: a tiny config on the built-in game, metrics rows, one training call. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { type MetricsRow } from '../../src/run/metrics.js';
import { type TrainerConfigInput } from '../../src/train/config.js';
import { type TrainerOptions, Trainer } from '../../src/train/trainer.js';

/** Agent steps per update of {@link tiny} (2 lanes × 32 steps). */
export const STEPS_PER_UPDATE = 2 * 32;

/** 42×42 frames, baseline network, 2 lanes × 32 steps, 2 epochs × 2 minibatches, one ORT thread, CPU. */
export function tiny(runDir: string, extra: TrainerConfigInput = {}): TrainerConfigInput {
  return {
    network: 'baseline',
    device: 'cpu',
    threads: 1,
    overlap: false,
    runDir,
    seed: 3,
    env: { width: 42, height: 42, maxEpisodeSteps: 60 },
    ppo: { numEnvs: 2, numSteps: 32, epochs: 2, minibatches: 2 },
    checkpoint: { interval: 2, keep: 5 },
    log: { heartbeatSeconds: 0, tensorboard: true },
    ...extra,
  };
}

/** The run's metrics.jsonl rows. */
export function rows(runDir: string): MetricsRow[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MetricsRow);
}

/** Rows without wall-clock fields (speeds, elapsed time, event-loop lag). */
export function learningRows(runDir: string): MetricsRow[] {
  return rows(runDir).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !/SPS|^time\/|^perf\//.test(k))));
}

/** Trains `config` to `totalSteps` without signal handlers or warnings, and closes the Trainer. */
export async function run(config: TrainerConfigInput, totalSteps: number, options: TrainerOptions = {}) {
  const trainer = new Trainer(config, { handleSignals: false, onWarning: () => {}, ...options });
  try {
    return await trainer.train({ totalSteps });
  } finally {
    await trainer.close();
  }
}
