/**
 * `PriorityBackend`: the replay's priorities and its sampling stream, on the native
 * {@link PriorityTree}, mirrored on a GPU ({@link CudaPrioritySampler}) with `device: 'cuda'`.
 *
 * Pipeline: storage changes queue (index, priority) writes → `flush` sends them as one batch to the
 * tree (and the mirror) → `sample` draws stratified indices from the seeded stream and their
 * importance weights (min p / p)^β.
 *
 * Ownership: owned by one PrioritizedReplay and used on its thread only. The CPU tree is
 * authoritative; the mirror takes every batch the tree takes. The stream lives in the native
 * object that samples (tree or mirror): reseeded by the first draw, continued by each later one,
 * one 64-bit key per draw, so its position is the number of draws (see `restore`).
 */
import { expectedMessage } from '../validate.js';
import { CudaPrioritySampler } from './cuda-sampler.js';
import { MAX_PRIORITY, PriorityTree } from './priority-tree.js';

/** Leaves set per native call when a state is restored (bounds the index scratch). */
const RESTORE_BATCH = 1 << 16;

export interface PriorityBackendOptions {
  capacity: number;
  alpha: number;
  epsilon: number;
  seed: number;
  device: 'cpu' | 'cuda';
  /** Most writes one replay call can queue. */
  queueCapacity: number;
}

export class PriorityBackend {
  readonly tree: PriorityTree;
  readonly #cuda: CudaPrioritySampler | undefined;
  readonly #alpha: number;
  readonly #epsilon: number;
  readonly #seed: number;
  #seedPending = true;
  #maxPriority = 1;

  // Writes queued by one replay call, flushed in one set(): [queueCapacity] each.
  readonly #queueIdx: Int32Array;
  readonly #queueP: Float64Array;
  #queued = 0;
  // Scratch for updates and weights, grown to the largest batch: [batch] each.
  #scratchIdx = new Int32Array(0);
  #scratchP = new Float64Array(0);

  constructor(o: PriorityBackendOptions) {
    this.#alpha = o.alpha;
    this.#epsilon = o.epsilon;
    this.#seed = o.seed;
    this.tree = new PriorityTree(o.capacity);
    this.#queueIdx = new Int32Array(o.queueCapacity);
    this.#queueP = new Float64Array(o.queueCapacity);
    this.#cuda = o.device === 'cuda' ? new CudaPrioritySampler(this.tree) : undefined;
  }

  /** Largest priority |δ| + ε seen so far (1 at the start), before the exponent α. */
  get maxPriority(): number {
    return this.#maxPriority;
  }

  /** Queues priority 0: index stops being drawn. */
  queueZero(index: number): void {
    this.#queue(index, 0);
  }

  /** Queues the priority of a new transition: the largest seen so far, raised to α. */
  queueNew(index: number): void {
    this.#queue(index, this.#maxPriority ** this.#alpha);
  }

  #queue(index: number, priority: number): void {
    if (this.#queued === this.#queueIdx.length) this.flush(); // never expected; keeps order if it happens
    this.#queueIdx[this.#queued] = index;
    this.#queueP[this.#queued] = priority;
    this.#queued++;
  }

  /** Sends the queued writes to the tree (and the mirror) as one batch. */
  flush(): void {
    if (this.#queued === 0) return;
    this.#set(this.#queueIdx.subarray(0, this.#queued), this.#queueP.subarray(0, this.#queued));
    this.#queued = 0;
  }

  #set(indices: Int32Array, priorities: Float64Array): void {
    this.tree.raw.set(indices, priorities);
    this.#cuda?.set(indices, priorities);
  }

