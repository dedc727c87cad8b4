/**
 * VecEnv results do not depend on scheduling, on the built-in game (no ROM needed): the same seed
 * and actions give byte-identical outputs for numThreads 1, 2 and 4 and between step and
 * stepAsync. With two or more threads the pool reorders the lanes before every step by their last
 * step's cost (vec_env.cc, OrderLanes) and the threads meet on different lanes each time, so this
 * also pins that a lane's outputs never depend on where in the schedule it ran.
 */
import { describe, expect, it } from 'vitest';

import { VecEnv } from '../../src/index.js';
import { Rng } from './rng.js';
import { stepDigest } from './step-digest.js';

const LANES = 9;

async function trajectory(numThreads: number, useAsync: boolean): Promise<{ digests: string[]; finished: number }> {
  const env = new VecEnv({
    game: 'runner',
    numEnvs: LANES,
    numThreads,
    actions: 'simple',
    stickyActionProb: 0.2,
    noopMax: 6,
    maxEpisodeSteps: 35,
    obs: { width: 42, height: 42, stack: 2 },
    seed: 17,
  });
  const digests: string[] = [];
  let finished = 0;
  try {
    env.reset({ seed: 4 });
    const rng = new Rng(8);
    const actions = new Int32Array(LANES);
    for (let t = 0; t < 120; t++) {
      for (let i = 0; i < LANES; i++) actions[i] = rng.below(env.numActions);
      const r = useAsync ? await env.stepAsync(actions) : env.step(actions);
      for (let i = 0; i < LANES; i++) finished += r.terminated[i]! | r.truncated[i]!;
      digests.push(stepDigest(r, LANES));
    }
  } finally {
    env.close();
  }
  return { digests, finished };
}

describe('VecEnv scheduling', () => {
  it('is byte-identical across numThreads 1, 2, 4 and between step and stepAsync (built-in game)', async () => {
    const reference = await trajectory(1, false);
    expect(reference.finished, 'the run crosses autoresets').toBeGreaterThan(LANES);
    for (const [threads, useAsync] of [
      [2, false],
      [4, false],
      [2, true],
      [4, true],
      [1, true],
    ] as const) {
      const run = await trajectory(threads, useAsync);
      const first = run.digests.findIndex((d, t) => d !== reference.digests[t]);
      expect(first, `numThreads ${threads}, ${useAsync ? 'stepAsync' : 'step'}: first differing step`).toBe(-1);
    }
  });
});
