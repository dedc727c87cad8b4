/**
 * A small animated-GIF (GIF89a) encoder for indexed frames, used by `mario-rl play`.
 *
 * NES frames are already palette-indexed (64 master-palette entries), so no colour quantisation
 * is needed: each frame is its indices plus the 64 RGB colours they stand for (`colors` 128 or 256
 * leaves room for colours drawn beside the frame, e.g. a tile grid). The first frame's colours
 * become the global colour table; a frame whose colours differ carries a local table. Pixels are
 * LZW-compressed with variable code widths (min code size log2(colors)), as the GIF89a
 * specification describes.
 */
import { expectInteger } from '../validate.js';

/** Colours per table by default: NES palette indices are 0–63. */
export const GIF_COLORS = 64;
const MAX_CODE = 4096;

/** One frame: `width × height` colour indices (< colors) and its colors × 3 RGB colour table. */
export interface GifFrame {
  indices: Uint8Array;
  palette: Uint8Array;
  /** Display time in hundredths of a second (default: the encoder's `delayCs`). */
  delayCs?: number;
}

/** Options of {@link GifEncoder}. */
export interface GifOptions {
  width: number;
  height: number;
  /** Default display time of a frame in hundredths of a second. Default 7 (≈ 14 frames/s). */
  delayCs?: number;
  /** Times to play the animation; 0 = forever. Default 0. */
  loop?: number;
  /** Entries per colour table: 4, 8, 16, 32, 64, 128 or 256. Default 64 (`GIF_COLORS`). */
  colors?: number;
}

/** Appends bytes to a growing buffer. */
class ByteSink {
  #buf = new Uint8Array(1 << 16);
  #len = 0;

