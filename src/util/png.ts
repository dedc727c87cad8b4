/**
 * A minimal PNG encoder for RGB frames (8-bit truecolour, no alpha, no interlace): signature,
 * IHDR, one zlib-compressed IDAT (every row filtered with "None"; node:zlib deflates), IEND. Enough
 * to save `VecEnv.render()` or `Nes.toRgb()` frames; any image viewer or decoder reads it.
 */
import { crc32, deflateSync } from 'node:zlib';

import { expectInteger, expectTypedArray } from '../validate.js';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** One chunk: length, type, data, CRC-32 of type and data (big-endian numbers). */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes `rgb` (width × height × 3 bytes, row-major, R G B per pixel, as `VecEnv.render` and
 * `Nes.toRgb` return) as a PNG file. Throws RangeError for sizes out of range or a buffer of
 * another length.
 */
export function encodePng(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const w = expectInteger(width, 'width', 1, 65535);
  const h = expectInteger(height, 'height', 1, 65535);
  const pixels = expectTypedArray(rgb, 'rgb', Uint8Array, w * h * 3);
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, w);
  hv.setUint32(4, h);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type 2 (RGB), deflate, adaptive filters, no interlace
  const stride = w * 3;
  const raw = new Uint8Array((stride + 1) * h); // each row: filter byte 0, then the row
  for (let y = 0; y < h; y++) raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const parts = [SIGNATURE, chunk('IHDR', header), chunk('IDAT', new Uint8Array(deflateSync(raw))), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
