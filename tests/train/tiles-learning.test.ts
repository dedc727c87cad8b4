/**
 * PPO learns the built-in game from its tile grid: after a fixed budget of agent steps the policy
 * reaches the flag of runner stage 1 in ≥ 80% of 20 sampled evaluation episodes.
 *
 * Setup: the `runner-tiles` preset (13 × 16 tile classes stacked over 4 agent steps, the
 * `tiles-mlp` network, right-only, 8 frames per agent step, rewards × 0.02, 32 lanes × 32 steps,
 * 4 epochs × 4 minibatches, lr 5e-4 decaying linearly over 1M steps, γ 0.99, λ 0.95). Measured in
 * docs/results.md ("Tile grids"): ≥ 90% training flags by ≈ 270k agent steps, where the RAM
 * preset needs ≈ 700k. One learner thread, so the outcome is fixed for the seed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { resolveConfig } from '../../src/train/config.js';
import { Trainer } from '../../src/train/trainer.js';

/** Agent steps of training (≈ 2 minutes on the 2-core CI machine). */
const BUDGET = 350_000;

const dir = mkdtempSync(join(tmpdir(), 'mario-rl-tiles-learning-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PPO on the built-in game from tile grids', () => {
  it(`reaches the flag of stage 1 in ≥ 80% of 20 evaluation episodes after ${BUDGET} agent steps`, async () => {
    const { config } = resolveConfig({
      preset: 'runner-tiles',
      overrides: { device: 'cpu', seed: 1, runDir: dir, checkpoint: { interval: 0 }, log: { heartbeatSeconds: 0, tensorboard: false, progress: 'off' } },
    });
    const trainer = new Trainer(config, { handleSignals: false });
    try {
      const t0 = performance.now();
      const summary = await trainer.train({ totalSteps: BUDGET });
      expect(summary.stopReason).toBe('done');
      const ev = await trainer.evaluate({ episodes: 20, deterministic: false, seed: 123 });
      console.log(
        `[tiles-learning] ${summary.globalStep} agent steps in ${((performance.now() - t0) / 1000).toFixed(0)} s: flag in ${(ev.flagRate * 100).toFixed(0)}% of 20 sampled episodes, ` +
          `training window flag rate ${Number(summary.lastRow?.['charts/flag_rate']).toFixed(2)}`,
      );
      expect(ev.episodes).toHaveLength(20);
      expect(ev.flagRate).toBeGreaterThanOrEqual(0.8);
    } finally {
      await trainer.close();
    }
  }, 900_000);
});
