import { describe, expect, it } from 'vitest';

import { PriorityTree } from '../../src/replay/priority-tree.js';
import { chiSquare, chiSquareCritical, testRng } from './stats-helpers.js';

function fill(tree: PriorityTree, priorities: number[]): void {
  tree.set(Int32Array.from(priorities.keys()), Float64Array.from(priorities));
}

/** Index a brute-force f64 prefix-sum search finds for mass x (first i with prefix > x). */
function bruteFind(priorities: ArrayLike<number>, x: number): number {
  let acc = 0;
  for (let i = 0; i < priorities.length; i++) {
    acc += priorities[i];
    if (acc > x) return i;
  }
  return priorities.length - 1;
}

describe('PriorityTree', () => {
  const shapes: Record<string, (i: number, r: () => number) => number> = {
    uniform: () => 1,
    ramp: (i) => i + 1,
    'random with zeros': (i, r) => (i % 3 === 0 ? 0 : r()),
    'a few huge': (i) => (i === 7 || i === 500 || i === 998 ? 1e6 : 1 + (i % 5)),
    'power law': (i) => 1 / (i + 1) ** 1.2,
  };

  for (const [name, shape] of Object.entries(shapes)) {
    it(`draws proportionally to priority (chi-square, 10^6 draws): ${name}`, () => {
      const r = testRng(11);
      const size = 1000;
      const priorities = Array.from({ length: size }, (_, i) => shape(i, r));
      const tree = new PriorityTree(1 << 12);
      fill(tree, priorities);
      const total = priorities.reduce((a, b) => a + b, 0);
      expect(tree.total).toBeCloseTo(total, 6);
      const counts = new Float64Array(size);
      const out = new Int32Array(256);
      const rounds = Math.ceil(1_000_000 / out.length);
      tree.sample(out.length, { seed: 5, out });
      for (let round = 0; round < rounds; round++) {
        if (round > 0) tree.sample(out.length, { out });
        for (const i of out) counts[i]++;
      }
      const draws = rounds * out.length;
      const { stat, df } = chiSquare(counts, priorities.map((p) => p / total), draws);
      // Stratification only lowers the statistic, so the usual upper bound holds.
      expect(stat).toBeLessThan(chiSquareCritical(df));
      if (name === 'random with zeros') {
        for (let i = 0; i < size; i += 3) expect(counts[i]).toBe(0);
      }
    });
  }

  it('finds exactly the leaf a brute-force prefix search finds, for the same uniforms', () => {
    const r = testRng(3);
    // Integer priorities make every f64 sum exact, so any order of summation agrees.
    const priorities = Array.from({ length: 5000 }, () => (r() < 0.2 ? 0 : Math.floor(r() * 1000)));
    const tree = new PriorityTree(5003);
    fill(tree, priorities);
    const total = priorities.reduce((a, b) => a + b, 0);
    expect(tree.total).toBe(total);
    const n = 4096;
    const uniforms = Float64Array.from({ length: n }, () => r());
    const got = tree.sampleWithUniforms(uniforms);
    for (let i = 0; i < n; i++) {
      const x = ((i + uniforms[i]) * total) / n;
      expect(got[i]).toBe(bruteFind(priorities, x));
      expect(priorities[got[i]]).toBeGreaterThan(0);
    }
  });

  it('keeps total and min equal to a brute-force f64 recomputation after random batched updates', () => {
    const r = testRng(9);
    const capacity = 3001;
    const tree = new PriorityTree(capacity);
    const exact = new Float64Array(capacity);
    for (let round = 0; round < 200; round++) {
      const n = 1 + Math.floor(r() * 300);
      const idx = Int32Array.from({ length: n }, () => Math.floor(r() * capacity));
      // Multiples of 2^-12 below 2^20: every sum of 3001 of them is exact in f64.
      const p = Float32Array.from({ length: n }, () => (r() < 0.1 ? 0 : Math.floor(r() * 2 ** 20) / 4096));
      tree.set(idx, p);
      for (let i = 0; i < n; i++) exact[idx[i]] = p[i];
      let total = 0;
      let min = Infinity;
      for (const v of exact) {
        total += v;
        if (v > 0 && v < min) min = v;
      }
      expect(tree.total).toBe(total);
      expect(tree.min).toBe(min);
    }
    const all = Int32Array.from({ length: capacity }, (_, i) => i);
    expect(Array.from(tree.getMany(all))).toEqual(Array.from(exact));
    // Arbitrary f32 values: equal to f64 brute force up to summation order.
    const q = Float32Array.from({ length: capacity }, () => r() * 1e3);
    tree.set(all, q);
    let total = 0;
    for (const v of q) total += v;
    expect(Math.abs(tree.total - total) / total).toBeLessThan(1e-13);
    expect(tree.min).toBe(Math.min(...q));
  });

  it('applies a later duplicate within one batch, and get returns what was set', () => {
    const tree = new PriorityTree(16);
    tree.set(new Int32Array([3, 3, 4]), new Float32Array([1, 2.5, 0.5]));
    expect(tree.get(3)).toBe(2.5);
    expect(tree.get(4)).toBe(0.5);
    expect(tree.total).toBe(3);
    expect(tree.min).toBe(0.5);
    tree.set(new Int32Array([4]), new Float64Array([0]));
    expect(tree.min).toBe(2.5);
    tree.set(new Int32Array([3]), new Float64Array([0]));
    expect(tree.min).toBe(Infinity);
    expect(tree.total).toBe(0);
  });

  it('never returns an index at or beyond the filled size, at any capacity', () => {
    for (const capacity of [1, 7, 8, 9, 63, 64, 65, 513, 4097]) {
      const tree = new PriorityTree(capacity);
      const filled = Math.max(1, capacity >> 1);
      tree.set(Int32Array.from({ length: filled }, (_, i) => i), new Float64Array(filled).fill(1));
      expect(tree.filled).toBe(filled);
      const out = tree.sample(1000, { seed: capacity });
      for (const i of out) {
        expect(i).toBeGreaterThanOrEqual(0);
        expect(i).toBeLessThan(filled);
      }
      // Uniforms at the very top of [0, 1) land on the last leaf with mass.
      const top = tree.sampleWithUniforms(new Float64Array([1 - 2 ** -53]));
      expect(top[0]).toBe(filled - 1);
    }
  });

  it('is deterministic with a seed', () => {
    const make = () => {
      const tree = new PriorityTree(1 << 14);
      const r = testRng(1);
      tree.set(Int32Array.from({ length: 1 << 14 }, (_, i) => i), Float64Array.from({ length: 1 << 14 }, () => r()));
      return tree;
    };
    const a = make();
    const b = make();
    const first = a.sample(512, { seed: 42 });
    const again = a.sample(512);
    expect(b.sample(512, { seed: 42 })).toEqual(first);
    expect(b.sample(512)).toEqual(again);
    expect(a.sample(512, { seed: 42 })).toEqual(first);
    expect(a.sample(512, { seed: 43 })).not.toEqual(first);
  });

  it('rejects bad input with clear errors and leaves the tree unchanged', () => {
    expect(() => new PriorityTree(0)).toThrow(new RangeError('Expected an integer in [1, 1073741824] for capacity but received 0'));
    expect(() => new PriorityTree(1.5)).toThrow(RangeError);
    expect(() => new PriorityTree('8' as unknown as number)).toThrow(TypeError);
    const tree = new PriorityTree(8);
    tree.set(new Int32Array([0, 1]), new Float32Array([1, 2]));
    const bad: [number, RegExp][] = [
      [NaN, /priorities\[1\] \(tree index 5\) but received NaN/],
      [-1, /Expected a finite priority >= 0 for priorities\[1\] \(tree index 5\) but received -1/],
      [Infinity, /priorities\[1\] \(tree index 5\) but received Infinity/],
    ];
    for (const [value, message] of bad) {
      expect(() => tree.set(new Int32Array([4, 5]), new Float64Array([3, value]))).toThrow(RangeError);
      expect(() => tree.set(new Int32Array([4, 5]), new Float64Array([3, value]))).toThrow(message);
      expect(() => tree.set(new Int32Array([4, 5]), new Float32Array([3, value]))).toThrow(message);
    }
    expect(tree.total).toBe(3);
    expect(tree.get(4)).toBe(0);
    expect(() => tree.set(new Int32Array([8]), new Float32Array([1]))).toThrow(
      new RangeError('Expected an integer in [0, 7] for indices[0] but received 8'),
    );
    expect(() => tree.set(new Int32Array([-1]), new Float32Array([1]))).toThrow(/indices\[0\] but received -1/);
    expect(() => tree.set([0] as unknown as Int32Array, new Float32Array([1]))).toThrow(TypeError);
    expect(() => tree.set(new Int32Array([0]), [1] as unknown as Float32Array)).toThrow(TypeError);
    expect(() => tree.set(new Int32Array([0]), new Float32Array(2))).toThrow(RangeError);
    expect(() => tree.get(8)).toThrow(/index but received 8/);
    expect(() => tree.sample(0)).toThrow(/for n but received 0/);
    expect(() => tree.sample(4, { seed: -2 })).toThrow(/for seed but received -2/);
    expect(() => tree.sample(4, { out: new Int32Array(3) })).toThrow(RangeError);
    expect(() => tree.sample(4, { sed: 1 } as never)).toThrow(/Unknown option 'sed'/);
    expect(() => tree.sampleWithUniforms(new Float64Array([1]))).toThrow(/uniforms\[0\] but received 1/);
    expect(() => new PriorityTree(8).sample(4)).toThrow(/total priority is 0/);
    // The raw class re-checks what TS validated.
    const raw = tree.raw;
    expect(() => raw.set(new Int32Array([0]), new Int32Array([1]) as never)).toThrow(TypeError);
    expect(() => raw.sample(new Float64Array(2) as never, -1)).toThrow(TypeError);
    expect(() => raw.getMany(new Int32Array([0]), new Float64Array(2))).toThrow(RangeError);
  });
});
