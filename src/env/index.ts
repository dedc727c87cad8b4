/** Batched environments: see vec-env.ts and docs/env.md. */
export {
  ACTION_SET_SIZES,
  BUILTIN_GAME_NOTICE,
  MAX_EPISODE_STEPS,
  MAX_REWARD_WEIGHT,
  MAX_SHAPING_ANNEAL_STEPS,
  MAX_VEC_ENVS,
  RAM_OBS_BYTES,
  RENDER_HEIGHT,
  RENDER_WIDTH,
  SMB3_LEVELS,
  TILE_CLASSES,
  VecEnv,
  actionSetName,
  observationShape,
} from './vec-env.js';
export { TILE_FIELD_TOP, TILE_PIXELS, tileScreenLeft } from './tiles.js';
export type {
  ActionSetName,
  EpisodeStats,
  ObsOptions,
  ResetResult,
  RewardPreset,
  RewardShaping,
  StartStateMode,
  StartStateOptions,
  StartStats,
  StepResult,
  TileObsOptions,
  VecEnvOptions,
} from './vec-env.js';
