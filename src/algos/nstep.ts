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
import { expectInteger, expectNumber, expectTypedArray } from '../validate.js';

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
