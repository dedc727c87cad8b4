/**
 * Training hints: the failure modes we have met, recognised in the metrics rows and said once,
 * with the fix. After each row ({@link TrainingHints.onUpdateEnd}) every rule in {@link HINT_RULES}
 * looks at the row (and the episode window, the config); a rule whose condition holds for its
 * number of consecutive rows, after {@link HINT_WARMUP_ROWS}, fires: one line through `ctx.warn`
 * and one JSON row in `RUN/hints.jsonl` (`global_step`, `update`, `code`, `message`, the measured
 * values). A rule fires once per run: which fired, the row count and the streaks are the
 * callback's `state()`, kept in every checkpoint, so a resumed run does not repeat them.
 *
 * Rules that read PPO/A2C losses apply only to rows that have those keys (DQN rows have
 * `losses/td_loss` instead). The Trainer registers one instance when `hints.enabled` (default).
 *
 * Threading: a callback, run on the training loop's thread; one instance per Trainer (its state is
 * that run's).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import { type MetricsRow } from '../run/metrics.js';
import { appendRunFile } from '../run/run-dir.js';
import { runPaths } from '../run/run-logger.js';
import { expectedMessage, expectInteger, expectOptions, rejectUnknownKeys } from '../validate.js';
import { type CallbackContext, type TrainerCallback } from './callbacks.js';
import { type TrainerConfig } from './config.js';
import { estimateCpuStepsPerSecond } from './cpu-speed.js';
import { numActions, trainSpecFor } from './env-options.js';

// ---- thresholds (docs/training.md, "Hints")

/** Rows a run writes before any hint looks: the first updates are noisy by nature (an untrained value head, few episodes). */
export const HINT_WARMUP_ROWS = 10;
/** value-swamps-policy: vfCoef · value_loss at least this many times |policy_loss|… */
export const SWAMP_RATIO = 50;
/** …with value_loss at least this large (healthy runs sit near 1–4: docs/results.md, γ 0.9; the γ 0.99 failure had 10–55)… */
export const SWAMP_MIN_VALUE_LOSS = 10;
/** …for this many rows in a row. */
export const SWAMP_ROWS = 5;
/** entropy-collapse: losses/entropy below this share of its maximum, ln(number of actions)… */
export const ENTROPY_COLLAPSE_SHARE = 0.1;
/** …while the window's flag rate is below this (a policy that clears the stage may well be nearly deterministic)… */
export const ENTROPY_COLLAPSE_MAX_FLAG_RATE = 0.1;
/** …for this many rows in a row. */
export const ENTROPY_COLLAPSE_ROWS = 5;
/**
 * explained-variance: losses/explained_variance at most this (0, with a margin: a value head that
 * learns nothing reads 0.000–0.002, measured on the built-in game with rewards × 10 and γ 0.99)…
 */
export const EXPLAINED_VARIANCE_MAX = 0.01;
/** …for this many rows in a row. */
export const EXPLAINED_VARIANCE_ROWS = 20;
/** reward-always-zero: at least this many episodes in the window, every one with return 0. */
export const ZERO_REWARD_MIN_EPISODES = 20;
/** start-states-empty: start_states/share > 0 with start_states/queue_len 0 for this many rows in a row. */
export const START_STATES_EMPTY_ROWS = 3;
/** cpu-slow: charts/SPS below this share of the CPU estimate (src/train/cpu-speed.ts; measured speeds are 0.8–2× it)… */
export const CPU_SLOW_SHARE = 0.25;
/** …once this `train()` call has written this many rows… */
export const CPU_SLOW_WARMUP_ROWS = 5;
/** …and run this many seconds (charts/SPS counts from the call's start, learner start-up included). */
export const CPU_SLOW_WARMUP_SECONDS = 30;

/** The hints, by stable code. */
export const HINT_CODES = ['value-swamps-policy', 'entropy-collapse', 'explained-variance', 'reward-always-zero', 'start-states-empty', 'cpu-slow'] as const;
/** A hint's stable code. */
export type HintCode = (typeof HINT_CODES)[number];

/** Measured values a hint reports (they go into its hints.jsonl row). */
export type HintValues = Record<string, number | string | null>;

