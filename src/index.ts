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
