/**
 * `PrioritizedReplay`: proportional prioritized experience replay (Schaul et al. 2016) for
 * DQN-style learners fed by `VecEnv` lanes.
 *
 * - Frames are stored once (uint8, the newest frame of each observation) in one ring per lane and
 *   stacked at sample time; frames never leak across an episode start.
 * - n-step returns with discount γ are computed per lane and stop at episode ends: a terminated
 *   episode gives discount 0, a truncated one bootstraps from its final observation.
 * - Sampling uses the native {@link PriorityTree} (stratified, p^α), importance weights
 *   (N·P(i))^-β normalised by the largest weight (from the tree's min), β annealed linearly.
 * - Storing and sampling are decoupled: every `addBatch` stores every lane's transition.
 *
 * See docs/replay.md for the storage layout and the exact `addBatch` contract.
 */
import { loadNative } from '../native.js';
import {
  expectInteger,
  expectNumber,
  expectOneOf,
  expectOptions,
  expectTypedArray,
  expectedMessage,
  rejectUnknownKeys,
} from '../validate.js';
import { fromFloat16Bits, toFloat16Bits } from './float16.js';
import { PriorityTree } from './priority-tree.js';
import { CudaPrioritySampler } from './cuda-sampler.js';

/** Construction options of {@link PrioritizedReplay}. */
export interface PrioritizedReplayOptions {
  /** Transitions held in total, a multiple of `numEnvs` (each lane gets capacity / numEnvs slots). */
  capacity: number;
  /** Number of VecEnv lanes N fed by each `addBatch`. */
  numEnvs: number;
  /** Height and width of one frame, e.g. [84, 84]. */
  frameShape: readonly [number, number];
  /** Frames per observation (the VecEnv's frame stack), 1–16. Default 4. */
  stack?: number;
  /** How an observation's frames before its episode's first frame are filled: copies of the first frame ('repeat', default) or zeros ('zero'). Must match the env. */
  startPadding?: 'repeat' | 'zero';
  /** n of the n-step return, 1–32. Default 3. */
  nStep?: number;
  /** Discount γ in [0, 1]. Default 0.99. */
  gamma?: number;
  /** Priority exponent α ≥ 0 (0 = uniform). Default 0.6. */
  alpha?: number;
  /** Initial importance-sampling exponent β in [0, 1]. Default 0.4. */
  beta?: number;
  /** β reached after `betaSteps` sample calls (linear annealing). Default 1. */
  betaFinal?: number;
  /** Number of `sample` calls over which β goes from `beta` to `betaFinal`; 0 keeps β fixed. Default 0. */
  betaSteps?: number;
  /** ε added to |TD error| so no stored transition gets priority 0. Default 1e-6. */
  epsilon?: number;
  /** Storage of rewards and returns: 'float32' (default) or 'float16' (half the bytes, ≈ 3 significant digits). */
  scalarDtype?: 'float32' | 'float16';
  /** Seed of the sampling stream (integer in [0, 2^53 - 1]). Default 0. */
  seed?: number;
  /** Where sampling runs: 'cpu' (default) or 'cuda' (a GPU mirror of the tree; Error if no CUDA device). */
  device?: 'cpu' | 'cuda';
  /** Storage tuning: frames per storage chunk, a power of two (default: as many as fit in 1 GiB). */
  framesPerChunk?: number;
}

/** Frames are stored in chunks of at most this many bytes (one typed array holds at most 4 GiB). */
const MAX_CHUNK_BYTES = 2 ** 30;
/** Largest n of the n-step returns. */
export const MAX_REPLAY_N_STEP = 32;
/** Largest capacity in transitions. */
export const MAX_REPLAY_CAPACITY = 2 ** 30;

/** One vector-env step, as `addBatch` takes it (N = numEnvs, F = H·W). */
export interface ReplayStep {
  /** Action each lane took, Int32Array [N]. */
  actions: Int32Array;
  /** Reward each lane received, Float32Array [N]. */
  rewards: Float32Array;
  /** 1 where the lane's episode ended in a terminal state, Uint8Array [N]. */
  terminated: Uint8Array;
  /** 1 where the lane's episode was cut by a time limit, Uint8Array [N]. */
  truncated: Uint8Array;
  /**
   * The observation the step returned, Uint8Array [N, stack, H, W] (newest frame last) or [N, H, W]
   * (newest frames only). For a lane whose episode ended it is the auto-reset first observation of
   * the next episode.
   */
  obs: Uint8Array;
  /**
   * Optional: the last observation of each ended episode (before auto-reset), same layout as `obs`;
   * read only for truncated lanes, whose n-step returns then bootstrap from it. Without it a truncated
   * episode is treated as terminated (discount 0), which biases values near time limits.
   */
  finalObs?: Uint8Array;
}

