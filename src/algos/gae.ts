/**
 * Generalized Advantage Estimation, GAE(λ) (Schulman et al. 2016), over a time-major [T, N] rollout.
 *
 * Conventions (index `i = t * numEnvs + n`):
 * - `values[i]` is V(s_t) for lane n, `rewards[i]` the reward of the transition taken from s_t.
 * - `terminated[i]` = 1 when that transition ended the episode in a terminal state: nothing
 *   follows, the bootstrap value is 0.
 * - `truncated[i]` = 1 when the episode was cut (time limit) without a terminal state: the target
 *   bootstraps from V(final observation), which the caller computes and writes to
 *   `finalValues[i]` (only read where `truncated[i]` = 1; terminated wins if both are set).
 * - Otherwise the next value is `values[i + N]`, or `nextValues[n]` = V(s_T) after the last step.
 * Either end flag stops the λ-chain: advantages never leak across episodes.
 */
import { expectInteger, expectNumber, expectTypedArray } from '../validate.js';

/** Inputs of {@link computeGae}. Arrays are [numSteps * numEnvs], time-major. */
export interface GaeInput {
  /** Rollout length T. */
  numSteps: number;
  /** Number of lanes N. */
  numEnvs: number;
  /** r_t per step and lane. */
  rewards: Float32Array;
  /** V(s_t) per step and lane. */
  values: Float32Array;
  /** 1 where the transition ended the episode in a terminal state (no bootstrap). */
  terminated: Uint8Array;
  /** 1 where the episode was truncated (bootstrap from `finalValues`). */
  truncated: Uint8Array;
  /** V(final observation) where `truncated` is 1; other entries are ignored. */
  finalValues: Float32Array;
  /** V(s_T) per lane: the bootstrap after the last rollout step. Length numEnvs. */
  nextValues: Float32Array;
  /** Discount γ in [0, 1]. */
  gamma: number;
  /** GAE λ in [0, 1]; 1 gives Monte-Carlo returns with bootstrap, 0 gives one-step TD. */
  lambda: number;
}

/** Output buffers of {@link computeGae}; allocated when omitted. */
export interface GaeOutput {
  /** A_t per step and lane. */
  advantages: Float32Array;
  /** Value targets A_t + V(s_t) per step and lane. */
  returns: Float32Array;
}

/**
 * Computes GAE(λ) advantages and returns. Pure: reads the inputs, writes only `out` (or new arrays).
 * Accumulates in float64 and stores float32.
 */
export function computeGae(input: GaeInput, out?: Partial<GaeOutput>): GaeOutput {
  const T = expectInteger(input.numSteps, 'numSteps', 1, 2 ** 31 - 1);
  const N = expectInteger(input.numEnvs, 'numEnvs', 1, 2 ** 31 - 1);
  const gamma = expectNumber(input.gamma, 'gamma', 0, 1);
  const lambda = expectNumber(input.lambda, 'lambda', 0, 1);
  const size = T * N;
  const rewards = expectTypedArray(input.rewards, 'rewards', Float32Array, size);
  const values = expectTypedArray(input.values, 'values', Float32Array, size);
  const terminated = expectTypedArray(input.terminated, 'terminated', Uint8Array, size);
  const truncated = expectTypedArray(input.truncated, 'truncated', Uint8Array, size);
  const finalValues = expectTypedArray(input.finalValues, 'finalValues', Float32Array, size);
  const nextValues = expectTypedArray(input.nextValues, 'nextValues', Float32Array, N);
  const advantages = out?.advantages ? expectTypedArray(out.advantages, 'advantages', Float32Array, size) : new Float32Array(size);
  const returns = out?.returns ? expectTypedArray(out.returns, 'returns', Float32Array, size) : new Float32Array(size);

  const gl = gamma * lambda;
  for (let n = 0; n < N; n++) {
    let running = 0; // A_{t+1} of the same episode, 0 past an episode end
    for (let t = T - 1; t >= 0; t--) {
      const i = t * N + n;
      let bootstrap: number;
      let continues: number;
      if (terminated[i]) {
        bootstrap = 0;
        continues = 0;
      } else if (truncated[i]) {
        bootstrap = finalValues[i];
        continues = 0;
      } else {
        bootstrap = t === T - 1 ? nextValues[n] : values[i + N];
        continues = t === T - 1 ? 0 : 1;
      }
      const delta = rewards[i] + gamma * bootstrap - values[i];
      running = delta + gl * continues * running;
      advantages[i] = running;
      returns[i] = running + values[i];
    }
  }
  return { advantages, returns };
}
