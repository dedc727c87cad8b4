import { describe, expect, it } from 'vitest';

import { toModel } from '../../src/graph/onnx-writer.js';
import { type OptimizerConfig, applyOptimizer, clipByGlobalNorm, stateSlots } from '../../src/graph/optimizers.js';
import { createSession, runSession } from '../../src/graph/session.js';
import { Graph } from '../../src/graph/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { TEST_SESSION } from '../test-device.js';

/** Float64 reference of one optimizer step (PyTorch's formulas). */
function reference(cfg: OptimizerConfig, p: number[], g: number[], state: number[][], lr: number, t: number): { p: number[]; state: number[][] } {
  if (cfg.kind === 'sgd') return { p: p.map((v, i) => v - lr * g[i]!), state: [] };
  if (cfg.kind === 'rmsprop') {
    const a = cfg.alpha ?? 0.99;
    const eps = cfg.eps ?? 1e-5;
    const sq = state[0]!.map((s, i) => a * s + (1 - a) * g[i]! ** 2);
    return { p: p.map((v, i) => v - (lr * g[i]!) / (Math.sqrt(sq[i]!) + eps)), state: [sq] };
  }
  const b1 = cfg.beta1 ?? 0.9;
  const b2 = cfg.beta2 ?? 0.999;
  const eps = cfg.eps ?? 1e-8;
  const wd = cfg.kind === 'adamw' ? (cfg.weightDecay ?? 0.01) : 0;
  const m = state[0]!.map((s, i) => b1 * s + (1 - b1) * g[i]!);
  const v = state[1]!.map((s, i) => b2 * s + (1 - b2) * g[i]! ** 2);
  const bc1 = 1 - b1 ** t;
  const bc2 = 1 - b2 ** t;
  const np = p.map((x, i) => x * (1 - lr * wd) - ((lr / bc1) * m[i]!) / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + eps));
  return { p: np, state: [m, v] };
}

const configs: OptimizerConfig[] = [
  { kind: 'adam' },
  { kind: 'adam', beta1: 0.8, beta2: 0.99, eps: 1e-5 },
  { kind: 'adamw', weightDecay: 0.1 },
  { kind: 'rmsprop', alpha: 0.99, eps: 0.1 },
  { kind: 'sgd' },
];

describe('in-graph optimizers equal a float64 JS computation', () => {
  for (const cfg of configs) {
    it(`${JSON.stringify(cfg)} over 4 steps`, async () => {
      const rng = new Rng(5);
      const n = 7;
      const g = new Graph();
      const slots = stateSlots(cfg);
      const p = g.input('p', 'float32', [n]);
      const gr = g.input('g', 'float32', [n]);
      const st = slots.map((s) => g.input(`p.${s}`, 'float32', [n]));
      const lr = g.input('lr', 'float32', []);
      const step = g.input('step', 'float32', []);
      const u = applyOptimizer(cfg, [p], [gr], [st], lr, step);
      g.output('new.p', u.params[0]!);
      slots.forEach((s, j) => g.output(`new.p.${s}`, u.state[0]![j]!));
      const session = await createSession(toModel(g), TEST_SESSION);
      let pv = Array.from({ length: n }, () => rng.nextNormal());
      let sv = slots.map(() => new Array<number>(n).fill(0));
      let p32: Float32Array = Float32Array.from(pv);
      let s32: Float32Array[] = sv.map((s) => Float32Array.from(s));
      for (let t = 1; t <= 4; t++) {
        const gv = Array.from({ length: n }, () => rng.nextNormal());
        const lrv = 0.01 * t;
        const feeds: Parameters<typeof runSession>[1] = {
          p: { dtype: 'float32', dims: [n], data: p32 },
          g: { dtype: 'float32', dims: [n], data: Float32Array.from(gv) },
          lr: { dtype: 'float32', dims: [], data: new Float32Array([lrv]) },
          step: { dtype: 'float32', dims: [], data: new Float32Array([t]) },
        };
        slots.forEach((s, j) => (feeds[`p.${s}`] = { dtype: 'float32', dims: [n], data: s32[j]! }));
        const r = await runSession(session, feeds);
        const ref = reference(
          cfg,
          pv,
          gv.map((x) => Math.fround(x)),
          sv,
          Math.fround(lrv),
          t,
        );
        p32 = r['new.p']!.data as Float32Array;
        s32 = slots.map((s) => r[`new.p.${s}`]!.data as Float32Array);
        for (let i = 0; i < n; i++) expect(p32[i]).toBeCloseTo(ref.p[i]!, 5);
        slots.forEach((_, j) => {
          for (let i = 0; i < n; i++) expect(s32[j]![i]).toBeCloseTo(ref.state[j]![i]!, 6);
        });
        pv = ref.p;
        sv = ref.state;
      }
    });
  }

  it('clips by global norm like the formula', async () => {
    const g = new Graph();
    const a = g.input('a', 'float32', [3]);
    const b = g.input('b', 'float32', [2]);
    const c = clipByGlobalNorm([a, b], 1);
    g.output('a2', c.grads[0]!);
    g.output('b2', c.grads[1]!);
    g.output('norm', c.norm);
    const session = await createSession(toModel(g), TEST_SESSION);
    const r = await runSession(session, {
      a: { dtype: 'float32', dims: [3], data: new Float32Array([3, 0, 0]) },
      b: { dtype: 'float32', dims: [2], data: new Float32Array([0, 4]) },
    });
    expect(r.norm!.data[0]).toBeCloseTo(5, 5);
    expect(Array.from(r.a2!.data as Float32Array).map((v) => +v.toFixed(5))).toEqual([0.6, 0, 0]);
    expect(Array.from(r.b2!.data as Float32Array).map((v) => +v.toFixed(5))).toEqual([0, 0.8]);
  });
});
