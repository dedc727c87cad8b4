import { describe, expect, it } from 'vitest';

import { toModel } from '../../src/graph/onnx-writer.js';
import * as op from '../../src/graph/ops.js';
import { createSession, runSession } from '../../src/graph/session.js';
import { Graph, type Tensor } from '../../src/graph/tensor.js';
import { orthogonal } from '../../src/models/init.js';
import { type ModelSpec, applyModel, forwardMacs, initParams, modelSpec, oneHotTiles, paramCount, paramSpecs } from '../../src/models/networks.js';
import { Rng } from '../../src/util/rng.js';
import { buildPolicyGraph } from '../../src/runtime/train-graph.js';
import { gradCheck, randomValues } from '../graph/grad-check.js';
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
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
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
    expect(() => modelSpec({ network: 'resnet', actions: 3 })).toThrow(
      "Expected one of 'nature', 'baseline', 'mlp', 'tiles', 'tiles-mlp' for model.network but received \"resnet\"",
    );
    expect(() => modelSpec({ network: 'nature', actions: 0 })).toThrow('Expected an integer in [1, 4096] for model.actions but received 0');
    expect(() => modelSpec({ network: 'nature', obsShape: [4, 20, 20], actions: 3 })).toThrow(/larger frame/);
    expect(() => modelSpec({ actions: 3, hidden: 3 })).toThrow(/Unknown option 'hidden'/);
  });

  it("builds the 'mlp' trunk for RAM observations and matches a hand-computed forward pass", async () => {
    const spec = modelSpec({ network: 'mlp', obsShape: [1, 1, 2048], actions: 5 });
    expect(paramSpecs(spec).map((p) => `${p.name}:${p.shape.join('x')}`)).toEqual([
      'fc.weight:256x2048',
      'fc.bias:256',
      'fc2.weight:256x256',
      'fc2.bias:256',
      'pi.weight:5x256',
      'pi.bias:5',
      'v.weight:1x256',
      'v.bias:1',
    ]);
    expect(forwardMacs(spec)).toBe(256 * 2048 + 256 * 256 + 5 * 256 + 256);
    expect(() => modelSpec({ network: 'baseline', obsShape: [1, 1, 2048], actions: 5 })).toThrow('model.obsShape[1]');

    // A small one, checked against the same computation in float64.
    const small = modelSpec({ network: 'mlp', obsShape: [1, 1, 6], actions: 2 });
    const values = initParams(small, 3);
    values.set(
      'fc.bias',
      Float32Array.from({ length: 256 }, (_, i) => (i % 7) * 0.01 - 0.03),
    );
    const obs = Uint8Array.of(0, 255, 17, 128, 3, 200);
    const s = await createSession(toModel(buildPolicyGraph(small, 1, values), { params: 'baked' }), TEST_SESSION);
    const r = await runSession(s, { obs: { dtype: 'uint8', dims: [1, 1, 1, 6], data: obs } });
    const dense = (x: number[], w: Float32Array, b: Float32Array, relu: boolean) =>
      Array.from(b, (bias, o) => {
        let acc = bias;
        for (let i = 0; i < x.length; i++) acc += w[o * x.length + i]! * x[i]!;
        return relu ? Math.max(0, acc) : acc;
      });
    const h1 = dense(
      Array.from(obs, (v) => v / 255),
      values.get('fc.weight')!,
      values.get('fc.bias')!,
      true,
    );
    const h2 = dense(h1, values.get('fc2.weight')!, values.get('fc2.bias')!, true);
    const logits = dense(h2, values.get('pi.weight')!, values.get('pi.bias')!, false);
    const value = dense(h2, values.get('v.weight')!, values.get('v.bias')!, false);
    expect(
      Array.from(r.logits!.data as Float32Array)
        .map((v, i) => v - logits[i]!)
        .every((d) => Math.abs(d) < 1e-5),
    ).toBe(true);
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

  describe("the tile-grid networks 'tiles' and 'tiles-mlp'", () => {
    const TILES: [number, number, number] = [4, 13, 16];

    it('has the documented shapes, parameter count and MACs at [4, 13, 16] with 7 actions', () => {
      const spec = modelSpec({ network: 'tiles', obsShape: TILES, actions: 7 });
      expect(spec).toEqual({ network: 'tiles', head: 'actor-critic', obsShape: TILES, actions: 7, tileClasses: 5 });
      expect(paramSpecs(spec).map((p) => `${p.name}:${p.shape.join('x')}`)).toEqual([
        'conv1.weight:32x20x3x3',
        'conv1.bias:32',
        'conv2.weight:64x32x3x3',
        'conv2.bias:64',
        'conv3.weight:64x64x3x3',
        'conv3.bias:64',
        'fc.weight:256x3584',
        'fc.bias:256',
        'pi.weight:7x256',
        'pi.bias:7',
        'v.weight:1x256',
        'v.bias:1',
      ]);
      // conv1 13×16, conv2 (stride 2, pad 1) 7×8, conv3 7×8 → 64·56 = 3584 features.
      const convMacs = 32 * 20 * 9 * 13 * 16 + 64 * 32 * 9 * 56 + 64 * 64 * 9 * 56;
      expect(forwardMacs(spec)).toBe(convMacs + 256 * 3584 + 7 * 256 + 256);
      expect(forwardMacs(spec)).toBe(5_214_208);
      expect(paramCount(spec)).toBe(981_032);
      const dueling = modelSpec({ network: 'tiles', head: 'dueling', obsShape: TILES, actions: 7, noisy: true });
      expect(paramSpecs(dueling).find((p) => p.name === 'adv.weight_sigma')!.shape).toEqual([7, 256]);
      const mlp = modelSpec({ network: 'tiles-mlp', obsShape: TILES, actions: 7 });
      expect(
        paramSpecs(mlp)
          .slice(0, 4)
          .map((p) => `${p.name}:${p.shape.join('x')}`),
      ).toEqual(['fc.weight:256x4160', 'fc.bias:256', 'fc2.weight:256x256', 'fc2.bias:256']);
      expect(forwardMacs(mlp)).toBe(256 * 4160 + 256 * 256 + 7 * 256 + 256);
      expect(paramCount(mlp)).toBe(1_133_064);
      // More classes, more planes.
      expect(paramSpecs(modelSpec({ network: 'tiles', obsShape: TILES, actions: 7, tileClasses: 8 }))[0]!.shape).toEqual([32, 32, 3, 3]);
    });

    it('validates tileClasses and takes any grid size', () => {
      expect(() => modelSpec({ network: 'tiles', obsShape: TILES, actions: 7, tileClasses: 1 })).toThrow(
        'Expected an integer in [2, 32] for model.tileClasses but received 1',
      );
      expect(() => modelSpec({ network: 'tiles', obsShape: TILES, actions: 7, tileClasses: 33 })).toThrow('model.tileClasses');
      expect(() => modelSpec({ network: 'nature', actions: 7, tileClasses: 5 })).toThrow(
        "Expected 'tiles' or 'tiles-mlp' for model.network with model.tileClasses but received 'nature'",
      );
      expect('tileClasses' in modelSpec({ network: 'baseline', obsShape: [4, 16, 16], actions: 3 })).toBe(false);
      const tiny = modelSpec({ network: 'tiles', obsShape: [1, 1, 1], actions: 2 });
      expect(paramSpecs(tiny).find((p) => p.name === 'fc.weight')!.shape).toEqual([256, 64]);
    });

    it('one-hot encodes class ids as S·K planes; ids outside 0..K−1 give all-zero planes', async () => {
      const [B, S, R, C, K] = [2, 2, 3, 4, 5];
      const g = new Graph();
      const obs = g.input('obs', 'uint8', [B, S, R, C]);
      g.output('planes', oneHotTiles(obs, K));
      const data = Uint8Array.from({ length: B * S * R * C }, (_, i) => [0, 1, 2, 3, 4, 5, 7, 255][(i * 5) % 8]!);
      const s = await createSession(toModel(g), TEST_SESSION);
      const r = await runSession(s, { obs: { dtype: 'uint8', dims: [B, S, R, C], data } });
      expect(r.planes!.dims).toEqual([B, S * K, R, C]);
      const planes = r.planes!.data as Float32Array;
      for (let b = 0; b < B; b++)
        for (let f = 0; f < S; f++)
          for (let k = 0; k < K; k++)
            for (let cell = 0; cell < R * C; cell++) {
              const id = data[(b * S + f) * R * C + cell]!;
              expect(planes[((b * S + f) * K + k) * R * C + cell]).toBe(id === k ? 1 : 0);
            }
    });

    it('runs every head on any uint8 input; all-out-of-range grids give the zero-bias outputs', async () => {
      const shape: [number, number, number] = [2, 5, 6];
      for (const head of ['actor-critic', 'dueling', 'q'] as const) {
        for (const network of ['tiles', 'tiles-mlp'] as const) {
          const spec = modelSpec({ network, head, obsShape: shape, actions: 7 });
          const s = await createSession(toModel(buildPolicyGraph(spec, 3, initParams(spec, 1)), { params: 'baked' }), TEST_SESSION);
          const n = 2 * 5 * 6;
          // Row 0: in-range ids; row 1: any byte; row 2: only ids ≥ K (every plane zero).
          const obs = Uint8Array.from({ length: 3 * n }, (_, i) => (i < n ? i % 5 : i < 2 * n ? (i * 37) % 256 : 5 + (i % 251)));
          const r = await runSession(s, { obs: { dtype: 'uint8', dims: [3, ...shape], data: obs } });
          const out = (head === 'actor-critic' ? r.logits! : r.q!).data as Float32Array;
          expect(out.length).toBe(21);
          expect(out.every(Number.isFinite), `${network} ${head}`).toBe(true);
          // Zero planes and zero biases make every activation 0, so the outputs are the (zero) head biases.
          expect(
            Array.from(out.subarray(14)).every((v) => v === 0),
            `${network} ${head}`,
          ).toBe(true);
          expect(Array.from(out.subarray(0, 7)).some((v) => v !== 0)).toBe(true);
          if (head === 'actor-critic') expect(r.value!.dims).toEqual([3]);
        }
      }
    });

    it('is deterministic by seed: parameters and outputs', async () => {
      const shape: [number, number, number] = [4, 7, 8];
      const spec = modelSpec({ network: 'tiles', head: 'q', obsShape: shape, actions: 7 });
      const a = initParams(spec, 7);
      const b = initParams(spec, 7);
      const c = initParams(spec, 8);
      for (const [k, v] of a) expect(Buffer.from(v.buffer).equals(Buffer.from(b.get(k)!.buffer)), k).toBe(true);
      expect(a.get('conv3.weight')![0]).not.toBe(c.get('conv3.weight')![0]);
      // Orthogonal rows of conv1 (gain √2): 32 rows of 20·9 inputs.
      const w = a.get('conv1.weight')!;
      let dot = 0;
      let norm = 0;
      for (let k = 0; k < 180; k++) {
        dot += w[k]! * w[180 + k]!;
        norm += w[k]! * w[k]!;
      }
      expect(dot).toBeCloseTo(0, 5);
      expect(norm).toBeCloseTo(2, 5);
      const obs = Uint8Array.from({ length: 2 * 4 * 7 * 8 }, (_, i) => (i * 7) % 6);
      const run = async (values: Map<string, Float32Array>) => {
        const s = await createSession(toModel(buildPolicyGraph(spec, 2, values), { params: 'baked' }), TEST_SESSION);
        return (await runSession(s, { obs: { dtype: 'uint8', dims: [2, ...shape], data: obs } })).q!.data as Float32Array;
      };
      const [qa, qb] = [await run(a), await run(b)];
      expect(Buffer.from(qa.buffer).equals(Buffer.from(qb.buffer))).toBe(true);
    });

    // The whole network's gradient (the one-hot has none): parameters as inputs, sampled elements.
    const networkGradCheck = (spec: ModelSpec) =>
      gradCheck(
        (g, rng) => {
          const init = initParams(spec, 2);
          const inputs = paramSpecs(spec).map((ps) => {
            const tensor = g.input(ps.name, 'float32', ps.shape);
            // Random biases keep pre-activations off ReLU's kink (the zero-bias init puts cells with no class on it).
            const values = ps.gain === 0 ? randomValues(rng, tensor.size, 0.1, 0.02) : Float64Array.from(init.get(ps.name)!);
            return { tensor, values };
          });
          const p: Record<string, Tensor> = Object.fromEntries(inputs.map((i) => [i.tensor.name, i.tensor]));
          const B = 2;
          const obs = g.input('obs', 'uint8', [B, ...spec.obsShape]);
          const n = B * spec.obsShape.reduce((x, y) => x * y, 1);
          const data = Uint8Array.from({ length: n }, () => rng.nextInt(spec.tileClasses! + 2)); // some ids out of range
          const out = applyModel(spec, p, obs);
          return { inputs, output: op.concat([out.logits!, op.reshape(out.value!, [B, 1])], 1), feeds: { obs: { data, values: data } } };
        },
        { maxElements: 12 },
      );

    it("'tiles' gradients match float64 central differences", async () => {
      expect(await networkGradCheck(modelSpec({ network: 'tiles', obsShape: [2, 3, 4], actions: 3 }))).toBeLessThan(5e-3);
    });

    it("'tiles-mlp' gradients match float64 central differences", async () => {
      expect(await networkGradCheck(modelSpec({ network: 'tiles-mlp', obsShape: [2, 3, 4], actions: 3, tileClasses: 3 }))).toBeLessThan(5e-3);
    });
  });
});
