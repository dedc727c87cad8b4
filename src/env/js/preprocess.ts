/**
 * The fused observation preprocessing in TypeScript, bit-exact with native/env/preprocess.cc:
 *   palette indices (256x240) -> luma or RGB -> optional crop -> area-average resize to WxH ->
 *   optional per-channel max with the previous frame (before the resize) -> frame-stack ring ->
 *   obs [stack, C, H, W] (uint8).
 * All integer arithmetic, as documented in native/env/preprocess.h:
 *   luma(i) = (299 R + 587 G + 114 B + 500) / 1000 from the 64-colour palette (NES_PALETTE_RGB);
 *   output pixel (x, y) weights each source pixel of [x*Sw/W, (x+1)*Sw/W) x [y*Sh/H, (y+1)*Sh/H)
 *   by its overlap (integers in units scaled by W and H) and is (sum + Sw*Sh/2) / (Sw*Sh).
 * Used by the jsnes backend (src/env/js/) and by the browser page (export-web): it imports nothing
 * from Node, so it runs in a browser as it is.
 *
 * Ownership: a `Preprocessor` is immutable after construction and may be shared; a `FrameStack`
 * belongs to one lane. `resize` allocates nothing.
 */
import { expectedMessage } from '../../validate.js';
import { NES_PALETTE_RGB } from './palette.js';

/** Width of a source frame in pixels. */
export const SOURCE_WIDTH = 256;
/** Height of a source frame in pixels. */
export const SOURCE_HEIGHT = 240;
/** Pixels of a source frame (palette indices, row-major). */
export const SOURCE_PIXELS = SOURCE_WIDTH * SOURCE_HEIGHT;

/** What the preprocessing produces (the native `ObsSpec`; VecEnv's pixel `obs` options, normalized). */
export interface ObsSpec {
  /** Output width, 1..256. */
  width: number;
  /** Output height, 1..240. */
  height: number;
  /** Frames in the stack, 1..16. */
  stack: number;
  /** One luma channel (true) or planar R, G, B (false). */
  grayscale: boolean;
  /** Pixels dropped from the top of the 256x240 frame before resizing. */
  cropTop: number;
  /** Pixels dropped from the bottom. */
  cropBottom: number;
  /** Pixels dropped from the left. */
  cropLeft: number;
  /** Pixels dropped from the right. */
  cropRight: number;
}

/** Palette indices of one frame: 61440 entries, 0..63 (higher bits are ignored, as natively). */
export type IndexFrame = Uint8Array | Uint16Array | Uint32Array;

function checkRange(value: number, lo: number, hi: number, name: string): void {
  if (!Number.isInteger(value) || value < lo || value > hi) throw new RangeError(expectedMessage(`an integer in [${lo}, ${hi}]`, name, value));
}

/** Checks an ObsSpec as native ValidateObsSpec does (same RangeError messages, naming `obs.*`). */
export function validateObsSpec(spec: ObsSpec): void {
  checkRange(spec.width, 1, SOURCE_WIDTH, 'obs.width');
  checkRange(spec.height, 1, SOURCE_HEIGHT, 'obs.height');
  checkRange(spec.stack, 1, 16, 'obs.stack');
  checkRange(spec.cropTop, 0, SOURCE_HEIGHT - 1, 'obs.crop.top');
  checkRange(spec.cropBottom, 0, SOURCE_HEIGHT - 1 - spec.cropTop, 'obs.crop.bottom');
  checkRange(spec.cropLeft, 0, SOURCE_WIDTH - 1, 'obs.crop.left');
  checkRange(spec.cropRight, 0, SOURCE_WIDTH - 1 - spec.cropLeft, 'obs.crop.right');
  if (typeof spec.grayscale !== 'boolean') throw new TypeError(expectedMessage('a boolean', 'obs.grayscale', spec.grayscale));
}

/**
 * Integer overlap taps resizing `src` pixels to `dst`: source pixel i spans [i*dst, (i+1)*dst),
 * output j spans [j*src, (j+1)*src); each output's weights sum to src.
 */
function buildTaps(src: number, dst: number): { first: Int32Array; count: Int32Array; weights: Int32Array[] } {
  const first = new Int32Array(dst);
  const count = new Int32Array(dst);
  const weights: Int32Array[] = [];
  for (let j = 0; j < dst; j++) {
    const lo = j * src;
    const hi = (j + 1) * src;
    const i0 = Math.floor(lo / dst);
    const i1 = Math.min(Math.ceil(hi / dst), src); // exclusive
    const w = new Int32Array(i1 - i0);
    for (let i = i0; i < i1; i++) w[i - i0] = Math.min(hi, (i + 1) * dst) - Math.max(lo, i * dst);
    first[j] = i0;
    count[j] = i1 - i0;
    weights.push(w);
  }
  return { first, count, weights };
}

