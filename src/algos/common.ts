/**
 * Loss pieces shared by the algorithms: log-probabilities of taken actions, categorical entropy,
 * advantage normalisation, the value loss, Huber and explained variance. Each takes and returns
 * graph tensors.
 */
import * as op from '../graph/ops.js';
import { type Tensor } from '../graph/tensor.js';

/** Checks a per-sample vector input [B] of float32. */
export function expectVector(algo: string, what: string, t: Tensor, batch: number): void {
  op.expectFloat(algo, what, t);
  op.expectShape(algo, what, t, [batch]);
}

/** The entropy coefficient of a loss: the scalar float tensor when given (a graph input), else the constant. */
export function entropyCoefficient(algo: string, t: Tensor | undefined, constant: number): Tensor | number {
  if (t === undefined) return constant;
  op.expectFloat(algo, 'entCoef', t);
  op.expectShape(algo, 'entCoef', t, []);
  return t;
}

/** log π(a|s) per sample from logits [B, A] and int64 actions [B]; also returns log π [B, A]. */
export function actionLogProbs(logits: Tensor, actions: Tensor): { logp: Tensor; logpAll: Tensor } {
  if (actions.dtype !== 'int64') throw new TypeError(`actionLogProbs: input actions must be int64 but is ${actions.dtype}`);
  op.expectShape('actionLogProbs', 'actions', actions, [logits.shape[0]!]);
  const logpAll = op.logSoftmax(logits, 1);
  const logp = op.reduceSum(op.mul(logpAll, op.oneHot(actions, logits.shape[1]!, logits.dtype)), [1]);
  return { logp, logpAll };
}

/** Mean entropy of the categorical distributions given their log-probabilities [B, A]. */
export function meanEntropy(logpAll: Tensor): Tensor {
  return op.neg(op.reduceMean(op.reduceSum(op.mul(op.exp(logpAll), logpAll), [1])));
}

/** (x − mean) / (std + 1e-8) over the batch, with the unbiased std (n − 1) as torch's .std(). */
export function normalize(x: Tensor): Tensor {
  const n = x.size;
  const centred = op.sub(x, op.reduceMean(x));
  const std = op.sqrt(op.div(op.reduceSum(op.square(centred)), Math.max(n - 1, 1)));
  return op.div(centred, op.add(std, 1e-8));
}

/** 0.5·mean((v − R)²), or with clipping 0.5·mean(max((v − R)², (v_old + clip(v − v_old, ±c) − R)²)). */
export function valueLoss(values: Tensor, returns: Tensor, oldValues?: Tensor, clipCoef?: number): Tensor {
  const unclipped = op.square(op.sub(values, returns));
  if (oldValues === undefined || clipCoef === undefined) return op.mul(op.reduceMean(unclipped), 0.5);
  const clipped = op.add(oldValues, op.clip(op.sub(values, oldValues), -clipCoef, clipCoef));
  return op.mul(op.reduceMean(op.max(unclipped, op.square(op.sub(clipped, returns)))), 0.5);
}

/** Huber loss per element with threshold `delta` (smooth L1 for delta 1). */
export function huber(x: Tensor, delta = 1): Tensor {
  const a = op.abs(x);
  return op.where(op.less(a, delta), op.mul(op.square(x), 0.5), op.mul(op.sub(a, 0.5 * delta), delta));
}

/** 1 − Var(R − v) / Var(R): how much of the returns' variance the value head explains. */
export function explainedVariance(values: Tensor, returns: Tensor): Tensor {
  const variance = (x: Tensor): Tensor => op.reduceMean(op.square(op.sub(x, op.reduceMean(x))));
  return op.sub(1, op.div(variance(op.sub(returns, values)), op.add(variance(returns), 1e-8)));
}

/** A loss with its named statistics (all scalars). */
export interface LossResult {
  /** The scalar to minimise. */
  loss: Tensor;
  /** Statistics by name (scalars), e.g. `approx_kl`. */
  stats: Record<string, Tensor>;
  /** Per-sample outputs (e.g. DQN's `td_errors`). */
  perSample?: Record<string, Tensor>;
}
