/**
 * The Trainer: PPO (default), A2C and DQN on a VecEnv with the learner's ONNX graphs. The loop in
 * {@link Trainer.train} reads top to bottom like cleanrl's ppo_atari.py:
 *
 *   config → derived sizes → env + learner → storage → rollout → GAE → update → logging → checkpoint
 *
 * Everything random is seeded from `config.seed` (action sampling and minibatch shuffles on our
 * own `Rng` streams, env resets from the seed and the update count), so the same config, seed and
 * thread counts give identical metrics rows on the CPU, with overlap on or off.
 *
 * Overlap (`config.overlap`): while the learner's worker runs update k, the next rollout is
 * collected by a second, acting session holding the parameters from before update k (policy lag
 * 1, reported as `charts/policy_lag`). The pipeline is drained before every periodic checkpoint,
 * so a checkpoint never holds a half-collected rollout.
 *
 * Exact resume: a periodic checkpoint ends every lane's episode (the envs are reset with a seed
 * derived from the update count; episodes cut there are not counted in the episode window, and
 * their last transition was already bootstrapped as at any rollout end). A run resumed from a
 * periodic checkpoint therefore writes the same metrics rows as the uninterrupted run. `latest`
 * written on a signal or at `maxWallTime` resumes the same way, but the uninterrupted run would
 * not have reset its envs there, so that continuation is statistically, not bit-for-bit, equal.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';

import { argmaxRows, epsilonGreedy, sampleFromLogits } from '../algos/action-sampling.js';
import { computeGae } from '../algos/gae.js';
import { explainedVariance } from '../algos/rollout-stats.js';
import { type ActionSetName, type RewardPreset, VecEnv, type VecEnvOptions } from '../env/vec-env.js';
import { toBytes } from '../bytes.js';
import { loadRunnerRom } from '../games/runner.js';
import { PrioritizedReplay } from '../replay/prioritized-replay.js';
import { expectInteger, expectNumber, expectOptions, rejectUnknownKeys } from '../validate.js';
import { type Checkpoint, type CheckpointHeader, CheckpointStore } from '../run/checkpoint-store.js';
import { type DerivedSizes, type TrainerConfig, deriveSizes, validateConfig } from './config.js';
import { Learner } from '../runtime/learner.js';
import { EpisodeWindow, type MetricsRow, PhaseTimer } from '../run/metrics.js';
import { Rng, type RngState } from '../util/rng.js';
import { RunLogger, runPaths } from '../run/run-logger.js';
import { scheduleValue } from './schedule.js';
import { ShutdownController } from '../run/signals.js';

/** ε of DQN's non-deterministic evaluation and acting (the usual Atari evaluation ε). */
export const EVAL_EPSILON = 0.05;

/**
 * Actions outside training (evaluate, recordEpisode, act): greedy when `deterministic`; otherwise
 * ε-greedy (ε = EVAL_EPSILON) on DQN's `q`, sampled from PPO/A2C's `logits`.
 */
function pickActions(out: { logits?: Float32Array; q?: Float32Array }, n: number, numActions: number, deterministic: boolean, rng: Rng, actions: Int32Array): void {
  if (deterministic) argmaxRows((out.q ?? out.logits)!, n, numActions, actions);
  else if (out.q) epsilonGreedy(out.q, n, numActions, EVAL_EPSILON, rng, actions);
  else sampleFromLogits(out.logits!, n, numActions, rng, actions);
}

/** Bytes of one RAM observation (`env.obs: 'ram'`). */
const RAM_OBS_BYTES = 2048;

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
}

/** Options of {@link Trainer.train}; each overrides the config field of the same name. */
export interface TrainOptions {
  /** Agent steps of the whole run (all lanes; counted from step 0, so a resumed run stops at the same place). */
  totalSteps?: number;
  /** Wall-clock limit of this call in seconds (0 = none): writes `latest` and returns. */
  maxWallTime?: number;
}

/** What {@link Trainer.train} returns. */
export interface TrainSummary {
  /** Agent steps so far (all lanes, including steps before a resume). */
  globalStep: number;
  /** Updates so far. */
  globalUpdate: number;
  /** Updates done by this call. */
  updates: number;
  /** Why the loop ended: 'done', 'maxWallTime' or the signal's name. */
  stopReason: string;
  /** Wall seconds of this call. */
  seconds: number;
  /** Agent steps per second of this call. */
  sps: number;
  /** The last metrics row (undefined when no update ran). */
  lastRow?: MetricsRow;
  /** Path of the `latest` checkpoint written at the end. */
  latestCheckpoint: string;
  /** Checkpoint the run resumed from, if any. */
  resumedFrom?: string;
}

/** One finished training episode (the `episode` event). */
export interface EpisodeEvent {
  /** Agent step at which it ended. */
  globalStep: number;
  /** Lane. */
  lane: number;
  /** Undiscounted return. */
  return: number;
  /** Length in agent steps. */
  length: number;
  /** Largest x position. */
  maxX: number;
  /** Whether the flag was reached. */
  flag: boolean;
}

/** Options of {@link Trainer.evaluate}. */
export interface EvaluateOptions {
  /** Episodes to run (1…10000). */
  episodes: number;
  /** Greedy actions (argmax) instead of sampling (DQN: ε-greedy with ε = 0.05). Default false. */
  deterministic?: boolean;
  /** Lanes of the evaluation env. Default min(episodes, 8). */
  numEnvs?: number;
  /** Seed of the evaluation env and sampling. Default config.seed + 1000003. */
  seed?: number;
  /**
   * Random no-op frames (0…noopMax) before each evaluation episode. Default: the config's
   * env.noopMax. With `deterministic` in a deterministic emulator and no no-ops, every episode
   * is the same trajectory; a few dozen no-ops make them differ (the usual Atari protocol).
   */
  noopMax?: number;
}

