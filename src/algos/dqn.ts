/**
 * DQN's loss with double-DQN targets (van Hasselt et al. 2016): the online network picks the next
 * action, the target network values it. n-step returns come in as summed rewards plus a per-sample
 * discount γⁿ; importance weights (PER) scale the Huber loss; per-sample TD errors go out so the
 * replay can update priorities.
 */
import * as op from '../graph/ops.js';
import { type Tensor } from '../graph/tensor.js';
import { bool, type FieldSpec, num, validateFields } from '../fields.js';
import { type LossResult, expectVector, huber } from './common.js';

/** DQN's loss settings (the Trainer's `dqn.*` config extends these). */
export interface DqnLossConfig {
  /** Double DQN targets (online argmax, target value); false uses the target's max. Default true. */
  double: boolean;
  /** Huber loss threshold. Default 1. */
  huberDelta: number;
}

/** The one table of DQN's loss settings. */
export const DQN_LOSS_FIELDS: { readonly [K in keyof DqnLossConfig]: FieldSpec<DqnLossConfig[K]> } = {
  double: { ...bool, default: true, doc: 'double DQN targets' },
  huberDelta: { ...num(1e-6, 1e6), default: 1, doc: 'Huber loss threshold of the TD error' },
};

/** Validates DQN loss options and fills the defaults of {@link DQN_LOSS_FIELDS}. */
export function dqnConfig(options?: unknown): DqnLossConfig {
  return validateFields(DQN_LOSS_FIELDS, options, 'dqn');
}

/** Minibatch tensors DQN needs. */
export interface DqnBatch {
  /** Q(s, ·) from the online parameters [B, A]. */
  q: Tensor;
  /** Q(s', ·) from the online parameters [B, A] (only its argmax is used; no gradient). */
  qNextOnline: Tensor;
  /** Q(s', ·) from the target parameters [B, A]. */
  qNextTarget: Tensor;
  /** Actions, int64 [B]. */
  actions: Tensor;
  /** Summed (n-step) rewards [B]. */
  rewards: Tensor;
  /** 1 where the episode ended within the n steps, else 0 [B]. */
  dones: Tensor;
  /** γⁿ per sample [B]. */
  discounts: Tensor;
  /** Importance-sampling weights [B] (ones without PER). */
  weights: Tensor;
}

/** Builds the DQN loss; `perSample.td_errors` is Q(s,a) − target. */
export function dqnLoss(b: DqnBatch, config: DqnLossConfig): LossResult {
  const batch = b.q.shape[0]!;
  const actions = b.q.shape[1]!;
  for (const k of ['qNextOnline', 'qNextTarget'] as const) op.expectShape('dqn', k, b[k], [batch, actions]);
  for (const k of ['rewards', 'dones', 'discounts', 'weights'] as const) expectVector('dqn', k, b[k], batch);
  if (b.actions.dtype !== 'int64') throw new TypeError(`dqn: input actions must be int64 but is ${b.actions.dtype}`);
  const pick = (q: Tensor, a: Tensor): Tensor => op.reduceSum(op.mul(q, op.oneHot(a, actions, q.dtype)), [1]);
  const qTaken = pick(b.q, b.actions);
  const nextValue = config.double ? pick(b.qNextTarget, op.argMax(b.qNextOnline, 1)) : op.reduceMax(b.qNextTarget, [1]);
  const target = op.add(b.rewards, op.mul(op.mul(b.discounts, op.sub(1, b.dones)), nextValue));
  const td = op.sub(qTaken, target);
  const loss = op.reduceMean(op.mul(b.weights, huber(td, config.huberDelta)));
  return { loss, stats: { q_mean: op.reduceMean(qTaken), td_abs_mean: op.reduceMean(op.abs(td)) }, perSample: { td_errors: td } };
}
