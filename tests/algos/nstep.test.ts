import { describe, expect, it } from 'vitest';

import { computeNStepTargets, gammaPowers, NStepAccumulator, type NStepInput } from '../../src/algos/nstep.js';

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

  it('never marks a window complete by length when nStep exceeds the window', () => {
    const x: NStepInput = {
      numSteps: 3,
      numEnvs: 1,
      rewards: new Float32Array([1, 2, 4]),
      terminated: new Uint8Array(3),
      truncated: new Uint8Array(3),
      nStep: 7,
      gamma: 0.5,
    };
    const out = computeNStepTargets(x);
    expect(Array.from(out.horizons)).toEqual([3, 2, 1]);
    expect(Array.from(out.returns)).toEqual([3, 4, 4]);
    expect(Array.from(out.discounts)).toEqual([0.125, 0.25, 0.5]);
    expect(Array.from(out.complete)).toEqual([0, 0, 0]);
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

describe('NStepAccumulator', () => {
  it('streams the same targets as the batch function, each as soon as it is known', () => {
    const rand = lcg(7);
    const T = 40;
    const N = 3;
    for (const [nStep, gamma] of [
      [3, 0.9],
      [1, 0.99],
      [5, 1],
    ]) {
      const x: NStepInput = {
        numSteps: T,
        numEnvs: N,
        rewards: new Float32Array(T * N).map(() => rand() * 2 - 1),
        terminated: new Uint8Array(T * N).map(() => (rand() < 0.08 ? 1 : 0)),
        truncated: new Uint8Array(T * N).map(() => (rand() < 0.08 ? 1 : 0)),
        nStep,
        gamma,
      };
      const ref = computeNStepTargets(x);
      const acc = new NStepAccumulator(N, nStep, gamma);
      const seen = new Map<string, { returns: number; discounts: number; horizons: number; at: number }>();
      const collect = (b: ReturnType<NStepAccumulator['push']>, at: number) => {
        for (let i = 0; i < b.count; i++) {
          const key = `${b.steps[i]},${b.lanes[i]}`;
          expect(seen.has(key)).toBe(false);
          seen.set(key, { returns: b.returns[i], discounts: b.discounts[i], horizons: b.horizons[i], at });
        }
      };
      for (let t = 0; t < T; t++) {
        const s = t * N;
        collect(acc.push(x.rewards.subarray(s, s + N), x.terminated.subarray(s, s + N), x.truncated.subarray(s, s + N)), t);
      }
      expect(acc.step).toBe(T);
      collect(acc.flush(), T);
      expect(seen.size).toBe(T * N);
      for (let t = 0; t < T; t++) {
        for (let n = 0; n < N; n++) {
          const o = t * N + n;
          const got = seen.get(`${t},${n}`)!;
          expect(got.horizons).toBe(ref.horizons[o]);
          expect(got.returns).toBeCloseTo(ref.returns[o], 5);
          expect(got.discounts).toBeCloseTo(ref.discounts[o], 6);
          // Emitted at the step that completed it: t + m - 1, or by flush for incomplete windows.
          expect(got.at).toBe(ref.complete[o] ? t + ref.horizons[o] - 1 : T);
        }
      }
    }
  });

  it('saves and restores its pending window', () => {
    const a = new NStepAccumulator(2, 3, 0.5);
    const r = new Float32Array([1, 2]);
    const no = new Uint8Array(2);
    a.push(r, no, no);
    a.push(r, no, no);
    const b = new NStepAccumulator(2, 3, 0.5);
    b.restore(JSON.parse(JSON.stringify(a)));
    const fromA = a.push(r, no, new Uint8Array([1, 0]));
    const outA = { count: fromA.count, returns: Array.from(fromA.returns.subarray(0, fromA.count)), steps: Array.from(fromA.steps.subarray(0, fromA.count)) };
    const fromB = b.push(r, no, new Uint8Array([1, 0]));
    expect({
      count: fromB.count,
      returns: Array.from(fromB.returns.subarray(0, fromB.count)),
      steps: Array.from(fromB.steps.subarray(0, fromB.count)),
    }).toEqual(outA);
    expect(outA.count).toBe(4); // lane 0 ended: 3 transitions; lane 1 full window: 1
    expect(() => b.restore({ step: 0, pending: [[]], firstStep: [0] })).toThrow(/state for 2 lanes/);
  });

  it('refuses a corrupt pending state and keeps its own', () => {
    const a = new NStepAccumulator(2, 3, 0.5);
    const no = new Uint8Array(2);
    a.push(new Float32Array([1, 2]), no, no);
    const before = JSON.stringify(a);
    expect(() => a.restore({ step: 1, pending: [[1, 2, 3], []], firstStep: [0, 0] })).toThrow(
      'Expected an array of fewer than 3 rewards for n-step state pending[0] but received an array of length 3',
    );
    expect(() => a.restore({ step: 1, pending: [[NaN], []], firstStep: [0, 0] })).toThrow(/for n-step state pending\[0\]\[0\] but received NaN/);
    expect(() => a.restore({ step: 1, pending: [[], []], firstStep: [0, 0.5] })).toThrow(/for n-step state firstStep\[1\]/);
    expect(() => a.restore({ step: -1, pending: [[], []], firstStep: [0, 0] })).toThrow(/for n-step state step/);
    expect(JSON.stringify(a)).toBe(before);
  });

  it('discounts with γ ** k, the table the replay shares', () => {
    expect(Array.from(gammaPowers(0.9, 3))).toEqual([1, 0.9, 0.9 ** 2, 0.9 ** 3]);
    const acc = new NStepAccumulator(1, 3, 0.9);
    const no = new Uint8Array(1);
    acc.push(new Float32Array([1]), no, no);
    acc.push(new Float32Array([1]), no, no);
    const b = acc.push(new Float32Array([1]), no, no);
    expect(b.count).toBe(1);
    expect(b.returns[0]).toBe(Math.fround(1 + 0.9 + 0.9 ** 2));
    expect(b.discounts[0]).toBe(Math.fround(0.9 ** 3));
  });
});
