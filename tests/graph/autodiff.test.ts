import { describe, expect, it } from 'vitest';

import { DIFFERENTIABLE_OPS, gradients } from '../../src/graph/autodiff.js';
import * as op from '../../src/graph/ops.js';
import { Graph, type Tensor } from '../../src/graph/tensor.js';
import { type Rng } from '../../src/util/rng.js';
import { gradCheck, randomValues } from './grad-check.js';

function x(g: Graph, rng: Rng, name: string, shape: number[], gap = 0, scale = 1) {
  const tensor = g.input(name, 'float32', shape);
  return { tensor, values: randomValues(rng, tensor.size, scale, gap) };
}

const unaryCases: Record<string, (t: Tensor) => Tensor> = {
  Relu: op.relu,
  Elu: (t) => op.elu(t, 0.7),
  Tanh: op.tanh,
  Sigmoid: op.sigmoid,
  Exp: op.exp,
  Neg: op.neg,
  Abs: op.abs,
  Identity: op.identity,
  Softmax: (t) => op.softmax(t, 1),
  LogSoftmax: (t) => op.logSoftmax(t, -1),
  Flatten: (t) => op.flatten(t, 1),
  Reshape: (t) => op.reshape(t, [-1]),
  Transpose: (t) => op.transpose(t, [2, 0, 1]),
  ReduceSum: (t) => op.reduceSum(t, [1], false),
  ReduceMean: (t) => op.reduceMean(t, [0, 2], true),
  ReduceMax: (t) => op.reduceMax(t, [2], false),
  Clip: (t) => op.clip(t, -0.5, 0.6),
  Slice: (t) => op.slice(t, [1], [3], [2]),
  Expand: (t) => op.expand(op.reduceSum(t, [1], true), [2, 3, 4]),
  Cast: (t) => op.cast(op.cast(t, 'float64'), 'float32'),
};

