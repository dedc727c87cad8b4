/** `mario-rl train` and `mario-rl eval` in a child process with a tiny run on the built-in game. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

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

describe('mario-rl train / eval', () => {
  it('trains a tiny run on the built-in game from a config file plus flags, then evaluates its checkpoint', () => {
    const runDir = join(dir, 'run');
    const config = join(dir, 'tiny.json');
    writeFileSync(
      config,
      JSON.stringify({
        network: 'baseline',
        device: 'cpu',
        threads: 1,
        overlap: false,
        env: { width: 42, height: 42, maxEpisodeSteps: 60 },
        ppo: { numEnvs: 2, numSteps: 32, epochs: 1, minibatches: 2 },
        log: { heartbeatSeconds: 0, tensorboard: false },
      }),
    );
    const r = cli('train', '--config', config, '--total-steps', '128', '--run-dir', runDir, '--log.progress', 'plain');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("built-in game 'runner'");
    expect(r.err).toContain('--env.game smb1 --env.rom');
    expect(r.err).toMatch(/done: 128 agent steps, 2 updates/);
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(existsSync(join(runDir, 'checkpoints', 'latest.ckpt'))).toBe(true);

    const e = cli(
      'eval',
      '--config',
      join(runDir, 'config.json'),
      '--checkpoint',
      join(runDir, 'checkpoints', 'latest.ckpt'),
      '--episodes',
      '2',
      '--deterministic',
    );
    expect(e.code, e.err).toBe(0);
    expect(e.out).toMatch(/episodes 2, flag rate \d+\.\d%, mean return/);
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
    expect(c.err).toMatch(/needs a Super Mario Bros\. ROM: pass env\.rom/);
    const h = cli('train', '--help');
    expect(h.code).toBe(0);
    expect(h.out).toContain('--ppo.clip-coef');
  });
});
