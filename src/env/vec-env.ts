/**
 * Batched NES environments: `numEnvs` consoles stepped by a native thread pool, with frame skip,
 * game rules and observation preprocessing fused into one native step that writes straight into
 * arrays allocated once here; or, on the jsnes backend, the same step in TypeScript (js/vec-env.ts)
 * behind the same raw interface. See docs/env.md for the exact semantics.
 */
import { checkStateBackend, resolveBackend, type BackendName, type BackendOption } from '../backend/select.js';
import { JsnesCore } from '../backend/jsnes-core.js';
import { toBytes } from '../bytes.js';
import { loadRunnerRom, RUNNER_GAME } from '../games/runner.js';
import { defaultFastPaths, loadNative, type NativeBuildInfo, type NativeNesCore, type NativeVecEnv, type NativeVecEnvConfig } from '../native.js';
import { expectBoolean, expectInteger, expectNumber, expectOneOf, expectOptions, expectTypedArray, expectedMessage, rejectUnknownKeys } from '../validate.js';
import { jsGameNames, JsVecEnv } from './js/vec-env.js';

/** Most lanes one VecEnv steps. */
export const MAX_VEC_ENVS = 512;
/** Largest `maxEpisodeSteps` and `maxStallSteps`. */
export const MAX_EPISODE_STEPS = 2 ** 30;

/**
 * Action sets, in gym-super-mario-bros order: RIGHT_ONLY, SIMPLE_MOVEMENT, COMPLEX_MOVEMENT, or all
 * 256 button bytes. 'right' is the older spelling of 'right-only', still accepted.
 */
export type ActionSetName = 'right-only' | 'simple' | 'complex' | 'full' | 'right';
/**
 * Reward presets: `'v0'` classic gym-super-mario-bros, `'shaped'` its 2026 (9.1) shaped reward
 * (`'v9'` is the older spelling, still accepted), `'uvipen'` the uvipen PPO reward.
 */
export type RewardPreset = 'v0' | 'shaped' | 'uvipen' | 'v9';
/** How `setStartStates` assigns states to lanes at each reset. */
export type StartStateMode = 'fixed' | 'sample' | 'cycle';

/** Options of `setStartStates`. */
export interface StartStateOptions {
  /**
   * Probability, in [0, 1], that a reset starts from one of the states; the other resets start from
   * a stage start point drawn by `setStageWeights`. Drawn per reset from the lane's seeded stream
   * (resolution 2^-24). Default 1: every reset uses a state, and no draw is made.
   */
  share?: number;
}

/** Reset counts returned (and zeroed) by `startStats()`. */
export interface StartStats {
  /** Lane resets since the previous call (autoresets and `reset()`), summed over the lanes. */
  resets: number;
  /** How many of them started from a `setStartStates` state. */
  fromStartStates: number;
}

/** Pixel observation options. */
export interface ObsOptions {
  /** The observation kind; pixels when omitted. */
  kind?: 'pixels';
  /** Output width in pixels (1..256). Default 84. */
  width?: number;
  /** Output height in pixels (1..240). Default 84. */
  height?: number;
  /** Frames in the stack (1..16). Default 4. */
  frameStack?: number;
  /** @deprecated The older name of `frameStack`, still accepted. */
  stack?: number;
  /** Luma (true, one channel) or RGB (false, three planar channels). Default true. */
  grayscale?: boolean;
  /** Pixels dropped from each side of the 256x240 frame before resizing, e.g. `{ top: 32 }` drops the HUD. */
  crop?: { top?: number; bottom?: number; left?: number; right?: number };
}

/**
 * Tile-grid observation options (`obs: { kind: 'tiles' }`, or `obs: 'tiles'` for the defaults): the
 * screen as rows x cols cells of 16 px, one class id per cell (`TILE_CLASSES`), read from RAM without
 * rendering. Row 0 is the top of the play field (32 px below the screen's top), column 0 the
 * screen's left edge (docs/env.md "Tile grids").
 */
export interface TileObsOptions {
  kind: 'tiles';
  /** Rows of cells (1..32). Default 13: the play field (rows past the screen are empty). */
  rows?: number;
  /** Columns of cells (1..64). Default 16: one screen (columns the game has not loaded are empty). */
  cols?: number;
  /** Grids in the stack, one per agent step, oldest first (1..16). Default 4. */
  frameStack?: number;
}

/** Class ids of tile-grid observations: `TILE_CLASSES[id]` names class `id` (0 empty ... 4 item). */
export const TILE_CLASSES = Object.freeze(['empty', 'solid', 'enemy', 'player', 'item'] as const);
/** Default tile grid: 13 rows x 16 columns, the whole play field of one screen. */
const DEFAULT_TILE_ROWS = 13;
const DEFAULT_TILE_COLS = 16;

/** Largest |weight| of `rewardShaping`. */
export const MAX_REWARD_WEIGHT = 1e6;
/** Largest `rewardShaping.annealSteps`. */
export const MAX_SHAPING_ANNEAL_STEPS = 2 ** 50;

/** Reward shaping, changeable at run time with `setRewardShaping`. */
export interface RewardShaping {
  /** Weight of the distance/progress component (preset default 1). */
  distanceWeight?: number;
  /** Weight of the score-difference component (defaults: v0 0, shaped 1/100, uvipen 1/40). */
  scoreWeight?: number;
  /** Weights reached after `annealSteps` env steps, linearly (default: no annealing). */
  distanceWeightEnd?: number;
  /** Score weight reached after `annealSteps` env steps. */
  scoreWeightEnd?: number;
  /** Env steps (calls of step/stepAsync) over which the weights move from start to end; 0 = constant. */
  annealSteps?: number;
}