/** A hint that fired: its row in hints.jsonl. */
export interface Hint {
  /** The row's agent step. */
  global_step: number;
  /** The row's update. */
  update: number;
  /** Stable code. */
  code: HintCode;
  /** What was seen, with the numbers, and the fix. */
  message: string;
  /** Measured values. */
  [value: string]: number | string | null;
}

/** What a rule looks at. */
export interface HintInput {
  /** The metrics row just written. */
  row: MetricsRow;
  /** The callback context (config, window). */
  ctx: CallbackContext;
  /** Rows written by this `train()` call, this one included. */
  callRows: number;
  /** Agent steps/s the run should reach at least on this machine, or undefined (no cpu-slow hint). */
  expectedStepsPerSecond: () => number | undefined;
  /** Codes that fired before (a message may refer to another hint). */
  fired: ReadonlySet<HintCode>;
}

/** One failure mode. */
export interface HintRule {
  /** Stable code. */
  code: HintCode;
  /** Consecutive rows the condition must hold. */
  rows: number;
  /** The measured values when this row shows the failure, undefined when it does not (or does not apply). */
  check(input: HintInput): HintValues | undefined;
  /** What was seen and the fix, from the values of the row that fires it and the streak length. */
  message(values: HintValues, input: HintInput, streak: number): string;
}

