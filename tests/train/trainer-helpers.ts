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

/** `base` with `extra` on top; sections (env, ppo, log, …) merge one level deep. */
export function withConfig(base: TrainerConfigInput, extra: TrainerConfigInput): TrainerConfigInput {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const was = out[key];
    const plain = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    out[key] = plain(was) && plain(value) ? { ...(was as object), ...(value as object) } : value;
  }
  return out as TrainerConfigInput;
}

/** The built-in game as a 13×16 tile grid, tiles-mlp, 2 lanes × 16 steps, one epoch, one ORT thread, CPU, quiet logs. */
export function tinyTiles(runDir: string, extra: TrainerConfigInput = {}): TrainerConfigInput {
  return withConfig(
    {
      network: 'tiles-mlp',
      device: 'cpu',
      threads: 1,
      overlap: false,
      runDir,
      seed: 3,
      env: { game: 'runner', obs: 'tiles', maxEpisodeSteps: 60 },
      ppo: { numEnvs: 2, numSteps: 16, epochs: 1, minibatches: 2 },
      checkpoint: { interval: 1, keep: 3 },
      log: { heartbeatSeconds: 0, tensorboard: false, progress: 'off' },
    },
    extra,
  );
}

/** {@link tinyTiles} the way the whole-game suites run it: right-only, frame skip 8, 4 lanes × 32 steps, seed 5. */
export function tinyStages(runDir: string, extra: TrainerConfigInput = {}): TrainerConfigInput {
  return tinyTiles(
    runDir,
    withConfig(
      {
        seed: 5,
        env: { actions: 'right-only', frameSkip: 8, rewardScale: 0.02 },
        ppo: { numEnvs: 4, numSteps: 32 },
        checkpoint: { interval: 2, keep: 5 },
      },
      extra,
    ),
  );
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
