/**
 * `Trainer.evaluateFromStates` and `mario-rl eval --start-states FILE`: one episode of the policy
 * from each save state of a list or start-state file, in the states' order, on the built-in game.
 * Also: `mario-rl eval` of a checkpoint whose run was seeded with `--start-states.file` does not
 * read that file again (it may be gone, or relative to another folder).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { VecEnv } from '../../src/env/vec-env.js';
import { resolveConfig } from '../../src/train/config.js';
import { vecEnvOptions } from '../../src/train/env-options.js';
import { encodeStartStates } from '../../src/train/start-states.js';
import { Trainer } from '../../src/train/trainer.js';
import { tinyTiles } from './trainer-helpers.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mario-rl-eval-states-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Save states of one lane of the built-in game after 0, 12 and 24 steps of "right" (action 1). */
function statesAlongTheStage(config: ReturnType<typeof resolveConfig>['config']): { states: Uint8Array[]; xs: number[] } {
  const env = new VecEnv({ ...vecEnvOptions(config, 1, 11), noopMax: 0 });
  try {
    let r = env.reset({ seed: 11 });
    const states: Uint8Array[] = [];
    const xs: number[] = [];
    for (let t = 0; t <= 24; t++) {
      if (t % 12 === 0) {
        states.push(env.saveStates([0])[0]!);
        xs.push(r.info.xPos![0]!);
      }
      r = env.step([1]);
    }
    return { states, xs };
  } finally {
    env.close();
  }
}

describe('Trainer.evaluateFromStates', () => {
  it('plays one episode from each state, in order, greedy ones the same every time, in batches of 64 lanes', async () => {
    const { config } = resolveConfig({ overrides: tinyTiles(join(dir, 'lib'), { env: { actions: 'right-only' } }) });
    const { states, xs } = statesAlongTheStage(config);
    expect(xs[2]).toBeGreaterThan(xs[0]!); // the states lie along the stage
    const trainer = new Trainer(config, { handleSignals: false });
    try {
      const results = await trainer.evaluateFromStates(states, { deterministic: true });
      expect(results.map((r) => r.index)).toEqual([0, 1, 2]);
      // Each episode starts where its state stands (one no-op frame later: the same x or a pixel on).
      results.forEach((r, i) => {
        expect(r.startX).toBeGreaterThanOrEqual(xs[i]!);
        expect(r.startX).toBeLessThanOrEqual(xs[i]! + 3);
        expect(r.maxX).toBeGreaterThanOrEqual(r.startX);
        expect(r.length).toBeGreaterThan(0);
        expect(r.cut).toBe(false); // the env's 60-step limit ends every episode first
      });
      expect(results[2]!.startX).toBeGreaterThan(results[0]!.startX);
      expect(await trainer.evaluateFromStates(states, { deterministic: true })).toEqual(results);

      // 70 copies of one state: two batches (64 + 6), every greedy episode the same.
      const many = await trainer.evaluateFromStates(
        Array.from({ length: 70 }, () => states[1]!),
        { deterministic: true, maxSteps: 2 },
      );
      expect(many.map((r) => r.index)).toEqual(Array.from({ length: 70 }, (_, i) => i));
      const { index: _, ...first } = many[0]!;
      for (const { index: __, ...r } of many) expect(r).toEqual(first);
      expect(first.cut).toBe(true); // cut after 2 steps, and said so
      expect(first.length).toBe(2);

      // Bad input is refused before anything is played, naming what is wrong.
      await expect(trainer.evaluateFromStates([])).rejects.toThrow(/non-empty array of save states .* for states/);
      await expect(trainer.evaluateFromStates(states, { stage: '9-9' })).rejects.toThrow(/stage/);
      await expect(trainer.evaluateFromStates(states, { maxSteps: 0 })).rejects.toThrow(/maxSteps/);
      await expect(trainer.evaluateFromStates(states, { episodes: 3 } as never)).rejects.toThrow(/Unknown option 'episodes'/);
    } finally {
      await trainer.close();
    }
  }, 120_000);
});

describe('mario-rl eval --start-states', () => {
  // tsx by path: the first process runs in the temporary folder, where `--import tsx` finds no package.
  const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
  const cli = (cwd: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', tsx, join(root, 'src/cli/index.ts'), ...args], { encoding: 'utf8', cwd });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('prints each state of a file and a summary; refuses bad files and flags; ignores the run’s own seed file', () => {
    const runDir = join(dir, 'run');
    const input = tinyTiles(runDir, { env: { actions: 'right-only' } });
    const { config } = resolveConfig({ overrides: input });
    const { states } = statesAlongTheStage(config);
    writeFileSync(join(dir, 'seed.bin'), encodeStartStates(new Map([['1-1', states]])));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(input));
    // Trained from a start-state file given by a path relative to `dir` …
    const train = cli(dir, 'train', '--config', 'config.json', '--total-steps', '64', '--start-states.share', '0.5', '--start-states.file', 'seed.bin');
    expect(train.code, train.err).toBe(0);
    const ckpt = join(runDir, 'checkpoints', 'latest.ckpt');

    // … and evaluated from the repository root, where that path means nothing.
    const plain = cli(root, 'eval', '--checkpoint', ckpt, '--episodes', '1');
    expect(plain.code, plain.err).toBe(0);
    const file = join(dir, 'seed.bin');
    const e = cli(root, 'eval', '--checkpoint', ckpt, '--start-states', file, '--deterministic');
    expect(e.code, e.err).toBe(0);
    expect(e.out).toContain(`from 3 states of ${file} with the checkpoint's own config: one episode each, greedy actions, no no-op frames`);
    const lines = e.out.split('\n').filter((l) => l.startsWith('1-1 #'));
    expect(lines).toHaveLength(3);
    lines.forEach((l, i) => expect(l).toMatch(new RegExp(`^1-1 #${i}: x \\d+ → max x \\d+`)));
    expect(e.out).toMatch(/^1-1: 3 states, flag from \d+ \(\d+\.\d%\), mean max x \d+\.\d, mean gain \d+\.\d px$/m);

    const refused = (args: string[], message: RegExp) => {
      const r = cli(root, 'eval', '--checkpoint', ckpt, ...args);
      expect(r.code, r.out).toBe(2);
      expect(r.err).toMatch(message);
    };
    refused(['--start-states', file, '--episodes', '3'], /--episodes does not apply with --start-states/);
    refused(['--start-states', join(dir, 'none.bin')], /readable start-state file for --start-states .*none\.bin' \(ENOENT\)/);
    refused(['--start-states', join(dir, 'config.json')], /start-state file .* for --start-states .*config\.json but its magic is wrong/);
    refused(['--start-states', file, '--stage', '1-2'], /has no states of 1-2 \(it has 1-1\)/);
  }, 300_000);
});
