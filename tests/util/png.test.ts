/**
 * The PNG encoder, checked by an independent reader written here: chunk layout, CRC-32 computed
 * bit by bit (not node:zlib's), IHDR fields, and the inflated rows give back the pixels.
 */
import { inflateSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { encodePng } from '../../src/util/png.js';

function crc32Bitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function readPng(png: Uint8Array): { width: number; height: number; header: Uint8Array; pixels: Uint8Array; types: string[] } {
  expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const types: string[] = [];
  let header: Uint8Array = new Uint8Array(0);
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    expect(view.getUint32(at + 8 + length), `CRC of ${type}`).toBe(crc32Bitwise(png.subarray(at + 4, at + 8 + length)));
    types.push(type);
    if (type === 'IHDR') header = data;
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const hv = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const width = hv.getUint32(0);
  const height = hv.getUint32(4);
  const raw = new Uint8Array(inflateSync(Buffer.concat(idat)));
  const stride = width * 3;
  expect(raw.length).toBe((stride + 1) * height);
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)], 'filter byte').toBe(0);
    pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, header, pixels, types };
}

describe('encodePng', () => {
  it('writes IHDR, IDAT, IEND with valid CRCs, and the rows decode to the pixels', () => {
    for (const [w, h] of [
      [1, 1],
      [3, 2],
      [256, 240],
    ] as const) {
      const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37 + (i >> 5)) & 0xff);
      const png = readPng(encodePng(rgb, w, h));
      expect(png.types).toEqual(['IHDR', 'IDAT', 'IEND']);
      expect([png.width, png.height, ...png.header.subarray(8)]).toEqual([w, h, 8, 2, 0, 0, 0]);
      expect(Buffer.from(png.pixels).equals(Buffer.from(rgb))).toBe(true);
    }
  });

  it('rejects a buffer of the wrong size or bad dimensions', () => {
    expect(() => encodePng(new Uint8Array(5), 1, 2)).toThrow(/rgb/);
    expect(() => encodePng(new Uint8Array(3), 0, 1)).toThrow(/for width but received 0/);
    expect(() => encodePng([1, 2, 3] as unknown as Uint8Array, 1, 1)).toThrow(/rgb/);
  });
});
