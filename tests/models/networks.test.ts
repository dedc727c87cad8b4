import { describe, expect, it } from 'vitest';

import { toModel } from '../../src/graph/onnx-writer.js';
import { createSession, runSession } from '../../src/graph/session.js';
import { orthogonal } from '../../src/models/init.js';
import { forwardMacs, initParams, modelSpec, paramCount, paramSpecs } from '../../src/models/networks.js';
import { Rng } from '../../src/models/random.js';
import { buildPolicyGraph } from '../../src/train/train-graph.js';

describe('models', () => {
  it('has the published parameter counts', () => {
    const nature = modelSpec({ network: 'nature', actions: 7 });
    expect(paramCount(nature)).toBe(32 * 4 * 64 + 32 + 64 * 32 * 16 + 64 + 64 * 64 * 9 + 64 + 3136 * 512 + 512 + 512 * 7 + 7 + 512 + 1);
    expect(paramCount(nature)).toBeGreaterThan(1.68e6);
    const base = modelSpec({ network: 'baseline', actions: 7 });
    expect(paramSpecs(base).find((p) => p.name === 'fc.weight')!.shape).toEqual([512, 32 * 6 * 6]);
    expect(forwardMacs(nature)).toBeGreaterThan(7e6);
  });

  it('initialises orthogonally and deterministically from a seed', () => {
    const w = orthogonal(new Rng(1), 4, 9, 2);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
      let dot = 0;
      for (let k = 0; k < 9; k++) dot += w[i * 9 + k]! * w[j * 9 + k]!;
      expect(dot).toBeCloseTo(i === j ? 4 : 0, 5);
    }
    const tall = orthogonal(new Rng(2), 6, 3, 1);
    for (let i = 0; i < 3; i++) {
      let n = 0;
      for (let r = 0; r < 6; r++) n += tall[r * 3 + i]! ** 2;
      expect(n).toBeCloseTo(1, 5);
    }
    const spec = modelSpec({ network: 'baseline', obsShape: [4, 42, 42], actions: 5 });
    const a = initParams(spec, 7);
    const b = initParams(spec, 7);
    const c = initParams(spec, 8);
    for (const [k, v] of a) expect(Buffer.from(v.buffer).equals(Buffer.from(b.get(k)!.buffer))).toBe(true);
    expect(a.get('conv1.weight')![0]).not.toBe(c.get('conv1.weight')![0]);
    expect(a.get('fc.bias')!.every((v) => v === 0)).toBe(true);
  });

  it('validates specs with clear errors', () => {
    expect(() => modelSpec({ network: 'resnet', actions: 3 })).toThrow("Expected one of 'nature', 'baseline' for model.network but received \"resnet\"");
    expect(() => modelSpec({ network: 'nature', actions: 0 })).toThrow('Expected an integer in [1, 4096] for model.actions but received 0');
    expect(() => modelSpec({ network: 'nature', obsShape: [4, 20, 20], actions: 3 })).toThrow(/larger frame/);
    expect(() => modelSpec({ actions: 3, hidden: 3 })).toThrow(/Unknown option 'hidden'/);
  });

  it('computes logits/value, dueling q on uint8 observations', async () => {
    for (const head of ['actor-critic', 'dueling', 'q'] as const) {
      const spec = modelSpec({ network: 'baseline', head, obsShape: [2, 16, 16], actions: 3 });
      const values = initParams(spec, 1);
      const g = buildPolicyGraph(spec, 2, values);
      const s = await createSession(toModel(g, { params: 'baked' }), { intraOpNumThreads: 1 });
      const obs = Uint8Array.from({ length: 2 * 2 * 16 * 16 }, (_, i) => (i * 13) % 256);
      const r = await runSession(s, { obs: { dtype: 'uint8', dims: [2, 2, 16, 16], data: obs } });
      if (head === 'actor-critic') {
        expect(r.logits!.dims).toEqual([2, 3]);
        expect(r.value!.dims).toEqual([2]);
      } else {
        expect(r.q!.dims).toEqual([2, 3]);
        expect(Array.from(r.q!.data as Float32Array).every(Number.isFinite)).toBe(true);
      }
    }
  });
});
