/** Gradient-check harness: ORT float32 gradients vs float64 central differences in JS. */
import { expect } from 'vitest';

import { type GradientOptions, gradients } from '../../src/graph/autodiff.js';
import { toModel } from '../../src/graph/onnx-writer.js';
import * as op from '../../src/graph/ops.js';
import { evaluate } from '../../src/graph/reference.js';
import { createSession, runSession } from '../../src/graph/session.js';
import { Graph, type Tensor, type TensorData } from '../../src/graph/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { TEST_SESSION } from '../test-device.js';

/** A differentiated input with its float64 values. */
export interface CheckInput {
  tensor: Tensor;
  values: Float64Array;
}

/** Random float64 values, optionally kept away from zero by `gap` (for kinks). */
export function randomValues(rng: Rng, n: number, scale = 1, gap = 0): Float64Array {
  return Float64Array.from({ length: n }, () => {
    const v = rng.nextNormal() * scale;
    return Math.abs(v) < gap ? Math.sign(v || 1) * (gap + Math.abs(v)) : v;
  });
}

/**
 * Builds `body(graph)` → { inputs, output, extra feeds }; reduces the output to a scalar with
 * fixed random weights, differentiates w.r.t. the inputs in ORT (float32) and compares with central
 * differences of the float64 reference. Returns the max relative error. `maxElements` checks only
 * that many seeded-random elements of each larger input (whole networks: every element would
 * cost two float64 forward passes).
 */
export async function gradCheck(
  body: (
    g: Graph,
    rng: Rng,
  ) => {
    inputs: CheckInput[];
    output: Tensor;
    feeds?: Record<string, { data: TensorData; values: ArrayLike<number | bigint> }>;
    scalarLoss?: boolean;
    extraValues?: CheckInput[];
  },
  options: { seed?: number; eps?: number; rtol?: number; atol?: number; grad?: GradientOptions; maxElements?: number } = {},
): Promise<number> {
  const rng = new Rng(options.seed ?? 1);
  const g = new Graph();
  const built = body(g, rng);
  let loss = built.output;
  if (!built.scalarLoss) {
    const w = g.constant(
      Float32Array.from({ length: loss.size }, () => rng.nextNormal()),
      'float32',
      loss.shape,
      'check_w',
    );
    loss = op.reduceSum(op.mul(loss, w));
  }
  const grads = gradients(
    loss,
    built.inputs.map((i) => i.tensor),
    options.grad,
  );
  g.output('loss', loss);
  grads.forEach((d, i) => g.output(`grad${i}`, d));
  const session = await createSession(toModel(g), TEST_SESSION);
  const feeds: Record<string, { dtype: 'float32'; dims: number[]; data: Float32Array } | { dtype: Tensor['dtype']; dims: number[]; data: TensorData }> = {};
  const values = new Map<string, ArrayLike<number | bigint>>();
  for (const i of built.inputs) {
    feeds[i.tensor.name] = { dtype: 'float32', dims: [...i.tensor.shape], data: Float32Array.from(i.values) };
    values.set(i.tensor.name, i.values);
  }
  for (const extra of built.extraValues ?? []) {
    if (feeds[extra.tensor.name]) continue;
    feeds[extra.tensor.name] = { dtype: 'float32', dims: [...extra.tensor.shape], data: Float32Array.from(extra.values) };
    values.set(extra.tensor.name, Float32Array.from(extra.values));
  }
  for (const [name, f] of Object.entries(built.feeds ?? {})) {
    const t = g.inputs.find((x) => x.name === name)!;
    feeds[name] = { dtype: t.dtype, dims: [...t.shape], data: f.data };
    values.set(name, f.values);
  }
  const res = await runSession(session, feeds);
  const eps = options.eps ?? 1e-6;
  const rtol = options.rtol ?? 5e-4;
  const atol = options.atol ?? 5e-5;
  let worst = 0;
  const lossAt = (): number => evaluate([loss], values)[0]!.data[0]!;
  // The float32 forward agrees with the float64 one.
  expect(Number(res.loss!.data[0])).toBeCloseTo(lossAt(), 2);
  built.inputs.forEach((input, k) => {
    const analytic = res[`grad${k}`]!.data as Float32Array;
    expect(analytic.length).toBe(input.values.length);
    const v = Float64Array.from(input.values);
    values.set(input.tensor.name, v);
    const picked =
      options.maxElements === undefined || v.length <= options.maxElements
        ? Array.from({ length: v.length }, (_, j) => j)
        : Array.from({ length: options.maxElements }, () => rng.nextInt(v.length));
    for (const j of picked) {
      const keep = v[j]!;
      v[j] = keep + eps;
      const up = lossAt();
      v[j] = keep - eps;
      const down = lossAt();
      v[j] = keep;
      const numeric = (up - down) / (2 * eps);
      const err = Math.abs(analytic[j]! - numeric);
      worst = Math.max(worst, err / (Math.abs(numeric) + 1e-3));
      if (err > atol + rtol * Math.abs(numeric)) {
        throw new Error(`gradient of input ${k} (${input.tensor.name}) at ${j}: analytic ${analytic[j]} vs numeric ${numeric}`);
      }
    }
    values.set(input.tensor.name, input.values);
  });
  return worst;
}