/** Options of `new VecEnv(...)`. */
export interface VecEnvOptions {
  /**
   * The game image (any BufferSource), checked against the game by its header and contents: for
   * 'smb1' a Super Mario Bros. ROM, for 'smb3' a Super Mario Bros. 3 ROM; anything else is rejected
   * naming `rom`. May be omitted only for games that ship their own image ('runner').
   */
  rom?: BufferSource | ArrayBufferView;
  /**
   * Game adapter: 'smb1', 'smb3' (Super Mario Bros. 3, the user's own ROM) or 'runner'. Default
   * 'smb1' when `rom` is given; with neither `rom` nor `game`, the built-in game 'runner' (with a
   * one-time console warning saying how to train on Super Mario Bros.).
   */
  game?: string;
  /** Number of lanes (1..512). */
  numEnvs: number;
  /**
   * Threads stepping lanes (1..256): `step` uses the calling thread and numThreads - 1 workers,
   * `stepAsync` numThreads workers. Default: min(numEnvs, cores). Results do not depend on it.
   */
  numThreads?: number;
  /**
   * Single-stage targets like `['1-1']`; more than one draws a stage per reset (uniformly, or by
   * `setStageWeights`). Omit for the full game (smb1) or World 1-1 (smb3). SMB1: `'W-S'`, W 1..8, S
   * 1..4. SMB3: `'W-L'` in the game's world-level naming, of the levels whose map tile is charted
   * (`SMB3_LEVELS`: World 1's `'1-1'` … `'1-6'`).
   */
  stages?: string[];
  /** Action set. Default 'simple'. */
  actions?: ActionSetName;
  /** Frames per agent step, holding the action, rewards summed. Default 4. */
  frameSkip?: number;
  /** Max-pool the last two frames of each skip. Default true. */
  maxPool?: boolean;
  /** Per frame, probability of repeating the previous buttons instead (seeded). Default 0. */
  stickyActionProb?: number;
  /** Each reset runs a uniform number of no-op frames in [0, noopMax] (seeded). Default 0. */
  noopMax?: number;
  /**
   * Pixel observation options (default), `{ kind: 'tiles', ... }` or `'tiles'` for a tile grid, or
   * `'ram'` for the 2 KiB RAM per lane.
   */
  obs?: ObsOptions | TileObsOptions | 'ram' | 'tiles';
  /** Reward preset. Default 'v0'. */
  reward?: RewardPreset;
  /** Initial reward shaping (see `setRewardShaping`). */
  rewardShaping?: RewardShaping;
  /** Truncate episodes after this many agent steps. Default: no limit. */
  maxEpisodeSteps?: number;
  /**
   * Truncate an episode once this many agent steps have passed without a new maximum x (the
   * player stuck at a wall, or standing still). Default: never. Ends stuck episodes long before
   * the game's clock does, so the steps go to attempts rather than to waiting.
   */
  maxStallSteps?: number;
  /**
   * With `maxStallSteps`: end a stall cut as **terminated** (like a death: a learner does not
   * bootstrap from the stuck state's value) instead of truncated. Default false. Use it when a dead
   * end pays more progress than the road (1-2's brick shelf, docs/results.md): truncated, the dead
   * end keeps the value of a state with a future; terminated, it is worth what it paid.
   */
  stallTerminal?: boolean;
  /** With `maxStallSteps`: added to the reward of the step a stall cut ends, e.g. −7.5 (what a uvipen death costs). Default 0. */
  stallReward?: number;
  /** Seed of the per-lane random streams (sticky actions, no-ops, stage draws). Default 0. */
  seed?: number;
  /**
   * Emulator: `'native'` (C++ consoles on native threads), `'jsnes'` (pure JavaScript on the
   * calling thread: same API, rules and preprocessing, much slower; `numThreads` is ignored) or
   * `'auto'` (default: native when its addon loads, else jsnes with one warning).
   * `MARIO_RL_BACKEND=native|jsnes` forces one where this is `'auto'` or omitted. docs/env.md "Backends".
   */
  backend?: BackendOption;
  /**
   * Use the NES core's fast paths (default true, or false when `MARIO_RL_EXACT=1` is set; see
   * `NesOptions.fastPaths`). Results are byte-identical either way; `false` is slower.
   */
  fastPaths?: boolean;
}

/** Statistics of the episodes that finished on a step, valid where `terminated | truncated`. */
export interface EpisodeStats {
  /** Sum of the episode's rewards. */
  return: Float32Array;
  /** Agent steps in the episode. */
  length: Int32Array;
  /** Largest x position reached. */
  maxX: Int32Array;
  /** 1 if the flag (or the world's end) was reached. */
  flag: Uint8Array;
  /** 1 if the episode began from a `setStartStates` state, 0 if from a stage start point. */
  startState: Uint8Array;
}

/**
 * One step's outputs. The arrays are allocated once per VecEnv and overwritten by the next
 * step/reset: copy what you keep.
 */
