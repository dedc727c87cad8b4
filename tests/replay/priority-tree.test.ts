import { describe, expect, it } from 'vitest';

import { loadNative } from '../../src/native.js';
import { MAX_PRIORITY, PriorityTree } from '../../src/replay/priority-tree.js';
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

/** The double `steps` ulps from a positive finite v (nextBelow(v) is C's nextafter(v, 0)). */
function ulpStep(v: number, steps: number): number {
  const f = new Float64Array([v]);
  const bits = new BigInt64Array(f.buffer);
  bits[0] += BigInt(steps);
  return f[0];
}
const nextBelow = (v: number) => ulpStep(v, -1);
const nextAbove = (v: number) => ulpStep(v, 1);

/**
 * A TS model of the documented tree arithmetic (priority_tree.h): 8-ary levels, every internal
 * entry the sequential sum ((c0 + c1) + c2) + ... of its children, descents that form a node's
 * prefixes in that order, pick the count of prefixes <= x, subtract the largest of them, and on
 * the rounding path (x reached the node's sum) take the last child with mass. Real-valued
 * priorities make the summation order matter; `onTie` reports a target that lands exactly on a
 * prefix, where an implementation whose prefix is one ulp off picks another child.
 */
class TreeModel {
  readonly levels: Float64Array[] = [];
  readonly total: number;
  readonly filled: number;

  constructor(priorities: ArrayLike<number>, capacity: number) {
    let size = Math.ceil(capacity / 8) * 8;
    const leaves = new Float64Array(size);
    leaves.set(Array.from(priorities));
    this.levels.push(leaves);
    while (size > 8) {
      size = Math.ceil(Math.floor(size / 8) / 8) * 8;
      const below = this.levels[this.levels.length - 1];
      const level = new Float64Array(size);
      for (let e = 0; e < below.length / 8; e++) level[e] = this.prefixes(below, e)[7];
      this.levels.push(level);
    }
    this.total = this.prefixes(this.levels[this.levels.length - 1], 0)[7];
    let filled = 0;
    for (let i = 0; i < priorities.length; i++) if (priorities[i] !== 0) filled = i + 1;
    this.filled = filled;
  }

  /** The 8 sequential prefixes of node `node` of `level`. */
  prefixes(level: Float64Array, node: number): number[] {
    const p: number[] = [];
    let acc = level[8 * node];
    p.push(acc);
    for (let c = 1; c < 8; c++) p.push((acc += level[8 * node + c]));
    return p;
  }

  /** Targets on the top node's prefixes and on its children's prefixes (shifted by the top's). */
  boundaryTargets(): number[] {
    const top = this.levels.length - 1;
    const pTop = this.prefixes(this.levels[top], 0);
    const targets = [...pTop];
    if (top > 0) {
      for (let j = 0; j < 8; j++) {
        const base = j > 0 ? pTop[j - 1] : 0;
        for (const q of this.prefixes(this.levels[top - 1], j)) targets.push(base + q);
      }
    }
    return targets.filter((t) => t > 0 && t < this.total);
  }

  sample(uniforms: Float64Array, onTie?: () => void): Int32Array {
    const n = uniforms.length;
    const out = new Int32Array(n);
    const belowTotal = nextBelow(this.total);
    for (let i = 0; i < n; i++) {
      const t = ((i + uniforms[i]) * this.total) / n;
      let x = t < belowTotal ? t : belowTotal;
      let node = 0;
      for (let k = this.levels.length - 1; k >= 0; k--) {
        const v = this.levels[k].subarray(8 * node, 8 * node + 8);
        const p = this.prefixes(this.levels[k], node);
        let j = p.filter((q) => q <= x).length;
        if (onTie && p.includes(x)) onTie();
        if (j === 8) {
          j = 7;
          while (j > 0 && !(v[j] > 0)) j--;
          x = v[j] > 0 ? nextBelow(v[j]) : 0;
        } else {
          x -= j > 0 ? p[j - 1] : 0;
        }
        node = 8 * node + j;
      }
      out[i] = Math.min(node, this.filled - 1);
    }
    return out;
  }
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
      const { stat, df } = chiSquare(
        counts,
        priorities.map((p) => p / total),
        draws,
      );
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

