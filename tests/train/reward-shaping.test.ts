/**
 * Reward shaping from the config: env.distanceWeight, env.scoreWeight, their end values and
 * env.shapingAnnealSteps mapped onto VecEnv's `rewardShaping`, checked (by field and flag), and
 * continued across a resume.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { VecEnv } from '../../src/env/vec-env.js';
import { type CallbackContext } from '../../src/train/callbacks.js';
import { configHelp, parseConfigFlags, resolveConfig, type TrainerConfigInput, validateConfig } from '../../src/train/config.js';
import { finalRewardShaping, rewardShaping, rewardShapingAfter, vecEnvOptions } from '../../src/train/env-options.js';
import { Trainer } from '../../src/train/trainer.js';
import { ENV_BACKENDS } from '../env/backends.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-shaping-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ROM = new Uint8Array(16); // vecEnvOptions passes the bytes on; only VecEnv checks them

describe('config → VecEnv rewardShaping', () => {
  it('unset weights keep the preset: no rewardShaping at all by default', () => {
    const c = validateConfig({});
    expect(c.env).toMatchObject({ distanceWeight: null, scoreWeight: null, distanceWeightEnd: null, scoreWeightEnd: null, shapingAnnealSteps: 0 });
    expect(vecEnvOptions(c, 4, 0)).not.toHaveProperty('rewardShaping');
    expect(finalRewardShaping(c.env)).toBeUndefined();
  });

  it('maps the weights, and the annealing in agent steps onto VecEnv steps (rounded up)', () => {
    const c = validateConfig({ env: { game: 'smb1', distanceWeight: 2, scoreWeight: 0.1, distanceWeightEnd: 0.5, shapingAnnealSteps: 1001 } });
    expect(vecEnvOptions(c, 4, 0, ROM).rewardShaping).toEqual({ distanceWeight: 2, scoreWeight: 0.1, distanceWeightEnd: 0.5, annealSteps: 251 });
    expect(rewardShaping(c.env, 1)!.annealSteps).toBe(1001);
    // Evaluation holds the weights the run anneals to.
    expect(finalRewardShaping(c.env)).toEqual({ distanceWeight: 0.5, scoreWeight: 0.1 });
    const runner = validateConfig({ env: { distanceWeight: 3 } });
    expect(vecEnvOptions(runner, 2, 0)).toMatchObject({ game: 'runner', reward: 'v0', rewardShaping: { distanceWeight: 3 } });
  });

  it('a resumed env continues the annealing where the run stopped', () => {
    const shaping = { distanceWeight: 2, distanceWeightEnd: 0, annealSteps: 100 };
    const start = { distanceWeight: 2, scoreWeight: 0.025 }; // a fresh env's rewardWeights(): the preset's score weight
    expect(rewardShapingAfter(shaping, start, 25)).toEqual({
      distanceWeight: 1.5,
      scoreWeight: 0.025,
      distanceWeightEnd: 0,
      scoreWeightEnd: 0.025,
      annealSteps: 75,
    });
    expect(rewardShapingAfter(shaping, start, 500)).toMatchObject({ distanceWeight: 0, annealSteps: 0 });
    expect(rewardShapingAfter(shaping, start, 0)).toBe(shaping);
  });
});

describe('flags and checks', () => {
  it("parse numbers and 'preset'/'none', name the flag in errors, and round-trip through --help's defaults", () => {
    const { config } = resolveConfig({ argv: ['--env.distance-weight', '0.5', '--env.score-weight', 'preset', '--env.distance-weight-end=none'] });
    expect(config.env).toMatchObject({ distanceWeight: 0.5, scoreWeight: null, distanceWeightEnd: null });
    expect(validateConfig({ env: { scoreWeight: 'preset' as never } }).env.scoreWeight).toBeNull();
    expect(() => parseConfigFlags(['--env.score-weight', 'x'])).toThrow(
      `Expected a number or 'preset' for env.scoreWeight (--env.score-weight) but received "x"`,
    );
    expect(() => parseConfigFlags(['--env.distance-weight', '-1'])).toThrow(
      "Expected a finite number in [0, 1000000], or null ('preset') for env.distanceWeight (--env.distance-weight) but received -1",
    );
    expect(() => parseConfigFlags(['--env.distance-weight-end', 'preset'])).toThrow(
      `Expected a number or 'none' for env.distanceWeightEnd (--env.distance-weight-end) but received "preset"`,
    );
    expect(() => parseConfigFlags(['--env.shaping-anneal-steps', '1.5'])).toThrow(
      /for env\.shapingAnnealSteps \(--env\.shaping-anneal-steps\) but received 1\.5/,
    );
    expect(() => validateConfig({ env: { scoreWeight: '0.1' as never } })).toThrow(
      `Expected a finite number in [0, 1000000], or null ('preset') for env.scoreWeight but received "0.1"`,
    );
    const help = configHelp();
    expect(help).toMatch(/--env\.distance-weight +weight of the reward's distance term .*\(a number or preset\) \[default: preset\]/);
    expect(help).toMatch(/--env\.score-weight-end +.*\[default: none\]/);
  });

  it('the Trainer refuses a score weight for the built-in game and end weights without annealing steps (and back)', () => {
    const make = (env: TrainerConfigInput['env']) => () => new Trainer({ runDir: join(dir, 'run'), env }, { handleSignals: false });
    expect(make({ scoreWeight: 0.1 })).toThrow(
      "Expected 'preset' for env.scoreWeight (--env.score-weight) with env.game 'runner' (the built-in game has no score; env.distanceWeight shapes its reward) but received 0.1",
    );
    expect(make({ scoreWeightEnd: 0 })).toThrow(/^Expected 'none' for env\.scoreWeightEnd \(--env\.score-weight-end\) with env\.game 'runner'/);
    expect(make({ distanceWeight: 2, distanceWeightEnd: 1 })).toThrow(
      'Expected a positive number of agent steps for env.shapingAnnealSteps (--env.shaping-anneal-steps) with env.distanceWeightEnd set (the steps over which the weight moves to it) but received 0',
    );
    expect(make({ shapingAnnealSteps: 1000 })).toThrow(
      'Expected 0 for env.shapingAnnealSteps (--env.shaping-anneal-steps) without env.distanceWeightEnd or env.scoreWeightEnd (no weight to anneal to) but received 1000',
    );
    expect(make({ distanceWeight: 2, distanceWeightEnd: 1, shapingAnnealSteps: 1000 })).not.toThrow();
  });
});

describe.each(ENV_BACKENDS)('the rewards a run sees on the %s backend', (backend) => {
  /** Sums of each lane's reward and distance component over 30 steps running right. */
  function runRight(env: TrainerConfigInput['env']) {
    const e = new VecEnv(vecEnvOptions(validateConfig({ env: { maxEpisodeSteps: 200, backend, ...env } }), 2, 7));
    try {
      e.reset({ seed: 7 });
      let reward = 0;
      let distance = 0;
      const weights: number[] = [];
      for (let i = 0; i < 30; i++) {
        weights.push(e.rewardWeights().distanceWeight);
        const r = e.step(new Int32Array([1, 1])); // RIGHT
        for (let n = 0; n < 2; n++) {
          reward += r.reward[n]!;
          distance += r.rewardComponents.distance![n]!;
        }
      }
      return { reward, distance, weights };
    } finally {
      e.close();
    }
  }

  it('the built-in game pays progress by env.distanceWeight, annealed over env.shapingAnnealSteps', () => {
    const preset = runRight({});
    const doubled = runRight({ distanceWeight: 2 });
    expect(preset.distance).toBeGreaterThan(10);
    expect(doubled.distance).toBe(2 * preset.distance);
    expect(doubled.reward).toBeGreaterThan(preset.reward);
    // 2 → 0 over 40 agent steps = 20 steps of both lanes.
    const annealed = runRight({ distanceWeight: 2, distanceWeightEnd: 0, shapingAnnealSteps: 40 });
    expect(annealed.weights.slice(0, 3)).toEqual([2, 1.899999976158142, 1.7999999523162842]);
    expect(annealed.weights[10]).toBe(1);
    expect(annealed.weights.slice(20)).toEqual(new Array(10).fill(0));
    expect(annealed.distance).toBeLessThan(doubled.distance);
  });
});

