/**
 * The fault loop's final checkpoint comparison (scripts/fault-loop-lib.ts `compareLatestCheckpoints`):
 * two runs' `latest.ckpt` are equal when every section matches byte for byte and every header field
 * but the wall-clock and run-identity ones does; anything else is named.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { compareLatestCheckpoints } from '../../scripts/fault-loop-lib.js';
import { LATEST_NAME, writeCheckpoint } from '../../src/run/checkpoint-store.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-fault-compare-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `<dir>/<run>/checkpoints/latest.ckpt` and returns the run directory. */
function latest(run: string, header: Record<string, unknown>, sections: Record<string, Uint8Array>, savedAt: number): string {
  const runDir = join(dir, run);
  mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
  writeCheckpoint(join(runDir, 'checkpoints', LATEST_NAME), { globalStep: 2000, globalUpdate: 250, ...header }, sections, { savedAt });
  return runDir;
}

const header = (runDir: string, elapsed: number, runId: string, rngAct = 7) => ({
  rng: { shuffle: [1, 2], act: [rngAct, 8] },
  config: { runDir, resume: runDir.endsWith('killed') ? 'latest' : 'none', seed: 19 },
  elapsedSeconds: elapsed,
  runId,
});
const sections = (replayByte = 3) => ({ learner: new Uint8Array([1, 2, 3, 4]), 'replay.obs': new Uint8Array([9, replayByte]) });

describe('compareLatestCheckpoints', () => {
  it('equal when only the save time, elapsed time, run id, run directory and resume setting differ', () => {
    const a = latest('killed', header(join(dir, 'killed'), 812.5, 'a'), sections(), 1);
    const b = latest('reference', header(join(dir, 'reference'), 90.25, 'b'), sections(), 2);
    const r = compareLatestCheckpoints(a, b);
    expect(r.differences).toEqual([]);
    expect(r.sections).toEqual(['learner', 'replay.obs']);
  });

  it('names a section that differs by one byte, a missing section and a differing RNG state', () => {
    const a = latest('killed', header(join(dir, 'killed'), 1, 'a', 6), { ...sections(4), extra: new Uint8Array(1) }, 1);
    const b = latest('reference', header(join(dir, 'reference'), 1, 'b'), sections(), 1);
    expect(compareLatestCheckpoints(a, b).differences).toEqual([
      "section extra only in the killed run's",
      'section replay.obs differs (2 vs 2 bytes)',
      'header field rng: {"shuffle":[1,2],"act":[6,8]} vs {"shuffle":[1,2],"act":[7,8]}',
    ]);
  });
});
