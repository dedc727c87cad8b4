/**
 * The Trainer: PPO (default), A2C and DQN on a VecEnv with the learner's ONNX graphs. This file is
 * the public class: it validates the config once, builds the learner, env, run files and callbacks
 * for a `train()` call, hands them to one loop per algorithm family —
 *
 *   on-policy.ts   PPO, A2C: rollout → GAE → fused update (cleanrl's ppo_atari.py shape)
 *   off-policy.ts  DQN: act → replay → train step → target update (cleanrl's dqn_atari.py shape)
 *
 * — and writes `latest` when the loop ends. Evaluation and recording live in evaluation.ts; a warm
 * start (`initFrom`: another run's weights only) in warm-start.ts.
 *
 * Everything random is seeded from `config.seed` (action sampling and minibatch shuffles on our
 * own `Rng` streams, env resets from the seed and the update count), so the same config, seed and
 * thread counts give identical metrics rows on the CPU, with overlap on or off.
 *
 * Exact resume: a periodic checkpoint ends every lane's episode (the envs are reset with a seed
 * derived from the update count; episodes cut there are not counted in the episode window, and
 * their last transition was already bootstrapped as at any rollout end). A run resumed from a
 * periodic checkpoint therefore writes the same metrics rows as the uninterrupted run (DQN: with
 * `checkpoint.includeReplay`, which stores the replay buffer). `latest` written on a signal or at
 * `maxWallTime` resumes the same way, but the uninterrupted run would not have reset its envs
 * there, so that continuation is statistically, not bit-for-bit, equal.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { type LearnerSideOptions, learnerOptions, type Resolved } from '../distributed/options.js';
import { VecEnv } from '../env/vec-env.js';
import { type AtomicWriteHooks } from '../run/atomic-file.js';
import { type Checkpoint, type CheckpointHeader, CheckpointStore } from '../run/checkpoint-store.js';
import { type MetricsRow, type MetricsValue, PhaseTimer } from '../run/metrics.js';
import { clearRun, dropRowsAfter, existingRun, existingRunError, prepareRunDir } from '../run/run-dir.js';
import { RunLogger, runPaths } from '../run/run-logger.js';
import { ShutdownController } from '../run/signals.js';
import { Learner } from '../runtime/learner.js';
import { type TrainSpec } from '../runtime/train-graph.js';
import { expectBoolean, expectInteger, expectNumber, expectOptions, rejectUnknownKeys } from '../validate.js';
import {
  type CallbackContext,
  CallbackList,
  type CheckpointInfo,
  EarlyStop,
  type ProbeResult,
  type TrainerCallback,
  type TrainingControls,
} from './callbacks.js';
import { type DerivedSizes, type TrainerConfig, type TrainerConfigInput, deriveSizes, validateConfig } from './config.js';
import { cpuSpeedWarning, estimateCpuStepsPerSecond } from './cpu-speed.js';
import { AdaptiveSchedules } from './adaptive.js';
import { Curriculum } from './curriculum.js';
import { checkEnvConfig, checkStageConfig, numActions, rewardShapingAfter, runStages, trainSpecFor, vecEnvOptions } from './env-options.js';
import { EpisodeBreakdown } from './episode-breakdown.js';
import {
  type EvaluateOptions,
  type EvaluateResult,
  type RecordedEpisode,
  type RecordEpisodeOptions,
  type StateEvaluation,
  type StatesEvaluateOptions,
  evaluateOptions,
  evaluateFromStates,
  evaluatePolicy,
  pickActions,
  recordOptions,
  recordPolicyEpisode,
  statesEvaluateOptions,
} from './evaluation.js';
import { TrainingHints } from './hints.js';
import { checkDistributedConfig, trainDistributed } from './distributed-learner.js';
import { trainOffPolicy } from './off-policy.js';
import { trainOnPolicy } from './on-policy.js';
import { machineInfo } from './machine.js';
import { EvalProbes } from './probes.js';
import { type EpisodeEvent, type ExtraSections, type TrainingRun, TrainingState } from './run-context.js';
import { scheduleValue } from './schedule.js';
import { parseStageList } from './stages.js';
import { ExplorationBonus } from './novelty.js';
import { StartStateQueue } from './start-states.js';
import { checkInitFrom, type InitSource, loadInitFrom } from './warm-start.js';

export { EVAL_EPSILON } from './evaluation.js';
export type { EvaluateOptions, EvaluateResult, RecordedEpisode, RecordEpisodeOptions, StateEvaluation, StatesEvaluateOptions } from './evaluation.js';
export type { EpisodeEvent } from './run-context.js';
export { vecEnvOptions } from './env-options.js';

/** Layout version of the Trainer's checkpoint content (header fields and sections). */
export const TRAINER_CHECKPOINT_FORMAT = 1;

