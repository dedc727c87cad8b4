/**
 * n-step discounted targets for DQN: the one implementation, used by the batch function
 * {@link computeNStepTargets}, by the streaming {@link NStepAccumulator} and by the replay buffer
 * (src/replay/nstep-staging.ts feeds it every `addBatch`).
 *
 * For each transition (t, n) the target is
 *   y = Σ_{k<m} γ^k r_{t+k} + discount · max_a Q(s', a)
 * where m = min(nStep, steps to the end of the episode (inclusive), T - t). The caller stores
 * `returns` and `discounts` with the transition and looks up s' with `horizons`:
 * - `discounts` = 0 when the episode terminated within the window (no bootstrap), else γ^m;
 * - s' is the observation after transition t + m - 1: when that transition ended the episode
 *   (truncation), it is its final observation, otherwise s_{t+m}.
 * Windows shortened by the end of the buffer (t + m = T, episode still running) are valid m-step
 * targets; `complete` marks those with m = nStep or an episode end, for callers that prefer to
 * wait for more data.
 *
 * Arithmetic (pinned: the replay's batches depend on it bit for bit): returns are summed in f64 as
 * `Σ_k powers[k] · r_{t+k}` in increasing k with `powers[k] = γ ** k` ({@link gammaPowers}), then
 * stored as f32; discounts are `powers[m]` stored as f32.
 */
import { expectedMessage, expectInteger, expectNumber, expectTypedArray } from '../validate.js';

/** Inputs of {@link computeNStepTargets}. Arrays are [numSteps * numEnvs], time-major. */
export interface NStepInput {
  /** Window length T. */
  numSteps: number;
  /** Number of lanes N. */
  numEnvs: number;
  /** r_t per step and lane. */
  rewards: Float32Array;
  /** 1 where the transition ended the episode in a terminal state. */
  terminated: Uint8Array;
  /** 1 where the episode was truncated after the transition (bootstrap from its final observation). */
  truncated: Uint8Array;
  /** n ≥ 1. */
  nStep: number;
  /** Discount γ in [0, 1]. */
  gamma: number;
}

/** Outputs of {@link computeNStepTargets}. */
export interface NStepOutput {
  /** Σ_{k<m} γ^k r_{t+k}. */
  returns: Float32Array;
  /** Multiplier of the bootstrap value: γ^m, or 0 after a terminal state. */
  discounts: Float32Array;
  /** m, the number of transitions summed; s' follows transition t + m - 1. */
  horizons: Int32Array;
  /** 1 when m = nStep or the episode ended within the window. */
  complete: Uint8Array;
}

/** γ^k for k in [0, n], Float64Array [n + 1]: the discount table every n-step sum uses. */
export function gammaPowers(gamma: number, n: number): Float64Array {
  return Float64Array.from({ length: n + 1 }, (_, k) => gamma ** k);
}

/** Computes n-step returns, bootstrap discounts and horizons. Pure; accumulates in float64. */
export function computeNStepTargets(input: NStepInput): NStepOutput {
  const T = expectInteger(input.numSteps, 'numSteps', 1, 2 ** 31 - 1);
  const N = expectInteger(input.numEnvs, 'numEnvs', 1, 2 ** 31 - 1);
  const nStep = expectInteger(input.nStep, 'nStep', 1, 2 ** 31 - 1);
  const gamma = expectNumber(input.gamma, 'gamma', 0, 1);
  const size = T * N;
  const rewards = expectTypedArray(input.rewards, 'rewards', Float32Array, size);
  const terminated = expectTypedArray(input.terminated, 'terminated', Uint8Array, size);
  const truncated = expectTypedArray(input.truncated, 'truncated', Uint8Array, size);

  const returns = new Float32Array(size);
  const discounts = new Float32Array(size);
  const horizons = new Int32Array(size);
  const complete = new Uint8Array(size);
  // Streams the window through the accumulator. A window of T + 1 never fills, so with
  // nStep > T only episode ends complete a transition, as m = nStep cannot happen.
  const acc = new NStepAccumulator(N, Math.min(nStep, T + 1), gamma);
  const collect = (b: NStepBatch, isComplete: number) => {
    for (let i = 0; i < b.count; i++) {
      const o = b.steps[i] * N + b.lanes[i];
      returns[o] = b.returns[i];
      discounts[o] = b.discounts[i];
      horizons[o] = b.horizons[i];
      complete[o] = isComplete;
    }
  };
  for (let t = 0; t < T; t++) {
    const s = t * N;
    collect(acc.push(rewards.subarray(s, s + N), terminated.subarray(s, s + N), truncated.subarray(s, s + N)), 1);
  }
  collect(acc.flush(), 0);
  return { returns, discounts, horizons, complete };
}