export interface StepResult {
  /** Observations [numEnvs, stack, C, H, W] (or [numEnvs, 2048] RAM, or [numEnvs, stack, rows, cols] tiles); finished lanes already show their new episode. */
  obs: Uint8Array;
  /** Rewards of this step. */
  reward: Float32Array;
  /** 1 where the episode ended by the game's rules (death, flag, game over). */
  terminated: Uint8Array;
  /** 1 where the episode was cut by `maxEpisodeSteps` or `maxStallSteps`. */
  truncated: Uint8Array;
  /** One Int32Array [numEnvs] per info field (xPos, yPos, world, stage, area, lives, coins, score, time, status, flagGet, playerState, dying). */
  info: Record<string, Int32Array>;
  /** Weighted reward components per lane (distance, time, score, coin, powerUp, flag, death), before clipping. */
  rewardComponents: Record<string, Float32Array>;
  /** Last observation of the lanes that finished on this step (other lanes: stale). */
  finalObs: Uint8Array;
  /** Last info of the lanes that finished on this step (other lanes: stale). */
  finalInfo: Record<string, Int32Array>;
  /** Statistics of the episodes that finished on this step. */
  episode: EpisodeStats;
}

/** What `reset` returns (same arrays as `StepResult`). */
export interface ResetResult {
  obs: Uint8Array;
  info: Record<string, Int32Array>;
}

const OPTION_KEYS = [
  'rom',
  'game',
  'numEnvs',
  'numThreads',
  'stages',
  'actions',
  'frameSkip',
  'maxPool',
  'stickyActionProb',
  'noopMax',
  'obs',
  'reward',
  'rewardShaping',
  'maxEpisodeSteps',
  'maxStallSteps',
  'stallTerminal',
  'stallReward',
  'seed',
  'backend',
  'fastPaths',
] as const;
const OBS_KEYS = ['kind', 'width', 'height', 'frameStack', 'stack', 'grayscale', 'crop'] as const;
const TILE_OBS_KEYS = ['kind', 'rows', 'cols', 'frameStack'] as const;
const CROP_KEYS = ['top', 'bottom', 'left', 'right'] as const;
const SHAPING_KEYS = ['distanceWeight', 'scoreWeight', 'distanceWeightEnd', 'scoreWeightEnd', 'annealSteps'] as const;
const ACTION_SETS = ['right-only', 'simple', 'complex', 'full'] as const;
const PRESETS = ['v0', 'shaped', 'uvipen'] as const;
/** Older spellings still accepted (the native adapters accept them too). */
const ACTION_ALIASES: Record<string, (typeof ACTION_SETS)[number]> = { right: 'right-only' };
const PRESET_ALIASES: Record<string, (typeof PRESETS)[number]> = { v9: 'shaped' };

/** Actions in each set (the native adapters' tables; pinned by tests/env/vec-env-options.test.ts). */
export const ACTION_SET_SIZES: Readonly<Record<(typeof ACTION_SETS)[number], number>> = Object.freeze({ 'right-only': 5, simple: 7, complex: 12, full: 256 });

/** Bytes of one RAM observation (`obs: 'ram'`). */
export const RAM_OBS_BYTES = 2048;

/**
 * The one place the observation shape is computed: [stack, C, H, W] per lane for pixels, [2048]
 * for RAM, [stack, rows, cols] for tiles (VecEnv's `obsShape` is this with the lane axis in front).
 */
export function observationShape(
  obs:
    | 'ram'
    | { kind?: 'pixels'; width: number; height: number; frameStack: number; grayscale: boolean }
    | { kind: 'tiles'; rows: number; cols: number; frameStack: number },
): number[] {
  if (obs === 'ram') return [RAM_OBS_BYTES];
  if (obs.kind === 'tiles') return [obs.frameStack, obs.rows, obs.cols];
  return [obs.frameStack, obs.grayscale ? 1 : 3, obs.height, obs.width];
}

/** The canonical name of an action set (older spellings mapped); errors name `name`. */
export function actionSetName(value: unknown, name = 'actions'): (typeof ACTION_SETS)[number] {
  return (typeof value === 'string' ? ACTION_ALIASES[value] : undefined) ?? expectOneOf(value, name, ACTION_SETS);
}
const SMB1_STAGE = /^[1-8]-[1-4]$/;
/** SMB3 levels a VecEnv can start in (their map tiles are charted in native/env/smb3.cc). */
export const SMB3_LEVELS: readonly string[] = Object.freeze(['1-1', '1-2', '1-3', '1-4', '1-5', '1-6']);
/** Numbered levels of each SMB3 world (World 1 has six ... World 8 two). */
const SMB3_LEVELS_PER_WORLD = [6, 5, 9, 6, 9, 10, 9, 2] as const;

/** Why `name` is no SMB3 start level ('' when it is one); the same reasons as smb3::ParseLevel. */
export function smb3LevelProblem(name: string): string {
  if (SMB3_LEVELS.includes(name)) return '';
  const m = /^(\d{1,2})-(\d{1,2})$/.exec(name);
  if (!m) return "a level 'W-L' like '1-1'";
  const world = Number(m[1]);
  const level = Number(m[2]);
  if (world < 1 || world > 8) return 'a world 1..8 (Super Mario Bros. 3 has 8 worlds)';
  const levels = SMB3_LEVELS_PER_WORLD[world - 1]!;
  if (level < 1 || level > levels) return `a level 1..${levels} of World ${world} (it has ${levels} numbered levels)`;
  return `one of the levels whose map tile is known: '1-1' ... '1-6' (World ${world}'s map is not charted yet; docs/adding-a-game.md says how to add it)`;
}

function sliceFields(buffer: Int32Array, names: readonly string[], n: number): Record<string, Int32Array> {
  const out: Record<string, Int32Array> = {};
  names.forEach((name, f) => (out[name] = buffer.subarray(f * n, (f + 1) * n)));
  return out;
}

