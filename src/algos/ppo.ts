/**
 * PPO's loss (Schulman et al. 2017) as cleanrl computes it: clipped surrogate on normalised
 * advantages, value loss with optional clipping (its own range, valueClipCoef), entropy bonus
 * (its coefficient a graph input or a constant); statistics approx KL ((r − 1) − log r), clip
 * fraction, entropy and explained variance.
 */
import * as op from '../graph/ops.js';
import { type Tensor } from '../graph/tensor.js';
import { bool, type FieldSpec, num, validateFields } from '../fields.js';
import { type LossResult, actionLogProbs, entropyCoefficient, expectVector, explainedVariance, meanEntropy, normalize, valueLoss } from './common.js';

/** PPO's loss settings (the Trainer's `ppo.*` config extends these). */
export interface PpoLossConfig {
  /** Policy ratio clip ε. Default 0.2. */
  clipCoef: number;
  /** Clip the value loss around the old values (cleanrl's clip_vloss). Default false. */
  clipValueLoss: boolean;
  /** Value clip range when clipValueLoss is on. Default 0.2. */
  valueClipCoef: number;
  /**
   * Entropy bonus coefficient. The train graphs take it as their `ent_coef` input, so it can
   * change between updates (`Learner.update`'s `entCoef`); this is its default. Default 0.01.
   */
  entCoef: number;
  /** Value loss coefficient. Default 0.5. */
  vfCoef: number;
  /** Normalize advantages per minibatch. Default true. */
  normAdvantages: boolean;
}

/** The one table of PPO's loss settings: type, range, default and doc of each. */
export const PPO_LOSS_FIELDS: { readonly [K in keyof PpoLossConfig]: FieldSpec<PpoLossConfig[K]> } = {
  clipCoef: { ...num(0, 10), default: 0.2, doc: 'policy ratio clip ε' },
  clipValueLoss: { ...bool, default: false, doc: 'clip the value loss around the old values' },
  valueClipCoef: { ...num(0, 1e6), default: 0.2, doc: 'value clip range (with clipValueLoss)' },
  entCoef: { ...num(0, 1e6), default: 0.01, doc: 'entropy bonus coefficient' },
  vfCoef: { ...num(0, 1e6), default: 0.5, doc: 'value loss coefficient' },
  normAdvantages: { ...bool, default: true, doc: 'normalize advantages per minibatch' },
};

/** Validates PPO loss options and fills the defaults of {@link PPO_LOSS_FIELDS}. */
export function ppoConfig(options?: unknown): PpoLossConfig {
  return validateFields(PPO_LOSS_FIELDS, options, 'ppo');
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
  /** Entropy coefficient, a float32 scalar [] (the train graphs' `ent_coef` input); default: `config.entCoef` as a constant. */
  entCoef?: Tensor;
}

/** Builds PPO's loss and statistics. */
export function ppoLoss(b: PpoBatch, config: PpoLossConfig): LossResult {
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
  const vLoss = valueLoss(b.values, b.returns, config.clipValueLoss ? b.oldValues : undefined, config.clipValueLoss ? config.valueClipCoef : undefined);
  const entropy = meanEntropy(logpAll);
  const loss = op.add(op.sub(policyLoss, op.mul(entropy, entropyCoefficient('ppo', b.entCoef, config.entCoef))), op.mul(vLoss, config.vfCoef));
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
