/**
 * Sampling actions from policy logits on the host (acting returns logits; the rollout needs the
 * sampled actions and their log-probabilities for PPO's ratio).
 */
import { type Rng } from '../models/random.js';
import { expectInteger, expectTypedArray } from '../validate.js';

/** Samples one action per row of `logits` [B·A]; returns int64 actions and log π(a|s) [B]. */
export function sampleCategorical(logits: Float32Array, actions: number, rng: Rng): { actions: BigInt64Array; logProbs: Float32Array } {
  expectInteger(actions, 'actions', 1, 4096);
  expectTypedArray(logits, 'logits', Float32Array);
  if (logits.length === 0 || logits.length % actions !== 0) throw new RangeError(`Expected a Float32Array whose length is a positive multiple of ${actions} for logits but received Float32Array(${logits.length})`);
  const b = logits.length / actions;
  const out = new BigInt64Array(b);
  const logProbs = new Float32Array(b);
  for (let i = 0; i < b; i++) {
    const row = logits.subarray(i * actions, (i + 1) * actions);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let total = 0;
    for (const v of row) total += Math.exp(v - max);
    let u = rng.uniform() * total;
    let pick = actions - 1;
    for (let a = 0; a < actions; a++) {
      u -= Math.exp(row[a]! - max);
      if (u < 0) {
        pick = a;
        break;
      }
    }
    out[i] = BigInt(pick);
    logProbs[i] = row[pick]! - max - Math.log(total);
  }
  return { actions: out, logProbs };
}
