/**
 * Small statistics over rollout buffers that the PPO/A2C update and its logging need:
 * explained variance of the value head, in-place advantage normalisation, and shuffled minibatch
 * index ranges. Pure except for the documented in-place writes; float64 accumulation.
 */
import { expectInteger, expectTypedArray } from '../validate.js';
import type { Rng } from '../train/rng.js';

/**
 * 1 − Var(returns − values) / Var(returns) (cleanrl's `explained_variance`): 1 is a perfect value
 * head, 0 no better than a constant, negative worse. NaN when the returns have zero variance.
 */
export function explainedVariance(values: Float32Array, returns: Float32Array): number {
  expectTypedArray(values, 'values', Float32Array, returns.length);
  const n = returns.length;
  if (n === 0) return NaN;
  let meanY = 0;
  let meanD = 0;
  for (let i = 0; i < n; i++) {
    meanY += returns[i];
    meanD += returns[i] - values[i];
  }
  meanY /= n;
  meanD /= n;
  let varY = 0;
  let varD = 0;
  for (let i = 0; i < n; i++) {
    varY += (returns[i] - meanY) ** 2;
    varD += (returns[i] - values[i] - meanD) ** 2;
  }
  return varY === 0 ? NaN : 1 - varD / varY;
}

/**
 * Normalises `x[indices]` (or all of x) in place to mean 0 and standard deviation 1 (population
 * std + `eps`, as cleanrl's `(adv - mean) / (std + 1e-8)` with torch's unbiased std replaced by the
 * population one: identical up to n/(n-1)). Returns { mean, std } before normalisation.
 */
export function normalizeInPlace(x: Float32Array, indices?: Int32Array, eps = 1e-8): { mean: number; std: number } {
  const n = indices ? indices.length : x.length;
  if (n === 0) return { mean: NaN, std: NaN };
  let mean = 0;
  for (let k = 0; k < n; k++) mean += x[indices ? indices[k] : k];
  mean /= n;
  let ss = 0;
  for (let k = 0; k < n; k++) ss += (x[indices ? indices[k] : k] - mean) ** 2;
  const std = Math.sqrt(ss / n);
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k] : k;
    x[i] = (x[i] - mean) / (std + eps);
  }
  return { mean, std };
}

/**
 * One epoch's minibatches: a fresh permutation of 0..batchSize-1 from `rng`, returned as
 * `minibatches` consecutive subarray views of `minibatchSize = batchSize / minibatches` indices.
 * `out` (length batchSize) is reused when given.
 */
export function minibatchIndices(rng: Rng, batchSize: number, minibatches: number, out?: Int32Array): Int32Array[] {
  expectInteger(batchSize, 'batchSize', 1, 2 ** 31 - 1);
  expectInteger(minibatches, 'minibatches', 1, batchSize);
  if (batchSize % minibatches !== 0) {
    throw new RangeError(`Expected a divisor of ${batchSize} for minibatches but received ${minibatches}`);
  }
  const perm = rng.permutation(batchSize, out ?? new Int32Array(batchSize));
  const size = batchSize / minibatches;
  return Array.from({ length: minibatches }, (_, m) => perm.subarray(m * size, (m + 1) * size));
}
