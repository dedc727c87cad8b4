/**
 * The gated curriculum learns the built-in game's three stages with one policy: the
 * `runner-curriculum` preset (tiles-mlp on the 13 × 16 tile grid, right-only, skip 8, probes of
 * 20 episodes every 10 updates, gate: flag rate ≥ 0.5 and p10 max x ≥ 50 % of the stage's length
 * twice in a row, a quarter of the episodes on passed stages) promotes 1-1 → 1-2 → 1-3 and ends
 * with `done` within the budget. Asserted on `RUN/curriculum.jsonl`, the file a user reads.
 * One learner thread, so the outcome is fixed for the seed (docs/results.md, "World 1").
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { resolveConfig } from '../../src/train/config.js';
import { Trainer } from '../../src/train/trainer.js';

/** Agent steps the curriculum may take (it stops at `done`). */
const BUDGET = 900_000;

const dir = mkdtempSync(join(tmpdir(), 'mario-rl-curriculum-learning-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the stage curriculum on the built-in game', () => {
  it(`promotes through stages 1-1, 1-2 and 1-3 within ${BUDGET} agent steps (preset runner-curriculum)`, async () => {
    const { config } = resolveConfig({
      preset: 'runner-curriculum',
      overrides: { device: 'cpu', seed: 1, runDir: dir, checkpoint: { interval: 0 }, log: { heartbeatSeconds: 0, tensorboard: false, progress: 'off' } },
    });
    const trainer = new Trainer(config, { handleSignals: false, onWarning: () => {} });
    try {
      const t0 = performance.now();
      const summary = await trainer.train({ totalSteps: BUDGET });
      const rows = readFileSync(join(dir, 'curriculum.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { global_step: number; stage: string; decision: string; flag_rate: number; progress_p10: number });
      const moves = rows.filter((r) => r.decision !== 'hold');
      console.log(
        `[curriculum-learning] ${summary.globalStep} agent steps in ${((performance.now() - t0) / 1000).toFixed(0)} s; ` +
          moves.map((r) => `${r.decision} ${r.stage} at ${r.global_step}`).join(', '),
      );
      expect(moves.map((r) => `${r.decision} ${r.stage}`)).toEqual(['promote 1-1', 'promote 1-2', 'done 1-3']);
      for (const r of moves) {
        expect(r.flag_rate).toBeGreaterThanOrEqual(0.5);
        expect(r.progress_p10).toBeGreaterThanOrEqual(0.5);
      }
      expect(summary.stopReason).toBe('callback');
      expect(summary.stopMessage).toMatch(/curriculum done/);
    } finally {
      await trainer.close();
    }
  }, 1_500_000);
});
