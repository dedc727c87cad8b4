/**
 * mario-rl: reinforcement learning on NES games from Node.js.
 *
 * Modules export their public API from here; see docs/architecture.md for the map.
 */
export { loadNative, loadNativeFrom, nativeCandidates, NativeLoadError } from './native.js';
export type { NativeAddon, NativeBuildInfo } from './native.js';
export { toBytes, bytesEqual, concatBytes, isBufferSource } from './bytes.js';

import { loadNative, type NativeBuildInfo } from './native.js';

/** Describes the loaded native binary (version, CUDA kernels compiled in, compiler, cores). */
export function buildInfo(): NativeBuildInfo {
  return loadNative().buildInfo();
}

// Trainer building blocks (algos, train/, cli/progress): see docs/training.md.
export { computeGae } from './algos/gae.js';
export type { GaeInput, GaeOutput } from './algos/gae.js';
export { computeNStepTargets, NStepAccumulator } from './algos/nstep.js';
export type { NStepInput, NStepOutput, NStepBatch } from './algos/nstep.js';
export { sampleFromLogits, argmaxRows, epsilonGreedy } from './algos/action-sampling.js';
export { explainedVariance, normalizeInPlace, minibatchIndices, gatherRows } from './algos/rollout-stats.js';
export { scheduleValue, resolveSchedule, parseSchedule, parseScheduleString, formatSchedule } from './train/schedule.js';
export type { Schedule, ConstantSchedule, RampSchedule } from './train/schedule.js';
export { Rng } from './train/rng.js';
export type { RngState } from './train/rng.js';
export {
  CheckpointStore, CheckpointError, readCheckpoint, readCheckpointHeader, writeCheckpoint, findNewestCheckpoint, sectionAsFloat32,
  CHECKPOINT_SCHEMA_VERSION,
} from './train/checkpoint-store.js';
export type { Checkpoint, CheckpointHeader, CheckpointHeaderInput, CheckpointStoreOptions, ResumeResult, ResumeSetting } from './train/checkpoint-store.js';
export { TensorBoardWriter } from './train/tensorboard.js';
export type { TensorBoardWriterOptions } from './train/tensorboard.js';
export { MetricsWriter, EpisodeWindow, EventLoopLagMonitor, Heartbeat, PhaseTimer, queryGpus } from './train/metrics.js';
export type { MetricsRow, EpisodeRecord, HeartbeatOptions, GpuSample } from './train/metrics.js';
export { RunLogger, runPaths } from './train/run-logger.js';
export type { RunLoggerOptions, RunPaths } from './train/run-logger.js';
export {
  defaultConfig, validateConfig, loadConfigFile, resolveConfig, parseConfigFlags, deriveSizes, configHelp, CONFIG_FIELDS,
} from './train/config.js';
export type { TrainerConfig, EnvConfig, PpoConfig, A2cConfig, DqnConfig, PerConfig, CheckpointConfig, LogConfig, DerivedSizes } from './train/config.js';
export { ShutdownController } from './train/signals.js';
export type { ShutdownControllerOptions, ShutdownMode, StopReason } from './train/signals.js';
export { ProgressDisplay } from './cli/progress.js';
export type { ProgressOptions, ProgressUpdate } from './cli/progress.js';
