import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  CONFIG_FIELDS,
  configHelp,
  defaultConfig,
  deriveSizes,
  formatFieldValue,
  loadConfigFile,
  parseConfigFlags,
  resolveConfig,
  validateConfig,
} from '../../src/train/config.js';
import { PRESETS } from '../../src/train/presets.js';
import { Trainer } from '../../src/train/trainer.js';
import { scheduleValue } from '../../src/train/schedule.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('defaults', () => {
  it('are the uvipen SMB PPO settings, with derived sizes computed once', () => {
    const c = defaultConfig();
    expect(c.algo).toBe('ppo');
    expect(c.env).toMatchObject({ width: 84, height: 84, grayscale: true, frameSkip: 4, frameStack: 4 });
    expect(c.ppo).toMatchObject({ numEnvs: 8, numSteps: 512, gamma: 0.9, gaeLambda: 1, epochs: 10, clipCoef: 0.2, entCoef: 0.01 });
    expect(c.ppo.learningRate).toEqual({ kind: 'constant', value: 1e-4 });
    const d = deriveSizes(c);
    expect(d).toMatchObject({ numEnvs: 8, batchSize: 4096, minibatchSize: 256, numUpdates: 1220, trainedSteps: 1220 * 4096 });
    expect(scheduleValue(d.schedules['ppo.learningRate'], 123)).toBe(1e-4);
    expect(defaultConfig()).not.toBe(defaultConfig()); // fresh copies
  });

  it('every field has a doc, a flag and a default that passes its own validation', () => {
    const paths = new Set<string>();
    for (const f of CONFIG_FIELDS) {
      expect(f.doc.length, f.path).toBeGreaterThan(3);
      expect(f.flag).toMatch(/^--[a-z0-9.-]+$/);
      expect(paths.has(f.path)).toBe(false);
      paths.add(f.path);
    }
    expect(validateConfig(defaultConfig())).toEqual(defaultConfig());
    expect(CONFIG_FIELDS.find((f) => f.path === 'ppo.clipCoef')!.flag).toBe('--ppo.clip-coef');
    expect(CONFIG_FIELDS.find((f) => f.path === 'dqn.per.beta')!.flag).toBe('--dqn.per.beta');
    const help = configHelp();
    for (const f of CONFIG_FIELDS) expect(help).toContain(f.flag);
    expect(help).toContain('--dqn.epsilon');
    expect(help).toContain('[default: linear:1:0.01:0.1]');
  });

  it('docs/training.md lists every field with its flag and default', () => {
    const doc = readFileSync(new URL('../../docs/training.md', import.meta.url), 'utf8');
    for (const f of CONFIG_FIELDS) {
      expect(doc, f.path).toContain(`| \`${f.path}\` | \`${f.flag}\` | \`${formatFieldValue(f, f.default)}\` |`);
    }
  });
});

