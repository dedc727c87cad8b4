/**
 * VecEnv option validation and ROM checks (no game ROM needed: synthetic iNES images). Defaults,
 * ROM checks and the shapes a VecEnv builds run on both backends (ENV_BACKENDS); the option
 * parser's messages are TS shared by both, so they run once.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { VecEnv } from '../../src/index.js';
import { ACTION_SET_SIZES, normalizeVecEnvOptions, observationShape } from '../../src/env/vec-env.js';
import { ENV_BACKENDS } from './backends.js';

/** A minimal iNES image: header + zeroed PRG/CHR. */
function ines(prgBanks: number, chrBanks: number, mapper = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(16 + prgBanks * 16384 + chrBanks * 8192);
  out.set([0x4e, 0x45, 0x53, 0x1a, prgBanks, chrBanks, (mapper & 15) << 4, mapper & 0xf0]);
  return out;
}

describe('VecEnv options', () => {
  const rom = ines(2, 1);

  it('rejects bad options with the standard message', () => {
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 0 })).toThrow(new RangeError('Expected an integer in [1, 512] for numEnvs but received 0'));
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 1, stages: ['9-1'] })).toThrow(
      /Expected a stage 'W-S' with W in 1..8 and S in 1..4 for stages\[0\] but received "9-1"/,
    );
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 1, stages: [] })).toThrow(RangeError);
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 1, actions: 'left' })).toThrow(/for actions but received "left"/);
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 1, reward: 'v1' })).toThrow(/for reward/);
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 1, game: 'zelda' })).toThrow(/for game/);
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 1, fastPaths: 1 as never })).toThrow(new TypeError('Expected a boolean for fastPaths but received 1'));
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 1, obs: { width: 300 } })).toThrow(/obs.width/);
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 1, obs: { crop: { top: 200, bottom: 40 } } })).toThrow(/obs.crop.bottom/);
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 1, obs: 'rgb' })).toThrow(
      new RangeError("Expected an obs options object, 'ram' or 'tiles' for obs but received \"rgb\""),
    );
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 1, stickyActionProb: 2 })).toThrow(/stickyActionProb/);
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 1, frameSkip: 0 })).toThrow(/frameSkip/);
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 1, numEnv: 2 })).toThrow(/Unknown option 'numEnv'/);
    expect(() => normalizeVecEnvOptions({ rom: 'mario.nes', numEnvs: 1 })).toThrow(/Expected a BufferSource .* for rom/);
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 1, rewardShaping: { annealSteps: -1 } })).toThrow(/annealSteps/);
  });

  it("reads obs: 'tiles' and { kind: 'tiles', rows, cols, frameStack }, and rejects bad tile options naming them", () => {
    expect(normalizeVecEnvOptions({ rom, numEnvs: 1, obs: 'tiles' }).config).toMatchObject({ obsKind: 'tiles', tileRows: 13, tileCols: 16, stack: 4 });
    expect(normalizeVecEnvOptions({ rom, numEnvs: 1, obs: { kind: 'tiles', rows: 6, cols: 64, frameStack: 2 } }).config).toMatchObject({
      obsKind: 'tiles',
      tileRows: 6,
      tileCols: 64,
      stack: 2,
    });
    expect(normalizeVecEnvOptions({ rom, numEnvs: 1, obs: { kind: 'pixels', width: 42 } }).config).toMatchObject({ obsKind: 'pixels', width: 42 });
    expect(normalizeVecEnvOptions({ rom, numEnvs: 1, obs: 'ram' }).config).toMatchObject({ obsKind: 'ram' });
    const bad = (obs: unknown) => () => normalizeVecEnvOptions({ rom, numEnvs: 1, obs });
    expect(bad({ kind: 'tiles', rows: 40 })).toThrow(new RangeError('Expected an integer in [1, 32] for obs.rows but received 40'));
    expect(bad({ kind: 'tiles', cols: 0 })).toThrow(new RangeError('Expected an integer in [1, 64] for obs.cols but received 0'));
    expect(bad({ kind: 'tiles', rows: 2.5 })).toThrow(/for obs.rows but received 2.5/);
    expect(bad({ kind: 'tiles', frameStack: 17 })).toThrow(new RangeError('Expected an integer in [1, 16] for obs.frameStack but received 17'));
    expect(bad({ kind: 'tiles', width: 84 })).toThrow(/Unknown option 'width'/);
    expect(bad({ kind: 'voxels' })).toThrow(/Expected one of 'pixels', 'tiles' for obs.kind but received/);
  });
});

