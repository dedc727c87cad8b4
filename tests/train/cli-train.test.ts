/**
 * `mario-rl train` and `mario-rl eval` in a child process with a tiny run on the built-in game: train
 * then eval on both env backends (ENV_BACKENDS); the refusals, which step no env, once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { chooseDefaultSetup } from '../../src/cli/train.js';
import { cudaBlocker } from '../../src/runtime/device.js';
import { ENV_BACKENDS } from '../env/backends.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mario-rl-cli-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/index.ts'), ...args], {
    encoding: 'utf8',
    cwd: root,
    env: { ...process.env, MARIO_ROM: '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A tiny run's config file: 42×42, baseline network, 2 lanes × 32 steps, one epoch. */
function writeTinyConfig(path: string, backend: string): void {
  writeFileSync(
    path,
    JSON.stringify({
      network: 'baseline',
      device: 'cpu',
      threads: 1,
      overlap: false,
      env: { width: 42, height: 42, maxEpisodeSteps: 60, backend },
      ppo: { numEnvs: 2, numSteps: 32, epochs: 1, minibatches: 2 },
      log: { heartbeatSeconds: 0, tensorboard: false },
    }),
  );
}

describe.each(ENV_BACKENDS)('mario-rl train / eval on the %s backend', (backend) => {
  it('trains a tiny run on the built-in game from a config file plus flags, then evaluates its checkpoint', () => {
    const runDir = join(dir, `run-${backend}`);
    const config = join(dir, `tiny-${backend}.json`);
    writeTinyConfig(config, backend);
    const r = cli('train', '--config', config, '--total-steps', '128', '--run-dir', runDir, '--log.progress', 'plain');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("built-in game 'runner'");
    expect(r.err).toContain('--preset smb-1-1 --env.rom');
    // A config file chooses the setup: no CPU default.
    expect(r.err).not.toContain('--preset runner-ram');
    expect(r.err).toMatch(/done: 128 agent steps, 2 updates/);
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(existsSync(join(runDir, 'checkpoints', 'latest.ckpt'))).toBe(true);
    expect(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')).env.backend).toBe(backend);

    const ckpt = join(runDir, 'checkpoints', 'latest.ckpt');
    const e = cli('eval', '--config', join(runDir, 'config.json'), '--checkpoint', ckpt, '--episodes', '2', '--deterministic');
    expect(e.code, e.err).toBe(0);
    expect(e.out).toMatch(/episodes 2 \(greedy actions\), flag rate \d+\.\d%, mean return/);

    // Without --config: the checkpoint's own config (its header holds it); sampled by default.
    const own = cli('eval', '--checkpoint', ckpt, '--episodes', '2');
    expect(own.code, own.err).toBe(0);
    expect(own.out).toContain(`evaluating ${ckpt} (step 128) on runner stage 1 with the checkpoint's own config: 2 episodes, sampled actions`);
    expect(own.out).toMatch(/episodes 2 \(sampled actions\), flag rate/);
  }, 300_000); // three CLI processes; jsnes's steps and a busy machine's start-ups add up
});

describe('mario-rl train / eval', () => {
  // Backend-independent: the refusals below are decided before any env steps.
  it('refuses a checkpoint of another game or stage, a missing one, and a run directory that holds a run', () => {
    const runDir = join(dir, 'run-refusals');
    const config = join(dir, 'tiny-refusals.json');
    writeTinyConfig(config, 'native');
    const r = cli('train', '--config', config, '--total-steps', '128', '--run-dir', runDir, '--log.progress', 'plain');
    expect(r.code, r.err).toBe(0);
    const ckpt = join(runDir, 'checkpoints', 'latest.ckpt');

    // A config for another game or stage is refused; a stage named by a flag is taken as meant.
    const smb = cli('eval', '--checkpoint', ckpt, '--preset', 'smb-1-1');
    expect(smb.code).toBe(2);
    expect(smb.err).toContain(
      `checkpoint ${ckpt} was trained on runner stage 1, but the config says smb1 1-1 (--preset smb-1-1): drop --preset to use the checkpoint's own config`,
    );
    const stage2 = join(dir, 'stage2.json');
    writeFileSync(
      stage2,
      JSON.stringify({
        ...JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')),
        env: { ...JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')).env, stage: 2 },
      }),
    );
    const other = cli('eval', '--checkpoint', ckpt, '--config', stage2, '--episodes', '1');
    expect(other.code).toBe(2);
    expect(other.err).toContain('was trained on runner stage 1, but --config');
    expect(other.err).toContain('name the stage with --env.stage');
    const meant = cli('eval', '--checkpoint', ckpt, '--env.stage', '2', '--episodes', '1');
    expect(meant.code, meant.err).toBe(0);
    expect(meant.out).toContain("on runner stage 2 with the checkpoint's own config");
    const missing = cli('eval', '--checkpoint', join(dir, 'none.ckpt'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/does not exist/);

    // The same command again would mix two runs: refused at once with what to do; --overwrite replaces the run.
    const again = cli('train', '--config', config, '--total-steps', '64', '--run-dir', runDir, '--log.progress', 'plain');
    expect(again.code).toBe(1);
    expect(again.err).toContain(`mario-rl train: The run directory ${runDir} already holds a run: metrics.jsonl (2 rows), 1 checkpoint in checkpoints/.`);
    expect(again.err).toContain('Continue that run with --resume latest');
    const replaced = cli('train', '--config', config, '--total-steps', '64', '--run-dir', runDir, '--log.progress', 'plain', '--overwrite');
    expect(replaced.code, replaced.err).toBe(0);
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it.skipIf(cudaBlocker() === undefined)(
    'with no setup chosen on a CPU-only machine, trains runner-ram, says why, and says at once what the first rollout collects',
    () => {
      const runDir = join(dir, 'cpu-default');
      const r = cli('train', '--total-steps', '2048', '--run-dir', runDir, '--log.progress', 'plain', '--log.tensorboard', 'false');
      expect(r.code, r.err).toBe(0);
      const lines = r.err.split('\n');
      const chose = lines.findIndex((l) => l.startsWith('mario-rl: CPU only (') && l.includes('training --preset runner-ram'));
      const collecting = lines.findIndex((l) =>
        l.startsWith('collecting the first rollout (ppo, mlp network on RAM, game runner): 32 lanes × 32 steps = 1,024 agent steps'),
      );
      const device = lines.findIndex((l) => l.includes("device 'auto'"));
      expect(chose).toBeGreaterThanOrEqual(0);
      // Before the learner starts: the line comes at once, not after the first update.
      expect(collecting).toBeGreaterThan(chose);
      if (device >= 0) expect(collecting).toBeLessThan(device);
      expect(r.err).not.toMatch(/expect roughly \d+ agent steps/); // the CPU-speed warning is for slow setups
      expect(r.err.match(/^100\.0% /gm)).toHaveLength(1); // the last progress line once
      const saved = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
      expect([saved.network, saved.env.obs, saved.env.frameSkip, saved.ppo.numEnvs]).toEqual(['mlp', 'ram', 8, 32]);
    },
  );

  it('chooses the CPU default only when nothing chooses the setup and CUDA cannot load', () => {
    const cpu = 'no NVIDIA driver on this machine';
    expect(chooseDefaultSetup([], cpu)?.preset).toBe('runner-ram');
    expect(chooseDefaultSetup([], cpu)?.line).toContain('CPU only (no NVIDIA driver)');
    expect(chooseDefaultSetup(['--run-dir', 'x', '--total-steps', '5000', '--log.progress', 'plain', '--seed', '3'], cpu)?.preset).toBe('runner-ram');
    expect(chooseDefaultSetup([], undefined)).toBeUndefined(); // a GPU: the pixel default
    expect(chooseDefaultSetup(['--device', 'cpu'], undefined)?.line).toContain('CPU only (--device cpu)');
    expect(chooseDefaultSetup(['--device', 'cuda'], cpu)).toBeUndefined();
    for (const chosen of [
      ['--preset', 'runner-pixels'],
      ['--config', 'x.json'],
      ['--network', 'baseline'],
      ['--env.width', '64'],
      ['--ppo.epochs', '2'],
      ['--algo', 'dqn'],
    ]) {
      expect(chooseDefaultSetup(chosen, cpu), chosen.join(' ')).toBeUndefined();
    }
    expect(chooseDefaultSetup(['--ppo.clip-coeff', '1'], cpu)).toBeUndefined(); // errors are parseRunConfig's to report
  });

  it('bad flags and config values exit 2 naming the field', () => {
    const a = cli('train', '--ppo.clip-coef', '-1');
    expect(a.code).toBe(2);
    expect(a.err).toContain('ppo.clipCoef');
    const b = cli('train', '--ppo.clip-coeff', '0.1');
    expect(b.code).toBe(2);
    expect(b.err).toContain('did you mean --ppo.clip-coef');
    const c = cli('train', '--env.game', 'smb1', '--run-dir', join(dir, 'nope'));
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/needs a Super Mario Bros\. ROM .*pass env\.rom/);
    // A ROM alone means Super Mario Bros. (it is read, not ignored); a ROM with the built-in game is refused.
    const romOnly = cli('train', '--env.rom', join(dir, 'no-such.nes'), '--run-dir', join(dir, 'nope'));
    expect(romOnly.code).toBe(2);
    expect(romOnly.err).toContain(`Cannot read the ROM for env.rom at ${join(dir, 'no-such.nes')}`);
    const both = cli('train', '--preset', 'runner-ram', '--env.rom', 'smb.nes', '--run-dir', join(dir, 'nope'));
    expect(both.code).toBe(2);
    expect(both.err).toContain(
      "for env.game with env.rom \"smb.nes\" (the built-in game 'runner' takes no ROM: pass --env.game smb1, or drop --env.rom) but received 'runner'",
    );
    const h = cli('train', '--help');
    expect(h.code).toBe(0);
    expect(h.out).toContain('--ppo.clip-coef');
    expect(h.out).toMatch(/--init-from +warm start: /);
    expect(h.out).toMatch(/--env\.distance-weight +weight of the reward's distance term/);
  });
});
