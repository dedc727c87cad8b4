import { describe, expect, it } from 'vitest';

import { computeNStepTargets, type NStepInput } from '../../src/algos/nstep.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Brute force: simulate the full target y = Σ γ^k r + discount·Q(s') with a known Q(s') table
 * per (step, lane) "next observation", walking the episode forward one step at a time.
 */
function bruteTarget(x: NStepInput, t: number, n: number, qNext: (step: number) => number): number {
  const N = x.numEnvs;
  let y = 0;
  for (let k = 0; k < x.nStep && t + k < x.numSteps; k++) {
    const i = (t + k) * N + n;
    y += x.gamma ** k * x.rewards[i];
    if (x.terminated[i]) return y;
    if (x.truncated[i] || k === x.nStep - 1 || t + k === x.numSteps - 1) return y + x.gamma ** (k + 1) * qNext(t + k);
  }
  throw new Error('unreachable');
}

describe('computeNStepTargets', () => {
  it('matches a brute-force walk across episode ends and truncation', () => {
    const rand = lcg(42);
    for (const nStep of [1, 3, 5]) {
      for (const gamma of [0.99, 0.5, 1, 0]) {
        const T = 23;
        const N = 3;
        const x: NStepInput = {
          numSteps: T,
          numEnvs: N,
          rewards: new Float32Array(T * N).map(() => rand() * 2 - 1),
          terminated: new Uint8Array(T * N).map(() => (rand() < 0.1 ? 1 : 0)),
          truncated: new Uint8Array(T * N).map(() => (rand() < 0.1 ? 1 : 0)),
          nStep,
          gamma,
        };
        const q = new Float64Array(T * N).map(() => rand() * 10);
        const out = computeNStepTargets(x);
        for (let n = 0; n < N; n++) {
          for (let t = 0; t < T; t++) {
            const o = t * N + n;
            const m = out.horizons[o];
            // s' is the observation after transition t + m - 1 (the final one when it ended).
            const y = out.returns[o] + out.discounts[o] * q[(t + m - 1) * N + n];
            const ref = bruteTarget(x, t, n, (step) => q[step * N + n]);
            expect(Math.abs(y - ref)).toBeLessThan(1e-4 * (1 + Math.abs(ref)));
          }
        }
      }
    }
  });

  it('stops at episode ends and marks complete windows', () => {
    const x: NStepInput = {
      numSteps: 5,
      numEnvs: 1,
      rewards: new Float32Array([1, 1, 1, 1, 1]),
      terminated: new Uint8Array([0, 1, 0, 0, 0]),
      truncated: new Uint8Array([0, 0, 0, 1, 0]),
      nStep: 3,
      gamma: 0.5,
    };
    const out = computeNStepTargets(x);
    expect(Array.from(out.horizons)).toEqual([2, 1, 2, 1, 1]);
    expect(Array.from(out.returns)).toEqual([1.5, 1, 1.5, 1, 1]);
    expect(Array.from(out.discounts)).toEqual([0, 0, 0.25, 0.5, 0.5]);
    expect(Array.from(out.complete)).toEqual([1, 1, 1, 1, 0]);
  });

  it('rejects a zero n-step by name', () => {
    const x: NStepInput = {
      numSteps: 1,
      numEnvs: 1,
      rewards: new Float32Array(1),
      terminated: new Uint8Array(1),
      truncated: new Uint8Array(1),
      nStep: 0,
      gamma: 0.9,
    };
    expect(() => computeNStepTargets(x)).toThrow('Expected an integer in [1, 2147483647] for nStep but received 0');
  });
});