// The Trainer's resume path is backend-independent (the weight is set through VecEnv's shared TS): once, native.
describe('the rewards a resumed run sees', () => {
  it('a resumed run continues the annealing: its env starts with the weight the run had reached', async () => {
    const seen: Record<string, number[]> = { straight: [], resumed: [] };
    const watch = (key: string) => ({
      name: 'watch-weights',
      onTrainStart: (ctx: CallbackContext) => void seen[key]!.push(ctx.env.rewardWeights().distanceWeight),
      onUpdateEnd: (ctx: CallbackContext) => void seen[key]!.push(ctx.env.rewardWeights().distanceWeight),
    });
    const config = (resume: string): TrainerConfigInput => ({
      network: 'tiles-mlp',
      device: 'cpu',
      threads: 1,
      overlap: false,
      runDir: join(dir, 'run'),
      resume,
      env: { obs: 'tiles', frameStack: 2, maxEpisodeSteps: 60, distanceWeight: 2, distanceWeightEnd: 0, shapingAnnealSteps: 128 },
      ppo: { numEnvs: 2, numSteps: 16, epochs: 1, minibatches: 2 },
      log: { heartbeatSeconds: 0, tensorboard: false },
    });
    const train = async (key: string, resume: string, totalSteps: number) => {
      const trainer = new Trainer(config(resume), { handleSignals: false, onWarning: () => {}, callbacks: [watch(key)] });
      try {
        await trainer.train({ totalSteps });
      } finally {
        await trainer.close();
      }
    };
    await train('straight', 'none', 32);
    await train('resumed', 'latest', 64);
    // 32 agent steps are 16 of the 64 VecEnv steps of the annealing: a quarter of the way, 2 → 1.5.
    expect(seen.straight).toEqual([2, 1.5]);
    expect(seen.resumed).toEqual([1.5, 1]);
  });
});
