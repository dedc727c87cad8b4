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
export { PriorityTree, MAX_PRIORITY, MAX_PRIORITY_TREE_CAPACITY } from './replay/priority-tree.js';
export type { PriorityTreeSampleOptions } from './replay/priority-tree.js';
export { PrioritizedReplay } from './replay/prioritized-replay.js';
export type {
  PrioritizedReplayOptions,
  ReplayStep,
  ReplayBatch,
  ReplayStats,
  TransitionInfo,
  ReplayState,
  ReplayStateHeader,
  ReplayStateSection,
  ReplayStateDtype,
  ReplayRestoreOptions,
  ResolvedReplayOptions,
} from './replay/prioritized-replay.js';
export { CudaPrioritySampler, cudaAvailability } from './replay/cuda-sampler.js';
export type { NativeCudaInfo } from './native.js';
export * as ops from './graph/ops.js';
export { Graph, Tensor, type DType } from './graph/tensor.js';
export { gradients, DIFFERENTIABLE_OPS } from './graph/autodiff.js';
export { toModel, OPSET } from './graph/onnx-writer.js';
export { applyOptimizer, clipByGlobalNorm, stateSlots, type OptimizerConfig } from './graph/optimizers.js';
export { modelSpec, initParams, paramSpecs, noiseSpecs, applyModel, forwardMacs, paramCount, type ModelSpec } from './models/networks.js';
export { noisyLinear, sampleNoise, NOISY_SIGMA0, type NoiseSpec } from './models/noisy.js';
export { ppoLoss, ppoConfig, PPO_LOSS_FIELDS, type PpoLossConfig } from './algos/ppo.js';
export { a2cLoss, a2cConfig, A2C_LOSS_FIELDS, type A2cLossConfig } from './algos/a2c.js';
export { dqnLoss, dqnConfig, DQN_LOSS_FIELDS, type DqnLossConfig } from './algos/dqn.js';
export {
  trainSpec,
  batchInputs,
  stateNames,
  buildTrainStepGraph,
  buildTrainLoopGraph,
  buildPolicyGraph,
  type TrainSpec,
  type Algo,
  type PolicyGraphOptions,
} from './runtime/train-graph.js';
export { SessionRunner, type RunnerOptions, type Device, type DeviceSetting } from './runtime/session-runner.js';
export {
  Learner,
  type LearnerOptions,
  type Batch as LearnerBatch,
  type StepResult as LearnerStepResult,
  type UpdateResult as LearnerUpdateResult,
  type UpdateOptions as LearnerUpdateOptions,
  type TrainStepOptions as LearnerTrainStepOptions,
  type ActOptions as LearnerActOptions,
  type ActResult as LearnerActResult,
} from './runtime/learner.js';
export { encodeSafetensors, decodeSafetensors, type StoredTensor } from './runtime/safetensors.js';

