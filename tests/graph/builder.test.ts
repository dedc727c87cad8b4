import { describe, expect, it } from 'vitest';

import { toModel } from '../../src/graph/onnx-writer.js';
import * as op from '../../src/graph/ops.js';
import { evaluate } from '../../src/graph/reference.js';
import { createSession, runSession } from '../../src/graph/session.js';
import { Graph } from '../../src/graph/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { TEST_SESSION } from '../test-device.js';

describe('graph builder and ONNX writer', () => {
  it('runs a graph on onnxruntime-node with the values the float64 reference computes', async () => {
    const rng = new Rng(3);
    const g = new Graph();
    const obs = g.input('obs', 'uint8', [2, 2, 6, 6]);
    const idx = g.input('idx', 'int64', [3]);
    const w = g.param(
      'w',
      [3, 2, 3, 3],
      Float32Array.from({ length: 54 }, () => rng.nextNormal() * 0.2),
    );
    const b = g.param('b', [3], new Float32Array([0.1, -0.2, 0.3]));
    const xf = op.mul(op.cast(obs, 'float32'), 1 / 255);
    const c = op.elu(op.conv(xf, w, b, { strides: [2, 2], pads: [1, 1, 1, 1] }));
    const f = op.flatten(c);
    const sm = op.softmax(op.slice(f, [0], [5], [1]));
    const m = op.reduceMax(op.concat([f, op.neg(f)], 1), [1], true);
    const picked = op.gather(op.transpose(c, [1, 0, 2, 3]), idx);
    const sel = op.where(op.greater(f, 0.05), op.sqrt(op.abs(f)), op.clip(op.tanh(f), -0.01, 0.02));
    const oh = op.oneHot(op.argMax(f, 1), f.shape[1]!);
    g.output('sm', sm);
    g.output('m', op.add(m, op.reduceMean(op.min(f, op.max(f, 0.01)), [1], true)));
    g.output('picked', op.reduceSum(picked, [2, 3]));
    g.output('sel', op.sub(op.div(sel, 2), op.mul(oh, op.exp(op.log(op.add(op.abs(f), 1))))));
    g.output('mm', op.matmul(f, op.transpose(f, [1, 0])));
    // Strided slices (the im2col taps of the 'gemm' Conv weight gradient): steps 2 and 3, ends past the edge.
    g.output('strided', op.slice(c, [1, 0, 1], [3, 3, 9], [1, 2, 3], [1, 2, 3]));
    const obsData = Uint8Array.from({ length: 144 }, () => rng.nextInt(256));
    const idxData = new BigInt64Array([2n, 0n, 2n]);
    for (const params of ['inputs', 'baked'] as const) {
      const session = await createSession(toModel(g, { params }), TEST_SESSION);
      const feeds: Parameters<typeof runSession>[1] = {
        obs: { dtype: 'uint8', dims: [2, 2, 6, 6], data: obsData },
        idx: { dtype: 'int64', dims: [3], data: idxData },
      };
      if (params === 'inputs') {
        feeds.w = { dtype: 'float32', dims: [3, 2, 3, 3], data: w.data! };
        feeds.b = { dtype: 'float32', dims: [3], data: b.data! };
      }
      const res = await runSession(session, feeds);
      const ref = evaluate(
        g.outputs.map((o) => o.tensor),
        new Map<string, ArrayLike<number | bigint>>([
          ['obs', obsData],
          ['idx', idxData],
        ]),
      );
      g.outputs.forEach((o, k) => {
        const got = res[o.name]!;
        expect(got.dims).toEqual(o.tensor.shape);
        const want = ref[k]!.data;
        for (let i = 0; i < want.length; i++) expect(Number(got.data[i])).toBeCloseTo(want[i]!, 4);
      });
    }
  });

  it('bakes given parameter values', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [1, 2]);
    const w = g.param('w', [2, 2], new Float32Array([1, 0, 0, 1]));
    g.output('y', op.matmul(x, w));
    const s = await createSession(toModel(g, { params: 'baked', values: { w: new Float32Array([2, 0, 0, 3]) } }), TEST_SESSION);
    const r = await runSession(s, { x: { dtype: 'float32', dims: [1, 2], data: new Float32Array([1, 1]) } });
    expect(Array.from(r.y!.data as Float32Array)).toEqual([2, 3]);
  });

  it('reports shape errors naming the op, the input and both shapes', () => {
    const g = new Graph();
    const a = g.input('a', 'float32', [2, 3]);
    const b = g.input('b', 'float32', [4, 3]);
    expect(() => op.add(a, b)).toThrow('Add: input B shape [4, 3] does not broadcast with input A shape [2, 3]');
    expect(() => op.matmul(a, b)).toThrow('MatMul: input B shape [4, 3] does not match input A shape [2, 3]');
    expect(() => op.gemm(a, b)).toThrow(/Gemm: input B shape \[4, 3\] does not match input A shape \[2, 3\]/);
    const x = g.input('x', 'float32', [1, 3, 8, 8]);
    const w = g.param('cw', [4, 2, 3, 3], new Float32Array(72));
    expect(() => op.conv(x, w)).toThrow('Conv: input W shape [4, 2, 3, 3] does not match input X shape [1, 3, 8, 8] (channels 2 vs 3)');
    expect(() => op.reshape(a, [4, 2])).toThrow('Reshape: target shape [4, 2] does not fit input shape [2, 3]');
    expect(() => op.concat([a, b, op.transpose(b, [1, 0])], 0)).toThrow(/Concat: input 2 shape \[3, 4\] does not match input 0 shape \[2, 3\]/);
    const i = g.input('i', 'float32', [3]);
    expect(() => op.gather(a, i)).toThrow('Gather: input indices must be int64 or int32 but is float32 (i)');
    expect(() => g.param('p', [2, 2], new Float32Array(3))).toThrow('Parameter p has shape [2, 2] (4 values) but received 3 values');
    expect(() => g.input('a', 'float32', [1])).toThrow(/already used/);
    expect(() => toModel(new Graph())).toThrow(/has no outputs/);
  });
});