  #scratch(count: number): void {
    if (this.#scratchIdx.length < count) {
      this.#scratchIdx = new Int32Array(count);
      this.#scratchP = new Float64Array(count);
    }
  }

  /**
   * Sets (|tdErrors[k]| + ε)^α at indices[k] where `accept(indices[k])`; raises the max priority.
   * Arguments are checked by the caller.
   */
  update(indices: Int32Array, tdErrors: Float32Array | Float64Array, accept: (index: number) => boolean): void {
    this.#scratch(indices.length);
    let m = 0;
    let maxP = this.#maxPriority;
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      if (!accept(i)) continue;
      const p = Math.abs(tdErrors[k]) + this.#epsilon;
      const priority = p ** this.#alpha;
      // Checked before anything changes: a priority whose tree sum could overflow (see MAX_PRIORITY).
      if (!(priority <= MAX_PRIORITY)) {
        throw new RangeError(
          expectedMessage(`a TD error whose priority (|δ| + ε)^α is at most ${MAX_PRIORITY}`, `tdErrors[${k}] (replay index ${i})`, tdErrors[k]),
        );
      }
      if (p > maxP) maxP = p;
      this.#scratchIdx[m] = i;
      this.#scratchP[m] = priority;
      m++;
    }
    this.#maxPriority = maxP;
    if (m > 0) this.#set(this.#scratchIdx.subarray(0, m), this.#scratchP.subarray(0, m));
  }

  /**
   * Draws indices.length indices (stratified, P(i) ∝ priority) from the seeded stream and writes
   * their importance weights for β into `weights` [indices.length]. Error when every priority is 0.
   */
  sample(indices: Int32Array, weights: Float32Array, beta: number): void {
    const seed = this.#seedPending ? this.#seed : -1;
    if (this.#cuda) {
      // Same seeded stream and targets as the CPU path, so both draw the same indices.
      this.#cuda.sample(indices, weights, beta, seed);
      this.#seedPending = false;
    } else {
      this.tree.raw.sample(indices, seed);
      this.#seedPending = false;
      this.weights(indices, weights, beta);
    }
  }

  /** Importance weights (tree.min / p_i)^β of `indices` into `weights`, computed on the CPU. */
  weights(indices: Int32Array, weights: Float32Array, beta: number): void {
    const count = indices.length;
    this.#scratch(count);
    const p = this.#scratchP.subarray(0, count);
    this.tree.raw.getMany(indices, p);
    const min = this.tree.min;
    for (let b = 0; b < count; b++) weights[b] = (min / p[b]) ** beta;
  }

  get memoryBytes(): number {
    return this.tree.memoryBytes + (this.#cuda?.memoryBytes ?? 0);
  }

  /** Leaf priorities [0, tree.filled), Float64Array [filled] (a copy). */
  exportLeaves(): Float64Array {
    const filled = this.tree.filled;
    const leaves = new Float64Array(filled);
    const idx = new Int32Array(Math.min(RESTORE_BATCH, filled));
    for (let start = 0; start < filled; start += RESTORE_BATCH) {
      const n = Math.min(RESTORE_BATCH, filled - start);
      for (let k = 0; k < n; k++) idx[k] = start + k;
      this.tree.raw.getMany(idx.subarray(0, n), leaves.subarray(start, start + n));
    }
    return leaves;
  }

  /**
   * Restores a saved backend into this fresh one: sets every leaf of [0, leaves.length) (so `filled`
   * matches; every sum and min is recomputed from the leaves in a fixed order, so the tree equals the
   * saved one bit for bit), then replays `draws` draws to bring the stream where it was. That costs
   * one small native call per past draw (sub-microsecond on the CPU, one kernel launch on CUDA).
   * Leaves are checked by the caller.
   */
  restore(leaves: Float64Array, maxPriority: number, draws: number): void {
    if (this.tree.filled !== 0 || !this.#seedPending) {
      throw new Error('PriorityBackend.restore: restore into a fresh backend');
    }
    const idx = new Int32Array(Math.min(RESTORE_BATCH, leaves.length));
    for (let start = 0; start < leaves.length; start += RESTORE_BATCH) {
      const n = Math.min(RESTORE_BATCH, leaves.length - start);
      for (let k = 0; k < n; k++) idx[k] = start + k;
      this.#set(idx.subarray(0, n), leaves.subarray(start, start + n));
    }
    this.#maxPriority = maxPriority;
    if (draws === 0) return;
    // A draw needs a positive total: lend leaf 0 one for the replay of the stream if all are 0.
    const lend = !(this.tree.total > 0);
    if (lend) this.#set(new Int32Array([0]), new Float64Array([1]));
    const one = new Int32Array(1);
    const w = new Float32Array(1);
    for (let k = 0; k < draws; k++) {
      const seed = k === 0 ? this.#seed : -1;
      if (this.#cuda) this.#cuda.sample(one, w, 0, seed);
      else this.tree.raw.sample(one, seed);
    }
    this.#seedPending = false;
    if (lend) this.#set(new Int32Array([0]), new Float64Array([leaves[0]]));
  }

  /** Frees the GPU mirror (no-op on the CPU). */
  dispose(): void {
    this.#cuda?.dispose();
  }
}
