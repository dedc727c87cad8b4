/** The GIF encoder, decoded by an independent decoder (omggif). */
import { GifReader } from 'omggif';
import { describe, expect, it } from 'vitest';

import { Rng } from '../../src/util/rng.js';
import { GIF_COLORS, GifEncoder } from '../../src/util/gif.js';

function palette(seed: number, colors = GIF_COLORS): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: colors * 3 }, () => rng.nextInt(256));
}

/** Decodes frame `i` to RGBA and checks every pixel against indices → palette. */
function expectFrame(reader: GifReader, i: number, indices: Uint8Array, pal: Uint8Array) {
  const rgba = new Uint8Array(reader.width * reader.height * 4);
  reader.decodeAndBlitFrameRGBA(i, rgba);
  for (let p = 0; p < indices.length; p++) {
    const c = indices[p]! * 3;
    if (rgba[p * 4] !== pal[c] || rgba[p * 4 + 1] !== pal[c + 1] || rgba[p * 4 + 2] !== pal[c + 2]) {
      throw new Error(`frame ${i} pixel ${p}: got ${rgba.slice(p * 4, p * 4 + 3).join(',')}, expected ${pal.slice(c, c + 3).join(',')}`);
    }
  }
}

describe('GifEncoder', () => {
  it('round-trips noise, flat and striped frames (LZW code widths, table resets) through omggif', () => {
    const w = 256;
    const h = 240;
    const rng = new Rng(9);
    const noise = Uint8Array.from({ length: w * h }, () => rng.nextInt(GIF_COLORS)); // fills the 4096-code table many times
    const flat = new Uint8Array(w * h).fill(13); // long runs: codes grow to 12 bits quickly
    const stripes = Uint8Array.from({ length: w * h }, (_, i) => ((i >> 3) % 5) * 11);
    const lowNoise = Uint8Array.from({ length: w * h }, () => rng.nextInt(3)); // dictionary hits of all lengths
    const palA = palette(1);
    const palB = palette(2);
    const enc = new GifEncoder({ width: w, height: h, delayCs: 5, loop: 0 });
    const frames = [
      { indices: noise, palette: palA },
      { indices: flat, palette: palA, delayCs: 9 },
      { indices: stripes, palette: palB }, // local colour table
      { indices: lowNoise, palette: palA },
    ];
    for (const f of frames) enc.add(f);
    expect(enc.frameCount).toBe(4);
    const bytes = enc.finish();
    expect(Buffer.from(bytes.subarray(0, 6)).toString('latin1')).toBe('GIF89a');
    expect(bytes[bytes.length - 1]).toBe(0x3b);

    const reader = new GifReader(Buffer.from(bytes));
    expect([reader.width, reader.height, reader.numFrames(), reader.loopCount()]).toEqual([w, h, 4, 0]);
    expect(reader.frameInfo(0).delay).toBe(5);
    expect(reader.frameInfo(1).delay).toBe(9);
    expect(reader.frameInfo(2).palette_offset).not.toBe(reader.frameInfo(0).palette_offset);
    frames.forEach((f, i) => expectFrame(reader, i, f.indices, f.palette));
    // A flat frame compresses: 61,440 pixels of one colour fit in well under 2 KiB.
    const single = new GifEncoder({ width: w, height: h });
    single.add({ indices: flat, palette: palA });
    expect(single.finish().length).toBeLessThan(2048);
  });

  it('encodes tiny frames (1 × 1, 3 × 2)', () => {
    for (const [w, h] of [
      [1, 1],
      [3, 2],
    ] as const) {
      const enc = new GifEncoder({ width: w, height: h });
      const idx = Uint8Array.from({ length: w * h }, (_, i) => (i * 17) % GIF_COLORS);
      enc.add({ indices: idx, palette: palette(3) });
      const reader = new GifReader(Buffer.from(enc.finish()));
      expectFrame(reader, 0, idx, palette(3));
    }
  });

  it('writes 4- to 256-colour tables (code sizes 2 to 8), global and local', () => {
    const w = 64;
    const h = 48;
    for (const colors of [4, 128, 256]) {
      const rng = new Rng(colors);
      const noise = Uint8Array.from({ length: w * h }, () => rng.nextInt(colors));
      const top = Uint8Array.from({ length: w * h }, (_, i) => (i % w < 8 ? colors - 1 : i % 3)); // the last index
      const enc = new GifEncoder({ width: w, height: h, colors });
      expect(enc.colors).toBe(colors);
      const frames = [
        { indices: noise, palette: palette(1, colors) },
        { indices: top, palette: palette(2, colors) }, // local colour table
      ];
      for (const f of frames) enc.add(f);
      const reader = new GifReader(Buffer.from(enc.finish()));
      expect(reader.numFrames()).toBe(2);
      frames.forEach((f, i) => expectFrame(reader, i, f.indices, f.palette));
    }
    expect(() => new GifEncoder({ width: 2, height: 2, colors: 100 })).toThrow('Expected a power of two in [4, 256] for colors but received 100');
    expect(() => new GifEncoder({ width: 2, height: 2, colors: 512 })).toThrow('colors');
    const enc = new GifEncoder({ width: 2, height: 2, colors: 128 });
    expect(() => enc.add({ indices: Uint8Array.of(0, 128, 0, 0), palette: palette(1, 128) })).toThrow(
      'Expected colour indices in [0, 127] for frame.indices but received 128 at 1',
    );
    expect(() => enc.add({ indices: new Uint8Array(4), palette: palette(1) })).toThrow('Expected a Uint8Array of length 384 for frame.palette');
  });

  it('rejects bad frames and options with messages naming the field', () => {
    const enc = new GifEncoder({ width: 2, height: 2 });
    expect(() => enc.add({ indices: new Uint8Array(3), palette: palette(1) })).toThrow(
      'Expected a Uint8Array of length 4 for frame.indices but received Uint8Array(3)',
    );
    expect(() => enc.add({ indices: new Uint8Array(4), palette: new Uint8Array(3) })).toThrow('for frame.palette');
    expect(() => enc.add({ indices: Uint8Array.of(0, 64, 0, 0), palette: palette(1) })).toThrow(
      'Expected colour indices in [0, 63] for frame.indices but received 64 at 1',
    );
    expect(() => enc.finish()).toThrow('no frames');
    expect(() => new GifEncoder({ width: 0, height: 2 })).toThrow('width');
    expect(() => new GifEncoder({ width: 2, height: 2, delayCs: -1 })).toThrow('delayCs');
  });
});