/** A sampled batch; every array is written in place by `sample`/`gather` (B = batch size). */
export interface ReplayBatch {
  /** Observations s_t, Uint8Array [B, stack, H, W]. */
  obs: Uint8Array;
  /** Actions a_t, Int32Array [B]. */
  actions: Int32Array;
  /** n-step discounted returns Σ_k γ^k r_{t+k} (stopping at the episode end), Float32Array [B]. */
  returns: Float32Array;
  /** Observations s_{t+m} to bootstrap from, Uint8Array [B, stack, H, W]. */
  nextObs: Uint8Array;
  /** γ^m, or 0 when the episode terminated within the n steps, Float32Array [B]. */
  discounts: Float32Array;
  /** Importance weights (min P / P(i))^β ≤ 1, Float32Array [B]. */
  weights: Float32Array;
  /** Replay indices, for `updatePriorities`, Int32Array [B]. */
  indices: Int32Array;
}

/** What `stats()` reports. */
export interface ReplayStats {
  /** Transitions that can be sampled now. */
  size: number;
  /** Total slots (capacity). */
  capacity: number;
  /** size / capacity. */
  fillRate: number;
  /** Transitions ever added (lanes × addBatch calls). */
  pushTotal: number;
  /** Distinct indices / batch size of the last sample (0 before any). */
  uniqueRatio: number;
  /** Mean uniqueRatio over all samples so far. */
  uniqueRatioMean: number;
  /** Current β. */
  beta: number;
  /** Largest priority (|δ| + ε) seen, given to new transitions. */
  maxPriority: number;
  /** Bytes held by storage and the tree(s). */
  memoryBytes: number;
}

/** Where a replay index points: lane, that lane's episode count and the step within the episode. */
export interface TransitionInfo {
  lane: number;
  episode: number;
  step: number;
  sampleable: boolean;
}

const KNOWN_OPTIONS = [
  'capacity', 'numEnvs', 'frameShape', 'stack', 'startPadding', 'nStep', 'gamma', 'alpha', 'beta', 'betaFinal',
  'betaSteps', 'epsilon', 'scalarDtype', 'seed', 'device', 'framesPerChunk',
] as const;

// Entry flag bits.
const READY = 1; // n-step return known: sampleable unless invalidated
const BOOTSTRAP = 2; // discount γ^m (else 0)
const FINAL = 4; // holds a truncated episode's final frame; never sampled

/**
 * Frame-deduplicated prioritized replay over `numEnvs` lanes. Typical loop:
 * ```ts
 * const replay = new PrioritizedReplay({ capacity: 2 ** 20, numEnvs: 8, frameShape: [84, 84], stack: 4 });
 * replay.begin(env.reset().obs);
 * for (;;) {
 *   const step = env.step(actions);
 *   replay.addBatch({ actions, rewards: step.reward, terminated: step.terminated, truncated: step.truncated, obs: step.obs });
 *   const batch = replay.sample(256);
 *   replay.updatePriorities(batch.indices, tdErrors);
 * }
 * ```
 */
export class PrioritizedReplay {
  readonly #capacity: number;
  readonly #lanes: number;
  readonly #laneCapacity: number;
  readonly #height: number;
  readonly #width: number;
  readonly #frameBytes: number;
  readonly #stack: number;
  readonly #padding: 'repeat' | 'zero';
  readonly #nStep: number;
  readonly #gamma: number;
  readonly #alpha: number;
  readonly #betaStart: number;
  readonly #betaFinal: number;
  readonly #betaSteps: number;
  readonly #epsilon: number;
  readonly #half: boolean;

  readonly #tree: PriorityTree;
  readonly #cuda: CudaPrioritySampler | undefined;
  // Frames in chunks of 2^#chunkShift (a typed array holds at most 4 GiB): slot e lives in
  // chunk e >> #chunkShift at row e & #chunkMask.
  readonly #frameChunks: Uint8Array[];
  readonly #chunkShift: number;
  readonly #chunkMask: number;
  readonly #actions: Int32Array;
  readonly #rewards: Float32Array | Uint16Array;
  readonly #returns: Float32Array | Uint16Array;
  readonly #nextOffset: Uint8Array;
  readonly #flags: Uint8Array;
  readonly #epStep: Int32Array;
  readonly #episode: Int32Array;
  readonly #gammaPowers: Float64Array;

