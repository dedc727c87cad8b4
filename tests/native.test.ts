import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadNative, loadNativeFrom, nativeCandidates, NativeLoadError } from '../src/native.js';
import { loadTestAddon, loadTestAddonFrom } from './native-test-addon.js';

describe('native loader', () => {
  it('loads the addon and reports what it is', () => {
    const info = loadNative().buildInfo();
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.napiVersion).toBeGreaterThanOrEqual(8);
    expect(typeof info.cuda).toBe('boolean');
    expect(info.hardwareConcurrency).toBeGreaterThan(0);
  });

  it('tries the prebuilds folder before build/', () => {
    const list = nativeCandidates('/pkg');
    expect(list.indexOf(`/pkg/prebuilds/${process.platform}-${process.arch}/mario_rl.node`)).toBeLessThan(list.indexOf('/pkg/build/Release/mario_rl.node'));
  });

  it('falls through broken candidates and otherwise throws one error listing every path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mario-rl-loader-'));
    try {
      const broken = join(dir, 'broken.node');
      writeFileSync(broken, 'not a shared object');
      const missing = join(dir, 'missing.node');
      const real = nativeCandidates().find((p) => existsSync(p))!;
      expect(loadNativeFrom([missing, broken, real]).buildInfo().version).toBe(loadNative().buildInfo().version);
      let error: unknown;
      try {
        loadNativeFrom([missing, broken]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NativeLoadError);
      const err = error as NativeLoadError;
      expect(err.attempts.map((a) => a.path)).toEqual([missing, broken]);
      expect(err.message).toContain(`${missing}: not found`);
      expect(err.message).toContain(broken);
      expect(err.message).toMatch(/npm run build:native/);
      expect(err.message).toMatch(/MARIO_RL_NATIVE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('test addon', () => {
  // What the shipped addon exports: the raw classes and functions src/ wraps, nothing for tests.
  // A new export goes here and into src/native.ts; a test hook goes into native/test_binding/.
  const SHIPPED = ['CudaPriorityTree', 'NesCore', 'PriorityTree', 'VecEnv', 'buildInfo', 'cudaInfo', 'envGameNames', 'gatherRows'];
  const HOOKS = [
    'BinarySumTreeBaseline',
    'EnvTestConsole',
    'envPaletteRgb',
    'envPreprocessFrames',
    'envThreadPoolCheck',
    'envTileGrid',
    'smb1ReadRam',
    'smb1Rewards',
  ];

  it('holds the test hooks, and the shipped addon none of them', () => {
    expect(Object.keys(loadTestAddon()).sort()).toEqual(HOOKS);
    expect(Object.keys(loadNative()).sort()).toEqual(SHIPPED);
  });

  it('fails with the fix when it is not built', () => {
    const missing = join(tmpdir(), 'mario-rl-no-such-dir', 'mario_rl_test.node');
    expect(() => loadTestAddonFrom([missing])).toThrow(`${missing}: not found`);
    expect(() => loadTestAddonFrom([missing])).toThrow(/Run `npm run build:native`/);
  });
});
