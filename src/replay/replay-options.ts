/**
 * The options of {@link PrioritizedReplay}: one table ({@link REPLAY_OPTION_FIELDS}) gives each
 * option's check, default and whether a saved replay state must have been made with the same value,
 * so construction, restore checks and docs/replay.md cannot drift apart.
 *
 * Pure data and functions; nothing here holds state.
 */
import { describe, expectInteger, expectNumber, expectOneOf, expectOptions, expectedMessage, rejectUnknownKeys } from '../validate.js';

/** Construction options of {@link PrioritizedReplay}. */
export interface PrioritizedReplayOptions {
  /** Transitions held in total, a multiple of `numEnvs` (each lane gets capacity / numEnvs slots). */
  capacity: number;
  /** Number of VecEnv lanes N fed by each `addBatch`. */
  numEnvs: number;
  /** Height and width of one frame, e.g. [84, 84]. */
  frameShape: readonly [number, number];
  /** Frames per observation (the VecEnv's frame stack), 1–16. Default 4. */
  stack?: number;
  /** How an observation's frames before its episode's first frame are filled: copies of the first frame ('repeat', default) or zeros ('zero'). Must match the env. */
  startPadding?: 'repeat' | 'zero';
  /** n of the n-step return, 1–32. Default 3. */
  nStep?: number;
  /** Discount γ in [0, 1]. Default 0.99. */
  gamma?: number;
  /** Priority exponent α ≥ 0 (0 = uniform). Default 0.6. */
  alpha?: number;
  /** Initial importance-sampling exponent β in [0, 1]. Default 0.4. */
  beta?: number;
  /** β reached after `betaSteps` sample calls (linear annealing). Default 1. */
  betaFinal?: number;
  /** Number of `sample` calls over which β goes from `beta` to `betaFinal`; 0 keeps β fixed. Default 0. */
  betaSteps?: number;
  /** ε added to |TD error| so no stored transition gets priority 0. Default 1e-6. */
  epsilon?: number;
  /** Storage of returns: 'float32' (default) or 'float16' (half the bytes, ≈ 3 significant digits; rewards are rounded to it before summing). */
  scalarDtype?: 'float32' | 'float16';
  /** Seed of the sampling stream (integer in [0, 2^53 - 1]). Default 0. */
  seed?: number;
  /** Where sampling runs: 'cpu' (default) or 'cuda' (a GPU mirror of the tree; Error if no CUDA device). */
  device?: 'cpu' | 'cuda';
  /** Storage tuning: frames per storage chunk, a power of two (default: as many as fit in 1 GiB). */
  framesPerChunk?: number;
}

/** Every option with its default applied and checked (JSON-able: it is saved in replay states). */
export interface ResolvedReplayOptions {
  capacity: number;
  numEnvs: number;
  frameShape: [number, number];
  stack: number;
  startPadding: 'repeat' | 'zero';
  nStep: number;
  gamma: number;
  alpha: number;
  beta: number;
  betaFinal: number;
  betaSteps: number;
  epsilon: number;
  scalarDtype: 'float32' | 'float16';
  seed: number;
  device: 'cpu' | 'cuda';
  framesPerChunk: number;
}

type OptionName = keyof ResolvedReplayOptions;

/** One option: its check (given the options resolved before it), and whether a restore must match it. */
export interface ReplayOptionField {
  name: OptionName;
  /** Returns the resolved value of `value` (undefined = use the default) or throws the standard error. */
  resolve: (value: unknown, before: Partial<ResolvedReplayOptions>) => unknown;
  /**
   * 'match': a saved state restores only into a replay with the same value (it shapes the storage
   * or the draws). 'free': placement or storage tuning, may differ on restore.
   */
  restore: 'match' | 'free';
}

/** Frames are stored in chunks of at most this many bytes (one typed array holds at most 4 GiB). */
export const MAX_CHUNK_BYTES = 2 ** 30;
/** Largest n of the n-step returns. */
export const MAX_REPLAY_N_STEP = 32;
/** Largest capacity in transitions. */
export const MAX_REPLAY_CAPACITY = 2 ** 30;

const int = (min: number, max: number, def?: number) => (v: unknown, name: string) =>
  v === undefined && def !== undefined ? def : expectInteger(v, name, min, max);
const num = (min: number, max: number, def: number) => (v: unknown, name: string) => (v === undefined ? def : expectNumber(v, name, min, max));
const oneOf =
  <T extends string>(choices: readonly T[], def: T) =>
  (v: unknown, name: string) =>
    v === undefined ? def : expectOneOf(v, name, choices);

