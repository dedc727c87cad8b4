/**
 * The Trainer end to end on the built-in game with tiny configs (42×42, baseline network, 2 lanes,
 * one ORT thread): metrics rows and checkpoints, determinism, resume = uninterrupted, fallback past
 * a truncated checkpoint, SIGINT writing a loadable `latest`, and config errors naming the field.
 * A smoke run (rows, checkpoint, determinism) runs on both env backends.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { readCheckpoint } from '../../src/run/checkpoint-store.js';
import { resolveConfig, type TrainerConfigInput } from '../../src/train/config.js';
import { Trainer, vecEnvOptions } from '../../src/train/trainer.js';
import { ENV_BACKENDS } from '../env/backends.js';
import { learningRows, rows, run, STEPS_PER_UPDATE, tiny, withConfig } from './trainer-helpers.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-trainer-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe.each(ENV_BACKENDS)('Trainer smoke on the %s backend', (backend) => {
  it('trains PPO: one row per update and a checkpoint; same seed, same rows', async () => {
    const config = (name: string) => withConfig(tiny(join(dir, name)), { env: { backend }, log: { tensorboard: false, progress: 'off' } });
    await run(config('a'), 2 * STEPS_PER_UPDATE);
    await run(config('b'), 2 * STEPS_PER_UPDATE);
    const a = learningRows(join(dir, 'a'));
    expect(rows(join(dir, 'a')).map((r) => r.update)).toEqual([1, 2]);
    expect(typeof a[1]!['losses/value_loss']).toBe('number');
    expect(learningRows(join(dir, 'b'))).toEqual(a);
    expect(readCheckpoint(join(dir, 'a', 'checkpoints', 'latest.ckpt')).header).toMatchObject({ globalStep: 2 * STEPS_PER_UPDATE });
  }, 300_000);
});

describe('Trainer (PPO on the built-in game)', () => {
  it('passes env.noopMax and env.stickyActionProb to its envs; evaluate can override the no-ops', async () => {
    const base = resolveConfig({ overrides: tiny(join(dir, 'noop')) }).config;
    expect(vecEnvOptions(base, 2, 7)).not.toHaveProperty('noopMax');
    expect(vecEnvOptions(base, 2, 7)).not.toHaveProperty('stickyActionProb');
    const varied = resolveConfig({ overrides: tiny(join(dir, 'noop'), { env: { width: 42, height: 42, noopMax: 30, stickyActionProb: 0.25 } }) }).config;
    expect(vecEnvOptions(varied, 2, 7)).toMatchObject({ noopMax: 30, stickyActionProb: 0.25, numEnvs: 2, seed: 7 });
    const trainer = new Trainer(tiny(join(dir, 'noop')), { handleSignals: false, onWarning: () => {} });
    try {
      const r = await trainer.evaluate({ episodes: 2, deterministic: true, noopMax: 30 });
      expect(r.episodes).toHaveLength(2);
      await expect(trainer.evaluate({ episodes: 1, noopMax: -1 })).rejects.toThrow('Expected an integer in [0, 10000] for noopMax but received -1');
    } finally {
      await trainer.close();
    }
  });

  it('writes one metrics row per update, TensorBoard events and checkpoints; events fire', async () => {
    const runDir = join(dir, 'a');
    const trainer = new Trainer(tiny(runDir), { handleSignals: false, onWarning: () => {} });
    const updates: unknown[] = [];
    const checkpoints: { kind: string }[] = [];
    let episodes = 0;
    trainer.on('update', (r) => updates.push(r));
    trainer.on('checkpoint', (c) => checkpoints.push(c));
    trainer.on('episode', () => episodes++);
    const summary = await trainer.train({ totalSteps: 4 * STEPS_PER_UPDATE });
    const evalResult = await trainer.evaluate({ episodes: 3 });
    const actions = await trainer.act(new Uint8Array(2 * 4 * 42 * 42));
    await trainer.close();

    expect(summary).toMatchObject({ globalStep: 4 * STEPS_PER_UPDATE, globalUpdate: 4, updates: 4, stopReason: 'done' });
    const r = rows(runDir);
    expect(r.map((x) => x.update)).toEqual([1, 2, 3, 4]);
    expect(r.map((x) => x.global_step)).toEqual([1, 2, 3, 4].map((u) => u * STEPS_PER_UPDATE));
    for (const key of [
      'losses/policy_loss',
      'losses/value_loss',
      'losses/entropy',
      'losses/approx_kl',
      'losses/clipfrac',
      'losses/explained_variance',
      'charts/learning_rate',
      'charts/ent_coef',
      'charts/SPS',
      'charts/env_SPS',
      'charts/learner_SPS',
      'charts/policy_lag',
    ]) {
      expect(typeof r[3]![key], key).toBe('number');
    }
    expect(episodes).toBeGreaterThan(0);
    expect(r[3]!['charts/episodes']).toBeGreaterThan(0);
    expect(updates).toHaveLength(4);
    expect(checkpoints.map((c) => c.kind)).toEqual(['periodic', 'periodic', 'latest']);
    expect(readdirSync(join(runDir, 'checkpoints')).sort()).toEqual(['latest.ckpt', 'step-000000000128.ckpt', 'step-000000000256.ckpt']);
    const latest = readCheckpoint(join(runDir, 'checkpoints', 'latest.ckpt'));
    expect(latest.header).toMatchObject({ globalStep: 256, globalUpdate: 4, schemaVersion: 1 });
    expect(Object.keys(latest.sections)).toEqual(['learner']);
    expect(readdirSync(join(runDir, 'tensorboard')).some((f) => f.startsWith('events.out.tfevents.'))).toBe(true);
    expect(existsSync(join(runDir, 'config.json'))).toBe(true);
    expect(evalResult.episodes).toHaveLength(3);
    expect(actions).toHaveLength(2);
  });

  it('is deterministic: same config and seed give the same metrics rows (overlap off and on)', async () => {
    for (const overlap of [false, true]) {
      await run(tiny(join(dir, `x${overlap}`), { overlap }), 3 * STEPS_PER_UPDATE);
      await run(tiny(join(dir, `y${overlap}`), { overlap }), 3 * STEPS_PER_UPDATE);
      expect(learningRows(join(dir, `x${overlap}`))).toEqual(learningRows(join(dir, `y${overlap}`)));
    }
    expect(rows(join(dir, 'xtrue')).map((r) => r['charts/policy_lag'])).toEqual([0, 1, 0]);
  });

  it('resumed from a checkpoint, writes the same metrics rows as the uninterrupted run', async () => {
    const straight = join(dir, 'straight');
    const split = join(dir, 'split');
    await run(tiny(straight), 4 * STEPS_PER_UPDATE);
    await run(tiny(split), 2 * STEPS_PER_UPDATE);
    const summary = await run(tiny(split, { resume: 'latest' }), 4 * STEPS_PER_UPDATE);
    expect(summary.resumedFrom).toBe(join(split, 'checkpoints', 'latest.ckpt'));
    expect(learningRows(split)).toEqual(learningRows(straight));
  });

  it('falls back past a truncated newest checkpoint with a warning naming it', async () => {
    const runDir = join(dir, 't');
    await run(tiny(runDir, { checkpoint: { interval: 1, keep: 5 } }), 3 * STEPS_PER_UPDATE);
    const latest = join(runDir, 'checkpoints', 'latest.ckpt');
    truncateSync(latest, statSync(latest).size - 100);
    const warnings: string[] = [];
    const summary = await run(tiny(runDir, { resume: 'latest', checkpoint: { interval: 1, keep: 5 } }), 3 * STEPS_PER_UPDATE, {
      onWarning: (m: string) => warnings.push(m),
    });
    expect(warnings.join('\n')).toMatch(/latest\.ckpt is truncated/);
    expect(summary.resumedFrom).toBe(join(runDir, 'checkpoints', 'step-000000000192.ckpt'));
    expect(summary).toMatchObject({ globalUpdate: 3, updates: 0 });
  });

  it('SIGINT finishes the update and writes a loadable latest (child process)', async () => {
    const runDir = join(dir, 'sig');
    const child = join(import.meta.dirname, 'fixtures', 'trainer-child.ts');
    const proc = spawn(process.execPath, ['--import', 'tsx', child, runDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let sent = false;
    proc.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => {
      proc.stdout.on('data', (d) => {
        out += d;
        if (!sent && /UPDATE 2/.test(out)) {
          sent = true;
          proc.kill('SIGINT');
        }
      });
      proc.on('exit', (c) => resolve(c));
    });
    expect(code, err).toBe(130);
    expect(out).toMatch(/DONE SIGINT \d+/);
    const latest = readCheckpoint(join(runDir, 'checkpoints', 'latest.ckpt'));
    const done = Number(/DONE SIGINT (\d+)/.exec(out)![1]);
    expect(latest.header.globalUpdate).toBe(done);
    expect(latest.header.globalStep).toBe(done * STEPS_PER_UPDATE);
    const trainer = new Trainer(tiny(runDir), { handleSignals: false, onWarning: () => {} });
    await trainer.load(join(runDir, 'checkpoints', 'latest.ckpt'));
    expect(trainer.globalUpdate).toBe(done);
    expect(await trainer.act(new Uint8Array(4 * 42 * 42))).toHaveLength(1);
    await trainer.close();
  });

  it('trains A2C with the same loop (one epoch of one minibatch, no PPO diagnostics)', async () => {
    const runDir = join(dir, 'a2c');
    const summary = await run(tiny(runDir, { algo: 'a2c', a2c: { numEnvs: 2, numSteps: 8 } }), 4 * 16);
    expect(summary).toMatchObject({ globalStep: 64, globalUpdate: 4 });
    const r = rows(runDir);
    expect(r).toHaveLength(4);
    expect(typeof r[3]!['losses/policy_loss']).toBe('number');
    expect(r[3]!['losses/approx_kl']).toBeUndefined();
    expect(r[3]!['charts/ent_coef']).toBe(0.01); // a2c.entCoef's default
  });

  it('trains DQN (double, dueling, 3-step, PER, target copies) with replay and ε rows, deterministically', async () => {
    const dqn = (runDir: string) =>
      tiny(runDir, {
        algo: 'dqn',
        dqn: { numEnvs: 4, bufferSize: 1000, batchSize: 16, learningStarts: 200, trainFrequency: 4, targetUpdateInterval: 100, epsilon: 'linear:1:0.05:0.5' },
        checkpoint: { interval: 1, keep: 2 },
        totalSteps: 1000,
      });
    const a = await run(dqn(join(dir, 'q1')), 1000);
    await run(dqn(join(dir, 'q2')), 1000);
    expect(a).toMatchObject({ globalStep: 1000, globalUpdate: 250 });
    const r = rows(join(dir, 'q1'));
    expect(r.map((x) => x.global_step)).toEqual([1000]);
    expect(r[0]!['charts/gradient_steps']).toBe(201); // steps 200, 204, …, 1000
    expect(typeof r[0]!['losses/td_loss']).toBe('number');
    expect(r[0]!['replay/size']).toBeGreaterThan(900);
    expect(r[0]!['charts/epsilon']).toBeCloseTo(0.05, 6); // the ramp ended at step 500
    expect(learningRows(join(dir, 'q1'))).toEqual(learningRows(join(dir, 'q2')));
    expect(readCheckpoint(join(dir, 'q1', 'checkpoints', 'latest.ckpt')).header.globalStep).toBe(1000);
  });

  it('names the field in every config error', () => {
    const cases: [unknown, RegExp][] = [
      [{ ppo: { clipCoef: -1 } }, /ppo\.clipCoef/],
      [{ ppo: { clipCoeff: 0.1 } }, /ppo\.clipCoeff.*did you mean ppo\.clipCoef/],
      [{ ppo: { minibatches: 3 } }, /ppo\.minibatches/],
      [{ totalSteps: 10 }, /totalSteps/],
      [{ env: { game: 'nes' } }, /env\.game/],
      [{ env: { stage: 4 } }, /env\.stage/],
      [{ env: { width: 4 } }, /env\.width/],
      [{ network: 'resnet' }, /network/],
      [{ algo: 'dqn', dqn: { exploration: 'greedy' } }, /dqn\.exploration/],
      [{ algo: 'dqn', dqn: { tau: 0 } }, /dqn\.tau/],
      [{ ppo: { numEnvs: 600 } }, /\[1, 512\] for ppo\.numEnvs/],
      [{ algo: 'dqn', dqn: { nStep: 50 } }, /\[1, 32\] for dqn\.nStep/],
      [{ env: { maxEpisodeSteps: 2 ** 31 } }, /env\.maxEpisodeSteps/],
      [{ algo: 'dqn', dqn: { numEnvs: 8, bufferSize: 40, batchSize: 8 } }, /dqn\.bufferSize/],
      [{ checkpoint: { includeReplay: true } }, /checkpoint\.includeReplay/],
      [{ algo: 'dqn', env: { grayscale: false } }, /env\.grayscale/],
      [{ algo: 'dqn', dqn: { bufferSize: 8, batchSize: 32 } }, /dqn\.bufferSize/],
      [{ ppo: { targetKl: -0.02 } }, /ppo\.targetKl/],
      [{ env: { game: 'smb1', rom: join(dir, 'missing.nes') } }, /env\.rom/],
      [{ seed: -1 }, /seed/],
      [{ device: 'tpu' }, /device/],
    ];
    for (const [config, message] of cases)
      expect(() => new Trainer(config as TrainerConfigInput, { handleSignals: false }), JSON.stringify(config)).toThrow(message);
  });
});
