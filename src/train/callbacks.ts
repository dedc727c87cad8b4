/**
 * Trainer callbacks: how a component reads a run's metrics and acts on it without a branch in the
 * training loops (in the spirit of Stable-Baselines3's callbacks). The loops call the hooks at fixed
 * points, in registration order:
 *
 *   onTrainStart → onEnvReset → ((onStep)* → onRolloutEnd → onUpdateEnd [→ onProbe] [→ onCheckpoint])* → onTrainEnd
 *
 * plus onEvaluation after every `Trainer.evaluate`. onStep runs after every training env step
 * (synchronously: it must be cheap). onProbe runs when the eval probes (probes.ts) have measured
 * the policy, right after the update they followed. PPO/A2C call onRolloutEnd after each rollout
 * (with `overlap`, the next rollout may already be under way while the learner trains); DQN, which
 * has no rollouts, calls it after every metrics row's worth of env steps, just before onUpdateEnd.
 *
 * Through the {@link CallbackContext} a hook can read the row and the episode window, act on the
 * training env between steps (its stages, start states, reward shaping: `ctx.env`), scale the
 * learning rate (`ctx.controls.lrScale`), set PPO's/A2C's entropy coefficient
 * (`ctx.controls.entCoef`, logged as `charts/ent_coef`), add values to the next metrics row
 * (`ctx.record`), and stop the run (`ctx.requestStop`). A callback with state to keep across a
 * resume implements `state`/`restore` (JSON, stored in the checkpoint header under the callback's
 * `name`) and, for binary data such as save states, `sections`/`restoreSections` (checkpoint
 * sections named `cb.<name>.<key>`). The controls themselves are not stored: a callback that
 * turns them sets them again from its restored state (e.g. in onTrainStart).
 *
 * Hooks run on the training loop's thread and may be async; the loop awaits them, so a slow hook
 * slows training. A hook that throws ends the run (after `latest` is written) with its error.
 */
import { type StepResult, type VecEnv } from '../env/vec-env.js';
import { type EpisodeWindow, type MetricsRow, type MetricsValue } from '../run/metrics.js';
import { type Learner } from '../runtime/learner.js';
import { expectInteger, expectNumber, expectOptions, rejectUnknownKeys } from '../validate.js';
import { type TrainerConfig } from './config.js';

/** Knobs a callback may turn; the loops read them at every update. */
export interface TrainingControls {
  /** Factor on the scheduled learning rate (≥ 0). Default 1. */
  lrScale: number;
  /**
   * PPO/A2C: the entropy coefficient of the next updates (finite, ≥ 0; the learner rejects other
   * values when it updates). Default undefined: the config's `ppo.entCoef` / `a2c.entCoef`.
   * DQN ignores it.
   */
  entCoef: number | undefined;
}

/** What a hook sees and may act on. */
export interface CallbackContext {
  /** The validated config (read-only). */
  readonly config: TrainerConfig;
  /** Agent steps so far. */
  readonly globalStep: number;
  /** Updates (DQN: iterations) so far. */
  readonly globalUpdate: number;
  /** The rolling episode statistics (`summary()` gives the `charts/*` values). */
  readonly window: EpisodeWindow;
  /** The training env: change its stages, start states or reward shaping between steps. */
  readonly env: VecEnv;
  /** Knobs read by the loop at each update. */
  readonly controls: TrainingControls;
  /**
   * The learner holding the current parameters (for acting on a separate env, as the eval probes
   * do). Idle during onUpdateEnd, onProbe and onCheckpoint; do not call it from onStep.
   */
  readonly learner: Learner;
  /** Ends the run after the current update (writes `latest`); `reason` goes into the summary. */
  requestStop(reason: string): void;
  /** Prints a warning through the Trainer's `onWarning` and `warning` event. */
  warn(message: string): void;
  /** Adds `key: value` to the next metrics row (and TensorBoard, when numeric); a later value for the same key wins. */
  record(key: string, value: MetricsValue): void;
  /** A TensorBoard histogram of `values` at the current step (no-op without TensorBoard or outside train()). */
  histogram(tag: string, values: ArrayLike<number>): void;
  /** Writes the current state as `checkpoints/<name>.ckpt` (e.g. 'best'); never pruned, never picked by resume. Returns the path. */
  saveCheckpoint(name: string): string;
  /** Hands a probe's result to every callback's onProbe (the eval probes call this). */
  probeDone(result: ProbeResult): Promise<void>;
}

