/**
 * Generalised advantage estimation (Schulman et al. 2016) on host arrays, in cleanrl's layout:
 * time-major [T, E] (T steps of E environments). `dones[t]` marks that the episode ended at step t
 * (so values after it are not bootstrapped).
 */
import { expectNumber, expectTypedArray } from '../validate.js';

/** Inputs of `computeGae`, all time-major [T·E]. */
export interface GaeInput {
  /** Rewards r_t [T·E]. */
  rewards: Float32Array;
  /** Values V(s_t) at rollout time [T·E]. */
  values: Float32Array;
  /** 1 where the episode ended at step t, else 0 [T·E]. */
  dones: Float32Array;
  /** V(s_T) of the observation after the last step [E]. */
  lastValues: Float32Array;
  /** Discount γ. */
  gamma: number;
  /** GAE λ. */
  lambda: number;
}

/** Advantages A_t and returns R_t = A_t + V(s_t), time-major [T·E] (computed in float64). */
export function computeGae(input: GaeInput): { advantages: Float32Array; returns: Float32Array } {
  const lastValues = expectTypedArray(input.lastValues, 'lastValues', Float32Array);
  const e = lastValues.length;
  const n = expectTypedArray(input.rewards, 'rewards', Float32Array).length;
  if (e === 0 || n % e !== 0) throw new RangeError(`Expected rewards of length T·${e} but received Float32Array(${n})`);
  const values = expectTypedArray(input.values, 'values', Float32Array, n);
  const dones = expectTypedArray(input.dones, 'dones', Float32Array, n);
  const gamma = expectNumber(input.gamma, 'gamma', 0, 1);
  const lambda = expectNumber(input.lambda, 'lambda', 0, 1);
  const advantages = new Float32Array(n);
  const returns = new Float32Array(n);
  const steps = n / e;
  for (let env = 0; env < e; env++) {
    let next = 0;
    let nextValue = lastValues[env]!;
    for (let t = steps - 1; t >= 0; t--) {
      const i = t * e + env;
      const notDone = 1 - dones[i]!;
      const delta = input.rewards[i]! + gamma * nextValue * notDone - values[i]!;
      next = delta + gamma * lambda * notDone * next;
      advantages[i] = next;
      returns[i] = next + values[i]!;
      nextValue = values[i]!;
    }
  }
  return { advantages, returns };
}
