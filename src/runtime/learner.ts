/**
 * The learner: parameters and optimizer state in Float32Arrays on the host, train-step, Loop and
 * policy sessions in a worker (SessionRunner). One `update()` moves parameters and state across
 * the host/device boundary once for E epochs × M minibatches. A noisy (NoisyNet) model's noise is
 * drawn here, from two seeded streams (acting, training) saved in checkpoints, and fed to the
 * graphs: one draw per `act`, one online + one target draw per train step.
 */
import { readFile, writeFile } from 'node:fs/promises';

import { toModel } from '../graph/onnx-writer.js';
import { stateSlots } from '../graph/optimizers.js';
import { type HostTensor } from '../graph/session.js';
import { type DType, type TensorData } from '../graph/tensor.js';
import { initParams, noiseSpecs, paramSpecs } from '../models/networks.js';
import { sampleNoise } from '../models/noisy.js';
import { Rng, type RngState } from '../util/rng.js';
import { expectBoolean, expectInteger, expectNumber, expectOneOf, expectOptions, expectTypedArray, expectedMessage, rejectUnknownKeys } from '../validate.js';
import { type RunnerOptions, SessionRunner } from './session-runner.js';
import { decodeSafetensors, encodeSafetensors, type StoredTensor } from './safetensors.js';
import { type TrainSpec, batchInputs, buildPolicyGraph, buildTrainLoopGraph, buildTrainStepGraph, trainSpec } from './train-graph.js';

/** Options of `Learner.create`. */
export interface LearnerOptions extends RunnerOptions {
  /** Model, algorithm, optimizer and loss options (see `trainSpec`). */
  train: unknown;
  /** Seed of the initialisation and of a noisy model's noise streams (default 0). */
  seed?: number;
  /**
   * How the acting session gets parameters: 'baked' (rebuilt as initializers after each update;
   * faster per call, see bench/train.ts) or 'inputs' (fed every call). Default 'baked' for PPO/A2C
   * (one update per rollout), 'inputs' for DQN (a train step every few acting calls).
   */
  acting?: 'baked' | 'inputs';
}

/** A batch: one typed array per input of `batchInputs(spec)`, keyed by its name. */
export type Batch = Record<string, TensorData>;

/** Result of one train step. */
export interface StepResult {
  /** Loss before the update. */
  loss: number;
  /** Statistics by name (`approx_kl`, `clip_fraction`, …) and `grad_norm`. */
  stats: Record<string, number>;
  /** DQN: Q(s,a) − target per sample. */
  tdErrors?: Float32Array;
}

/** Result of a Loop update. */
export interface UpdateResult {
  /** Loss of each minibatch step, in order [E·M]. */
  losses: Float32Array;
  /** Each statistic per minibatch step [E·M]. */
  stats: Record<string, Float32Array>;
}

/** Options of `Learner.trainStep`. */
export interface TrainStepOptions {
  /** Learning rate. */
  lr: number;
  /** As {@link UpdateOptions.entCoef}. */
  entCoef?: number;
}

/** Options of `Learner.act`. */
export interface ActOptions {
  /** A noisy model acts with a fresh noise draw (default true); false uses the means μ only (greedy evaluation). Ignored by other models. */
  noise?: boolean;
}

/** What `Learner.act` returns: logits [B·A] and value [B] (actor-critic), or q [B·A]. */
export interface ActResult {
  logits?: Float32Array;
  value?: Float32Array;
  q?: Float32Array;
}

/** Options of `Learner.update`. */
export interface UpdateOptions {
  /** Epochs E. */
  epochs: number;
  /** Minibatches per epoch M (must divide the rollout size). */
  minibatches: number;
  /** Learning rate. */
  lr: number;
  /**
   * PPO/A2C: the entropy coefficient of this update (finite, ≥ 0), fed to the graph's `ent_coef`
   * input; default the spec's `ppo.entCoef` / `a2c.entCoef`. DQN takes none.
   */
  entCoef?: number;
  /** Explicit minibatch row indices [E·M · N/M] (int64); default: a seeded permutation per epoch. */
  indices?: BigInt64Array;
  /** Seed of the permutations (default: the learner's seed + step). */
  seed?: number;
  /**
   * Stop after the first epoch whose mean `approx_kl` exceeds this (cleanrl's target_kl, checked
   * per epoch): the epochs then run as one Loop each instead of one Loop for all. PPO only;
   * default: never stop early.
   */
  targetKl?: number;
}

