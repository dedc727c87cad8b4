/**
 * Warm start (`initFrom`): a run starts from another run's network weights only, refuses a
 * checkpoint whose network does not fit, and gives way to a resume of its own run.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readCheckpoint, writeCheckpoint } from '../../src/run/checkpoint-store.js';
import { decodeSafetensors } from '../../src/runtime/safetensors.js';
import { configHelp, resolveConfig, type TrainerConfigInput } from '../../src/train/config.js';
import { Trainer } from '../../src/train/trainer.js';
import { rows, tinyTiles, withConfig } from './trainer-helpers.js';

let dir = '';
/** The checkpoint every test starts from: one update of {@link tiles} in run `base`. */
let base = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-warm-'));
  base = (await train(tiles(join(dir, 'base')), 32)).summary.latestCheckpoint;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** {@link tinyTiles} with 2 stacked frames. */
const tiles = (runDir: string, extra: TrainerConfigInput = {}) => tinyTiles(runDir, withConfig({ env: { frameStack: 2 } }, extra));

async function train(config: TrainerConfigInput, totalSteps: number) {
  const warnings: string[] = [];
  const trainer = new Trainer(config, { handleSignals: false, onWarning: (m) => warnings.push(m) });
  try {
    return { summary: await trainer.train({ totalSteps }), warnings };
  } finally {
    await trainer.close();
  }
}

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('initFrom (warm start)', () => {
  it("loads the checkpoint's parameters only: step 0, fresh optimizer state, no episode window; the run records where they came from", async () => {
    const saved = decodeSafetensors(readCheckpoint(base).sections.learner!).tensors;
    expect(readCheckpoint(base).header.globalStep).toBe(32);
    const warnings: string[] = [];
    const trainer = new Trainer(tiles(join(dir, 'fine'), { initFrom: base }), { handleSignals: false, onWarning: (m) => warnings.push(m) });
    try {
      await trainer.act(new Uint8Array(2 * 13 * 16)); // creates the learner, which loads the weights
      const learner = trainer.learner!;
      expect(learner.params.size).toBeGreaterThan(0);
      for (const [name, value] of learner.params) expect(bytesOf(value).equals(bytesOf(saved.get(name)!.data as Float32Array)), name).toBe(true);
      expect(learner.step).toBe(0);
      expect(trainer.globalStep).toBe(0);
      for (const [name, moment] of learner.optimizerState) {
        expect(
          moment.every((x) => x === 0),
          name,
        ).toBe(true);
        expect(
          (saved.get(name)!.data as Float32Array).some((x) => x !== 0),
          `the checkpoint's ${name}`,
        ).toBe(true);
      }
      const summary = await trainer.train({ totalSteps: 32 });
      expect(summary).toMatchObject({ globalStep: 32, globalUpdate: 1, initializedFrom: base });
      expect(summary.resumedFrom).toBeUndefined();
      expect(warnings.filter((m) => m.startsWith('initFrom: '))).toEqual([
        `initFrom: the network starts from the weights of ${base} (agent step 32 of its run); counters, optimizer state, episode window and callback state start fresh`,
      ]);
      expect(rows(join(dir, 'fine')).map((r) => r.global_step)).toEqual([32]);
      const header = readCheckpoint(summary.latestCheckpoint).header;
      expect(header).toMatchObject({ globalStep: 32, learnerStep: 2, initializedFrom: base });
    } finally {
      await trainer.close();
    }
  });

  it('refuses a checkpoint whose network, observation shape, action set or head differ, naming initFrom and what differs', () => {
    const refuse = (extra: TrainerConfigInput, message: string) =>
      expect(() => new Trainer(tiles(join(dir, 'x'), { initFrom: base, ...extra }), { handleSignals: false })).toThrow(
        `Cannot start from initFrom (--init-from) ${base}: its network does not fit this config (${message}); `,
      );
    refuse({ network: 'tiles' }, "network: checkpoint 'tiles-mlp', this config 'tiles'");
    refuse({ env: { tileCols: 8 } }, 'observation shape: checkpoint tiles [2, 13, 16], this config tiles [2, 13, 8]');
    refuse({ env: { actions: 'right-only' } }, "action count: checkpoint 7 ('simple'), this config 5 ('right-only')");
    refuse({ algo: 'dqn' }, "head: checkpoint 'actor-critic' (algo ppo), this config 'dueling' (algo dqn)");
    refuse(
      { network: 'mlp', env: { obs: 'ram' } },
      "network: checkpoint 'tiles-mlp', this config 'mlp'; observation shape: checkpoint tiles [2, 13, 16], this config RAM [1, 1, 2048]",
    );
    // Same network on another stage, and A2C (the same actor-critic head): fine-tuning.
    expect(() => new Trainer(tiles(join(dir, 'x'), { initFrom: base, env: { stage: 2 } }))).not.toThrow();
    expect(() => new Trainer(tiles(join(dir, 'x'), { initFrom: base, algo: 'a2c' }))).not.toThrow();
  });

  it('refuses a file that does not exist or is not a Trainer checkpoint, before anything starts', () => {
    const missing = join(dir, 'missing.ckpt');
    expect(() => new Trainer(tiles(join(dir, 'x'), { initFrom: missing }))).toThrow(
      `Cannot start from initFrom (--init-from) ${missing}: Checkpoint ${missing} does not exist or cannot be opened`,
    );
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a checkpoint');
    expect(() => new Trainer(tiles(join(dir, 'x'), { initFrom: text }))).toThrow(
      `Cannot start from initFrom (--init-from) ${text}: ${text} is not a mario-rl checkpoint (bad magic bytes)`,
    );
    const other = join(dir, 'other.ckpt');
    writeCheckpoint(other, { globalStep: 0, globalUpdate: 0 }, { params: new Uint8Array(8) });
    expect(() => new Trainer(tiles(join(dir, 'x'), { initFrom: other }))).toThrow(
      `Cannot start from initFrom (--init-from) ${other}: it is not a Trainer checkpoint (format 1 with a run config)`,
    );
  });

  it('a checkpoint of the run found by resume wins: initFrom is ignored with a note, and the run keeps its origin', async () => {
    const runDir = join(dir, 'resumed');
    // The same command twice: the first starts from the warm-start weights ('auto' finds nothing yet), the second resumes.
    const config = tiles(runDir, { initFrom: base, resume: 'auto' });
    const first = await train(config, 32);
    expect(first.summary).toMatchObject({ globalStep: 32, initializedFrom: base });
    expect(first.summary.resumedFrom).toBeUndefined();
    const second = await train(config, 64);
    expect(second.summary).toMatchObject({ globalStep: 64, globalUpdate: 2, updates: 1, initializedFrom: base });
    expect(second.summary.resumedFrom).toBe(join(runDir, 'checkpoints', 'latest.ckpt'));
    expect(second.warnings.filter((m) => m.startsWith('initFrom'))).toEqual([`initFrom ${base} ignored: resuming this run from ${second.summary.resumedFrom}`]);
    expect(rows(runDir).map((r) => r.global_step)).toEqual([32, 64]);
  });

  it("the warm-start file itself under runDir, found by resume 'auto', is where the run starts, not a checkpoint to resume", async () => {
    const runDir = join(dir, 'inside');
    const init = join(runDir, 'from', 'base.ckpt');
    mkdirSync(join(runDir, 'from'), { recursive: true });
    copyFileSync(base, init);
    const { summary } = await train(tiles(runDir, { initFrom: init, resume: 'auto' }), 32);
    expect(summary).toMatchObject({ globalStep: 32, globalUpdate: 1, initializedFrom: init });
    expect(summary.resumedFrom).toBeUndefined();
  });

  it('is a flag with a default of off, listed by --help', () => {
    expect(resolveConfig({ argv: ['--init-from', 'runs/a/checkpoints/latest.ckpt'] }).config.initFrom).toBe('runs/a/checkpoints/latest.ckpt');
    expect(resolveConfig({}).config.initFrom).toBe('');
    expect(configHelp()).toMatch(/--init-from +warm start: a Trainer checkpoint whose network weights start the run .*\[default: ''\]/);
  });
});
