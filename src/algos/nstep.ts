/**
 * n-step discounted targets for DQN over a time-major [T, N] window of transitions.
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
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) {
      let sum = 0;
      let scale = 1;
      let m = 0;
      let ended = false;
      let terminal = false;
      while (m < nStep && t + m < T) {
        const i = (t + m) * N + n;
        sum += scale * rewards[i];
        scale *= gamma;
        m++;
        if (terminated[i] || truncated[i]) {
          ended = true;
          terminal = terminated[i] === 1;
          break;
        }
      }
      const o = t * N + n;
      returns[o] = sum;
      discounts[o] = terminal ? 0 : scale;
      horizons[o] = m;
      complete[o] = ended || m === nStep ? 1 : 0;
    }
  }
  return { returns, discounts, horizons, complete };
}

/**
 * Ready n-step transitions emitted by {@link NStepAccumulator}, in caller-visible preallocated
 * arrays: entries [0, count) are valid until the next call.
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

/**
 * Streaming form of {@link computeNStepTargets} for DQN's step-by-step loop: push each VecEnv step's
 * rewards and end flags; transitions come out as soon as their n-step target is known (after n
 * steps, or at the episode's end), with the same numbers the batch function gives. The caller keeps
 * observations and actions for the last n steps, indexed by step.
 */
export class NStepAccumulator {
  #numEnvs: number;
  #nStep: number;
  #gamma: number;
  /** Pending rewards per lane, oldest first (length < nStep between pushes). */
  #pending: number[][];
  /** Step index of the oldest pending reward per lane. */
  #firstStep: number[];
  #step = 0;
  #batch: NStepBatch;

  /** @param numEnvs lanes N; @param nStep n ≥ 1; @param gamma discount γ in [0, 1]. */
  constructor(numEnvs: number, nStep: number, gamma: number) {
    this.#numEnvs = expectInteger(numEnvs, 'numEnvs', 1, 2 ** 31 - 1);
    this.#nStep = expectInteger(nStep, 'nStep', 1, 2 ** 31 - 1);
    this.#gamma = expectNumber(gamma, 'gamma', 0, 1);
    this.#pending = Array.from({ length: numEnvs }, () => []);
    this.#firstStep = new Array(numEnvs).fill(0);
    const cap = numEnvs * nStep;
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

  #emit(lane: number, from: number, terminal: boolean): void {
    const rewards = this.#pending[lane];
    let sum = 0;
    let scale = 1;
    for (let k = from; k < rewards.length; k++) {
      sum += scale * rewards[k];
      scale *= this.#gamma;
    }
    const b = this.#batch;
    const i = b.count++;
    b.lanes[i] = lane;
    b.steps[i] = this.#firstStep[lane] + from;
    b.returns[i] = sum;
    b.discounts[i] = terminal ? 0 : scale;
    b.horizons[i] = rewards.length - from;
  }

  /** Adds one step for every lane; returns the transitions that became ready. */
  push(rewards: Float32Array, terminated: Uint8Array, truncated: Uint8Array): NStepBatch {
    const N = this.#numEnvs;
    expectTypedArray(rewards, 'rewards', Float32Array, N);
    expectTypedArray(terminated, 'terminated', Uint8Array, N);
    expectTypedArray(truncated, 'truncated', Uint8Array, N);
    this.#batch.count = 0;
    for (let n = 0; n < N; n++) {
      const pending = this.#pending[n];
      if (pending.length === 0) this.#firstStep[n] = this.#step;
      pending.push(rewards[n]);
      if (terminated[n] || truncated[n]) {
        for (let k = 0; k < pending.length; k++) this.#emit(n, k, terminated[n] === 1);
        pending.length = 0;
      } else if (pending.length === this.#nStep) {
        this.#emit(n, 0, false);
        pending.shift();
        this.#firstStep[n]++;
      }
    }
    this.#step++;
    return this.#batch;
  }

  /** Emits every pending transition with its shortened horizon (end of training or of a window). */
  flush(): NStepBatch {
    this.#batch.count = 0;
    for (let n = 0; n < this.#numEnvs; n++) {
      const pending = this.#pending[n];
      for (let k = 0; k < pending.length; k++) this.#emit(n, k, false);
      pending.length = 0;
    }
    return this.#batch;
  }

  /** Pending state for checkpoints (JSON). */
  toJSON(): { step: number; pending: number[][]; firstStep: number[] } {
    return { step: this.#step, pending: this.#pending.map((p) => [...p]), firstStep: [...this.#firstStep] };
  }

  /** Restores a state saved with {@link NStepAccumulator.toJSON}. */
  restore(state: { step: number; pending: number[][]; firstStep: number[] }): void {
    if (state.pending.length !== this.#numEnvs || state.firstStep.length !== this.#numEnvs) {
      throw new RangeError(expectedMessage(`state for ${this.#numEnvs} lanes`, 'n-step state', state.pending));
    }
    this.#step = expectInteger(state.step, 'step', 0, Number.MAX_SAFE_INTEGER);
    this.#pending = state.pending.map((p) => [...p]);
    this.#firstStep = [...state.firstStep];
  }
}
