/**
 * Builds the graphs training runs: the policy (obs → logits, value / q), one train step (forward,
 * loss, backward, global-norm clipping, optimizer) and a Loop carrying parameters and optimizer
 * state through E epochs × M minibatches gathered by index. Input and output names are the
 * contract documented in docs/graphs.md.
 */
import { type A2cLossConfig, a2cConfig, a2cLoss } from '../algos/a2c.js';
import { type LossResult } from '../algos/common.js';
import { type DqnLossConfig, dqnConfig, dqnLoss } from '../algos/dqn.js';
import { type PpoLossConfig, ppoConfig, ppoLoss } from '../algos/ppo.js';
import { type GradientOptions, gradients } from '../graph/autodiff.js';
import * as op from '../graph/ops.js';
import { type OptimizerConfig, applyOptimizer, clipByGlobalNorm, stateSlots } from '../graph/optimizers.js';
import { type DType, Graph, type Tensor } from '../graph/tensor.js';
import { type ModelSpec, applyModel, declareParams, modelSpec, noiseSpecs, paramSpecs } from '../models/networks.js';
import { expectInteger, expectNumber, expectOneOf, expectOptions, rejectUnknownKeys } from '../validate.js';

/** Training algorithm. */
export type Algo = 'ppo' | 'a2c' | 'dqn';

/** Everything that shapes a train graph. */
export interface TrainSpec {
  /** The model (its head must suit the algorithm). */
  model: ModelSpec;
  /** 'ppo', 'a2c' or 'dqn'. */
  algo: Algo;
  /** PPO options (when algo is 'ppo'). */
  ppo: PpoLossConfig;
  /** A2C options (when algo is 'a2c'). */
  a2c: A2cLossConfig;
  /** DQN options (when algo is 'dqn'). */
  dqn: DqnLossConfig;
  /** Optimizer (default Adam, eps 1e-5). */
  optimizer: OptimizerConfig;
  /** Global gradient-norm limit; 0 disables clipping (default 0.5). */
  maxGradNorm: number;
}

/** Validates train options and fills defaults. The head defaults to the algorithm's. */
export function trainSpec(options: unknown): TrainSpec {
  const o = expectOptions<Omit<TrainSpec, 'model'> & { model: unknown }>(options, 'train');
  rejectUnknownKeys(o, 'train', ['model', 'algo', 'ppo', 'a2c', 'dqn', 'optimizer', 'maxGradNorm']);
  const algo = expectOneOf(o.algo ?? 'ppo', 'train.algo', ['ppo', 'a2c', 'dqn'] as const);
  const m = expectOptions<ModelSpec>(o.model, 'train.model');
  const model = modelSpec({ ...m, head: m.head ?? (algo === 'dqn' ? 'dueling' : 'actor-critic') });
  if ((algo === 'dqn') !== (model.head !== 'actor-critic')) {
    throw new RangeError(
      `Expected a ${algo === 'dqn' ? "'dueling' or 'q'" : "'actor-critic'"} head for train.model.head with algo '${algo}' but received '${model.head}'`,
    );
  }
  return {
    model,
    algo,
    ppo: ppoConfig(o.ppo),
    a2c: a2cConfig(o.a2c),
    dqn: dqnConfig(o.dqn),
    optimizer: optimizerConfig(o.optimizer),
    maxGradNorm: expectNumber(o.maxGradNorm ?? 0.5, 'train.maxGradNorm', 0),
  };
}