  byte(b: number): void {
    if (this.#len === this.#buf.length) {
      const next = new Uint8Array(this.#buf.length * 2);
      next.set(this.#buf);
      this.#buf = next;
    }
    this.#buf[this.#len++] = b;
  }

  u16(v: number): void {
    this.byte(v & 0xff);
    this.byte((v >> 8) & 0xff);
  }

  bytes(a: ArrayLike<number>): void {
    for (let i = 0; i < a.length; i++) this.byte(a[i]!);
  }

  result(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/**
 * LZW-compresses `indices` (each < 2^minCodeSize) into GIF data sub-blocks (≤ 255 bytes each,
 * ending with a zero-length block), writing them to `out`.
 */
function writeLzw(out: ByteSink, indices: Uint8Array, minCodeSize: number): void {
  const clear = 1 << minCodeSize;
  const eoi = clear + 1;
  let codeSize = minCodeSize + 1;
  let next = eoi + 1;
  // Dictionary: (prefix code << 8 | byte) → code.
  let dict = new Map<number, number>();

  const block = new Uint8Array(255);
  let blockLen = 0;
  let bitBuf = 0;
  let bitCount = 0;
  const flushBlock = () => {
    if (blockLen === 0) return;
    out.byte(blockLen);
    for (let i = 0; i < blockLen; i++) out.byte(block[i]!);
    blockLen = 0;
  };
  const emit = (code: number) => {
    bitBuf |= code << bitCount;
    bitCount += codeSize;
    while (bitCount >= 8) {
      block[blockLen++] = bitBuf & 0xff;
      if (blockLen === 255) flushBlock();
      bitBuf >>>= 8;
      bitCount -= 8;
    }
  };

  out.byte(minCodeSize);
  emit(clear);
  if (indices.length > 0) {
    let prefix = indices[0]!;
    for (let i = 1; i < indices.length; i++) {
      const k = indices[i]!;
      const key = (prefix << 8) | k;
      const code = dict.get(key);
      if (code !== undefined) {
        prefix = code;
        continue;
      }
      emit(prefix);
      if (next < MAX_CODE) {
        dict.set(key, next++);
        // The decoder adds its entries one code later, so it widens when `next` passes 2^size.
        if (next > 1 << codeSize && codeSize < 12) codeSize++;
      } else {
        emit(clear);
        dict = new Map();
        codeSize = minCodeSize + 1;
        next = eoi + 1;
      }
      prefix = k;
    }
    emit(prefix);
  }
  emit(eoi);
  if (bitCount > 0) {
    block[blockLen++] = bitBuf & 0xff;
    if (blockLen === 255) flushBlock();
  }
  flushBlock();
  out.byte(0);
}

function samePalette(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Builds an animated GIF frame by frame: `add(frame)` compresses it at once (only the bytes are
 * kept), `finish()` returns the file.
 */
export class GifEncoder {
  readonly width: number;
  readonly height: number;
  /** Entries per colour table. */
  readonly colors: number;
  readonly #codeSize: number; // log2(colors): the LZW minimum code size and the tables' size field + 1
  readonly #delayCs: number;
  readonly #out = new ByteSink();
  #global: Uint8Array | undefined;
  #frames = 0;
  #loop: number;
  #done = false;

  constructor(options: GifOptions) {
    this.width = expectInteger(options.width, 'width', 1, 65535);
    this.height = expectInteger(options.height, 'height', 1, 65535);
    this.#delayCs = options.delayCs === undefined ? 7 : expectInteger(options.delayCs, 'delayCs', 0, 65535);
    this.#loop = options.loop === undefined ? 0 : expectInteger(options.loop, 'loop', 0, 65535);
    this.colors = options.colors === undefined ? GIF_COLORS : expectInteger(options.colors, 'colors', 4, 256);
    this.#codeSize = Math.log2(this.colors);
    if (!Number.isInteger(this.#codeSize)) throw new RangeError(`Expected a power of two in [4, 256] for colors but received ${this.colors}`);
  }

  /** Frames added so far. */
  get frameCount(): number {
    return this.#frames;
  }

  /** Compresses and appends one frame. */
  add(frame: GifFrame): void {
    if (this.#done) throw new Error('GifEncoder: add() after finish()');
    const n = this.width * this.height;
    if (!(frame.indices instanceof Uint8Array) || frame.indices.length !== n) {
      throw new TypeError(`Expected a Uint8Array of length ${n} for frame.indices but received ${describe(frame.indices)}`);
    }
    if (!(frame.palette instanceof Uint8Array) || frame.palette.length !== this.colors * 3) {
      throw new TypeError(`Expected a Uint8Array of length ${this.colors * 3} for frame.palette but received ${describe(frame.palette)}`);
    }
    for (let i = 0; i < n; i++) {
      if (frame.indices[i]! >= this.colors) {
        throw new RangeError(`Expected colour indices in [0, ${this.colors - 1}] for frame.indices but received ${frame.indices[i]} at ${i}`);
      }
    }
    const delay = frame.delayCs === undefined ? this.#delayCs : expectInteger(frame.delayCs, 'frame.delayCs', 0, 65535);
    const o = this.#out;
    if (this.#global === undefined) this.#header(frame.palette);
    // Graphic control extension: disposal 1 (leave in place), no transparency.
    o.bytes([0x21, 0xf9, 0x04, 0x04]);
    o.u16(delay);
    o.bytes([0x00, 0x00]);
    // Image descriptor, with a local colour table when the colours differ from the global ones.
    const local = !samePalette(frame.palette, this.#global!);
    o.byte(0x2c);
    o.u16(0);
    o.u16(0);
    o.u16(this.width);
    o.u16(this.height);
    o.byte(local ? 0x80 | (this.#codeSize - 1) : 0);
    if (local) o.bytes(frame.palette);
    writeLzw(o, frame.indices, this.#codeSize);
    this.#frames++;
  }

  /** The GIF file (at least one frame must have been added). */
  finish(): Uint8Array {
    if (this.#frames === 0) throw new Error('GifEncoder: no frames were added');
    if (!this.#done) {
      this.#out.byte(0x3b);
      this.#done = true;
    }
    return this.#out.result();
  }

  #header(palette: Uint8Array): void {
    const o = this.#out;
    this.#global = palette.slice();
    o.bytes([0x47, 0x49, 0x46, 0x38, 0x39, 0x61]); // "GIF89a"
    o.u16(this.width);
    o.u16(this.height);
    // Global colour table of 2^codeSize entries (the field holds codeSize - 1), 8 bits per primary.
    o.byte(0x80 | 0x70 | (this.#codeSize - 1));
    o.byte(0); // background colour index
    o.byte(0); // pixel aspect ratio: unspecified
    o.bytes(this.#global);
    // NETSCAPE2.0 application extension: loop count.
    o.bytes([0x21, 0xff, 0x0b, ...Array.from('NETSCAPE2.0', (c) => c.charCodeAt(0)), 0x03, 0x01]);
    o.u16(this.#loop);
    o.byte(0);
  }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Uint8Array).length})`;
  return typeof v;
}