/** Options of `new Trainer(config, options)` that are not part of the (JSON) config. */
export interface TrainerOptions {
  /** Receives warnings (CPU fallback, skipped checkpoints). Default: `console.warn` with a `mario-rl:` prefix. */
  onWarning?: (message: string) => void;
  /** Install SIGINT/SIGTERM handlers during `train()` that finish the update and write `latest`. Default true. */
  handleSignals?: boolean;
  /** ROM bytes for `env.game: 'smb1'` (instead of reading `env.rom` / $MARIO_ROM). */
  rom?: Uint8Array;
  /** Callbacks called by the training loops (see {@link TrainerCallback}); more with `addCallback`. */
  callbacks?: TrainerCallback[];
  /**
   * Train as the learner of a distributed run (PPO, A2C): actors on other machines
   * (`mario-rl actor --broker …`) collect the rollouts and this Trainer learns from them through a
   * NATS JetStream broker (docs/distributed.md). `broker` is required; the other fields are in
   * {@link LearnerSideOptions}. Not part of the JSON config: the URL may carry credentials.
   */
  distributed?: Partial<LearnerSideOptions> & { broker: string };
  /**
   * Test hooks of the checkpoint writes (e.g. a pause between writing a checkpoint and renaming it
   * into place, to aim a `kill -9` at that window: scripts/fault-loop.ts). Production code passes none.
   */
  checkpointHooks?: AtomicWriteHooks;
}

/** Options of {@link Trainer.train}; each overrides the config field of the same name. */
export interface TrainOptions {
  /** Agent steps of the whole run (all lanes; counted from step 0, so a resumed run stops at the same place). */
  totalSteps?: number;
  /** Wall-clock limit of this call in seconds (0 = none): writes `latest` and returns. */
  maxWallTime?: number;
  /**
   * Start a fresh run even though `runDir` holds another run: that run's files (config, jsonl logs,
   * tensorboard/, checkpoints/, media/) are deleted first. Without it a fresh run refuses such a
   * directory. A per-call option, not a config field, so a saved config.json never deletes a run
   * when it is used again (CLI: `--overwrite`). Default false.
   */
  overwrite?: boolean;
}

/** What {@link Trainer.train} returns. */
export interface TrainSummary {
  /** Agent steps so far (all lanes, including steps before a resume). */
  globalStep: number;
  /** Updates so far. */
  globalUpdate: number;
  /** Updates done by this call. */
  updates: number;
  /** Why the loop ended: 'done', 'maxWallTime', 'callback' (see `stopMessage`) or the signal's name. */
  stopReason: string;
  /** What a callback said when it stopped the run (stopReason 'callback'). */
  stopMessage?: string;
  /** Wall seconds of this call. */
  seconds: number;
  /** Agent steps per second of this call. */
  sps: number;
  /** The last metrics row (undefined when no update ran). */
  lastRow?: MetricsRow;
  /**
   * Path of the `latest` checkpoint written at the end; when no update ran and a `latest` existed,
   * none is written (nothing was trained) and this is the checkpoint the state came from.
   */
  latestCheckpoint: string;
  /** Checkpoint the run resumed from, if any. */
  resumedFrom?: string;
  /** Checkpoint whose network weights the run started from (config `initFrom`; also after resuming such a run). */
  initializedFrom?: string;
}

/** The Trainer's events and their arguments (`trainer.on('update', (row) => …)`). */
export interface TrainerEvents {
  /** A metrics row was written (after each update; DQN: each row). */
  update: [row: MetricsRow];
  /** A training episode finished. */
  episode: [episode: EpisodeEvent];
  /** A checkpoint was written. */
  checkpoint: [info: CheckpointInfo];
  /** A warning (also passed to `onWarning`). */
  warning: [message: string];
}

/**
 * Trains a policy on a VecEnv. Events ({@link TrainerEvents}): `update` (the metrics row),
 * `episode`, `checkpoint` ({ path, globalStep, kind }), `warning` (message).
 */
