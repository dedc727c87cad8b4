import { describe, expect, it } from 'vitest';

import { toModel } from '../../src/graph/onnx-writer.js';
import { createSession, runSession } from '../../src/graph/session.js';
import { orthogonal } from '../../src/models/init.js';
import { forwardMacs, initParams, modelSpec, paramCount, paramSpecs } from '../../src/models/networks.js';
import { Rng } from '../../src/util/rng.js';
import { buildPolicyGraph } from '../../src/runtime/train-graph.js';
import { TEST_SESSION } from '../test-device.js';

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
    const w = orthogonal(Rng.fromSeed32(1), 4, 9, 2);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
      let dot = 0;
      for (let k = 0; k < 9; k++) dot += w[i * 9 + k]! * w[j * 9 + k]!;
      expect(dot).toBeCloseTo(i === j ? 4 : 0, 5);
    }
    const tall = orthogonal(Rng.fromSeed32(2), 6, 3, 1);
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
    // Pinned: the same seed gives the same parameters as every earlier version.
    expect(Array.from(a.get('conv1.weight')!.subarray(0, 3))).toEqual([-0.32542937994003296, 0.45313501358032227, -0.19650420546531677]);
    expect(Array.from(a.get('fc.weight')!.subarray(0, 3))).toEqual([-0.00943067017942667, -0.023799793794751167, -0.05550719052553177]);
    expect(Array.from(a.get('pi.weight')!.subarray(0, 3))).toEqual([-0.0003412661317270249, 0.00022188009461387992, 0.00027930818032473326]);
  });

  it('validates specs with clear errors', () => {
    expect(() => modelSpec({ network: 'resnet', actions: 3 })).toThrow("Expected one of 'nature', 'baseline', 'mlp' for model.network but received \"resnet\"");
    expect(() => modelSpec({ network: 'nature', actions: 0 })).toThrow('Expected an integer in [1, 4096] for model.actions but received 0');
    expect(() => modelSpec({ network: 'nature', obsShape: [4, 20, 20], actions: 3 })).toThrow(/larger frame/);
    expect(() => modelSpec({ actions: 3, hidden: 3 })).toThrow(/Unknown option 'hidden'/);
  });

  it("builds the 'mlp' trunk for RAM observations and matches a hand-computed forward pass", async () => {
    const spec = modelSpec({ network: 'mlp', obsShape: [1, 1, 2048], actions: 5 });
    expect(paramSpecs(spec).map((p) => `${p.name}:${p.shape.join('x')}`)).toEqual([
      'fc.weight:256x2048', 'fc.bias:256', 'fc2.weight:256x256', 'fc2.bias:256', 'pi.weight:5x256', 'pi.bias:5', 'v.weight:1x256', 'v.bias:1',
    ]);
    expect(forwardMacs(spec)).toBe(256 * 2048 + 256 * 256 + 5 * 256 + 256);
    expect(() => modelSpec({ network: 'baseline', obsShape: [1, 1, 2048], actions: 5 })).toThrow('model.obsShape[1]');

    // A small one, checked against the same computation in float64.
    const small = modelSpec({ network: 'mlp', obsShape: [1, 1, 6], actions: 2 });
    const values = initParams(small, 3);
    values.set('fc.bias', Float32Array.from({ length: 256 }, (_, i) => (i % 7) * 0.01 - 0.03));
    const obs = Uint8Array.of(0, 255, 17, 128, 3, 200);
    const s = await createSession(toModel(buildPolicyGraph(small, 1, values), { params: 'baked' }), TEST_SESSION);
    const r = await runSession(s, { obs: { dtype: 'uint8', dims: [1, 1, 1, 6], data: obs } });
    const dense = (x: number[], w: Float32Array, b: Float32Array, relu: boolean) =>
      Array.from(b, (bias, o) => {
        let acc = bias;
        for (let i = 0; i < x.length; i++) acc += w[o * x.length + i]! * x[i]!;
        return relu ? Math.max(0, acc) : acc;
      });
    const h1 = dense(Array.from(obs, (v) => v / 255), values.get('fc.weight')!, values.get('fc.bias')!, true);
    const h2 = dense(h1, values.get('fc2.weight')!, values.get('fc2.bias')!, true);
    const logits = dense(h2, values.get('pi.weight')!, values.get('pi.bias')!, false);
    const value = dense(h2, values.get('v.weight')!, values.get('v.bias')!, false);
    expect(Array.from(r.logits!.data as Float32Array).map((v, i) => v - logits[i]!).every((d) => Math.abs(d) < 1e-5)).toBe(true);
    expect((r.value!.data as Float32Array)[0]).toBeCloseTo(value[0]!, 5);
  });

  it('computes logits/value, dueling q on uint8 observations', async () => {
    for (const head of ['actor-critic', 'dueling', 'q'] as const) {
      const spec = modelSpec({ network: 'baseline', head, obsShape: [2, 16, 16], actions: 3 });
      const values = initParams(spec, 1);
      const g = buildPolicyGraph(spec, 2, values);
      const s = await createSession(toModel(g, { params: 'baked' }), TEST_SESSION);
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
