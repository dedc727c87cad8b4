import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { inspectBinary, loadNative, loadNativeFrom, nativeCandidates, NativeLoadError } from '../src/native.js';
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
      expect(err.message).toContain('Fallback: none.');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('a corrupted or foreign binary', () => {
    const real = nativeCandidates().find((p) => existsSync(p))!;
    const bytes = readFileSync(real);
    const other = process.arch === 'arm64' ? { arch: 'x64', machine: 62 } : { arch: 'arm64', machine: 183 };
    let dir: string;
    let foreign: string;
    let truncated: string;
    let script: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'mario-rl-loader-'));
      // The real addon with e_machine (bytes 18-19, little-endian) set to another architecture.
      foreign = join(dir, 'foreign.node');
      const patched = Buffer.from(bytes);
      patched.writeUInt16LE(other.machine, 18);
      writeFileSync(foreign, patched);
      // Cut short: dlopen would map pages past the end of the file and die of SIGBUS.
      truncated = join(dir, 'truncated.node');
      writeFileSync(truncated, bytes.subarray(0, 4096));
      // Not a binary at all: require() of a non-.node path would run it as JavaScript.
      script = join(dir, 'script.js');
      writeFileSync(script, 'globalThis.__marioRlRan = true;');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads the architecture from the ELF header', () => {
      expect(inspectBinary(real)).toEqual({ kind: `ELF for ${process.arch}` });
      expect(inspectBinary(foreign)).toEqual({
        kind: `ELF for ${other.arch}`,
        problem: `it is ELF for ${other.arch}, but this Node is ${process.platform}-${process.arch}`,
      });
      expect(inspectBinary(truncated).problem).toBe(`it is cut short: its headers describe ${bytes.length} bytes but the file has 4096`);
      expect(inspectBinary(script)).toEqual({ kind: 'not a native binary (starts with 67 6c 6f 62)', problem: 'it is not a native binary' });
      expect(inspectBinary(join(dir, 'missing.node')).kind).toBe('unreadable (ENOENT)');
    });

    it('names each file, what it is, and the fallback taken, without loading or running it', () => {
      let error: unknown;
      try {
        loadNativeFrom([foreign, truncated, script]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NativeLoadError);
      const err = error as NativeLoadError;
      expect(err.attempts).toEqual([
        { path: foreign, reason: `not loaded: it is ELF for ${other.arch}, but this Node is ${process.platform}-${process.arch}` },
        { path: truncated, reason: `not loaded: it is cut short: its headers describe ${bytes.length} bytes but the file has 4096` },
        { path: script, reason: 'not loaded: it is not a native binary' },
      ]);
      expect(err.fallback).toBe('none');
      expect(err.message).toContain(`${foreign}: not loaded: it is ELF for ${other.arch}`);
      expect(err.message).toContain('prebuilt binaries ship for linux-x64 and linux-arm64');
      expect((globalThis as { __marioRlRan?: boolean }).__marioRlRan).toBeUndefined();
    });

    it('warns once, naming the skipped file and the one loaded instead', async () => {
      const warnings: Error[] = [];
      const listen = (w: Error) => warnings.push(w);
      process.on('warning', listen);
      try {
        expect(loadNativeFrom([join(dir, 'missing.node'), foreign, real]).buildInfo().version).toBe(loadNative().buildInfo().version);
        await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on the next tick
      } finally {
        process.off('warning', listen);
      }
      // (Earlier tests' fallbacks may be reported now too: keep this call's.)
      const ours = warnings.filter((w) => w.message.includes(foreign));
      expect(ours.map((w) => (w as NodeJS.ErrnoException).code)).toEqual(['MARIO_RL_NATIVE_FALLBACK']);
      expect(ours[0].message).toContain(`${foreign} (not loaded: it is ELF for ${other.arch}`);
      expect(ours[0].message).toContain(`Fallback: loaded ${real} instead.`);
      expect(ours[0].message).not.toContain('missing.node');
    });
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
    'nesSealState',
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