/** One probed stage's measurements (a row of `RUN/evals.jsonl`). */
export interface ProbeStageResult {
  /** Stage name ('1-1'). */
  stage: string;
  /** Episodes run. */
  episodes: number;
  /** Share of episodes that reached the flag (or the castle's end). */
  flagRate: number;
  /** Mean / min / 10th / 50th percentile of the episodes' largest x. */
  maxXMean: number;
  maxXMin: number;
  maxXP10: number;
  maxXP50: number;
  /** Mean undiscounted return. */
  returnMean: number;
  /** Share of episodes that ended without the flag in their first `eval.earlySteps` agent steps. */
  earlyDeathRate: number;
  /** Where episodes that did not reach the flag ended: counts per `binWidth` px of x. */
  deathXHist: { binWidth: number; counts: number[] };
  /** The stage's length in px as far as measured: the largest x at which a probe episode reached the flag; 0 before any did. */
  length: number;
}

/** What the eval probes measured after one update. */
export interface ProbeResult {
  /** Agent steps when the probe ran. */
  globalStep: number;
  /** One entry per probed stage. */
  stages: ProbeStageResult[];
  /** The probe's score (mean flag rate over stages, ties broken by progress); `best.ckpt` keeps the best. */
  score: number;
}

/** A checkpoint was written. */
export interface CheckpointInfo {
  /** File path. */
  path: string;
  /** Agent steps at the checkpoint. */
  globalStep: number;
  /** 'periodic' (step-numbered, pruned by `checkpoint.keep`), 'latest', or 'named' (`ctx.saveCheckpoint(name)`, e.g. best.ckpt; never pruned, never picked by resume). */
  kind: 'periodic' | 'latest' | 'named';
}

/** Evaluation episodes' summary, as `Trainer.evaluate` returns it. */
export interface EvaluationInfo {
  /** Episodes run. */
  episodes: number;
  /** Mean return. */
  meanReturn: number;
  /** Share of episodes that reached the flag. */
  flagRate: number;
}

/** A Trainer callback; every hook is optional. */
export interface TrainerCallback {
  /** Unique name (checkpoint key of its state, messages). */
  readonly name: string;
  /** Before the first rollout of a `train()` call (after a resume). */
  onTrainStart?(ctx: CallbackContext): void | Promise<void>;
  /**
   * After the loop reset every lane of the training env (at the start of each `train()` call and
   * where a periodic checkpoint cuts the episodes): per-lane episode state starts over here.
   */
  onEnvReset?(ctx: CallbackContext): void;
  /**
   * After every training env step, with its result (synchronous; keep it cheap; copy what you
   * keep). A hook may add an intrinsic reward to `step.reward` in place (the exploration bonus
   * does): the loop stores the rewards after every hook ran.
   */
  onStep?(ctx: CallbackContext, step: StepResult): void;
  /** After a rollout was collected (DQN: after each row's worth of env steps). */
  onRolloutEnd?(ctx: CallbackContext): void | Promise<void>;
  /** After an update's metrics row was written. */
  onUpdateEnd?(ctx: CallbackContext, row: MetricsRow): void | Promise<void>;
  /** After a checkpoint was written. */
  onCheckpoint?(ctx: CallbackContext, info: CheckpointInfo): void | Promise<void>;
  /** After the eval probes measured the policy (see {@link ProbeResult}). */
  onProbe?(ctx: CallbackContext, result: ProbeResult): void | Promise<void>;
  /** After `Trainer.evaluate` (outside training too). */
  onEvaluation?(ctx: CallbackContext, result: EvaluationInfo): void | Promise<void>;
  /** After the loop ended and `latest` was written. */
  onTrainEnd?(ctx: CallbackContext): void | Promise<void>;
  /** JSON-able state to keep across a resume (stored in every checkpoint; undefined = nothing to keep). */
  state?(): unknown;
  /** Restores what `state` returned, when a checkpoint is loaded. */
  restore?(state: unknown): void;
  /** Binary state to keep across a resume, by key (stored as checkpoint sections `cb.<name>.<key>`). */
  sections?(): Record<string, Uint8Array>;
  /** Restores what `sections` returned (called after `restore`, with an empty object when the checkpoint had none). */
  restoreSections?(sections: Record<string, Uint8Array>): void;
}

type Hook = 'onTrainStart' | 'onRolloutEnd' | 'onUpdateEnd' | 'onProbe' | 'onCheckpoint' | 'onEvaluation' | 'onTrainEnd';

/** The Trainer's registered callbacks, called in order. */
export class CallbackList {
  readonly #callbacks: TrainerCallback[] = [];

