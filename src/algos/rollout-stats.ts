/**
 * Small statistics over rollout buffers that the PPO/A2C update and its logging need:
 * explained variance of the value head, in-place advantage normalisation, and shuffled minibatch
 * index ranges. Pure except for the documented in-place writes; float64 accumulation.
 */
import { expectInteger, expectTypedArray } from '../validate.js';
import type { Rng } from '../util/rng.js';

/** Arithmetic mean; NaN for no values (metrics rows show it as missing). */
export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length ? s / xs.length : NaN;
}

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

/** Any typed array of numbers (observations are Uint8Array, everything else Float32Array/Int32Array). */
export type NumericArray = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array;

/**
 * Copies rows `indices` of `source` (rows of `rowLength` elements) into `out`, in index order:
 * a minibatch of observations, actions, log-probs or advantages. Returns `out`.
 */
export function gatherRows<T extends NumericArray>(source: T, indices: Int32Array, rowLength: number, out: T): T {
  expectInteger(rowLength, 'rowLength', 1, 2 ** 31 - 1);
  if (out.length !== indices.length * rowLength) {
    throw new RangeError(`Expected an output of length ${indices.length * rowLength} for gatherRows but received ${out.length}`);
  }
  const rows = source.length / rowLength;
  for (let k = 0; k < indices.length; k++) {
    const r = indices[k];
    if (!(r >= 0 && r < rows)) throw new RangeError(`Expected an integer in [0, ${rows - 1}] for indices[${k}] but received ${r}`);
    if (rowLength === 1) out[k] = source[r];
    else out.set(source.subarray(r * rowLength, (r + 1) * rowLength), k * rowLength);
  }
  return out;
}

/**
 * Normalises `x[indices]` (or all of x) in place to mean 0 and standard deviation 1 (population
 * std + `eps`, as cleanrl's `(adv - mean) / (std + 1e-8)` with torch's unbiased std replaced by the
 * population one: identical up to n/(n-1)). Returns { mean, std } before normalisation.
 * For PPO, normalise a gathered minibatch copy ({@link gatherRows}), never the rollout buffer:
 * minibatches differ per epoch, so normalising the buffer in place would compound.
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