describe('autodiff rules vs float64 central differences', () => {
  for (const [name, f] of Object.entries(unaryCases)) {
    it(`${name}`, async () => {
      const err = await gradCheck((g, rng) => {
        const a = x(g, rng, 'a', [2, 3, 4], 0.05);
        return { inputs: [a], output: f(a.tensor) };
      });
      expect(err).toBeLessThan(2e-3);
    });
  }

  it('Log and Sqrt (positive inputs)', async () => {
    await gradCheck((g, rng) => {
      const t = g.input('a', 'float32', [3, 4]);
      const values = Float64Array.from({ length: 12 }, () => 0.5 + rng.nextFloat());
      return { inputs: [{ tensor: t, values }], output: op.add(op.log(t), op.sqrt(t)) };
    });
  });

  const binaryCases: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
    Add: op.add,
    Sub: op.sub,
    Mul: op.mul,
    Div: (a, b) => op.div(a, op.add(op.abs(b), 0.5)),
    Min: op.min,
    Max: op.max,
  };
  for (const [name, f] of Object.entries(binaryCases)) {
    it(`${name} with broadcasting`, async () => {
      await gradCheck((g, rng) => {
        const a = x(g, rng, 'a', [2, 3, 4]);
        const b = x(g, rng, 'b', [3, 1]);
        return { inputs: [a, b], output: f(a.tensor, b.tensor) };
      });
    });
  }

  it('Where (both branches, broadcast)', async () => {
    await gradCheck((g, rng) => {
      const a = x(g, rng, 'a', [3, 4]);
      const b = x(g, rng, 'b', [4]);
      return { inputs: [a, b], output: op.where(op.greater(a.tensor, 0), a.tensor, op.mul(b.tensor, 2)) };
    });
  });

  it('MatMul', async () => {
    await gradCheck((g, rng) => {
      const a = x(g, rng, 'a', [3, 5]);
      const b = x(g, rng, 'b', [5, 2]);
      return { inputs: [a, b], output: op.matmul(a.tensor, b.tensor) };
    });
  });

  for (const [ta, tb] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    it(`Gemm transA=${ta} transB=${tb} alpha/beta and bias`, async () => {
      await gradCheck((g, rng) => {
        const a = x(g, rng, 'a', ta ? [4, 3] : [3, 4]);
        const b = x(g, rng, 'b', tb ? [2, 4] : [4, 2]);
        const c = x(g, rng, 'c', [2]);
        return { inputs: [a, b, c], output: op.gemm(a.tensor, b.tensor, c.tensor, { transA: ta, transB: tb, alpha: 0.7, beta: 1.3 }) };
      });
    });
  }

  for (const convWeightGrad of ['conv', 'gemm'] as const) {
    for (const [stride, pad] of [
      [1, 0],
      [2, 1],
      [3, 0],
      [2, 0],
    ] as const) {
      it(`Conv stride ${stride} pad ${pad} (input, weight and bias gradients; weight gradient as ${convWeightGrad})`, async () => {
        await gradCheck(
          (g, rng) => {
            const a = x(g, rng, 'x', [2, 3, 7, 8]);
            const w = x(g, rng, 'w', [4, 3, 3, 2], 0, 0.5);
            const b = x(g, rng, 'b', [4]);
            return { inputs: [a, w, b], output: op.conv(a.tensor, w.tensor, b.tensor, { strides: [stride, stride], pads: [pad, pad, pad, pad] }) };
          },
          { grad: { convWeightGrad } },
        );
      });
    }

    for (const [k, stride, pad, size] of [
      [4, 2, 0, 11],
      [8, 4, 0, 16],
      [4, 3, 1, 10],
      [3, 2, 1, 12],
    ] as const) {
      it(`Conv ${k}×${k} stride ${stride} pad ${pad} on ${size}×${size} (Nature-CNN and baseline shapes; weight gradient as ${convWeightGrad})`, async () => {
        await gradCheck(
          (g, rng) => {
            const a = x(g, rng, 'x', [2, 2, size, size]);
            const w = x(g, rng, 'w', [3, 2, k, k], 0, 0.3);
            return { inputs: [a, w], output: op.conv(a.tensor, w.tensor, undefined, { strides: [stride, stride], pads: [pad, pad, pad, pad] }) };
          },
          { grad: { convWeightGrad } },
        );
      });
    }
  }

  it('rejects an unknown convWeightGrad, bad slice steps and differentiating a strided slice', () => {
    const g = new Graph();
    const v = g.input('x', 'float32', [6]);
    expect(() => gradients(op.reduceSum(v), [v], { convWeightGrad: 'fft' as 'gemm' })).toThrow(
      "Expected 'conv' or 'gemm' for convWeightGrad but received \"fft\"",
    );
    expect(() => op.slice(v, [0], [6], [0], [0])).toThrow('Slice: steps [0] must be 1 positive integers');
    expect(op.slice(v, [1], [6], [0], [2]).shape).toEqual([3]);
    expect(() => gradients(op.reduceSum(op.slice(v, [0], [6], [0], [2])), [v])).toThrow('Autodiff: the Slice rule supports step 1 only');
  });

  it('Gather (axis 0, repeated indices)', async () => {
    await gradCheck((g, rng) => {
      const d = x(g, rng, 'd', [5, 3]);
      const idx = g.constant(new BigInt64Array([4n, 0n, 4n, 2n]), 'int64', [2, 2]);
      return { inputs: [d], output: op.gather(d.tensor, idx) };
    });
  });

  it('OneHot selection (indices stop gradients)', async () => {
    await gradCheck((g, rng) => {
      const logits = x(g, rng, 'l', [4, 3]);
      const idx = g.constant(new BigInt64Array([2n, 0n, 1n, 2n]), 'int64', [4]);
      return { inputs: [logits], output: op.reduceSum(op.mul(op.logSoftmax(logits.tensor), op.oneHot(idx, 3)), [1]) };
    });
  });

  it('Concat', async () => {
    await gradCheck((g, rng) => {
      const a = x(g, rng, 'a', [2, 3]);
      const b = x(g, rng, 'b', [2, 2]);
      return { inputs: [a, b], output: op.tanh(op.concat([a.tensor, b.tensor, a.tensor], 1)) };
    });
  });

  it('covers every rule', () => {
    for (const name of [
      'Conv',
      'Gemm',
      'MatMul',
      'Relu',
      'Elu',
      'Tanh',
      'LogSoftmax',
      'Softmax',
      'Gather',
      'Add',
      'Sub',
      'Mul',
      'Div',
      'ReduceSum',
      'ReduceMean',
      'ReduceMax',
      'Min',
      'Max',
      'Clip',
      'Where',
      'Reshape',
      'Flatten',
      'Transpose',
      'Concat',
      'Cast',
    ]) {
      expect(DIFFERENTIABLE_OPS).toContain(name);
    }
  });
});

describe('autodiff errors', () => {
  it('names an op without a rule on a differentiated path', async () => {
    const { Graph } = await import('../../src/graph/tensor.js');
    const g = new Graph();
    const a = g.input('a', 'float32', [3]);
    const y = op.reduceSum(op.pow(a, 2));
    expect(() => gradients(y, [a])).toThrow(/op Pow .*has no gradient rule/);
  });

  it('rejects a non-scalar loss', async () => {
    const { Graph } = await import('../../src/graph/tensor.js');
    const g = new Graph();
    const a = g.input('a', 'float32', [3]);
    expect(() => gradients(op.relu(a), [a])).toThrow(/loss must be a float scalar/);
  });

  it('gives zeros for parameters that do not reach the loss and ignores integer paths', async () => {
    const { Graph } = await import('../../src/graph/tensor.js');
    const g = new Graph();
    const a = g.input('a', 'float32', [3]);
    const b = g.input('b', 'float32', [2]);
    const am = op.argMax(a, 0);
    const [ga, gb] = gradients(op.reduceSum(op.mul(a, op.cast(am, 'float32'))), [a, b]);
    expect(ga!.shape).toEqual([3]);
    expect(gb!.shape).toEqual([2]);
  });
});