/** Validates optimizer options (default Adam with eps 1e-5). */
export function optimizerConfig(options: unknown): OptimizerConfig {
  const o = expectOptions<OptimizerConfig & Record<string, number>>(options ?? { kind: 'adam', eps: 1e-5 }, 'train.optimizer');
  const kind = expectOneOf(o.kind ?? 'adam', 'train.optimizer.kind', ['adam', 'adamw', 'rmsprop', 'sgd'] as const);
  const known: Record<string, string[]> = {
    adam: ['beta1', 'beta2', 'eps'],
    adamw: ['beta1', 'beta2', 'eps', 'weightDecay'],
    rmsprop: ['alpha', 'eps'],
    sgd: [],
  };
  rejectUnknownKeys(o, 'train.optimizer', ['kind', ...known[kind]!]);
  const out: Record<string, unknown> = { kind };
  for (const k of known[kind]!) if (o[k] !== undefined) out[k] = expectNumber(o[k], `train.optimizer.${k}`, 0, 1e6);
  return out as unknown as OptimizerConfig;
}

/** A per-sample batch input: name, dtype and shape without the batch axis. */
export interface BatchInput {
  /** Graph input name. */
  name: string;
  /** Element type. */
  dtype: DType;
  /** Shape of one sample. */
  sample: readonly number[];
}

/** The per-sample inputs an algorithm's train graph takes, in order. */
export function batchInputs(spec: TrainSpec): BatchInput[] {
  const obs = { name: 'obs', dtype: 'uint8' as const, sample: spec.model.obsShape };
  const vec = (name: string): BatchInput => ({ name, dtype: 'float32', sample: [] });
  const actions: BatchInput = { name: 'actions', dtype: 'int64', sample: [] };
  switch (spec.algo) {
    case 'ppo':
      return [obs, actions, vec('old_logprobs'), vec('advantages'), vec('returns'), vec('old_values')];
    case 'a2c':
      return [obs, actions, vec('advantages'), vec('returns')];
    case 'dqn':
      return [obs, actions, vec('rewards'), { ...obs, name: 'next_obs' }, vec('dones'), vec('discounts'), vec('weights')];
  }
}

/** Names of the optimizer-state inputs of a parameter (`<param>.<slot>`). */
export function stateNames(spec: TrainSpec): string[] {
  const slots = stateSlots(spec.optimizer);
  return paramSpecs(spec.model).flatMap((p) => slots.map((s) => `${p.name}.${s}`));
}

/** NoisyNet noise of one train step: the online network's (shared by s and s') and the target's, drawn independently. */
interface StepNoise {
  online: Record<string, Tensor>;
  target: Record<string, Tensor>;
}

function lossFor(
  spec: TrainSpec,
  p: Record<string, Tensor>,
  b: Record<string, Tensor>,
  entCoef: Tensor | undefined,
  target: Record<string, Tensor> | undefined,
  noise: StepNoise | undefined,
): LossResult {
  const out = applyModel(spec.model, p, b.obs!, noise?.online);
  if (spec.algo === 'ppo') {
    return ppoLoss(
      {
        logits: out.logits!,
        values: out.value!,
        actions: b.actions!,
        oldLogProbs: b.old_logprobs!,
        advantages: b.advantages!,
        returns: b.returns!,
        oldValues: b.old_values!,
        entCoef,
      },
      spec.ppo,
    );
  }
  if (spec.algo === 'a2c') {
    return a2cLoss({ logits: out.logits!, values: out.value!, actions: b.actions!, advantages: b.advantages!, returns: b.returns!, entCoef }, spec.a2c);
  }
  const next = applyModel(spec.model, p, b.next_obs!, noise?.online);
  const nextTarget = applyModel(spec.model, target!, b.next_obs!, noise?.target);
  return dqnLoss(
    {
      q: out.q!,
      qNextOnline: next.q!,
      qNextTarget: nextTarget.q!,
      actions: b.actions!,
      rewards: b.rewards!,
      dones: b.dones!,
      discounts: b.discounts!,
      weights: b.weights!,
    },
    spec.dqn,
  );
}

interface UpdateTensors {
  loss: LossResult;
  grads: Tensor[];
  norm: Tensor | undefined;
  params: Tensor[];
  state: Tensor[][];
}

