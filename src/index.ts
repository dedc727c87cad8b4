/**
 * mario-rl: reinforcement learning on NES games from Node.js.
 *
 * Modules export their public API from here; see docs/architecture.md for the map.
 */
export { loadNative, loadNativeFrom, nativeCandidates, NativeLoadError } from './native.js';
export type { NativeAddon, NativeBuildInfo } from './native.js';
export { toBytes, bytesEqual, concatBytes, isBufferSource } from './bytes.js';
export { Nes, Buttons, FRAME_WIDTH, FRAME_HEIGHT, RGB_FRAME_BYTES } from './nes.js';
export type { NesBytes, NesOptions, StepOptions, PowerOnRam, CpuRegisters, CpuState } from './nes.js';
export { RUNNER_GAME, RUNNER_RAM, RUNNER_MODE, RUNNER_PLAYER_STATE, RUNNER_STAGES, runnerRomPath, loadRunnerRom } from './games/runner.js';
export { assemble, assembleFile, AsmError } from './asm/index.js';
export type { AssembleOptions, AssembleResult, AsmDiagnostic } from './asm/index.js';

import { loadNative, type NativeBuildInfo } from './native.js';

/** Describes the loaded native binary (version, CUDA kernels compiled in, compiler, cores). */
export function buildInfo(): NativeBuildInfo {
  return loadNative().buildInfo();
}
export * from './env/index.js';
export { PriorityTree, MAX_PRIORITY_TREE_CAPACITY } from './replay/priority-tree.js';
export type { PriorityTreeSampleOptions } from './replay/priority-tree.js';
export { PrioritizedReplay } from './replay/prioritized-replay.js';
export type { PrioritizedReplayOptions, ReplayStep, ReplayBatch, ReplayStats, TransitionInfo } from './replay/prioritized-replay.js';
export { CudaPrioritySampler, cudaAvailability } from './replay/cuda-sampler.js';
export type { NativeCudaInfo } from './native.js';
export * as ops from './graph/ops.js';
export { Graph, Tensor, type DType } from './graph/tensor.js';
export { gradients, DIFFERENTIABLE_OPS } from './graph/autodiff.js';
export { toModel, OPSET } from './graph/onnx-writer.js';
export { applyOptimizer, clipByGlobalNorm, stateSlots, type OptimizerConfig } from './graph/optimizers.js';
export { modelSpec, initParams, paramSpecs, applyModel, forwardMacs, paramCount, type ModelSpec } from './models/networks.js';
export { ppoLoss, ppoConfig, type PpoConfig } from './algos/ppo.js';
export { a2cLoss, a2cConfig, type A2cConfig } from './algos/a2c.js';
export { dqnLoss, dqnConfig, type DqnConfig } from './algos/dqn.js';
export { trainSpec, batchInputs, stateNames, buildTrainStepGraph, buildTrainLoopGraph, buildPolicyGraph, type TrainSpec, type Algo } from './train/train-graph.js';
export { SessionRunner, type RunnerOptions, type Device } from './train/runner.js';
export { Learner, type LearnerOptions, type Batch, type StepResult, type UpdateResult, type UpdateOptions } from './train/learner.js';
export { encodeSafetensors, decodeSafetensors, type StoredTensor } from './train/safetensors.js';
export { computeGae, type GaeInput } from './algos/gae.js';
export { sampleCategorical } from './algos/categorical.js';
export { Rng } from './models/random.js';
