import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadNative, loadNativeFrom, nativeCandidates, NativeLoadError } from '../src/native.js';

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
    expect(list.indexOf(`/pkg/prebuilds/${process.platform}-${process.arch}/mario_rl.node`)).toBeLessThan(
      list.indexOf('/pkg/build/Release/mario_rl.node'),
    );
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