/** The one-time notice printed when `new VecEnv` gets neither `rom` nor `game`. */
export const BUILTIN_GAME_NOTICE =
  "[mario-rl] VecEnv: no 'rom' or 'game' given, so the built-in game 'runner' is used. " +
  "To train on Super Mario Bros., pass rom: readFileSync('path/to/smb.nes'), game: 'smb1' " +
  '(the CLI reads the ROM path from MARIO_ROM).';
let builtinNoticeShown = false;

let runnerRom: Uint8Array | undefined;
/** assets/runner.nes, read once per process. */
function builtinRunnerRom(): Uint8Array {
  runnerRom ??= loadRunnerRom();
  return runnerRom;
}

/**
 * Picks the game: an explicit `game`; else 'smb1' when a ROM is given; else the built-in 'runner'
 * (noticed once per process). 'smb1' ships no image, so it needs `rom`.
 */
function resolveGame(o: Partial<VecEnvOptions>, backend: BackendName): string {
  if (o.game === undefined && o.rom === undefined) {
    if (!builtinNoticeShown) {
      builtinNoticeShown = true;
      console.warn(BUILTIN_GAME_NOTICE);
    }
    return RUNNER_GAME;
  }
  const game =
    o.game === undefined
      ? 'smb1'
      : expectOneOf(
          o.game,
          backend === 'native' ? 'game' : "game (the jsnes backend's games)",
          backend === 'native' ? loadNative().envGameNames() : jsGameNames(),
        );
  if (game === 'smb1' && o.rom === undefined) {
    throw new TypeError(
      "Expected a Super Mario Bros. ROM image for rom but received none (game 'smb1' has no built-in ROM: " +
        "pass rom: readFileSync('path/to/smb.nes'), or omit game to use the built-in 'runner')",
    );
  }
  if (game === 'smb3' && o.rom === undefined) {
    throw new TypeError(
      "Expected a Super Mario Bros. 3 ROM image for rom but received none (game 'smb3' ships no ROM: " +
        "pass rom: readFileSync('path/to/smb3.nes'); the CLI reads SMB3_ROM)",
    );
  }
  return game;
}

