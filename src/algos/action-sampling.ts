/**
 * Action selection on the TypeScript side, from the policy session's outputs, with our seeded
 * {@link Rng} (so acting is reproducible and resumable, unlike sampling inside the graph):
 * categorical sampling from logits (PPO/A2C) and ε-greedy over Q-values (DQN). Row-major
 * [batch, numActions] inputs; outputs go to caller-owned arrays.
 */
import { expectInteger, expectNumber, expectTypedArray } from '../validate.js';
import type { Rng } from '../util/rng.js';

/**
 * Samples one action per row from softmax(logits) and writes its log-probability
 * (log-softmax of the chosen logit). Non-finite logits are errors (a diverged network).
 */
export function sampleFromLogits(logits: Float32Array, batch: number, numActions: number, rng: Rng, actions: Int32Array, logProbs?: Float32Array): void {
  expectInteger(batch, 'batch', 1, 2 ** 31 - 1);
  expectInteger(numActions, 'numActions', 1, 2 ** 31 - 1);
  expectTypedArray(logits, 'logits', Float32Array, batch * numActions);
  expectTypedArray(actions, 'actions', Int32Array, batch);
  if (logProbs) expectTypedArray(logProbs, 'logProbs', Float32Array, batch);
  for (let b = 0; b < batch; b++) {
    const o = b * numActions;
    let max = -Infinity;
    for (let a = 0; a < numActions; a++) {
      const v = logits[o + a];
      if (!Number.isFinite(v)) throw new RangeError(`Expected finite logits but row ${b} has ${v} at action ${a} (has training diverged?)`);
      if (v > max) max = v;
    }
    let sum = 0;
    for (let a = 0; a < numActions; a++) sum += Math.exp(logits[o + a] - max);
    // Inverse CDF on the unnormalised weights: one uniform draw per row.
    let target = rng.nextFloat() * sum;
    let chosen = numActions - 1;
    for (let a = 0; a < numActions; a++) {
      target -= Math.exp(logits[o + a] - max);
      if (target < 0) {
        chosen = a;
        break;
      }
    }
    actions[b] = chosen;
    if (logProbs) logProbs[b] = logits[o + chosen] - max - Math.log(sum);
  }
}

/** Writes argmax per row (first maximum on ties): greedy actions for evaluation and deployment. */
export function argmaxRows(values: Float32Array, batch: number, numActions: number, actions: Int32Array): void {
  expectTypedArray(values, 'values', Float32Array, batch * numActions);
  expectTypedArray(actions, 'actions', Int32Array, batch);
  for (let b = 0; b < batch; b++) {
    const o = b * numActions;
    let best = 0;
    for (let a = 1; a < numActions; a++) if (values[o + a] > values[o + best]) best = a;
    actions[b] = best;
  }
}

/**
 * ε-greedy: each row takes a uniformly random action with probability ε, else argmax Q. Draws
 * exactly one uniform per row, plus one more for rows that explore, so the stream stays aligned.
 */
export function epsilonGreedy(qValues: Float32Array, batch: number, numActions: number, epsilon: number, rng: Rng, actions: Int32Array): void {
  expectNumber(epsilon, 'epsilon', 0, 1);
  argmaxRows(qValues, batch, numActions, actions);
  for (let b = 0; b < batch; b++) {
    if (rng.nextFloat() < epsilon) actions[b] = rng.nextInt(numActions);
  }
}
