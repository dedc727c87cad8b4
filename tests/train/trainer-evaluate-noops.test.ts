/**
 * Trainer.evaluate's no-op starts reach the evaluation VecEnv: the config's env.noopMax by
 * default, the `noopMax` option over it (0 turns them off). VecEnv itself is wrapped to record the
 * options it is built with; what no-op starts do to episodes is pinned in tests/env (SMB1 suite).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it, vi } from 'vitest';

const built: Record<string, unknown>[] = [];
vi.mock('../../src/env/vec-env.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/env/vec-env.js')>();
  class RecordingVecEnv extends original.VecEnv {
    constructor(options: ConstructorParameters<typeof original.VecEnv>[0]) {
      built.push({ ...(options as unknown as Record<string, unknown>) });
      super(options);
    }
  }
  return { ...original, VecEnv: RecordingVecEnv };
});

const { Trainer } = await import('../../src/train/trainer.js');

const dir = mkdtempSync(join(tmpdir(), 'mario-rl-eval-noops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Trainer.evaluate no-op starts', () => {
  it('builds the evaluation env with the config noopMax, or the override', async () => {
    const trainer = new Trainer(
      {
        network: 'baseline',
        device: 'cpu',
        threads: 1,
        overlap: false,
        runDir: join(dir, 'run'),
        seed: 3,
        env: { width: 42, height: 42, maxEpisodeSteps: 20, noopMax: 5 },
        ppo: { numEnvs: 2, numSteps: 32, epochs: 1, minibatches: 1 },
      },
      { handleSignals: false, onWarning: () => {} },
    );
    try {
      const noopsOf = async (options: { noopMax?: number }) => {
        built.length = 0;
        await trainer.evaluate({ episodes: 1, numEnvs: 1, ...options });
        // The first call also builds a one-lane probe for the action count; the evaluation env is last.
        expect(built.length).toBeGreaterThan(0);
        return built[built.length - 1]!.noopMax ?? 0;
      };
      expect(await noopsOf({})).toBe(5);
      expect(await noopsOf({ noopMax: 30 })).toBe(30);
      expect(await noopsOf({ noopMax: 0 })).toBe(0);
    } finally {
      await trainer.close();
    }
  });
});