/** What {@link Trainer.evaluate} returns. */
export interface EvaluateResult {
  /** Each episode, in the order they finished (lane order within a step). */
  episodes: { return: number; length: number; maxX: number; flag: boolean }[];
  /** Mean return. */
  meanReturn: number;
  /** Share of episodes that reached the flag. */
  flagRate: number;
}

/** Options of {@link Trainer.recordEpisode}. */
export interface RecordEpisodeOptions {
  /** Greedy actions instead of sampled ones (DQN: ε-greedy with ε = 0.05 when false). Default true. */
  deterministic?: boolean;
  /** Seed of the env and of sampling. Default config.seed + 2000003. */
  seed?: number;
  /** Stop after this many agent steps even if the episode goes on (1…100000). Default 10000. */
  maxSteps?: number;
}

/**
 * One episode of the policy, recorded so that it can be replayed frame by frame on a `Nes`
 * (`mario-rl play` renders it to a GIF): the console state at the start, the buttons of every
 * agent step and the console state after each step that did not end the episode.
 */
export interface RecordedEpisode {
  /** The ROM the episode ran on. */
  rom: Uint8Array;
  /** Emulator frames per agent step. */
  frameSkip: number;
  /** Save state of the lane at the episode's first observation. */
  startState: Uint8Array;
  /** Joypad byte held during each agent step. */
  buttons: Uint8Array;
  /** `states[k]`: save state after step k (absent for the step that ended the episode). */
  states: Uint8Array[];
  /** Actions taken (indices into the action set). */
  actions: Int32Array;
  /** Episode return (unscaled, as in the metrics). */
  return: number;
  /** Agent steps. */
  length: number;
  /** Largest x position reached. */
  maxX: number;
  /** Whether the flag was reached. */
  flag: boolean;
  /** True when the episode was stopped by `maxSteps` rather than by the game. */
  cut: boolean;
}

/** Rollout storage, time-major (`i = t * numEnvs + n`). */
interface Storage {
  obs: Uint8Array;
  actions: BigInt64Array;
  logProbs: Float32Array;
  values: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  finalValues: Float32Array;
  nextValues: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
}

/** Maps the config's env section onto VecEnv options; errors name the config field. */
export function vecEnvOptions(config: TrainerConfig, numEnvs: number, seed: number, rom?: Uint8Array): VecEnvOptions {
  const e = config.env;
  const common = {
    numEnvs,
    actions: (e.actions === 'right-only' ? 'right' : e.actions) as ActionSetName,
    frameSkip: e.frameSkip,
    maxPool: e.maxPoolLastTwo,
    obs: e.obs === 'ram' ? ('ram' as const) : { width: e.width, height: e.height, stack: e.frameStack, grayscale: e.grayscale },
    ...(e.maxEpisodeSteps > 0 ? { maxEpisodeSteps: e.maxEpisodeSteps } : {}),
    ...(e.noopMax > 0 ? { noopMax: e.noopMax } : {}),
    ...(e.stickyActionProb > 0 ? { stickyActionProb: e.stickyActionProb } : {}),
    seed,
  };
  if (e.game === 'builtin' || e.game === 'runner') {
    if (e.stage > 3) throw new RangeError(`Expected a stage in 1…3 for env.stage with env.game '${e.game}' (the built-in game has three stages) but received ${e.stage}`);
    // The built-in game has one reward ('v0': progress, clock, death, flag); env.reward applies to smb1.
    return { ...common, game: 'runner', stages: [String(e.stage)], reward: 'v0' };
  }
  if (e.game === 'smb1') {
    const bytes = rom ?? readRom(e.rom);
    const reward: RewardPreset = e.reward === 'shaped' ? 'v9' : e.reward;
    return { ...common, game: 'smb1', rom: bytes, stages: [`${e.world}-${e.stage}`], reward };
  }
  throw new RangeError(`Expected 'builtin' or 'smb1' for env.game but received ${JSON.stringify(e.game)}`);
}

function readRom(path: string): Uint8Array {
  const file = path || process.env.MARIO_ROM || '';
  if (!file) {
    throw new Error("env.game 'smb1' needs a Super Mario Bros. ROM: pass env.rom (--env.rom path/to/smb.nes) or set MARIO_ROM");
  }
  try {
    return new Uint8Array(readFileSync(file));
  } catch (err) {
    throw new Error(`Cannot read the ROM for env.rom${path ? '' : ' ($MARIO_ROM)'} at ${file}: ${(err as Error).message}`);
  }
}

const mean = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length ? s / xs.length : NaN;
};

/**
 * Trains a policy on a VecEnv. Events: `update` (the metrics row), `episode` ({@link EpisodeEvent}),
 * `checkpoint` ({ path, globalStep, kind: 'periodic' | 'latest' }), `warning` (message).
 */
export class Trainer extends EventEmitter {
  /** The validated config. */
  readonly config: TrainerConfig;
  /** Sizes derived from the config (batch, minibatch, updates). */
  readonly sizes: DerivedSizes;
  #options: TrainerOptions;
  #warn: (message: string) => void;
  #learner: Learner | null = null;
  #actor: Learner | null = null;
  #env: VecEnv | null = null;
  #obsSize = 0;
  #numActions = 0;
  #globalStep = 0;
  #globalUpdate = 0;
  #rngShuffle: Rng;
  #rngAct: Rng;
  #window: EpisodeWindow;
  #resumedFrom: string | undefined;
  #closed = false;

