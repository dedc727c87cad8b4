/**
 * The Trainer's configuration types and their one field table. Every field has a doc comment, a
 * type with its range, and a default; the table below is checked against the types by the compiler
 * ({@link FieldTable}: a missing, extra or mistyped row does not compile), and it drives defaults,
 * validation, flags and help text (src/train/config.ts), so they cannot drift apart. Loss settings
 * come from the algorithms' own tables (`PPO_LOSS_FIELDS`, …), so `train` and `export-graph` build
 * the same loss. Ranges are the components' own (VecEnv lanes, replay n-step, episode limit), so a
 * bad value fails here, naming the field, before anything starts.
 *
 * Defaults for PPO follow uvipen's Super Mario Bros. PPO (84×84 gray, skip 4, stack 4, 8 envs × 512
 * steps, γ 0.9, λ 1.0, lr 1e-4, 10 epochs, clip 0.2, entropy 0.01).
 */
import { A2C_LOSS_FIELDS, type A2cLossConfig } from '../algos/a2c.js';
import { DQN_LOSS_FIELDS, type DqnLossConfig } from '../algos/dqn.js';
import { PPO_LOSS_FIELDS, type PpoLossConfig } from '../algos/ppo.js';
import { MAX_EPISODE_STEPS, MAX_VEC_ENVS } from '../env/vec-env.js';
import { bool, type FieldSpec, type FieldType, int, num, oneOf } from '../fields.js';
import { MAX_REPLAY_CAPACITY, MAX_REPLAY_N_STEP } from '../replay/prioritized-replay.js';
import { type Algo } from '../runtime/train-graph.js';
import { type DeviceSetting } from '../runtime/worker-protocol.js';
import { type Schedule } from './schedule.js';

export type { Algo } from '../runtime/train-graph.js';
export type { DeviceSetting } from '../runtime/worker-protocol.js';

/** Environment options (mapped onto VecEnv options by `vecEnvOptions`). */
export interface EnvConfig {
  /** Game: 'runner' (the built-in game, no ROM needed; 'builtin' is accepted) or 'smb1' (needs `rom` or $MARIO_ROM). Default 'runner'. */
  game: 'runner' | 'smb1';
  /** Path to a ROM image; '' uses $MARIO_ROM for 'smb1'. Default ''. */
  rom: string;
  /** World (1-based). Default 1. */
  world: number;
  /** Stage within the world (1-based). Default 1. */
  stage: number;
  /** Action set: 'right-only', 'simple' or 'complex' (gym-super-mario-bros order). Default 'simple'. */
  actions: 'right-only' | 'simple' | 'complex';
  /** Observation width in pixels. Default 84. */
  width: number;
  /** Observation height in pixels. Default 84. */
  height: number;
  /**
   * Observations: 'pixels' (frames resized to width × height, stacked), 'ram' (the console's 2 KiB
   * RAM each step, for network 'mlp'; width, height, grayscale and frameStack are unused) or
   * 'tiles' (the level as a tileRows × tileCols grid of tile classes, stacked over frameStack steps,
   * for network 'tiles' or 'tiles-mlp'; docs/env.md). Default 'pixels'.
   */
  obs: 'pixels' | 'ram' | 'tiles';
  /** Rows of the tile grid (env.obs 'tiles'). Default 13. */
  tileRows: number;
  /** Columns of the tile grid (env.obs 'tiles'). Default 16. */
  tileCols: number;
  /** Grayscale observations. Default true. */
  grayscale: boolean;
  /** Emulator frames per agent step (action repeated, rewards summed). Default 4. */
  frameSkip: number;
  /** Max-pool the last two skipped frames (removes sprite flicker). Default true. */
  maxPoolLastTwo: boolean;
  /** Observations stacked per agent step. Default 4. */
  frameStack: number;
  /** Reward: 'uvipen' (v0 + Δscore/40, ±50 flag/death, /10), 'v0' (classic gym) or 'shaped' (gym 9.1; 'v9' is accepted). Default 'uvipen'. */
  reward: 'uvipen' | 'v0' | 'shaped';
  /**
   * Factor applied to every reward before it reaches the learner (PPO/A2C storage, the DQN replay
   * buffer); episode returns in the metrics stay unscaled. Keep value targets near unit scale: the
   * built-in game's reward is up to ±15 per step, so 0.1 suits it. Default 1.
   */
  rewardScale: number;
  /** Truncate episodes after this many agent steps; 0 = only the game ends them. Default 0. */
  maxEpisodeSteps: number;
  /**
   * Each episode starts after a uniform number of no-op frames in [0, noopMax], drawn from the
   * lane's seeded stream: varied starts in a deterministic emulator. Default 0.
   */
  noopMax: number;
  /** Per emulated frame, probability of holding the previous frame's buttons (ALE-style sticky actions). Default 0. */
  stickyActionProb: number;
}