  it('samples exactly the leaves a model of its documented f64 arithmetic gives, for real-valued priorities', () => {
    const r = testRng(21);
    // Capacities with 1 to 7 levels, some not multiples of 8; batches that take both the per-node
    // path (nodes seen once) and the shared-node path (many targets per node).
    for (const capacity of [1, 5, 8, 9, 64, 515, 4099, 40_000, 300_001]) {
      const priorities = Array.from({ length: capacity }, (_, i) => (r() < 0.15 ? 0 : i % 97 === 0 ? r() * 1e6 : r() * (1 + (i % 7))));
      if (!priorities.some((q) => q > 0)) priorities[0] = 0.5;
      const tree = new PriorityTree(capacity);
      fill(tree, priorities);
      const model = new TreeModel(priorities, capacity);
      expect(tree.total).toBe(model.total);
      for (const n of [1, 7, 256, 4096]) {
        // Some uniforms just below 1, the last among them: targets at the top of their segment and
        // of the total, where the rounding path and the clamp below the total act.
        const uniforms = Float64Array.from({ length: n }, (_, i) => (i % 11 === 0 || i === n - 1 ? nextBelow(1) : r()));
        const got = tree.sampleWithUniforms(uniforms);
        expect(Array.from(got), `capacity ${capacity}, batch ${n}`).toEqual(Array.from(model.sample(uniforms)));
        for (const index of got) expect(priorities[index]).toBeGreaterThan(0);
      }
      // Targets that land exactly on a prefix: found by scanning the doubles next to the top two
      // levels' boundaries (and, in small trees, next to every few leaves' cumulative mass). Any
      // other summation order or subtraction puts some of these on the other side.
      const centres = model.boundaryTargets();
      if (capacity <= 4099) {
        let cumulative = 0;
        for (let leaf = 0; leaf < capacity; leaf++) {
          cumulative += priorities[leaf];
          if (leaf % Math.ceil(capacity / 100) === 0) centres.push(cumulative);
        }
      }
      let ties = 0;
      for (const centre of centres) {
        for (const step of [nextBelow, nextAbove]) {
          let u = centre / model.total;
          for (let k = 0; k < 16 && u > 0 && u < 1; k++, u = step(u)) {
            const uniforms = Float64Array.of(u);
            let tie = false;
            const want = model.sample(uniforms, () => (tie = true));
            if (!tie) continue;
            ties++;
            expect(tree.sampleWithUniforms(uniforms)[0], `capacity ${capacity}, u ${u}`).toBe(want[0]);
          }
        }
      }
      if (capacity >= 64) expect(ties, `ties found at capacity ${capacity}`).toBeGreaterThan(10);
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
      tree.set(
        Int32Array.from({ length: filled }, (_, i) => i),
        new Float64Array(filled).fill(1),
      );
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
      tree.set(
        Int32Array.from({ length: 1 << 14 }, (_, i) => i),
        Float64Array.from({ length: 1 << 14 }, () => r()),
      );
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

  it('at MAX_PRIORITY in every leaf, the total and the samples stay finite and proportional', () => {
    const tree = new PriorityTree(1024);
    const idx = Int32Array.from({ length: 1024 }, (_, i) => i);
    tree.set(idx, new Float64Array(1024).fill(MAX_PRIORITY));
    expect(Number.isFinite(tree.total)).toBe(true);
    const drawn = tree.sample(1024, { seed: 1 });
    expect(new Set(drawn).size).toBe(1024); // stratified over equal priorities: every leaf once
  });

  it('the native tree enforces MAX_PRIORITY too: a raw binding call cannot make the sum overflow', () => {
    const raw = new (loadNative().PriorityTree)(8);
    raw.set(new Int32Array([0]), new Float64Array([2]));
    const message = 'Expected a priority in [0, 1e+280] (MAX_PRIORITY) for priorities[1] (tree index 5) but received 1e+308';
    expect(() => raw.set(new Int32Array([4, 5]), new Float64Array([1, 1e308]))).toThrow(RangeError);
    expect(() => raw.set(new Int32Array([4, 5]), new Float64Array([1, 1e308]))).toThrow(message);
    expect(() => raw.set(new Int32Array([4]), new Float64Array([MAX_PRIORITY * 1.0000001]))).toThrow(/MAX_PRIORITY/);
    expect(raw.total()).toBe(2); // unchanged: checked before anything is written
    raw.set(new Int32Array([4, 5]), new Float64Array([MAX_PRIORITY, MAX_PRIORITY])); // the bound itself is allowed
    expect(Number.isFinite(raw.total())).toBe(true);
    const out = new Int32Array(64);
    raw.sample(out, 1);
    expect(new Set(out)).toEqual(new Set([4, 5])); // both drawn, not one index forever
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
    // Finite priorities whose sum overflows (1e308 + 1e308 = Infinity: one index forever) are refused.
    expect(() => tree.set(new Int32Array([4, 5]), new Float64Array([1e308, 1e308]))).toThrow(
      new RangeError('Expected a priority in [0, 1e+280] (MAX_PRIORITY) for priorities[0] (tree index 4) but received 1e+308'),
    );
    expect(tree.total).toBe(3);
    expect(() => tree.set(new Int32Array([8]), new Float32Array([1]))).toThrow(new RangeError('Expected an integer in [0, 7] for indices[0] but received 8'));
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
