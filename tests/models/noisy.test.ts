import { describe, expect, it } from 'vitest';

import { toModel } from '../../src/graph/onnx-writer.js';
import { createSession, runSession } from '../../src/graph/session.js';
import { initParams, modelSpec, noiseSpecs, paramSpecs } from '../../src/models/networks.js';
import { NOISY_SIGMA0, noisyLinear, sampleNoise } from '../../src/models/noisy.js';
import { buildPolicyGraph } from '../../src/runtime/train-graph.js';
import { Rng } from '../../src/util/rng.js';
import { gradCheck, randomValues } from '../graph/grad-check.js';
import { TEST_SESSION } from '../test-device.js';

const OBS: [number, number, number] = [2, 16, 16];

describe('NoisyNet layers (factorised Gaussian noise)', () => {
  it('replaces both dueling streams by μ/σ layers and lists their noise inputs', () => {
    const spec = modelSpec({ network: 'baseline', head: 'dueling', obsShape: OBS, actions: 3, noisy: true });
    const head = paramSpecs(spec).filter((p) => !p.name.startsWith('conv') && !p.name.startsWith('fc'));
    expect(head.map((p) => `${p.name}:${p.shape.join('x')}`)).toEqual([
      'adv.weight:3x512',
      'adv.weight_sigma:3x512',
      'adv.bias:3',
      'adv.bias_sigma:3',
      'val.weight:1x512',
      'val.weight_sigma:1x512',
      'val.bias:1',
      'val.bias_sigma:1',
    ]);
    expect(noiseSpecs(spec)).toEqual([
      { name: 'noise.adv.in', size: 512 },
      { name: 'noise.adv.out', size: 3 },
      { name: 'noise.val.in', size: 512 },
      { name: 'noise.val.out', size: 1 },
    ]);
    const q = modelSpec({ network: 'mlp', head: 'q', obsShape: [1, 1, 8], actions: 4, noisy: true });
    expect(noiseSpecs(q).map((n) => `${n.name}:${n.size}`)).toEqual(['noise.q.in:256', 'noise.q.out:4']);
    // The flag is absent unless set, so other models' specs (and checkpoint metadata) are unchanged.
    expect('noisy' in modelSpec({ network: 'baseline', head: 'q', obsShape: OBS, actions: 3, noisy: false })).toBe(false);
    expect(noiseSpecs(modelSpec({ network: 'baseline', head: 'q', obsShape: OBS, actions: 3 }))).toEqual([]);
    expect(() => modelSpec({ network: 'baseline', obsShape: OBS, actions: 3, noisy: true })).toThrow(
      "Expected a 'dueling' or 'q' head for model.head with model.noisy but received 'actor-critic'",
    );
    expect(() => modelSpec({ network: 'baseline', head: 'q', obsShape: OBS, actions: 3, noisy: 1 })).toThrow(
      'Expected a boolean for model.noisy but received 1',
    );
  });

  it('initialises μ ~ U(±1/√p), σ = σ0/√p, and leaves the trunk draws unchanged', () => {
    const spec = modelSpec({ network: 'baseline', head: 'dueling', obsShape: OBS, actions: 64, noisy: true });
    const v = initParams(spec, 5);
    const plain = initParams(modelSpec({ network: 'baseline', head: 'dueling', obsShape: OBS, actions: 64 }), 5);
    for (const k of ['conv1.weight', 'conv4.weight', 'fc.weight'])
      expect(Buffer.from(v.get(k)!.buffer).equals(Buffer.from(plain.get(k)!.buffer)), k).toBe(true);
    const bound = 1 / Math.sqrt(512);
    const mu = v.get('adv.weight')!; // 64·512 draws
    let sum = 0;
    let sumSq = 0;
    for (const x of mu) {
      expect(Math.abs(x)).toBeLessThan(bound);
      sum += x;
      sumSq += x * x;
    }
    expect(Math.abs(sum / mu.length)).toBeLessThan(0.02 * bound);
    expect(sumSq / mu.length / ((bound * bound) / 3)).toBeCloseTo(1, 1); // Var U(−b, b) = b²/3
    const deciles = new Array(10).fill(0);
    for (const x of mu) deciles[Math.min(9, Math.floor((x / bound + 1) * 5))]++;
    for (const d of deciles) expect(Math.abs(d / mu.length - 0.1)).toBeLessThan(0.01);
    for (const b of v.get('adv.bias')!) expect(Math.abs(b)).toBeLessThan(bound);
    for (const k of ['adv.weight_sigma', 'adv.bias_sigma', 'val.weight_sigma', 'val.bias_sigma']) {
      expect(
        v.get(k)!.every((s) => s === Math.fround(NOISY_SIGMA0 / Math.sqrt(512))),
        k,
      ).toBe(true);
    }
    expect(Buffer.from(initParams(spec, 5).get('val.weight')!.buffer).equals(Buffer.from(v.get('val.weight')!.buffer))).toBe(true);
  });

  it('draws f(x) = sgn(x)·√|x| noise, the same per seed and different across seeds', () => {
    const spec = modelSpec({ network: 'baseline', head: 'dueling', obsShape: OBS, actions: 3, noisy: true });
    const specs = noiseSpecs(spec);
    const a = sampleNoise(specs, new Rng(1, 7));
    const b = sampleNoise(specs, new Rng(1, 7));
    const c = sampleNoise(specs, new Rng(2, 7));
    expect([...a.keys()]).toEqual(specs.map((s) => s.name));
    for (const s of specs) {
      expect(a.get(s.name)!.length).toBe(s.size);
      expect(Buffer.from(a.get(s.name)!.buffer).equals(Buffer.from(b.get(s.name)!.buffer))).toBe(true);
    }
    expect(Array.from(a.get('noise.adv.in')!)).not.toEqual(Array.from(c.get('noise.adv.in')!));
    // The transform of the same normals.
    const z = new Rng(1, 7).fillNormal(new Float64Array(512));
    expect(Array.from(a.get('noise.adv.in')!)).toEqual(Array.from(z, (x) => Math.fround(Math.sign(x) * Math.sqrt(Math.abs(x)))));
    // E[f(x)²] = E|x| = √(2/π).
    const big = sampleNoise([{ name: 'n', size: 100_000 }], new Rng(3)).get('n')!;
    expect(big.reduce((s, x) => s + x * x, 0) / big.length).toBeCloseTo(Math.sqrt(2 / Math.PI), 2);
  });

  it('noisyLinear: gradients w.r.t. x, μ and σ match float64 central differences', async () => {
    const p = 5;
    const q = 3;
    const err = await gradCheck((g, rng) => {
      const input = (name: string, shape: number[], scale = 1) => {
        const tensor = g.input(name, 'float32', shape);
        return { tensor, values: randomValues(rng, tensor.size, scale) };
      };
      const x = input('x', [4, p]);
      const w = input('w', [q, p], 0.5);
      const ws = input('w_sigma', [q, p], 0.3);
      const b = input('b', [q], 0.5);
      const bs = input('b_sigma', [q], 0.3);
      const eIn = g.input('noise_in', 'float32', [p]);
      const eOut = g.input('noise_out', 'float32', [q]);
      const noise = (n: number) => Float32Array.from(randomValues(rng, n), (v) => Math.sign(v) * Math.sqrt(Math.abs(v)));
      const nIn = noise(p);
      const nOut = noise(q);
      return {
        inputs: [x, w, ws, b, bs],
        output: noisyLinear(x.tensor, { weight: w.tensor, weightSigma: ws.tensor, bias: b.tensor, biasSigma: bs.tensor }, eIn, eOut),
        feeds: { noise_in: { data: nIn, values: nIn }, noise_out: { data: nOut, values: nOut } },
      };
    });
    expect(err).toBeLessThan(2e-3);
  });

  it('the policy graph computes the noisy dueling Q by hand, and zero noise gives the μ-only graph', async () => {
    const spec = modelSpec({ network: 'mlp', head: 'dueling', obsShape: [1, 1, 6], actions: 2, noisy: true });
    const values = initParams(spec, 3);
    const obs = Uint8Array.of(0, 255, 17, 128, 3, 200, 9, 9, 90, 1, 2, 250);
    const feedObs = { obs: { dtype: 'uint8' as const, dims: [2, 1, 1, 6], data: obs } };
    const noise = sampleNoise(noiseSpecs(spec), new Rng(4));
    const noisy = await createSession(toModel(buildPolicyGraph(spec, 2, values), { params: 'baked' }), TEST_SESSION);
    const feeds: Record<string, { dtype: 'float32' | 'uint8'; dims: number[]; data: Float32Array | Uint8Array }> = { ...feedObs };
    for (const [k, v] of noise) feeds[k] = { dtype: 'float32', dims: [v.length], data: v };
    const r = await runSession(noisy, feeds);
    const dense = (x: number[], w: ArrayLike<number>, b: ArrayLike<number>, relu: boolean) =>
      Array.from({ length: b.length }, (_, o) => {
        let acc = b[o]!;
        for (let i = 0; i < x.length; i++) acc += w[o * x.length + i]! * x[i]!;
        return relu ? Math.max(0, acc) : acc;
      });
    const noisyDense = (x: number[], layer: string) => {
      const eIn = noise.get(`noise.${layer}.in`)!;
      const eOut = noise.get(`noise.${layer}.out`)!;
      const mw = values.get(`${layer}.weight`)!;
      const sw = values.get(`${layer}.weight_sigma`)!;
      const w = Array.from(mw, (m, k) => m + sw[k]! * eOut[Math.floor(k / eIn.length)]! * eIn[k % eIn.length]!);
      const b = Array.from(values.get(`${layer}.bias`)!, (m, o) => m + values.get(`${layer}.bias_sigma`)![o]! * eOut[o]!);
      return dense(x, w, b, false);
    };
    for (let row = 0; row < 2; row++) {
      const h1 = dense(
        Array.from(obs.subarray(row * 6, row * 6 + 6), (v) => v / 255),
        values.get('fc.weight')!,
        values.get('fc.bias')!,
        true,
      );
      const h2 = dense(h1, values.get('fc2.weight')!, values.get('fc2.bias')!, true);
      const adv = noisyDense(h2, 'adv');
      const val = noisyDense(h2, 'val')[0]!;
      const mean = (adv[0]! + adv[1]!) / 2;
      for (let a = 0; a < 2; a++) expect((r.q!.data as Float32Array)[row * 2 + a]).toBeCloseTo(val + adv[a]! - mean, 5);
    }
    // Zero noise through the noisy graph = the means-only graph (exported policies).
    for (const [k, v] of noise) feeds[k] = { dtype: 'float32', dims: [v.length], data: new Float32Array(v.length) };
    const zero = await runSession(noisy, feeds);
    const meanOnly = await createSession(toModel(buildPolicyGraph(spec, 2, values, { noise: false }), { params: 'baked' }), TEST_SESSION);
    const m = await runSession(meanOnly, feedObs);
    expect(Array.from(zero.q!.data as Float32Array)).toEqual(Array.from(m.q!.data as Float32Array));
    expect(Array.from(r.q!.data as Float32Array)).not.toEqual(Array.from(m.q!.data as Float32Array));
  });
});
