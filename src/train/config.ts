/**
 * The Trainer's configuration, validated once at the edge: defaults, JSON files, presets, code
 * overrides and command-line flags (`--ppo.clip-coef 0.1`) all go through one field table
 * ({@link CONFIG_FIELDS}, src/train/config-fields.ts) with errors naming the field path and flag;
 * cross-field rules and the derived sizes (cleanrl's batch size, minibatch size, number of updates)
 * are computed once by {@link deriveSizes}. Components the Trainer builds get sub-configs derived
 * from the result, not re-validated copies.
 */
import { readFileSync } from 'node:fs';

import { validateFieldValue } from '../fields.js';
import { expectedMessage } from '../validate.js';
import { CONFIG_FIELDS, type ConfigField, type TrainerConfig } from './config-fields.js';
import { PRESETS, presetConfig } from './presets.js';
import { formatSchedule, parseSchedule, parseScheduleString, resolveSchedule, type Schedule } from './schedule.js';

export {
  CONFIG_FIELDS,
  CONFIG_TABLE,
  kebabCase,
  type A2cConfig,
  type AdaptiveConfig,
  type Algo,
  type CheckpointConfig,
  type CurriculumConfig,
  type ConfigField,
  type ConfigFieldType,
  type DeviceSetting,
  type DqnConfig,
  type EarlyStopConfig,
  type EnvConfig,
  type EvalConfig,
  type ExploreConfig,
  type HintsConfig,
  type LogConfig,
  type PerConfig,
  type PpoConfig,
  type ScheduleInput,
  type StartStatesConfig,
  type TrainerConfig,
  type TrainerConfigInput,
} from './config-fields.js';

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
  if (field.type === 'schedule') return parseSchedule(value, name, field.min, field.max);
  return validateFieldValue(field, value, name);
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
        CONFIG_FIELDS.filter((f) => f.path.startsWith(prefix ? `${prefix}.` : '')).map((f) => f.path.slice(prefix ? prefix.length + 1 : 0).split('.')[0]),
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
  return validateConfigJson(file, readConfigJson(file), base);
}

function readConfigJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SyntaxError(`Config file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return json;
}

function validateConfigJson(file: string, json: unknown, base?: TrainerConfig): TrainerConfig {
  try {
    return validateConfig(json, base);
  } catch (err) {
    const e = err as Error;
    const Ctor = e instanceof RangeError ? RangeError : TypeError;
    throw new Ctor(`Config file ${file}: ${e.message}`, { cause: err });
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
    if (field.type === 'number' && field.unset !== undefined && text === field.unset) {
      value = null;
    } else if (field.type === 'int' || field.type === 'number') {
      value = text.trim() === '' ? NaN : Number(text);
      const what = field.type === 'int' ? 'an integer' : field.unset === undefined ? 'a number' : `a number or '${field.unset}'`;
      if (Number.isNaN(value)) throw new TypeError(expectedMessage(what, name, text));
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

/** Whether a (partial) config object sets `env.game`. */
function setsGame(input: unknown): boolean {
  const env = typeof input === 'object' && input !== null ? (input as { env?: unknown }).env : undefined;
  return typeof env === 'object' && env !== null && Object.hasOwn(env, 'game');
}

/**
 * defaults ← preset ← file ← overrides ← flags; returns the validated config and the unused
 * arguments. A ROM (`env.rom`) with no source naming `env.game` means Super Mario Bros., as in
 * VecEnv: `--env.rom smb.nes` alone trains smb1, not the built-in game. A source that names
 * 'runner' next to a ROM is left for the Trainer to refuse (checkEnvConfig).
 */
export function resolveConfig(sources: ConfigSources = {}): { config: TrainerConfig; rest: string[] } {
  const flags: ParsedFlags = sources.argv ? parseConfigFlags(sources.argv) : { values: new Map<string, unknown>(), rest: [] as string[] };
  let config = defaultConfig();
  let gameGiven = flags.values.has('env.game') || setsGame(sources.overrides);
  const preset = flags.preset ?? sources.preset;
  if (preset !== undefined) {
    config = validateConfig(presetConfig(preset), config);
    gameGiven ||= setsGame(presetConfig(preset));
  }
  const file = flags.configFile ?? sources.file;
  if (file) {
    const json = readConfigJson(file);
    config = validateConfigJson(file, json, config);
    gameGiven ||= setsGame(json);
  }
  if (sources.overrides !== undefined) config = validateConfig(sources.overrides, config);
  const fromFlags: Record<string, unknown> = {};
  for (const [path, value] of flags.values) setPath(fromFlags, path, value);
  config = validateConfig(fromFlags, config);
  if (config.env.rom !== '' && !gameGiven) config.env.game = 'smb1';
  return { config, rest: flags.rest };
}

/** The flag form of a field's current value (for `--help` and run logs). */
export function formatFieldValue(field: ConfigField, value: unknown): string {
  if (field.type === 'schedule') return formatSchedule(value as Schedule);
  if (field.type === 'string') return value === '' ? "''" : String(value);
  if (field.type === 'number' && value === null && field.unset !== undefined) return field.unset;
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
    const choices =
      f.type === 'enum'
        ? ` (${f.choices.join('|')})`
        : f.type === 'schedule'
          ? ' (a number or linear|cosine:START:END[:FRACTION])'
          : f.type === 'number' && f.unset !== undefined
            ? ` (a number or ${f.unset})`
            : '';
    lines.push(`  ${f.flag.padEnd(width)}  ${f.doc}${choices} [default: ${formatFieldValue(f, f.default)}]`);
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
    // The replay keeps nStep + stack + 2 slots per lane (open n-step windows, the frames behind them, a final frame).
    const stack = config.env.obs === 'ram' ? 1 : config.env.frameStack; // tiles stack like frames
    const minBuffer = d.numEnvs * (d.nStep + stack + 2);
    if (Math.floor(d.bufferSize / d.numEnvs) * d.numEnvs < minBuffer) {
      throw new RangeError(expectedMessage(`at least dqn.numEnvs × (dqn.nStep + env.frameStack + 2) = ${minBuffer}`, 'dqn.bufferSize', d.bufferSize));
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
      throw new RangeError(expectedMessage(`a divisor of the batch size ${batchSize} (ppo.numEnvs × ppo.numSteps)`, 'ppo.minibatches', minibatches));
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