/** PPO (Schulman et al. 2017): the rollout and update sizes, plus the loss settings of `PpoLossConfig`. */
export interface PpoConfig extends PpoLossConfig {
  /** Parallel environments. Default 8. */
  numEnvs: number;
  /** Steps per environment per rollout. Default 512. */
  numSteps: number;
  /** Passes over each rollout. Default 10. */
  epochs: number;
  /** Minibatches per epoch; must divide numEnvs × numSteps. Default 16 (minibatch 256). */
  minibatches: number;
  /** Adam learning rate schedule over agent steps. Default constant 1e-4. */
  learningRate: Schedule;
  /** Discount γ. Default 0.9. */
  gamma: number;
  /** GAE λ. Default 1.0. */
  gaeLambda: number;
  /** Global gradient norm clip. Default 0.5. */
  maxGradNorm: number;
  /**
   * Stop an update's epochs early once an epoch's mean approx KL exceeds this (cleanrl's
   * target_kl, checked after each epoch); 0 = never. Default 0.
   */
  targetKl: number;
}

/** A2C (synchronous advantage actor-critic): sizes plus the loss settings of `A2cLossConfig`. */
export interface A2cConfig extends A2cLossConfig {
  /** Parallel environments. Default 16. */
  numEnvs: number;
  /** Steps per environment per update. Default 5. */
  numSteps: number;
  /** Learning rate schedule over agent steps. Default constant 7e-4. */
  learningRate: Schedule;
  /** Discount γ. Default 0.9. */
  gamma: number;
  /** GAE λ (1 = n-step returns). Default 1.0. */
  gaeLambda: number;
  /** Global gradient norm clip. Default 0.5. */
  maxGradNorm: number;
}

/** Prioritized experience replay (Schaul et al. 2016). */
export interface PerConfig {
  /** Use prioritized sampling (false = uniform). Default true. */
  enabled: boolean;
  /** Priority exponent α. Default 0.6. */
  alpha: number;
  /** Importance-sampling exponent β schedule over agent steps. Default linear 0.4 → 1 over the run. */
  beta: Schedule;
  /** Added to |TD error| so no priority is 0. Default 1e-6. */
  epsilon: number;
}

/** DQN (with double, dueling, n-step, PER, Polyak and NoisyNet options) plus the loss settings of `DqnLossConfig`. */
export interface DqnConfig extends DqnLossConfig {
  /** Parallel environments. Default 4. */
  numEnvs: number;
  /** Replay capacity in transitions. Default 100000. */
  bufferSize: number;
  /** Transitions per gradient step. Default 32. */
  batchSize: number;
  /** Agent steps before learning starts. Default 10000. */
  learningStarts: number;
  /** Agent steps between gradient steps (counted over all lanes). Default 4. */
  trainFrequency: number;
  /** n of the n-step targets. Default 3. */
  nStep: number;
  /** Discount γ. Default 0.99. */
  gamma: number;
  /** Adam learning rate schedule over agent steps. Default constant 1e-4. */
  learningRate: Schedule;
  /** Agent steps between target network updates. Default 1000. */
  targetUpdateInterval: number;
  /** Target update rate: 1 copies the online network, < 1 is Polyak averaging (target ← τ·online + (1 − τ)·target). Default 1. */
  tau: number;
  /** Exploration: 'epsilon' (ε-greedy) or 'noisy' (NoisyNet layers in the Q head, no ε). Default 'epsilon'. */
  exploration: 'epsilon' | 'noisy';
  /** ε schedule over agent steps (exploration 'epsilon'). Default linear 1 → 0.01 over the first 10% of the run. */
  epsilon: Schedule;
  /** Dueling value/advantage heads. Default true. */
  dueling: boolean;
  /** Global gradient norm clip. Default 10. */
  maxGradNorm: number;
  /** Prioritized replay. */
  per: PerConfig;
}

