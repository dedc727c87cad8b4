/**
 * `FrameStore`: the replay's frames, uint8 [capacity, H, W], one row per replay slot (the newest
 * frame of the observation stored at that slot), plus the checks on observations coming in.
 *
 * Rows live in chunks of `framesPerChunk` (a power of two; one typed array holds at most 4 GiB):
 * row r is row `r & mask` of chunk `r >> shift`. Stacks are assembled at sample time by the native
 * `gatherRows`, from row lists the BatchAssembler computes.
 *
 * Ownership: owned by one PrioritizedReplay and used on its thread only; the chunks are handed to
 * the native gather for the duration of one synchronous call.
 */
import { loadNative } from '../native.js';
import { expectedMessage } from '../validate.js';

export class FrameStore {
  readonly frameBytes: number;
  readonly rowsPerChunk: number;
  readonly #chunks: Uint8Array[]; // chunk k: [min(rowsPerChunk, capacity - k·rowsPerChunk), H, W]
  readonly #shift: number;
  readonly #mask: number;

  constructor(capacity: number, frameBytes: number, framesPerChunk: number) {
    this.frameBytes = frameBytes;
    this.rowsPerChunk = framesPerChunk;
    this.#shift = Math.log2(framesPerChunk);
    this.#mask = framesPerChunk - 1;
    this.#chunks = [];
    for (let start = 0; start < capacity; start += framesPerChunk) {
      this.#chunks.push(new Uint8Array(Math.min(framesPerChunk, capacity - start) * frameBytes));
    }
  }

  /** Copies one frame (frameBytes bytes of `src` from `srcOffset`) into row `row`. */
  write(row: number, src: Uint8Array, srcOffset: number): void {
    const F = this.frameBytes;
    this.#chunks[row >> this.#shift].set(src.subarray(srcOffset, srcOffset + F), (row & this.#mask) * F);
  }

  /** Copies row rows[k] into frame k of out (uint8 [rows.length, H, W]); -1 writes zeros. */
  gather(rows: Int32Array, out: Uint8Array): void {
    loadNative().gatherRows(this.#chunks, this.rowsPerChunk, this.frameBytes, rows, out);
  }

  /** The storage chunks, in row order (views for saving; see replay-state.ts). */
  get chunks(): readonly Uint8Array[] {
    return this.#chunks;
  }

  /**
   * Copies rows saved with another chunking (`savedRowsPerChunk`) into this store: bulk copies of
   * the overlapping row ranges, chunk sizes being powers of two. Lengths are checked by the caller.
   */
  copyRowsFrom(saved: readonly Uint8Array[], savedRowsPerChunk: number): void {
    const F = this.frameBytes;
    const rows = this.#chunks.reduce((sum, c) => sum + c.length / F, 0);
    for (let row = 0; row < rows;) {
      const src = saved[Math.floor(row / savedRowsPerChunk)];
      const srcRow = row % savedRowsPerChunk;
      const dst = this.#chunks[row >> this.#shift];
      const dstRow = row & this.#mask;
      const run = Math.min(src.length / F - srcRow, dst.length / F - dstRow);
      dst.set(src.subarray(srcRow * F, (srcRow + run) * F), dstRow * F);
      row += run;
    }
  }

  get memoryBytes(): number {
    return this.#chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  }
}

/**
 * Frames per lane in `obs`: `stack` for the VecEnv layout [N, stack, H, W], 1 for newest frames
 * only [N, H, W]. TypeError/RangeError for anything else.
 */
export function observationFrames(obs: unknown, name: string, lanes: number, stack: number, frameBytes: number): number {
  const stacked = lanes * stack * frameBytes;
  const single = lanes * frameBytes;
  if (!(obs instanceof Uint8Array)) {
    throw new TypeError(expectedMessage(`a Uint8Array of length ${stacked} or ${single}`, name, obs));
  }
  if (obs.length === stacked) return stack;
  if (obs.length === single) return 1;
  throw new RangeError(expectedMessage(`a Uint8Array of length ${stacked} ([N, stack, H, W]) or ${single} ([N, H, W])`, name, obs));
}

/**
 * An episode's first observation must be padded as the replay will rebuild it: older stack frames
 * are copies of the newest ('repeat') or zeros ('zero'). Error naming the lane and frame otherwise.
 */
export function checkStartPadding(obs: Uint8Array, lane: number, perLane: number, frameBytes: number, padding: 'repeat' | 'zero', name: string): void {
  const F = frameBytes;
  const base = lane * perLane * F;
  const newest = base + (perLane - 1) * F;
  for (let k = 0; k < perLane - 1; k++) {
    const off = base + k * F;
    for (let b = 0; b < F; b++) {
      const expected = padding === 'repeat' ? obs[newest + b] : 0;
      if (obs[off + b] !== expected) {
        throw new Error(
          `${name} of lane ${lane} starts an episode, but its stack frame ${k} is not ${padding === 'repeat' ? 'a copy of the newest frame' : 'zeros'} ` +
            `(startPadding '${padding}'); set startPadding to match how the env fills a reset stack`,
        );
      }
    }
  }
}