  /** Adds a callback; its name must be unique. */
  add(callback: TrainerCallback): void {
    if (callback === null || typeof callback !== 'object' || typeof callback.name !== 'string' || callback.name === '') {
      throw new TypeError(
        'Expected a callback object with a non-empty string name for callback but received ' + (callback === null ? 'null' : typeof callback),
      );
    }
    if (this.#callbacks.some((c) => c.name === callback.name))
      throw new RangeError(`Expected a unique name for callback but received '${callback.name}' twice`);
    this.#callbacks.push(callback);
  }

  /** How many are registered. */
  get size(): number {
    return this.#callbacks.length;
  }

  /** Calls `hook` on each callback that has it, in order, awaiting each. */
  async call<H extends Hook>(
    hook: H,
    ctx: CallbackContext,
    ...args: Parameters<NonNullable<TrainerCallback[H]>> extends [CallbackContext, ...infer R] ? R : never
  ): Promise<void> {
    for (const c of this.#callbacks) {
      const fn = c[hook] as ((ctx: CallbackContext, ...rest: unknown[]) => void | Promise<void>) | undefined;
      if (fn) await fn.call(c, ctx, ...args);
    }
  }

  /** Each stateful callback's state by name (for checkpoints). */
  states(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const c of this.#callbacks) {
      const state = c.state?.();
      if (state !== undefined) out[c.name] = state;
    }
    return out;
  }

  /** True when some callback has an onStep hook (the loops skip the call otherwise). */
  get hasStepHooks(): boolean {
    return this.#callbacks.some((c) => c.onStep);
  }

  /** Calls every onEnvReset hook (synchronously). */
  envReset(ctx: CallbackContext): void {
    for (const c of this.#callbacks) c.onEnvReset?.(ctx);
  }

  /** Calls every onStep hook (synchronously). */
  step(ctx: CallbackContext, result: StepResult): void {
    for (const c of this.#callbacks) c.onStep?.(ctx, result);
  }

  /** Every callback's binary sections, named `cb.<name>.<key>` (for checkpoints). */
  sections(): Record<string, Uint8Array> {
    const out: Record<string, Uint8Array> = {};
    for (const c of this.#callbacks) {
      if (!c.sections) continue;
      for (const [key, bytes] of Object.entries(c.sections())) out[`cb.${c.name}.${key}`] = bytes;
    }
    return out;
  }

  /**
   * Hands each callback its stored state and sections; a registered stateful callback missing
   * from `states` is warned about.
   */
  restore(states: Record<string, unknown>, sections: Record<string, Uint8Array>, warn: (message: string) => void): void {
    for (const c of this.#callbacks) {
      if (c.restore) {
        if (Object.hasOwn(states, c.name)) c.restore(states[c.name]);
        else if (c.state?.() !== undefined) warn(`callback '${c.name}' has no state in the checkpoint; it starts fresh`);
      }
      if (c.restoreSections) {
        const prefix = `cb.${c.name}.`;
        const mine: Record<string, Uint8Array> = {};
        for (const [k, v] of Object.entries(sections)) if (k.startsWith(prefix)) mine[k.slice(prefix.length)] = v;
        c.restoreSections(mine);
      }
    }
  }
}

/** Options of {@link EarlyStop}. */
export interface EarlyStopOptions {
  /** Stop once the rolling flag rate (`charts/flag_rate`) reaches this share, in (0, 1]. */
  flagRate: number;
  /** Episodes the rolling window must hold first (≥ 1). Default 20. */
  minEpisodes?: number;
}

/**
 * Ends training once the agent reaches the flag often enough: after each update, when the rolling
 * window holds at least `minEpisodes` episodes and their flag rate is ≥ `flagRate`. Also set by the
 * config (`earlyStop.flagRate`, `--early-stop.flag-rate`).
 */
export class EarlyStop implements TrainerCallback {
  readonly name = 'earlyStop';
  readonly flagRate: number;
  readonly minEpisodes: number;

  constructor(options: EarlyStopOptions) {
    const o = expectOptions<EarlyStopOptions>(options, 'EarlyStop options');
    rejectUnknownKeys(o, 'EarlyStop options', ['flagRate', 'minEpisodes']);
    this.flagRate = expectNumber(o.flagRate, 'flagRate', Number.MIN_VALUE, 1);
    this.minEpisodes = o.minEpisodes === undefined ? 20 : expectInteger(o.minEpisodes, 'minEpisodes', 1, 1_000_000);
  }

  onUpdateEnd(ctx: CallbackContext): void {
    const s = ctx.window.summary();
    const episodes = (s['charts/episodes'] as number | undefined) ?? 0;
    const rate = s['charts/flag_rate'] as number | undefined;
    if (episodes >= this.minEpisodes && rate !== undefined && rate >= this.flagRate) {
      ctx.requestStop(`flag rate ${rate.toFixed(3)} over the last ${episodes} episodes reached earlyStop.flagRate ${this.flagRate}`);
    }
  }
}
