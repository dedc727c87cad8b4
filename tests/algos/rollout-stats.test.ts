import { describe, expect, it } from 'vitest';

import { explainedVariance, gatherRows, minibatchIndices, normalizeInPlace } from '../../src/algos/rollout-stats.js';
import { Rng } from '../../src/util/rng.js';

describe('explainedVariance', () => {
  it('is 1 for a perfect value head, 0 for a constant, negative when worse', () => {
    const returns = new Float32Array([1, 2, 3, 4]);
    expect(explainedVariance(returns.slice(), returns)).toBe(1);
    expect(explainedVariance(new Float32Array(4).fill(2.5), returns)).toBeCloseTo(0, 12);
    expect(explainedVariance(new Float32Array([4, 3, 2, 1]), returns)).toBeCloseTo(1 - 20 / 5, 6);
    // Var(y - v) with y - v = [0.5, -0.5, 0.5, -0.5]: 0.25; Var(y) = 1.25.
    expect(explainedVariance(new Float32Array([0.5, 2.5, 2.5, 4.5]), returns)).toBeCloseTo(1 - 0.25 / 1.25, 6);
    expect(explainedVariance(new Float32Array(2), new Float32Array([3, 3]))).toBeNaN();
  });
});

describe('normalizeInPlace', () => {
  it('normalises all of x or only the given indices', () => {
    const x = new Float32Array([1, 2, 3, 4, 100]);
    const stats = normalizeInPlace(x, new Int32Array([0, 1, 2, 3]));
    expect(stats.mean).toBe(2.5);
    expect(stats.std).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(Array.from(x.subarray(0, 4)).reduce((a, b) => a + b, 0)).toBeCloseTo(0, 6);
    expect(x[3]).toBeCloseTo(1.5 / Math.sqrt(1.25), 5);
    expect(x[4]).toBe(100);
    const y = new Float32Array([7, 7]);
    normalizeInPlace(y);
    expect(Array.from(y)).toEqual([0, 0]);
  });
});

describe('minibatchIndices', () => {
  it('splits a seeded permutation into equal minibatches covering the batch once', () => {
    const parts = minibatchIndices(new Rng(4), 12, 3);
    expect(parts.map((p) => p.length)).toEqual([4, 4, 4]);
    const all = parts.flatMap((p) => Array.from(p)).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(parts.map((p) => Array.from(p))).toEqual(minibatchIndices(new Rng(4), 12, 3).map((p) => Array.from(p)));
    expect(() => minibatchIndices(new Rng(4), 12, 5)).toThrow('Expected a divisor of 12 for minibatches but received 5');
  });
});

describe('gatherRows', () => {
  it('copies rows in index order, scalars and wide rows alike', () => {
    const obs = Uint8Array.from({ length: 12 }, (_, i) => i); // 4 rows of 3
    expect(Array.from(gatherRows(obs, new Int32Array([3, 0]), 3, new Uint8Array(6)))).toEqual([9, 10, 11, 0, 1, 2]);
    const adv = new Float32Array([0.5, 1.5, 2.5]);
    expect(Array.from(gatherRows(adv, new Int32Array([2, 2, 1]), 1, new Float32Array(3)))).toEqual([2.5, 2.5, 1.5]);
    expect(() => gatherRows(adv, new Int32Array([3]), 1, new Float32Array(1))).toThrow('Expected an integer in [0, 2] for indices[0] but received 3');
    expect(() => gatherRows(adv, new Int32Array([0]), 1, new Float32Array(2))).toThrow(/output of length 1/);
  });
});