/** Validates and converts options into the raw addon config (exported for tests). */
export function normalizeVecEnvOptions(options: unknown): { config: NativeVecEnvConfig; rom: Uint8Array; shaping?: RewardShaping; backend: BackendName } {
  const o = expectOptions<VecEnvOptions>(options, 'VecEnv options');
  rejectUnknownKeys(o, 'VecEnv options', OPTION_KEYS);
  const backend = resolveBackend(o.backend);
  const game = resolveGame(o, backend);
  // The built-in game's image ships as assets/runner.nes; other games need the caller's ROM.
  const rom = o.rom !== undefined ? toBytes(o.rom, 'rom') : game === RUNNER_GAME ? builtinRunnerRom() : new Uint8Array(0);
  const numEnvs = expectInteger(o.numEnvs, 'numEnvs', 1, MAX_VEC_ENVS);
  const cores = backend === 'native' ? loadNative().buildInfo().hardwareConcurrency || 1 : 1;
  const numThreads = o.numThreads === undefined ? Math.max(1, Math.min(numEnvs, cores)) : expectInteger(o.numThreads, 'numThreads', 1, 256);
  let stages: string[] = [];
  if (o.stages !== undefined) {
    if (!Array.isArray(o.stages)) throw new TypeError(expectedMessage('an array of stage strings', 'stages', o.stages));
    if (o.stages.length === 0) throw new RangeError(expectedMessage('a non-empty array of stage strings', 'stages', o.stages));
    stages = o.stages.map((s, i) => {
      if (typeof s !== 'string') throw new TypeError(expectedMessage("a stage string like '1-1'", `stages[${i}]`, s));
      if (game === 'smb1' && !SMB1_STAGE.test(s)) {
        throw new RangeError(expectedMessage("a stage 'W-S' with W in 1..8 and S in 1..4", `stages[${i}]`, s));
      }
      const smb3Problem = game === 'smb3' ? smb3LevelProblem(s) : '';
      if (smb3Problem) throw new RangeError(expectedMessage(smb3Problem, `stages[${i}]`, s));
      return s;
    });
  }
  let obsKind: NativeVecEnvConfig['obsKind'] = 'pixels';
  let obs: Required<Omit<ObsOptions, 'crop' | 'stack' | 'kind'>> & { crop: Required<NonNullable<ObsOptions['crop']>> } = {
    width: 84,
    height: 84,
    frameStack: 4,
    grayscale: true,
    crop: { top: 0, bottom: 0, left: 0, right: 0 },
  };
  let tiles = { rows: DEFAULT_TILE_ROWS, cols: DEFAULT_TILE_COLS, frameStack: 4 };
  const tileObs = o.obs === 'tiles' || (typeof o.obs === 'object' && o.obs !== null && (o.obs as { kind?: unknown }).kind === 'tiles');
  if (o.obs === 'ram') {
    obsKind = 'ram';
  } else if (tileObs) {
    obsKind = 'tiles';
    if (o.obs !== 'tiles') tiles = tileOptions(o.obs);
  } else if (o.obs !== undefined) {
    if (typeof o.obs === 'string') throw new RangeError(expectedMessage("an obs options object, 'ram' or 'tiles'", 'obs', o.obs));
    const ob = expectOptions<ObsOptions>(o.obs, 'obs');
    rejectUnknownKeys(ob, 'obs', OBS_KEYS);
    if (ob.kind !== undefined) expectOneOf(ob.kind, 'obs.kind', ['pixels', 'tiles'] as const);
    const crop = expectOptions<NonNullable<ObsOptions['crop']>>(ob.crop, 'obs.crop');
    rejectUnknownKeys(crop, 'obs.crop', CROP_KEYS);
    const top = crop.top === undefined ? 0 : expectInteger(crop.top, 'obs.crop.top', 0, 239);
    const bottom = crop.bottom === undefined ? 0 : expectInteger(crop.bottom, 'obs.crop.bottom', 0, 239 - top);
    const left = crop.left === undefined ? 0 : expectInteger(crop.left, 'obs.crop.left', 0, 255);
    const right = crop.right === undefined ? 0 : expectInteger(crop.right, 'obs.crop.right', 0, 255 - left);
    obs = {
      width: ob.width === undefined ? 84 : expectInteger(ob.width, 'obs.width', 1, 256),
      height: ob.height === undefined ? 84 : expectInteger(ob.height, 'obs.height', 1, 240),
      frameStack: frameStackOption(ob),
      grayscale: ob.grayscale === undefined ? true : expectBoolean(ob.grayscale, 'obs.grayscale'),
      crop: { top, bottom, left, right },
    };
  }
  const shaping = o.rewardShaping === undefined ? undefined : checkShaping(o.rewardShaping);
  const config: NativeVecEnvConfig = {
    game,
    actions: o.actions === undefined ? 'simple' : actionSetName(o.actions),
    reward: o.reward === undefined ? 'v0' : ((typeof o.reward === 'string' ? PRESET_ALIASES[o.reward] : undefined) ?? expectOneOf(o.reward, 'reward', PRESETS)),
    stages,
    numEnvs,
    numThreads,
    frameSkip: o.frameSkip === undefined ? 4 : expectInteger(o.frameSkip, 'frameSkip', 1, 64),
    maxPool: o.maxPool === undefined ? true : expectBoolean(o.maxPool, 'maxPool'),
    stickyActionProb: o.stickyActionProb === undefined ? 0 : expectNumber(o.stickyActionProb, 'stickyActionProb', 0, 1),
    noopMax: o.noopMax === undefined ? 0 : expectInteger(o.noopMax, 'noopMax', 0, 10000),
    fastPaths: o.fastPaths === undefined ? defaultFastPaths() : expectBoolean(o.fastPaths, 'fastPaths'),
    maxEpisodeSteps: o.maxEpisodeSteps === undefined ? 0 : expectInteger(o.maxEpisodeSteps, 'maxEpisodeSteps', 1, MAX_EPISODE_STEPS),
    maxStallSteps: o.maxStallSteps === undefined ? 0 : expectInteger(o.maxStallSteps, 'maxStallSteps', 1, MAX_EPISODE_STEPS),
    stallTerminal: o.stallTerminal === undefined ? false : expectBoolean(o.stallTerminal, 'stallTerminal'),
    stallReward: o.stallReward === undefined ? 0 : Math.fround(expectNumber(o.stallReward, 'stallReward', -1000, 1000)),
    obsKind,
    width: obs.width,
    height: obs.height,
    stack: obsKind === 'tiles' ? tiles.frameStack : obs.frameStack,
    grayscale: obs.grayscale,
    cropTop: obs.crop.top,
    cropBottom: obs.crop.bottom,
    cropLeft: obs.crop.left,
    cropRight: obs.crop.right,
    tileRows: tiles.rows,
    tileCols: tiles.cols,
    seed: o.seed === undefined ? 0 : expectInteger(o.seed, 'seed', 0, Number.MAX_SAFE_INTEGER),
  };
  if (config.maxStallSteps === 0 && (config.stallTerminal || config.stallReward !== 0)) {
    const option = config.stallTerminal ? 'stallTerminal' : 'stallReward';
    throw new RangeError(`Expected maxStallSteps with ${option} (it acts on stall cuts) but received no maxStallSteps`);
  }
  return { config, rom, shaping, backend };
}

/** The options of `obs: { kind: 'tiles', rows?, cols?, frameStack? }`. */
function tileOptions(value: unknown): { rows: number; cols: number; frameStack: number } {
  const ob = expectOptions<TileObsOptions>(value, 'obs');
  rejectUnknownKeys(ob, 'obs', TILE_OBS_KEYS);
  return {
    rows: ob.rows === undefined ? DEFAULT_TILE_ROWS : expectInteger(ob.rows, 'obs.rows', 1, 32),
    cols: ob.cols === undefined ? DEFAULT_TILE_COLS : expectInteger(ob.cols, 'obs.cols', 1, 64),
    frameStack: ob.frameStack === undefined ? 4 : expectInteger(ob.frameStack, 'obs.frameStack', 1, 16),
  };
}

/** `obs.frameStack`, or its older name `obs.stack` (not both). */
function frameStackOption(ob: Partial<ObsOptions>): number {
  if (ob.frameStack !== undefined && ob.stack !== undefined) {
    throw new TypeError(expectedMessage('one of obs.frameStack and obs.stack (the older name), not both', 'obs.stack', ob.stack));
  }
  const value = ob.frameStack ?? ob.stack;
  return value === undefined ? 4 : expectInteger(value, ob.frameStack !== undefined ? 'obs.frameStack' : 'obs.stack', 1, 16);
}

