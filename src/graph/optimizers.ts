/**
 * In-graph optimizers and global-norm clipping. Each update is a handful of elementwise ops per
 * parameter; the learning rate and the step count are graph inputs so one graph serves a whole
 * schedule. Formulas follow PyTorch's (Adam's eps added after the bias-corrected sqrt).
 */
import * as op from './ops.js';
import { type Tensor } from './tensor.js';

/** Adam with bias correction. */
export interface AdamConfig {
  kind: 'adam';
  /** First-moment decay (default 0.9). */
  beta1?: number;
  /** Second-moment decay (default 0.999). */
  beta2?: number;
  /** Added to the denominator (default 1e-8; PPO implementations often use 1e-5). */
  eps?: number;
}

/** AdamW: Adam plus decoupled weight decay (p ← p − lr·wd·p). */
export interface AdamWConfig extends Omit<AdamConfig, 'kind'> {
  kind: 'adamw';
  /** Decoupled weight decay (default 0.01). */
  weightDecay?: number;
}

/** RMSprop with one square-average buffer per parameter (A3C's shared statistics). */
export interface RmspropConfig {
  kind: 'rmsprop';
  /** Square-average decay (default 0.99). */
  alpha?: number;
  /** Added after the square root (default 1e-5, A3C's value). */
  eps?: number;
}

/** Plain gradient descent. */
export interface SgdConfig {
  kind: 'sgd';
}

/** Any optimizer. */
export type OptimizerConfig = AdamConfig | AdamWConfig | RmspropConfig | SgdConfig;

/** Names of the per-parameter state slots of an optimizer, in order. */
export function stateSlots(config: OptimizerConfig): readonly string[] {
  switch (config.kind) {
    case 'adam':
    case 'adamw':
      return ['m', 'v'];
    case 'rmsprop':
      return ['sq'];
    case 'sgd':
      return [];
  }
}

/** Result of `applyOptimizer`. */
export interface OptimizerUpdate {
  /** Updated parameters, one per input parameter. */
  params: Tensor[];
  /** Updated state, `state[i][slot]`. */
  state: Tensor[][];
}

/**
 * Applies one optimizer step. `state[i]` holds the slots of `stateSlots(config)` for parameter i;
 * `lr` and `step` (1-based, float32) are scalar tensors.
 */
export function applyOptimizer(
  config: OptimizerConfig,
  params: readonly Tensor[],
  grads: readonly Tensor[],
  state: readonly (readonly Tensor[])[],
  lr: Tensor,
  step: Tensor,
): OptimizerUpdate {
  if (grads.length !== params.length || state.length !== params.length) {
    throw new RangeError(`applyOptimizer: ${params.length} parameters but ${grads.length} gradients and ${state.length} state entries`);
  }
  const out: OptimizerUpdate = { params: [], state: [] };
  if (config.kind === 'sgd') {
    params.forEach((p, i) => out.params.push(op.sub(p, op.mul(grads[i]!, lr))));
    params.forEach(() => out.state.push([]));
    return out;
  }
  if (config.kind === 'rmsprop') {
    const alpha = config.alpha ?? 0.99;
    const eps = config.eps ?? 1e-5;
    params.forEach((p, i) => {
      const g = grads[i]!;
      const sq = op.add(op.mul(state[i]![0]!, alpha), op.mul(op.square(g), 1 - alpha));
      out.params.push(op.sub(p, op.div(op.mul(g, lr), op.add(op.sqrt(sq), eps))));
      out.state.push([sq]);
    });
    return out;
  }
  const b1 = config.beta1 ?? 0.9;
  const b2 = config.beta2 ?? 0.999;
  const eps = config.eps ?? 1e-8;
  const wd = config.kind === 'adamw' ? (config.weightDecay ?? 0.01) : 0;
  // Scalars once per step: lr / (1 − β1^t) and 1 / sqrt(1 − β2^t).
  const stepSize = op.div(lr, op.sub(1, op.pow(lr.graph.scalar(b1), step)));
  const invSqrtBc2 = op.div(1, op.sqrt(op.sub(1, op.pow(lr.graph.scalar(b2), step))));
  params.forEach((p, i) => {
    const g = grads[i]!;
    const m = op.add(op.mul(state[i]![0]!, b1), op.mul(g, 1 - b1));
    const v = op.add(op.mul(state[i]![1]!, b2), op.mul(op.square(g), 1 - b2));
    const denom = op.add(op.mul(op.sqrt(v), invSqrtBc2), eps);
    let base = p;
    if (wd !== 0) base = op.sub(p, op.mul(p, op.mul(lr, wd)));
    out.params.push(op.sub(base, op.div(op.mul(m, stepSize), denom)));
    out.state.push([m, v]);
  });
  return out;
}

/** Result of `clipByGlobalNorm`. */
export interface ClippedGradients {
  /** Gradients scaled by min(1, maxNorm / (norm + 1e-6)). */
  grads: Tensor[];
  /** Global L2 norm before clipping (scalar). */
  norm: Tensor;
}

/** Scales all gradients together so their global L2 norm is at most `maxNorm` (PyTorch's rule). */
export function clipByGlobalNorm(grads: readonly Tensor[], maxNorm: number): ClippedGradients {
  const squares = grads.map((g) => op.reduceSum(op.square(g)));
  const norm = op.sqrt(op.sum(squares));
  const scale = op.min(op.div(maxNorm, op.add(norm, 1e-6)), 1);
  return { grads: grads.map((g) => op.mul(g, scale)), norm };
}
