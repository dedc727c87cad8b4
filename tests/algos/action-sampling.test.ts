import { describe, expect, it } from 'vitest';

import { argmaxRows, epsilonGreedy, sampleFromLogits } from '../../src/algos/action-sampling.js';
import { Rng } from '../../src/util/rng.js';

describe('sampleFromLogits', () => {
  it('samples in proportion to softmax and writes log-softmax of the chosen action', () => {
    const logits = new Float32Array([Math.log(1), Math.log(3), Math.log(6), 100, 0, 0]); // row 1 is ~one-hot
    const rng = new Rng(11);
    const actions = new Int32Array(2);
    const logProbs = new Float32Array(2);
    const counts = [0, 0, 0];
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      sampleFromLogits(logits, 2, 3, rng, actions, logProbs);
      counts[actions[0]]++;
      if (actions[1] !== 0) throw new Error('row 1 should always pick action 0');
      if (Math.abs(logProbs[0] - Math.log([0.1, 0.3, 0.6][actions[0]])) > 1e-5) throw new Error('bad log-prob');
    }
    expect(counts[0] / n).toBeCloseTo(0.1, 1);
    expect(counts[1] / n).toBeCloseTo(0.3, 1);
    expect(counts[2] / n).toBeCloseTo(0.6, 1);
    expect(logProbs[1]).toBeCloseTo(0, 6);
  });

  it('is reproducible from the RNG state and rejects diverged logits', () => {
    const logits = new Float32Array(8 * 5).map((_, i) => Math.sin(i));
    const a = new Int32Array(8);
    const b = new Int32Array(8);
    const r1 = new Rng(3);
    const saved = r1.getState();
    sampleFromLogits(logits, 8, 5, r1, a);
    sampleFromLogits(logits, 8, 5, Rng.fromState(saved), b);
    expect(Array.from(a)).toEqual(Array.from(b));
    logits[7] = NaN;
    expect(() => sampleFromLogits(logits, 8, 5, r1, a)).toThrow('Expected finite logits but row 1 has NaN at action 2 (has training diverged?)');
    expect(() => sampleFromLogits(logits, 8, 5, r1, new Int32Array(7))).toThrow(/for actions but received Int32Array\(7\)/);
  });
});

describe('greedy and ε-greedy', () => {
  it('argmax takes the first maximum', () => {
    const out = new Int32Array(3);
    argmaxRows(new Float32Array([1, 5, 5, -1, -2, -3, 0, 0, 7]), 3, 3, out);
    expect(Array.from(out)).toEqual([1, 0, 2]);
  });

  it('ε = 0 is greedy, ε = 1 is uniform, in between mixes', () => {
    const q = new Float32Array([0, 9, 0, 0]);
    const rng = new Rng(1);
    const out = new Int32Array(1);
    for (let i = 0; i < 100; i++) {
      epsilonGreedy(q, 1, 4, 0, rng, out);
      if (out[0] !== 1) throw new Error('not greedy');
    }
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 8000; i++) {
      epsilonGreedy(q, 1, 4, 1, rng, out);
      counts[out[0]]++;
    }
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
    let greedy = 0;
    for (let i = 0; i < 8000; i++) {
      epsilonGreedy(q, 1, 4, 0.4, rng, out);
      if (out[0] === 1) greedy++;
    }
    expect(greedy / 8000).toBeCloseTo(0.6 + 0.4 / 4, 1);
    expect(() => epsilonGreedy(q, 1, 4, 1.5, rng, out)).toThrow(/for epsilon but received 1.5/);
  });
});