  // Per lane: absolute position of the slot holding the current observation (action not yet known),
  // the episode counter, and whether begin() has run.
  readonly #head: Float64Array;
  readonly #laneEpisode: Int32Array;
  #begun = false;

  // Pending tree writes of one addBatch, flushed in one set().
  readonly #pendingIdx: Int32Array;
  readonly #pendingP: Float64Array;
  #pendingCount = 0;

  #seed: number;
  #seedPending = true;
  #sampleCalls = 0;
  #pushTotal = 0;
  #size = 0;
  #maxPriority = 1;
  #lastUnique = 0;
  #uniqueSum = 0;
  readonly #batches = new Map<number, ReplayBatch>();
  #scratchIdx = new Int32Array(0);
  #scratchP = new Float64Array(0);
  #obsRows = new Int32Array(0);
  #nextRows = new Int32Array(0);

  /** Validates options and allocates all storage once. TypeError/RangeError for a bad option. */
  constructor(options: PrioritizedReplayOptions) {
    const o = expectOptions<PrioritizedReplayOptions>(options, 'PrioritizedReplay options');
    rejectUnknownKeys(o, 'PrioritizedReplay options', KNOWN_OPTIONS);
    this.#lanes = expectInteger(o.numEnvs, 'numEnvs', 1, 65536);
    if (!Array.isArray(o.frameShape) || o.frameShape.length !== 2) {
      throw new TypeError(expectedMessage('an array [height, width]', 'frameShape', o.frameShape));
    }
    this.#height = expectInteger(o.frameShape[0], 'frameShape[0]', 1, 4096);
    this.#width = expectInteger(o.frameShape[1], 'frameShape[1]', 1, 4096);
    this.#frameBytes = this.#height * this.#width;
    this.#stack = o.stack === undefined ? 4 : expectInteger(o.stack, 'stack', 1, 16);
    this.#padding = o.startPadding === undefined ? 'repeat' : expectOneOf(o.startPadding, 'startPadding', ['repeat', 'zero'] as const);
    this.#nStep = o.nStep === undefined ? 3 : expectInteger(o.nStep, 'nStep', 1, MAX_REPLAY_N_STEP);
    this.#gamma = o.gamma === undefined ? 0.99 : expectNumber(o.gamma, 'gamma', 0, 1);
    this.#alpha = o.alpha === undefined ? 0.6 : expectNumber(o.alpha, 'alpha', 0, 16);
    this.#betaStart = o.beta === undefined ? 0.4 : expectNumber(o.beta, 'beta', 0, 1);
    this.#betaFinal = o.betaFinal === undefined ? 1 : expectNumber(o.betaFinal, 'betaFinal', 0, 1);
    this.#betaSteps = o.betaSteps === undefined ? 0 : expectInteger(o.betaSteps, 'betaSteps', 0, Number.MAX_SAFE_INTEGER);
    this.#epsilon = o.epsilon === undefined ? 1e-6 : expectNumber(o.epsilon, 'epsilon', Number.MIN_VALUE, 1);
    this.#half = (o.scalarDtype === undefined ? 'float32' : expectOneOf(o.scalarDtype, 'scalarDtype', ['float32', 'float16'] as const)) === 'float16';
    this.#seed = o.seed === undefined ? 0 : expectInteger(o.seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
    const device = o.device === undefined ? 'cpu' : expectOneOf(o.device, 'device', ['cpu', 'cuda'] as const);

    const minLane = this.#nStep + this.#stack + 2;
    this.#capacity = expectInteger(o.capacity, 'capacity', this.#lanes * minLane, MAX_REPLAY_CAPACITY);
    if (this.#capacity % this.#lanes !== 0) {
      throw new RangeError(expectedMessage(`a multiple of numEnvs (${this.#lanes})`, 'capacity', o.capacity));
    }
    this.#laneCapacity = this.#capacity / this.#lanes;

    const c = this.#capacity;
    this.#tree = new PriorityTree(c);
    const maxChunkRows = Math.max(1, Math.floor(MAX_CHUNK_BYTES / this.#frameBytes));
    const framesPerChunk =
      o.framesPerChunk === undefined
        ? 2 ** Math.floor(Math.log2(maxChunkRows))
        : expectInteger(o.framesPerChunk, 'framesPerChunk', 1, maxChunkRows);
    if ((framesPerChunk & (framesPerChunk - 1)) !== 0) {
      throw new RangeError(expectedMessage('a power of two', 'framesPerChunk', framesPerChunk));
    }
    this.#chunkShift = Math.log2(framesPerChunk);
    this.#chunkMask = framesPerChunk - 1;
    this.#frameChunks = [];
    for (let start = 0; start < c; start += framesPerChunk) {
      this.#frameChunks.push(new Uint8Array(Math.min(framesPerChunk, c - start) * this.#frameBytes));
    }
    this.#actions = new Int32Array(c);
    this.#rewards = this.#half ? new Uint16Array(c) : new Float32Array(c);
    this.#returns = this.#half ? new Uint16Array(c) : new Float32Array(c);
    this.#nextOffset = new Uint8Array(c);
    this.#flags = new Uint8Array(c);
    this.#epStep = new Int32Array(c);
    this.#episode = new Int32Array(c);
    this.#gammaPowers = Float64Array.from({ length: this.#nStep + 2 }, (_, k) => this.#gamma ** k);
    this.#head = new Float64Array(this.#lanes);
    this.#laneEpisode = new Int32Array(this.#lanes);
    // Tree writes one lane can queue per call: two slot writes (final frame + next observation),
    // each invalidating up to `stack` old entries, plus up to nStep + 1 newly ready ones.
    const perLane = 2 * this.#stack + this.#nStep + 4;
    this.#pendingIdx = new Int32Array(this.#lanes * perLane);
    this.#pendingP = new Float64Array(this.#lanes * perLane);
    this.#cuda = device === 'cuda' ? new CudaPrioritySampler(this.#tree) : undefined;
  }

  /** Total transition slots. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Transitions that can be sampled now. */
  get size(): number {
    return this.#size;
  }

  /** β for the next `sample` call (annealed linearly over `betaSteps` calls). */
  get beta(): number {
    if (this.#betaSteps === 0) return this.#betaStart;
    const f = Math.min(1, this.#sampleCalls / this.#betaSteps);
    return this.#betaStart + (this.#betaFinal - this.#betaStart) * f;
  }

  /** The underlying tree (priorities are (|δ| + ε)^α). */
  get tree(): PriorityTree {
    return this.#tree;
  }

  /**
   * Starts every lane from its reset observation (Uint8Array [N, stack, H, W] or [N, H, W]).
   * Call once before the first `addBatch`; calling again starts new episodes on every lane.
   * TypeError/RangeError for a wrong array; Error if the older stack frames do not match `startPadding`.
   */
  begin(obs: Uint8Array): void {
    const perLane = this.#obsPerLane(obs, 'obs');
    const L = this.#laneCapacity;
    for (let lane = 0; lane < this.#lanes; lane++) {
      let pos = this.#head[lane];
      if (this.#begun && this.#epStep[lane * L + (pos % L)] > 0) {
        // The running episode is cut here: like a truncation whose final observation is the
        // current one, which keeps its slot (never sampled) so open windows can bootstrap from it.
        this.#flags[lane * L + (pos % L)] |= FINAL;
        this.#finishEpisode(lane, pos - 1, true, pos);
        pos++;
      }
      if (this.#begun) this.#laneEpisode[lane]++;
      this.#writeObservation(lane, pos, obs, perLane, 0, 'obs');
      this.#head[lane] = pos;
    }
    this.#begun = true;
    this.#flush();
  }

  /**
   * Stores one vector-env step for every lane (see {@link ReplayStep} and docs/replay.md).
   * Transitions become sampleable once their n-step return is known (n steps later, or at the
   * episode end). TypeError/RangeError for wrong arrays; Error if `begin` was not called.
   */
  addBatch(step: ReplayStep): void {
    const s = expectOptions<ReplayStep>(step, 'addBatch step');
    rejectUnknownKeys(s, 'addBatch step', ['actions', 'rewards', 'terminated', 'truncated', 'obs', 'finalObs']);
    if (!this.#begun) throw new Error('PrioritizedReplay.addBatch: call begin(obs) with the reset observations first');
    const n = this.#lanes;
    const actions = expectTypedArray(s.actions, 'actions', Int32Array, n);
    const rewards = expectTypedArray(s.rewards, 'rewards', Float32Array, n);
    const terminated = expectTypedArray(s.terminated, 'terminated', Uint8Array, n);
    const truncated = expectTypedArray(s.truncated, 'truncated', Uint8Array, n);
    const obs = s.obs as Uint8Array;
    const perLane = this.#obsPerLane(obs, 'obs');
    const finalObs = s.finalObs;
    const finalPerLane = finalObs === undefined ? 0 : this.#obsPerLane(finalObs, 'finalObs');
    for (let lane = 0; lane < n; lane++) {
      if (!Number.isFinite(rewards[lane])) {
        throw new RangeError(expectedMessage('a finite number', `rewards[${lane}]`, rewards[lane]));
      }
    }

    const L = this.#laneCapacity;
    for (let lane = 0; lane < n; lane++) {
      const pos = this.#head[lane];
      const e = lane * L + (pos % L);
      this.#actions[e] = actions[lane];
      if (this.#half) (this.#rewards as Uint16Array)[e] = toFloat16Bits(rewards[lane]);
      else this.#rewards[e] = rewards[lane];
      let next = pos + 1;
      if (terminated[lane]) {
        this.#finishEpisode(lane, pos, false, 0);
      } else if (truncated[lane] && finalObs !== undefined) {
        // The final frame gets its own never-sampled slot so truncated windows can bootstrap.
        this.#writeObservation(lane, next, finalObs, finalPerLane, this.#epStep[e] + 1, 'finalObs', FINAL);
        this.#finishEpisode(lane, pos, true, next);
        next++;
      } else if (truncated[lane]) {
        this.#finishEpisode(lane, pos, false, 0);
      } else {
        this.#writeObservation(lane, next, obs, perLane, this.#epStep[e] + 1, 'obs');
        // The window starting n steps back is complete now.
        const start = next - this.#nStep;
        if (start >= 0) {
          const i = lane * L + (start % L);
          if (this.#episode[i] === this.#laneEpisode[lane] && this.#epStep[i] === this.#epStep[e] + 1 - this.#nStep) {
            this.#makeReady(i, lane, start, next, true);
          }
        }
        this.#head[lane] = next;
        continue;
      }
      this.#laneEpisode[lane]++;
      this.#writeObservation(lane, next, obs, perLane, 0, 'obs');
      this.#head[lane] = next;
    }
    this.#pushTotal += n;
    this.#flush();
  }

  /** Allocates a batch of `batchSize` transitions for `sample`/`gather` to fill. */
  createBatch(batchSize: number): ReplayBatch {
    expectInteger(batchSize, 'batchSize', 1, 1 << 20);
    const obsBytes = batchSize * this.#stack * this.#frameBytes;
    return {
      obs: new Uint8Array(obsBytes),
      actions: new Int32Array(batchSize),
      returns: new Float32Array(batchSize),
      nextObs: new Uint8Array(obsBytes),
      discounts: new Float32Array(batchSize),
      weights: new Float32Array(batchSize),
      indices: new Int32Array(batchSize),
    };
  }

  /**
   * Draws `batchSize` transitions (stratified, P(i) ∝ priority) and fills `out` (a batch from
   * `createBatch`; when omitted, one cached per batch size is reused and overwritten by the next
   * call). Advances β's annealing. Error when nothing is sampleable yet.
   */
  sample(batchSize: number, out?: ReplayBatch): ReplayBatch {
    expectInteger(batchSize, 'batchSize', 1, 1 << 20);
    const batch = out === undefined ? this.#cachedBatch(batchSize) : this.#checkBatch(out, batchSize);
    if (this.#size === 0) throw new Error('PrioritizedReplay.sample: no transition is sampleable yet (add more steps)');
    const beta = this.beta;
    if (this.#cuda) {
      // Same seeded stream and targets as the CPU path, so both draw the same indices.
      this.#cuda.sample(batch.indices, batch.weights, beta, this.#seedPending ? this.#seed : -1);
      this.#seedPending = false;
      this.#fill(batch, batchSize, -1);
    } else {
      this.#tree.raw.sample(batch.indices, this.#seedPending ? this.#seed : -1);
      this.#seedPending = false;
      this.#fill(batch, batchSize, beta);
    }
    this.#sampleCalls++;
    this.#recordUnique(batch.indices);
    return batch;
  }

  /**
   * Fills `out` with the transitions at `indices` (weights for the current β); RangeError for an
   * index that is not sampleable. For inspection and tests; `sample` is gather at drawn indices.
   */
  gather(indices: Int32Array, out?: ReplayBatch): ReplayBatch {
    expectTypedArray(indices, 'indices', Int32Array);
    const batch = out === undefined ? this.createBatch(indices.length) : this.#checkBatch(out, indices.length);
    for (let b = 0; b < indices.length; b++) {
      const i = indices[b];
      if (!Number.isInteger(i) || i < 0 || i >= this.#capacity || !this.#sampleable(i)) {
        throw new RangeError(expectedMessage('the index of a sampleable transition', `indices[${b}]`, i));
      }
    }
    batch.indices.set(indices);
    this.#fill(batch, indices.length, this.beta);
    return batch;
  }

  /**
   * Sets the priorities of sampled transitions to (|tdErrors[i]| + ε)^α. Indices not sampleable
   * now (overwritten since they were drawn, not yet ready again) are skipped; a slot already
   * refilled and ready takes the update, so update soon after sampling. RangeError naming the position
   * for an index outside [0, capacity) or a NaN/infinite TD error; nothing changes then.
   */
  updatePriorities(indices: Int32Array, tdErrors: Float32Array | Float64Array): void {
    expectTypedArray(indices, 'indices', Int32Array);
    if (!(tdErrors instanceof Float32Array) && !(tdErrors instanceof Float64Array)) {
      throw new TypeError(expectedMessage('a Float32Array or Float64Array', 'tdErrors', tdErrors));
    }
    if (tdErrors.length !== indices.length) {
      throw new RangeError(expectedMessage(`a typed array of length ${indices.length} (as indices)`, 'tdErrors', tdErrors));
    }
    const count = indices.length;
    for (let k = 0; k < count; k++) {
      const i = indices[k];
      if (i < 0 || i >= this.#capacity) {
        throw new RangeError(expectedMessage(`an integer in [0, ${this.#capacity - 1}]`, `indices[${k}]`, i));
      }
      if (!Number.isFinite(tdErrors[k])) {
        throw new RangeError(expectedMessage('a finite TD error', `tdErrors[${k}] (replay index ${i})`, tdErrors[k]));
      }
    }
    if (this.#scratchIdx.length < count) {
      this.#scratchIdx = new Int32Array(count);
      this.#scratchP = new Float64Array(count);
    }
    let m = 0;
    for (let k = 0; k < count; k++) {
      const i = indices[k];
      if (!this.#sampleable(i)) continue;
      const p = Math.abs(tdErrors[k]) + this.#epsilon;
      if (p > this.#maxPriority) this.#maxPriority = p;
      this.#scratchIdx[m] = i;
      this.#scratchP[m] = p ** this.#alpha;
      m++;
    }
    if (m > 0) this.#setPriorities(this.#scratchIdx.subarray(0, m), this.#scratchP.subarray(0, m));
  }

  /** Where index points (lane, episode count on that lane, step within the episode) and whether it is sampleable. */
  transitionInfo(index: number): TransitionInfo {
    expectInteger(index, 'index', 0, this.#capacity - 1);
    return {
      lane: Math.floor(index / this.#laneCapacity),
      episode: this.#episode[index],
      step: this.#epStep[index],
      sampleable: this.#sampleable(index),
    };
  }

  /** Size, capacity, fill rate, pushes, unique ratio of the last sample and its mean, β, memory. */
  stats(): ReplayStats {
    const bytes =
      this.#frameChunks.reduce((sum, chunk) => sum + chunk.byteLength, 0) + this.#actions.byteLength + this.#rewards.byteLength + this.#returns.byteLength +
      this.#nextOffset.byteLength + this.#flags.byteLength + this.#epStep.byteLength + this.#episode.byteLength +
      this.#tree.memoryBytes + (this.#cuda?.memoryBytes ?? 0);
    return {
      size: this.#size,
      capacity: this.#capacity,
      fillRate: this.#size / this.#capacity,
      pushTotal: this.#pushTotal,
      uniqueRatio: this.#lastUnique,
      uniqueRatioMean: this.#sampleCalls === 0 ? 0 : this.#uniqueSum / this.#sampleCalls,
      beta: this.beta,
      maxPriority: this.#maxPriority,
      memoryBytes: bytes,
    };
  }

  /** Frees the GPU mirror when device is 'cuda' (no-op otherwise). */
  dispose(): void {
    this.#cuda?.dispose();
  }

  // ---- storage ----

  #obsPerLane(obs: unknown, name: string): number {
    const stacked = this.#lanes * this.#stack * this.#frameBytes;
    const single = this.#lanes * this.#frameBytes;
    if (!(obs instanceof Uint8Array)) {
      throw new TypeError(expectedMessage(`a Uint8Array of length ${stacked} or ${single}`, name, obs));
    }
    if (obs.length === stacked) return this.#stack;
    if (obs.length === single) return 1;
    throw new RangeError(
      expectedMessage(`a Uint8Array of length ${stacked} ([N, stack, H, W]) or ${single} ([N, H, W])`, name, obs),
    );
  }

  /** Writes the newest frame of lane's observation at absolute position pos (a new slot). */
  #writeObservation(lane: number, pos: number, obs: Uint8Array, perLane: number, epStep: number, name: string, flags = 0): void {
    const L = this.#laneCapacity;
    const e = lane * L + (pos % L);
    this.#invalidateForOverwrite(lane, pos);
    const F = this.#frameBytes;
    const src = (lane * perLane + perLane - 1) * F;
    if (epStep === 0 && perLane > 1) this.#checkStartPadding(obs, lane, perLane, name);
    this.#frameChunks[e >> this.#chunkShift].set(obs.subarray(src, src + F), (e & this.#chunkMask) * F);
    this.#flags[e] = flags;
    this.#epStep[e] = epStep;
    this.#episode[e] = this.#laneEpisode[lane];
    this.#nextOffset[e] = 0;
  }

  #checkStartPadding(obs: Uint8Array, lane: number, perLane: number, name: string): void {
    const F = this.#frameBytes;
    const base = lane * perLane * F;
    const newest = base + (perLane - 1) * F;
    for (let k = 0; k < perLane - 1; k++) {
      const off = base + k * F;
      for (let b = 0; b < F; b++) {
        const expected = this.#padding === 'repeat' ? obs[newest + b] : 0;
        if (obs[off + b] !== expected) {
          throw new Error(
            `${name} of lane ${lane} starts an episode, but its stack frame ${k} is not ${this.#padding === 'repeat' ? 'a copy of the newest frame' : 'zeros'} ` +
              `(startPadding '${this.#padding}'); set startPadding to match how the env fills a reset stack`,
          );
        }
      }
    }
  }

  /**
   * Position pos is about to overwrite the slot of pos - L: that entry, and entries whose stack
   * reaches back to it, stop being sampleable.
   */
  #invalidateForOverwrite(lane: number, pos: number): void {
    const L = this.#laneCapacity;
    const lost = pos - L;
    if (lost < 0) return;
    for (let i = lost; i < lost + this.#stack && i < pos; i++) {
      const e = lane * L + (i % L);
      if (!(this.#flags[e] & READY)) continue;
      const oldest = i - Math.min(this.#stack - 1, this.#epStep[e]);
      if (oldest <= lost) {
        this.#flags[e] &= ~READY;
        this.#size--;
        this.#queue(e, 0);
      }
    }
  }

  /** Episode of lane ended at position last: its open windows become ready. */
  #finishEpisode(lane: number, last: number, bootstrap: boolean, finalPos: number): void {
    const L = this.#laneCapacity;
    const eLast = lane * L + (last % L);
    const first = last - Math.min(this.#nStep - 1, this.#epStep[eLast]);
    for (let pos = first; pos <= last; pos++) {
      const i = lane * L + (pos % L);
      if (this.#flags[i] & (READY | FINAL)) continue;
      this.#makeReady(i, lane, pos, bootstrap ? finalPos : last, bootstrap, last);
    }
  }

  /** Computes the n-step return of the entry at (lane, pos) and makes it sampleable. */
  #makeReady(i: number, lane: number, pos: number, nextPos: number, bootstrap: boolean, lastReward = nextPos - 1): void {
    const L = this.#laneCapacity;
    let ret = 0;
    for (let t = pos, k = 0; t <= lastReward; t++, k++) {
      const e = lane * L + (t % L);
      const r = this.#half ? fromFloat16Bits((this.#rewards as Uint16Array)[e]) : this.#rewards[e];
      ret += this.#gammaPowers[k] * r;
    }
    if (this.#half) (this.#returns as Uint16Array)[i] = toFloat16Bits(ret);
    else this.#returns[i] = ret;
    this.#nextOffset[i] = nextPos - pos;
    this.#flags[i] = (this.#flags[i] & ~BOOTSTRAP) | READY | (bootstrap ? BOOTSTRAP : 0);
    this.#size++;
    this.#queue(i, this.#maxPriority ** this.#alpha);
  }

  #queue(index: number, priority: number): void {
    if (this.#pendingCount === this.#pendingIdx.length) this.#flush(); // never expected; keeps order if it happens
    this.#pendingIdx[this.#pendingCount] = index;
    this.#pendingP[this.#pendingCount] = priority;
    this.#pendingCount++;
  }

  #flush(): void {
    if (this.#pendingCount === 0) return;
    this.#setPriorities(this.#pendingIdx.subarray(0, this.#pendingCount), this.#pendingP.subarray(0, this.#pendingCount));
    this.#pendingCount = 0;
  }

  #setPriorities(indices: Int32Array, priorities: Float64Array): void {
    this.#tree.raw.set(indices, priorities);
    this.#cuda?.set(indices, priorities);
  }

  #sampleable(i: number): boolean {
    return (this.#flags[i] & READY) !== 0;
  }

  // ---- sampling ----

  /** Gathers frames and scalars for batch.indices; computes weights unless beta < 0 (already set). */
  #fill(batch: ReplayBatch, count: number, beta: number): void {
    const L = this.#laneCapacity;
    const S = this.#stack;
    if (beta >= 0) {
      if (this.#scratchP.length < count) {
        this.#scratchIdx = new Int32Array(count);
        this.#scratchP = new Float64Array(count);
      }
      const p = this.#scratchP.subarray(0, count);
      this.#tree.raw.getMany(batch.indices, p);
      const min = this.#tree.min;
      for (let b = 0; b < count; b++) batch.weights[b] = (min / p[b]) ** beta;
    }
    // Which stored frame goes in each output frame slot (-1: zero padding); copied natively.
    if (this.#obsRows.length < count * S) {
      this.#obsRows = new Int32Array(count * S);
      this.#nextRows = new Int32Array(count * S);
    }
    const obsRows = this.#obsRows.subarray(0, count * S);
    const nextRows = this.#nextRows.subarray(0, count * S);
    for (let b = 0; b < count; b++) {
      const i = batch.indices[b];
      const lane = Math.floor(i / L);
      const slot = i - lane * L;
      const laneBase = lane * L;
      batch.actions[b] = this.#actions[i];
      batch.returns[b] = this.#half ? fromFloat16Bits((this.#returns as Uint16Array)[i]) : this.#returns[i];
      const m = this.#nextOffset[i];
      batch.discounts[b] = this.#flags[i] & BOOTSTRAP ? this.#gammaPowers[m] : 0;
      this.#stackRows(obsRows, b * S, laneBase, slot, this.#epStep[i]);
      const nextSlot = (slot + m) % L;
      this.#stackRows(nextRows, b * S, laneBase, nextSlot, this.#epStep[laneBase + nextSlot]);
    }
    const gather = loadNative().gatherRows;
    const rowsPerChunk = this.#chunkMask + 1;
    gather(this.#frameChunks, rowsPerChunk, this.#frameBytes, obsRows, batch.obs);
    gather(this.#frameChunks, rowsPerChunk, this.#frameBytes, nextRows, batch.nextObs);
  }

  /** Frame rows of the stack ending at (laneBase + slot), padded before the episode start. */
  #stackRows(rows: Int32Array, offset: number, laneBase: number, slot: number, epStep: number): void {
    const L = this.#laneCapacity;
    const S = this.#stack;
    for (let k = 0; k < S; k++) {
      const back = S - 1 - k;
      rows[offset + k] =
        back > epStep && this.#padding === 'zero' ? -1 : laneBase + ((slot - Math.min(back, epStep) + L) % L);
    }
  }

  #recordUnique(indices: Int32Array): void {
    if (this.#scratchIdx.length < indices.length) {
      this.#scratchIdx = new Int32Array(indices.length);
      this.#scratchP = new Float64Array(indices.length);
    }
    const sorted = this.#scratchIdx.subarray(0, indices.length);
    sorted.set(indices);
    sorted.sort();
    let unique = sorted.length > 0 ? 1 : 0;
    for (let k = 1; k < sorted.length; k++) if (sorted[k] !== sorted[k - 1]) unique++;
    this.#lastUnique = unique / indices.length;
    this.#uniqueSum += this.#lastUnique;
  }

  #cachedBatch(batchSize: number): ReplayBatch {
    let batch = this.#batches.get(batchSize);
    if (!batch) {
      batch = this.createBatch(batchSize);
      this.#batches.set(batchSize, batch);
    }
    return batch;
  }

  #checkBatch(out: unknown, batchSize: number): ReplayBatch {
    const b = expectOptions<ReplayBatch>(out, 'out');
    const obsBytes = batchSize * this.#stack * this.#frameBytes;
    expectTypedArray(b.obs, 'out.obs', Uint8Array, obsBytes);
    expectTypedArray(b.nextObs, 'out.nextObs', Uint8Array, obsBytes);
    expectTypedArray(b.actions, 'out.actions', Int32Array, batchSize);
    expectTypedArray(b.returns, 'out.returns', Float32Array, batchSize);
    expectTypedArray(b.discounts, 'out.discounts', Float32Array, batchSize);
    expectTypedArray(b.weights, 'out.weights', Float32Array, batchSize);
    expectTypedArray(b.indices, 'out.indices', Int32Array, batchSize);
    return b as ReplayBatch;
  }
}