/** Checkpoint policy. */
export interface CheckpointConfig {
  /** Updates between periodic checkpoints; 0 = only `latest` at the end and on signals. Default 50. */
  interval: number;
  /** Periodic checkpoints kept (plus `latest`). Default 3. */
  keep: number;
  /** Store the replay buffer in checkpoints (DQN), so a resumed run continues exactly; can be large. Default false. */
  includeReplay: boolean;
}

/** Logging. */
export interface LogConfig {
  /** Write TensorBoard event files under runDir/tensorboard. Default true. */
  tensorboard: boolean;
  /** Seconds between heartbeat.jsonl rows; 0 = no heartbeat. Default 10. */
  heartbeatSeconds: number;
  /** Episodes in the rolling window for return/length/max-x/flag statistics. Default 100. */
  windowEpisodes: number;
  /** metrics.jsonl rows buffered before writing. Default 1. */
  flushEveryRows: number;
  /** Progress display: 'auto' (bar on a TTY, lines otherwise), 'bar', 'plain' or 'off'. Default 'auto'. */
  progress: 'auto' | 'bar' | 'plain' | 'off';
}

/** Stop training early (the `EarlyStop` callback; docs/training.md, "Callbacks"). */
export interface EarlyStopConfig {
  /** Stop once the rolling flag rate reaches this share of episodes; 0 = off. Default 0. */
  flagRate: number;
  /** Episodes the rolling window must hold before the rule applies. Default 20. */
  minEpisodes: number;
}

/** Training hints (the `TrainingHints` callback; docs/training.md, "Hints"). */
export interface HintsConfig {
  /**
   * Watch the metrics rows for failure modes we have met (value loss swamping the policy gradient,
   * entropy collapse, a value head that does not learn, all-zero returns, an empty start-state
   * queue, a slow CPU) and say each once, with the fix, on the console and in RUN/hints.jsonl.
   * Default true.
   */
  enabled: boolean;
}

/** Everything the Trainer needs; see docs/training.md for the reference table. */
export interface TrainerConfig {
  /** Algorithm. Default 'ppo'. */
  algo: Algo;
  /** Seed of every random stream (envs, sampling, initialisation). Default 1. */
  seed: number;
  /** Graph runner device. Default 'auto'. */
  device: DeviceSetting;
  /**
   * Network trunk: 'nature' (Mnih et al. 2015), 'baseline' (uvipen's smaller conv stack), 'mlp'
   * (for env.obs 'ram'), 'tiles' (a small conv net over one-hot tile classes) or 'tiles-mlp' (for
   * env.obs 'tiles'). Default 'nature'.
   */
  network: 'nature' | 'baseline' | 'mlp' | 'tiles' | 'tiles-mlp';
  /** ORT intra-op threads of the learner session (the acting session uses 1 in overlap mode). Default 2. */
  threads: number;
  /** Run directory (metrics, TensorBoard, checkpoints, heartbeat). Default 'runs/mario-rl'. */
  runDir: string;
  /** Agent steps to train for (all lanes counted). Default 5000000. */
  totalSteps: number;
  /** Wall-clock limit in seconds; 0 = none. Reaching it writes `latest` and stops. Default 0. */
  maxWallTime: number;
  /** Collect the next rollout while the learner trains (policy lag recorded). Default true. */
  overlap: boolean;
  /** 'none', 'latest' (this run's newest), 'auto' (newest compatible under runDir, else fresh) or a checkpoint path. Default 'none'. */
  resume: string;
  /** Environment. */
  env: EnvConfig;
  /** PPO settings (used when algo is 'ppo'). */
  ppo: PpoConfig;
  /** A2C settings (used when algo is 'a2c'). */
  a2c: A2cConfig;
  /** DQN settings (used when algo is 'dqn'). */
  dqn: DqnConfig;
  /** Checkpoints. */
  checkpoint: CheckpointConfig;
  /** Logging. */
  log: LogConfig;
  /** Early stopping. */
  earlyStop: EarlyStopConfig;
  /** Training hints. */
  hints: HintsConfig;
}