/** Forward, loss, gradients, clipping and optimizer on already-declared tensors. */
function buildUpdate(
  spec: TrainSpec,
  params: Tensor[],
  state: Tensor[][],
  batch: Record<string, Tensor>,
  lr: Tensor,
  step: Tensor,
  entCoef: Tensor | undefined,
  target: Record<string, Tensor> | undefined,
  noise: StepNoise | undefined,
  grad: GradientOptions,
): UpdateTensors {
  const names = paramSpecs(spec.model).map((p) => p.name);
  const p: Record<string, Tensor> = {};
  names.forEach((n, i) => (p[n] = params[i]!));
  const loss = lossFor(spec, p, batch, entCoef, target, noise);
  const grads = gradients(loss.loss, params, grad);
  let used = grads;
  let norm: Tensor | undefined;
  if (spec.maxGradNorm > 0) {
    const c = clipByGlobalNorm(grads, spec.maxGradNorm);
    used = c.grads;
    norm = c.norm;
  }
  const upd = applyOptimizer(spec.optimizer, params, used, state, lr, step);
  return { loss, grads, norm, params: upd.params, state: upd.state };
}

/** Options of the train-step graph. */
export interface StepGraphOptions {
  /** Minibatch size. */
  batch: number;
  /** Also output the raw (unclipped) gradients as `grad.<param>`. */
  grads?: boolean;
  /** Initial parameter values (only shapes matter when params are fed as inputs). */
  values?: ReadonlyMap<string, Float32Array>;
  /** How Conv weight gradients are written (`GradientOptions.convWeightGrad`): 'gemm' for the CUDA provider. Default 'conv'. */
  convWeightGrad?: GradientOptions['convWeightGrad'];
}

function zeroValues(spec: TrainSpec): Map<string, Float32Array> {
  return new Map(paramSpecs(spec.model).map((p) => [p.name, new Float32Array(p.shape.reduce((a, b) => a * b, 1))]));
}

function declareState(g: Graph, spec: TrainSpec, params: Tensor[]): Tensor[][] {
  const slots = stateSlots(spec.optimizer);
  return params.map((p) => slots.map((s) => g.input(`${p.name}.${s}`, 'float32', p.shape)));
}

/** PPO's and A2C's `ent_coef` input (float32 []): the entropy coefficient, fed per update; undefined for DQN. */
function declareEntCoef(g: Graph, spec: TrainSpec): Tensor | undefined {
  return spec.algo === 'dqn' ? undefined : g.input('ent_coef', 'float32', []);
}

/**
 * A noisy model's noise inputs of a train graph: `noise.<layer>.in|out` (online) and
 * `target.noise.<layer>.in|out` (target), each [...lead, size]; undefined for other models.
 */
function declareStepNoise(g: Graph, spec: TrainSpec, lead: number[]): StepNoise | undefined {
  const specs = noiseSpecs(spec.model);
  if (specs.length === 0) return undefined;
  const declare = (prefix: string): Record<string, Tensor> =>
    Object.fromEntries(specs.map((n) => [n.name, g.input(prefix + n.name, 'float32', [...lead, n.size])]));
  return { online: declare(''), target: declare('target.') };
}

/**
 * One train step as a graph. Inputs: parameters (`<param>`), optimizer state (`<param>.<slot>`),
 * `lr` and `step` (float32 scalars, step 1-based), for PPO and A2C `ent_coef` (float32 scalar, the
 * entropy coefficient; `spec.ppo.entCoef` / `spec.a2c.entCoef` is only the learner's default), the
 * batch inputs of `batchInputs(spec)`, for DQN the target parameters `target.<param>`, and for a noisy model the noise
 * `noise.<layer>.in|out` and `target.noise.<layer>.in|out` (`noiseSpecs`). Outputs: `loss`, `stat.<name>`, `grad_norm` (when
 * clipping), `new.<param>`, `new.<param>.<slot>`, `td_errors` (DQN), `grad.<param>` (option).
 */