describe('validateConfig', () => {
  it('merges a partial config over the defaults', () => {
    const c = validateConfig({ algo: 'dqn', dqn: { nStep: 5, per: { alpha: 0.5, beta: 0.7 } } });
    expect(c.algo).toBe('dqn');
    expect(c.dqn.nStep).toBe(5);
    expect(c.dqn.per).toMatchObject({ alpha: 0.5, enabled: true, beta: { kind: 'constant', value: 0.7 } });
    expect(c.ppo.numEnvs).toBe(8);
  });

  it('names the field path in every error', () => {
    const cases: [unknown, string | RegExp][] = [
      [{ ppo: { clipCoef: 'big' } }, 'Expected a finite number in [0, 10] for ppo.clipCoef but received "big"'],
      [{ ppo: { clipCoef: -1 } }, 'Expected a finite number in [0, 10] for ppo.clipCoef but received -1'],
      [{ ppo: { numEnvs: 2.5 } }, 'Expected an integer in [1, 512] for ppo.numEnvs but received 2.5'],
      [{ algo: 'sac' }, "Expected one of 'ppo', 'a2c', 'dqn' for algo but received \"sac\""],
      [{ overlap: 'yes' }, 'Expected a boolean for overlap but received "yes"'],
      [{ dqn: { per: { beta: { kind: 'linear', start: 2, end: 1 } } } }, /for dqn\.per\.beta\.start but received 2/],
      [{ ppo: { clipCoeff: 0.1 } }, /^Unknown config field ppo\.clipCoeff \(did you mean ppo\.clipCoef\?\); known fields of ppo: numEnvs, /],
      [{ ppoo: {} }, /^Unknown config field ppoo \(did you mean ppo\?\)/],
      [{ ppo: 3 }, 'Expected an object for ppo but received 3'],
      [[], 'Expected an object for config but received an array of length 0'],
      [{ env: { rom: 7 } }, 'Expected a string for env.rom but received 7'],
      [{ runDir: ' ' }, 'Expected a non-empty string for runDir but received " "'],
    ];
    for (const [input, message] of cases) expect(() => validateConfig(input), JSON.stringify(input)).toThrow(message);
  });

  it('checks cross-field rules in deriveSizes by field name', () => {
    expect(() => deriveSizes(validateConfig({ ppo: { minibatches: 3 } }))).toThrow(
      'Expected a divisor of the batch size 4096 (ppo.numEnvs × ppo.numSteps) for ppo.minibatches but received 3',
    );
    expect(() => deriveSizes(validateConfig({ totalSteps: 100 }))).toThrow(/for totalSteps but received 100/);
    const a2c = deriveSizes(validateConfig({ algo: 'a2c', totalSteps: 1000 }));
    expect(a2c).toMatchObject({ numEnvs: 16, batchSize: 80, minibatchSize: 80, numUpdates: 12, trainedSteps: 960 });
    expect(() => deriveSizes(validateConfig({ algo: 'dqn', dqn: { bufferSize: 16 } }))).toThrow(
      'Expected at least dqn.batchSize (32) for dqn.bufferSize but received 16',
    );
    const dqn = deriveSizes(validateConfig({ algo: 'dqn', totalSteps: 1_000_000 }));
    expect(dqn).toMatchObject({ numEnvs: 4, stepsPerUpdate: 4, numUpdates: 250_000, batchSize: 32 });
    expect(scheduleValue(dqn.schedules['dqn.epsilon'], 50_000)).toBeCloseTo(0.505, 10);
    expect(scheduleValue(dqn.schedules['dqn.per.beta'], 1_000_000)).toBe(1);
  });

  it('loads JSON files, naming the file and the field', () => {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ seed: 7, ppo: { learningRate: { kind: 'linear', start: 2.5e-4, end: 0 } } }));
    expect(loadConfigFile(good).ppo.learningRate).toEqual({ kind: 'linear', start: 2.5e-4, end: 0 });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ppo: { gamma: 1.5 } }));
    expect(() => loadConfigFile(bad)).toThrow(`Config file ${bad}: Expected a finite number in [0, 1] for ppo.gamma but received 1.5`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "seed": ');
    expect(() => loadConfigFile(broken)).toThrow(new RegExp(`Config file ${broken} is not valid JSON`));
    expect(() => loadConfigFile(join(dir, 'missing.json'))).toThrow(/Cannot read config file/);
  });
});

describe('command-line flags', () => {
  it('map every option to a flag: defaults written as flags parse back to the defaults', () => {
    const argv: string[] = [];
    for (const f of CONFIG_FIELDS) argv.push(`${f.flag}=${formatFieldValue(f, f.default).replace(/^''$/, '')}`);
    const { config, rest } = resolveConfig({ argv });
    expect(rest).toEqual([]);
    expect(config).toEqual(defaultConfig());
  });

  it('parses values, booleans, schedules, --config and positionals', () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ seed: 3, ppo: { epochs: 4, clipCoef: 0.3 } }));
    const { config, rest } = resolveConfig({
      argv: [
        'run1',
        '--config',
        file,
        '--ppo.clip-coef',
        '0.1',
        '--no-overlap',
        '--env.grayscale',
        'false',
        '--ppo.learning-rate=linear:2.5e-4:0',
        '--log.tensorboard',
        '--',
        '--not-a-flag',
      ],
      overrides: { seed: 5, ppo: { epochs: 6 } },
    });
    expect(rest).toEqual(['run1', '--not-a-flag']);
    expect(config.seed).toBe(5); // overrides beat the file
    expect(config.ppo.epochs).toBe(6);
    expect(config.ppo.clipCoef).toBe(0.1); // flags beat the file
    expect(config.overlap).toBe(false);
    expect(config.env.grayscale).toBe(false);
    expect(config.log.tensorboard).toBe(true);
    expect(config.ppo.learningRate).toEqual({ kind: 'linear', start: 2.5e-4, end: 0 });
    expect(parseConfigFlags(['--overlap=false']).values.get('overlap')).toBe(false);
    expect(parseConfigFlags(['--help', '-h', '--seed', '2']).rest).toEqual(['--help', '-h']);
  });

  it('rejects unknown flags with a suggestion and bad values naming the flag and the field', () => {
    expect(() => parseConfigFlags(['--ppo.clip-coeff', '0.1'])).toThrow(
      'Unknown option --ppo.clip-coeff (did you mean --ppo.clip-coef?); see --help for the list',
    );
    expect(() => parseConfigFlags(['--ppo.clip-coef', 'x'])).toThrow('Expected a number for ppo.clipCoef (--ppo.clip-coef) but received "x"');
    expect(() => parseConfigFlags(['--ppo.num-envs', '0'])).toThrow('Expected an integer in [1, 512] for ppo.numEnvs (--ppo.num-envs) but received 0');
    expect(() => parseConfigFlags(['--algo', 'sac'])).toThrow(/for algo \(--algo\) but received "sac"/);
    expect(() => parseConfigFlags(['--overlap=maybe'])).toThrow(/Expected true or false for overlap \(--overlap\)/);
    expect(() => parseConfigFlags(['--seed'])).toThrow('Missing value for --seed');
    expect(() => parseConfigFlags(['--dqn.epsilon', 'linear:1'])).toThrow(/for dqn.epsilon \(--dqn.epsilon\)/);
    expect(() => parseConfigFlags(['--no-seed'])).toThrow(/Unknown option --no-seed/);
  });
});