// Trainer building blocks (algos, train/, cli/progress): see docs/training.md.
export { computeGae } from './algos/gae.js';
export type { GaeInput, GaeOutput } from './algos/gae.js';
export { computeNStepTargets, NStepAccumulator } from './algos/nstep.js';
export type { NStepInput, NStepOutput, NStepBatch } from './algos/nstep.js';
export { sampleFromLogits, argmaxRows, epsilonGreedy } from './algos/action-sampling.js';
export { explainedVariance, normalizeInPlace, minibatchIndices, gatherRows } from './algos/rollout-stats.js';
export { scheduleValue, resolveSchedule, parseSchedule, parseScheduleString, formatSchedule } from './train/schedule.js';
export type { Schedule, ConstantSchedule, RampSchedule } from './train/schedule.js';
export { Rng } from './util/rng.js';
export type { RngState } from './util/rng.js';
export {
  CheckpointStore,
  CheckpointError,
  readCheckpoint,
  readCheckpointHeader,
  writeCheckpoint,
  findNewestCheckpoint,
  sectionAsFloat32,
  CHECKPOINT_SCHEMA_VERSION,
} from './run/checkpoint-store.js';
export type { Checkpoint, CheckpointHeader, CheckpointHeaderInput, CheckpointStoreOptions, ResumeResult, ResumeSetting } from './run/checkpoint-store.js';
export { TensorBoardWriter } from './run/tensorboard.js';
export type { TensorBoardWriterOptions } from './run/tensorboard.js';
export { MetricsWriter, EpisodeWindow, EventLoopLagMonitor, Heartbeat, PhaseTimer, queryGpus } from './run/metrics.js';
export type { MetricsRow, EpisodeRecord, HeartbeatOptions, GpuSample } from './run/metrics.js';
export { RunLogger, runPaths } from './run/run-logger.js';
export type { RunLoggerOptions, RunPaths } from './run/run-logger.js';
export {
  defaultConfig,
  validateConfig,
  loadConfigFile,
  resolveConfig,
  parseConfigFlags,
  deriveSizes,
  configHelp,
  CONFIG_FIELDS,
  CONFIG_TABLE,
} from './train/config.js';
export type {
  TrainerConfig,
  TrainerConfigInput,
  ScheduleInput,
  EnvConfig,
  PpoConfig,
  A2cConfig,
  DqnConfig,
  PerConfig,
  CheckpointConfig,
  LogConfig,
  EarlyStopConfig,
  EvalConfig,
  CurriculumConfig,
  StartStatesConfig,
  AdaptiveConfig,
  ExploreConfig,
  HintsConfig,
  DerivedSizes,
  ConfigField,
} from './train/config.js';
export { type FieldSpec, type FieldType, validateFields } from './fields.js';
export { ShutdownController } from './run/signals.js';
export type { ShutdownControllerOptions, ShutdownMode, StopReason } from './run/signals.js';
export { Trainer, vecEnvOptions, TRAINER_CHECKPOINT_FORMAT, EVAL_EPSILON } from './train/trainer.js';
export type {
  TrainerOptions,
  TrainOptions,
  TrainSummary,
  TrainerEvents,
  EpisodeEvent,
  EvaluateOptions,
  EvaluateResult,
  RecordedEpisode,
  RecordEpisodeOptions,
  StateEvaluation,
  StatesEvaluateOptions,
} from './train/trainer.js';
// Distributed runs (learner: Trainer options.distributed; actors: Actor): see docs/distributed.md.
export { Actor } from './train/actor.js';
export type { ActorExtras, ActorSummary } from './train/actor.js';
export type { ActorSideOptions, LearnerSideOptions, BrokerSideOptions } from './distributed/options.js';
export { CallbackList, EarlyStop } from './train/callbacks.js';
export type {
  TrainerCallback,
  CallbackContext,
  CheckpointInfo,
  EvaluationInfo,
  TrainingControls,
  EarlyStopOptions,
  ProbeResult,
  ProbeStageResult,
} from './train/callbacks.js';
export { EvalProbes, probeScore, summarizeProbe } from './train/probes.js';
export { Curriculum } from './train/curriculum.js';
export { AdaptiveSchedules } from './train/adaptive.js';
export type { CurriculumDecision, CurriculumRow } from './train/curriculum.js';
export { EpisodeBreakdown } from './train/episode-breakdown.js';
export { StartStateQueue, encodeStartStates, decodeStartStates, START_STATE_FILE_VERSION } from './train/start-states.js';
export { SMB1_STAGES, RUNNER_STAGE_NAMES, parseStageList } from './train/stages.js';
export type { StageList } from './train/stages.js';
export {
  TrainingHints,
  HINT_CODES,
  HINT_RULES,
  HINT_WARMUP_ROWS,
  SWAMP_RATIO,
  SWAMP_MIN_VALUE_LOSS,
  SWAMP_ROWS,
  ENTROPY_COLLAPSE_SHARE,
  ENTROPY_COLLAPSE_MAX_FLAG_RATE,
  ENTROPY_COLLAPSE_ROWS,
  EXPLAINED_VARIANCE_MAX,
  EXPLAINED_VARIANCE_ROWS,
  ZERO_REWARD_MIN_EPISODES,
  START_STATES_EMPTY_ROWS,
  CPU_SLOW_SHARE,
  CPU_SLOW_WARMUP_ROWS,
  CPU_SLOW_WARMUP_SECONDS,
} from './train/hints.js';
export type { Hint, HintCode, HintInput, HintRule, HintValues, TrainingHintsOptions, TrainingHintsState } from './train/hints.js';
export { episodeToGif } from './train/media.js';
export {
  TILE_CLASS_COLORS,
  TILE_PICTURE_GAP,
  TILE_PICTURE_PALETTE,
  drawTileGrid,
  frameBesideGrid,
  frameBesideGridIndexed,
  tilePictureLayout,
} from './train/tile-picture.js';
export type { Rgb, RgbImage, TilePictureLayout, TilePictureOptions } from './train/tile-picture.js';
export { encodePng } from './util/png.js';
export type { EpisodeGif, EpisodeGifOptions } from './train/media.js';
