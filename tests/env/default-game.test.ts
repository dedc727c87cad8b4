/**
 * The default game (issue 6 §3): with neither `rom` nor `game`, VecEnv runs the built-in 'runner'
 * and says once per process how to train on Super Mario Bros.; 'smb1' without a ROM is an error
 * naming `rom`. Own file, so the once-per-process notice starts unshown; the notice is checked
 * first, then the rest runs on both backends (ENV_BACKENDS).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

import { BUILTIN_GAME_NOTICE, VecEnv } from '../../src/index.js';
import { ENV_BACKENDS } from './backends.js';

describe('VecEnv default game', () => {
  afterEach(() => vi.restoreAllMocks());

  // Once per process, whatever the backend: checked once, before any other env is made.
  it("uses the built-in 'runner' without rom or game, with one notice per process", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const first = new VecEnv({ numEnvs: 1, obs: 'ram' });
    const second = new VecEnv({ numEnvs: 1, obs: 'ram' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(BUILTIN_GAME_NOTICE);
    expect(BUILTIN_GAME_NOTICE).toMatch(/built-in game 'runner'/);
    expect(BUILTIN_GAME_NOTICE).toContain("rom: readFileSync('path/to/smb.nes'), game: 'smb1'");
    expect(BUILTIN_GAME_NOTICE).toContain('MARIO_ROM');
    first.close();
    second.close();
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe.each(ENV_BACKENDS)('VecEnv default game on the %s backend', (backend) => {
  it("is the built-in 'runner': the same observations as asking for it by name", () => {
    const byDefault = new VecEnv({ backend, numEnvs: 1, obs: 'ram' });
    const named = new VecEnv({ backend, game: 'runner', numEnvs: 1, obs: 'ram' });
    try {
      expect(byDefault.backend).toBe(backend);
      expect(Buffer.from(byDefault.reset().obs).equals(Buffer.from(named.reset().obs))).toBe(true);
      const right = new Int32Array([1]);
      for (let i = 0; i < 20; i++) {
        expect(Buffer.from(byDefault.step(right).obs).equals(Buffer.from(named.step(right).obs)), `step ${i}`).toBe(true);
      }
    } finally {
      byDefault.close();
      named.close();
    }
  });

  it("rejects game 'smb1' without a ROM, naming rom and how to pass it", () => {
    expect(() => new VecEnv({ backend, game: 'smb1', numEnvs: 1 })).toThrow(TypeError);
    expect(() => new VecEnv({ backend, game: 'smb1', numEnvs: 1 })).toThrow(
      /^Expected a Super Mario Bros\. ROM image for rom but received none \(game 'smb1' has no built-in ROM: pass rom: readFileSync\('path\/to\/smb\.nes'\)/,
    );
  });
});
