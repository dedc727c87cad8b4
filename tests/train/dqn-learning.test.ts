/**
 * DQN learns a smaller task than PPO's test: progress on the built-in game's stage 1. After 40k
 * agent steps, 20 ε-greedy (ε = 0.05) evaluation episodes get a mean max x ≥ 400 px, i.e. past
 * the first pit, the first walker and the staircase (a uniformly random policy averages ≈ 180 px:
 * it falls into the first pit or runs into the first walker). Reaching the flag reliably takes
 * DQN several times longer on 2 cores (measured in docs/training.md).
 *
 * Setup: RAM observations, `mlp` dueling network, double DQN, 3-step targets, prioritized replay,
 * right-only actions, 8 frames per step, rewards × 0.02, 8 lanes, batch 64, one gradient step per
 * 8 agent steps, lr 5e-4, target copy every 2000 steps, ε 1 → 0.05 over the first half.
 * Deterministic with one learner thread.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { Trainer } from '../../src/train/trainer.js';

const BUDGET = 40_000;
const THRESHOLD_X = 400;

const dir = mkdtempSync(join(tmpdir(), 'mario-rl-dqn-learning-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('DQN on the built-in game', () => {
  it(`gets a mean max x ≥ ${THRESHOLD_X} on stage 1 after ${BUDGET} agent steps`, async () => {
    const trainer = new Trainer(
      {
        algo: 'dqn',
        network: 'mlp',
        device: 'cpu',
        threads: 1,
        seed: 1,
        runDir: dir,
        totalSteps: BUDGET,
        env: { game: 'builtin', stage: 1, obs: 'ram', actions: 'right-only', frameSkip: 8, maxEpisodeSteps: 400, rewardScale: 0.02 },
        dqn: {
          numEnvs: 8,
          bufferSize: 50_000,
          batchSize: 64,
          learningStarts: 2000,
          trainFrequency: 8,
          nStep: 3,
          gamma: 0.99,
          learningRate: 5e-4,
          targetUpdateInterval: 2000,
          epsilon: 'linear:1:0.05:0.5',
        },
        checkpoint: { interval: 0 },
        log: { heartbeatSeconds: 0, tensorboard: false, progress: 'off' },
      },
      { handleSignals: false },
    );
    try {
      const t0 = performance.now();
      const summary = await trainer.train();
      expect(summary.globalStep).toBe(BUDGET);
      const ev = await trainer.evaluate({ episodes: 20, deterministic: false, seed: 123 });
      const meanMaxX = ev.episodes.reduce((s, e) => s + e.maxX, 0) / ev.episodes.length;
      console.log(
        `[dqn-learning] ${summary.globalStep} agent steps in ${((performance.now() - t0) / 1000).toFixed(0)} s: mean max x ${meanMaxX.toFixed(0)} ` +
          `over 20 ε-greedy episodes (flag ${(ev.flagRate * 100).toFixed(0)}%, mean return ${ev.meanReturn.toFixed(0)})`,
      );
      expect(meanMaxX).toBeGreaterThanOrEqual(THRESHOLD_X);
    } finally {
      await trainer.close();
    }
  }, 900_000);
});