function frameShape(v: unknown): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw new TypeError(expectedMessage('an array [height, width]', 'frameShape', v));
  return [expectInteger(v[0], 'frameShape[0]', 1, 4096), expectInteger(v[1], 'frameShape[1]', 1, 4096)];
}

/** Each lane needs nStep + stack + 2 slots: the open windows, the stack behind them and a final frame. */
function capacity(v: unknown, o: Partial<ResolvedReplayOptions>): number {
  const lanes = o.numEnvs!;
  const c = expectInteger(v, 'capacity', lanes * (o.nStep! + o.stack! + 2), MAX_REPLAY_CAPACITY);
  if (c % lanes !== 0) throw new RangeError(expectedMessage(`a multiple of numEnvs (${lanes})`, 'capacity', v));
  return c;
}

function framesPerChunk(v: unknown, o: Partial<ResolvedReplayOptions>): number {
  const maxRows = Math.max(1, Math.floor(MAX_CHUNK_BYTES / (o.frameShape![0] * o.frameShape![1])));
  const rows = v === undefined ? 2 ** Math.floor(Math.log2(maxRows)) : expectInteger(v, 'framesPerChunk', 1, maxRows);
  if ((rows & (rows - 1)) !== 0) throw new RangeError(expectedMessage('a power of two', 'framesPerChunk', rows));
  return rows;
}

const field = (name: OptionName, restore: 'match' | 'free', check: (v: unknown, name: string) => unknown): ReplayOptionField => ({
  name,
  restore,
  resolve: (v) => check(v, name),
});

/** The options in checking order (capacity and framesPerChunk depend on those before them). */
export const REPLAY_OPTION_FIELDS: readonly ReplayOptionField[] = [
  field('numEnvs', 'match', int(1, 65536)),
  { name: 'frameShape', restore: 'match', resolve: frameShape },
  field('stack', 'match', int(1, 16, 4)),
  field('startPadding', 'match', oneOf(['repeat', 'zero'] as const, 'repeat')),
  field('nStep', 'match', int(1, MAX_REPLAY_N_STEP, 3)),
  field('gamma', 'match', num(0, 1, 0.99)),
  field('alpha', 'match', num(0, 16, 0.6)),
  field('beta', 'match', num(0, 1, 0.4)),
  field('betaFinal', 'match', num(0, 1, 1)),
  field('betaSteps', 'match', int(0, Number.MAX_SAFE_INTEGER, 0)),
  field('epsilon', 'match', num(Number.MIN_VALUE, 1, 1e-6)),
  field('scalarDtype', 'match', oneOf(['float32', 'float16'] as const, 'float32')),
  field('seed', 'match', int(0, Number.MAX_SAFE_INTEGER, 0)),
  field('device', 'free', oneOf(['cpu', 'cuda'] as const, 'cpu')),
  { name: 'capacity', restore: 'match', resolve: capacity },
  { name: 'framesPerChunk', restore: 'free', resolve: framesPerChunk },
];

const KNOWN_OPTIONS = REPLAY_OPTION_FIELDS.map((f) => f.name);

/** Checks `options` and applies the defaults. TypeError/RangeError naming the first bad option. */
export function resolveReplayOptions(options: unknown): ResolvedReplayOptions {
  const o = expectOptions<PrioritizedReplayOptions>(options, 'PrioritizedReplay options') as Record<string, unknown>;
  rejectUnknownKeys(o, 'PrioritizedReplay options', KNOWN_OPTIONS);
  const out: Partial<ResolvedReplayOptions> = {};
  for (const f of REPLAY_OPTION_FIELDS) (out as Record<string, unknown>)[f.name] = f.resolve(o[f.name], out);
  return out as ResolvedReplayOptions;
}

/**
 * Throws a RangeError naming the first 'match' option whose saved value differs from this
 * replay's (`Expected 4 (this replay's stack) for state.header.options.stack but received 2`).
 */
export function expectSameOptions(own: ResolvedReplayOptions, saved: Record<string, unknown>): void {
  for (const f of REPLAY_OPTION_FIELDS) {
    if (f.restore !== 'match') continue;
    const mine = own[f.name];
    const theirs = saved[f.name];
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
      throw new RangeError(expectedMessage(`${describeOption(mine)} (this replay's ${f.name})`, `state.header.options.${f.name}`, theirs));
    }
  }
}

function describeOption(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(', ')}]` : describe(v);
}