function checkShaping(value: unknown): RewardShaping {
  const s = expectOptions<RewardShaping>(value, 'rewardShaping');
  rejectUnknownKeys(s, 'rewardShaping', SHAPING_KEYS);
  const out: RewardShaping = {};
  for (const key of ['distanceWeight', 'scoreWeight', 'distanceWeightEnd', 'scoreWeightEnd'] as const) {
    if (s[key] !== undefined) out[key] = expectNumber(s[key], `rewardShaping.${key}`, -MAX_REWARD_WEIGHT, MAX_REWARD_WEIGHT);
  }
  if (s.annealSteps !== undefined) out.annealSteps = expectInteger(s.annealSteps, 'rewardShaping.annealSteps', 0, MAX_SHAPING_ANNEAL_STEPS);
  return out;
}

/**
 * A batch of `numEnvs` environments stepped together on native threads.
 *
 * ```ts
 * const env = new VecEnv({ rom, numEnvs: 16, stages: ['1-1'], actions: 'simple', seed: 1 });
 * const { obs, info } = env.reset();
 * const r = env.step(actions);            // or: await env.stepAsync(actions)
 * ```
 * Lanes reset themselves when they finish (same-step autoreset, docs/env.md): `r.obs` already
 * shows the new episode, `r.finalObs`/`r.finalInfo`/`r.episode` describe the finished one.
 */
export class VecEnv {
  /** Number of lanes. */
  readonly numEnvs: number;
  /** Number of discrete actions of the chosen action set. */
  readonly numActions: number;
  /** Joypad byte of each action (A=0x01, B=0x02, SELECT=0x04, START=0x08, UP, DOWN, LEFT, RIGHT=0x80). */
  readonly actionButtons: readonly number[];
  /** Shape of `obs`: [numEnvs, stack, C, H, W] for pixels, [numEnvs, 2048] for RAM, [numEnvs, stack, rows, cols] for tiles. */
  readonly obsShape: readonly number[];
  /** Names of the info fields, in `info` order. */
  readonly infoFields: readonly string[];
  /** Names of the reward components. */
  readonly rewardComponentNames: readonly string[];
  /** Bytes of one save state (`saveStates`). */
  readonly stateSize: number;
  /** The emulator the lanes run on (`'native'` or `'jsnes'`), resolved from the `backend` option. */
  readonly backend: BackendName;

  #native: NativeVecEnv | undefined;
  #result: StepResult;
  #inFlight = false;
  /** False until the caller's first `reset()` (the one at construction is the env's own). */
  #wasReset = false;
  /** Start points: one per `stages` entry, or 1 for the full game. */
  #numStartPoints: number;
  #defaults: { distanceWeight: number; scoreWeight: number };

