/**
 * `PrioritizedReplay`: proportional prioritized experience replay (Schaul et al. 2016) for
 * DQN-style learners fed by `VecEnv` lanes.
 *
 * Pipeline: `addBatch(step)` → n-step staging (NStepStaging over algos/nstep.ts) completes returns →
 * TransitionStore + FrameStore keep one frame and one transition per lane slot → PriorityBackend
 * queues their priorities and flushes them in one tree batch; `sample(B)` → PriorityBackend draws B
 * indices and weights (β from BetaSchedule) → BatchAssembler gathers stacks and scalars into a
 * preallocated ReplayBatch.
 *
 * - Frames are stored once (uint8, the newest frame of each observation) in one ring per lane and
 *   stacked at sample time; frames never leak across an episode start.
 * - n-step returns with discount γ are computed per lane and stop at episode ends: a terminated
 *   episode gives discount 0, a truncated one bootstraps from its final observation.
 * - Sampling uses the native {@link PriorityTree} (stratified, p^α), importance weights
 *   (N·P(i))^-β normalised by the largest weight (from the tree's min), β annealed linearly.
 * - Storing and sampling are decoupled: every `addBatch` stores every lane's transition.
 * - The whole state can be saved and restored exactly (`exportState`, `importState`, `fromState`).
 *
 * Threading: every method is synchronous and the object is single-threaded; the parts it owns
 * (listed above) are never shared. See docs/replay.md for the storage layout, the exact
 * `addBatch` contract and the saved state's format.
 */
import { expectInteger, expectOptions, expectTypedArray, expectedMessage, rejectUnknownKeys } from '../validate.js';
import { BatchAssembler, type ReplayBatch } from './batch-assembly.js';
import { BetaSchedule } from './beta-schedule.js';
import { checkStartPadding, FrameStore, observationFrames } from './frame-store.js';
import { NStepStaging } from './nstep-staging.js';
import { PriorityBackend } from './priority-backend.js';
import type { PriorityTree } from './priority-tree.js';
import { expectSameOptions, resolveReplayOptions, type PrioritizedReplayOptions, type ResolvedReplayOptions } from './replay-options.js';
import {
  bytesOf,
  checkStateContents,
  checkStateHeader,
  expectReplayState,
  REPLAY_STATE_FORMAT,
  REPLAY_STATE_VERSION,
  replayStateLayout,
  SectionReader,
  type ReplayState,
} from './replay-state.js';
import { FINAL, TransitionStore } from './transition-store.js';

export type { PrioritizedReplayOptions, ResolvedReplayOptions } from './replay-options.js';
export { MAX_REPLAY_CAPACITY, MAX_REPLAY_N_STEP } from './replay-options.js';
export type { ReplayBatch } from './batch-assembly.js';
export type { ReplayState, ReplayStateHeader, ReplayStateSection, ReplayStateDtype } from './replay-state.js';

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

