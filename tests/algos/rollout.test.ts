import { describe, expect, it } from 'vitest';

import { sampleCategorical } from '../../src/algos/categorical.js';
import { computeGae } from '../../src/algos/gae.js';
import { Rng } from '../../src/models/random.js';

describe('computeGae', () => {
  it('matches hand-computed advantages with an episode end (T = 3, E = 2)', () => {
    const gamma = 0.9;
    const lambda = 0.5;
    // env 0: rewards 1, 0, 2; values 0.5, 0.4, 0.3; episode ends at t = 1; last value 1.
    // env 1: rewards 0, 0, 1; values 0, 0, 0; never ends; last value 2.
    const r = computeGae({
      numSteps: 3,
      numEnvs: 2,
      rewards: Float32Array.from([1, 0, 0, 0, 2, 1]),
      values: Float32Array.from([0.5, 0, 0.4, 0, 0.3, 0]),
      terminated: Uint8Array.from([0, 0, 1, 0, 0, 0]),
      truncated: new Uint8Array(6),
      finalValues: new Float32Array(6),
      nextValues: Float32Array.from([1, 2]),
      gamma,
      lambda,
    });
    // env 0, t = 2: δ = 2 + 0.9·1 − 0.3 = 2.6; A = 2.6
    // t = 1 (done): δ = 0 − 0.4 = −0.4; A = −0.4
    // t = 0: δ = 1 + 0.9·0.4 − 0.5 = 0.86; A = 0.86 + 0.45·(−0.4) = 0.68
    // env 1, t = 2: δ = 1 + 1.8 = 2.8; t = 1: δ = 0, A = 0.45·2.8 = 1.26; t = 0: A = 0.45·1.26 = 0.567
    const want = [0.68, 0.567, -0.4, 1.26, 2.6, 2.8];
    want.forEach((w, i) => expect(r.advantages[i]).toBeCloseTo(w, 6));
    expect(r.returns[0]).toBeCloseTo(0.68 + 0.5, 6);
    expect(r.returns[4]).toBeCloseTo(2.6 + 0.3, 6);
  });
});

describe('sampleCategorical', () => {
  it('samples with the softmax probabilities and returns their log-probabilities', () => {
    const logits = Float32Array.from([Math.log(0.2), Math.log(0.5), Math.log(0.3)]);
    const rows = 20000;
    const all = new Float32Array(rows * 3);
    for (let i = 0; i < rows; i++) all.set(logits, i * 3);
    const { actions, logProbs } = sampleCategorical(all, 3, new Rng(4));
    const counts = [0, 0, 0];
    for (const a of actions) counts[Number(a)]!++;
    expect(counts[0]! / rows).toBeCloseTo(0.2, 1);
    expect(counts[1]! / rows).toBeCloseTo(0.5, 1);
    actions.forEach((a, i) => expect(logProbs[i]).toBeCloseTo(Math.log([0.2, 0.5, 0.3][Number(a)]!), 5));
    const again = sampleCategorical(all, 3, new Rng(4));
    expect(Buffer.from(again.actions.buffer).equals(Buffer.from(actions.buffer))).toBe(true);
    expect(() => sampleCategorical(new Float32Array(4), 3, new Rng(1))).toThrow(/positive multiple of 3 for logits/);
  });
});
