import { describe, expect, it } from 'vitest';

import { computeGae } from '../../src/algos/gae.js';

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