/**
 * Ready n-step transitions emitted by {@link NStepAccumulator}, in caller-visible preallocated
 * arrays: entries [0, count) are valid until the next call. Each array is [numEnvs · nStep].
 */
export interface NStepBatch {
  /** Number of valid entries. */
  count: number;
  /** Lane of each transition. */
  lanes: Int32Array;
  /** Step index (0-based count of pushes) at which each transition started: its s_t and a_t. */
  steps: Float64Array;
  /** Σ_{k<m} γ^k r_{t+k}. */
  returns: Float32Array;
  /** γ^m, or 0 after a terminal state. */
  discounts: Float32Array;
  /** m; s' is the observation after step `steps + horizons - 1` (its final observation when the episode ended there). */
  horizons: Int32Array;
}

/** What {@link NStepAccumulator.toJSON} saves: pending rewards per lane (oldest first, fewer than nStep each). */
export interface NStepAccumulatorState {
  step: number;
  pending: number[][];
  firstStep: number[];
}

/**
 * Streaming n-step targets for step-by-step loops: push each VecEnv step's rewards and end flags;
 * transitions come out as soon as their n-step target is known (after n steps, or at the episode's
 * end), lanes in order and, within a lane, oldest first. The caller keeps observations and actions
 * for the last n steps, indexed by step (the replay keeps them in its lane rings).
 *
 * Ownership: one caller on one thread; nothing is allocated per push (pending rewards live in a
 * preallocated [N, nStep] table, the emitted batch is reused).
 */
export class NStepAccumulator {
  readonly #numEnvs: number;
  readonly #nStep: number;
  readonly #powers: Float64Array; // [nStep + 1] γ^k
  readonly #pending: Float64Array; // [N, nStep] pending rewards per lane, oldest first
  readonly #counts: Int32Array; // [N] pending rewards per lane, < nStep between pushes
  readonly #firstStep: Float64Array; // [N] step index of each lane's oldest pending reward
  #step = 0;
  readonly #batch: NStepBatch;

