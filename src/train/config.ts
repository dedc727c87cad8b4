/**
 * The Trainer's configuration: every field with a doc comment and a default, validated from JSON
 * with errors naming the field path (`ppo.clipCoef`), mapped one-to-one to command-line flags
 * (`--ppo.clip-coef 0.1`), and the derived sizes computed once (cleanrl's batch size, minibatch
 * size, number of updates).
 *
 * One table, {@link CONFIG_FIELDS}, drives defaults, validation, flags and help text, so they
 * cannot drift apart. Defaults for PPO follow uvipen's Super Mario Bros. PPO (84×84 gray, skip 4,
 * stack 4, 8 envs × 512 steps, γ 0.9, λ 1.0, lr 1e-4, 10 epochs, clip 0.2, entropy 0.01).
 */
import { readFileSync } from 'node:fs';

import { expectedMessage, expectInteger, expectNumber, expectOneOf } from '../validate.js';
import { PRESETS, presetConfig } from './presets.js';
import { formatSchedule, parseSchedule, parseScheduleString, resolveSchedule, type Schedule } from './schedule.js';

/** Learning algorithm. */
export type Algo = 'ppo' | 'a2c' | 'dqn';
/** Where the graph runner executes: 'auto' uses CUDA when available and says so loudly when it falls back. */
export type Device = 'auto' | 'cpu' | 'cuda';

