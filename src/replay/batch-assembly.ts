/**
 * Batch assembly: what `sample` and `gather` return, and how it is filled. For B replay indices,
 * the scalars are read from the TransitionStore, and each observation's `stack` frame rows are
 * listed in TS (stopping at the episode's first frame, padded as `startPadding` says) and copied
 * by one native `gatherRows` call per output array. Importance weights come from the PriorityBackend.
 *
 * Ownership: a BatchAssembler is owned by one PrioritizedReplay and used on its thread only. A
 * ReplayBatch is owned by whoever created it; `sample`/`gather` overwrite it in place.
 */
import { expectInteger, expectOptions, expectTypedArray } from '../validate.js';
import type { FrameStore } from './frame-store.js';
import { BOOTSTRAP, type TransitionStore } from './transition-store.js';

/** A sampled batch; every array is written in place by `sample`/`gather` (B = batch size). */
export interface ReplayBatch {
  /** Observations s_t, Uint8Array [B, stack, H, W]. */
  obs: Uint8Array;
  /** Actions a_t, Int32Array [B]. */
  actions: Int32Array;
  /** n-step discounted returns Σ_k γ^k r_{t+k} (stopping at the episode end), Float32Array [B]. */
  returns: Float32Array;
  /** Observations s_{t+m} to bootstrap from, Uint8Array [B, stack, H, W]. */
  nextObs: Uint8Array;
  /** γ^m, or 0 when the episode terminated within the n steps, Float32Array [B]. */
  discounts: Float32Array;
  /** Importance weights (min P / P(i))^β ≤ 1, Float32Array [B]. */
  weights: Float32Array;
  /** Replay indices, for `updatePriorities`, Int32Array [B]. */
  indices: Int32Array;
}

export class BatchAssembler {
  readonly #store: TransitionStore;
  readonly #frames: FrameStore;
  readonly #padding: 'repeat' | 'zero';
  readonly #powers: Float64Array; // [nStep + 1] γ^m
  readonly #stackBytes: number;
  readonly #cached = new Map<number, ReplayBatch>();
  // Frame row of every output frame slot (-1: zero padding), [B, stack] each; grown to the largest B.
  #obsRows = new Int32Array(0);
  #nextRows = new Int32Array(0);

  constructor(store: TransitionStore, frames: FrameStore, padding: 'repeat' | 'zero', powers: Float64Array) {
    this.#store = store;
    this.#frames = frames;
    this.#padding = padding;
    this.#powers = powers;
    this.#stackBytes = store.stack * frames.frameBytes;
  }

  /** Allocates a batch of `batchSize` transitions. */
  create(batchSize: number): ReplayBatch {
    expectInteger(batchSize, 'batchSize', 1, 1 << 20);
    const obsBytes = batchSize * this.#stackBytes;
    return {
      obs: new Uint8Array(obsBytes),
      actions: new Int32Array(batchSize),
      returns: new Float32Array(batchSize),
      nextObs: new Uint8Array(obsBytes),
      discounts: new Float32Array(batchSize),
      weights: new Float32Array(batchSize),
      indices: new Int32Array(batchSize),
    };
  }

  /** The batch reused for every call with this batch size when the caller passes none. */
  cached(batchSize: number): ReplayBatch {
    let batch = this.#cached.get(batchSize);
    if (!batch) {
      batch = this.create(batchSize);
      this.#cached.set(batchSize, batch);
    }
    return batch;
  }

  /** Returns `out` if it is a batch of `batchSize`; TypeError/RangeError naming the bad array. */
  check(out: unknown, batchSize: number): ReplayBatch {
    const b = expectOptions<ReplayBatch>(out, 'out');
    const obsBytes = batchSize * this.#stackBytes;
    expectTypedArray(b.obs, 'out.obs', Uint8Array, obsBytes);
    expectTypedArray(b.nextObs, 'out.nextObs', Uint8Array, obsBytes);
    expectTypedArray(b.actions, 'out.actions', Int32Array, batchSize);
    expectTypedArray(b.returns, 'out.returns', Float32Array, batchSize);
    expectTypedArray(b.discounts, 'out.discounts', Float32Array, batchSize);
    expectTypedArray(b.weights, 'out.weights', Float32Array, batchSize);
    expectTypedArray(b.indices, 'out.indices', Int32Array, batchSize);
    return b as ReplayBatch;
  }

  /** Fills everything but the weights for the first `count` of batch.indices (all sampleable). */
  fill(batch: ReplayBatch, count: number): void {
    const st = this.#store;
    const L = st.laneCapacity;
    const S = st.stack;
    if (this.#obsRows.length < count * S) {
      this.#obsRows = new Int32Array(count * S);
      this.#nextRows = new Int32Array(count * S);
    }
    const obsRows = this.#obsRows.subarray(0, count * S);
    const nextRows = this.#nextRows.subarray(0, count * S);
    for (let b = 0; b < count; b++) {
      const i = batch.indices[b];
      const lane = Math.floor(i / L);
      const slot = i - lane * L;
      const laneBase = lane * L;
      batch.actions[b] = st.actions[i];
      batch.returns[b] = st.returns.get(i);
      const m = st.nextOffset[i];
      batch.discounts[b] = st.flags[i] & BOOTSTRAP ? this.#powers[m] : 0;
      this.#stackRows(obsRows, b * S, laneBase, slot, st.epStep[i]);
      const nextSlot = (slot + m) % L;
      this.#stackRows(nextRows, b * S, laneBase, nextSlot, st.epStep[laneBase + nextSlot]);
    }
    this.#frames.gather(obsRows, batch.obs);
    this.#frames.gather(nextRows, batch.nextObs);
  }

  /** Frame rows of the stack ending at (laneBase + slot), padded before the episode start. */
  #stackRows(rows: Int32Array, offset: number, laneBase: number, slot: number, epStep: number): void {
    const L = this.#store.laneCapacity;
    const S = this.#store.stack;
    for (let k = 0; k < S; k++) {
      const back = S - 1 - k;
      rows[offset + k] = back > epStep && this.#padding === 'zero' ? -1 : laneBase + ((slot - Math.min(back, epStep) + L) % L);
    }
  }
}
