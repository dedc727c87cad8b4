import { describe, expect, it } from 'vitest';

import { computeGae, type GaeInput } from '../../src/algos/gae.js';

/** Small deterministic generator for test data (independent of src/train/rng.ts). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomRollout(T: number, N: number, seed: number, endRate = 0.15): GaeInput {
  const rand = lcg(seed);
  const size = T * N;
  const input: GaeInput = {
    numSteps: T,
    numEnvs: N,
    rewards: new Float32Array(size).map(() => rand() * 4 - 2),
    values: new Float32Array(size).map(() => rand() * 10 - 5),
    terminated: new Uint8Array(size),
    truncated: new Uint8Array(size),
    finalValues: new Float32Array(size),
    nextValues: new Float32Array(N).map(() => rand() * 10 - 5),
    gamma: 0.9,
    lambda: 0.95,
  };
  for (let i = 0; i < size; i++) {
    const u = rand();
    if (u < endRate / 2) input.terminated[i] = 1;
    else if (u < endRate) {
      input.truncated[i] = 1;
      input.finalValues[i] = rand() * 10 - 5;
    }
  }
  return input;
}

/**
 * Reference: the λ-return written as a weighted sum of n-step returns,
 * G^λ = (1-λ) Σ_{k=1}^{L-1} λ^{k-1} G^(k) + λ^{L-1} G^(L), with L the steps left in the episode
 * segment and G^(L) bootstrapping from the segment's end (0, V(final) or V(s_T)). A = G^λ - V.
 */
function referenceAdvantages(x: GaeInput): Float64Array {
  const { numSteps: T, numEnvs: N, gamma, lambda } = x;
  const out = new Float64Array(T * N);
  const nextValueAt = (t: number, n: number): number => {
    const i = t * N + n;
    if (x.terminated[i]) return 0;
    if (x.truncated[i]) return x.finalValues[i];
    return t === T - 1 ? x.nextValues[n] : x.values[i + N];
  };
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) {
      let L = 0;
      for (let u = t; u < T; u++) {
        L++;
        const i = u * N + n;
        if (x.terminated[i] || x.truncated[i]) break;
      }
      const nStepReturn = (k: number): number => {
        let g = 0;
        for (let j = 0; j < k; j++) g += gamma ** j * x.rewards[(t + j) * N + n];
        return g + gamma ** k * nextValueAt(t + k - 1, n);
      };
      let lambdaReturn = 0;
      for (let k = 1; k < L; k++) lambdaReturn += (1 - lambda) * lambda ** (k - 1) * nStepReturn(k);
      lambdaReturn += lambda ** (L - 1) * nStepReturn(L);
      out[t * N + n] = lambdaReturn - x.values[t * N + n];
    }
  }
  return out;
}

function expectClose(actual: Float32Array, expected: ArrayLike<number>, tol = 2e-4): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (Math.abs(actual[i] - expected[i]) > tol * (1 + Math.abs(expected[i]))) {
      throw new Error(`index ${i}: ${actual[i]} vs ${expected[i]}`);
    }
  }
}

describe('computeGae', () => {
  it('matches the λ-return reference with episode ends mid-rollout', () => {
    for (const [gamma, lambda] of [
      [0.9, 0.95],
      [0.99, 1],
      [0.9, 0],
      [0, 0.7],
      [1, 1],
      [1, 0.5],
    ]) {
      const x = { ...randomRollout(37, 5, 1234 + gamma * 100 + lambda * 10), gamma, lambda };
      expect(x.terminated.some((v) => v === 1) && x.truncated.some((v) => v === 1)).toBe(true);
      const { advantages, returns } = computeGae(x);
      const ref = referenceAdvantages(x);
      expectClose(advantages, ref);
      expectClose(
        returns,
        Array.from(ref, (a, i) => a + x.values[i]),
      );
    }
  });

  it('λ = 1 gives the discounted Monte-Carlo return to the episode end', () => {
    const x = randomRollout(4, 1, 7, 0);
    x.gamma = 0.5;
    x.lambda = 1;
    x.rewards.set([1, 2, 3, 4]);
    x.terminated[2] = 1; // steps 0..2 form an episode ending in a terminal state
    x.nextValues[0] = 8;
    const { returns } = computeGae(x);
    expect(returns[0]).toBeCloseTo(1 + 0.5 * 2 + 0.25 * 3, 5);
    expect(returns[2]).toBeCloseTo(3, 5);
    expect(returns[3]).toBeCloseTo(4 + 0.5 * 8, 5); // new episode bootstraps from V(s_T)
  });

  it('γ = 0 gives r - V and ignores every bootstrap', () => {
    const x = { ...randomRollout(6, 3, 99), gamma: 0, lambda: 0.9 };
    const { advantages } = computeGae(x);
    expectClose(
      advantages,
      Array.from(x.rewards, (r, i) => r - x.values[i]),
      1e-6,
    );
  });

  it('bootstraps from the final value on truncation but not on termination', () => {
    const base = (): GaeInput => ({
      numSteps: 1,
      numEnvs: 2,
      rewards: new Float32Array([1, 1]),
      values: new Float32Array([0.5, 0.5]),
      terminated: new Uint8Array([1, 0]),
      truncated: new Uint8Array([0, 1]),
      finalValues: new Float32Array([100, 10]),
      nextValues: new Float32Array([1000, 1000]),
      gamma: 0.9,
      lambda: 0.95,
    });
    const { advantages } = computeGae(base());
    expect(advantages[0]).toBeCloseTo(1 - 0.5, 6);
    expect(advantages[1]).toBeCloseTo(1 + 0.9 * 10 - 0.5, 5);
  });

  it('writes into caller buffers and validates shapes by name', () => {
    const x = randomRollout(3, 2, 5);
    const advantages = new Float32Array(6);
    const returns = new Float32Array(6);
    const out = computeGae(x, { advantages, returns });
    expect(out.advantages).toBe(advantages);
    expect(out.returns).toBe(returns);
    expect(advantages.some((v) => v !== 0)).toBe(true);
    expect(() => computeGae({ ...x, values: new Float32Array(5) })).toThrow('Expected a Float32Array of length 6 for values but received Float32Array(5)');
    expect(() => computeGae({ ...x, lambda: 1.5 })).toThrow(/for lambda but received 1.5/);
  });
});
