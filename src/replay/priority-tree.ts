/**
 * `PriorityTree`: sum and min over priorities for prioritized replay, on the native 8-ary tree
 * (one cache line per node, f64 sums recomputed from children, descents interleaved).
 * See docs/replay.md for the design.
 */
import { loadNative, type RawPriorityTree } from '../native.js';
import { expectInteger, expectOptions, expectTypedArray, expectedMessage, rejectUnknownKeys } from '../validate.js';

/** Largest capacity a tree accepts (2^30 leaves, ≈ 9.4 GiB of f64 nodes). */
export const MAX_PRIORITY_TREE_CAPACITY = 2 ** 30;
const MAX_SEED = Number.MAX_SAFE_INTEGER;
/**
 * Largest priority a tree accepts. The f64 sums must stay finite: 2^30 leaves of this size sum to
 * about 1.1e289, and sampling scales the total by up to 2^31 segments (≈ 2.3e298), far below the
 * largest double (1.8e308). Beyond it the total would become Infinity and sampling would return one
 * index forever.
 */
export const MAX_PRIORITY = 1e280;

/** Options of {@link PriorityTree.sample}. */
export interface PriorityTreeSampleOptions {
  /** Reseeds the tree's random stream before drawing (integer in [0, 2^53 - 1]); later calls without a seed continue it. */
  seed?: number;
  /** Int32Array of length n to write into (no allocation); a new one is returned when omitted. */
  out?: Int32Array;
}

/** Checks an indices argument (Int32Array). */
export function expectIndices(value: unknown, name = 'indices'): Int32Array {
  return expectTypedArray(value, name, Int32Array);
}

/**
 * Sum and min over `capacity` non-negative priorities.
 *
 * - Priority 0 means "never sampled"; `min` is the smallest positive priority (Infinity if none).
 * - NaN, negative, infinite or priorities above {@link MAX_PRIORITY} (whose sum could overflow)
 *   are rejected with a RangeError naming the offending position and tree index, and leave the
 *   tree unchanged.
 * - Sampling is stratified: n segments of equal mass, one uniform each, so a batch covers the
 *   distribution evenly; each index i is drawn with probability priority[i] / total per segment mass.
 */
export class PriorityTree {
  readonly #raw: RawPriorityTree;
  readonly #capacity: number;

  /** Creates a tree of `capacity` leaves, all 0. RangeError unless capacity is an integer in [1, 2^30]. */
  constructor(capacity: number) {
    this.#capacity = expectInteger(capacity, 'capacity', 1, MAX_PRIORITY_TREE_CAPACITY);
    this.#raw = new (loadNative().PriorityTree)(capacity);
  }

  /** Number of leaves. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Sum of all priorities (f64, recomputed from children after every `set`). */
  get total(): number {
    return this.#raw.total();
  }

  /** Smallest positive priority; Infinity when no priority is positive. */
  get min(): number {
    return this.#raw.min();
  }

  /** 1 + the largest index ever set; sampled indices are clamped below it. */
  get filled(): number {
    return this.#raw.filled();
  }

  /** Bytes held by the tree's nodes (one allocation for both trees). */
  get memoryBytes(): number {
    return this.#raw.memoryBytes();
  }

  /**
   * Sets `priorities[i]` at `indices[i]` for every i (a later duplicate wins), then recomputes the
   * ancestors. TypeError for wrong array types, RangeError for mismatched lengths, an index outside
   * [0, capacity) or a NaN/negative/infinite priority or one above {@link MAX_PRIORITY} (naming its position).
   */
  set(indices: Int32Array, priorities: Float32Array | Float64Array): void {
    expectIndices(indices);
    if (!(priorities instanceof Float32Array) && !(priorities instanceof Float64Array)) {
      throw new TypeError(expectedMessage('a Float32Array or Float64Array', 'priorities', priorities));
    }
    if (priorities.length !== indices.length) {
      throw new RangeError(expectedMessage(`a typed array of length ${indices.length} (as indices)`, 'priorities', priorities));
    }
    // NaN, negative and infinite values are checked natively in one pass before anything changes;
    // the upper bound here and natively (PriorityTree::kMaxPriority), so a raw call cannot skip it.
    for (let i = 0; i < priorities.length; i++) {
      if (priorities[i]! > MAX_PRIORITY) {
        throw new RangeError(
          expectedMessage(`a priority in [0, ${MAX_PRIORITY}] (MAX_PRIORITY)`, `priorities[${i}] (tree index ${indices[i]})`, priorities[i]),
        );
      }
    }
    this.#raw.set(indices, priorities);
  }

  /** Priority at `index` (RangeError outside [0, capacity)). */
  get(index: number): number {
    expectInteger(index, 'index', 0, this.#capacity - 1);
    return this.#raw.get(index);
  }

  /** Priorities at `indices`, written into `out` (allocated when omitted). */
  getMany(indices: Int32Array, out?: Float64Array): Float64Array {
    expectIndices(indices);
    const target = out === undefined ? new Float64Array(indices.length) : expectTypedArray(out, 'out', Float64Array, indices.length);
    this.#raw.getMany(indices, target);
    return target;
  }

  /**
   * Draws `n` indices by stratified proportional sampling (segment i gets one uniform in
   * [i, i + 1) · total / n). Error when the total is 0; RangeError for a bad n, seed or out.
   */
  sample(n: number, opts?: PriorityTreeSampleOptions): Int32Array {
    expectInteger(n, 'n', 1, 2 ** 31 - 1);
    const options = expectOptions<PriorityTreeSampleOptions>(opts, 'sample options');
    rejectUnknownKeys(options, 'sample options', ['seed', 'out']);
    const seed = options.seed === undefined ? -1 : expectInteger(options.seed, 'seed', 0, MAX_SEED);
    const out = options.out === undefined ? new Int32Array(n) : expectTypedArray(options.out, 'out', Int32Array, n);
    this.#raw.sample(out, seed);
    return out;
  }

  /**
   * Stratified sampling with caller-given uniforms (each in [0, 1)): sample i descends to mass
   * (i + uniforms[i]) · total / n. The CPU and CUDA paths give identical indices for identical uniforms.
   */
  sampleWithUniforms(uniforms: Float64Array, out?: Int32Array): Int32Array {
    expectTypedArray(uniforms, 'uniforms', Float64Array);
    const target = out === undefined ? new Int32Array(uniforms.length) : expectTypedArray(out, 'out', Int32Array, uniforms.length);
    this.#raw.sampleWithUniforms(uniforms, target);
    return target;
  }

  /** The raw native tree (for the replay and the CUDA mirror). @internal */
  get raw(): RawPriorityTree {
    return this.#raw;
  }
}
