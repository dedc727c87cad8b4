/** Help and version of every command, in a child process: each has -h and --help and prints its own options. */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/index.ts'), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('mario-rl help and version', () => {
  it('--version, -v and version print the versions', () => {
    const version = (JSON.parse(spawnSync('npm', ['pkg', 'get', 'version'], { cwd: root, encoding: 'utf8' }).stdout) as string).trim();
    for (const args of [['--version'], ['-v'], ['version']]) {
      const r = cli(...args);
      expect([r.code, r.out], args.join(' ')).toEqual([0, expect.stringMatching(new RegExp(`^mario-rl ${version.replace(/\./g, '\\.')} \\(native: `))]);
    }
    expect(cli('version', 'x').code).toBe(2);
    expect(cli('-h').out).toContain('-v, --version');
  });

  it('every command takes -h and --help and prints its usage', () => {
    for (const command of [
      'version',
      'train',
      'learner',
      'actor',
      'eval',
      'play',
      'search-states',
      'bench',
      'doctor',
      'export-graph',
      'export-web',
      'report',
      'export-metrics',
    ]) {
      for (const flag of ['-h', '--help']) {
        const r = cli(command, flag);
        expect([r.code, r.out.startsWith(`usage: mario-rl ${command}`)], `${command} ${flag}`).toEqual([0, true]);
      }
    }
  });

  it('eval and play list their own options, not the training flags, and say run-config flags are accepted', () => {
    for (const command of ['eval', 'play']) {
      const r = cli(command, '--help');
      expect(r.out).toContain('--checkpoint FILE');
      expect(r.out).toContain('Run-config flags are accepted');
      expect(r.out).not.toContain('--ppo.clip-coef');
      expect(r.out.split('\n').length).toBeLessThan(30);
    }
    expect(cli('eval', '-h').out).toContain('--deterministic');
    expect(cli('play', '-h').out).toContain('--sample');
    // train lists every config field, enums with their choices.
    const train = cli('train', '--help').out;
    expect(train).toContain('--ppo.clip-coef');
    expect(train).toMatch(/--env\.actions .*\(right-only\|simple\|complex\)/);
  });
});