/** Environment options (passed to VecEnv). */
export interface EnvConfig {
  /** Game: 'builtin' (the bundled homebrew game, no ROM needed) or 'smb1' (needs `rom` or $MARIO_ROM). Default 'builtin'. */
  game: string;
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
   * Observations: 'pixels' (frames resized to width × height, stacked) or 'ram' (the console's
   * 2 KiB RAM each step, for network 'mlp'; width, height, grayscale and frameStack are unused).
   * Default 'pixels'.
   */
  obs: 'pixels' | 'ram';
  /** Grayscale observations. Default true. */
  grayscale: boolean;
  /** Emulator frames per agent step (action repeated, rewards summed). Default 4. */
  frameSkip: number;
  /** Max-pool the last two skipped frames (removes sprite flicker). Default true. */
  maxPoolLastTwo: boolean;
  /** Observations stacked per agent step. Default 4. */
  frameStack: number;
  /** Reward: 'uvipen' (v0 + Δscore/40, ±50 flag/death, /10), 'v0' (classic gym) or 'shaped' (gym 9.1). Default 'uvipen'. */
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

/** PPO hyperparameters (Schulman et al. 2017). */
export interface PpoConfig {
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
  /** Policy ratio clip ε. Default 0.2. */
  clipCoef: number;
  /** Clip the value loss around the old values (cleanrl's clip_vloss). Default false. */
  clipValueLoss: boolean;
  /** Value clip range when clipValueLoss is on. Default 0.2. */
  valueClipCoef: number;
  /** Entropy bonus coefficient. Default 0.01. */
  entCoef: number;
  /** Value loss coefficient. Default 0.5. */
  vfCoef: number;
  /** Global gradient norm clip. Default 0.5. */
  maxGradNorm: number;
  /** Normalize advantages per minibatch. Default true. */
  normAdvantages: boolean;
  /** Stop the epochs of an update early when approx KL exceeds this; 0 = never. Default 0. */
  targetKl: number;
}

/** A2C hyperparameters (synchronous advantage actor-critic). */
export interface A2cConfig {
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
  /** Entropy bonus coefficient. Default 0.01. */
  entCoef: number;
  /** Value loss coefficient. Default 0.5. */
  vfCoef: number;
  /** Global gradient norm clip. Default 0.5. */
  maxGradNorm: number;
  /** Normalize advantages per update. Default false. */
  normAdvantages: boolean;
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

/** DQN hyperparameters (with double, dueling, n-step and PER options). */
export interface DqnConfig {
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
  /** Target update rate: 1 copies, < 1 is Polyak averaging. Default 1. */
  tau: number;
  /** Exploration: 'epsilon' (ε-greedy) or 'noisy' (NoisyNet layers). Default 'epsilon'. */
  exploration: 'epsilon' | 'noisy';
  /** ε schedule over agent steps. Default linear 1 → 0.01 over the first 10% of the run. */
  epsilon: Schedule;
  /** Double DQN targets. Default true. */
  double: boolean;
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
  /** Store the replay buffer in checkpoints (DQN; can be large). Default false. */
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

/** Everything the Trainer needs; see docs/training.md for the reference table. */
export interface TrainerConfig {
  /** Algorithm. Default 'ppo'. */
  algo: Algo;
  /** Seed of every random stream (envs, sampling, initialisation). Default 1. */
  seed: number;
  /** Graph runner device. Default 'auto'. */
  device: Device;
  /** Network trunk: 'nature' (Mnih et al. 2015) or 'baseline' (uvipen's smaller conv stack). Default 'nature'. */
  network: 'nature' | 'baseline' | 'mlp';
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
}

/** The kind of value a field holds, with its bounds. */
export type FieldType =
  | { type: 'int'; min: number; max: number }
  | { type: 'number'; min: number; max: number }
  | { type: 'bool' }
  | { type: 'enum'; choices: readonly string[] }
  | { type: 'string'; nonEmpty?: boolean }
  | { type: 'schedule'; min: number; max: number };

/** One configuration field. */
export type ConfigField = FieldType & {
  /** Dotted path, e.g. `ppo.clipCoef`. */
  path: string;
  /** Command-line flag, e.g. `--ppo.clip-coef`. */
  flag: string;
  /** Default value. */
  default: unknown;
  /** One-line description. */
  doc: string;
};

const INT_MAX = Number.MAX_SAFE_INTEGER;
const int = (min: number, max: number) => ({ type: 'int' as const, min, max });
const num = (min: number, max: number) => ({ type: 'number' as const, min, max });
const bool = { type: 'bool' as const };
const str = { type: 'string' as const };
const nonEmptyStr = { type: 'string' as const, nonEmpty: true };
const oneOf = (...choices: string[]) => ({ type: 'enum' as const, choices });
const sched = (min: number, max: number) => ({ type: 'schedule' as const, min, max });
const constant = (value: number): Schedule => ({ kind: 'constant', value });

const FIELD_TABLE: [string, FieldType, unknown, string][] = [
  ['algo', oneOf('ppo', 'a2c', 'dqn'), 'ppo', 'learning algorithm'],
  ['seed', int(0, 2 ** 32 - 1), 1, 'seed of every random stream'],
  ['device', oneOf('auto', 'cpu', 'cuda'), 'auto', "graph runner device ('auto' falls back to CPU loudly)"],
  ['network', oneOf('nature', 'baseline', 'mlp'), 'nature', "network trunk: 'nature', 'baseline' (uvipen's) or 'mlp' (for env.obs 'ram')"],
  ['threads', int(1, 256), 2, 'ORT intra-op threads of the learner session'],
  ['runDir', nonEmptyStr, 'runs/mario-rl', 'run directory: metrics, TensorBoard, checkpoints, heartbeat'],
  ['totalSteps', int(1, INT_MAX), 5_000_000, 'agent steps to train for (all lanes counted)'],
  ['maxWallTime', num(0, Infinity), 0, 'wall-clock limit in seconds (0 = none); writes latest and stops'],
  ['overlap', bool, true, 'collect the next rollout while the learner trains'],
  ['resume', nonEmptyStr, 'none', "'none', 'latest', 'auto' or a checkpoint path"],
  ['env.game', nonEmptyStr, 'builtin', "'builtin' (no ROM needed) or 'smb1' (needs env.rom or $MARIO_ROM)"],
  ['env.rom', str, '', "ROM image path ('' = $MARIO_ROM for smb1)"],
  ['env.world', int(1, 8), 1, 'world (1-based)'],
  ['env.stage', int(1, 4), 1, 'stage (1-based)'],
  ['env.actions', oneOf('right-only', 'simple', 'complex'), 'simple', 'action set'],
  ['env.width', int(8, 256), 84, 'observation width'],
  ['env.height', int(8, 240), 84, 'observation height'],
  ['env.obs', oneOf('pixels', 'ram'), 'pixels', "observations: 'pixels' or 'ram' (2 KiB per step; use network mlp)"],
  ['env.grayscale', bool, true, 'grayscale observations'],
  ['env.frameSkip', int(1, 16), 4, 'emulator frames per agent step'],
  ['env.maxPoolLastTwo', bool, true, 'max-pool the last two skipped frames'],
  ['env.frameStack', int(1, 16), 4, 'observations stacked per step'],
  ['env.reward', oneOf('uvipen', 'v0', 'shaped'), 'uvipen', 'reward function'],
  ['env.rewardScale', num(1e-9, 1e9), 1, 'factor on every reward the learner sees (metrics keep raw returns)'],
  ['env.maxEpisodeSteps', int(0, INT_MAX), 0, 'truncate episodes after this many agent steps (0 = never)'],
  ['env.noopMax', int(0, 10_000), 0, 'random no-op frames (0…N, seeded) before each episode'],
  ['env.stickyActionProb', num(0, 1), 0, "per frame, probability of repeating the previous frame's buttons"],
  ['ppo.numEnvs', int(1, 4096), 8, 'parallel environments'],
  ['ppo.numSteps', int(1, 1_000_000), 512, 'steps per environment per rollout'],
  ['ppo.epochs', int(1, 1000), 10, 'passes over each rollout'],
  ['ppo.minibatches', int(1, 1_000_000), 16, 'minibatches per epoch (must divide numEnvs × numSteps)'],
  ['ppo.learningRate', sched(0, 1), constant(1e-4), 'learning rate schedule over agent steps'],
  ['ppo.gamma', num(0, 1), 0.9, 'discount γ'],
  ['ppo.gaeLambda', num(0, 1), 1.0, 'GAE λ'],
  ['ppo.clipCoef', num(0, 10), 0.2, 'policy ratio clip ε'],
  ['ppo.clipValueLoss', bool, false, 'clip the value loss around the old values'],
  ['ppo.valueClipCoef', num(0, Infinity), 0.2, 'value clip range (with clipValueLoss)'],
  ['ppo.entCoef', num(0, Infinity), 0.01, 'entropy bonus coefficient'],
  ['ppo.vfCoef', num(0, Infinity), 0.5, 'value loss coefficient'],
  ['ppo.maxGradNorm', num(0, Infinity), 0.5, 'global gradient norm clip'],
  ['ppo.normAdvantages', bool, true, 'normalize advantages per minibatch'],
  ['ppo.targetKl', num(0, Infinity), 0, 'stop an update early above this approx KL (0 = never)'],
  ['a2c.numEnvs', int(1, 4096), 16, 'parallel environments'],
  ['a2c.numSteps', int(1, 1_000_000), 5, 'steps per environment per update'],
  ['a2c.learningRate', sched(0, 1), constant(7e-4), 'learning rate schedule over agent steps'],
  ['a2c.gamma', num(0, 1), 0.9, 'discount γ'],
  ['a2c.gaeLambda', num(0, 1), 1.0, 'GAE λ (1 = n-step returns)'],
  ['a2c.entCoef', num(0, Infinity), 0.01, 'entropy bonus coefficient'],
  ['a2c.vfCoef', num(0, Infinity), 0.5, 'value loss coefficient'],
  ['a2c.maxGradNorm', num(0, Infinity), 0.5, 'global gradient norm clip'],
  ['a2c.normAdvantages', bool, false, 'normalize advantages per update'],
  ['dqn.numEnvs', int(1, 4096), 4, 'parallel environments'],
  ['dqn.bufferSize', int(1, 2 ** 31 - 1), 100_000, 'replay capacity in transitions'],
  ['dqn.batchSize', int(1, 65536), 32, 'transitions per gradient step'],
  ['dqn.learningStarts', int(0, INT_MAX), 10_000, 'agent steps before learning starts'],
  ['dqn.trainFrequency', int(1, INT_MAX), 4, 'agent steps between gradient steps'],
  ['dqn.nStep', int(1, 100), 3, 'n of the n-step targets'],
  ['dqn.gamma', num(0, 1), 0.99, 'discount γ'],
  ['dqn.learningRate', sched(0, 1), constant(1e-4), 'learning rate schedule over agent steps'],
  ['dqn.targetUpdateInterval', int(1, INT_MAX), 1000, 'agent steps between target network updates'],
  ['dqn.tau', num(0, 1), 1, 'target update rate (1 = copy)'],
  ['dqn.exploration', oneOf('epsilon', 'noisy'), 'epsilon', "exploration: 'epsilon' (ε-greedy) or 'noisy' (NoisyNet)"],
  ['dqn.epsilon', sched(0, 1), { kind: 'linear', start: 1, end: 0.01, fraction: 0.1 }, 'ε schedule over agent steps'],
  ['dqn.double', bool, true, 'double DQN targets'],
  ['dqn.dueling', bool, true, 'dueling heads'],
  ['dqn.maxGradNorm', num(0, Infinity), 10, 'global gradient norm clip'],
  ['dqn.per.enabled', bool, true, 'prioritized replay (false = uniform)'],
  ['dqn.per.alpha', num(0, 10), 0.6, 'priority exponent α'],
  ['dqn.per.beta', sched(0, 1), { kind: 'linear', start: 0.4, end: 1, fraction: 1 }, 'importance-sampling exponent β schedule'],
  ['dqn.per.epsilon', num(0, Infinity), 1e-6, 'added to |TD error| so no priority is 0'],
  ['checkpoint.interval', int(0, INT_MAX), 50, 'updates between periodic checkpoints (0 = only latest)'],
  ['checkpoint.keep', int(1, 1_000_000), 3, 'periodic checkpoints kept, plus latest'],
  ['checkpoint.includeReplay', bool, false, 'store the replay buffer in checkpoints'],
  ['log.tensorboard', bool, true, 'write TensorBoard event files'],
  ['log.heartbeatSeconds', num(0, 86_400), 10, 'seconds between heartbeat rows (0 = off)'],
  ['log.windowEpisodes', int(1, 1_000_000), 100, 'episodes in the rolling statistics window'],
  ['log.flushEveryRows', int(1, 1_000_000), 1, 'metrics rows buffered before writing'],
  ['log.progress', oneOf('auto', 'bar', 'plain', 'off'), 'auto', "progress display: 'auto', 'bar', 'plain' or 'off'"],
];

/** `clipCoef` → `clip-coef`. */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Every configuration field, in documentation order. */
export const CONFIG_FIELDS: readonly ConfigField[] = FIELD_TABLE.map(([path, type, def, doc]) => ({
  ...type,
  path,
  flag: `--${path.split('.').map(kebabCase).join('.')}`,
  default: def,
  doc,
}));

const FIELD_BY_PATH = new Map(CONFIG_FIELDS.map((f) => [f.path, f]));
const FIELD_BY_FLAG = new Map(CONFIG_FIELDS.map((f) => [f.flag, f]));

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const k of keys.slice(0, -1)) {
    if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

/** A fresh copy of the defaults. */
export function defaultConfig(): TrainerConfig {
  const out: Record<string, unknown> = {};
  for (const f of CONFIG_FIELDS) setPath(out, f.path, clone(f.default));
  return out as unknown as TrainerConfig;
}

function validateField(field: ConfigField, value: unknown, name = field.path): unknown {
  switch (field.type) {
    case 'int':
      return expectInteger(value, name, field.min, field.max);
    case 'number':
      return expectNumber(value, name, field.min, field.max);
    case 'bool':
      if (typeof value !== 'boolean') throw new TypeError(expectedMessage('a boolean', name, value));
      return value;
    case 'enum':
      return expectOneOf(value, name, field.choices);
    case 'string':
      if (typeof value !== 'string') throw new TypeError(expectedMessage(field.nonEmpty ? 'a non-empty string' : 'a string', name, value));
      if (field.nonEmpty && value.trim() === '') throw new RangeError(expectedMessage('a non-empty string', name, value));
      return value;
    case 'schedule':
      return parseSchedule(value, name, field.min, field.max);
  }
}

/** The closest known name to `name` (for "did you mean" hints), or undefined when nothing is close. */
function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/**
 * Validates a (partial) configuration object, e.g. parsed JSON, and merges it over `base`
 * (default: the defaults). Unknown fields, wrong types and out-of-range values throw a
 * TypeError/RangeError whose message names the field path. Cross-field rules are checked by
 * {@link deriveSizes}.
 */
export function validateConfig(input: unknown, base: TrainerConfig = defaultConfig()): TrainerConfig {
  const out = clone(base) as unknown as Record<string, unknown>;
  const walk = (value: unknown, prefix: string) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TypeError(expectedMessage('an object', prefix || 'config', value));
    }
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const path = prefix ? `${prefix}.${key}` : key;
      const field = FIELD_BY_PATH.get(path);
      if (field) {
        setPath(out, path, validateField(field, child));
        continue;
      }
      const isGroup = CONFIG_FIELDS.some((f) => f.path.startsWith(`${path}.`));
      if (isGroup) {
        walk(child, path);
        continue;
      }
      const siblings = new Set(
        CONFIG_FIELDS.filter((f) => f.path.startsWith(prefix ? `${prefix}.` : '')).map(
          (f) => f.path.slice(prefix ? prefix.length + 1 : 0).split('.')[0],
        ),
      );
      const hint = closest(key, siblings);
      throw new TypeError(
        `Unknown config field ${path}${hint ? ` (did you mean ${prefix ? `${prefix}.` : ''}${hint}?)` : ''}; ` +
          `known fields${prefix ? ` of ${prefix}` : ''}: ${[...siblings].join(', ')}`,
      );
    }
  };
  walk(input, '');
  return out as unknown as TrainerConfig;
}

