/**
 * PPO's loss (Schulman et al. 2017) as cleanrl computes it: clipped surrogate on normalised
 * advantages, value loss with optional clipping, entropy bonus; statistics approx KL
 * ((r − 1) − log r), clip fraction, entropy and explained variance.
 */
import * as op from '../graph/ops.js';
import { type Tensor } from '../graph/tensor.js';
import { expectBoolean, expectNumber, expectOptions, rejectUnknownKeys } from '../validate.js';
import { type LossResult, actionLogProbs, expectVector, explainedVariance, meanEntropy, normalize, valueLoss } from './common.js';

/** PPO hyperparameters. */
export interface PpoConfig {
  /** Surrogate clipping ε (default 0.1). */
  clipCoef: number;
  /** Clip the value loss around the old values with the same ε (default true). */
  clipValue: boolean;
  /** Entropy bonus weight (default 0.01). */
  entCoef: number;
  /** Value loss weight (default 0.5). */
  vfCoef: number;
  /** Normalise advantages per minibatch (default true). */
  normAdvantages: boolean;
}

/** Validates PPO options and fills defaults. */
export function ppoConfig(options?: unknown): PpoConfig {
  const o = expectOptions<PpoConfig>(options, 'ppo');
  rejectUnknownKeys(o, 'ppo', ['clipCoef', 'clipValue', 'entCoef', 'vfCoef', 'normAdvantages']);
  return {
    clipCoef: expectNumber(o.clipCoef ?? 0.1, 'ppo.clipCoef', 0, 10),
    clipValue: expectBoolean(o.clipValue ?? true, 'ppo.clipValue'),
    entCoef: expectNumber(o.entCoef ?? 0.01, 'ppo.entCoef', 0, 100),
    vfCoef: expectNumber(o.vfCoef ?? 0.5, 'ppo.vfCoef', 0, 100),
    normAdvantages: expectBoolean(o.normAdvantages ?? true, 'ppo.normAdvantages'),
  };
}

/** Minibatch tensors PPO needs. */
export interface PpoBatch {
  /** Policy logits [B, A] from the current parameters. */
  logits: Tensor;
  /** Values [B] from the current parameters. */
  values: Tensor;
  /** Actions taken, int64 [B]. */
  actions: Tensor;
  /** log π_old(a|s) at rollout time [B]. */
  oldLogProbs: Tensor;
  /** Advantages (e.g. GAE) [B]. */
  advantages: Tensor;
  /** Returns (advantages + old values) [B]. */
  returns: Tensor;
  /** Values at rollout time [B]. */
  oldValues: Tensor;
}

/** Builds PPO's loss and statistics. */
export function ppoLoss(b: PpoBatch, config: PpoConfig): LossResult {
  const batch = b.logits.shape[0]!;
  for (const k of ['values', 'oldLogProbs', 'advantages', 'returns', 'oldValues'] as const) expectVector('ppo', k, b[k], batch);
  const { logp, logpAll } = actionLogProbs(b.logits, b.actions);
  const logRatio = op.sub(logp, b.oldLogProbs);
  const ratio = op.exp(logRatio);
  const adv = config.normAdvantages ? normalize(b.advantages) : b.advantages;
  const c = config.clipCoef;
  const surrogate = op.mul(op.neg(adv), ratio);
  const clipped = op.mul(op.neg(adv), op.clip(ratio, 1 - c, 1 + c));
  const policyLoss = op.reduceMean(op.max(surrogate, clipped));
  const vLoss = valueLoss(b.values, b.returns, config.clipValue ? b.oldValues : undefined, config.clipValue ? c : undefined);
  const entropy = meanEntropy(logpAll);
  const loss = op.add(op.sub(policyLoss, op.mul(entropy, config.entCoef)), op.mul(vLoss, config.vfCoef));
  const approxKl = op.reduceMean(op.sub(op.sub(ratio, 1), logRatio));
  const clipFraction = op.reduceMean(op.cast(op.greater(op.abs(op.sub(ratio, 1)), c), 'float32'));
  return {
    loss,
    stats: {
      policy_loss: policyLoss,
      value_loss: vLoss,
      entropy,
      approx_kl: approxKl,
      clip_fraction: clipFraction,
      explained_variance: explainedVariance(b.values, b.returns),
    },
  };
}
