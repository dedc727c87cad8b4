/**
 * Backend selection (src/backend/select.ts): explicit options, MARIO_RL_BACKEND, and the 'auto'
 * fallback to jsnes with one warning when the loader fails. The real fallback (no prebuilt
 * binary in an installed package) is tested in tests/package.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

import { fallbackWarning, resolveBackend } from '../../src/backend/select.js';
import { NativeLoadError } from '../../src/native.js';

afterEach(() => {
  delete process.env.MARIO_RL_BACKEND;
  vi.restoreAllMocks();
});

describe('resolveBackend', () => {
  it('takes an explicit backend, else the environment variable, else native when it loads', () => {
    expect(resolveBackend('jsnes')).toBe('jsnes');
    expect(resolveBackend('native')).toBe('native');
    expect(resolveBackend(undefined)).toBe('native');
    process.env.MARIO_RL_BACKEND = 'jsnes';
    expect(resolveBackend(undefined)).toBe('jsnes');
    expect(resolveBackend('auto')).toBe('jsnes');
    expect(resolveBackend('native')).toBe('native'); // an explicit option wins
  });

  it('names the option or the variable in errors', () => {
    expect(() => resolveBackend('wasm')).toThrow(/Expected one of 'auto', 'native', 'jsnes' for backend but received "wasm"/);
    expect(() => resolveBackend(3, 'env.backend')).toThrow(TypeError);
    process.env.MARIO_RL_BACKEND = 'fast';
    expect(() => resolveBackend(undefined)).toThrow(/for the environment variable MARIO_RL_BACKEND but received "fast"/);
  });

  it("'auto' falls back to jsnes when the addon does not load, warning once with the reason and the cost", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const failing = () => {
      throw new NativeLoadError([{ path: '/x/prebuilds/linux-arm64/mario_rl.node', reason: 'not found' }]);
    };
    expect(resolveBackend(undefined, 'backend', failing)).toBe('jsnes');
    expect(resolveBackend('auto', 'backend', failing)).toBe('jsnes');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toBe(fallbackWarning('/x/prebuilds/linux-arm64/mario_rl.node: not found'));
    expect(warn.mock.calls[0]![0]).toMatch(/jsnes backend.*slower.*MARIO_RL_BACKEND=jsnes/);
    // Other loader errors are not swallowed.
    expect(() =>
      resolveBackend(undefined, 'backend', () => {
        throw new TypeError('boom');
      }),
    ).toThrow('boom');
  });
});
