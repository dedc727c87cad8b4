/**
 * The TypeScript preprocessing (src/env/js/preprocess.ts, used by the jsnes backend and the
 * browser page) against the native one (native/env/preprocess.cc), byte for byte, over the same
 * specs the native path is tested with.
 */
import { describe, expect, it } from 'vitest';

import { NES_PALETTE_RGB } from '../../../src/env/js/palette.js';
import { FrameStack, preprocessFrames, Preprocessor, SOURCE_PIXELS, type ObsSpec } from '../../../src/env/js/preprocess.js';
import { loadTestAddon } from '../../native-test-addon.js';
import { Rng } from '../rng.js';

const native = loadTestAddon();

/** Blocks of palette indices plus noise (indices > 63 too: masked), so every tap matters. */
function syntheticFrames(count: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const out = new Uint8Array(count * SOURCE_PIXELS);
  for (let t = 0; t < count; t++) {
    const base = rng.below(64);
    for (let y = 0; y < 240; y++) {
      for (let x = 0; x < 256; x++) {
        const block = ((x >> 4) + (y >> 3) * 3 + base) & 63;
        out[t * SOURCE_PIXELS + y * 256 + x] = rng.below(4) === 0 ? rng.below(256) : block;
      }
    }
  }
  return out;
}

function expectSameAsNative(spec: ObsSpec, count: number, maxPool: boolean, seed: number): Uint8Array {
  const frames = syntheticFrames(count, seed);
  const want = native.envPreprocessFrames(spec, frames, maxPool);
  const got = preprocessFrames(spec, frames, maxPool);
  expect(got.length).toBe(want.length);
  const mismatch = got.findIndex((v, i) => v !== want[i]);
  expect(mismatch, `${JSON.stringify(spec)}: first mismatch at byte ${mismatch}`).toBe(-1);
  return got;
}

const base: ObsSpec = { width: 84, height: 84, stack: 4, grayscale: true, cropTop: 0, cropBottom: 0, cropLeft: 0, cropRight: 0 };

describe('TS preprocessing equals the native path byte for byte', () => {
  it('uses the native core palette', () => {
    expect(Buffer.compare(Buffer.from(NES_PALETTE_RGB), Buffer.from(native.envPaletteRgb()))).toBe(0);
  });

  it('gray 84x84 stack 4, with and without max-pool', () => {
    const got = expectSameAsNative(base, 6, false, 1);
    const obs = 84 * 84 * 4;
    expect(got.subarray(0, obs)).not.toEqual(got.subarray(5 * obs, 6 * obs)); // the frames differ
    expectSameAsNative({ ...base, stack: 2 }, 4, true, 2);
    expectSameAsNative({ ...base, width: 42, height: 42 }, 3, true, 3);
  });

  it('RGB planar, crops, odd sizes, up-sampling', () => {
    expectSameAsNative({ ...base, grayscale: false, width: 37, height: 29, stack: 3, cropTop: 32, cropLeft: 8 }, 3, false, 4);
    expectSameAsNative({ ...base, width: 256, height: 240, stack: 1 }, 1, false, 5);
    expectSameAsNative({ ...base, width: 200, height: 200, stack: 1, cropTop: 100, cropBottom: 30, cropLeft: 100, cropRight: 60 }, 2, true, 6);
    expectSameAsNative({ ...base, grayscale: false, width: 21, height: 5, stack: 1, cropTop: 17, cropBottom: 3 }, 2, true, 7);
  });

  it('every horizontal tap count and vertical span', () => {
    for (const [width, height, seed] of [
      [200, 30, 8],
      [64, 7, 9],
      [16, 1, 10],
      [1, 200, 11],
    ] as const) {
      expectSameAsNative({ ...base, width, height, stack: 1 }, 2, true, seed);
    }
  });

  it('accepts jsnes-style Uint32Array index frames', () => {
    const frames = syntheticFrames(2, 12);
    const wide = Uint32Array.from(frames);
    expect(Buffer.compare(preprocessFrames(base, wide, true), native.envPreprocessFrames(base, frames, true))).toBe(0);
  });

  it('frame stack: fill after reset, oldest first, copy', () => {
    const s = new FrameStack(3, 2);
    s.nextSlot().set([1, 1]);
    s.commit();
    s.fillWithNewest();
    s.nextSlot().set([2, 2]);
    s.commit();
    const out = new Uint8Array(6);
    s.writeObs(out);
    expect([...out]).toEqual([1, 1, 1, 1, 2, 2]);
    const t = new FrameStack(3, 2);
    t.copyFrom(s);
    t.nextSlot().set([3, 3]);
    t.commit();
    t.writeObs(out);
    expect([...out]).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it('rejects bad specs and buffers with the native messages', () => {
    expect(() => new Preprocessor({ ...base, width: 0 })).toThrow(/Expected an integer in \[1, 256\] for obs.width but received 0/);
    expect(() => new Preprocessor({ ...base, cropTop: 200, cropBottom: 40 })).toThrow(/for obs.crop.bottom but received 40/);
    expect(() => preprocessFrames(base, new Uint8Array(100), false)).toThrow(/a whole number of 256x240 frames for frames/);
    expect(() => new Preprocessor(base).resize(new Uint8Array(SOURCE_PIXELS), null, new Uint8Array(10))).toThrow(/for out/);
  });
});
