/**
 * The CUDA path of prioritized replay: a GPU mirror of a {@link PriorityTree} that samples with
 * the same seeded uniforms and the same f64 arithmetic as the CPU, so both return the same indices.
 * The CUDA runtime is linked statically and opens the driver only when first used: without a GPU
 * or driver the addon loads normally and {@link cudaAvailability} says why CUDA is off.
 */
import { loadNative, type NativeCudaInfo, type RawCudaPriorityTree } from '../native.js';
import { expectNumber, expectTypedArray } from '../validate.js';
import type { PriorityTree } from './priority-tree.js';

/** Whether CUDA sampling can run here, and if not why (never throws). */
export function cudaAvailability(): NativeCudaInfo {
  return loadNative().cudaInfo();
}

/**
 * GPU mirror of a CPU PriorityTree. Construction uploads the tree; `set` must be given every batch
 * the CPU tree takes (PrioritizedReplay does this). Error("no CUDA device: …") when unavailable.
 */
export class CudaPrioritySampler {
  readonly #raw: RawCudaPriorityTree;
  readonly #tree: PriorityTree;

  /** Mirrors `tree` on CUDA device 0; Error naming the reason when no device can be used. */
  constructor(tree: PriorityTree) {
    this.#tree = tree;
    this.#raw = new (loadNative().CudaPriorityTree)(tree.raw);
  }

  /** Applies a batch of priorities the CPU tree already took (validated there). */
  set(indices: Int32Array, priorities: Float64Array): void {
    this.#raw.set(indices, priorities);
  }

  /**
   * Draws outIndices.length indices and their importance weights (min / p)^beta on the GPU, from
   * the seeded stream (seed -1 continues it) that PriorityTree.sample would use.
   */
  sample(outIndices: Int32Array, outWeights: Float32Array, beta: number, seed = -1): void {
    expectTypedArray(outIndices, 'outIndices', Int32Array);
    expectTypedArray(outWeights, 'outWeights', Float32Array, outIndices.length);
    expectNumber(beta, 'beta', 0, 1);
    this.#raw.sample(outIndices, outWeights, beta, seed);
  }

  /** The same with caller-given uniforms in [0, 1), as PriorityTree.sampleWithUniforms. */
  sampleWithUniforms(uniforms: Float64Array, beta: number, outIndices: Int32Array, outWeights: Float32Array): void {
    expectTypedArray(uniforms, 'uniforms', Float64Array);
    expectNumber(beta, 'beta', 0, 1);
    expectTypedArray(outIndices, 'outIndices', Int32Array, uniforms.length);
    expectTypedArray(outWeights, 'outWeights', Float32Array, uniforms.length);
    this.#raw.sampleWithUniforms(uniforms, beta, outIndices, outWeights);
  }

  /** Total as computed on the device (equals the CPU tree's total). */
  get total(): number {
    return this.#raw.total();
  }

  /** Min as computed on the device (equals the CPU tree's min). */
  get min(): number {
    return this.#raw.min();
  }

  /** Device and pinned staging bytes. */
  get memoryBytes(): number {
    return this.#raw.memoryBytes();
  }

  /** The CPU tree this mirrors. */
  get tree(): PriorityTree {
    return this.#tree;
  }

  /** Frees the device memory now (later calls throw). */
  dispose(): void {
    this.#raw.dispose();
  }
}