  /**
   * Validates `config` (a partial config merged over the defaults; errors name the field) and the
   * derived sizes. Nothing is started until `train`, `evaluate` or `act`.
   */
  constructor(config: unknown = {}, options: TrainerOptions = {}) {
    super();
    this.config = validateConfig(config);
    const o = expectOptions<TrainerOptions>(options, 'trainer options');
    rejectUnknownKeys(o, 'trainer options', ['onWarning', 'handleSignals', 'rom']);
    this.#options = o;
    this.#warn = o.onWarning ?? ((m) => console.warn(`mario-rl: ${m}`));
    if (this.config.algo === 'dqn') {
      const d = this.config.dqn;
      if (d.exploration !== 'epsilon') throw new RangeError(`Expected 'epsilon' for dqn.exploration (NoisyNet layers are not built yet) but received '${d.exploration}'`);
      if (d.tau !== 1) throw new RangeError(`Expected 1 for dqn.tau (Polyak target updates are not built yet; the target is copied) but received ${d.tau}`);
      if (!this.config.env.grayscale) throw new RangeError('Expected true for env.grayscale with algo dqn (the replay stores one channel per frame) but received false');
      if (this.config.checkpoint.includeReplay) throw new RangeError('Expected false for checkpoint.includeReplay (replay buffers are not checkpointed yet) but received true');
    }
    if (this.config.env.obs === 'ram' && this.config.network !== 'mlp') {
      throw new RangeError(`Expected 'mlp' for network with env.obs 'ram' (conv trunks need frames) but received '${this.config.network}'`);
    }
    if (this.config.ppo.targetKl !== 0 && this.config.algo === 'ppo') {
      throw new RangeError(`Expected 0 for ppo.targetKl (early stopping inside the fused epoch loop is not supported yet) but received ${this.config.ppo.targetKl}`);
    }
    this.sizes = deriveSizes(this.config);
    vecEnvOptions(this.config, 1, 0, o.rom); // env.* checks (and a readable ROM for smb1) before anything starts
    this.#rngShuffle = new Rng(this.config.seed, 0);
    this.#rngAct = new Rng(this.config.seed, 1);
    this.#window = new EpisodeWindow(this.config.log.windowEpisodes);
  }

  /** Agent steps so far. */
  get globalStep(): number {
    return this.#globalStep;
  }

  /** Updates so far. */
  get globalUpdate(): number {
    return this.#globalUpdate;
  }

  /** The learner (after the first `train`, `evaluate` or `act`). */
  get learner(): Learner | null {
    return this.#learner;
  }

