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
import { MAX_EPISODE_STEPS, MAX_REWARD_WEIGHT, MAX_SHAPING_ANNEAL_STEPS, MAX_VEC_ENVS } from '../env/vec-env.js';
import { bool, type FieldSpec, type FieldType, int, num, oneOf, optionalNum } from '../fields.js';
import { MAX_REPLAY_CAPACITY, MAX_REPLAY_N_STEP } from '../replay/prioritized-replay.js';
import { type Algo } from '../runtime/train-graph.js';
import { type DeviceSetting } from '../runtime/worker-protocol.js';
import { type Schedule } from './schedule.js';

export type { Algo } from '../runtime/train-graph.js';
export type { DeviceSetting } from '../runtime/worker-protocol.js';

/** Environment options (mapped onto VecEnv options by `vecEnvOptions`). */
export interface EnvConfig {
  /**
   * Game: 'runner' (the built-in game, no ROM needed; 'builtin' is accepted), 'smb1' (needs `rom` or
   * $MARIO_ROM) or 'smb3' (Super Mario Bros. 3: needs `rom` or $SMB3_ROM; levels '1-1' … '1-6').
   * Default 'runner'.
   */
  game: 'runner' | 'smb1' | 'smb3';
  /** Path to a ROM image; '' uses $MARIO_ROM for 'smb1', $SMB3_ROM for 'smb3'. Default ''. */
  rom: string;
  /** World (1-based). Default 1. */
  world: number;
  /** Stage within the world (1-based). Default 1. */
  stage: number;
  /**
   * Several stages instead of `world`/`stage`: 'all' (SMB1's 32, the built-in game's 3) or a comma
   * list with optional weights, '1-1,1-2:2' (each reset draws a stage ∝ weight from the lane's
   * seeded stream). '' = the single `world`-`stage`. Default ''.
   */
  stages: string;
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
   * Weight of the reward's distance (progress) term, VecEnv's `rewardShaping.distanceWeight`; null
   * (flag value 'preset') = the reward preset's own, 1 for every preset and the built-in game.
   * Default null.
   */
  distanceWeight: number | null;
  /**
   * Weight of the reward's score-difference term; null ('preset') = the preset's own (v0 0, shaped
   * 1/100, uvipen 1/40). smb1 only: the built-in game has no score, so a weight is refused there.
   * Default null.
   */
  scoreWeight: number | null;
  /** Distance weight reached after `shapingAnnealSteps`, linearly; null ('none') = no annealing. Default null. */
  distanceWeightEnd: number | null;
  /** Score weight reached after `shapingAnnealSteps`, linearly; null ('none') = no annealing (smb1 only). Default null. */
  scoreWeightEnd: number | null;
  /**
   * Agent steps (all lanes counted, from step 0 of the run) over which the weights move from their
   * start to their end values; a resumed run continues where it stopped. 0 = constant. Default 0.
   */
  shapingAnnealSteps: number;
  /**
   * Factor applied to every reward before it reaches the learner (PPO/A2C storage, the DQN replay
   * buffer); episode returns in the metrics stay unscaled. Keep value targets near unit scale: the
   * built-in game's reward is up to ±15 per step, so 0.1 suits it. Default 1.
   */
  rewardScale: number;
  /** Truncate episodes after this many agent steps; 0 = only the game ends them. Default 0. */
  maxEpisodeSteps: number;
  /**
   * Truncate an episode after this many agent steps without a new maximum x (stuck at a wall);
   * 0 = never. Default 0. The start-state queue then keeps a state from before the stall began.
   */
  maxStallSteps: number;
  /**
   * With maxStallSteps: a stall cut ends the episode as terminated (like a death, no bootstrap
   * from the stuck state) instead of truncated. Default false. For dead ends that pay more
   * progress than the road (docs/results.md, 1-2).
   */
  stallTerminal: boolean;
  /** With maxStallSteps: reward added on the step a stall cut ends (e.g. −7.5, a uvipen death). Default 0. */
  stallReward: number;
  /**
   * Each episode starts after a uniform number of no-op frames in [0, noopMax], drawn from the
   * lane's seeded stream: varied starts in a deterministic emulator. Default 0.
   */
  noopMax: number;
  /** Per emulated frame, probability of holding the previous frame's buttons (ALE-style sticky actions). Default 0. */
  stickyActionProb: number;
  /**
   * Emulator backend: 'auto' (native when its addon loads, else jsnes with one warning;
   * $MARIO_RL_BACKEND forces one), 'native' or 'jsnes' (pure JavaScript, slower). Default 'auto'.
   */
  backend: 'auto' | 'native' | 'jsnes';
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

/**
 * Eval probes during training (the `EvalProbes` callback, src/train/probes.ts): every `interval`
 * updates, `episodes` episodes per probed stage on a separate env, written to `RUN/evals.jsonl`
 * and TensorBoard; the best probe keeps `checkpoints/best.ckpt`.
 */
export interface EvalConfig {
  /** Episodes per probed stage; 0 = no probes. Default 0. */
  episodes: number;
  /** Updates (DQN: metrics rows) between probes. Default 20. */
  interval: number;
  /** Seeds the episodes are spread over (each seed a fresh env reset with its own no-op draws). Default 2. */
  seeds: number;
  /** Random no-op frames (0…N) before each probe episode. Default 30. */
  noopMax: number;
  /** Lanes of each probe env. Default 8. */
  numEnvs: number;
  /** Stages to probe ('all', a comma list, or '' = the training stages; with a curriculum, the stages reached so far). Default ''. */
  stages: string;
  /** An episode that ends without the flag within this many agent steps counts as an early death. Default 50. */
  earlySteps: number;
  /** Width in px of the bins of the death-x histogram. Default 256. */
  deathBinWidth: number;
  /** Greedy actions instead of sampled ones. Default false. */
  deterministic: boolean;
  /** Write the best and the worst episode of each probed stage as GIFs under `RUN/media/`. Default false. */
  record: boolean;
}

/**
 * A stage curriculum with gated promotion (the `Curriculum` callback, src/train/curriculum.ts):
 * train on the current stage (plus a share of the passed ones), promote once the probe passes the
 * gate `consecutive` probes in a row. Needs eval probes (`eval.episodes` > 0).
 */
export interface CurriculumConfig {
  /** The stages in order ('1-1,1-2,1-3,1-4' or 'all'); '' = no curriculum. Default ''. */
  stages: string;
  /** Gate: the probe's flag rate on the current stage must reach this share. Default 0.5. */
  flagRate: number;
  /** Gate: the probe's 10th percentile of max x must reach this share of the stage's measured length. Default 0.5. */
  progressP10: number;
  /** Probes in a row that must pass the gate before a promotion. Default 2. */
  consecutive: number;
  /** Share of episodes started on the passed stages (against forgetting); 0 = only the current stage. Default 0.25. */
  mixEarlier: number;
  /**
   * Go back to a passed stage when its probe's flag rate falls below half the gate's
   * `consecutive` probes in a row. Default false (never demote).
   */
  demote: boolean;
  /** End training once the last stage passed the gate. Default true. */
  stopWhenDone: boolean;
}

/** The start-state queue (the `StartStateQueue` callback, src/train/start-states.ts). */
export interface StartStatesConfig {
  /** Share of episodes started from a queued state (0 = no queue). Default 0. */
  share: number;
  /** States kept per stage (oldest out). Default 64. */
  capacity: number;
  /** How long before a death the queued state was saved, in seconds of game time. Default 2. */
  secondsBefore: number;
  /** Also queue the state where an episode first passes every multiple of this x (px); 0 = only deaths. Default 0. */
  milestonePx: number;
  /** A start-state file (a run's `RUN/start-states.bin`) that seeds the queue; '' = start empty. Default ''. */
  file: string;
  /**
   * Keep the file's states for the whole run: they are never evicted and do not count against
   * `capacity`, and episodes keep starting from them beside the queue's (needs `file`). Use it
   * for states found by a search past a trap the agent has not learned yet. Default false.
   */
  keepFile: boolean;
}

/**
 * Adaptive schedules (the `AdaptiveSchedules` callback, src/train/adaptive.ts): the entropy
 * coefficient and the learning-rate scale react to stagnation of the eval probes' p50 max x.
 * Needs eval probes (`eval.episodes` > 0).
 */
export interface AdaptiveConfig {
  /** Probes in a row without a rise in p50 max x before acting; 0 = off. Default 0. */
  patience: number;
  /** Probes after a change before the next one. Default 2. */
  cooldown: number;
  /** A rise: a stage's p50 max x beats its best by at least this many px. Default 16. */
  minDelta: number;
  /** On stagnation the entropy coefficient is multiplied by this (PPO/A2C). Default 2. */
  entFactor: number;
  /** Lower bound of the entropy coefficient. Default 0. */
  entCoefMin: number;
  /** Upper bound of the entropy coefficient. Default 0.1. */
  entCoefMax: number;
  /** On stagnation the learning-rate scale is multiplied by this (1 = untouched). Default 1. */
  lrFactor: number;
  /** Lower bound of the learning-rate scale. Default 0.1. */
  lrScaleMin: number;
}

/** Stop training early (the `EarlyStop` callback; docs/training.md, "Callbacks"). */
export interface EarlyStopConfig {
  /** Stop once the rolling flag rate reaches this share of episodes; 0 = off. Default 0. */
  flagRate: number;
  /** Episodes the rolling window must hold before the rule applies. Default 20. */
  minEpisodes: number;
}

/**
 * Count-based exploration bonus (the `ExplorationBonus` callback, src/train/novelty.ts; docs/training.md,
 * "Exploration bonus"): each step adds `bonus / √n` to the reward, n = visits of the player's cell
 * (stage, x and y in `cellPx` squares).
 */
export interface ExploreConfig {
  /** Bonus of a cell's first visit, in the env's reward units (before env.rewardScale); 0 = off. Default 0. */
  bonus: number;
  /** Side of a cell in px (x and y). Default 16 (one metatile). */
  cellPx: number;
  /**
   * The stages that get the bonus, with an optional factor each ('1-2,1-3:2': 1-2 at `bonus`,
   * 1-3 at twice it, every other stage none); '' = every stage at `bonus`. Default ''.
   */
  stages: string;
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
  /**
   * Warm start: a Trainer checkpoint whose network weights the run starts from (e.g. fine-tune a
   * 1-1 policy on 1-2); its counters, optimizer state, episode window and callback state are not
   * used. The network, observation shape, action set and head must match this config's. A
   * checkpoint of this run found by `resume` wins (restarting a fine-tune run resumes it). '' = off.
   * Default ''.
   */
  initFrom: string;
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
  /** Eval probes during training. */
  eval: EvalConfig;
  /** Stage curriculum. */
  curriculum: CurriculumConfig;
  /** Start-state queue. */
  startStates: StartStatesConfig;
  /** Adaptive entropy and learning-rate schedules. */
  adaptive: AdaptiveConfig;
  /** Count-based exploration bonus. */
  explore: ExploreConfig;
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
  [K in keyof T]?: T[K] extends Schedule ? ScheduleInput : T[K] extends string | number | boolean | null ? T[K] | AliasOf<T[K]> : DeepPartialConfig<T[K]>;
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
    : T[K] extends string | number | boolean | null
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
  initFrom: f(
    str,
    '',
    "warm start: a Trainer checkpoint whose network weights start the run (no counters, optimizer state or episode window; a checkpoint resume finds wins; '' = off)",
  ),
  env: {
    game: f(
      oneOf(['runner', 'smb1', 'smb3'], { builtin: 'runner' }),
      'runner',
      "'runner' (the built-in game, no ROM needed), 'smb1' (needs env.rom or $MARIO_ROM) or 'smb3' (needs env.rom or $SMB3_ROM)",
    ),
    rom: f(str, '', "ROM image path ('' = $MARIO_ROM for smb1, $SMB3_ROM for smb3)"),
    world: f(int(1, 8), 1, 'world (1-based)'),
    stage: f(int(1, 6), 1, 'stage (1-based; SMB1 has 4 per world, the built-in game 3, SMB3 World 1 six)'),
    stages: f(str, '', "several stages: 'all' or '1-1,1-2:2' (optional weights); '' = env.world-env.stage"),
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
    distanceWeight: f(optionalNum(0, MAX_REWARD_WEIGHT, 'preset'), null, "weight of the reward's distance term ('preset' = the reward preset's own, 1)"),
    scoreWeight: f(
      optionalNum(0, MAX_REWARD_WEIGHT, 'preset'),
      null,
      "weight of the reward's score term, smb1 only ('preset' = the preset's own: v0 0, shaped 1/100, uvipen 1/40)",
    ),
    distanceWeightEnd: f(optionalNum(0, MAX_REWARD_WEIGHT, 'none'), null, "distance weight reached after env.shapingAnnealSteps ('none' = constant)"),
    scoreWeightEnd: f(optionalNum(0, MAX_REWARD_WEIGHT, 'none'), null, "score weight reached after env.shapingAnnealSteps ('none' = constant)"),
    shapingAnnealSteps: f(int(0, MAX_SHAPING_ANNEAL_STEPS), 0, 'agent steps over which the reward weights move linearly from start to end (0 = constant)'),
    rewardScale: f(num(1e-9, 1e9), 1, 'factor on every reward the learner sees (metrics keep raw returns)'),
    maxEpisodeSteps: f(int(0, MAX_EPISODE_STEPS), 0, 'truncate episodes after this many agent steps (0 = never)'),
    maxStallSteps: f(int(0, MAX_EPISODE_STEPS), 0, 'truncate episodes after this many agent steps without a new max x (0 = never)'),
    stallTerminal: f(bool, false, 'with maxStallSteps: a stall cut ends the episode as terminated (like a death), not truncated'),
    stallReward: f(num(-1000, 1000), 0, 'with maxStallSteps: reward added on the step a stall cut ends'),
    noopMax: f(int(0, 10_000), 0, 'random no-op frames (0…N, seeded) before each episode'),
    stickyActionProb: f(num(0, 1), 0, "per frame, probability of repeating the previous frame's buttons"),
    backend: f(
      oneOf(['auto', 'native', 'jsnes']),
      'auto',
      "emulator: 'auto' (native if its addon loads, else jsnes; $MARIO_RL_BACKEND forces one), 'native' or 'jsnes' (pure JS, slower)",
    ),
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
  eval: {
    episodes: f(int(0, 10_000), 0, 'eval-probe episodes per probed stage (0 = no probes)'),
    interval: f(int(1, INT_MAX), 20, 'metrics rows between eval probes (PPO/A2C: updates)'),
    seeds: f(int(1, 1000), 2, 'seeds the probe episodes are spread over'),
    noopMax: f(int(0, 10_000), 30, 'random no-op frames (0…N) before each probe episode'),
    numEnvs: f(int(1, MAX_VEC_ENVS), 8, 'lanes of each probe env'),
    stages: f(str, '', "stages to probe: 'all', a list, or '' (training stages; with a curriculum, those reached)"),
    earlySteps: f(int(1, MAX_EPISODE_STEPS), 50, 'a flagless end within this many steps is an early death'),
    deathBinWidth: f(int(1, 65_536), 256, 'px per bin of the death-x histogram'),
    deterministic: f(bool, false, 'greedy probe actions instead of sampled ones'),
    record: f(bool, false, 'write the best and worst probe episode per stage as GIFs under RUN/media'),
  },
  curriculum: {
    stages: f(str, '', "curriculum stages in order ('1-1,1-2,1-3,1-4' or 'all'); '' = none"),
    flagRate: f(num(0, 1), 0.5, 'gate: probe flag rate on the current stage ≥ this'),
    progressP10: f(num(0, 1), 0.5, "gate: probe p10 of max x ≥ this share of the stage's length"),
    consecutive: f(int(1, 1000), 2, 'probes in a row that must pass the gate'),
    mixEarlier: f(num(0, 0.95), 0.25, 'share of episodes on passed stages (against forgetting)'),
    demote: f(bool, false, "go back to a passed stage whose probe falls below half the gate's flag rate"),
    stopWhenDone: f(bool, true, 'end training once the last stage passed'),
  },
  startStates: {
    share: f(num(0, 1), 0, 'share of episodes started from the start-state queue (0 = off)'),
    capacity: f(int(1, 100_000), 64, 'states kept per stage (oldest out)'),
    secondsBefore: f(num(0.1, 60), 2, 'queue the state from this many seconds before each death'),
    milestonePx: f(int(0, 65_535), 0, 'also queue states at every multiple of this x (0 = deaths only)'),
    file: f(str, '', "seed the queue from a run's start-states.bin ('' = start empty)"),
    keepFile: f(bool, false, "keep the file's states for the whole run (never evicted; needs startStates.file)"),
  },
  adaptive: {
    patience: f(int(0, 1000), 0, 'probes without a rise in p50 max x before raising entropy / lowering lr (0 = off)'),
    cooldown: f(int(0, 1000), 2, 'probes after a change before the next one'),
    minDelta: f(num(0, 1e6), 16, "px by which a stage's p50 max x must beat its best to count as a rise"),
    entFactor: f(num(1, 100), 2, 'factor on the entropy coefficient on stagnation'),
    entCoefMin: f(num(0, 1e6), 0, 'lower bound of the entropy coefficient'),
    entCoefMax: f(num(0, 1e6), 0.1, 'upper bound of the entropy coefficient'),
    lrFactor: f(num(Number.MIN_VALUE, 1), 1, 'factor on the learning-rate scale on stagnation (1 = untouched)'),
    lrScaleMin: f(num(Number.MIN_VALUE, 1), 0.1, 'lower bound of the learning-rate scale'),
  },
  explore: {
    bonus: f(num(0, 1e6), 0, "bonus / √(visits) added to each step's reward for the player's cell (0 = off)"),
    cellPx: f(int(1, 4096), 16, 'side of an exploration cell in px (x and y)'),
    stages: f(str, '', "stages that get the bonus, STAGE[:FACTOR] ('1-2,1-3:2'; '' = every stage)"),
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