/** `Rng` streams of a noisy model's noise under the learner's seed (the Trainer's own streams are 0–3). */
const NOISE_STREAMS = { act: 0x4e4f4101, train: 0x4e4f4102 } as const;

/** Checkpoint metadata key of the noise streams' states. */
const NOISE_RNG_KEY = 'noise_rng';

const TYPED: Record<DType, new (n: number) => TensorData> = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** Trains a model with an algorithm on onnxruntime, off the main thread. */
export class Learner {
  /** The validated train spec. */
  readonly spec: TrainSpec;
  #runner: SessionRunner;
  #seed: number;
  #acting: 'baked' | 'inputs';
  #params: Map<string, Float32Array>;
  #state = new Map<string, Float32Array>();
  #target: Map<string, Float32Array> | undefined;
  #step = 0;
  #loaded = new Set<string>();
  #policyVersion = 0;
  #policyLoaded = new Map<string, number>();
  #busy: string | undefined;
  /** A noisy model's noise streams: one draw per act call, two (online, target) per train step. */
  #noiseRng: { act: Rng; train: Rng } | undefined;
  /** Zero noise for acting with the means μ. */
  #noiseOff: Map<string, Float32Array> | undefined;

  private constructor(spec: TrainSpec, runner: SessionRunner, seed: number, acting: 'baked' | 'inputs') {
    this.spec = spec;
    this.#runner = runner;
    this.#seed = seed;
    this.#acting = acting;
    this.#params = initParams(spec.model, seed);
    for (const p of paramSpecs(spec.model)) {
      for (const s of stateSlots(spec.optimizer)) this.#state.set(`${p.name}.${s}`, new Float32Array(this.#params.get(p.name)!.length));
    }
    if (spec.algo === 'dqn') this.#target = this.#copyParams();
    if (spec.model.noisy) {
      this.#noiseRng = { act: new Rng(seed, NOISE_STREAMS.act), train: new Rng(seed, NOISE_STREAMS.train) };
      this.#noiseOff = new Map(noiseSpecs(spec.model).map((n) => [n.name, new Float32Array(n.size)]));
    }
  }

  /** [async] Validates options, initialises parameters and starts the session worker. */
  static async create(options: LearnerOptions): Promise<Learner> {
    const o = expectOptions<LearnerOptions>(options, 'learner options');
    rejectUnknownKeys(o, 'learner options', ['train', 'seed', 'acting', 'device', 'threads', 'onWarning', 'nice']);
    const spec = trainSpec(o.train);
    const seed = expectInteger(o.seed ?? 0, 'seed', 0, 2 ** 32 - 1);
    // DQN changes its parameters every few acting calls, so rebuilding a baked session per train
    // step would cost more than feeding the parameters (measured: 3× the agent steps/s).
    const acting = expectOneOf(o.acting ?? (spec.algo === 'dqn' ? 'inputs' : 'baked'), 'acting', ['baked', 'inputs'] as const);
    const runner = await SessionRunner.create({ device: o.device, threads: o.threads, onWarning: o.onWarning, nice: o.nice });
    return new Learner(spec, runner, seed, acting);
  }