  /** @param numEnvs lanes N; @param nStep n ≥ 1; @param gamma discount γ in [0, 1]. */
  constructor(numEnvs: number, nStep: number, gamma: number) {
    this.#numEnvs = expectInteger(numEnvs, 'numEnvs', 1, 2 ** 31 - 1);
    this.#nStep = expectInteger(nStep, 'nStep', 1, 2 ** 31 - 1);
    this.#powers = gammaPowers(expectNumber(gamma, 'gamma', 0, 1), nStep);
    const cap = numEnvs * nStep;
    this.#pending = new Float64Array(cap);
    this.#counts = new Int32Array(numEnvs);
    this.#firstStep = new Float64Array(numEnvs);
    this.#batch = {
      count: 0,
      lanes: new Int32Array(cap),
      steps: new Float64Array(cap),
      returns: new Float32Array(cap),
      discounts: new Float32Array(cap),
      horizons: new Int32Array(cap),
    };
  }

  /** Steps pushed so far. */
  get step(): number {
    return this.#step;
  }

  /** Emits the window of `lane` starting at its pending reward `from` and running to its newest. */
  #emit(lane: number, from: number, terminal: boolean): void {
    const base = lane * this.#nStep;
    const count = this.#counts[lane];
    let sum = 0;
    for (let k = from; k < count; k++) sum += this.#powers[k - from] * this.#pending[base + k];
    const m = count - from;
    const b = this.#batch;
    const i = b.count++;
    b.lanes[i] = lane;
    b.steps[i] = this.#firstStep[lane] + from;
    b.returns[i] = sum;
    b.discounts[i] = terminal ? 0 : this.#powers[m];
    b.horizons[i] = m;
  }

  /** Adds one step for every lane; returns the transitions that became ready. */
  push(rewards: Float32Array, terminated: Uint8Array, truncated: Uint8Array): NStepBatch {
    const N = this.#numEnvs;
    expectTypedArray(rewards, 'rewards', Float32Array, N);
    expectTypedArray(terminated, 'terminated', Uint8Array, N);
    expectTypedArray(truncated, 'truncated', Uint8Array, N);
    this.#batch.count = 0;
    const n = this.#nStep;
    for (let lane = 0; lane < N; lane++) {
      const base = lane * n;
      if (this.#counts[lane] === 0) this.#firstStep[lane] = this.#step;
      this.#pending[base + this.#counts[lane]++] = rewards[lane];
      if (terminated[lane] || truncated[lane]) {
        for (let k = 0; k < this.#counts[lane]; k++) this.#emit(lane, k, terminated[lane] === 1);
        this.#counts[lane] = 0;
      } else if (this.#counts[lane] === n) {
        this.#emit(lane, 0, false);
        this.#pending.copyWithin(base, base + 1, base + n);
        this.#counts[lane]--;
        this.#firstStep[lane]++;
      }
    }
    this.#step++;
    return this.#batch;
  }

  /**
   * Emits every pending transition with its shortened horizon and discount γ^m (end of training or
   * of a window, or an episode cut whose next observation is known).
   */
  flush(): NStepBatch {
    this.#batch.count = 0;
    for (let lane = 0; lane < this.#numEnvs; lane++) {
      for (let k = 0; k < this.#counts[lane]; k++) this.#emit(lane, k, false);
      this.#counts[lane] = 0;
    }
    return this.#batch;
  }

  /** Pending state for checkpoints (JSON). */
  toJSON(): NStepAccumulatorState {
    const pending: number[][] = [];
    for (let lane = 0; lane < this.#numEnvs; lane++) {
      const base = lane * this.#nStep;
      pending.push(Array.from(this.#pending.subarray(base, base + this.#counts[lane])));
    }
    return { step: this.#step, pending, firstStep: Array.from(this.#firstStep) };
  }

  /**
   * Restores a state saved with {@link NStepAccumulator.toJSON}. TypeError/RangeError naming the
   * field for a state of another lane count, a lane with nStep or more pending rewards, or a
   * non-finite value; nothing changes then.
   */
  restore(state: NStepAccumulatorState): void {
    const N = this.#numEnvs;
    const s = state as Partial<NStepAccumulatorState> | null;
    if (s === null || typeof s !== 'object') throw new TypeError(expectedMessage('an n-step state object', 'n-step state', s));
    if (!Array.isArray(s.pending) || s.pending.length !== N || !Array.isArray(s.firstStep) || s.firstStep.length !== N) {
      throw new RangeError(expectedMessage(`state for ${N} lanes`, 'n-step state', s.pending));
    }
    const step = expectInteger(s.step, 'n-step state step', 0, Number.MAX_SAFE_INTEGER);
    for (let lane = 0; lane < N; lane++) {
      const p = s.pending[lane];
      if (!Array.isArray(p) || p.length >= this.#nStep) {
        throw new RangeError(expectedMessage(`an array of fewer than ${this.#nStep} rewards`, `n-step state pending[${lane}]`, p));
      }
      p.forEach((r, k) => expectNumber(r, `n-step state pending[${lane}][${k}]`));
      expectInteger(s.firstStep[lane], `n-step state firstStep[${lane}]`, 0, Number.MAX_SAFE_INTEGER);
    }
    this.#step = step;
    for (let lane = 0; lane < N; lane++) {
      const p = s.pending[lane];
      this.#pending.set(p, lane * this.#nStep);
      this.#counts[lane] = p.length;
      this.#firstStep[lane] = s.firstStep[lane];
    }
  }
}
