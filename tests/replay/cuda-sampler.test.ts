/**
 * The CUDA path must give the CPU path's results for the same uniforms. Without a usable device the
 * equality suite is skipped with the reason printed (run it on a GPU machine: docs/replay.md).
 */
import { describe, expect, it } from 'vitest';

import { cudaAvailability, CudaPrioritySampler } from '../../src/replay/cuda-sampler.js';
import { PrioritizedReplay } from '../../src/replay/prioritized-replay.js';
import { PriorityTree } from '../../src/replay/priority-tree.js';
import { testRng } from './stats-helpers.js';

const cuda = cudaAvailability();
if (!cuda.available) {
  console.warn(`[replay/cuda] skipping CUDA equality tests: ${cuda.reason}`);
}

describe('CUDA availability', () => {
  it('is reported without throwing, with a reason when unavailable', () => {
    expect(typeof cuda.compiled).toBe('boolean');
    if (cuda.available) {
      expect(cuda.devices).toBeGreaterThan(0);
      expect(cuda.reason).toBe('');
    } else {
      expect(cuda.reason.length).toBeGreaterThan(0);
      expect(() => new CudaPrioritySampler(new PriorityTree(8))).toThrow(/no CUDA device/);
    }
  });
});

describe.skipIf(!cuda.available)('CUDA sampler equals the CPU path', () => {
  const shapes: Record<string, (i: number, r: () => number) => number> = {
    uniform: () => 1,
    'random with zeros': (i, r) => (i % 3 === 0 ? 0 : r()),
    'a few huge': (i) => (i % 997 === 0 ? 1e12 : 1 + (i % 5)),
    'tiny and huge': (i, r) => (r() < 0.5 ? 1e-30 * r() : 1e30 * r()),
  };
  for (const capacity of [1, 13, 4096, 1 << 20]) {
    for (const [name, shape] of Object.entries(shapes)) {
      it(`draws the same indices and weights for the same uniforms: ${name}, capacity ${capacity}`, () => {
        const r = testRng(capacity);
        const tree = new PriorityTree(capacity);
        const all = Int32Array.from({ length: capacity }, (_, i) => i);
        const p = Float64Array.from(all, (i) => shape(i, r));
        if (!p.some((v) => v > 0)) p[0] = 1;
        tree.set(all, p);
        const gpu = new CudaPrioritySampler(tree);
        try {
          for (const n of [1, 7, 256, 4096]) {
            const u = Float64Array.from({ length: n }, () => r());
            const cpu = tree.sampleWithUniforms(u);
            const idx = new Int32Array(n);
            const w = new Float32Array(n);
            gpu.sampleWithUniforms(u, 0.5, idx, w);
            expect(Array.from(idx)).toEqual(Array.from(cpu));
            const min = tree.min;
            for (let k = 0; k < n; k++) {
              const want = Math.fround((min / tree.get(idx[k])) ** 0.5);
              expect(Math.abs(w[k] - want)).toBeLessThanOrEqual(want * 1.2e-7);
            }
          }
        } finally {
          gpu.dispose();
        }
      });
    }
  }

  it('draws the same indices as PriorityTree.sample for the same seed (uniforms derived in the kernel)', () => {
    const r = testRng(21);
    const capacity = 1 << 18;
    const tree = new PriorityTree(capacity);
    const all = Int32Array.from({ length: capacity }, (_, i) => i);
    tree.set(
      all,
      Float64Array.from(all, () => (r() < 0.2 ? 0 : r())),
    );
    const gpu = new CudaPrioritySampler(tree);
    try {
      for (const n of [1, 256, 4096]) {
        const cpu = tree.sample(n, { seed: 77 });
        const cpuNext = tree.sample(n);
        const idx = new Int32Array(n);
        const w = new Float32Array(n);
        gpu.sample(idx, w, 0.4, 77);
        expect(Array.from(idx)).toEqual(Array.from(cpu));
        gpu.sample(idx, w, 0.4);
        expect(Array.from(idx)).toEqual(Array.from(cpuNext));
      }
    } finally {
      gpu.dispose();
    }
  });

  it('keeps total and min equal to the CPU tree through random batched updates with duplicates', () => {
    const r = testRng(5);
    const capacity = 100_003;
    const tree = new PriorityTree(capacity);
    const gpu = new CudaPrioritySampler(tree);
    try {
      for (let round = 0; round < 50; round++) {
        const n = 1 + Math.floor(r() * 3000);
        const idx = Int32Array.from({ length: n }, () => Math.floor(r() * (round < 25 ? 64 : capacity)));
        const p = Float64Array.from({ length: n }, () => (r() < 0.1 ? 0 : r() * 100));
        tree.set(idx, p);
        gpu.set(idx, p);
        expect(gpu.total).toBe(tree.total);
        expect(gpu.min).toBe(tree.min);
        if (tree.total > 0) {
          const u = Float64Array.from({ length: 512 }, () => r());
          const out = new Int32Array(512);
          gpu.sampleWithUniforms(u, 1, out, new Float32Array(512));
          expect(Array.from(out)).toEqual(Array.from(tree.sampleWithUniforms(u)));
        }
      }
    } finally {
      gpu.dispose();
    }
  });

  it("gives PrioritizedReplay({ device: 'cuda' }) the same batches as the CPU replay for one seed", () => {
    const make = (device: 'cpu' | 'cuda') => new PrioritizedReplay({ capacity: 4 * 64, numEnvs: 4, frameShape: [2, 2], stack: 2, nStep: 2, seed: 3, device });
    const a = make('cpu');
    const b = make('cuda');
    const r = testRng(8);
    const obs = () => {
      const frames = Uint8Array.from({ length: 4 * 4 }, () => Math.floor(r() * 255));
      const out = new Uint8Array(4 * 2 * 4);
      for (let lane = 0; lane < 4; lane++) {
        out.set(frames.subarray(lane * 4, lane * 4 + 4), lane * 8);
        out.set(frames.subarray(lane * 4, lane * 4 + 4), lane * 8 + 4);
      }
      return out;
    };
    const start = obs();
    a.begin(start);
    b.begin(start);
    for (let t = 0; t < 40; t++) {
      const step = {
        actions: Int32Array.from({ length: 4 }, () => Math.floor(r() * 5)),
        rewards: Float32Array.from({ length: 4 }, () => r()),
        terminated: new Uint8Array(4),
        truncated: new Uint8Array(4),
        obs: obs(),
      };
      a.addBatch(step);
      b.addBatch(step);
    }
    for (let k = 0; k < 5; k++) {
      const x = a.sample(64);
      const y = b.sample(64);
      expect(Array.from(y.indices)).toEqual(Array.from(x.indices));
      expect(Array.from(y.obs)).toEqual(Array.from(x.obs));
      for (let i = 0; i < 64; i++) expect(Math.abs(y.weights[i] - x.weights[i])).toBeLessThanOrEqual(x.weights[i] * 1.2e-7);
      const td = Float32Array.from({ length: 64 }, () => r() * 3);
      a.updatePriorities(x.indices, td);
      b.updatePriorities(y.indices, td);
    }
    b.dispose();
  });
});
