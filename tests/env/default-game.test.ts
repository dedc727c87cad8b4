/**
 * The default game (issue 6 §3): with neither `rom` nor `game`, VecEnv runs the built-in 'runner'
 * and says once per process how to train on Super Mario Bros.; 'smb1' without a ROM is an error
 * naming `rom`. Own file, so the once-per-process notice starts unshown.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

import { BUILTIN_GAME_NOTICE, VecEnv } from '../../src/index.js';

describe('VecEnv default game', () => {
  afterEach(() => vi.restoreAllMocks());

  it("uses the built-in 'runner' without rom or game, with one notice per process", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const first = new VecEnv({ numEnvs: 1, obs: 'ram' });
    const second = new VecEnv({ numEnvs: 1, obs: 'ram' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(BUILTIN_GAME_NOTICE);
    expect(BUILTIN_GAME_NOTICE).toMatch(/built-in game 'runner'/);
    expect(BUILTIN_GAME_NOTICE).toContain("rom: readFileSync('path/to/smb.nes'), game: 'smb1'");
    expect(BUILTIN_GAME_NOTICE).toContain('MARIO_ROM');
    // Same game as asking for it by name: identical observations under the same actions.
    const named = new VecEnv({ game: 'runner', numEnvs: 1, obs: 'ram' });
    expect(Buffer.from(first.reset().obs).equals(Buffer.from(named.reset().obs))).toBe(true);
    const right = new Int32Array([1]);
    for (let i = 0; i < 30; i++) {
      expect(Buffer.from(first.step(right).obs).equals(Buffer.from(named.step(right).obs))).toBe(true);
    }
    expect(warn).toHaveBeenCalledTimes(1);
    first.close();
    second.close();
    named.close();
  });

  it("rejects game 'smb1' without a ROM, naming rom and how to pass it", () => {
    expect(() => new VecEnv({ game: 'smb1', numEnvs: 1 })).toThrow(TypeError);
    expect(() => new VecEnv({ game: 'smb1', numEnvs: 1 })).toThrow(
      /^Expected a Super Mario Bros\. ROM image for rom but received none \(game 'smb1' has no built-in ROM: pass rom: readFileSync\('path\/to\/smb\.nes'\)/,
    );
  });
});