export function buildTrainStepGraph(spec: TrainSpec, options: StepGraphOptions): Graph {
  const batch = expectInteger(options.batch, 'batch', 1, 1 << 20);
  const g = new Graph(`${spec.algo}_${spec.model.network}_step`);
  const p = declareParams(g, spec.model, options.values ?? zeroValues(spec));
  const params = Object.values(p);
  const state = declareState(g, spec, params);
  const lr = g.input('lr', 'float32', []);
  const step = g.input('step', 'float32', []);
  const entCoef = declareEntCoef(g, spec);
  const b: Record<string, Tensor> = {};
  for (const i of batchInputs(spec)) b[i.name] = g.input(i.name, i.dtype, [batch, ...i.sample]);
  let target: Record<string, Tensor> | undefined;
  if (spec.algo === 'dqn') {
    target = {};
    for (const ps of paramSpecs(spec.model)) target[ps.name] = g.input(`target.${ps.name}`, 'float32', ps.shape);
  }
  const noise = declareStepNoise(g, spec, []);
  const u = buildUpdate(spec, params, state, b, lr, step, entCoef, target, noise, { convWeightGrad: options.convWeightGrad });
  g.output('loss', u.loss.loss);
  for (const [k, t] of Object.entries(u.loss.stats)) g.output(`stat.${k}`, t);
  if (u.norm) g.output('grad_norm', u.norm);
  for (const [k, t] of Object.entries(u.loss.perSample ?? {})) g.output(k, t);
  const slots = stateSlots(spec.optimizer);
  params.forEach((t, i) => {
    g.output(`new.${t.name}`, u.params[i]!);
    slots.forEach((s, j) => g.output(`new.${t.name}.${s}`, u.state[i]![j]!));
    if (options.grads) g.output(`grad.${t.name}`, u.grads[i]!);
  });
  return g;
}

/** Options of the Loop graph. */
export interface LoopGraphOptions {
  /** Epochs E. */
  epochs: number;
  /** Minibatches per epoch M. */
  minibatches: number;
  /** Samples per minibatch. */
  minibatchSize: number;
  /** Rollout size N (rows of each batch input). */
  rolloutSize: number;
  /** As StepGraphOptions.convWeightGrad. */
  convWeightGrad?: GradientOptions['convWeightGrad'];
}

/**
 * E × M train steps in one ONNX Loop. Inputs as the step graph, except the batch inputs hold the
 * whole rollout [N, …], `indices` (int64 [E·M, minibatchSize]) picks each minibatch's rows and a
 * noisy model's noise inputs hold one row per iteration [E·M, size]; iteration k uses step
 * `step + k`. Outputs: `new.<param>`, `new.<param>.<slot>` after the last
 * minibatch, and per-iteration `losses` [E·M] and `stat.<name>` [E·M].
 */
