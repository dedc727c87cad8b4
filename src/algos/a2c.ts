/**
 * A2C's loss (Mnih et al. 2016, synchronous): −mean(log π(a|s)·A) + vfCoef·0.5·mean((v − R)²)
 * − entCoef·entropy.
 */
import * as op from '../graph/ops.js';
import { expectNumber, expectOptions, rejectUnknownKeys } from '../validate.js';
import { type LossResult, actionLogProbs, expectVector, explainedVariance, meanEntropy, valueLoss } from './common.js';
import { type Tensor } from '../graph/tensor.js';

/** A2C hyperparameters. */
export interface A2cConfig {
  /** Entropy bonus weight (default 0.01). */
  entCoef: number;
  /** Value loss weight (default 0.5). */
  vfCoef: number;
}

/** Validates A2C options and fills defaults. */
export function a2cConfig(options?: unknown): A2cConfig {
  const o = expectOptions<A2cConfig>(options, 'a2c');
  rejectUnknownKeys(o, 'a2c', ['entCoef', 'vfCoef']);
  return {
    entCoef: expectNumber(o.entCoef ?? 0.01, 'a2c.entCoef', 0, 100),
    vfCoef: expectNumber(o.vfCoef ?? 0.5, 'a2c.vfCoef', 0, 100),
  };
}

/** Minibatch tensors A2C needs. */
export interface A2cBatch {
  /** Policy logits [B, A]. */
  logits: Tensor;
  /** Values [B]. */
  values: Tensor;
  /** Actions, int64 [B]. */
  actions: Tensor;
  /** Advantages [B] (treated as constants). */
  advantages: Tensor;
  /** Returns [B]. */
  returns: Tensor;
}

/** Builds A2C's loss and statistics. */
export function a2cLoss(b: A2cBatch, config: A2cConfig): LossResult {
  const batch = b.logits.shape[0]!;
  for (const k of ['values', 'advantages', 'returns'] as const) expectVector('a2c', k, b[k], batch);
  const { logp, logpAll } = actionLogProbs(b.logits, b.actions);
  const policyLoss = op.neg(op.reduceMean(op.mul(logp, b.advantages)));
  const vLoss = valueLoss(b.values, b.returns);
  const entropy = meanEntropy(logpAll);
  const loss = op.add(op.sub(policyLoss, op.mul(entropy, config.entCoef)), op.mul(vLoss, config.vfCoef));
  return { loss, stats: { policy_loss: policyLoss, value_loss: vLoss, entropy, explained_variance: explainedVariance(b.values, b.returns) } };
}