/** A schedule as a config accepts it: a number (constant), a flag string (`linear:1e-4:0`) or a schedule object. */
export type ScheduleInput = Schedule | number | string;

/**
 * What `new Trainer(config)`, config files and presets accept: any subset of {@link TrainerConfig},
 * nested, schedules in any {@link ScheduleInput} form, enum aliases included.
 */
export type TrainerConfigInput = DeepPartialConfig<TrainerConfig>;
type DeepPartialConfig<T> = {
  [K in keyof T]?: T[K] extends Schedule ? ScheduleInput : T[K] extends string | number | boolean ? T[K] | AliasOf<T[K]> : DeepPartialConfig<T[K]>;
};
/** Older spellings still accepted for some enum values. */
type AliasOf<T> = T extends 'runner' ? 'builtin' : T extends 'right-only' ? 'right' : T extends 'shaped' ? 'v9' : never;

/** A schedule field: bounds of its values. */
export type ScheduleFieldType = { type: 'schedule'; min: number; max: number };
/** The kind of value a config field holds, with its bounds. */
export type ConfigFieldType = FieldType | ScheduleFieldType;

/**
 * The field table's shape for a config type: a nested object with the config's keys, each leaf a
 * field spec whose default has the leaf's type. The compiler rejects a table that misses, adds or
 * mistypes a field of the interfaces above.
 */
export type FieldTable<T> = {
  readonly [K in keyof T]-?: T[K] extends Schedule
    ? ScheduleFieldType & { default: Schedule; doc: string }
    : T[K] extends string | number | boolean
      ? FieldSpec<T[K]>
      : FieldTable<T[K]>;
};

const INT_MAX = Number.MAX_SAFE_INTEGER;
const str = { type: 'string' as const };
const nonEmptyStr = { type: 'string' as const, nonEmpty: true };
const sched = (min: number, max: number) => ({ type: 'schedule' as const, min, max });
const constant = (value: number): Schedule => ({ kind: 'constant', value });
const f = <V>(type: FieldType, def: V, doc: string): FieldSpec<V> => ({ ...type, default: def, doc }) as FieldSpec<V>;
const s = (min: number, max: number, def: Schedule, doc: string) => ({ ...sched(min, max), default: def, doc });

