/**
 * The short fault loop (scripts/fault-loop-lib.ts; `npm run fault-loop` runs 50 kills per
 * algorithm): a tiny PPO run and a tiny DQN run (replay in the checkpoint) killed with SIGKILL,
 * at a random moment and in the middle of a checkpoint write, resumed with `--resume latest`
 * each time, then finished: every resume loses at most one checkpoint interval, its metrics
 * continue from the checkpoint's step, and the final metrics and the final checkpoint equal an
 * uninterrupted run's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { FAULT_SIZES, runFaultLoop } from '../../scripts/fault-loop-lib.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-faults-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('kill -9 and --resume latest', () => {
  for (const algo of ['ppo', 'dqn'] as const) {
    it(`${algo}: a random kill and a kill during a checkpoint write; nothing lost past one interval, the final metrics exact`, async () => {
      const { stepsPerRow, rowsPerCheckpoint } = FAULT_SIZES[algo];
      const r = await runFaultLoop({
        algo,
        dir,
        kills: 2,
        totalSteps: (algo === 'ppo' ? 5 : 4) * stepsPerRow * rowsPerCheckpoint,
        seed: 7,
        widenMs: 300,
        maxDelayMs: 300,
        aimEvery: 2,
      });
      expect(r.failures).toEqual([]);
      expect(r.kills.map((k) => k.moment)).toEqual(['random', 'checkpoint-write']);
      // The aimed kill landed in the second checkpoint write after its START: the first one is kept.
      const aimed = r.kills[1]!;
      expect(aimed.resumedStep).toBe(aimed.startStep + stepsPerRow * rowsPerCheckpoint);
      expect(r.maxLostSteps).toBeLessThanOrEqual(r.boundSteps);
      expect(r.rows).toBe((algo === 'ppo' ? 5 : 4) * rowsPerCheckpoint);
      expect(r.identicalToReference).toBe(true);
      // Every row any child wrote (the final ones and those dropped at a resume) matched the uninterrupted run's.
      expect(r.rowsChecked).toBeGreaterThanOrEqual(r.rows);
      // The final state too: parameters, Adam moments, the DQN target network and the replay buffer, byte for byte.
      expect(r.checkpointIdenticalToReference).toBe(true);
      expect(r.checkpointSections).toContain('learner');
      if (algo === 'dqn') expect(r.checkpointSections.filter((s) => s.startsWith('replay.')).length).toBeGreaterThan(1);
    }, 900_000); // four children per algorithm; their start-up (tsx, ONNX Runtime) dominates, minutes on a loaded machine
  }
});
