/**
 * Named starting configs (`--preset NAME`, or `resolveConfig({ preset })`): each is a partial
 * config laid over the defaults before the file, overrides and flags. They hold settings that
 * were measured to learn (docs/training.md, "Learning on the built-in game"; docs/results.md).
 */
import { type TrainerConfigInput } from './config-fields.js';

/** One preset: what it is for and the config fields it sets. */
export interface Preset {
  /** One line for `--help`. */
  summary: string;
  /** Fields laid over the defaults (schedules in their flag form). */
  config: TrainerConfigInput;
}

/** The presets, by name. */
export const PRESETS: Readonly<Record<string, Preset>> = Object.freeze({
  'runner-ram': {
    summary: 'built-in game stage 1 from RAM (mlp network, skip 8): ≥ 80% flags after ~700k agent steps (3–4 minutes on 2 cores)',
    config: {
      algo: 'ppo',
      network: 'mlp',
      threads: 1,
      env: { game: 'runner', stage: 1, obs: 'ram', actions: 'right-only', frameSkip: 8, maxEpisodeSteps: 400, rewardScale: 0.02 },
      ppo: { numEnvs: 32, numSteps: 32, epochs: 4, minibatches: 4, learningRate: 'linear:0.0005:0', gamma: 0.99, gaeLambda: 0.95, entCoef: 0.01 },
      totalSteps: 1_000_000,
    },
  },
  'runner-pixels': {
    summary: 'built-in game stage 1 from 42x42 gray frames (baseline network, skip 8)',
    config: {
      algo: 'ppo',
      network: 'baseline',
      env: { game: 'runner', stage: 1, actions: 'right-only', width: 42, height: 42, frameSkip: 8, maxEpisodeSteps: 400, rewardScale: 0.02 },
      ppo: { numEnvs: 32, numSteps: 32, epochs: 2, minibatches: 4, learningRate: 0.00025, gamma: 0.99, gaeLambda: 0.95, entCoef: 0.02 },
      totalSteps: 3_000_000,
    },
  },
  'runner-tiles': {
    summary: 'built-in game stage 1 from its 13x16 tile grid (tiles-mlp network, skip 8): ≥ 90% flags after ~270k agent steps (docs/results.md)',
    config: {
      algo: 'ppo',
      network: 'tiles-mlp',
      threads: 1,
      env: { game: 'runner', stage: 1, obs: 'tiles', actions: 'right-only', frameSkip: 8, maxEpisodeSteps: 400, rewardScale: 0.02 },
      ppo: { numEnvs: 32, numSteps: 32, epochs: 4, minibatches: 4, learningRate: 'linear:0.0005:0', gamma: 0.99, gaeLambda: 0.95, entCoef: 0.01 },
      totalSteps: 1_000_000,
    },
  },
  'runner-curriculum': {
    summary: 'built-in game stages 1-1 → 1-3 with one tiles-mlp policy: a gated curriculum over the eval probes (curriculum.jsonl); docs/results.md',
    config: {
      algo: 'ppo',
      network: 'tiles-mlp',
      threads: 1,
      env: { game: 'runner', obs: 'tiles', actions: 'right-only', frameSkip: 8, maxEpisodeSteps: 400, rewardScale: 0.02, noopMax: 30 },
      ppo: { numEnvs: 32, numSteps: 32, epochs: 4, minibatches: 4, learningRate: 0.0005, gamma: 0.99, gaeLambda: 0.95, entCoef: 0.01 },
      eval: { episodes: 20, interval: 10, seeds: 2, noopMax: 30 },
      curriculum: { stages: '1-1,1-2,1-3', flagRate: 0.5, progressP10: 0.5, consecutive: 2, mixEarlier: 0.25 },
      totalSteps: 3_000_000,
    },
  },
  'smb-1-1-tiles': {
    summary:
      'Super Mario Bros. 1-1 from the 13x16 tile grid (tiles-mlp, simple actions, no-op starts): ≥ 50% no-op evaluation flags in 5.4 min on an idle 2-core machine (docs/results.md)',
    config: {
      algo: 'ppo',
      network: 'tiles-mlp',
      threads: 1,
      env: { game: 'smb1', world: 1, stage: 1, obs: 'tiles', actions: 'simple', frameSkip: 4, noopMax: 30 },
      ppo: { numEnvs: 16, numSteps: 128, epochs: 4, minibatches: 4, learningRate: 0.00025, gamma: 0.9, gaeLambda: 0.95 },
    },
  },
  'smb-world-1-tiles': {
    summary: 'Super Mario Bros. World 1 (1-1 → 1-4) with one tiles-mlp policy: gated curriculum, eval probes, start-state queue; docs/results.md',
    config: {
      algo: 'ppo',
      network: 'tiles-mlp',
      threads: 1,
      // maxStallSteps: 10 s without a new max x ends an episode (1-2's brick shelf held the
      // agent until the clock ran out, 2,000 steps an episode; docs/results.md).
      env: { game: 'smb1', obs: 'tiles', actions: 'right-only', frameSkip: 4, noopMax: 30, maxStallSteps: 150 },
      ppo: { numEnvs: 16, numSteps: 128, epochs: 4, minibatches: 4, learningRate: 0.00025, gamma: 0.9, gaeLambda: 0.95 },
      eval: { episodes: 20, interval: 25, seeds: 2, noopMax: 30 },
      curriculum: { stages: '1-1,1-2,1-3,1-4', flagRate: 0.5, progressP10: 0.3, consecutive: 2, mixEarlier: 0.25, stopWhenDone: false },
      startStates: { share: 0.2, capacity: 64, secondsBefore: 2 },
      checkpoint: { interval: 50, keep: 5 },
      totalSteps: 100_000_000,
    },
  },
  'smb-1-1': {
    summary: 'Super Mario Bros. 1-1 from 42x42 gray frames (baseline network, right-only, uvipen reward); the docs/results.md run',
    config: {
      algo: 'ppo',
      network: 'baseline',
      env: { game: 'smb1', world: 1, stage: 1, actions: 'right-only', width: 42, height: 42 },
      // γ 0.9 (uvipen's): with 0.99 the value loss stayed at 10–55 and the flag rate near 0 after
      // 2 hours (docs/results.md); with 0.9 the same run reached the flag in most episodes.
      ppo: { numEnvs: 8, numSteps: 128, epochs: 4, minibatches: 4, learningRate: 0.00025, gamma: 0.9, gaeLambda: 0.95 },
    },
  },
  'smb3-1-1': {
    summary: "Super Mario Bros. 3 1-1 with smb-1-1's settings (needs env.rom or $SMB3_ROM); the docs/results.md run",
    config: {
      algo: 'ppo',
      network: 'baseline',
      env: { game: 'smb3', world: 1, stage: 1, actions: 'right-only', width: 42, height: 42 },
      ppo: { numEnvs: 8, numSteps: 128, epochs: 4, minibatches: 4, learningRate: 0.00025, gamma: 0.9, gaeLambda: 0.95 },
    },
  },
});

/** The preset called `name`, or a TypeError listing the known ones. */
export function presetConfig(name: string): Preset['config'] {
  const p = Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  if (!p)
    throw new TypeError(
      `Expected one of ${Object.keys(PRESETS)
        .map((n) => `'${n}'`)
        .join(', ')} for preset (--preset) but received ${JSON.stringify(name)}`,
    );
  return p.config;
}