  /** Builds the lanes and boots each start point (e.g. the start-screen skip per stage); throws on bad options. */
  constructor(options: VecEnvOptions) {
    const { config, rom, shaping, backend } = normalizeVecEnvOptions(options);
    this.backend = backend;
    const native: NativeVecEnv = backend === 'native' ? new (loadNative().VecEnv)(config, rom) : new JsVecEnv(config, rom);
    this.#native = native;
    this.#rom = rom; // for render()
    this.#fastPaths = config.fastPaths;
    const d = native.description;
    const n = d.numEnvs;
    this.numEnvs = n;
    this.numActions = d.numActions;
    this.actionButtons = Object.freeze([...d.actionButtons]);
    this.infoFields = Object.freeze([...d.infoFields]);
    this.rewardComponentNames = Object.freeze([...d.rewardComponents]);
    this.stateSize = d.stateSize;
    this.#numStartPoints = native.stageWeights().length; // the game's start points, as the core counts them
    const shape =
      config.obsKind === 'ram'
        ? observationShape('ram')
        : config.obsKind === 'tiles'
          ? observationShape({ kind: 'tiles', rows: config.tileRows, cols: config.tileCols, frameStack: config.stack })
          : observationShape({ width: config.width, height: config.height, frameStack: config.stack, grayscale: config.grayscale });
    this.obsShape = Object.freeze([n, ...shape]);
    const buffers = {
      obs: new Uint8Array(n * d.obsBytes),
      reward: new Float32Array(n),
      terminated: new Uint8Array(n),
      truncated: new Uint8Array(n),
      info: new Int32Array(d.infoFields.length * n),
      components: new Float32Array(d.rewardComponents.length * n),
      finalObs: new Uint8Array(n * d.obsBytes),
      finalInfo: new Int32Array(d.infoFields.length * n),
      episodeReturn: new Float32Array(n),
      episodeLength: new Int32Array(n),
      episodeMaxX: new Int32Array(n),
      episodeFlag: new Uint8Array(n),
      episodeStartState: new Uint8Array(n),
    };
    native.bind(buffers);
    const components: Record<string, Float32Array> = {};
    d.rewardComponents.forEach((name, c) => (components[name] = buffers.components.subarray(c * n, (c + 1) * n)));
    this.#result = {
      obs: buffers.obs,
      reward: buffers.reward,
      terminated: buffers.terminated,
      truncated: buffers.truncated,
      info: sliceFields(buffers.info, d.infoFields, n),
      rewardComponents: components,
      finalObs: buffers.finalObs,
      finalInfo: sliceFields(buffers.finalInfo, d.infoFields, n),
      episode: {
        return: buffers.episodeReturn,
        length: buffers.episodeLength,
        maxX: buffers.episodeMaxX,
        flag: buffers.episodeFlag,
        startState: buffers.episodeStartState,
      },
    };
    const w = native.rewardWeights();
    this.#defaults = { distanceWeight: w.distanceWeight, scoreWeight: w.scoreWeight };
    if (shaping) this.setRewardShaping(shaping);
    native.reset(undefined);
    native.startStats(); // startStats() counts the caller's resets, not this one
  }

  #live(what: string): NativeVecEnv {
    if (!this.#native) throw new Error(`VecEnv.${what}() called after close()`);
    if (this.#inFlight) throw new Error(`VecEnv.${what}() called while a stepAsync() is in flight; await it first`);
    return this.#native;
  }

  /** `#live`, and the caller has reset: Gymnasium raises on a step before reset, and so do we. */
  #stepping(what: string): NativeVecEnv {
    const native = this.#live(what);
    if (!this.#wasReset)
      throw new Error(`VecEnv.${what}() called before reset(); call reset() first (its observations are what the first actions are chosen from)`);
    return native;
  }

  #checkActions(actions: unknown): Int32Array {
    const a = Array.isArray(actions) ? this.#copyActions(actions) : expectTypedArray(actions, 'actions', Int32Array, this.numEnvs);
    const max = this.numActions - 1;
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      if (v < 0 || v > max) throw new RangeError(expectedMessage(`an integer in [0, ${max}]`, `actions[${i}]`, v));
    }
    return a;
  }

  /**
   * Resets every lane (reseeding the per-lane streams with (seed, lane) when `seed` is given) and
   * returns the first observations and info. [sync]
   */
  reset(options: { seed?: number } = {}): ResetResult {
    const o = expectOptions<{ seed?: number }>(options, 'reset options');
    rejectUnknownKeys(o, 'reset options', ['seed']);
    const seed = o.seed === undefined ? undefined : expectInteger(o.seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
    this.#live('reset').reset(seed);
    this.#wasReset = true;
    return { obs: this.#result.obs, info: this.#result.info };
  }

  /**
   * Steps every lane with `actions` (Int32Array [numEnvs], or a plain array, copied) on the worker
   * threads and waits. Throws before the first `reset()` and after `close()`. [sync]
   */
  step(actions: Int32Array | readonly number[]): StepResult {
    const native = this.#stepping('step');
    native.step(this.#checkActions(actions));
    return this.#result;
  }

  /**
   * Same as `step`, but returns at once; the Promise resolves from the native threads when every
   * lane is done, and the event loop stays free meanwhile. A second call (or any other method)
   * before it settles throws. The actions are copied, so the array may be reused at once. Rejects
   * before the first `reset()` and after `close()`. [async]
   */
  async stepAsync(actions: Int32Array | readonly number[]): Promise<StepResult> {
    const native = this.#stepping('stepAsync');
    const promise = native.stepAsync(this.#checkActions(actions));
    this.#inFlight = true;
    try {
      await promise;
    } finally {
      this.#inFlight = false;
    }
    return this.#result;
  }

  /**
   * Changes the reward shaping at run time: unspecified fields keep the preset defaults; the
   * annealing clock restarts at this call. [sync]
   */
  setRewardShaping(shaping: RewardShaping): void {
    const s = checkShaping(shaping);
    const distanceWeight = s.distanceWeight ?? this.#defaults.distanceWeight;
    const scoreWeight = s.scoreWeight ?? this.#defaults.scoreWeight;
    this.#live('setRewardShaping').setRewardShaping(
      distanceWeight,
      s.distanceWeightEnd ?? distanceWeight,
      scoreWeight,
      s.scoreWeightEnd ?? scoreWeight,
      s.annealSteps ?? 0,
    );
  }

  /** The reward weights the next step will use (after annealing). */
  rewardWeights(): { distanceWeight: number; scoreWeight: number } {
    return this.#live('rewardWeights').rewardWeights();
  }

  /** Save states (the `Nes` save-state format) of the given lanes (default: all). [sync] */
  saveStates(lanes?: readonly number[]): Uint8Array[] {
    const native = this.#live('saveStates');
    const list = lanes === undefined ? Array.from({ length: this.numEnvs }, (_, i) => i) : lanes;
    if (!Array.isArray(list)) throw new TypeError(expectedMessage('an array of lane indices', 'lanes', lanes));
    return list.map((lane, i) => native.saveState(expectInteger(lane, `lanes[${i}]`, 0, this.numEnvs - 1)));
  }

  /**
   * Makes resets start from these save states instead of the game's start points: `'fixed'`
   * gives lane i state i mod k, `'sample'` draws one per reset from the lane's stream, `'cycle'`
   * gives lane i states i, i+N, i+2N, ... mod k (counting only the resets that use a state). With
   * `share` < 1 each reset first draws from the lane's stream whether to use a state at all; the
   * others start from a stage start point (`setStageWeights`). Each state is advanced one no-op
   * frame to render its observation. Takes effect at each lane's next reset. [sync]
   */
  setStartStates(states: readonly (BufferSource | ArrayBufferView)[], mode: StartStateMode = 'fixed', options: StartStateOptions = {}): void {
    if (!Array.isArray(states)) throw new TypeError(expectedMessage('an array of save states', 'states', states));
    if (states.length === 0) throw new RangeError(expectedMessage('a non-empty array of save states', 'states', states));
    const m = expectOneOf(mode, 'mode', ['fixed', 'sample', 'cycle'] as const);
    const o = expectOptions<StartStateOptions>(options, 'setStartStates options');
    rejectUnknownKeys(o, 'setStartStates options', ['share']);
    const share = o.share === undefined ? 1 : expectNumber(o.share, 'share', 0, 1);
    const bytes = states.map((s, i) => {
      const b = toBytes(s, `states[${i}]`);
      checkStateBackend(b, this.backend, `states[${i}]`);
      return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    });
    this.#live('setStartStates').setStartStates(bytes, m, share);
  }

  /**
   * Sets how resets without a start state pick their stage: one weight per `stages` entry, in
   * that order (exactly one weight without `stages`), each finite and >= 0, at least one > 0.
   * Each such reset draws stage i with probability weights[i] / sum from the lane's seeded stream,
   * in integer arithmetic (resolution 2^-24), so runs stay identical for any `numThreads`. Equal
   * weights draw exactly as before any call (uniformly, the same random numbers). Takes effect at
   * each lane's next reset. [sync]
   */
  setStageWeights(weights: readonly number[]): void {
    const n = this.#numStartPoints;
    const what = n === 1 ? 'an array of 1 weight (no stages list: one start point)' : `an array of ${n} weights (one per stage)`;
    if (!Array.isArray(weights)) throw new TypeError(expectedMessage(what, 'weights', weights));
    if (weights.length !== n) throw new RangeError(expectedMessage(what, 'weights', weights));
    const checked = weights.map((w: unknown, i) => {
      if (typeof w !== 'number') throw new TypeError(expectedMessage('a finite number >= 0', `weights[${i}]`, w));
      if (!Number.isFinite(w) || w < 0) throw new RangeError(expectedMessage('a finite number >= 0', `weights[${i}]`, w));
      return w;
    });
    if (checked.every((w) => w === 0)) throw new RangeError('Expected at least one weight > 0 for weights but received all zeros');
    this.#live('setStageWeights').setStageWeights(checked);
  }

  /** The stage weights resets draw by (as last set; all 1 until `setStageWeights`). */
  stageWeights(): number[] {
    return this.#live('stageWeights').stageWeights();
  }

  /**
   * How many lane resets (autoresets and `reset()`, not the one at construction) happened since
   * the previous call, and how many of them started from a start state; the counts restart at
   * zero. [sync]
   */
  startStats(): StartStats {
    return this.#live('startStats').startStats();
  }

  /** Goes back to the game's own start points. [sync] */
  clearStartStates(): void {
    this.#live('clearStartStates').clearStartStates();
  }

  /** Stops the worker threads and frees the consoles. Further calls throw; calling twice is fine. */
  close(): void {
    if (!this.#native) return;
    if (this.#inFlight) throw new Error('VecEnv.close() called while a stepAsync() is in flight; await it first');
    this.#native.close();
    this.#native = undefined;
    this.#renderCore?.close();
    this.#renderCore = undefined;
  }

  // ---- Gymnasium habits: space descriptions, plain-array actions, render(lane). Kept together here.

  #rom: Uint8Array;
  #fastPaths: boolean;
  /** Where plain-array actions are copied (allocated at the first such call). */
  #actionScratch: Int32Array | undefined;
  /** A console of the env's ROM that render() loads lane states into (made at the first call). */
  #renderCore: NativeNesCore | undefined;

  /** The action space of one lane, gymnasium's `Discrete(n)`: actions are integers in [0, n). */
  get actionSpace(): { readonly n: number } {
    return Object.freeze({ n: this.numActions });
  }

  /**
   * The observation space of one lane, gymnasium's `single_observation_space`: `obsShape` without
   * the lane axis ([stack, C, H, W] pixels, [2048] RAM, [stack, rows, cols] tiles), uint8 values.
   */
  get observationSpace(): { readonly shape: readonly number[]; readonly dtype: 'uint8' } {
    return Object.freeze({ shape: Object.freeze(this.obsShape.slice(1)), dtype: 'uint8' as const });
  }

  /** A plain array of actions, checked to be integers and copied into the scratch Int32Array. */
  #copyActions(actions: readonly unknown[]): Int32Array {
    if (actions.length !== this.numEnvs) throw new RangeError(expectedMessage(`an array of ${this.numEnvs} actions`, 'actions', actions));
    const out = (this.#actionScratch ??= new Int32Array(this.numEnvs));
    actions.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(expectedMessage('an integer', `actions[${i}]`, v));
      out[i] = v;
    });
    return out;
  }

  /**
   * The picture of lane `lane` as RGB bytes, 240 rows × 256 columns × 3 (R, G, B), row-major: a
   * new array per call, e.g. for `encodePng(frame, 256, 240)`. Save states hold no picture, so
   * the lane's state is loaded into a separate console that renders one frame with no buttons
   * held: the picture the lane's console draws next (1/60 s ahead of the last step). The lane
   * itself is not changed. [sync]
   */
  render(lane = 0): Uint8Array {
    const native = this.#live('render');
    const state = native.saveState(expectInteger(lane, 'lane', 0, this.numEnvs - 1));
    const core = (this.#renderCore ??=
      this.backend === 'native' ? new (loadNative().NesCore)(this.#rom, 0, 0, this.#fastPaths ? 1 : 0) : new JsnesCore(this.#rom, 0, 0));
    core.loadState(state);
    core.stepFrame(0, true);
    return core.toRgb(new Uint8Array(RENDER_WIDTH * RENDER_HEIGHT * 3));
  }
}

/** Width and height of `render()`'s frames (the NES picture). */
export const RENDER_WIDTH = 256;
export const RENDER_HEIGHT = 240;

/** What the loaded native binary reports (version, compiler, N-API version, CUDA kernels), e.g. for a run's machine.json. */
export function nativeBuildInfo(): NativeBuildInfo {
  return loadNative().buildInfo();
}