/** Options `fromState` may set: where sampling runs and storage tuning (everything else comes from the state). */
export type ReplayRestoreOptions = Pick<PrioritizedReplayOptions, 'device' | 'framesPerChunk'>;

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
  readonly #options: ResolvedReplayOptions;
  readonly #lanes: number;
  readonly #frameBytes: number;
  readonly #priorities: PriorityBackend;
  readonly #store: TransitionStore;
  readonly #frames: FrameStore;
  readonly #staging: NStepStaging;
  readonly #assembler: BatchAssembler;
  readonly #beta: BetaSchedule;

  #begun = false;
  #sampleCalls = 0;
  #pushTotal = 0;
  #lastUnique = 0;
  #uniqueSum = 0;
  #sortScratch = new Int32Array(0); // [B] indices sorted, for the unique ratio
  readonly #isSampleable = (i: number): boolean => this.#store.sampleable(i);

  /** Validates options and allocates all storage once. TypeError/RangeError for a bad option. */
  constructor(options: PrioritizedReplayOptions) {
    const o = resolveReplayOptions(options);
    this.#options = o;
    this.#lanes = o.numEnvs;
    this.#frameBytes = o.frameShape[0] * o.frameShape[1];
    const laneCapacity = o.capacity / o.numEnvs;
    // Tree writes one lane can queue per call: two slot writes (final frame + next observation),
    // each invalidating up to `stack` old entries, plus up to nStep + 1 newly ready ones.
    const perLane = 2 * o.stack + o.nStep + 4;
    this.#priorities = new PriorityBackend({
      capacity: o.capacity,
      alpha: o.alpha,
      epsilon: o.epsilon,
      seed: o.seed,
      device: o.device,
      queueCapacity: o.numEnvs * perLane,
    });
    this.#frames = new FrameStore(o.capacity, this.#frameBytes, o.framesPerChunk);
    this.#store = new TransitionStore(o.numEnvs, laneCapacity, o.stack, o.scalarDtype, this.#priorities);
    this.#staging = new NStepStaging(this.#store, o.nStep, o.gamma, o.scalarDtype);
    this.#assembler = new BatchAssembler(this.#store, this.#frames, o.startPadding, this.#staging.powers);
    this.#beta = new BetaSchedule(o.beta, o.betaFinal, o.betaSteps);
  }

  /** Total transition slots. */
  get capacity(): number {
    return this.#options.capacity;
  }

  /** Transitions that can be sampled now. */
  get size(): number {
    return this.#store.size;
  }

  /** β for the next `sample` call (annealed linearly over `betaSteps` calls). */
  get beta(): number {
    return this.#beta.at(this.#sampleCalls);
  }

  /** The underlying tree (priorities are (|δ| + ε)^α). */
  get tree(): PriorityTree {
    return this.#priorities.tree;
  }

  /**
   * Starts every lane from its reset observation (Uint8Array [N, stack, H, W] or [N, H, W]).
   * Call once before the first `addBatch`; calling again starts new episodes on every lane.
   * TypeError/RangeError for a wrong array; Error if the older stack frames do not match `startPadding`.
   */
  begin(obs: Uint8Array): void {
    const perLane = this.#obsFrames(obs, 'obs');
    for (let lane = 0; lane < this.#lanes; lane++) this.#checkStart(obs, lane, perLane, 'obs');
    const st = this.#store;
    // Running episodes are cut here: like a truncation whose final observation is the current one,
    // which keeps its slot (never sampled) so open windows can bootstrap from it.
    if (this.#begun) this.#staging.cut();
    for (let lane = 0; lane < this.#lanes; lane++) {
      let pos = st.head[lane];
      if (this.#begun && st.epStep[st.index(lane, pos)] > 0) {
        st.flags[st.index(lane, pos)] |= FINAL;
        pos++;
      }
      if (this.#begun) st.laneEpisode[lane]++;
      this.#writeObservation(lane, pos, obs, perLane, 0, 0);
      st.head[lane] = pos;
    }
    this.#begun = true;
    this.#priorities.flush();
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
    const perLane = this.#obsFrames(obs, 'obs');
    const finalObs = s.finalObs;
    const finalPerLane = finalObs === undefined ? 0 : this.#obsFrames(finalObs, 'finalObs');
    for (let lane = 0; lane < n; lane++) {
      if (!Number.isFinite(rewards[lane])) {
        throw new RangeError(expectedMessage('a finite number', `rewards[${lane}]`, rewards[lane]));
      }
    }
    for (let lane = 0; lane < n; lane++) if (terminated[lane] || truncated[lane]) this.#checkStart(obs, lane, perLane, 'obs');

    const st = this.#store;
    this.#staging.step(rewards, terminated, truncated, finalObs !== undefined);
    for (let lane = 0; lane < n; lane++) {
      const pos = st.head[lane];
      const e = st.index(lane, pos);
      st.actions[e] = actions[lane];
      let next = pos + 1;
      if (!terminated[lane] && !truncated[lane]) {
        this.#writeObservation(lane, next, obs, perLane, st.epStep[e] + 1, 0);
        st.head[lane] = next;
        continue;
      }
      if (!terminated[lane] && finalObs !== undefined) {
        // The final frame gets its own never-sampled slot so truncated windows can bootstrap.
        this.#writeObservation(lane, next, finalObs, finalPerLane, st.epStep[e] + 1, FINAL);
        next++;
      }
      st.laneEpisode[lane]++;
      this.#writeObservation(lane, next, obs, perLane, 0, 0);
      st.head[lane] = next;
    }
    this.#pushTotal += n;
    this.#priorities.flush();
  }

  /** Allocates a batch of `batchSize` transitions for `sample`/`gather` to fill. */
  createBatch(batchSize: number): ReplayBatch {
    return this.#assembler.create(batchSize);
  }

  /**
   * Draws `batchSize` transitions (stratified, P(i) ∝ priority) and fills `out` (a batch from
   * `createBatch`; when omitted, one cached per batch size is reused and overwritten by the next
   * call). Advances β's annealing. Error when nothing is sampleable yet.
   */
  sample(batchSize: number, out?: ReplayBatch): ReplayBatch {
    expectInteger(batchSize, 'batchSize', 1, 1 << 20);
    const batch = out === undefined ? this.#assembler.cached(batchSize) : this.#assembler.check(out, batchSize);
    if (this.size === 0) throw new Error('PrioritizedReplay.sample: no transition is sampleable yet (add more steps)');
    this.#priorities.sample(batch.indices, batch.weights, this.beta);
    this.#assembler.fill(batch, batchSize);
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
    const batch = out === undefined ? this.createBatch(indices.length) : this.#assembler.check(out, indices.length);
    for (let b = 0; b < indices.length; b++) {
      const i = indices[b];
      if (!Number.isInteger(i) || i < 0 || i >= this.capacity || !this.#store.sampleable(i)) {
        throw new RangeError(expectedMessage('the index of a sampleable transition', `indices[${b}]`, i));
      }
    }
    batch.indices.set(indices);
    this.#priorities.weights(batch.indices, batch.weights, this.beta);
    this.#assembler.fill(batch, indices.length);
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
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      if (i < 0 || i >= this.capacity) {
        throw new RangeError(expectedMessage(`an integer in [0, ${this.capacity - 1}]`, `indices[${k}]`, i));
      }
      if (!Number.isFinite(tdErrors[k])) {
        throw new RangeError(expectedMessage('a finite TD error', `tdErrors[${k}] (replay index ${i})`, tdErrors[k]));
      }
    }
    this.#priorities.update(indices, tdErrors, this.#isSampleable);
  }

  /** Where index points (lane, episode count on that lane, step within the episode) and whether it is sampleable. */
  transitionInfo(index: number): TransitionInfo {
    expectInteger(index, 'index', 0, this.capacity - 1);
    return {
      lane: Math.floor(index / this.#store.laneCapacity),
      episode: this.#store.episode[index],
      step: this.#store.epStep[index],
      sampleable: this.#store.sampleable(index),
    };
  }

  /** Size, capacity, fill rate, pushes, unique ratio of the last sample and its mean, β, memory. */
  stats(): ReplayStats {
    return {
      size: this.size,
      capacity: this.capacity,
      fillRate: this.size / this.capacity,
      pushTotal: this.#pushTotal,
      uniqueRatio: this.#lastUnique,
      uniqueRatioMean: this.#sampleCalls === 0 ? 0 : this.#uniqueSum / this.#sampleCalls,
      beta: this.beta,
      maxPriority: this.#priorities.maxPriority,
      memoryBytes: this.#frames.memoryBytes + this.#store.memoryBytes + this.#priorities.memoryBytes,
    };
  }

  /** Frees the GPU mirror when device is 'cuda' (no-op otherwise). */
  dispose(): void {
    this.#priorities.dispose();
  }

  // ---- saving and restoring ----

  /**
   * The whole state: a JSON-able header and the raw bytes of every storage array (format in
   * docs/replay.md). Sections are views of the live storage, not copies (except the tree's
   * priorities): write them out before the next `begin`/`addBatch`. A replay restored from it gives
   * the same batches, weights, priorities and stats for the same later calls.
   */
  exportState(): ReplayState {
    const st = this.#store;
    const leaves = this.#priorities.exportLeaves();
    const sections: Record<string, Uint8Array> = {};
    this.#frames.chunks.forEach((chunk, k) => (sections[`frames.${k}`] = chunk));
    sections.actions = bytesOf(st.actions);
    sections.returns = bytesOf(st.returns.data);
    sections.nextOffset = st.nextOffset;
    sections.flags = st.flags;
    sections.epStep = bytesOf(st.epStep);
    sections.episode = bytesOf(st.episode);
    sections.head = bytesOf(st.head);
    sections.laneEpisode = bytesOf(st.laneEpisode);
    sections.priorities = bytesOf(leaves);
    return {
      header: {
        format: REPLAY_STATE_FORMAT,
        version: REPLAY_STATE_VERSION,
        options: { ...this.#options, frameShape: [...this.#options.frameShape] },
        sections: replayStateLayout(this.#options, leaves.length),
        begun: this.#begun,
        pushTotal: this.#pushTotal,
        size: st.size,
        sampleCalls: this.#sampleCalls,
        lastUniqueRatio: this.#lastUnique,
        uniqueRatioSum: this.#uniqueSum,
        maxPriority: this.#priorities.maxPriority,
        treeFilled: leaves.length,
        nStep: this.#staging.toJSON(),
      },
      sections,
    };
  }

  /**
   * A new replay holding `state` (from {@link exportState}), built with the state's options;
   * `options` may choose another device or frame chunking. Errors as {@link importState}.
   */
  static fromState(state: ReplayState, options?: ReplayRestoreOptions): PrioritizedReplay {
    const { header } = expectReplayState(state);
    const o = expectOptions<ReplayRestoreOptions>(options, 'fromState options');
    rejectUnknownKeys(o, 'fromState options', ['device', 'framesPerChunk']);
    const saved = header.options as unknown as PrioritizedReplayOptions;
    const replay = new PrioritizedReplay({ ...saved, ...o });
    replay.importState(state);
    return replay;
  }

  /**
   * Restores `state` into this replay, which must be freshly constructed with the same options
   * (`device` and `framesPerChunk` may differ). Everything is checked before anything changes:
   * TypeError/RangeError naming the first mismatched option, header field or section (a missing,
   * truncated or extra section, or contents that contradict each other); Error if this replay has
   * already been used. Restoring costs one copy of the storage plus one small native call per past
   * `sample` call (to bring the sampling stream where it was).
   */
  importState(state: ReplayState): void {
    if (this.#begun || this.#pushTotal !== 0 || this.#sampleCalls !== 0 || this.tree.filled !== 0) {
      throw new Error('PrioritizedReplay.importState: restore into a freshly constructed replay (this one has already been used)');
    }
    const o = this.#options;
    const env = expectReplayState(state);
    expectSameOptions(o, env.header.options as Record<string, unknown>);
    const h = checkStateHeader(env.header, o);
    const reader = new SectionReader(env.sections, h.sections);
    const st = this.#store;
    const views = {
      actions: reader.view('actions'),
      returns: reader.view('returns'),
      nextOffset: reader.view('nextOffset'),
      flags: reader.view('flags'),
      epStep: reader.view('epStep'),
      episode: reader.view('episode'),
      head: reader.view('head'),
      laneEpisode: reader.view('laneEpisode'),
      priorities: reader.view('priorities') as Float64Array,
    };
    checkStateContents(h, views, o);

    // Commit: the n-step windows (checked again there, atomically), then storage, then the tree.
    this.#staging.restore(h.nStep);
    const frameChunks = Object.keys(h.sections)
      .filter((k) => k.startsWith('frames.'))
      .map((k) => reader.bytes(k));
    this.#frames.copyRowsFrom(frameChunks, h.options.framesPerChunk);
    st.actions.set(views.actions);
    st.returns.data.set(views.returns);
    st.nextOffset.set(views.nextOffset);
    st.flags.set(views.flags);
    st.epStep.set(views.epStep);
    st.episode.set(views.episode);
    st.head.set(views.head);
    st.laneEpisode.set(views.laneEpisode);
    st.recount();
    this.#priorities.restore(views.priorities, h.maxPriority, h.sampleCalls);
    this.#begun = h.begun;
    this.#pushTotal = h.pushTotal;
    this.#sampleCalls = h.sampleCalls;
    this.#lastUnique = h.lastUniqueRatio;
    this.#uniqueSum = h.uniqueRatioSum;
  }

  // ---- helpers ----

  #obsFrames(obs: unknown, name: string): number {
    return observationFrames(obs, name, this.#lanes, this.#options.stack, this.#frameBytes);
  }

  #checkStart(obs: Uint8Array, lane: number, perLane: number, name: string): void {
    if (perLane > 1) checkStartPadding(obs, lane, perLane, this.#frameBytes, this.#options.startPadding, name);
  }

  /** Writes the newest frame of lane's observation into the slot of position pos (a new slot). */
  #writeObservation(lane: number, pos: number, obs: Uint8Array, perLane: number, epStep: number, flags: number): void {
    const e = this.#store.open(lane, pos, epStep, flags);
    this.#frames.write(e, obs, (lane * perLane + perLane - 1) * this.#frameBytes);
  }

  #recordUnique(indices: Int32Array): void {
    if (this.#sortScratch.length < indices.length) this.#sortScratch = new Int32Array(indices.length);
    const sorted = this.#sortScratch.subarray(0, indices.length);
    sorted.set(indices);
    sorted.sort();
    let unique = sorted.length > 0 ? 1 : 0;
    for (let k = 1; k < sorted.length; k++) if (sorted[k] !== sorted[k - 1]) unique++;
    this.#lastUnique = unique / indices.length;
    this.#uniqueSum += this.#lastUnique;
  }
}
