/** Batched environments: see vec-env.ts and docs/env.md. */
export { BUILTIN_GAME_NOTICE, VecEnv } from './vec-env.js';
export type {
  ActionSetName,
  EpisodeStats,
  ObsOptions,
  ResetResult,
  RewardPreset,
  RewardShaping,
  StartStateMode,
  StepResult,
  VecEnvOptions,
} from './vec-env.js';
