/**
 * Trainer features that were once offered by `train --help` and then rejected: PPO target-KL early
 * stopping, DQN Polyak target updates, NoisyNet exploration and the replay buffer in checkpoints
 * (exact DQN resume); plus callbacks (hooks, early stop, lr scale, entropy coefficient, state across a resume).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { readCheckpoint } from '../../src/run/checkpoint-store.js';
import { type MetricsRow } from '../../src/run/metrics.js';
import { type CallbackContext, EarlyStop, type TrainerCallback } from '../../src/train/callbacks.js';
import { type TrainerConfigInput } from '../../src/train/config.js';
import { Trainer } from '../../src/train/trainer.js';
import { learningRows, rows, run as runWith, STEPS_PER_UPDATE, tiny as tinyWith } from './trainer-helpers.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-features-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tiny = (runDir: string, extra: TrainerConfigInput = {}) => tinyWith(runDir, { log: { heartbeatSeconds: 0, tensorboard: false }, ...extra });
const run = (config: TrainerConfigInput, totalSteps: number, callbacks: TrainerCallback[] = []) => runWith(config, totalSteps, { callbacks });

function dqn(runDir: string, extra: TrainerConfigInput['dqn'] = {}, more: TrainerConfigInput = {}): TrainerConfigInput {
  return tiny(runDir, {
    algo: 'dqn',
    network: 'mlp',
    env: { obs: 'ram', maxEpisodeSteps: 60 },
    dqn: {
      numEnvs: 4,
      bufferSize: 400,
      batchSize: 16,
      learningStarts: 100,
      trainFrequency: 4,
      targetUpdateInterval: 50,
      epsilon: 'linear:1:0.05:0.5',
      ...extra,
    },
    ...more,
  });
}

describe('PPO target-KL early stopping (ppo.targetKl)', () => {
  it('stops an update after the first epoch above the target, and runs every epoch under a loose one', async () => {
    await run(tiny(join(dir, 'tight'), { ppo: { numEnvs: 2, numSteps: 32, epochs: 4, minibatches: 2, targetKl: 1e-12 } }), 2 * STEPS_PER_UPDATE);
    await run(tiny(join(dir, 'loose'), { ppo: { numEnvs: 2, numSteps: 32, epochs: 4, minibatches: 2, targetKl: 1e6 } }), 2 * STEPS_PER_UPDATE);
    expect(rows(join(dir, 'tight')).map((r) => r['losses/epochs'])).toEqual([1, 1]);
    expect(rows(join(dir, 'loose')).map((r) => r['losses/epochs'])).toEqual([4, 4]);
    // A loose target trains exactly like no target (the epochs run one Loop each instead of one for all).
    await run(tiny(join(dir, 'none'), { ppo: { numEnvs: 2, numSteps: 32, epochs: 4, minibatches: 2 } }), 2 * STEPS_PER_UPDATE);
    const strip = (r: MetricsRow[]) => r.map(({ 'losses/epochs': _, ...rest }) => rest);
    expect(strip(learningRows(join(dir, 'loose')))).toEqual(learningRows(join(dir, 'none')));
  });
});

describe('DQN: Polyak targets, NoisyNet, replay in checkpoints', () => {
  it('trains with dqn.tau < 1 and with dqn.exploration noisy (no ε in the rows), deterministically', async () => {
    await run(dqn(join(dir, 'polyak'), { tau: 0.1 }), 400);
    await run(dqn(join(dir, 'copy')), 400);
    expect(learningRows(join(dir, 'polyak'))).not.toEqual(learningRows(join(dir, 'copy')));
    await run(dqn(join(dir, 'n1'), { exploration: 'noisy' }), 400);
    await run(dqn(join(dir, 'n2'), { exploration: 'noisy' }), 400);
    const r = rows(join(dir, 'n1'));
    expect(r[0]).not.toHaveProperty('charts/epsilon');
    expect(typeof r[r.length - 1]!['losses/td_loss']).toBe('number');
    expect(learningRows(join(dir, 'n1'))).toEqual(learningRows(join(dir, 'n2')));
  });

  it('with checkpoint.includeReplay, a run resumed from a periodic checkpoint writes the rows of the uninterrupted run', async () => {
    const cfg = (runDir: string, resume = 'none') => dqn(runDir, {}, { resume, checkpoint: { interval: 1, keep: 10, includeReplay: true } });
    // 4 lanes × 250 iterations = 1000 steps per row; a checkpoint after each row.
    const straight = join(dir, 'straight');
    await run(cfg(straight), 2000);
    const first = join(straight, 'checkpoints', 'step-000000001000.ckpt');
    expect(readCheckpoint(first).header.sections.map((s) => s.name)).toContain('replay.header');
    // A new run directory resumed from the uninterrupted run's first checkpoint writes its second row.
    const resumed = join(dir, 'resumed');
    const summary = await run(cfg(resumed, first), 2000);
    expect(summary.resumedFrom).toBe(first);
    expect(learningRows(resumed)).toEqual(learningRows(straight).slice(1));
    expect(rows(resumed)[0]!['losses/td_loss']).not.toBeNull();
    // `latest` (written at the end, its episodes cut at the next reset) resumes with the full buffer.
    const onward = join(dir, 'onward');
    const warnings: string[] = [];
    await runWith(cfg(onward, join(straight, 'checkpoints', 'latest.ckpt')), 3000, { onWarning: (m) => warnings.push(m) });
    expect(rows(onward).map((r) => r.global_step)).toEqual([3000]);
    expect(warnings.filter((m) => m.includes('empty replay buffer'))).toEqual([]);
  });
});

describe('callbacks', () => {
  it('are called in order with a live context, can scale the learning rate, and keep state across a resume', async () => {
    const calls: string[] = [];
    let ctxSeen: CallbackContext | undefined;
    const cb: TrainerCallback & { updates: number } = {
      name: 'probe',
      updates: 0,
      onTrainStart: (ctx) => {
        calls.push('start');
        ctxSeen = ctx;
        ctx.controls.lrScale = 0.5;
      },
      onRolloutEnd: () => void calls.push('rollout'),
      onUpdateEnd: (ctx, row) => {
        cb.updates++;
        calls.push(`update@${ctx.globalStep}:${row.global_step}`);
      },
      onCheckpoint: (_ctx, info) => void calls.push(`checkpoint:${info.kind}`),
      onTrainEnd: () => void calls.push('end'),
      state: () => ({ updates: cb.updates }),
      restore: (s) => {
        cb.updates = (s as { updates: number }).updates;
      },
    };
    const runDir = join(dir, 'cb');
    const summary = await run(tiny(runDir), 2 * STEPS_PER_UPDATE, [cb]);
    expect(calls).toEqual(['start', 'rollout', `update@64:64`, 'rollout', `update@128:128`, 'checkpoint:periodic', 'checkpoint:latest', 'end']);
    expect(ctxSeen!.window.count).toBeGreaterThan(0);
    expect(rows(runDir).map((r) => r['charts/learning_rate'])).toEqual([0.5e-4, 0.5e-4]);
    expect(summary.stopReason).toBe('done');
    // hints: the TrainingHints callback the config's hints.enabled (default) adds.
    expect(readCheckpoint(summary.latestCheckpoint).header.callbacks).toEqual({
      probe: { updates: 2 },
      hints: expect.objectContaining({ rows: 2, fired: [] }),
    });
    // A fresh callback object picks the state up on resume.
    cb.updates = 0;
    await run(tiny(runDir, { resume: 'latest' }), 3 * STEPS_PER_UPDATE, [cb]);
    expect(cb.updates).toBe(3);
  });

  it("set the entropy coefficient between updates (controls.entCoef, charts/ent_coef); undefined is the config's", async () => {
    const plain = join(dir, 'ent-plain');
    await run(tiny(plain, { ppo: { numEnvs: 2, numSteps: 32, epochs: 2, minibatches: 2, entCoef: 0.02 } }), 3 * STEPS_PER_UPDATE);
    const turned = join(dir, 'ent-turned');
    const values: (number | undefined)[] = [0.02, 0.5, undefined]; // the config's value set explicitly, a new one, back to the default
    await run(tiny(turned, { ppo: { numEnvs: 2, numSteps: 32, epochs: 2, minibatches: 2, entCoef: 0.02 } }), 3 * STEPS_PER_UPDATE, [
      { name: 'entropy', onRolloutEnd: (ctx) => void (ctx.controls.entCoef = values[ctx.globalUpdate]) },
    ]);
    const [a, b] = [learningRows(plain), learningRows(turned)];
    expect(a.map((r) => r['charts/ent_coef'])).toEqual([0.02, 0.02, 0.02]);
    expect(b.map((r) => r['charts/ent_coef'])).toEqual([0.02, 0.5, 0.02]);
    expect(b[0]).toEqual(a[0]);
    expect(b[1]!['losses/explained_variance']).toBe(a[1]!['losses/explained_variance']); // the same rollout…
    expect(b[1]!['losses/loss']).not.toBe(a[1]!['losses/loss']); // …a different loss
    expect(b[2]!['losses/explained_variance']).not.toBe(a[2]!['losses/explained_variance']); // a rollout of other parameters
  });

  it('EarlyStop ends the run once the window flag rate reaches the target (stopReason callback)', async () => {
    expect(() => new EarlyStop({ flagRate: 0 })).toThrow(/flagRate/);
    expect(() => new EarlyStop({ flagRate: 0.5, minEpisodes: 0 })).toThrow(/minEpisodes/);
    const fake = (episodes: number, rate: number) => {
      let stopped: string | undefined;
      const ctx = {
        window: { summary: () => ({ 'charts/episodes': episodes, 'charts/flag_rate': rate }) },
        requestStop: (r: string) => (stopped = r),
      } as unknown as CallbackContext;
      new EarlyStop({ flagRate: 0.8, minEpisodes: 10 }).onUpdateEnd(ctx);
      return stopped;
    };
    expect(fake(9, 1)).toBeUndefined();
    expect(fake(10, 0.79)).toBeUndefined();
    expect(fake(10, 0.8)).toMatch(/flag rate 0\.800 over the last 10 episodes/);
    // Wired from the config (earlyStop.*): an untrained policy does not reach the flag, so a second
    // callback puts a flagged episode into the window after each rollout.
    const summary = await run(tiny(join(dir, 'es'), { earlyStop: { flagRate: 1e-9, minEpisodes: 1 } }), 20 * STEPS_PER_UPDATE, [
      { name: 'flagger', onRolloutEnd: (ctx) => void ctx.window.add({ return: 1, length: 1, maxX: 1, flag: true }) },
    ]);
    expect(summary.stopReason).toBe('callback');
    expect(summary.stopMessage).toMatch(/earlyStop\.flagRate/);
    expect(summary.globalUpdate).toBe(1);
  });

  it('warns about a stateful callback missing from a resumed checkpoint, and not on a fresh run', async () => {
    const warnings: string[] = [];
    const stateful = (): TrainerCallback => ({ name: 'counter', state: () => 1, restore: () => {} });
    const fresh = join(dir, 'fresh');
    await runWith(tiny(fresh), STEPS_PER_UPDATE, { callbacks: [stateful()], onWarning: (m) => warnings.push(m) });
    expect(warnings.filter((m) => m.includes('counter'))).toEqual([]);
    const plain = join(dir, 'plain');
    await run(tiny(plain), STEPS_PER_UPDATE);
    await runWith(tiny(plain, { resume: 'latest' }), 2 * STEPS_PER_UPDATE, { callbacks: [stateful()], onWarning: (m) => warnings.push(m) });
    expect(warnings).toContainEqual(expect.stringMatching(/callback 'counter' has no state in the checkpoint/));
  });

  it('rejects duplicate names and non-callbacks', () => {
    const t = new Trainer(tiny(join(dir, 'x')), { handleSignals: false, callbacks: [{ name: 'a' }] });
    expect(() => t.addCallback({ name: 'a' })).toThrow(/unique name/);
    expect(() => new Trainer({}, { callbacks: [{} as TrainerCallback] })).toThrow(/non-empty string name/);
  });
});

describe('the config is typed (checked by tsc, npm run lint)', () => {
  it('rejects misspelled fields and events at compile time', () => {
    // @ts-expect-error netwrok is not a field
    const a: TrainerConfigInput = { netwrok: 'mlp' };
    // @ts-expect-error clipCoeff is not a field of ppo
    const b: TrainerConfigInput = { ppo: { clipCoeff: 1 } };
    // @ts-expect-error 'resnet' is not a network
    const c: TrainerConfigInput = { network: 'resnet' };
    const ok: TrainerConfigInput = { env: { game: 'builtin', actions: 'right' }, ppo: { learningRate: 'linear:1e-4:0' } };
    const t = new Trainer(tiny(join(dir, 'typed')), { handleSignals: false });
    // @ts-expect-error 'updat' is not an event
    t.on('updat', () => {});
    t.on('update', (row) => void row['charts/SPS']);
    t.on('checkpoint', (info) => void info.kind);
    expect([a, b, c, ok].length).toBe(4);
    expect(t.config.env.game).toBe('runner');
  });
});
