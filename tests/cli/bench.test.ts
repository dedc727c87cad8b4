/** `mario-rl bench` in a child process: both tables, with their baseline rows, usage errors and help. */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { busyMachineNote } from '../../src/cli/bench.js';
import { nvidiaDriverPresent } from '../../src/runtime/device.js';

const root = resolve(import.meta.dirname, '../..');
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/index.ts'), 'bench', ...args], {
    encoding: 'utf8',
    cwd: root,
    env: { ...process.env, MARIO_ROM: '' },
  });

describe('mario-rl bench', () => {
  it('prints the env table (1 thread = baseline) and the training-loop table (overlap off = baseline)', () => {
    const r = cli(
      '--seconds',
      '1',
      '--updates',
      '1',
      '--preset',
      'runner-ram',
      '--ppo.num-envs',
      '4',
      '--ppo.num-steps',
      '16',
      '--ppo.minibatches',
      '2',
      '--device',
      'cpu',
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| 1 \(baseline\) \| \d+ \| \d+ \| 1\.00x \|/);
    expect(r.stdout).toContain('train: ppo, mlp network, RAM, game runner, device cpu, 1 measured updates');
    expect(r.stdout).toMatch(/\| off \(baseline\) \| \d+ \| \d+ \| \d+ \| 1\.00x \|/);
    expect(r.stdout).toMatch(/\| on \| \d+ \| \d+ \| \d+ \| \d+\.\d\dx \|/);
  }, 120_000);

  it('says each warning once although it starts two Trainers', () => {
    const r = cli(
      '--what',
      'train',
      '--updates',
      '1',
      '--preset',
      'runner-ram',
      '--ppo.num-envs',
      '4',
      '--ppo.num-steps',
      '16',
      '--ppo.minibatches',
      '2',
      '--network',
      'mlp',
    );
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('mario-rl: '));
    expect(lines.length).toBe(new Set(lines).size);
    if (!nvidiaDriverPresent()) expect(lines).toEqual(["mario-rl: device 'auto': no NVIDIA driver, so this runs on the CPU"]);
  }, 120_000);

  it('notes a busy machine (load average vs cores) before measuring', () => {
    expect(busyMachineNote(0.3, 2)).toBeUndefined();
    expect(busyMachineNote(3.01, 2)).toMatch(/^note: this machine is busy \(load average 3\.01 over the last minute on 2 cores\)/);
    expect(busyMachineNote(1, 2)).toContain('speed-up of more threads understated');
    expect(busyMachineNote(7.9, 16)).toBeUndefined();
  });

  it('exits 2 with the usage on bad flags', () => {
    const a = cli('--what', 'nope');
    expect(a.status).toBe(2);
    expect(a.stderr).toContain("--what must be one of env, train, all but is 'nope'");
    expect(a.stderr).toContain('usage: mario-rl bench');
    const b = cli('--seconds', '0');
    expect(b.status).toBe(2);
    expect(b.stderr).toContain('--seconds must be an integer in [1, 600]');
    const c = cli('--algo', 'dqn', '--what', 'train');
    expect(c.status).toBe(2);
    expect(c.stderr).toContain("not algo 'dqn'");
    // With the default --what all, the error comes before any table is measured.
    const d = cli('--algo', 'dqn');
    expect(d.status).toBe(2);
    expect(d.stderr).toContain("not algo 'dqn'");
    expect(d.stdout).not.toContain('env:');
  });

  it('prints the usage for -h and --help, and exits 0', () => {
    for (const flag of ['-h', '--help']) {
      const r = cli('--what', 'env', flag);
      expect([r.status, r.stdout.trim()], flag).toEqual([0, expect.stringMatching(/^usage: mario-rl bench /)]);
    }
  });
});
