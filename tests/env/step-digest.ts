/** A hash of everything one VecEnv step returns, for byte-identity checks across runs. */
import { createHash } from 'node:crypto';

import type { StepResult } from '../../src/index.js';

/**
 * SHA-256 over obs, reward, terminated, truncated, every info field and reward component, and,
 * for lanes that finished this step, their final obs/info and episode statistics.
 */
export function stepDigest(r: StepResult, lanes: number): string {
  const h = createHash('sha256');
  const bytes = (v: ArrayBufferView) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  h.update(r.obs).update(bytes(r.reward)).update(r.terminated).update(r.truncated);
  for (const v of Object.values(r.info)) h.update(bytes(v));
  for (const v of Object.values(r.rewardComponents)) h.update(bytes(v));
  const obsBytes = r.obs.length / lanes;
  for (let i = 0; i < lanes; i++) {
    if (!r.terminated[i] && !r.truncated[i]) continue;
    h.update(r.finalObs.subarray(i * obsBytes, (i + 1) * obsBytes));
    for (const v of Object.values(r.finalInfo)) h.update(String(v[i]));
    h.update(`${r.episode.return[i]},${r.episode.length[i]},${r.episode.maxX[i]},${r.episode.flag[i]},${r.episode.startState[i]}`);
  }
  return h.digest('hex');
}