describe('a ROM without a game', () => {
  it('means Super Mario Bros. when no source names env.game, and is refused next to the built-in game', () => {
    expect(resolveConfig({ argv: ['--env.rom', 'smb.nes'] }).config.env).toMatchObject({ game: 'smb1', rom: 'smb.nes', world: 1, stage: 1 });
    expect(resolveConfig({ overrides: { env: { rom: 'smb.nes' } } }).config.env.game).toBe('smb1');
    const file = join(dir, 'rom-only.json');
    writeFileSync(file, JSON.stringify({ env: { rom: 'smb.nes' } }));
    expect(resolveConfig({ file }).config.env.game).toBe('smb1');
    // A source that names the game keeps it: the Trainer refuses the ROM with the built-in game.
    const named = resolveConfig({ argv: ['--preset', 'runner-ram', '--env.rom', 'smb.nes'] }).config;
    expect(named.env.game).toBe('runner');
    expect(() => new Trainer(named, { handleSignals: false })).toThrow(
      `Expected 'smb1' for env.game with env.rom "smb.nes" (the built-in game 'runner' takes no ROM: pass --env.game smb1, or drop --env.rom) but received 'runner'`,
    );
    expect(resolveConfig({ argv: ['--env.game', 'runner', '--env.rom', 'x'] }).config.env.game).toBe('runner');
    expect(resolveConfig({}).config.env.game).toBe('runner');
  });

  it('env.stallTerminal and env.stallReward need env.maxStallSteps, and are refused without it naming the option', () => {
    const stall = resolveConfig({ argv: ['--env.max-stall-steps', '20', '--env.stall-terminal', 'true', '--env.stall-reward', '-7.5'] }).config;
    expect(stall.env).toMatchObject({ maxStallSteps: 20, stallTerminal: true, stallReward: -7.5 });
    expect(() => new Trainer(stall, { handleSignals: false })).not.toThrow();
    const without = resolveConfig({ argv: ['--env.stall-terminal', 'true'] }).config;
    expect(() => new Trainer(without, { handleSignals: false })).toThrow(
      'Expected env.maxStallSteps > 0 with env.stallTerminal (it acts on stall cuts) but received env.maxStallSteps 0',
    );
    const reward = resolveConfig({ argv: ['--env.stall-reward', '-1'] }).config;
    expect(() => new Trainer(reward, { handleSignals: false })).toThrow(/env\.stallReward/);
    expect(() => resolveConfig({ argv: ['--env.stall-reward', '-5000'] })).toThrow(/env\.stallReward/);
  });
});

describe('presets', () => {
  it('every preset validates; --preset lays it under the file and flags', () => {
    for (const name of Object.keys(PRESETS)) expect(() => resolveConfig({ preset: name })).not.toThrow();
    const { config } = resolveConfig({ argv: ['--preset', 'runner-ram', '--ppo.num-envs', '16'] });
    expect(config.network).toBe('mlp');
    expect(config.env.obs).toBe('ram');
    expect(config.env.frameSkip).toBe(8);
    expect(config.ppo.numEnvs).toBe(16); // the flag wins
    expect(config.ppo.learningRate).toMatchObject({ kind: 'linear', start: 0.0005, end: 0 });
    expect(resolveConfig({ argv: ['--preset=smb-1-1'] }).config.env.game).toBe('smb1');
    expect(() => resolveConfig({ argv: ['--preset', 'nope'] })).toThrow(
      "Expected one of 'runner-ram', 'runner-pixels', 'runner-tiles', 'runner-curriculum', 'smb-1-1-tiles', 'smb-world-1-tiles', 'smb-1-1', 'smb3-1-1' for preset (--preset) but received \"nope\"",
    );
    expect(() => resolveConfig({ argv: ['--presets', 'x'] })).toThrow('did you mean --preset');
    expect(configHelp()).toContain('runner-ram');
  });
});