  /** The Conv weight-gradient form for this device: cuDNN runs the dilated-conv form slowly (docs/benchmarks.md). */
  get #convWeightGrad(): 'conv' | 'gemm' {
    return this.#runner.device === 'cuda' ? 'gemm' : 'conv';
  }

  /** Device the sessions run on. */
  get device(): 'cpu' | 'cuda' {
    return this.#runner.device;
  }

  /** Optimizer steps taken so far. */
  get step(): number {
    return this.#step;
  }

  /** The live parameters by name (replaced, not mutated, by updates). */
  get params(): ReadonlyMap<string, Float32Array> {
    return this.#params;
  }

  /** The optimizer state by `<param>.<slot>`. */
  get optimizerState(): ReadonlyMap<string, Float32Array> {
    return this.#state;
  }

  #copyParams(): Map<string, Float32Array> {
    return new Map([...this.#params].map(([k, v]) => [k, v.slice()]));
  }

  /**
   * DQN: moves the target network toward the online one, target ← tau·online + (1 − tau)·target
   * (Polyak averaging, per element in float64, stored as float32). tau 1 (default) is an exact
   * copy. Throws for algorithms without a target network.
   */
  syncTarget(tau = 1): void {
    const what = 'a number in (0, 1]';
    if (typeof tau !== 'number') throw new TypeError(expectedMessage(what, 'tau', tau));
    if (!(tau > 0 && tau <= 1)) throw new RangeError(expectedMessage(what, 'tau', tau));
    if (!this.#target) throw new Error(`Learner.syncTarget(): algo '${this.spec.algo}' has no target network`);
    if (tau === 1) {
      this.#target = this.#copyParams();
      return;
    }
    // New arrays, not in place: after fromSafetensors the old ones may view the caller's bytes.
    for (const [k, online] of this.#params) {
      const old = this.#target.get(k)!;
      const next = new Float32Array(old.length);
      for (let i = 0; i < next.length; i++) next[i] = tau * online[i]! + (1 - tau) * old[i]!;
      this.#target.set(k, next);
    }
  }

  /** A noisy model's noise streams' states (JSON-safe), for checkpoints; undefined for other models. */
  get noiseRngState(): { act: RngState; train: RngState } | undefined {
    return this.#noiseRng && { act: this.#noiseRng.act.getState(), train: this.#noiseRng.train.getState() };
  }

  /**
   * Feeds one train step's noise per iteration (`iters` rows, [iters, size] when `stacked`):
   * for each iteration an online draw then a target draw, so a Loop update sees the same noise
   * as the same minibatches run by `trainStep` one by one.
   */
  #trainNoiseFeeds(feeds: Record<string, HostTensor>, iters: number, stacked: boolean): void {
    if (!this.#noiseRng) return;
    const specs = noiseSpecs(this.spec.model);
    const all = new Map<string, Float32Array>();
    for (const prefix of ['', 'target.']) for (const n of specs) all.set(prefix + n.name, new Float32Array(iters * n.size));
    for (let k = 0; k < iters; k++) {
      for (const prefix of ['', 'target.']) {
        for (const [name, v] of sampleNoise(specs, this.#noiseRng.train)) all.get(prefix + name)!.set(v, k * v.length);
      }
    }
    for (const prefix of ['', 'target.']) {
      for (const n of specs) feeds[prefix + n.name] = { dtype: 'float32', dims: stacked ? [iters, n.size] : [n.size], data: all.get(prefix + n.name)! };
    }
  }

  #paramFeeds(feeds: Record<string, HostTensor>): void {
    for (const p of paramSpecs(this.spec.model)) {
      feeds[p.name] = { dtype: 'float32', dims: p.shape, data: this.#params.get(p.name)! };
      for (const s of stateSlots(this.spec.optimizer)) feeds[`${p.name}.${s}`] = { dtype: 'float32', dims: p.shape, data: this.#state.get(`${p.name}.${s}`)! };
      if (this.#target) feeds[`target.${p.name}`] = { dtype: 'float32', dims: p.shape, data: this.#target.get(p.name)! };
    }
  }

  #batchFeeds(batch: unknown, what: string, feeds: Record<string, HostTensor>): number {
    const b = expectOptions<Batch>(batch, what);
    const inputs = batchInputs(this.spec);
    rejectUnknownKeys(
      b,
      what,
      inputs.map((i) => i.name),
    );
    const obsSize = this.spec.model.obsShape.reduce((x, y) => x * y, 1);
    const obs = expectTypedArray(b.obs, `${what}.obs`, Uint8Array);
    if (obs.length === 0 || obs.length % obsSize !== 0)
      throw new RangeError(`Expected a Uint8Array whose length is a positive multiple of ${obsSize} for ${what}.obs but received Uint8Array(${obs.length})`);
    const n = obs.length / obsSize;
    for (const i of inputs) {
      const len = n * i.sample.reduce((x, y) => x * y, 1);
      const data = expectTypedArray(b[i.name], `${what}.${i.name}`, TYPED[i.dtype] as never, len) as TensorData;
      feeds[i.name] = { dtype: i.dtype, dims: [n, ...i.sample], data };
    }
    return n;
  }

  #absorb(out: Record<string, HostTensor>): void {
    for (const p of paramSpecs(this.spec.model)) {
      this.#params.set(p.name, out[`new.${p.name}`]!.data as Float32Array);
      for (const s of stateSlots(this.spec.optimizer)) this.#state.set(`${p.name}.${s}`, out[`new.${p.name}.${s}`]!.data as Float32Array);
    }
    this.#policyVersion++;
  }

  /** Runs `work` as the only parameter-changing call in flight; a second one throws instead of racing. */
  async #exclusive<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (this.#busy) throw new Error(`Learner.${what}() called while ${this.#busy}() is still running; await it first`);
    this.#busy = what;
    try {
      return await work();
    } finally {
      this.#busy = undefined;
    }
  }

  async #ensure(key: string, build: () => Uint8Array): Promise<void> {
    if (this.#loaded.has(key)) return;
    await this.#runner.load(key, build());
    this.#loaded.add(key);
  }

  /** [async] One optimizer step on a batch (keys: the algorithm's batch inputs). */
  async trainStep(batch: Batch, options: TrainStepOptions): Promise<StepResult> {
    return this.#exclusive('trainStep', () => this.#trainStep(batch, options));
  }

  /** The `ent_coef` feed of PPO/A2C: `entCoef` checked, or the spec's default; none for DQN. */
  #entCoefFeed(entCoef: unknown, feeds: Record<string, HostTensor>): void {
    if (this.spec.algo === 'dqn') {
      if (entCoef !== undefined) throw new RangeError(expectedMessage("no value (algo 'dqn' has no entropy bonus)", 'entCoef', entCoef));
      return;
    }
    const value = entCoef === undefined ? this.spec[this.spec.algo].entCoef : expectNumber(entCoef, 'entCoef', 0, 1e6);
    feeds.ent_coef = { dtype: 'float32', dims: [], data: new Float32Array([value]) };
  }

  async #trainStep(batch: Batch, options: TrainStepOptions): Promise<StepResult> {
    const lr = expectNumber(options?.lr, 'lr', 0, 10);
    const feeds: Record<string, HostTensor> = {};
    this.#entCoefFeed(options.entCoef, feeds);
    const n = this.#batchFeeds(batch, 'batch', feeds);
    this.#paramFeeds(feeds);
    feeds.lr = { dtype: 'float32', dims: [], data: new Float32Array([lr]) };
    feeds.step = { dtype: 'float32', dims: [], data: new Float32Array([this.#step + 1]) };
    this.#trainNoiseFeeds(feeds, 1, false);
    const key = `step:${n}`;
    await this.#ensure(key, () => toModel(buildTrainStepGraph(this.spec, { batch: n, convWeightGrad: this.#convWeightGrad })));
    const out = await this.#runner.run(key, feeds);
    this.#absorb(out);
    this.#step++;
    const stats: Record<string, number> = {};
    for (const [k, v] of Object.entries(out)) {
      if (k.startsWith('stat.')) stats[k.slice(5)] = Number(v.data[0]);
      if (k === 'grad_norm') stats.grad_norm = Number(v.data[0]);
    }
    const r: StepResult = { loss: Number(out.loss!.data[0]), stats };
    if (out.td_errors) r.tdErrors = out.td_errors.data as Float32Array;
    return r;
  }

  /**
   * [async] E epochs × M minibatches over a rollout in one ONNX Loop run. Minibatch k takes the
   * rows `indices[k·mb … (k+1)·mb)`; by default each epoch is a fresh seeded permutation.
   */
  async update(rollout: Batch, options: UpdateOptions): Promise<UpdateResult> {
    return this.#exclusive('update', () => this.#update(rollout, options));
  }

  async #update(rollout: Batch, options: UpdateOptions): Promise<UpdateResult> {
    const o = expectOptions<UpdateOptions>(options, 'update options');
    rejectUnknownKeys(o, 'update options', ['epochs', 'minibatches', 'lr', 'entCoef', 'indices', 'seed', 'targetKl']);
    const epochs = expectInteger(o.epochs, 'epochs', 1, 10_000);
    const minibatches = expectInteger(o.minibatches, 'minibatches', 1, 100_000);
    const lr = expectNumber(o.lr, 'lr', 0, 10);
    const feeds: Record<string, HostTensor> = {};
    this.#entCoefFeed(o.entCoef, feeds);
    const n = this.#batchFeeds(rollout, 'rollout', feeds);
    if (n % minibatches !== 0) throw new RangeError(`Expected minibatches to divide the rollout size ${n} but received ${minibatches}`);
    const mb = n / minibatches;
    const iters = epochs * minibatches;
    let indices: BigInt64Array;
    if (o.indices !== undefined) {
      indices = expectTypedArray(o.indices, 'indices', BigInt64Array, iters * mb);
      for (const v of indices) if (v < 0n || v >= BigInt(n)) throw new RangeError(`Expected an integer in [0, ${n - 1}] for indices but received ${v}`);
    } else {
      const rng = Rng.fromSeed32(o.seed ?? this.#seed + this.#step);
      indices = new BigInt64Array(iters * mb);
      for (let e = 0; e < epochs; e++) {
        const perm = Array.from({ length: n }, (_, i) => i);
        for (let i = n - 1; i > 0; i--) {
          // floor(u·(i + 1)), not nextInt's rejection: the permutations every run so far has used.
          const j = Math.floor(rng.nextFloat() * (i + 1));
          [perm[i], perm[j]] = [perm[j]!, perm[i]!];
        }
        for (let i = 0; i < n; i++) indices[e * n + i] = BigInt(perm[i]!);
      }
    }
    const targetKl = o.targetKl === undefined ? undefined : expectNumber(o.targetKl, 'targetKl', Number.MIN_VALUE, 1e6);
    if (targetKl !== undefined && this.spec.algo !== 'ppo')
      throw new RangeError(`Expected no targetKl for algo '${this.spec.algo}' (only PPO reports approx_kl) but received ${targetKl}`);
    if (targetKl === undefined) return this.#runLoop(feeds, indices, epochs, minibatches, n, lr);
    // One Loop per epoch; stop once an epoch's mean approx KL is above the target.
    const perEpoch = minibatches * mb;
    const losses: number[] = [];
    const stats: Record<string, number[]> = {};
    for (let e = 0; e < epochs; e++) {
      const r = await this.#runLoop(feeds, indices.subarray(e * perEpoch, (e + 1) * perEpoch), 1, minibatches, n, lr);
      losses.push(...r.losses);
      for (const [k, v] of Object.entries(r.stats)) (stats[k] ??= []).push(...v);
      const kl = r.stats.approx_kl!;
      let sum = 0;
      for (const x of kl) sum += x;
      if (sum / kl.length > targetKl) break;
    }
    return { losses: Float32Array.from(losses), stats: Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, Float32Array.from(v)])) };
  }

  /** One Loop run of `epochs` × `minibatches` steps over the rollout feeds, with `indices` [epochs·minibatches, mb]. */
  async #runLoop(feeds: Record<string, HostTensor>, indices: BigInt64Array, epochs: number, minibatches: number, n: number, lr: number): Promise<UpdateResult> {
    const mb = n / minibatches;
    const iters = epochs * minibatches;
    this.#paramFeeds(feeds);
    feeds.lr = { dtype: 'float32', dims: [], data: new Float32Array([lr]) };
    feeds.step = { dtype: 'float32', dims: [], data: new Float32Array([this.#step + 1]) };
    feeds.indices = { dtype: 'int64', dims: [iters, mb], data: indices };
    this.#trainNoiseFeeds(feeds, iters, true);
    const key = `loop:${epochs}:${minibatches}:${n}`;
    await this.#ensure(key, () =>
      toModel(buildTrainLoopGraph(this.spec, { epochs, minibatches, minibatchSize: mb, rolloutSize: n, convWeightGrad: this.#convWeightGrad })),
    );
    const out = await this.#runner.run(key, feeds);
    this.#absorb(out);
    this.#step += iters;
    const stats: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(out)) if (k.startsWith('stat.')) stats[k.slice(5)] = v.data as Float32Array;
    return { losses: out.losses!.data as Float32Array, stats };
  }

  /**
   * [async] Runs the policy on uint8 observations [B, C, H, W]: logits and value, or q. A noisy
   * model draws one noise sample for the call (shared by the batch) unless `noise` is false.
   */
  async act(obs: Uint8Array, options: ActOptions = {}): Promise<ActResult> {
    const o = expectOptions<ActOptions>(options, 'act options');
    rejectUnknownKeys(o, 'act options', ['noise']);
    const noisy = expectBoolean(o.noise ?? true, 'noise');
    const feeds: Record<string, HostTensor> = {};
    const obsSize = this.spec.model.obsShape.reduce((x, y) => x * y, 1);
    expectTypedArray(obs, 'obs', Uint8Array);
    if (obs.length === 0 || obs.length % obsSize !== 0)
      throw new RangeError(`Expected a Uint8Array whose length is a positive multiple of ${obsSize} for obs but received Uint8Array(${obs.length})`);
    const n = obs.length / obsSize;
    feeds.obs = { dtype: 'uint8', dims: [n, ...this.spec.model.obsShape], data: obs };
    const key = `policy:${this.#acting}:${n}`;
    if (this.#acting === 'baked') {
      if (this.#policyLoaded.get(key) !== this.#policyVersion) {
        await this.#runner.load(key, toModel(buildPolicyGraph(this.spec.model, n), { params: 'baked', values: this.#params }));
        this.#policyLoaded.set(key, this.#policyVersion);
      }
    } else {
      await this.#ensure(key, () => toModel(buildPolicyGraph(this.spec.model, n)));
      for (const p of paramSpecs(this.spec.model)) feeds[p.name] = { dtype: 'float32', dims: p.shape, data: this.#params.get(p.name)! };
    }
    if (this.#noiseRng) {
      const noise = noisy ? sampleNoise(noiseSpecs(this.spec.model), this.#noiseRng.act) : this.#noiseOff!;
      for (const [name, v] of noise) feeds[name] = { dtype: 'float32', dims: [v.length], data: v };
    }
    const out = await this.#runner.run(key, feeds);
    const r: ActResult = {};
    for (const k of ['logits', 'value', 'q'] as const) if (out[k]) r[k] = out[k].data as Float32Array;
    return r;
  }

  /** Parameters, optimizer state (and DQN target; a noisy model's noise streams as metadata `noise_rng`) with metadata, in the safetensors layout. */
  toSafetensors(metadata: Record<string, string> = {}): Uint8Array {
    const tensors = new Map<string, StoredTensor>();
    for (const p of paramSpecs(this.spec.model)) {
      tensors.set(p.name, { shape: p.shape, data: this.#params.get(p.name)! });
      for (const s of stateSlots(this.spec.optimizer)) tensors.set(`${p.name}.${s}`, { shape: p.shape, data: this.#state.get(`${p.name}.${s}`)! });
      if (this.#target) tensors.set(`target.${p.name}`, { shape: p.shape, data: this.#target.get(p.name)! });
    }
    const noise = this.noiseRngState;
    return encodeSafetensors(tensors, {
      ...metadata,
      format: 'mario-rl',
      spec: JSON.stringify(this.spec),
      step: String(this.#step),
      ...(noise && { [NOISE_RNG_KEY]: JSON.stringify(noise) }),
    });
  }

  /**
   * The parameters alone (no optimizer state, target or noise streams), with the spec, in the
   * safetensors layout: what an acting copy needs (a distributed run's actors read it with
   * `loadParams`), a third of `toSafetensors` with Adam.
   */
  paramsToSafetensors(metadata: Record<string, string> = {}): Uint8Array {
    const tensors = new Map<string, StoredTensor>();
    for (const p of paramSpecs(this.spec.model)) tensors.set(p.name, { shape: p.shape, data: this.#params.get(p.name)! });
    return encodeSafetensors(tensors, { ...metadata, format: 'mario-rl', spec: JSON.stringify(this.spec) });
  }

  /** Restores parameters, optimizer state, step (and noise streams) from `toSafetensors` bytes of the same spec. */
  fromSafetensors(bytes: Uint8Array): Record<string, string> {
    const { metadata, take } = this.#decode(bytes, 'spec');
    let noiseRng = this.#noiseRng;
    if (noiseRng) {
      try {
        const saved = JSON.parse(metadata[NOISE_RNG_KEY] ?? 'null') as { act: RngState; train: RngState };
        noiseRng = { act: Rng.fromState(saved.act), train: Rng.fromState(saved.train) };
      } catch (err) {
        throw new Error(`The checkpoint lacks a valid ${NOISE_RNG_KEY} (the noise streams of a noisy model): ${(err as Error).message}`, { cause: err });
      }
    }
    for (const p of paramSpecs(this.spec.model)) {
      this.#params.set(p.name, take(p.name, p.shape));
      for (const s of stateSlots(this.spec.optimizer)) this.#state.set(`${p.name}.${s}`, take(`${p.name}.${s}`, p.shape));
      if (this.#target) this.#target.set(p.name, take(`target.${p.name}`, p.shape));
    }
    this.#noiseRng = noiseRng;
    this.#step = Number(metadata.step ?? 0);
    this.#policyVersion++;
    return metadata;
  }

  /**
   * Warm start: takes only the parameters from `toSafetensors` bytes of a learner with the same
   * model (its algorithm, loss settings and optimizer may differ) and starts training afresh from
   * them: optimizer state zero, step 0, a DQN target equal to the loaded parameters and a noisy
   * model's noise streams as seeded, as in a new learner. The arrays are copies, so the bytes (a
   * whole checkpoint file) can be dropped. Returns the bytes' metadata.
   */
  loadParams(bytes: Uint8Array): Record<string, string> {
    const { metadata, take } = this.#decode(bytes, 'model');
    const params = new Map(paramSpecs(this.spec.model).map((p) => [p.name, take(p.name, p.shape).slice()]));
    this.#params = params;
    for (const key of this.#state.keys()) this.#state.set(key, new Float32Array(this.#state.get(key)!.length));
    if (this.#target) this.#target = this.#copyParams();
    if (this.#noiseRng) this.#noiseRng = { act: new Rng(this.#seed, NOISE_STREAMS.act), train: new Rng(this.#seed, NOISE_STREAMS.train) };
    this.#step = 0;
    this.#policyVersion++;
    return metadata;
  }

  /**
   * Decodes `toSafetensors` bytes written for the same spec (`'spec'`: resuming) or only the same
   * model (`'model'`: a warm start, which reads the parameters alone); `take` returns a float32
   * tensor of the expected shape or throws naming it.
   */
  #decode(bytes: Uint8Array, match: 'spec' | 'model'): { metadata: Record<string, string>; take: (name: string, shape: readonly number[]) => Float32Array } {
    const { tensors, metadata } = decodeSafetensors(bytes);
    if (metadata.spec !== undefined) {
      if (match === 'spec' && metadata.spec !== JSON.stringify(this.spec)) throw new Error(`The checkpoint was written for a different spec: ${metadata.spec}`);
      if (match === 'model') {
        const saved = JSON.stringify((JSON.parse(metadata.spec) as { model?: unknown }).model);
        const own = JSON.stringify(this.spec.model);
        if (saved !== own) throw new Error(`The checkpoint was written for a different model: ${saved}, not ${own}`);
      }
    }
    const take = (name: string, shape: readonly number[]): Float32Array => {
      const t = tensors.get(name);
      if (!t || !(t.data instanceof Float32Array) || t.data.length !== shape.reduce((a, b) => a * b, 1))
        throw new Error(`The checkpoint lacks float32 tensor ${name} of shape [${shape.join(', ')}]`);
      return t.data;
    };
    return { metadata, take };
  }

  /** [async] Writes a safetensors checkpoint. */
  async save(path: string, metadata?: Record<string, string>): Promise<void> {
    await writeFile(path, this.toSafetensors(metadata));
  }

  /** [async] Reads a safetensors checkpoint written by `save`; returns its metadata. */
  async load(path: string): Promise<Record<string, string>> {
    return this.fromSafetensors(new Uint8Array(await readFile(path)));
  }

  /** A standalone ONNX policy (uint8 `obs` [batch, C, H, W] → `logits`, `value` or `q`) with the current parameters baked in; a noisy model's means μ only. */
  policyModel(batch = 1): Uint8Array {
    return toModel(buildPolicyGraph(this.spec.model, expectInteger(batch, 'batch', 1, 1 << 20), undefined, { noise: false }), {
      params: 'baked',
      values: this.#params,
    });
  }

  /** [async] Writes `policyModel(batch)` to `path`. */
  async exportPolicy(path: string, options: { batch?: number } = {}): Promise<void> {
    await writeFile(path, this.policyModel(options.batch ?? 1));
  }

  /** [async] Stops the session worker. */
  async close(): Promise<void> {
    await this.#runner.close();
  }
}