const num = (row: MetricsRow, key: string): number | undefined => {
  const v = row[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

/** Three significant digits; whole numbers from 1000 on, powers of ten from a million (2.47e8). */
const fmt = (x: number): string => {
  if (Math.abs(x) >= 1e6) return x.toExponential(2).replace('e+', 'e');
  return Math.abs(x) >= 1000 ? String(Math.round(x)) : String(Number(x.toPrecision(3)));
};
const pct = (x: number): string => `${fmt(x * 100)}%`;
/** Rounds down to one significant digit (0.0347 → 0.03). */
const roundDown1 = (x: number): number => {
  const p = 10 ** Math.floor(Math.log10(x));
  return Number((Math.floor(x / p) * p).toPrecision(1));
};
const rowsText = (n: number) => `${n} row${n === 1 ? '' : 's'} in a row`;

/** The on-policy section of the config, or undefined for DQN. */
const onPolicy = (c: TrainerConfig) => (c.algo === 'ppo' ? c.ppo : c.algo === 'a2c' ? c.a2c : undefined);

/** The rules, in the order they are checked. */
export const HINT_RULES: readonly HintRule[] = [
  {
    code: 'value-swamps-policy',
    rows: SWAMP_ROWS,
    check: ({ row, ctx }) => {
      const a = onPolicy(ctx.config);
      const valueLoss = num(row, 'losses/value_loss');
      const policyLoss = num(row, 'losses/policy_loss');
      if (!a || valueLoss === undefined || policyLoss === undefined || a.maxGradNorm <= 0) return undefined;
      const weighted = a.vfCoef * valueLoss;
      const ratio = weighted / Math.max(Math.abs(policyLoss), 1e-12);
      if (valueLoss < SWAMP_MIN_VALUE_LOSS || ratio <= SWAMP_RATIO) return undefined;
      return {
        value_loss: valueLoss,
        policy_loss: policyLoss,
        vf_coef: a.vfCoef,
        ratio,
        max_grad_norm: a.maxGradNorm,
        gamma: a.gamma,
        reward_scale: ctx.config.env.rewardScale,
      };
    },
    message: (v, { ctx }, streak) => {
      const algo = ctx.config.algo;
      const gamma = v.gamma as number;
      const scale = v.reward_scale as number;
      const suggested = roundDown1(scale / Math.sqrt(v.value_loss as number)); // the value loss scales with rewardScale²
      const fixes = [
        ...(gamma > 0.9 ? [`lower γ (${algo}.gamma ${gamma} → 0.9)`] : []),
        `scale the rewards down (env.rewardScale ${scale} → ${suggested}; the value loss scales with its square)`,
        `or lower ${algo}.vfCoef (now ${v.vf_coef})`,
      ];
      return (
        `${algo}.vfCoef × losses/value_loss = ${v.vf_coef} × ${fmt(v.value_loss as number)} is ${fmt(v.ratio as number)}× ` +
        `|losses/policy_loss| ${fmt(Math.abs(v.policy_loss as number))} for ${rowsText(streak)}: under the gradient-norm clip ` +
        `(${algo}.maxGradNorm ${v.max_grad_norm}) the value gradient takes the whole norm budget and the policy gradient is scaled ` +
        `to almost nothing. Fix: keep value targets near unit scale: ${fixes.join(', ')}. docs/results.md: SMB 1-1 with γ 0.99 ` +
        'had a value loss of 10–55 and no flag after 2 hours; with γ 0.9 (value loss 1–4) the same run cleared it.'
      );
    },
  },
  {
    code: 'entropy-collapse',
    rows: ENTROPY_COLLAPSE_ROWS,
    check: ({ row, ctx }) => {
      const a = onPolicy(ctx.config);
      const entropy = num(row, 'losses/entropy');
      if (!a || entropy === undefined) return undefined;
      const maxEntropy = Math.log(numActions(ctx.config.env));
      const flagRate = num(row, 'charts/flag_rate') ?? 0;
      if (maxEntropy <= 0 || entropy >= ENTROPY_COLLAPSE_SHARE * maxEntropy || flagRate >= ENTROPY_COLLAPSE_MAX_FLAG_RATE) return undefined;
      return {
        entropy,
        max_entropy: maxEntropy,
        share: entropy / maxEntropy,
        flag_rate: flagRate,
        ent_coef: a.entCoef,
        learning_rate: num(row, 'charts/learning_rate') ?? null,
      };
    },
    message: (v, { ctx, fired }, streak) => {
      const algo = ctx.config.algo;
      const lr = v.learning_rate === null ? '' : `, now ${fmt(v.learning_rate as number)}`;
      return (
        `losses/entropy ${fmt(v.entropy as number)} is ${pct(v.share as number)} of its maximum ln(${numActions(ctx.config.env)}) = ` +
        `${fmt(v.max_entropy as number)} while the window's flag rate is ${pct(v.flag_rate as number)}, for ${rowsText(streak)}: ` +
        `the policy stopped exploring before it learned the stage. Fix: raise ${algo}.entCoef (now ${v.ent_coef}; try 2–5× that) ` +
        `or lower the learning rate (${algo}.learningRate${lr}).` +
        (fired.has('value-swamps-policy')
          ? ' value-swamps-policy fired too: fix that first (on the built-in game an oversized value loss collapsed the entropy whatever entCoef was, docs/training.md).'
          : '')
      );
    },
  },
  {
    code: 'explained-variance',
    rows: EXPLAINED_VARIANCE_ROWS,
    check: ({ row, ctx }) => {
      const a = onPolicy(ctx.config);
      const ev = num(row, 'losses/explained_variance');
      if (!a || ev === undefined || ev > EXPLAINED_VARIANCE_MAX) return undefined;
      return {
        explained_variance: ev,
        value_loss: num(row, 'losses/value_loss') ?? null,
        reward_scale: ctx.config.env.rewardScale,
        gamma: a.gamma,
        learning_rate: num(row, 'charts/learning_rate') ?? null,
      };
    },
    message: (v, { ctx }, streak) => {
      const algo = ctx.config.algo;
      const valueLoss = v.value_loss === null ? '' : `; losses/value_loss is ${fmt(v.value_loss as number)}`;
      const lr = v.learning_rate === null ? '' : ` (now ${fmt(v.learning_rate as number)})`;
      return (
        `losses/explained_variance has been ≤ ${EXPLAINED_VARIANCE_MAX} for ${rowsText(streak)} (now ${fmt(v.explained_variance as number)}): the value head ` +
        `predicts returns no better than their mean, so the advantages are mostly noise. Fix: keep value targets near unit scale ` +
        `(env.rewardScale, now ${v.reward_scale}${valueLoss}), try another learning rate (${algo}.learningRate${lr}), or a lower γ ` +
        `(${algo}.gamma, now ${v.gamma}).`
      );
    },
  },
  {
    code: 'reward-always-zero',
    rows: 1,
    check: ({ row, ctx }) => {
      const range = ctx.window.returnRange();
      const episodes = ctx.window.count;
      if (!range || episodes < ZERO_REWARD_MIN_EPISODES || range.min !== 0 || range.max !== 0) return undefined;
      return { episodes, episodic_length: num(row, 'charts/episodic_length') ?? null };
    },
    message: (v, { ctx }) => {
      const e = ctx.config.env;
      const length = v.episodic_length === null ? '' : ` (mean length ${fmt(v.episodic_length as number)} agent steps)`;
      const reward = e.game !== 'runner' ? `env.reward ('${e.reward}')` : `the game's reward (the built-in game's is fixed)`;
      return (
        `all ${v.episodes} episodes in the window returned exactly 0${length}: the learner gets no signal. Fix: check ${reward}, ` +
        `that the action set (env.actions '${e.actions}') moves the player, and that the game starts (a ROM or start state ` +
        'stuck before play, e.g. on a title screen, gives no reward).'
      );
    },
  },
  {
    code: 'start-states-empty',
    rows: START_STATES_EMPTY_ROWS,
    check: ({ row }) => {
      const share = num(row, 'start_states/share');
      const queue = num(row, 'start_states/queue_len');
      if (share === undefined || queue === undefined || share <= 0 || queue !== 0) return undefined;
      return { share, queue_len: queue };
    },
    message: (v, _input, streak) =>
      `start_states/share is ${fmt(v.share as number)} but start_states/queue_len has been 0 for ${rowsText(streak)}: the ` +
      'start-state queue ran dry, so episodes meant to start from saved states start from the beginning of the stage. Fix: fill ' +
      'the queue faster than episodes drain it (more states, or more often), or lower the share of episodes that start from it.',
  },
  {
    code: 'cpu-slow',
    rows: 1,
    check: ({ row, callRows, expectedStepsPerSecond }) => {
      const sps = num(row, 'charts/SPS');
      const elapsed = num(row, 'time/elapsed_s');
      if (sps === undefined || elapsed === undefined || callRows < CPU_SLOW_WARMUP_ROWS || elapsed < CPU_SLOW_WARMUP_SECONDS) return undefined;
      const expected = expectedStepsPerSecond();
      if (expected === undefined || !(expected > 0) || sps >= CPU_SLOW_SHARE * expected) return undefined;
      return { sps, expected_sps: expected, share: sps / expected, elapsed_s: elapsed };
    },
    message: (v, { ctx }) => {
      const c = ctx.config;
      const a = onPolicy(c);
      const small = a
        ? `collect larger rollouts (${c.algo}.numEnvs × ${c.algo}.numSteps = ${a.numEnvs * a.numSteps} agent steps per update; per-call overhead dominates small ones)`
        : `train less often per agent step (dqn.trainFrequency ${c.dqn.trainFrequency}, dqn.batchSize ${c.dqn.batchSize})`;
      return (
        `charts/SPS is ${fmt(v.sps as number)} agent steps/s after ${fmt(v.elapsed_s as number)} s, ${pct(v.share as number)} of the ` +
        `≈ ${fmt(v.expected_sps as number)} expected for the ${c.network} network on a 2-core CPU (src/train/cpu-speed.ts). Fix: free ` +
        `the cores (another process is using them: check the load average), set threads to the cores this machine has (now ` +
        `${c.threads}), or ${small}; docs/benchmarks.md has measured speeds.`
      );
    },
  },
];

/** Options of {@link TrainingHints}. */
export interface TrainingHintsOptions {
  /** Where hint rows go. Default: `hints.jsonl` in the run directory (`runPaths(config.runDir).hints`). */
  file?: string;
  /**
   * Agent steps/s the run should reach at least on this machine (cpu-slow compares charts/SPS with
   * {@link CPU_SLOW_SHARE} of it); undefined means no cpu-slow hint. Default: the 2-core CPU
   * estimate of `estimateCpuStepsPerSecond` when `config.device` is 'cpu', else undefined. The
   * Trainer passes the estimate whenever its learner runs on the CPU ('auto' included).
   */
  expectedStepsPerSecond?: (config: TrainerConfig) => number | undefined;
}

/** What {@link TrainingHints.state} returns. */
export interface TrainingHintsState {
  /** Rows seen over the run. */
  rows: number;
  /** Codes that fired. */
  fired: HintCode[];
  /** Current run of consecutive rows showing each failure. */
  streaks: Partial<Record<HintCode, number>>;
}

/** The default expectation: the CPU estimate for a run configured for the CPU. */
function cpuExpectation(config: TrainerConfig): number | undefined {
  return config.device === 'cpu' ? estimateCpuStepsPerSecond(config, trainSpecFor(config).model) : undefined;
}

/**
 * Says each failure mode of {@link HINT_RULES} once, with its fix (docs/training.md, "Hints"). The
 * Trainer adds one when `hints.enabled`; `name` is 'hints'.
 */
export class TrainingHints implements TrainerCallback {
  readonly name = 'hints';
  readonly #file: string | undefined;
  readonly #expected: (config: TrainerConfig) => number | undefined;
  #rows = 0;
  #callRows = 0;
  #fired = new Set<HintCode>();
  #streaks = new Map<HintCode, number>();
  #hints: Hint[] = [];

  constructor(options: TrainingHintsOptions = {}) {
    const o = expectOptions<TrainingHintsOptions>(options, 'TrainingHints options');
    rejectUnknownKeys(o, 'TrainingHints options', ['file', 'expectedStepsPerSecond']);
    if (o.file !== undefined && (typeof o.file !== 'string' || o.file === '')) throw new TypeError(expectedMessage('a non-empty path', 'file', o.file));
    if (o.expectedStepsPerSecond !== undefined && typeof o.expectedStepsPerSecond !== 'function')
      throw new TypeError(expectedMessage('a function', 'expectedStepsPerSecond', o.expectedStepsPerSecond));
    this.#file = o.file;
    this.#expected = o.expectedStepsPerSecond ?? cpuExpectation;
  }

  /** Hints fired by this object (not those restored from a checkpoint), oldest first. */
  get hints(): readonly Hint[] {
    return this.#hints;
  }

  /** Codes that fired over the run (restored ones included). */
  get fired(): ReadonlySet<HintCode> {
    return this.#fired;
  }

  onTrainStart(): void {
    this.#callRows = 0; // charts/SPS restarts with each train() call
  }

  onUpdateEnd(ctx: CallbackContext, row: MetricsRow): void {
    this.#rows++;
    this.#callRows++;
    const input: HintInput = {
      row,
      ctx,
      callRows: this.#callRows,
      expectedStepsPerSecond: () => this.#expected(ctx.config),
      fired: this.#fired,
    };
    for (const rule of HINT_RULES) {
      if (this.#fired.has(rule.code)) continue;
      const values = rule.check(input);
      const streak = values ? (this.#streaks.get(rule.code) ?? 0) + 1 : 0;
      if (streak === 0) this.#streaks.delete(rule.code);
      else this.#streaks.set(rule.code, streak);
      if (!values || streak < rule.rows || this.#rows < HINT_WARMUP_ROWS) continue;
      this.#fire(ctx, row, rule, values, rule.message(values, input, streak));
    }
  }

  #fire(ctx: CallbackContext, row: MetricsRow, rule: HintRule, values: HintValues, message: string): void {
    this.#fired.add(rule.code);
    this.#streaks.delete(rule.code);
    const hint: Hint = {
      global_step: typeof row.global_step === 'number' ? row.global_step : ctx.globalStep,
      update: typeof row.update === 'number' ? row.update : ctx.globalUpdate,
      code: rule.code,
      message,
      ...values,
    };
    this.#hints.push(hint);
    ctx.warn(`hint ${rule.code}: ${message}`);
    const file = this.#file ?? runPaths(ctx.config.runDir).hints;
    mkdirSync(dirname(file), { recursive: true });
    // JSON has no NaN: non-finite numbers become null, as in metrics.jsonl.
    appendRunFile(file, `${JSON.stringify(hint, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x))}\n`);
  }

  state(): TrainingHintsState {
    return { rows: this.#rows, fired: [...this.#fired], streaks: Object.fromEntries(this.#streaks) };
  }

  restore(state: unknown): void {
    const s = expectOptions<TrainingHintsState>(state, 'hints state');
    const rows = expectInteger(s.rows, 'hints state rows', 0, Number.MAX_SAFE_INTEGER);
    if (!Array.isArray(s.fired)) throw new TypeError(expectedMessage('an array of hint codes', 'hints state fired', s.fired));
    const streaks = expectOptions<Record<string, number>>(s.streaks, 'hints state streaks');
    const known = (code: unknown): code is HintCode => (HINT_CODES as readonly unknown[]).includes(code);
    this.#rows = rows;
    // Codes a later version no longer has are dropped rather than refused: a hint is advice.
    this.#fired = new Set(s.fired.filter(known));
    this.#streaks = new Map();
    for (const [code, n] of Object.entries(streaks))
      if (known(code)) this.#streaks.set(code, expectInteger(n, `hints state streaks.${code}`, 0, Number.MAX_SAFE_INTEGER));
  }
}