export class Trainer extends EventEmitter<TrainerEvents> {
  /** The validated config. */
  readonly config: TrainerConfig;
  /** Sizes derived from the config (batch, minibatch, updates). */
  readonly sizes: DerivedSizes;
  /** Knobs callbacks turn (learning-rate scale, entropy coefficient); read by the loops at every update. */
  readonly controls: TrainingControls = { lrScale: 1, entCoef: undefined };
  #options: TrainerOptions;
  #warn: (message: string) => void;
  #spec: TrainSpec;
  #learner: Learner | null = null;
  #actor: Learner | null = null;
  #env: VecEnv | null = null;
  #state: TrainingState;
  #callbacks = new CallbackList();
  #callbackStates: Record<string, unknown> | undefined;
  #callbackSections: Record<string, Uint8Array> = {};
  /** What callbacks reach during train(): the run's logger, checkpoint store and the pending `ctx.record` values. */
  #live: { log: RunLogger; store: CheckpointStore; learner: Learner; pending: MetricsRow } | null = null;
  #restoredSections: Record<string, Uint8Array> = {};
  /** The loop's extra checkpoint sections (DQN's replay), for `latest` and named checkpoints. */
  #extra: ExtraSections | undefined;
  #resumedFrom: string | undefined;
  /** The checked `initFrom` checkpoint (warm start), loaded into the learner when it is created. */
  #initSource: InitSource | undefined;
  /** Where the run's starting weights came from (a warm start, or the header of the checkpoint resumed). */
  #initializedFrom: string | undefined;
  #initNoted = false;
  #stopMessage: string | undefined;
  #closed = false;
  /** A train() call is in flight (a second one is refused). */
  #training = false;
  /** This Trainer has started its run in runDir (later train() calls continue it). */
  #runStarted = false;
  /** Id of the run in every checkpoint header (kept across resumes): retention deletes only its files. */
  #runId: string | undefined;
  /** The newest checkpoint that holds this run's state (for the message of a failed write). */
  #lastGood: { path: string; globalStep: number } | undefined;
  /** performance.now() at the start of the current train() call (for the checkpoint's elapsedSeconds). */
  #t0 = 0;
  /** The learner side of a distributed run (options.distributed), validated. */
  #distributed: Resolved<LearnerSideOptions> | undefined;

