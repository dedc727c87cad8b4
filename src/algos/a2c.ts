/**
 * A2C's loss (Mnih et al. 2016, synchronous): −mean(log π(a|s)·A) (A optionally normalized over the batch) + vfCoef·0.5·mean((v − R)²)
 * − entCoef·entropy, entCoef a graph input or a constant.
 */
import * as op from '../graph/ops.js';
import { bool, type FieldSpec, num, validateFields } from '../fields.js';
import { type LossResult, actionLogProbs, entropyCoefficient, expectVector, explainedVariance, meanEntropy, normalize, valueLoss } from './common.js';
import { type Tensor } from '../graph/tensor.js';

/** A2C's loss settings (the Trainer's `a2c.*` config extends these). */
export interface A2cLossConfig {
  /**
   * Entropy bonus coefficient. The train graphs take it as their `ent_coef` input, so it can
   * change between updates (`Learner.update`'s `entCoef`); this is its default. Default 0.01.
   */
  entCoef: number;
  /** Value loss coefficient. Default 0.5. */
  vfCoef: number;
  /** Normalize advantages over each update's batch. Default false. */
  normAdvantages: boolean;
}

/** The one table of A2C's loss settings. */
export const A2C_LOSS_FIELDS: { readonly [K in keyof A2cLossConfig]: FieldSpec<A2cLossConfig[K]> } = {
  entCoef: { ...num(0, 1e6), default: 0.01, doc: 'entropy bonus coefficient' },
  vfCoef: { ...num(0, 1e6), default: 0.5, doc: 'value loss coefficient' },
  normAdvantages: { ...bool, default: false, doc: 'normalize advantages per update' },
};

/** Validates A2C loss options and fills the defaults of {@link A2C_LOSS_FIELDS}. */
export function a2cConfig(options?: unknown): A2cLossConfig {
  return validateFields(A2C_LOSS_FIELDS, options, 'a2c');
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
  /** Entropy coefficient, a float32 scalar [] (the train graphs' `ent_coef` input); default: `config.entCoef` as a constant. */
  entCoef?: Tensor;
}

/** Builds A2C's loss and statistics. */
export function a2cLoss(b: A2cBatch, config: A2cLossConfig): LossResult {
  const batch = b.logits.shape[0]!;
  for (const k of ['values', 'advantages', 'returns'] as const) expectVector('a2c', k, b[k], batch);
  const { logp, logpAll } = actionLogProbs(b.logits, b.actions);
  const adv = config.normAdvantages ? normalize(b.advantages) : b.advantages;
  const policyLoss = op.neg(op.reduceMean(op.mul(logp, adv)));
  const vLoss = valueLoss(b.values, b.returns);
  const entropy = meanEntropy(logpAll);
  const loss = op.add(op.sub(policyLoss, op.mul(entropy, entropyCoefficient('a2c', b.entCoef, config.entCoef))), op.mul(vLoss, config.vfCoef));
  return { loss, stats: { policy_loss: policyLoss, value_loss: vLoss, entropy, explained_variance: explainedVariance(b.values, b.returns) } };
}
