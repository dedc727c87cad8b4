/**
 * The building blocks carry all the state an exact resume needs: a toy training loop (RNG-driven
 * "updates", a schedule, an episode window, a streaming n-step buffer, metrics rows) run straight
 * through must write the same metrics as the same loop stopped, checkpointed, and resumed from the
 * checkpoint in fresh objects. The Trainer follows the same pattern.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { NStepAccumulator } from '../../src/algos/nstep.js';
import { CheckpointStore } from '../../src/run/checkpoint-store.js';
import { deriveSizes, validateConfig, type TrainerConfig } from '../../src/train/config.js';
import { EpisodeWindow, MetricsWriter } from '../../src/run/metrics.js';
import { Rng, type RngState } from '../../src/util/rng.js';
import { scheduleValue } from '../../src/train/schedule.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-resume-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface ToyState {
  params: Float32Array;
  rng: Rng;
  window: EpisodeWindow;
  nstep: NStepAccumulator;
  globalStep: number;
  globalUpdate: number;
  episodeReturn: Float64Array;
  episodeLength: Int32Array;
}

function freshState(config: TrainerConfig): ToyState {
  const n = deriveSizes(config).numEnvs;
  return {
    params: new Float32Array(64),
    rng: new Rng(config.seed),
    window: new EpisodeWindow(config.log.windowEpisodes),
    nstep: new NStepAccumulator(n, 3, config.ppo.gamma),
    globalStep: 0,
    globalUpdate: 0,
    episodeReturn: new Float64Array(n),
    episodeLength: new Int32Array(n),
  };
}

/** Runs updates [state.globalUpdate, untilUpdate), appending metrics rows. */
function train(config: TrainerConfig, s: ToyState, untilUpdate: number, metrics: MetricsWriter): void {
  const sizes = deriveSizes(config);
  const lr = sizes.schedules['ppo.learningRate'];
  const N = sizes.numEnvs;
  const rewards = new Float32Array(N);
  const terminated = new Uint8Array(N);
  const truncated = new Uint8Array(N);
  while (s.globalUpdate < untilUpdate) {
    let nstepSum = 0;
    for (let t = 0; t < config.ppo.numSteps; t++) {
      for (let n = 0; n < N; n++) {
        rewards[n] = s.rng.nextFloat();
        terminated[n] = s.rng.nextFloat() < 0.05 ? 1 : 0;
        truncated[n] = 0;
        s.episodeReturn[n] += rewards[n];
        s.episodeLength[n]++;
        if (terminated[n]) {
          s.window.add({ return: s.episodeReturn[n], length: s.episodeLength[n], maxX: s.episodeLength[n] * 3, flag: s.rng.nextInt(4) === 0 });
          s.episodeReturn[n] = 0;
          s.episodeLength[n] = 0;
        }
      }
      const ready = s.nstep.push(rewards, terminated, truncated);
      for (let i = 0; i < ready.count; i++) nstepSum += ready.returns[i];
      s.globalStep += N;
    }
    const rate = scheduleValue(lr, s.globalStep);
    for (const i of s.rng.permutation(s.params.length)) s.params[i] += rate * s.rng.nextNormal();
    s.globalUpdate++;
    metrics.write({
      global_step: s.globalStep,
      update: s.globalUpdate,
      'charts/learning_rate': rate,
      'losses/param_norm': Math.hypot(...s.params),
      'charts/nstep_sum': nstepSum,
      ...s.window.summary(),
    });
  }
}

function checkpointOf(s: ToyState, store: CheckpointStore, config: TrainerConfig): void {
  store.save(
    {
      globalStep: s.globalStep,
      globalUpdate: s.globalUpdate,
      config,
      rng: s.rng.getState(),
      window: s.window.toJSON(),
      nstep: s.nstep.toJSON(),
      episodeReturn: Array.from(s.episodeReturn),
      episodeLength: Array.from(s.episodeLength),
    },
    { params: new Uint8Array(s.params.buffer) },
  );
}

function restore(store: CheckpointStore, runDir: string): { config: TrainerConfig; state: ToyState } {
  const { checkpoint } = store.resolveResume('auto', runDir);
  const h = checkpoint!.header;
  const config = validateConfig(h.config);
  const state = freshState(config);
  state.params = new Float32Array(checkpoint!.sections.params.slice().buffer);
  state.rng = Rng.fromState(h.rng as RngState);
  state.window = EpisodeWindow.fromJSON(h.window as ReturnType<EpisodeWindow['toJSON']>);
  state.nstep.restore(h.nstep as ReturnType<NStepAccumulator['toJSON']>);
  state.episodeReturn = Float64Array.from(h.episodeReturn as number[]);
  state.episodeLength = Int32Array.from(h.episodeLength as number[]);
  state.globalStep = h.globalStep;
  state.globalUpdate = h.globalUpdate;
  return { config, state };
}

describe('exact resume from the building blocks', () => {
  it('stopped-checkpointed-resumed writes the same metrics as an uninterrupted run', () => {
    const config = validateConfig({
      seed: 17,
      totalSteps: 4 * 16 * 12,
      ppo: { numEnvs: 4, numSteps: 16, minibatches: 4, learningRate: { kind: 'cosine', start: 0.1, end: 0.001 } },
      log: { windowEpisodes: 10 },
    });
    const total = deriveSizes(config).numUpdates;
    expect(total).toBe(12);

    const straightPath = join(dir, 'straight.jsonl');
    const straight = new MetricsWriter(straightPath);
    train(config, freshState(config), total, straight);
    straight.close();

    const runDir = join(dir, 'run');
    const store = new CheckpointStore(join(runDir, 'checkpoints'), { onWarning: () => undefined });
    const firstPath = join(runDir, 'metrics.jsonl');
    const first = new MetricsWriter(firstPath);
    const s = freshState(config);
    train(config, s, 5, first);
    checkpointOf(s, store, config);
    train(config, s, 7, first); // progress after the checkpoint is lost in the "crash"
    first.close();

    const { config: resumedConfig, state } = restore(store, runDir);
    expect(state.globalUpdate).toBe(5);
    const resumedPath = join(dir, 'resumed.jsonl');
    const resumed = new MetricsWriter(resumedPath);
    train(resumedConfig, state, total, resumed);
    resumed.close();

    const lines = (p: string) => readFileSync(p, 'utf8').trim().split('\n');
    const straightRows = lines(straightPath);
    expect(straightRows).toHaveLength(12);
    expect(lines(firstPath).slice(0, 5)).toEqual(straightRows.slice(0, 5));
    expect(lines(resumedPath)).toEqual(straightRows.slice(5));
    expect(JSON.parse(straightRows[11])['charts/episodes']).toBe(10);
  });
});