  /**
   * Validates `config` (a partial config merged over the defaults; errors name the field), the
   * cross-field rules, the derived sizes, the model and the env options (an smb1 ROM must be
   * readable), and that an `initFrom` checkpoint's network fits. Nothing is started until `train`,
   * `evaluate` or `act`.
   */
  constructor(config: TrainerConfigInput = {}, options: TrainerOptions = {}) {
    super();
    this.config = validateConfig(config);
    const o = expectOptions<TrainerOptions>(options, 'trainer options');
    rejectUnknownKeys(o, 'trainer options', ['onWarning', 'handleSignals', 'rom', 'callbacks', 'distributed', 'checkpointHooks']);
    this.#options = o;
    this.#warn = o.onWarning ?? ((m) => console.warn(`mario-rl: ${m}`));
    const c = this.config;
    if (c.algo === 'dqn' && !c.env.grayscale)
      throw new RangeError('Expected true for env.grayscale with algo dqn (the replay stores one channel per frame) but received false');
    if (c.checkpoint.includeReplay && c.algo !== 'dqn')
      throw new RangeError(`Expected false for checkpoint.includeReplay with algo '${c.algo}' (only DQN has a replay buffer) but received true`);
    checkEnvConfig(c.env, c.network);
    checkStageConfig(c);
    if (o.distributed !== undefined) {
      this.#distributed = learnerOptions(o.distributed);
      checkDistributedConfig(c);
    }
    this.sizes = deriveSizes(c);
    this.#spec = trainSpecFor(c); // the model and loss, checked now rather than when the learner starts
    vecEnvOptions(c, 1, 0, o.rom); // a readable ROM for smb1 before anything starts
    if (c.initFrom !== '') this.#initSource = checkInitFrom(c.initFrom, c, TRAINER_CHECKPOINT_FORMAT);
    this.#state = new TrainingState(c.seed, c.log.windowEpisodes);
    // Built-in components, in the order their hooks run: the curriculum reacts to the probes' onProbe.
    const stages = runStages(c);
    this.addCallback(new EpisodeBreakdown(c.log.windowEpisodes, stages.names.length > 1));
    const curriculum = c.curriculum.stages !== '' ? new Curriculum(c) : undefined;
    if (curriculum) this.addCallback(curriculum);
    if (c.startStates.share > 0) this.addCallback(new StartStateQueue(c));
    if (c.explore.bonus > 0) this.addCallback(new ExplorationBonus(c));
    if (c.eval.episodes > 0) {
      const fixed = c.eval.stages !== '' ? parseStageList(c.eval.stages, c.env.game, 'eval.stages').names : undefined;
      this.addCallback(new EvalProbes(c, () => fixed ?? curriculum?.probeStages() ?? stages.names, o.rom));
    }
    if (c.adaptive.patience > 0) this.addCallback(new AdaptiveSchedules(c));
    if (c.earlyStop.flagRate > 0) this.addCallback(new EarlyStop({ flagRate: c.earlyStop.flagRate, minEpisodes: c.earlyStop.minEpisodes }));
    if (c.hints.enabled) {
      // cpu-slow compares with the CPU estimate whenever the learner ended up on the CPU ('auto' included).
      const expected = (config: TrainerConfig) => (this.#learner?.device === 'cpu' ? estimateCpuStepsPerSecond(config, this.#spec.model) : undefined);
      this.addCallback(new TrainingHints({ expectedStepsPerSecond: expected }));
    }
    if (o.callbacks !== undefined) {
      if (!Array.isArray(o.callbacks)) throw new TypeError(`Expected an array of callbacks for callbacks but received ${typeof o.callbacks}`);
      for (const cb of o.callbacks) this.addCallback(cb);
    }
  }

  /** Registers a callback (unique `name`); it takes part from the next `train()` call on. */
  addCallback(callback: TrainerCallback): void {
    this.#callbacks.add(callback);
  }

  /** Agent steps so far. */
  get globalStep(): number {
    return this.#state.globalStep;
  }

  /** Updates so far. */
  get globalUpdate(): number {
    return this.#state.globalUpdate;
  }

  /** The learner (after the first `train`, `evaluate` or `act`). */
  get learner(): Learner | null {
    return this.#learner;
  }

  /** The train spec (model, loss, optimizer) the learner's graphs are built from; `mario-rl export-graph` uses the same. */
  get trainSpec(): TrainSpec {
    return this.#spec;
  }

  async #ensureLearner(): Promise<Learner> {
    if (this.#closed) throw new Error('The Trainer is closed');
    if (this.#learner) return this.#learner;
    const learner = await Learner.create({
      train: this.#spec,
      seed: this.config.seed,
      device: this.config.device,
      threads: this.config.threads,
      onWarning: (m) => this.#warning(m),
    });
    if (this.#initSource) {
      // Warm start before anything acts or trains; a resume in train() replaces these weights.
      try {
        loadInitFrom(this.#initSource, learner);
      } catch (err) {
        await learner.close();
        throw err;
      }
      this.#initializedFrom = this.#initSource.path;
    }
    this.#learner = learner;
    return learner;
  }

  #warning(message: string): void {
    this.emit('warning', message);
    this.#warn(message);
  }

  #isCompatible = (header: CheckpointHeader): true | string => {
    const c = header.config as TrainerConfig | undefined;
    if (header.trainerFormat !== TRAINER_CHECKPOINT_FORMAT || !c) return 'not a Trainer checkpoint of this format';
    if (c.algo !== this.config.algo) return `algo is ${c.algo}, not ${this.config.algo}`;
    if (c.network !== this.config.network) return `network is ${c.network}, not ${this.config.network}`;
    if (c.algo === 'dqn') {
      const head = (x: TrainerConfig) => `${x.dqn.dueling ? 'dueling' : 'q'}${(x.dqn.exploration ?? 'epsilon') === 'noisy' ? ' noisy' : ''}`;
      if (head(c) !== head(this.config)) return `Q head is ${head(c)}, not ${head(this.config)}`;
    }
    // Checkpoints before the naming pass spell the action set 'right'.
    const shape = (x: TrainerConfig) => {
      const actions = (x.env.actions as string) === 'right' ? 'right-only' : x.env.actions;
      if (x.env.obs === 'ram') return `ram/${actions}`;
      if (x.env.obs === 'tiles') return `tiles ${x.env.frameStack}x${x.env.tileRows}x${x.env.tileCols}/${actions}`;
      return `${x.env.frameStack}x${x.env.grayscale ? 1 : 3}x${x.env.height}x${x.env.width}/${actions}`;
    };
    if (shape(c) !== shape(this.config)) return `observation/action shape ${shape(c)} differs from ${shape(this.config)}`;
    return true;
  };

  #restore(checkpoint: Checkpoint, learner: Learner): void {
    const h = checkpoint.header;
    learner.fromSafetensors(checkpoint.sections.learner!);
    this.#state.restore(h);
    const rest = Object.entries(checkpoint.sections).filter(([k]) => k !== 'learner');
    this.#restoredSections = Object.fromEntries(rest.filter(([k]) => !k.startsWith('cb.')));
    this.#callbackSections = Object.fromEntries(rest.filter(([k]) => k.startsWith('cb.')));
    this.#callbackStates = (h.callbacks as Record<string, unknown> | undefined) ?? {};
    this.#resumedFrom = checkpoint.path;
    this.#initializedFrom = typeof h.initializedFrom === 'string' ? h.initializedFrom : undefined;
    this.#runId = typeof h.runId === 'string' ? h.runId : undefined;
    this.#lastGood = { path: checkpoint.path, globalStep: h.globalStep };
  }