export function buildTrainLoopGraph(spec: TrainSpec, options: LoopGraphOptions): Graph {
  const epochs = expectInteger(options.epochs, 'epochs', 1, 10_000);
  const minibatches = expectInteger(options.minibatches, 'minibatches', 1, 100_000);
  const mb = expectInteger(options.minibatchSize, 'minibatchSize', 1, 1 << 20);
  const n = expectInteger(options.rolloutSize, 'rolloutSize', 1, 1 << 24);
  const iters = epochs * minibatches;
  const g = new Graph(`${spec.algo}_${spec.model.network}_loop`);
  const p = declareParams(g, spec.model, zeroValues(spec));
  const params = Object.values(p);
  const state = declareState(g, spec, params);
  const lr = g.input('lr', 'float32', []);
  const step = g.input('step', 'float32', []);
  const entCoef = declareEntCoef(g, spec);
  const full: Record<string, Tensor> = {};
  for (const i of batchInputs(spec)) full[i.name] = g.input(i.name, i.dtype, [n, ...i.sample]);
  const indices = g.input('indices', 'int64', [iters, mb]);
  let target: Record<string, Tensor> | undefined;
  if (spec.algo === 'dqn') {
    target = {};
    for (const ps of paramSpecs(spec.model)) target[ps.name] = g.input(`target.${ps.name}`, 'float32', ps.shape);
  }
  const noiseAll = declareStepNoise(g, spec, [iters]);
  const body = g.subgraph('update_body');
  const iter = body.input('loop.iter', 'int64', []);
  const condIn = body.input('loop.cond', 'bool', []);
  const bParams = params.map((t) => body.input(`loop.${t.name}`, 'float32', t.shape));
  const bState = state.map((slots) => slots.map((t) => body.input(`loop.${t.name}`, 'float32', t.shape)));
  const idx = op.gather(indices, iter);
  const mbBatch: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(full)) mbBatch[k] = op.gather(t, idx);
  const stepK = op.add(step, op.cast(iter, 'float32'));
  const row = (r: Record<string, Tensor>): Record<string, Tensor> => Object.fromEntries(Object.entries(r).map(([k, t]) => [k, op.gather(t, iter)]));
  const noise = noiseAll && { online: row(noiseAll.online), target: row(noiseAll.target) };
  const u = buildUpdate(spec, bParams, bState, mbBatch, lr, stepK, entCoef, target, noise, { convWeightGrad: options.convWeightGrad });
  body.output('loop.cond_out', op.identity(condIn));
  params.forEach((t, i) => body.output(`loop.new.${t.name}`, u.params[i]!));
  state.forEach((slots, i) => slots.forEach((t, j) => body.output(`loop.new.${t.name}`, u.state[i]![j]!)));
  const statNames = Object.keys(u.loss.stats);
  body.output('loop.loss', u.loss.loss);
  for (const k of statNames) body.output(`loop.stat.${k}`, u.loss.stats[k]!);
  const carried = [...params, ...state.flat()];
  const outs = g.addNode(
    'Loop',
    [g.scalar(iters, 'int64'), g.scalar(1, 'bool'), ...carried],
    [
      ...carried.map((t) => ({ dtype: t.dtype, shape: t.shape })),
      { dtype: 'float32', shape: [iters] },
      ...statNames.map(() => ({ dtype: 'float32' as DType, shape: [iters] })),
    ],
    { body: { g: body } },
  );
  carried.forEach((t, i) => g.output(`new.${t.name}`, outs[i]!));
  g.output('losses', outs[carried.length]!);
  statNames.forEach((k, i) => g.output(`stat.${k}`, outs[carried.length + 1 + i]!));
  return g;
}

/** Options of the acting graph. */
export interface PolicyGraphOptions {
  /** A noisy model's noise inputs `noise.<layer>.in|out` (default true); false acts with the means μ only and leaves out the σ parameters (exported policies). */
  noise?: boolean;
}

/**
 * The acting graph: `obs` uint8 [B, C, H, W] → `logits` [B, A] and `value` [B] (or `q` [B, A]);
 * a noisy model also takes `noise.<layer>.in|out` (one draw for the batch) unless `noise` is false.
 */
export function buildPolicyGraph(model: ModelSpec, batch: number, values?: ReadonlyMap<string, Float32Array>, options: PolicyGraphOptions = {}): Graph {
  expectInteger(batch, 'batch', 1, 1 << 20);
  const g = new Graph(`policy_${model.network}`);
  const meansOnly = options.noise === false;
  const p = declareParams(g, model, values ?? new Map(paramSpecs(model).map((s) => [s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1))])), '', {
    sigmas: !meansOnly,
  });
  const obs = g.input('obs', 'uint8', [batch, ...model.obsShape]);
  const noise = meansOnly ? undefined : Object.fromEntries(noiseSpecs(model).map((n) => [n.name, g.input(n.name, 'float32', [n.size])]));
  const out = applyModel(model, p, obs, noise);
  if (out.logits) g.output('logits', out.logits);
  if (out.value) g.output('value', out.value);
  if (out.q) g.output('q', out.q);
  return g;
}
