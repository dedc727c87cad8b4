/** The subcommand flag parser: strict mode, and the mode that hands other arguments on. */
import { describe, expect, it } from 'vitest';

import { choiceFlag, intFlag, parseFlags, parseKnownFlags, UsageError } from '../../src/cli/flags.js';

const spec = { checkpoint: {}, episodes: {}, deterministic: { boolean: true } };

describe('parseFlags', () => {
  it('reads --name value, --name=value and boolean flags', () => {
    expect(parseFlags(['--checkpoint', 'a.ckpt', '--episodes=5', '--deterministic'], spec)).toEqual({
      checkpoint: 'a.ckpt',
      episodes: '5',
      deterministic: 'true',
    });
  });

  it('rejects unknown flags, stray arguments, repeats, missing and unexpected values', () => {
    expect(() => parseFlags(['--nope'], spec)).toThrow(new UsageError('unknown flag --nope'));
    expect(() => parseFlags(['stray'], spec)).toThrow("unexpected argument 'stray'");
    expect(() => parseFlags(['--episodes', '1', '--episodes', '2'], spec)).toThrow('flag --episodes given twice');
    expect(() => parseFlags(['--episodes'], spec)).toThrow('flag --episodes needs a value');
    expect(() => parseFlags(['--episodes', '--deterministic'], spec)).toThrow('flag --episodes needs a value');
    expect(() => parseFlags(['--deterministic=yes'], spec)).toThrow('flag --deterministic takes no value');
  });

  it('reads one-letter aliases as their flags', () => {
    const withHelp = { ...spec, help: { boolean: true, short: 'h' } };
    expect(parseFlags(['-h'], withHelp)).toEqual({ help: 'true' });
    expect(parseKnownFlags(['--env.rom', 'x.nes', '-h'], withHelp)).toEqual({ flags: { help: 'true' }, rest: ['--env.rom', 'x.nes'] });
    expect(() => parseFlags(['-h', '--help'], withHelp)).toThrow('flag --help given twice');
    expect(() => parseFlags(['-x'], withHelp)).toThrow("unexpected argument '-x'");
  });

  it('does not treat Object.prototype names as flags', () => {
    expect(() => parseFlags(['--constructor', 'x'], spec)).toThrow('unknown flag --constructor');
  });
});

describe('parseKnownFlags', () => {
  it('takes its own flags out and hands every other argument on, in order', () => {
    const { flags, rest } = parseKnownFlags(
      ['--config', 'run/config.json', '--episodes', '3', '--ppo.clip-coef=0.1', '--deterministic', '--env.rom', 'smb.nes'],
      spec,
    );
    expect(flags).toEqual({ episodes: '3', deterministic: 'true' });
    expect(rest).toEqual(['--config', 'run/config.json', '--ppo.clip-coef=0.1', '--env.rom', 'smb.nes']);
  });

  it('still checks its own flags', () => {
    expect(() => parseKnownFlags(['--checkpoint'], spec)).toThrow('flag --checkpoint needs a value');
    expect(() => parseKnownFlags(['--checkpoint', 'a', '--checkpoint=b'], spec)).toThrow('flag --checkpoint given twice');
    expect(() => parseKnownFlags(['--deterministic=1'], spec)).toThrow('flag --deterministic takes no value');
  });
});

describe('value checks', () => {
  it('intFlag and choiceFlag name the flag, the allowed values and what was given', () => {
    expect(intFlag('12', 'seconds', 1, 600)).toBe(12);
    expect(() => intFlag('0', 'seconds', 1, 600)).toThrow("--seconds must be an integer in [1, 600] but is '0'");
    expect(() => intFlag('1.5', 'seconds', 1, 600)).toThrow("but is '1.5'");
    expect(choiceFlag('env', 'what', ['env', 'train'] as const)).toBe('env');
    expect(() => choiceFlag('nope', 'what', ['env', 'train'] as const)).toThrow("--what must be one of env, train but is 'nope'");
  });
});