describe('one name per thing (older spellings still accepted)', () => {
  const rom = ines(2, 1);

  it("'right-only' and 'right', 'shaped' and 'v9', obs.frameStack and obs.stack give the same config", () => {
    const a = normalizeVecEnvOptions({ rom, numEnvs: 2, actions: 'right-only', reward: 'shaped', obs: { frameStack: 3 } }).config;
    const b = normalizeVecEnvOptions({ rom, numEnvs: 2, actions: 'right', reward: 'v9', obs: { stack: 3 } }).config;
    expect(a).toEqual(b);
    expect(a.stack).toBe(3);
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 2, obs: { frameStack: 3, stack: 3 } })).toThrow(/not both/);
    expect(() => normalizeVecEnvOptions({ rom, numEnvs: 2, actions: 'left-only' as never })).toThrow(
      /Expected one of 'right-only', 'simple', 'complex', 'full' for actions/,
    );
  });
});

const smb3 = process.env.SMB3_ROM;
if (!smb3) console.warn('SMB3_ROM is not set: skipping the SMB3-is-not-SMB1 check');

describe.each(ENV_BACKENDS)('VecEnv defaults, ROM checks and shapes on the %s backend', (backend) => {
  const rom = ines(2, 1);

  it('fills documented defaults', () => {
    const { config } = normalizeVecEnvOptions({ rom, numEnvs: 3, backend });
    expect(config).toMatchObject({
      game: 'smb1',
      actions: 'simple',
      reward: 'v0',
      stages: [],
      frameSkip: 4,
      maxPool: true,
      stickyActionProb: 0,
      noopMax: 0,
      maxEpisodeSteps: 0,
      obsKind: 'pixels',
      width: 84,
      height: 84,
      stack: 4,
      grayscale: true,
      seed: 0,
      fastPaths: process.env.MARIO_RL_EXACT !== '1',
    });
    expect(config.numThreads).toBeGreaterThanOrEqual(1);
    // jsnes steps every lane on the calling thread.
    expect(config.numThreads).toBeLessThanOrEqual(backend === 'native' ? 3 : 1);
  });

  it('rejects ROMs that are not SMB1 and says what was found', () => {
    expect(() => new VecEnv({ backend, rom: ines(1, 1), numEnvs: 1 })).toThrow(
      new TypeError(
        'Expected a Super Mario Bros. (NES) ROM (mapper 0, 32 KiB PRG, 8 KiB CHR) for rom but received a ROM with mapper 0, 16 KiB PRG and 8 KiB CHR',
      ),
    );
    expect(() => new VecEnv({ backend, rom: ines(2, 1), numEnvs: 1 })).toThrow(/32 KiB PRG and 8 KiB CHR whose PRG lacks SMB1's status-bar text/);
    expect(() => new VecEnv({ backend, rom: new Uint8Array(100), numEnvs: 1 })).toThrow(Error);
    expect(() => new VecEnv({ backend, game: 'smb1', numEnvs: 1 })).toThrow(
      new TypeError(
        "Expected a Super Mario Bros. ROM image for rom but received none (game 'smb1' has no built-in ROM: " +
          "pass rom: readFileSync('path/to/smb.nes'), or omit game to use the built-in 'runner')",
      ),
    );
  });

  it.skipIf(!smb3)('rejects the SMB3 image for the smb1 game', () => {
    expect(() => new VecEnv({ backend, rom: readFileSync(smb3!), numEnvs: 1 })).toThrow(/received a ROM with mapper 4/);
  });

  it('ACTION_SET_SIZES and observationShape agree with what VecEnv builds', () => {
    for (const actions of Object.keys(ACTION_SET_SIZES) as (keyof typeof ACTION_SET_SIZES)[]) {
      const env = new VecEnv({ backend, game: 'runner', numEnvs: 1, actions, obs: { width: 20, height: 16, frameStack: 2, grayscale: false } });
      try {
        expect(env.numActions, actions).toBe(ACTION_SET_SIZES[actions]);
        expect(env.obsShape).toEqual([1, ...observationShape({ width: 20, height: 16, frameStack: 2, grayscale: false })]);
      } finally {
        env.close();
      }
    }
    const ram = new VecEnv({ backend, game: 'runner', numEnvs: 2, obs: 'ram' });
    expect(ram.obsShape).toEqual([2, ...observationShape('ram')]);
    ram.close();
    const tiles = new VecEnv({ backend, game: 'runner', numEnvs: 2, obs: { kind: 'tiles', rows: 7, cols: 9, frameStack: 3 } });
    expect(tiles.obsShape).toEqual([2, ...observationShape({ kind: 'tiles', rows: 7, cols: 9, frameStack: 3 })]);
    expect(tiles.obsShape).toEqual([2, 3, 7, 9]);
    tiles.close();
    // The existing kinds keep their shapes.
    expect(observationShape('ram')).toEqual([2048]);
    expect(observationShape({ width: 84, height: 84, frameStack: 4, grayscale: true })).toEqual([4, 1, 84, 84]);
    expect(observationShape({ width: 20, height: 16, frameStack: 2, grayscale: false })).toEqual([2, 3, 16, 20]);
  });
});