  #checkpoint(store: CheckpointStore, kind: 'periodic' | 'latest' | 'named', learner: Learner, extra: ExtraSections | undefined, name = ''): CheckpointInfo {
    const callbackStates = this.#callbacks.states();
    const header = {
      ...this.#state.toHeader(),
      trainerFormat: TRAINER_CHECKPOINT_FORMAT,
      config: this.config,
      // Schedules are pure functions of globalStep; stored for readers, not needed to resume.
      schedules: this.sizes.schedules,
      learnerStep: learner.step,
      ...(this.#runId ? { runId: this.#runId } : {}),
      // Training seconds of the whole run up to here: time/elapsed_s continues from it on resume.
      elapsedSeconds: this.#state.elapsedBefore + (this.#training ? (performance.now() - this.#t0) / 1000 : 0),
      ...(this.#initializedFrom ? { initializedFrom: this.#initializedFrom } : {}),
      ...(Object.keys(callbackStates).length ? { callbacks: callbackStates } : {}),
    };
    const sections = { learner: learner.toSafetensors(), ...(extra?.() ?? {}), ...this.#callbacks.sections() };
    if (kind === 'named') return { path: store.saveNamed(name, header, sections), globalStep: this.#state.globalStep, kind };
    const path = kind === 'periodic' ? store.save(header, sections) : store.saveLatest(header, sections);
    this.#lastGood = { path, globalStep: this.#state.globalStep };
    // TensorBoard and metrics reach the disk with every checkpoint: a crash after it loses nothing it covers.
    this.#live?.log.flush();
    const info = { path, globalStep: this.#state.globalStep, kind };
    this.emit('checkpoint', info);
    return info;
  }

  /** Env seed for the reset after `globalUpdate` updates (0 = the run's first reset). */
  #envSeed(globalUpdate: number): number {
    return (this.config.seed * 1_000_003 + globalUpdate) % 2 ** 32;
  }

  /** The context callbacks see; `env` is the training env when one exists. */
  #context(shutdown?: ShutdownController): CallbackContext {
    const state = () => this.#state;
    const env = () => {
      if (!this.#env) throw new Error('The training env exists only during and after train()');
      return this.#env;
    };
    const live = (what: string) => {
      if (!this.#live) throw new Error(`ctx.${what} works only during train()`);
      return this.#live;
    };
    const learner = () => {
      if (!this.#learner) throw new Error('The learner exists only after train(), evaluate() or act() started');
      return this.#learner;
    };
    const ctx: CallbackContext = {
      config: this.config,
      get globalStep() {
        return state().globalStep;
      },
      get globalUpdate() {
        return state().globalUpdate;
      },
      get window() {
        return state().window;
      },
      get env() {
        return env();
      },
      controls: this.controls,
      get learner() {
        return learner();
      },
      record: (key: string, value: MetricsValue) => void (live('record').pending[key] = value),
      histogram: (tag: string, values: ArrayLike<number>) => this.#live?.log.histogram(tag, values, this.#state.globalStep),
      saveCheckpoint: (name: string) => {
        const l = live('saveCheckpoint');
        return this.#checkpoint(l.store, 'named', l.learner, this.#extra, name).path;
      },
      probeDone: async (result: ProbeResult) => {
        live('probeDone');
        await this.#callbacks.call('onProbe', ctx, result);
      },
      requestStop: (reason: string) => {
        if (!shutdown) throw new Error('requestStop works only during train()');
        this.#stopMessage = reason;
        shutdown.request('requested');
      },
      warn: (message: string) => this.#warning(message),
    };
    return ctx;
  }

  /**
   * [async] Trains until `totalSteps` agent steps (counted from step 0 of the run), `maxWallTime`,
   * SIGINT/SIGTERM or a callback's stop request, then writes `latest` and returns a summary.
   * Resumes first when `config.resume` says so. Can be called again to continue; a second call
   * while one is running rejects at once.
   *
   * The run directory is checked first, before any work: it must be (or become) a writable
   * directory, and a fresh run refuses one that holds another run (metrics.jsonl or checkpoints)
   * unless `overwrite` is set; a resume continues that run and drops its metrics rows past the
   * checkpoint. A failed write (full disk) names the file and the last good checkpoint.
   */
  async train(options: TrainOptions = {}): Promise<TrainSummary> {
    // Before anything else: two loops on one env and learner would race ("stepAsync in flight").
    if (this.#training) throw new Error('Trainer.train() is already running: await the first call before calling train() again');
    if (this.#closed) throw new Error('The Trainer is closed');
    this.#training = true;
    try {
      return await this.#train(options);
    } finally {
      this.#training = false;
    }
  }

  /** The failure of a run as the user should read it: a failed write names the last good checkpoint. */
  #explain(err: unknown, latestError?: unknown): unknown {
    const code = (err as NodeJS.ErrnoException)?.code;
    const file = (err as { file?: string })?.file;
    if (!(err instanceof Error) || (file === undefined && !['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EACCES', 'EPERM'].includes(code ?? ''))) return err;
    const good = this.#lastGood;
    const where = good
      ? `the last good checkpoint is ${good.path} (agent step ${good.globalStep}); continue from it with --resume latest once the cause is fixed`
      : 'no checkpoint of this run was written yet';
    const latest = latestError === undefined ? '' : ` Writing latest failed too (${(latestError as Error).message}).`;
    const out = new Error(`${err.message}. Training stopped at agent step ${this.#state.globalStep}: ${where}.${latest}`, { cause: err }) as Error & {
      code?: string;
      file?: string;
    };
    if (code !== undefined) out.code = code;
    if (file !== undefined) out.file = file;
    return out;
  }

  async #train(options: TrainOptions): Promise<TrainSummary> {
    const o = expectOptions<TrainOptions>(options, 'train options');
    rejectUnknownKeys(o, 'train options', ['totalSteps', 'maxWallTime', 'overwrite']);
    const c = this.config;
    const totalSteps = o.totalSteps === undefined ? c.totalSteps : expectInteger(o.totalSteps, 'totalSteps', 1, Number.MAX_SAFE_INTEGER);
    const maxWallTime = o.maxWallTime === undefined ? c.maxWallTime : expectNumber(o.maxWallTime, 'maxWallTime', 0, Infinity);
    const overwrite = o.overwrite === undefined ? false : expectBoolean(o.overwrite, 'overwrite');
    if (overwrite && (c.resume !== 'none' || this.#resumedFrom !== undefined)) {
      throw new RangeError(
        `Expected resume 'none' with overwrite (overwrite deletes the run that resume would continue) but received ${JSON.stringify(this.#resumedFrom ?? c.resume)}`,
      );
    }

    // ---- run directory, checkpoints, resume: all checked before any work
    const paths = runPaths(c.runDir);
    prepareRunDir(c.runDir);
    const firstCall = !this.#runStarted;
    if (firstCall && overwrite) clearRun(c.runDir);
    const store = new CheckpointStore(paths.checkpoints, {
      keep: c.checkpoint.keep,
      isCompatible: this.#isCompatible,
      onWarning: (m) => this.#warning(m),
      ...(this.#options.checkpointHooks ? { hooks: this.#options.checkpointHooks } : {}),
    });
    const init = this.#initSource;
    let resumeFrom: Checkpoint | undefined;
    if (c.resume !== 'none' && this.#state.globalUpdate === 0) {
      const { checkpoint, skipped } = store.resolveResume(c.resume, c.runDir);
      // The warm-start file itself (under runDir, found by 'auto') is where the run starts, not a checkpoint of it.
      if (checkpoint && resolve(checkpoint.path) !== init?.path) {
        resumeFrom = checkpoint;
        // Corrupt and truncated files were named already; say here which file wins and which others did not fit.
        const others = skipped.filter((e) => e.problem === 'incompatible').map((e) => e.message);
        const h = checkpoint.header;
        this.#warning(
          `resuming from ${checkpoint.path} (agent step ${h.globalStep}, update ${h.globalUpdate})${others.length ? `; skipped: ${others.join('; ')}` : ''}`,
        );
      }
    }
    if (firstCall && resumeFrom === undefined && this.#resumedFrom === undefined && !overwrite) {
      const what = existingRun(c.runDir);
      if (what) throw existingRunError(c.runDir, what, c.resume);
    }

    const learner = await this.#ensureLearner();
    if (resumeFrom) {
      if (init && !this.#initNoted) this.#warning(`initFrom ${init.path} ignored: resuming this run from ${resumeFrom.path}`);
      this.#restore(resumeFrom, learner);
      this.#initNoted = true;
    }
    if (init && !this.#initNoted && this.#resumedFrom === undefined) {
      this.#warning(
        `initFrom: the network starts from the weights of ${init.path} (agent step ${init.globalStep} of its run); ` +
          'counters, optimizer state, episode window and callback state start fresh',
      );
    }
    this.#initNoted = true;
    this.#runId ??= randomUUID();
    store.runId = this.#runId;
    if (firstCall && this.#resumedFrom !== undefined) {
      // A resume trains the interval after its checkpoint again: its old rows go, so no step appears twice.
      for (const name of ['metrics.jsonl', 'evals.jsonl', 'adaptive.jsonl', 'curriculum.jsonl', 'hints.jsonl']) {
        const dropped = dropRowsAfter(join(paths.root, name), this.#state.globalStep);
        if (dropped > 0) this.#warning(`${name}: dropped ${dropped} row(s) past agent step ${this.#state.globalStep}, the interval this resume trains again`);
      }
    }
    if (this.#callbackStates) {
      // Only after a checkpoint was loaded: a fresh run has no state to hand back.
      this.#callbacks.restore(this.#callbackStates, this.#callbackSections, (m) => this.#warning(m));
      this.#callbackStates = undefined;
      this.#callbackSections = {};
    }
    if (learner.device === 'cpu' && c.device === 'auto') {
      // SessionRunner already warned with the reason; say what it costs, for this network.
      const slow = cpuSpeedWarning(c, this.#spec.model);
      if (slow) this.#warning(slow);
    }

    // ---- env, run files, signals
    const state = this.#state;
    if (!this.#env) {
      // A distributed learner's actors step the envs; it keeps one lane for callbacks that read ctx.env.
      const envOptions = vecEnvOptions(c, this.#distributed ? 1 : this.sizes.numEnvs, this.#envSeed(0), this.#options.rom);
      this.#env = new VecEnv(envOptions);
      // A resumed run's fresh env continues the reward annealing where the run stopped.
      const shaping = envOptions.rewardShaping;
      if (shaping?.annealSteps && state.globalStep > 0) {
        this.#env.setRewardShaping(rewardShapingAfter(shaping, this.#env.rewardWeights(), state.globalStep / this.sizes.numEnvs));
      }
      // env.stages weights (a curriculum sets its own at onTrainStart).
      const { weights } = runStages(c);
      if (c.curriculum.stages === '' && weights.some((w) => w !== weights[0])) this.#env.setStageWeights(weights);
    }
    // The heartbeat's global_step is the newest metrics row's (the steps the learner has learned
    // from; a checkpoint saves the same count), not the steps collected so far: a PPO rollout
    // collected ahead (overlap) is not counted until its update's row, so the heartbeat is never
    // ahead of metrics.jsonl and never falls back when a stop drops that rollout.
    let loggedStep = state.globalStep;
    const log = new RunLogger(c.runDir, {
      config: c,
      tensorboard: c.log.tensorboard,
      heartbeatSeconds: c.log.heartbeatSeconds,
      flushEveryRows: c.log.flushEveryRows,
      window: state.window,
      heartbeatExtra: () => ({ global_step: loggedStep }),
      machine: machineInfo(learner.device),
    });
    this.#runStarted = true;
    const shutdown = new ShutdownController({ mode: 'finish-update' });
    if (this.#options.handleSignals !== false) shutdown.install();
    this.#stopMessage = undefined;
    const t0 = performance.now();
    this.#t0 = t0;
    this.#extra = undefined;
    const cleanups: (() => void)[] = [];
    const restoredSections = this.#restoredSections;
    this.#restoredSections = {};
    const ctx = this.#context(shutdown);
    this.#live = { log, store, learner, pending: {} };
    const live = this.#live;
    const run: TrainingRun = {
      config: c,
      sizes: this.sizes,
      state,
      learner,
      env: this.#env,
      log,
      shutdown,
      timer: new PhaseTimer(),
      callbacks: this.#callbacks,
      ctx,
      totalSteps,
      t0,
      startUpdate: state.globalUpdate,
      restoredSections,
      episode: (ep) => {
        state.window.add(ep);
        this.emit('episode', ep);
      },
      row: async (globalStep, values) => {
        const row = log.update(globalStep, state.globalUpdate, { ...values, ...live.pending });
        loggedStep = globalStep;
        live.pending = {};
        this.emit('update', row);
        await this.#callbacks.call('onUpdateEnd', ctx, row);
        return row;
      },
      checkpoint: async (sections) => {
        const info = this.#checkpoint(store, 'periodic', learner, sections);
        await this.#callbacks.call('onCheckpoint', ctx, info);
        return info;
      },
      envSeed: (u) => this.#envSeed(u),
      wallTimeUp: () => maxWallTime > 0 && (performance.now() - t0) / 1000 >= maxWallTime,
      learningRate: (name) => scheduleValue(this.sizes.schedules[name]!, state.globalStep) * this.controls.lrScale,
      actor: async () => {
        this.#actor ??= await Learner.create({ train: this.#spec, seed: c.seed, device: c.device, threads: 1, onWarning: () => {} });
        this.#actor.fromSafetensors(learner.toSafetensors());
        return this.#actor;
      },
      setExtraSections: (e) => (this.#extra = e),
      defer: (cleanup) => void cleanups.push(cleanup),
    };

    // ---- the loop
    let lastRow: MetricsRow | undefined;
    let latest: CheckpointInfo | undefined;
    let failure: unknown;
    let latestFailure: unknown;
    try {
      await this.#callbacks.call('onTrainStart', ctx);
      const distributed = this.#distributed;
      if (distributed) lastRow = await trainDistributed(run, distributed, (m) => this.#warning(m));
      else lastRow = c.algo === 'dqn' ? await trainOffPolicy(run) : await trainOnPolicy(run);
    } catch (err) {
      failure = err;
    }
    // ---- end of the run: `latest` (also after a failure: it may save the steps since the last checkpoint), run files, signal handlers
    const updates = state.globalUpdate - run.startUpdate;
    try {
      // Nothing trained: an existing latest (maybe another file than the one resumed) is left as it is.
      if (updates > 0 || !existsSync(store.latestPath)) latest = this.#checkpoint(store, 'latest', learner, this.#extra);
    } catch (err) {
      if (failure === undefined) failure = err;
      else latestFailure = err;
    } finally {
      this.#live = null;
      try {
        log.close();
      } catch (err) {
        failure ??= err;
      }
      shutdown.dispose();
      for (const cleanup of cleanups) cleanup();
    }
    if (failure !== undefined) throw this.#explain(failure, latestFailure);
    if (latest) await this.#callbacks.call('onCheckpoint', ctx, latest);
    await this.#callbacks.call('onTrainEnd', ctx);
    const seconds = (performance.now() - t0) / 1000;
    state.elapsedBefore += seconds; // a later train() call continues time/elapsed_s
    const stepsPerUpdate = this.sizes.stepsPerUpdate;
    const reason = shutdown.reason === 'requested' && this.#stopMessage !== undefined ? 'callback' : (shutdown.reason ?? 'done');
    if (shutdown.reason && shutdown.reason !== 'maxWallTime' && shutdown.reason !== 'requested') process.exitCode = shutdown.exitCode;
    // The next train() call starts from a fresh reset at this update.
    this.#env.reset({ seed: this.#envSeed(state.globalUpdate) });
    return {
      globalStep: state.globalStep,
      globalUpdate: state.globalUpdate,
      updates,
      stopReason: reason,
      ...(reason === 'callback' ? { stopMessage: this.#stopMessage } : {}),
      seconds,
      sps: (updates * stepsPerUpdate) / Math.max(seconds, 1e-9),
      lastRow,
      latestCheckpoint: latest?.path ?? this.#lastGood?.path ?? store.latestPath,
      ...(this.#resumedFrom ? { resumedFrom: this.#resumedFrom } : {}),
      ...(this.#initializedFrom ? { initializedFrom: this.#initializedFrom } : {}),
    };
  }

  /**
   * [async] Runs `episodes` evaluation episodes on a separate env (same config, its own seed) with
   * the current parameters; greedy when `deterministic`. Nothing is learned or logged; callbacks'
   * onEvaluation hooks see the result.
   */
  async evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
    const resolved = evaluateOptions(options, this.config);
    const learner = await this.#ensureLearner();
    const result = await evaluatePolicy(learner, this.config, resolved, this.#options.rom);
    await this.#callbacks.call('onEvaluation', this.#context(), { episodes: result.episodes.length, meanReturn: result.meanReturn, flagRate: result.flagRate });
    return result;
  }

  /**
   * [async] Plays one episode with the current parameters from each save state (e.g. a section of
   * a start-state file: which kept states does the policy solve?), on a separate env without no-op
   * frames; results in the states' order. Nothing is learned, logged or called back.
   */
  async evaluateFromStates(states: readonly Uint8Array[], options: StatesEvaluateOptions = {}): Promise<StateEvaluation[]> {
    if (!Array.isArray(states) || states.length === 0 || !states.every((s) => s instanceof Uint8Array)) {
      throw new TypeError(
        `Expected a non-empty array of save states (Uint8Array) for states but received ${Array.isArray(states) ? `an array of ${states.length}` : typeof states}`,
      );
    }
    const resolved = statesEvaluateOptions(options, this.config);
    const learner = await this.#ensureLearner();
    return evaluateFromStates(learner, this.config, states, resolved, this.#options.rom);
  }

  /**
   * [async] Plays one episode with the current parameters on a one-lane env and records it
   * (buttons and console states per step) for replay, e.g. `mario-rl play`'s GIF.
   */
  async recordEpisode(options: RecordEpisodeOptions = {}): Promise<RecordedEpisode> {
    const resolved = recordOptions(options, this.config);
    const learner = await this.#ensureLearner();
    return recordPolicyEpisode(learner, this.config, resolved, this.#options.rom);
  }

  /**
   * [async] Actions for observations `obs` (uint8 [batch, stack, C, H, W], as VecEnv returns):
   * greedy by default, sampled (seeded) with `{ deterministic: false }`.
   */
  async act(obs: Uint8Array, options: { deterministic?: boolean } = {}): Promise<Int32Array> {
    const learner = await this.#ensureLearner();
    const deterministic = options.deterministic !== false;
    const { logits, q } = await learner.act(obs, { noise: !deterministic });
    const A = numActions(this.config.env);
    const batch = (q ?? logits)!.length / A;
    const out = new Int32Array(batch);
    pickActions({ logits, q }, batch, A, deterministic, this.#state.rngAct, out);
    return out;
  }

  /**
   * [async] Loads parameters (and counters) from a Trainer checkpoint file for `act`/`evaluate`,
   * e.g. `runs/x/checkpoints/latest.ckpt`. Training state is restored too, so `train()` continues from it.
   */
  async load(path: string): Promise<void> {
    const learner = await this.#ensureLearner();
    const store = new CheckpointStore(runPaths(this.config.runDir).checkpoints, { isCompatible: this.#isCompatible, onWarning: (m) => this.#warning(m) });
    const { checkpoint } = store.resolveResume(path);
    this.#restore(checkpoint!, learner);
  }

  /** [async] Stops the env and the learner's workers. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#env?.close();
    await this.#actor?.close();
    await this.#learner?.close();
  }
}
