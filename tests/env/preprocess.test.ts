import { describe, expect, it } from 'vitest';

import { loadTestAddon, type NativeObsSpec } from '../native-test-addon.js';
import { Rng } from './rng.js';
import { RefFrameStack, refPreprocess, type RefSpec } from './reference.js';

const native = loadTestAddon();
const FRAME = 256 * 240;

/** Synthetic frames: blocks of palette indices plus noise, so every resize tap matters. */
function syntheticFrames(count: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const out = new Uint8Array(count * FRAME);
  for (let t = 0; t < count; t++) {
    const base = rng.below(64);
    for (let y = 0; y < 240; y++) {
      for (let x = 0; x < 256; x++) {
        const block = ((x >> 4) + (y >> 3) * 3 + base) & 63;
        out[t * FRAME + y * 256 + x] = rng.below(4) === 0 ? rng.below(256) : block; // indices > 63 too: masked
      }
    }
  }
  return out;
}

/**
 * Runs the native path with its fastest SIMD table lookups (AVX-512 VBMI or SSSE3, where the CPU
 * has them), capped at SSSE3, and scalar; all three must give the same bytes.
 */
function nativeBothPaths(spec: RefSpec, frames: Uint8Array, maxPool: boolean): Uint8Array {
  const run = (env: Record<string, string>) => {
    Object.assign(process.env, env); // read when a preprocessor is built
    try {
      return native.envPreprocessFrames(spec as NativeObsSpec, frames, maxPool);
    } finally {
      for (const key of Object.keys(env)) delete process.env[key];
    }
  };
  const fast = run({});
  expect(Buffer.compare(fast, run({ MARIO_RL_SIMD: 'ssse3' })), 'fastest and SSSE3 paths agree').toBe(0);
  expect(Buffer.compare(fast, run({ MARIO_RL_NO_SIMD: '1' })), 'SIMD and scalar paths agree').toBe(0);
  return fast;
}

function runBoth(spec: RefSpec, count: number, maxPool: boolean, seed: number) {
  const frames = syntheticFrames(count, seed);
  const palette = native.envPaletteRgb();
  const got = nativeBothPaths(spec, frames, maxPool);
  const stack = new RefFrameStack(spec.stack);
  const expected: Uint8Array[] = [];
  for (let t = 0; t < count; t++) {
    const frame = frames.subarray(t * FRAME, (t + 1) * FRAME);
    const prev = maxPool && t > 0 ? frames.subarray((t - 1) * FRAME, t * FRAME) : undefined;
    expected.push(stack.push(refPreprocess(palette, spec, frame, prev)));
  }
  const obsBytes = expected[0]!.length;
  expect(got.length).toBe(count * obsBytes);
  for (let t = 0; t < count; t++) {
    const g = got.subarray(t * obsBytes, (t + 1) * obsBytes);
    // Exact equality; report the first mismatch index rather than dumping arrays.
    const mismatch = g.findIndex((v, i) => v !== expected[t]![i]);
    expect(mismatch, `frame ${t}: first mismatch at byte ${mismatch}`).toBe(-1);
  }
  return got;
}

const base: RefSpec = { width: 84, height: 84, stack: 4, grayscale: true, cropTop: 0, cropBottom: 0, cropLeft: 0, cropRight: 0 };

describe('fused preprocessing equals the TS reference exactly', () => {
  it('gray 84x84, stack 4, over 6 frames', () => {
    const got = runBoth(base, 6, false, 1);
    // Not trivially constant: the frames differ and so do the observations.
    const obs = 84 * 84 * 4;
    expect(got.subarray(0, obs)).not.toEqual(got.subarray(5 * obs, 6 * obs));
  });

  it('gray with max-pool of consecutive frames', () => {
    runBoth({ ...base, stack: 2 }, 4, true, 2);
  });

  it('RGB planar, crop of the HUD, odd sizes (down- and up-sampling)', () => {
    runBoth({ ...base, grayscale: false, width: 37, height: 29, stack: 3, cropTop: 32, cropLeft: 8 }, 3, false, 3);
    runBoth({ ...base, width: 256, height: 240, stack: 1 }, 1, false, 4);
    runBoth({ ...base, width: 200, height: 200, stack: 1, cropTop: 100, cropBottom: 30, cropLeft: 100, cropRight: 60 }, 2, true, 5);
  });

  it('every horizontal tap width: padded fixed-tap rows (1..8 taps) and the general loop (more)', () => {
    // 256 source columns to W outputs: at most 3 taps each at 200 wide, 4 at 84 and 64, 8 at 37, 16 at 16.
    for (const [width, seed] of [
      [200, 6],
      [84, 7],
      [64, 8],
      [37, 9],
      [16, 10],
      [1, 11],
    ] as const) {
      runBoth({ ...base, width, height: 30, stack: 1 }, 2, true, seed);
    }
  });

  it('every vertical span: the ring of source rows holds what each output row needs', () => {
    // 240 source rows to H outputs: up to 240 rows per output at H = 1, 3 at 200; with a crop to
    // 110 rows, 200 outputs reuse each source row (up-sampling).
    for (const [height, seed] of [
      [1, 12],
      [7, 13],
      [84, 14],
      [200, 15],
    ] as const) {
      runBoth({ ...base, width: 32, height, stack: 1 }, 2, true, seed);
    }
    runBoth({ ...base, width: 32, height: 200, stack: 1, cropTop: 100, cropBottom: 30 }, 2, true, 16);
    runBoth({ ...base, grayscale: false, width: 21, height: 5, stack: 1, cropTop: 17, cropBottom: 3 }, 2, true, 17);
  });

  it('luma comes from the core palette with the documented integer formula', () => {
    const palette = native.envPaletteRgb();
    expect(palette.length).toBe(192);
    const frame = new Uint8Array(FRAME).fill(0x30); // one colour everywhere
    const out = native.envPreprocessFrames({ ...base, stack: 1 } as NativeObsSpec, frame, false);
    const [r, g, b] = [palette[0x90]!, palette[0x91]!, palette[0x92]!];
    expect(out[0]).toBe(Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000));
    expect(new Set(out).size).toBe(1);
  });

  it('rejects bad specs and frame buffers with clear errors', () => {
    expect(() => native.envPreprocessFrames({ ...base, width: 0 } as NativeObsSpec, new Uint8Array(FRAME), false)).toThrow(
      /Expected an integer in \[1, 256\] for obs.width but received 0/,
    );
    expect(() => native.envPreprocessFrames(base as NativeObsSpec, new Uint8Array(100), false)).toThrow(RangeError);
  });
});