/** Reads and validates a JSON config file; errors start with the file name and name the field. */
export function loadConfigFile(file: string, base?: TrainerConfig): TrainerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read config file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SyntaxError(`Config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return validateConfig(json, base);
  } catch (err) {
    const e = err as Error;
    const Ctor = e instanceof RangeError ? RangeError : TypeError;
    throw new Ctor(`Config file ${file}: ${e.message}`);
  }
}

/** Result of {@link parseConfigFlags}. */
export interface ParsedFlags {
  /** `--config FILE`, when given. */
  configFile?: string;
  /** `--preset NAME`, if given. */
  preset?: string;
  /** Validated values by field path, in flag order. */
  values: Map<string, unknown>;
  /** Arguments that are not config flags (positionals, `--help`, `-h`, and everything after `--`). */
  rest: string[];
}

/**
 * Parses config flags: `--ppo.clip-coef 0.1` or `--ppo.clip-coef=0.1`; booleans as `--overlap`,
 * `--no-overlap` or `--overlap=false`; schedules as a number or `linear:START:END[:FRACTION]`;
 * `--config FILE`. Unknown flags throw with a suggestion; bad values name the flag and field.
 */
export function parseConfigFlags(argv: readonly string[]): ParsedFlags {
  const values = new Map<string, unknown>();
  const rest: string[] = [];
  let configFile: string | undefined;
  let preset: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--help') {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let flag = eq >= 0 ? arg.slice(0, eq) : arg;
    let inline: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && Number.isNaN(Number(next)))) {
        throw new TypeError(`Missing value for ${flag}`);
      }
      i++;
      return next;
    };
    if (flag === '--config') {
      configFile = takeValue();
      continue;
    }
    if (flag === '--preset') {
      preset = takeValue();
      continue;
    }
    let negated = false;
    if (!FIELD_BY_FLAG.has(flag) && flag.startsWith('--no-')) {
      const positive = `--${flag.slice(5)}`;
      if (FIELD_BY_FLAG.get(positive)?.type === 'bool') {
        if (inline !== undefined) throw new TypeError(`${flag} takes no value`);
        negated = true;
        flag = positive;
      }
    }
    const field = FIELD_BY_FLAG.get(flag);
    if (!field) {
      const hint = closest(flag, [...FIELD_BY_FLAG.keys(), '--config', '--preset']);
      throw new TypeError(`Unknown option ${flag}${hint ? ` (did you mean ${hint}?)` : ''}; see --help for the list`);
    }
    const name = `${field.path} (${field.flag})`;
    if (field.type === 'bool') {
      if (negated) values.set(field.path, false);
      else if (inline === undefined) {
        const next = argv[i + 1];
        if (next === 'true' || next === 'false') {
          i++;
          values.set(field.path, next === 'true');
        } else values.set(field.path, true);
      } else if (inline === 'true' || inline === 'false') values.set(field.path, inline === 'true');
      else throw new TypeError(expectedMessage('true or false', name, inline));
      continue;
    }
    const text = takeValue();
    inline = undefined;
    let value: unknown = text;
    if (field.type === 'int' || field.type === 'number') {
      value = text.trim() === '' ? NaN : Number(text);
      if (Number.isNaN(value)) throw new TypeError(expectedMessage(field.type === 'int' ? 'an integer' : 'a number', name, text));
      validateField(field, value, name);
    } else if (field.type === 'schedule') {
      value = parseScheduleString(text, name, field.min, field.max);
    } else validateField(field, value, name);
    values.set(field.path, value);
  }
  return { configFile, values, rest, ...(preset === undefined ? {} : { preset }) };
}

/** Sources of {@link resolveConfig}, lowest priority first. */
export interface ConfigSources {
  /** A named preset ({@link PRESETS}); `--preset` in argv wins. */
  preset?: string;
  /** A JSON config file. */
  file?: string;
  /** A (partial) config object, e.g. from code. */
  overrides?: unknown;
  /** Command-line arguments (may include `--config FILE`). */
  argv?: readonly string[];
}

/** defaults ← preset ← file ← overrides ← flags; returns the validated config and the unused arguments. */
export function resolveConfig(sources: ConfigSources = {}): { config: TrainerConfig; rest: string[] } {
  const flags: ParsedFlags = sources.argv ? parseConfigFlags(sources.argv) : { values: new Map<string, unknown>(), rest: [] as string[] };
  let config = defaultConfig();
  const preset = flags.preset ?? sources.preset;
  if (preset !== undefined) config = validateConfig(presetConfig(preset), config);
  const file = flags.configFile ?? sources.file;
  if (file) config = loadConfigFile(file, config);
  if (sources.overrides !== undefined) config = validateConfig(sources.overrides, config);
  const fromFlags: Record<string, unknown> = {};
  for (const [path, value] of flags.values) setPath(fromFlags, path, value);
  config = validateConfig(fromFlags, config);
  return { config, rest: flags.rest };
}

/** The flag form of a field's current value (for `--help` and run logs). */
export function formatFieldValue(field: ConfigField, value: unknown): string {
  if (field.type === 'schedule') return formatSchedule(value as Schedule);
  if (field.type === 'string') return value === '' ? "''" : String(value);
  return String(value);
}

/** Help text listing every flag with its default and description. */
export function configHelp(): string {
  const width = Math.max(...CONFIG_FIELDS.map((f) => f.flag.length)) + 2;
  const lines = [
    '  --config FILE'.padEnd(width + 2) + '  JSON config file (flags override it)',
    '  --preset NAME'.padEnd(width + 2) + '  start from a named config (the file and flags override it):',
    ...Object.entries(PRESETS).map(([name, p]) => `      ${name.padEnd(width - 4)}${p.summary}`),
  ];
  for (const f of CONFIG_FIELDS) {
    lines.push(`  ${f.flag.padEnd(width)}  ${f.doc} [default: ${formatFieldValue(f, f.default)}]`);
  }
  return lines.join('\n');
}

/** Sizes computed once from a config (cleanrl's "derived" block). */
export interface DerivedSizes {
  /** Lanes of the VecEnv for the chosen algorithm. */
  numEnvs: number;
  /** Agent steps per update: numEnvs × numSteps (PPO/A2C) or numEnvs (DQN: one env step per iteration). */
  stepsPerUpdate: number;
  /** PPO/A2C rollout batch: numEnvs × numSteps (DQN: dqn.batchSize). */
  batchSize: number;
  /** PPO minibatch size: batchSize / minibatches (A2C: the whole batch; DQN: dqn.batchSize). */
  minibatchSize: number;
  /** Number of updates (iterations for DQN) to reach totalSteps: ⌊totalSteps / stepsPerUpdate⌋. */
  numUpdates: number;
  /** Agent steps actually trained: numUpdates × stepsPerUpdate (≤ totalSteps). */
  trainedSteps: number;
  /** Schedules of the chosen algorithm with durations resolved in agent steps. */
  schedules: Record<string, Schedule>;
}

/**
 * Checks cross-field rules and computes the derived sizes. Errors name the field:
 * `Expected a divisor of the batch size 4096 (ppo.numEnvs × ppo.numSteps) for ppo.minibatches but received 3`.
 */
export function deriveSizes(config: TrainerConfig): DerivedSizes {
  const total = config.totalSteps;
  if (config.algo === 'dqn') {
    const d = config.dqn;
    const numUpdates = Math.floor(total / d.numEnvs);
    if (numUpdates < 1) {
      throw new RangeError(expectedMessage(`at least dqn.numEnvs (${d.numEnvs}) steps`, 'totalSteps', total));
    }
    if (d.bufferSize < d.batchSize) {
      throw new RangeError(expectedMessage(`at least dqn.batchSize (${d.batchSize})`, 'dqn.bufferSize', d.bufferSize));
    }
    const schedules: Record<string, Schedule> = {
      'dqn.learningRate': resolveSchedule(d.learningRate, total),
      'dqn.epsilon': resolveSchedule(d.epsilon, total),
      'dqn.per.beta': resolveSchedule(d.per.beta, total),
    };
    return {
      numEnvs: d.numEnvs,
      stepsPerUpdate: d.numEnvs,
      batchSize: d.batchSize,
      minibatchSize: d.batchSize,
      numUpdates,
      trainedSteps: numUpdates * d.numEnvs,
      schedules,
    };
  }
  const a = config.algo === 'ppo' ? config.ppo : config.a2c;
  const prefix = config.algo;
  const batchSize = a.numEnvs * a.numSteps;
  const minibatches = config.algo === 'ppo' ? config.ppo.minibatches : 1;
  if (config.algo === 'ppo') {
    if (minibatches > batchSize || batchSize % minibatches !== 0) {
      throw new RangeError(
        expectedMessage(`a divisor of the batch size ${batchSize} (ppo.numEnvs × ppo.numSteps)`, 'ppo.minibatches', minibatches),
      );
    }
  }
  const numUpdates = Math.floor(total / batchSize);
  if (numUpdates < 1) {
    throw new RangeError(expectedMessage(`at least one batch, ${batchSize} (${prefix}.numEnvs × ${prefix}.numSteps)`, 'totalSteps', total));
  }
  return {
    numEnvs: a.numEnvs,
    stepsPerUpdate: batchSize,
    batchSize,
    minibatchSize: batchSize / minibatches,
    numUpdates,
    trainedSteps: numUpdates * batchSize,
    schedules: { [`${prefix}.learningRate`]: resolveSchedule(a.learningRate, total) },
  };
}