  #algoConfig() {
    return this.config.algo === 'ppo' ? this.config.ppo : this.config.a2c;
  }

  /** Shared start of both loops: learner, checkpoint store and resume. */
  async #begin(): Promise<{ learner: Learner; store: CheckpointStore }> {
    const c = this.config;
    const learner = await this.#ensureLearner();
    const store = new CheckpointStore(runPaths(c.runDir).checkpoints, { keep: c.checkpoint.keep, isCompatible: this.#isCompatible, onWarning: (m) => this.#warning(m) });
    if (c.resume !== 'none' && this.#globalUpdate === 0) {
      const { checkpoint } = store.resolveResume(c.resume, c.runDir);
      if (checkpoint) {
        this.#restore(checkpoint, learner);
        if (c.algo === 'dqn') this.#warning(`resumed DQN from ${checkpoint.path} with an empty replay buffer (buffers are not checkpointed); learning restarts after dqn.learningStarts more steps`);
      }
    }
    if (learner.device === 'cpu' && c.device === 'auto') {
      // SessionRunner already warned with the reason; say what it costs.
      this.#warning('training on the CPU: expect a few hundred agent steps/s at most with the nature network on 2 cores');
    }
    return { learner, store };
  }

  #trainSpec(): unknown {
    const c = this.config;
    const obsShape = c.env.obs === 'ram' ? [1, 1, RAM_OBS_BYTES] : [c.env.frameStack * (c.env.grayscale ? 1 : 3), c.env.height, c.env.width];
    const model = { network: c.network, obsShape, actions: this.#numActions };
    if (c.algo === 'ppo') {
      const p = c.ppo;
      return { algo: 'ppo', model, maxGradNorm: p.maxGradNorm, ppo: { clipCoef: p.clipCoef, clipValue: p.clipValueLoss, entCoef: p.entCoef, vfCoef: p.vfCoef, normAdvantages: p.normAdvantages } };
    }
    if (c.algo === 'dqn') {
      const d = c.dqn;
      return { algo: 'dqn', model: { ...model, head: d.dueling ? 'dueling' : 'q' }, maxGradNorm: d.maxGradNorm, dqn: { double: d.double } };
    }
    const a = c.a2c;
    return { algo: 'a2c', model, maxGradNorm: a.maxGradNorm, a2c: { entCoef: a.entCoef, vfCoef: a.vfCoef } };
  }

  async #ensureLearner(): Promise<Learner> {
    if (this.#closed) throw new Error('The Trainer is closed');
    if (this.#learner) return this.#learner;
    if (!this.#numActions) {
      const probe = new VecEnv(vecEnvOptions(this.config, 1, 0, this.#options.rom));
      this.#numActions = probe.numActions;
      this.#obsSize = probe.obsShape.slice(1).reduce((a, b) => a * b, 1);
      probe.close();
    }
    this.#learner = await Learner.create({
      train: this.#trainSpec(),
      seed: this.config.seed,
      device: this.config.device,
      threads: this.config.threads,
      onWarning: (m) => this.#warning(m),
    });
    return this.#learner;
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
    const shape = (x: TrainerConfig) => x.env.obs === 'ram' ? `ram/${x.env.actions}` : `${x.env.frameStack}x${x.env.grayscale ? 1 : 3}x${x.env.height}x${x.env.width}/${x.env.actions}`;
    if (shape(c) !== shape(this.config)) return `observation/action shape ${shape(c)} differs from ${shape(this.config)}`;
    return true;
  };

  #restore(checkpoint: Checkpoint, learner: Learner): void {
    const h = checkpoint.header;
    learner.fromSafetensors(checkpoint.sections.learner!);
    this.#globalStep = h.globalStep;
    this.#globalUpdate = h.globalUpdate;
    const rng = h.rng as { shuffle: RngState; act: RngState };
    this.#rngShuffle = Rng.fromState(rng.shuffle);
    this.#rngAct = Rng.fromState(rng.act);
    this.#window = EpisodeWindow.fromJSON(h.episodeWindow as Parameters<typeof EpisodeWindow.fromJSON>[0]);
    this.#resumedFrom = checkpoint.path;
  }

  #checkpoint(store: CheckpointStore, kind: 'periodic' | 'latest', learner: Learner): string {
    const header = {
      globalStep: this.#globalStep,
      globalUpdate: this.#globalUpdate,
      trainerFormat: TRAINER_CHECKPOINT_FORMAT,
      config: this.config,
      rng: { shuffle: this.#rngShuffle.getState(), act: this.#rngAct.getState() },
      // Schedules are pure functions of globalStep; stored for readers, not needed to resume.
      schedules: this.sizes.schedules,
      learnerStep: learner.step,
      episodeWindow: this.#window.toJSON(),
    };
    const sections = { learner: learner.toSafetensors() };
    const path = kind === 'periodic' ? store.save(header, sections) : store.saveLatest(header, sections);
    this.emit('checkpoint', { path, globalStep: this.#globalStep, kind });
    return path;
  }

  /** Env seed for the reset after `globalUpdate` updates (0 = the run's first reset). */
  #envSeed(globalUpdate: number): number {
    return (this.config.seed * 1_000_003 + globalUpdate) % 2 ** 32;
  }

  /**
   * [async] Trains until `totalSteps` agent steps (counted from step 0 of the run), `maxWallTime`,
   * or SIGINT/SIGTERM, then writes `latest` and returns a summary. Resumes first when
   * `config.resume` says so. Can be called again to continue.
   */
  async train(options: TrainOptions = {}): Promise<TrainSummary> {
    const o = expectOptions<TrainOptions>(options, 'train options');
    rejectUnknownKeys(o, 'train options', ['totalSteps', 'maxWallTime']);
    const c = this.config;
    const totalSteps = o.totalSteps === undefined ? c.totalSteps : expectInteger(o.totalSteps, 'totalSteps', 1, Number.MAX_SAFE_INTEGER);
    const maxWallTime = o.maxWallTime === undefined ? c.maxWallTime : expectNumber(o.maxWallTime, 'maxWallTime', 0, Infinity);
    const a = this.#algoConfig();
    const isPpo = c.algo === 'ppo';

    // ---- derived sizes
    const N = this.sizes.numEnvs;
    const T = a.numSteps;
    const B = N * T;
    const rewardScale = c.env.rewardScale;
    const numUpdates = Math.floor(totalSteps / B);
    const epochs = isPpo ? c.ppo.epochs : 1;
    const minibatches = isPpo ? c.ppo.minibatches : 1;
    const lrSchedule = this.sizes.schedules[`${c.algo}.learningRate`]!;

    if (c.algo === 'dqn') return this.#trainDqn(totalSteps, maxWallTime);

    // ---- learner, checkpoints, resume
    const { learner, store } = await this.#begin();
    let actor = learner;
    if (c.overlap) {
      this.#actor ??= await Learner.create({ train: this.#trainSpec(), seed: c.seed, device: c.device, threads: 1, onWarning: () => {} });
      this.#actor.fromSafetensors(learner.toSafetensors());
      actor = this.#actor;
    }

    // ---- env
    this.#env ??= new VecEnv(vecEnvOptions(c, N, this.#envSeed(0), this.#options.rom));
    const env = this.#env;
    const A = env.numActions;
    const obsSize = this.#obsSize;

    // ---- storage (two sets: overlap collects into one while the learner reads the other)
    const newStorage = (): Storage => ({
      obs: new Uint8Array(B * obsSize),
      actions: new BigInt64Array(B),
      logProbs: new Float32Array(B),
      values: new Float32Array(B),
      rewards: new Float32Array(B),
      terminated: new Uint8Array(B),
      truncated: new Uint8Array(B),
      finalValues: new Float32Array(B),
      nextValues: new Float32Array(N),
      advantages: new Float32Array(B),
      returns: new Float32Array(B),
    });
    const storages = [newStorage(), c.overlap ? newStorage() : null];
    const nextObs = new Uint8Array(N * obsSize);
    const actions = new Int32Array(N);
    const logProbs = new Float32Array(N);
    nextObs.set(env.reset({ seed: this.#envSeed(this.#globalUpdate) }).obs);

    // ---- logging
    const log = new RunLogger(c.runDir, {
      config: c,
      tensorboard: c.log.tensorboard,
      heartbeatSeconds: c.log.heartbeatSeconds,
      flushEveryRows: c.log.flushEveryRows,
      window: this.#window,
      heartbeatExtra: () => ({ global_step: this.#globalStep }),
    });
    const shutdown = new ShutdownController({ mode: 'finish-update' });
    if (this.#options.handleSignals !== false) shutdown.install();
    const timer = new PhaseTimer();
    const t0 = performance.now();
    const startUpdate = this.#globalUpdate;
    let lastRow: MetricsRow | undefined;
    let collectedSteps = 0; // steps of the rollout(s) collected since the last row

    /** One rollout of T steps with `policy`, into `s`. */
    const collect = async (s: Storage, policy: Learner): Promise<void> => {
      timer.start('env');
      for (let t = 0; t < T; t++) {
        const out = await policy.act(nextObs);
        sampleFromLogits(out.logits!, N, A, this.#rngAct, actions, logProbs);
        const i0 = t * N;
        s.obs.set(nextObs, i0 * obsSize);
        for (let n = 0; n < N; n++) {
          s.actions[i0 + n] = BigInt(actions[n]!);
          s.logProbs[i0 + n] = logProbs[n]!;
          s.values[i0 + n] = out.value![n]!;
        }
        const r = await env.stepAsync(actions);
        for (let n = 0; n < N; n++) s.rewards[i0 + n] = r.reward[n]! * rewardScale;
        s.terminated.set(r.terminated, i0);
        s.truncated.set(r.truncated, i0);
        let needFinalValue = false;
        for (let n = 0; n < N; n++) {
          if (!r.terminated[n] && !r.truncated[n]) continue;
          if (r.truncated[n] && !r.terminated[n]) needFinalValue = true;
          const ep: EpisodeEvent = {
            globalStep: this.#globalStep + (t + 1) * N,
            lane: n,
            return: r.episode.return[n]!,
            length: r.episode.length[n]!,
            maxX: r.episode.maxX[n]!,
            flag: r.episode.flag[n] === 1,
          };
          this.#window.add(ep);
          this.emit('episode', ep);
        }
        if (needFinalValue) {
          const fv = (await policy.act(r.finalObs)).value!;
          for (let n = 0; n < N; n++) s.finalValues[i0 + n] = fv[n]!;
        }
        nextObs.set(r.obs);
      }
      s.nextValues.set((await policy.act(nextObs)).value!);
      timer.stop('env');
      this.#globalStep += B;
      collectedSteps += B;
    };

    let ready: Storage | null = null; // a rollout collected ahead (overlap)
    let which = 0;
    try {
      while (this.#globalUpdate < numUpdates && !shutdown.stopRequested) {
        const update = this.#globalUpdate;
        // ---- rollout
        const s = ready ?? storages[which]!;
        const lag = ready ? 1 : 0;
        if (!ready) await collect(s, actor);
        ready = null;

        // ---- advantages (GAE)
        computeGae({ numSteps: T, numEnvs: N, rewards: s.rewards, values: s.values, terminated: s.terminated, truncated: s.truncated, finalValues: s.finalValues, nextValues: s.nextValues, gamma: a.gamma, lambda: a.gaeLambda }, s);

        // ---- update (in the learner's worker), overlapped with the next rollout
        const lr = scheduleValue(lrSchedule, this.#globalStep);
        const batch: Record<string, Uint8Array | BigInt64Array | Float32Array> = isPpo
          ? { obs: s.obs, actions: s.actions, old_logprobs: s.logProbs, advantages: s.advantages, returns: s.returns, old_values: s.values }
          : { obs: s.obs, actions: s.actions, advantages: s.advantages, returns: s.returns };
        const seed = this.#rngShuffle.nextUint32();
        timer.start('learner');
        const learning = learner.update(batch as Parameters<Learner['update']>[0], { epochs, minibatches, lr, seed }).finally(() => timer.stop('learner'));
        const periodicDue = c.checkpoint.interval > 0 && (update + 1) % c.checkpoint.interval === 0;
        if (c.overlap && update + 1 < numUpdates && !periodicDue && !shutdown.stopRequested && !this.#wallTimeUp(t0, maxWallTime)) {
          which ^= 1;
          const next = storages[which]!;
          try {
            await collect(next, actor);
          } finally {
            await learning.catch(() => {});
          }
          ready = next;
        }
        const result = await learning;
        if (c.overlap) actor.fromSafetensors(learner.toSafetensors());
        this.#globalUpdate++;

        // ---- logging
        const phases = timer.readAndReset();
        const elapsed = (performance.now() - t0) / 1000;
        const stat = (k: string) => (result.stats[k] ? mean(result.stats[k]!) : NaN);
        const row: MetricsRow = {
          'charts/learning_rate': lr,
          'losses/loss': mean(result.losses),
          'losses/policy_loss': stat('policy_loss'),
          'losses/value_loss': stat('value_loss'),
          'losses/entropy': stat('entropy'),
          ...(isPpo ? { 'losses/approx_kl': stat('approx_kl'), 'losses/clipfrac': stat('clip_fraction') } : {}),
          'losses/explained_variance': explainedVariance(s.values, s.returns),
          'charts/policy_lag': lag,
          'charts/SPS': ((this.#globalUpdate - startUpdate) * B) / Math.max(elapsed, 1e-9),
          'charts/env_SPS': phases.env ? collectedSteps / phases.env : null,
          'charts/learner_SPS': phases.learner ? B / phases.learner : null,
          'time/elapsed_s': elapsed,
        };
        collectedSteps = 0;
        // The row's step is the end of the rollout this update learned from (a prefetched rollout is not counted yet).
        const rowStep = this.#globalStep - (ready ? B : 0);
        lastRow = log.update(rowStep, this.#globalUpdate, row);
        this.emit('update', lastRow);

        // ---- checkpoint
        if (periodicDue) {
          this.#checkpoint(store, 'periodic', learner);
          nextObs.set(env.reset({ seed: this.#envSeed(this.#globalUpdate) }).obs);
        }
        if (this.#wallTimeUp(t0, maxWallTime)) shutdown.request('maxWallTime');
      }
    } finally {
      if (ready) this.#globalStep -= B; // a prefetched rollout that was never learned from
      this.#finishRun({ store, learner, log, shutdown, t0, startUpdate, stepsPerUpdate: B, lastRow });
    }
    // The next train() call starts from a fresh reset at this update.
    this.#env.reset({ seed: this.#envSeed(this.#globalUpdate) });
    return this.#lastSummary!;
  }

  /**
   * End of a run, for every algorithm: write `latest`, close the logger and the signal handlers,
   * record the summary, and keep a signal's exit code for the process.
   */
  #finishRun(run: {
    store: CheckpointStore;
    learner: Learner;
    log: RunLogger;
    shutdown: ShutdownController;
    t0: number;
    startUpdate: number;
    stepsPerUpdate: number;
    lastRow: MetricsRow | undefined;
  }): void {
    const { shutdown } = run;
    const latest = this.#checkpoint(run.store, 'latest', run.learner);
    run.log.close();
    shutdown.dispose();
    const seconds = (performance.now() - run.t0) / 1000;
    const updates = this.#globalUpdate - run.startUpdate;
    this.#lastSummary = {
      globalStep: this.#globalStep,
      globalUpdate: this.#globalUpdate,
      updates,
      stopReason: shutdown.reason ?? 'done',
      seconds,
      sps: (updates * run.stepsPerUpdate) / Math.max(seconds, 1e-9),
      lastRow: run.lastRow,
      latestCheckpoint: latest,
      ...(this.#resumedFrom ? { resumedFrom: this.#resumedFrom } : {}),
    };
    if (shutdown.reason && shutdown.reason !== 'maxWallTime') process.exitCode = shutdown.exitCode;
  }

  #lastSummary: TrainSummary | undefined;

  /**
   * DQN (double, dueling, n-step, prioritized replay, copied target network, ε-greedy), cleanrl's
   * dqn_atari.py shape: one env step of all lanes per iteration → replay → every
   * `trainFrequency` agent steps one gradient step on a sampled batch → priorities ← |TD error| →
   * target copy every `targetUpdateInterval` agent steps. One metrics row per `logEvery`
   * iterations (≈ 1000 agent steps); `checkpoint.interval` counts rows.
   */
  async #trainDqn(totalSteps: number, maxWallTime: number): Promise<TrainSummary> {
    const c = this.config;
    const d = c.dqn;
    // ---- derived sizes
    const N = d.numEnvs;
    const rewardScale = c.env.rewardScale;
    const scaledRewards = new Float32Array(N);
    const numIterations = Math.floor(totalSteps / N);
    const logEvery = Math.max(1, Math.round(1000 / N));
    const B = d.batchSize;
    const lrSchedule = this.sizes.schedules['dqn.learningRate']!;
    const epsSchedule = this.sizes.schedules['dqn.epsilon']!;
    const beta = this.sizes.schedules['dqn.per.beta']!;

    // ---- learner, checkpoints, resume, env
    const { learner, store } = await this.#begin();
    this.#env ??= new VecEnv(vecEnvOptions(c, N, this.#envSeed(0), this.#options.rom));
    const env = this.#env;
    const A = env.numActions;

    // ---- storage: the replay buffer (n-step returns and priorities live there)
    const betaStart = beta.kind === 'constant' ? beta.value : beta.start;
    const betaEnd = beta.kind === 'constant' ? beta.value : beta.end;
    const betaSteps = beta.kind === 'constant' ? 0 : Math.max(1, Math.round((beta.duration ?? totalSteps) / d.trainFrequency));
    const replay = new PrioritizedReplay({
      capacity: Math.max(N, Math.floor(d.bufferSize / N) * N),
      numEnvs: N,
      frameShape: c.env.obs === 'ram' ? [1, RAM_OBS_BYTES] : [c.env.height, c.env.width],
      stack: c.env.obs === 'ram' ? 1 : c.env.frameStack,
      nStep: d.nStep,
      gamma: d.gamma,
      alpha: d.per.enabled ? d.per.alpha : 0,
      beta: d.per.enabled ? betaStart : 0,
      betaFinal: d.per.enabled ? betaEnd : 0,
      betaSteps: d.per.enabled ? betaSteps : 0,
      epsilon: d.per.epsilon,
      seed: c.seed,
    });
    const obs = new Uint8Array(env.reset({ seed: this.#envSeed(this.#globalUpdate) }).obs);
    replay.begin(obs);
    const actions = new Int32Array(N);
    const sample = replay.createBatch(B);
    const batchActions = new BigInt64Array(B);
    const dones = new Float32Array(B); // discounts are already 0 after a terminal state
    const ones = new Float32Array(B).fill(1);

    // ---- logging
    const log = new RunLogger(c.runDir, { config: c, tensorboard: c.log.tensorboard, heartbeatSeconds: c.log.heartbeatSeconds, flushEveryRows: c.log.flushEveryRows, window: this.#window, heartbeatExtra: () => ({ global_step: this.#globalStep }) });
    const shutdown = new ShutdownController({ mode: 'finish-update' });
    if (this.#options.handleSignals !== false) shutdown.install();
    const timer = new PhaseTimer();
    const t0 = performance.now();
    const startIteration = this.#globalUpdate;
    let lastRow: MetricsRow | undefined;
    let tdLoss = 0;
    let qMean = 0;
    let gradSteps = 0;
    let rows = 0;
    let stepsSinceRow = 0;
    try {
      while (this.#globalUpdate < numIterations && !shutdown.stopRequested) {
        // ---- act (ε-greedy) and step
        const epsilon = scheduleValue(epsSchedule, this.#globalStep);
        timer.start('env');
        const { q } = await learner.act(obs);
        epsilonGreedy(q!, N, A, epsilon, this.#rngAct, actions);
        const r = await env.stepAsync(actions);
        for (let n = 0; n < N; n++) scaledRewards[n] = r.reward[n]! * rewardScale;
        replay.addBatch({ actions, rewards: scaledRewards, terminated: r.terminated, truncated: r.truncated, obs: r.obs, finalObs: r.finalObs });
        for (let n = 0; n < N; n++) {
          if (!r.terminated[n] && !r.truncated[n]) continue;
          const ep: EpisodeEvent = { globalStep: this.#globalStep + N, lane: n, return: r.episode.return[n]!, length: r.episode.length[n]!, maxX: r.episode.maxX[n]!, flag: r.episode.flag[n] === 1 };
          this.#window.add(ep);
          this.emit('episode', ep);
        }
        obs.set(r.obs);
        timer.stop('env');
        const before = this.#globalStep;
        this.#globalStep += N;
        this.#globalUpdate++;
        stepsSinceRow += N;

        // ---- learn: one gradient step per trainFrequency agent steps
        const lr = scheduleValue(lrSchedule, this.#globalStep);
        if (this.#globalStep >= d.learningStarts && replay.size >= B) {
          const steps = Math.floor(this.#globalStep / d.trainFrequency) - Math.floor(before / d.trainFrequency);
          for (let k = 0; k < steps; k++) {
            replay.sample(B, sample);
            for (let i = 0; i < B; i++) batchActions[i] = BigInt(sample.actions[i]!);
            timer.start('learner');
            const res = await learner.trainStep(
              { obs: sample.obs, actions: batchActions, rewards: sample.returns, next_obs: sample.nextObs, dones, discounts: sample.discounts, weights: d.per.enabled ? sample.weights : ones },
              { lr },
            );
            timer.stop('learner');
            if (d.per.enabled) replay.updatePriorities(sample.indices, res.tdErrors!);
            tdLoss += res.loss;
            qMean += res.stats.q_mean ?? NaN;
            gradSteps++;
          }
        }
        // ---- target network
        if (Math.floor(this.#globalStep / d.targetUpdateInterval) > Math.floor(before / d.targetUpdateInterval)) learner.syncTarget();

        // ---- logging, checkpoint
        if (this.#globalUpdate % logEvery === 0 || this.#globalUpdate === numIterations) {
          const phases = timer.readAndReset();
          const elapsed = (performance.now() - t0) / 1000;
          const st = replay.stats();
          lastRow = log.update(this.#globalStep, this.#globalUpdate, {
            'losses/td_loss': gradSteps ? tdLoss / gradSteps : null,
            'losses/q_values': gradSteps ? qMean / gradSteps : null,
            'charts/learning_rate': lr,
            'charts/epsilon': epsilon,
            'charts/per_beta': st.beta,
            'charts/gradient_steps': gradSteps,
            'charts/SPS': ((this.#globalUpdate - startIteration) * N) / Math.max(elapsed, 1e-9),
            'charts/env_SPS': phases.env ? stepsSinceRow / phases.env : null,
            'charts/learner_SPS': phases.learner ? (gradSteps * B) / phases.learner : null,
            'replay/size': st.size,
            'replay/fill_rate': st.fillRate,
            'replay/unique_ratio': st.uniqueRatio,
            'replay/max_priority': st.maxPriority,
            'time/elapsed_s': elapsed,
          });
          this.emit('update', lastRow);
          tdLoss = qMean = gradSteps = stepsSinceRow = 0;
          rows++;
          if (c.checkpoint.interval > 0 && rows % c.checkpoint.interval === 0) this.#checkpoint(store, 'periodic', learner);
        }
        if (this.#wallTimeUp(t0, maxWallTime)) shutdown.request('maxWallTime');
      }
    } finally {
      this.#finishRun({ store, learner, log, shutdown, t0, startUpdate: startIteration, stepsPerUpdate: N, lastRow });
      replay.dispose();
    }
    this.#env.reset({ seed: this.#envSeed(this.#globalUpdate) });
    return this.#lastSummary!;
  }

  #wallTimeUp(t0: number, maxWallTime: number): boolean {
    return maxWallTime > 0 && (performance.now() - t0) / 1000 >= maxWallTime;
  }

  /**
   * [async] Runs `episodes` evaluation episodes on a separate env (same config, its own seed) with
   * the current parameters; greedy when `deterministic`. Nothing is learned or logged.
   */
  async evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
    const o = expectOptions<EvaluateOptions>(options, 'evaluate options');
    rejectUnknownKeys(o, 'evaluate options', ['episodes', 'deterministic', 'numEnvs', 'seed', 'noopMax']);
    const episodes = expectInteger(o.episodes, 'episodes', 1, 10_000);
    const numEnvs = o.numEnvs === undefined ? Math.min(episodes, 8) : expectInteger(o.numEnvs, 'numEnvs', 1, 512);
    const seed = o.seed === undefined ? (this.config.seed + 1_000_003) % 2 ** 32 : expectInteger(o.seed, 'seed', 0, 2 ** 32 - 1);
    const learner = await this.#ensureLearner();
    const noopMax = o.noopMax === undefined ? this.config.env.noopMax : expectInteger(o.noopMax, 'noopMax', 0, 10_000);
    const evalConfig = { ...this.config, env: { ...this.config.env, noopMax } };
    const env = new VecEnv(vecEnvOptions(evalConfig, numEnvs, seed, this.#options.rom));
    const rng = new Rng(seed, 2);
    const actions = new Int32Array(numEnvs);
    const out: EvaluateResult['episodes'] = [];
    try {
      let obs = env.reset({ seed }).obs;
      // Lanes that started an episode after enough were started are not counted (no bias towards short episodes).
      const started = new Uint8Array(numEnvs).fill(1);
      let startedCount = numEnvs;
      while (out.length < episodes) {
        const { logits, q } = await learner.act(obs);
        pickActions({ logits, q }, numEnvs, env.numActions, o.deterministic === true, rng, actions);
        const r = await env.stepAsync(actions);
        for (let n = 0; n < numEnvs; n++) {
          if (!r.terminated[n] && !r.truncated[n]) continue;
          if (started[n] && out.length < episodes) {
            out.push({ return: r.episode.return[n]!, length: r.episode.length[n]!, maxX: r.episode.maxX[n]!, flag: r.episode.flag[n] === 1 });
          }
          started[n] = startedCount < episodes ? 1 : 0;
          if (started[n]) startedCount++;
        }
        obs = r.obs;
      }
    } finally {
      env.close();
    }
    return {
      episodes: out,
      meanReturn: mean(out.map((e) => e.return)),
      flagRate: out.filter((e) => e.flag).length / out.length,
    };
  }

  /**
   * [async] Plays one episode with the current parameters on a one-lane env and records it
   * (buttons and console states per step) for replay, e.g. `mario-rl play`'s GIF.
   */
  async recordEpisode(options: RecordEpisodeOptions = {}): Promise<RecordedEpisode> {
    const o = expectOptions<RecordEpisodeOptions>(options, 'recordEpisode options');
    rejectUnknownKeys(o, 'recordEpisode options', ['deterministic', 'seed', 'maxSteps']);
    const seed = o.seed === undefined ? (this.config.seed + 2_000_003) % 2 ** 32 : expectInteger(o.seed, 'seed', 0, 2 ** 32 - 1);
    const maxSteps = o.maxSteps === undefined ? 10_000 : expectInteger(o.maxSteps, 'maxSteps', 1, 100_000);
    const deterministic = o.deterministic !== false;
    const learner = await this.#ensureLearner();
    const envOptions = vecEnvOptions(this.config, 1, seed, this.#options.rom);
    const rom = envOptions.rom === undefined ? loadRunnerRom() : toBytes(envOptions.rom, 'rom');
    const env = new VecEnv(envOptions);
    const rng = new Rng(seed, 3);
    const action = new Int32Array(1);
    const buttons: number[] = [];
    const actions: number[] = [];
    const states: Uint8Array[] = [];
    try {
      let obs = env.reset({ seed }).obs;
      const startState = env.saveStates([0])[0]!;
      let ret = 0;
      let maxX = 0;
      for (;;) {
        const { logits, q } = await learner.act(obs);
        pickActions({ logits, q }, 1, env.numActions, deterministic, rng, action);
        actions.push(action[0]!);
        buttons.push(env.actionButtons[action[0]!]!);
        const r = await env.stepAsync(action);
        ret += r.reward[0]!;
        maxX = Math.max(maxX, r.info.xPos[0]!);
        if (r.terminated[0] || r.truncated[0]) {
          return { rom, frameSkip: this.config.env.frameSkip, startState, buttons: Uint8Array.from(buttons), states, actions: Int32Array.from(actions),
            return: r.episode.return[0]!, length: r.episode.length[0]!, maxX: r.episode.maxX[0]!, flag: r.episode.flag[0] === 1, cut: false };
        }
        states.push(env.saveStates([0])[0]!);
        if (actions.length >= maxSteps) {
          return { rom, frameSkip: this.config.env.frameSkip, startState, buttons: Uint8Array.from(buttons), states, actions: Int32Array.from(actions),
            return: ret, length: actions.length, maxX, flag: false, cut: true };
        }
        obs = r.obs;
      }
    } finally {
      env.close();
    }
  }

  /**
   * [async] Actions for observations `obs` (uint8 [batch, stack, C, H, W], as VecEnv returns):
   * greedy by default, sampled (seeded) with `{ deterministic: false }`.
   */
  async act(obs: Uint8Array, options: { deterministic?: boolean } = {}): Promise<Int32Array> {
    const learner = await this.#ensureLearner();
    const { logits, q } = await learner.act(obs);
    const batch = (q ?? logits)!.length / this.#numActions;
    const out = new Int32Array(batch);
    pickActions({ logits, q }, batch, this.#numActions, options.deterministic !== false, this.#rngAct, out);
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