/** Resizes (and max-pools) frames of palette indices into [C, H, W] planes. Immutable; shareable. */
export class Preprocessor {
  readonly spec: Readonly<ObsSpec>;
  /** 1 (gray) or 3 (RGB). */
  readonly channels: number;
  /** Bytes of one preprocessed frame: C * H * W. */
  readonly frameBytes: number;
  /** Bytes of one observation: stack * frameBytes. */
  readonly obsBytes: number;

  readonly #cropW: number;
  readonly #cropH: number;
  /** Per channel: palette index (0..63) -> channel value. */
  readonly #luts: Uint8Array[];
  readonly #yFirst: Int32Array;
  readonly #yCount: Int32Array;
  readonly #yWeights: Int32Array[];
  /** Horizontal taps padded to #xTaps per output (zero weights past its own): [width * #xTaps]. */
  readonly #xTaps: number;
  readonly #xFirst: Int32Array;
  readonly #xWeights: Int32Array;
  readonly #denominator: number;
  /** Vertical sums of one output row over the crop's columns (+ #xTaps zero padding). */
  readonly #column: Int32Array;

  /**
   * @param spec the output (checked: RangeError naming `obs.*`)
   * @param paletteRgb 64 x R, G, B (default: the native core's palette, so outputs match it)
   */
  constructor(spec: ObsSpec, paletteRgb: Uint8Array = NES_PALETTE_RGB) {
    validateObsSpec(spec);
    if (paletteRgb.length !== 192) throw new RangeError(expectedMessage('a Uint8Array of 192 bytes (64 x RGB)', 'paletteRgb', paletteRgb));
    this.spec = Object.freeze({ ...spec });
    this.channels = spec.grayscale ? 1 : 3;
    this.frameBytes = this.channels * spec.width * spec.height;
    this.obsBytes = this.frameBytes * spec.stack;
    this.#cropW = SOURCE_WIDTH - spec.cropLeft - spec.cropRight;
    this.#cropH = SOURCE_HEIGHT - spec.cropTop - spec.cropBottom;
    this.#luts = Array.from({ length: this.channels }, () => new Uint8Array(64));
    for (let i = 0; i < 64; i++) {
      const r = paletteRgb[3 * i]!,
        g = paletteRgb[3 * i + 1]!,
        b = paletteRgb[3 * i + 2]!;
      if (spec.grayscale) this.#luts[0]![i] = Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000);
      else [this.#luts[0]![i], this.#luts[1]![i], this.#luts[2]![i]] = [r, g, b];
    }
    const x = buildTaps(this.#cropW, spec.width);
    this.#xTaps = Math.max(...x.count);
    this.#xFirst = x.first;
    this.#xWeights = new Int32Array(spec.width * this.#xTaps);
    x.weights.forEach((w, j) => this.#xWeights.set(w, j * this.#xTaps));
    const y = buildTaps(this.#cropH, spec.height);
    this.#yFirst = y.first;
    this.#yCount = y.count;
    this.#yWeights = y.weights;
    this.#denominator = this.#cropW * this.#cropH;
    this.#column = new Int32Array(this.#cropW + this.#xTaps);
  }

  /**
   * One frame of palette indices (and, with `poolWith`, the per-channel max with that frame's
   * values) -> [C, H, W] into `out` (at least `frameBytes`; written from index 0).
   */
  resize(indices: IndexFrame, poolWith: IndexFrame | null | undefined, out: Uint8Array): void {
    if (indices.length < SOURCE_PIXELS) throw new RangeError(expectedMessage(`${SOURCE_PIXELS} palette indices`, 'indices', indices));
    if (poolWith && poolWith.length < SOURCE_PIXELS) throw new RangeError(expectedMessage(`${SOURCE_PIXELS} palette indices`, 'poolWith', poolWith));
    if (out.length < this.frameBytes) throw new RangeError(expectedMessage(`a Uint8Array of at least ${this.frameBytes} bytes`, 'out', out));
    const { width: W, height: H, cropTop, cropLeft } = this.spec;
    const cw = this.#cropW;
    const column = this.#column;
    const taps = this.#xTaps;
    const xFirst = this.#xFirst;
    const xWeights = this.#xWeights;
    const den = this.#denominator;
    const half = Math.floor(den / 2);
    for (let c = 0; c < this.channels; c++) {
      const lut = this.#luts[c]!;
      const plane = c * W * H;
      for (let y = 0; y < H; y++) {
        // Vertical pass: column[x] = sum over this output row's source rows of weight * value.
        column.fill(0, 0, cw);
        const first = this.#yFirst[y]!;
        const count = this.#yCount[y]!;
        const wy = this.#yWeights[y]!;
        for (let k = 0; k < count; k++) {
          const w = wy[k]!;
          const row = (cropTop + first + k) * SOURCE_WIDTH + cropLeft;
          if (poolWith) {
            for (let x = 0; x < cw; x++) {
              const a = lut[indices[row + x]! & 63]!;
              const b = lut[poolWith[row + x]! & 63]!;
              column[x]! += w * (a > b ? a : b);
            }
          } else {
            for (let x = 0; x < cw; x++) column[x]! += w * lut[indices[row + x]! & 63]!;
          }
        }
        // Horizontal pass and the exact rounding division (sums < 2^24: a double divides exactly enough).
        const outRow = plane + y * W;
        for (let x = 0; x < W; x++) {
          const f = xFirst[x]!;
          const base = x * taps;
          let sum = half;
          for (let m = 0; m < taps; m++) sum += xWeights[base + m]! * column[f + m]!;
          out[outRow + x] = Math.floor(sum / den);
        }
      }
    }
  }
}

/**
 * The frame-stack ring of one lane: write the newest frame into `nextSlot()`, then `commit()`;
 * `writeObs` lays the stack out oldest -> newest; `fillWithNewest` repeats the newest frame (after
 * a reset).
 */
export class FrameStack {
  readonly stack: number;
  readonly frameBytes: number;
  readonly #data: Uint8Array;
  #head = 0; // slot of the next push; also the oldest frame

  constructor(stack: number, frameBytes: number) {
    this.stack = stack;
    this.frameBytes = frameBytes;
    this.#data = new Uint8Array(stack * frameBytes);
  }

  /** The slot the next frame is written into (a view; valid until the next commit). */
  nextSlot(): Uint8Array {
    return this.#data.subarray(this.#head * this.frameBytes, (this.#head + 1) * this.frameBytes);
  }

  /** Makes the frame written into `nextSlot()` the newest. */
  commit(): void {
    this.#head = (this.#head + 1) % this.stack;
  }

  /** The newest frame (a view). */
  newest(): Uint8Array {
    const slot = (this.#head + this.stack - 1) % this.stack;
    return this.#data.subarray(slot * this.frameBytes, (slot + 1) * this.frameBytes);
  }

  /** Copies the newest frame into every other slot. */
  fillWithNewest(): void {
    const newest = this.newest();
    const slot = (this.#head + this.stack - 1) % this.stack;
    for (let s = 0; s < this.stack; s++) if (s !== slot) this.#data.set(newest, s * this.frameBytes);
  }

  /** Writes [stack, frameBytes], oldest first, into `out` at `offset`. */
  writeObs(out: Uint8Array, offset = 0): void {
    for (let s = 0; s < this.stack; s++) {
      const slot = (this.#head + s) % this.stack;
      out.set(this.#data.subarray(slot * this.frameBytes, (slot + 1) * this.frameBytes), offset + s * this.frameBytes);
    }
  }

  /** Copies another stack's frames and position (stacks of the same shape). */
  copyFrom(other: FrameStack): void {
    this.#data.set(other.#data);
    this.#head = other.#head;
  }
}

/**
 * Runs `frames` (T consecutive frames of palette indices) through one preprocessor and frame
 * stack, as the native test hook `envPreprocessFrames` does: frame t is max-pooled with frame t-1
 * when `maxPool` and t > 0; the first frame fills the stack. Returns T observations back to back.
 */
export function preprocessFrames(spec: ObsSpec, frames: IndexFrame, maxPool: boolean): Uint8Array {
  if (frames.length === 0 || frames.length % SOURCE_PIXELS !== 0) throw new RangeError(expectedMessage('a whole number of 256x240 frames', 'frames', frames));
  const pre = new Preprocessor(spec);
  const stack = new FrameStack(spec.stack, pre.frameBytes);
  const count = frames.length / SOURCE_PIXELS;
  const out = new Uint8Array(count * pre.obsBytes);
  for (let t = 0; t < count; t++) {
    const frame = frames.subarray(t * SOURCE_PIXELS, (t + 1) * SOURCE_PIXELS);
    const prev = maxPool && t > 0 ? frames.subarray((t - 1) * SOURCE_PIXELS, t * SOURCE_PIXELS) : null;
    pre.resize(frame, prev, stack.nextSlot());
    stack.commit();
    if (t === 0) stack.fillWithNewest();
    stack.writeObs(out, t * pre.obsBytes);
  }
  return out;
}