/** The one table: every config field with its type, range, default and one-line doc, in documentation order. */
export const CONFIG_TABLE: FieldTable<TrainerConfig> = {
  algo: f(oneOf(['ppo', 'a2c', 'dqn']), 'ppo', 'learning algorithm'),
  seed: f(int(0, 2 ** 32 - 1), 1, 'seed of every random stream'),
  device: f(oneOf(['auto', 'cpu', 'cuda']), 'auto', "graph runner device ('auto' falls back to CPU loudly)"),
  network: f(
    oneOf(['nature', 'baseline', 'mlp', 'tiles', 'tiles-mlp']),
    'nature',
    "network trunk: 'nature', 'baseline' (uvipen's), 'mlp' (for env.obs 'ram'), 'tiles' or 'tiles-mlp' (for env.obs 'tiles')",
  ),
  threads: f(int(1, 256), 2, 'ORT intra-op threads of the learner session'),
  runDir: f(nonEmptyStr, 'runs/mario-rl', 'run directory: metrics, TensorBoard, checkpoints, heartbeat'),
  totalSteps: f(int(1, INT_MAX), 5_000_000, 'agent steps to train for (all lanes counted)'),
  maxWallTime: f(num(0, Infinity), 0, 'wall-clock limit in seconds (0 = none); writes latest and stops'),
  overlap: f(bool, true, 'collect the next rollout while the learner trains'),
  resume: f(nonEmptyStr, 'none', "'none', 'latest', 'auto' or a checkpoint path"),
  env: {
    game: f(oneOf(['runner', 'smb1'], { builtin: 'runner' }), 'runner', "'runner' (the built-in game, no ROM needed) or 'smb1' (needs env.rom or $MARIO_ROM)"),
    rom: f(str, '', "ROM image path ('' = $MARIO_ROM for smb1)"),
    world: f(int(1, 8), 1, 'world (1-based)'),
    stage: f(int(1, 4), 1, 'stage (1-based; the built-in game has 3)'),
    actions: f(oneOf(['right-only', 'simple', 'complex'], { right: 'right-only' }), 'simple', 'action set'),
    width: f(int(8, 256), 84, 'observation width'),
    height: f(int(8, 240), 84, 'observation height'),
    obs: f(
      oneOf(['pixels', 'ram', 'tiles']),
      'pixels',
      "observations: 'pixels', 'ram' (2 KiB per step; network mlp) or 'tiles' (a grid of tile classes; network tiles)",
    ),
    tileRows: f(int(1, 32), 13, 'rows of the tile grid (env.obs tiles)'),
    tileCols: f(int(1, 64), 16, 'columns of the tile grid (env.obs tiles)'),
    grayscale: f(bool, true, 'grayscale observations'),
    frameSkip: f(int(1, 16), 4, 'emulator frames per agent step'),
    maxPoolLastTwo: f(bool, true, 'max-pool the last two skipped frames'),
    frameStack: f(int(1, 16), 4, 'observations stacked per step'),
    reward: f(oneOf(['uvipen', 'v0', 'shaped'], { v9: 'shaped' }), 'uvipen', 'reward function'),
    rewardScale: f(num(1e-9, 1e9), 1, 'factor on every reward the learner sees (metrics keep raw returns)'),
    maxEpisodeSteps: f(int(0, MAX_EPISODE_STEPS), 0, 'truncate episodes after this many agent steps (0 = never)'),
    noopMax: f(int(0, 10_000), 0, 'random no-op frames (0…N, seeded) before each episode'),
    stickyActionProb: f(num(0, 1), 0, "per frame, probability of repeating the previous frame's buttons"),
  },
  ppo: {
    numEnvs: f(int(1, MAX_VEC_ENVS), 8, 'parallel environments'),
    numSteps: f(int(1, 1_000_000), 512, 'steps per environment per rollout'),
    epochs: f(int(1, 1000), 10, 'passes over each rollout'),
    minibatches: f(int(1, 1_000_000), 16, 'minibatches per epoch (must divide numEnvs × numSteps)'),
    learningRate: s(0, 1, constant(1e-4), 'learning rate schedule over agent steps'),
    gamma: f(num(0, 1), 0.9, 'discount γ'),
    gaeLambda: f(num(0, 1), 1.0, 'GAE λ'),
    ...PPO_LOSS_FIELDS,
    maxGradNorm: f(num(0, 1e6), 0.5, 'global gradient norm clip (0 = off)'),
    targetKl: f(num(0, 1e6), 0, "stop an update's epochs once an epoch's mean approx KL exceeds this (0 = never)"),
  },
  a2c: {
    numEnvs: f(int(1, MAX_VEC_ENVS), 16, 'parallel environments'),
    numSteps: f(int(1, 1_000_000), 5, 'steps per environment per update'),
    learningRate: s(0, 1, constant(7e-4), 'learning rate schedule over agent steps'),
    gamma: f(num(0, 1), 0.9, 'discount γ'),
    gaeLambda: f(num(0, 1), 1.0, 'GAE λ (1 = n-step returns)'),
    ...A2C_LOSS_FIELDS,
    maxGradNorm: f(num(0, 1e6), 0.5, 'global gradient norm clip (0 = off)'),
  },
  dqn: {
    numEnvs: f(int(1, MAX_VEC_ENVS), 4, 'parallel environments'),
    bufferSize: f(int(1, MAX_REPLAY_CAPACITY), 100_000, 'replay capacity in transitions'),
    batchSize: f(int(1, 65536), 32, 'transitions per gradient step'),
    learningStarts: f(int(0, INT_MAX), 10_000, 'agent steps before learning starts'),
    trainFrequency: f(int(1, INT_MAX), 4, 'agent steps between gradient steps'),
    nStep: f(int(1, MAX_REPLAY_N_STEP), 3, 'n of the n-step targets'),
    gamma: f(num(0, 1), 0.99, 'discount γ'),
    learningRate: s(0, 1, constant(1e-4), 'learning rate schedule over agent steps'),
    targetUpdateInterval: f(int(1, INT_MAX), 1000, 'agent steps between target network updates'),
    tau: f(num(Number.MIN_VALUE, 1), 1, 'target update rate: 1 copies, < 1 is Polyak averaging'),
    exploration: f(oneOf(['epsilon', 'noisy']), 'epsilon', "exploration: 'epsilon' (ε-greedy) or 'noisy' (NoisyNet head)"),
    epsilon: s(0, 1, { kind: 'linear', start: 1, end: 0.01, fraction: 0.1 }, 'ε schedule over agent steps'),
    ...DQN_LOSS_FIELDS,
    dueling: f(bool, true, 'dueling heads'),
    maxGradNorm: f(num(0, 1e6), 10, 'global gradient norm clip (0 = off)'),
    per: {
      enabled: f(bool, true, 'prioritized replay (false = uniform)'),
      alpha: f(num(0, 10), 0.6, 'priority exponent α'),
      beta: s(0, 1, { kind: 'linear', start: 0.4, end: 1, fraction: 1 }, 'importance-sampling exponent β schedule'),
      epsilon: f(num(Number.MIN_VALUE, 1), 1e-6, 'added to |TD error| so no priority is 0'),
    },
  },
  checkpoint: {
    interval: f(int(0, INT_MAX), 50, 'updates between periodic checkpoints (0 = only latest)'),
    keep: f(int(1, 1_000_000), 3, 'periodic checkpoints kept, plus latest'),
    includeReplay: f(bool, false, 'store the DQN replay buffer in checkpoints (exact resume; large)'),
  },
  log: {
    tensorboard: f(bool, true, 'write TensorBoard event files'),
    heartbeatSeconds: f(num(0, 86_400), 10, 'seconds between heartbeat rows (0 = off)'),
    windowEpisodes: f(int(1, 1_000_000), 100, 'episodes in the rolling statistics window'),
    flushEveryRows: f(int(1, 1_000_000), 1, 'metrics rows buffered before writing'),
    progress: f(oneOf(['auto', 'bar', 'plain', 'off']), 'auto', 'progress display'),
  },
  earlyStop: {
    flagRate: f(num(0, 1), 0, 'stop once the rolling flag rate reaches this share (0 = off)'),
    minEpisodes: f(int(1, 1_000_000), 20, 'episodes in the window before earlyStop.flagRate applies'),
  },
  hints: {
    enabled: f(bool, true, 'say each failure mode the metrics show once, with its fix (console and RUN/hints.jsonl)'),
  },
};

/** One configuration field, flattened from {@link CONFIG_TABLE}. */
export type ConfigField = ConfigFieldType & {
  /** Dotted path, e.g. `ppo.clipCoef`. */
  path: string;
  /** Command-line flag, e.g. `--ppo.clip-coef`. */
  flag: string;
  /** Default value. */
  default: unknown;
  /** One-line description. */
  doc: string;
};

/** `clipCoef` → `clip-coef`. */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function flatten(table: object, prefix: string, out: ConfigField[]): ConfigField[] {
  for (const [key, value] of Object.entries(table)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof (value as { type?: unknown }).type === 'string' && 'doc' in value) {
      out.push({ ...(value as ConfigFieldType & { default: unknown; doc: string }), path, flag: `--${path.split('.').map(kebabCase).join('.')}` });
    } else flatten(value as object, path, out);
  }
  return out;
}

/** Every configuration field, in documentation order. */
export const CONFIG_FIELDS: readonly ConfigField[] = flatten(CONFIG_TABLE, '', []);
