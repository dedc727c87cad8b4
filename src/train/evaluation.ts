/**
 * Evaluation and recording outside training: `Trainer.evaluate` (N episodes on a separate env, the
 * training env's lanes untouched), `Trainer.recordEpisode` (one episode with its console states,
 * for `mario-rl play`) and the action choice they and `Trainer.act` share.
 */
import { argmaxRows, epsilonGreedy, sampleFromLogits } from '../algos/action-sampling.js';
import { mean } from '../algos/rollout-stats.js';
import { toBytes } from '../bytes.js';
import { VecEnv, type VecEnvOptions } from '../env/vec-env.js';
import { loadRunnerRom } from '../games/runner.js';
import { type Learner } from '../runtime/learner.js';
import { Rng } from '../util/rng.js';
import { expectInteger, expectOptions, rejectUnknownKeys } from '../validate.js';
import { type TrainerConfig } from './config.js';
import { finalRewardShaping, vecEnvOptions } from './env-options.js';
import { parseStageList } from './stages.js';

/** ε of DQN's non-deterministic evaluation and acting (the usual Atari evaluation ε). */
export const EVAL_EPSILON = 0.05;

/**
 * Actions outside training (evaluate, recordEpisode, act): greedy when `deterministic`; otherwise
 * ε-greedy (ε = EVAL_EPSILON) on DQN's `q`, sampled from PPO/A2C's `logits`.
 */
export function pickActions(
  out: { logits?: Float32Array; q?: Float32Array },
  n: number,
  numActions: number,
  deterministic: boolean,
  rng: Rng,
  actions: Int32Array,
): void {
  if (deterministic) argmaxRows((out.q ?? out.logits)!, n, numActions, actions);
  else if (out.q) epsilonGreedy(out.q, n, numActions, EVAL_EPSILON, rng, actions);
  else sampleFromLogits(out.logits!, n, numActions, rng, actions);
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
  /** Play only this stage ('1-2'; a stage of the config's game). Default: the run's stages (a random one per episode when there are several). */
  stage?: string;
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
 * agent step and the console state after each step that did not end the episode; with tile-grid
 * observations also the grid the agent saw at each step.
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
  /**
   * With env.obs 'tiles': the newest grid of each observation, `grids` [length + 1, rows, cols]
   * class ids: grid 0 from the reset, grid k + 1 after step k (the last one from `finalObs` when
   * the game ended the episode); `game` says whose RAM holds the screen's left edge, which places
   * the grid's columns on the screen (`tileScreenLeft`). Absent for pixel and RAM observations.
   */
  tiles?: { game: 'runner' | 'smb1' | 'smb3'; rows: number; cols: number; grids: Uint8Array };
  /**
   * With pixel observations: the newest frame of each observation, `frames` [length + 1,
   * channels, height, width] (channels 1 for grayscale, 3 for RGB planes), indexed like
   * `tiles.grids`. Absent for tiles and RAM observations and in recordings made before it existed.
   */
  pixels?: { channels: number; height: number; width: number; frames: Uint8Array };
}

/**
 * The training env's options with the reward weights the run anneals to, held constant (no
 * annealing over evaluation steps); `stages` as in {@link vecEnvOptions}.
 */
export function evaluationEnvOptions(config: TrainerConfig, numEnvs: number, seed: number, rom?: Uint8Array, stages?: readonly string[]): VecEnvOptions {
  const { rewardShaping: _, ...options } = vecEnvOptions(config, numEnvs, seed, rom, stages);
  const shaping = finalRewardShaping(config.env);
  return shaping ? { ...options, rewardShaping: shaping } : options;
}

/** Evaluate options with the defaults filled in. */
export type ResolvedEvaluateOptions = Required<Omit<EvaluateOptions, 'deterministic' | 'stage'>> & { deterministic: boolean; stage?: string };

/** Checks evaluate options before anything is built (errors name the option). */
export function evaluateOptions(options: EvaluateOptions, config: TrainerConfig): ResolvedEvaluateOptions {
  const o = expectOptions<EvaluateOptions>(options, 'evaluate options');
  rejectUnknownKeys(o, 'evaluate options', ['episodes', 'deterministic', 'numEnvs', 'seed', 'noopMax', 'stage']);
  if (o.stage !== undefined && typeof o.stage !== 'string') throw new TypeError(`Expected a stage name like '1-2' for stage but received ${typeof o.stage}`);
  const stage = o.stage === undefined ? undefined : parseStageList(o.stage, config.env.game, 'stage').names;
  if (stage && stage.length !== 1) throw new RangeError(`Expected one stage for stage but received ${JSON.stringify(o.stage)}`);
  const episodes = expectInteger(o.episodes, 'episodes', 1, 10_000);
  return {
    episodes,
    deterministic: o.deterministic === true,
    numEnvs: o.numEnvs === undefined ? Math.min(episodes, 8) : expectInteger(o.numEnvs, 'numEnvs', 1, 512),
    seed: o.seed === undefined ? (config.seed + 1_000_003) % 2 ** 32 : expectInteger(o.seed, 'seed', 0, 2 ** 32 - 1),
    noopMax: o.noopMax === undefined ? config.env.noopMax : expectInteger(o.noopMax, 'noopMax', 0, 10_000),
    ...(stage ? { stage: stage[0]! } : {}),
  };
}

/** One finished episode of {@link collectEpisodes}. */
export interface CollectedEpisode {
  return: number;
  length: number;
  maxX: number;
  flag: boolean;
  /** x position on the episode's last step (where it died, when it did not reach the flag). */
  endX: number;
  /** True when the game ended it (death, flag), false when cut by maxEpisodeSteps. */
  terminated: boolean;
}

/** Options of {@link collectEpisodes}. */
export interface CollectOptions {
  /** Episodes to collect. */
  episodes: number;
  /** Seed of the env reset. */
  seed: number;
  /** Greedy actions (see {@link pickActions}). */
  deterministic: boolean;
  /** Action sampling stream. */
  rng: Rng;
  /**
   * Called with each counted episode's recording (start state, buttons, per-step states), for
   * GIFs; recording saves a state per lane and step, so pass it only when needed.
   */
  onRecorded?: (episode: CollectedEpisode, recording: RecordedEpisode) => void;
  /** The ROM, for recordings. */
  rom?: Uint8Array;
  /** Emulator frames per agent step, for recordings. */
  frameSkip?: number;
  /** Tile observations: record the grid the agent saw at each step (RecordedEpisode.tiles), for recordings. */
  tiles?: { game: 'runner' | 'smb1' | 'smb3'; rows: number; cols: number };
}

/**
 * Runs `episodes` episodes of `learner`'s policy on `env` (reset with `seed`), in the order they
 * finish. Lanes that start an episode after enough were started are not counted, so short
 * episodes are not favoured.
 */
export async function collectEpisodes(learner: Learner, env: VecEnv, options: CollectOptions): Promise<CollectedEpisode[]> {
  const { episodes, seed, deterministic, rng, onRecorded } = options;
  const n = env.numEnvs;
  const actions = new Int32Array(n);
  const out: CollectedEpisode[] = [];
  let obs = env.reset({ seed }).obs;
  const started = new Uint8Array(n).fill(1);
  let startedCount = n;
  // Recording: per lane, the episode's start state, buttons, actions and states after each step.
  const gridBytes = options.tiles ? options.tiles.rows * options.tiles.cols : 0;
  const laneBytes = obs.length / n;
  /** The newest grid of lane `lane`'s observation in `o` (its last rows × cols bytes). */
  const grid = (o: Uint8Array, lane: number) => o.slice((lane + 1) * laneBytes - gridBytes, (lane + 1) * laneBytes);
  const rec = onRecorded
    ? env.saveStates().map((startState, lane) => ({
        startState,
        buttons: [] as number[],
        actions: [] as number[],
        states: [] as Uint8Array[],
        grids: gridBytes ? [grid(obs, lane)] : [],
      }))
    : null;
  while (out.length < episodes) {
    // A NoisyNet head acts on its means when deterministic, with noise otherwise.
    const { logits, q } = await learner.act(obs, { noise: !deterministic });
    pickActions({ logits, q }, n, env.numActions, deterministic, rng, actions);
    const r = await env.stepAsync(actions);
    for (let lane = 0; lane < n; lane++) {
      const done = r.terminated[lane] || r.truncated[lane];
      if (rec) {
        rec[lane]!.buttons.push(env.actionButtons[actions[lane]!]!);
        rec[lane]!.actions.push(actions[lane]!);
      }
      if (!done) continue;
      if (started[lane] && out.length < episodes) {
        const ep: CollectedEpisode = {
          return: r.episode.return[lane]!,
          length: r.episode.length[lane]!,
          maxX: r.episode.maxX[lane]!,
          flag: r.episode.flag[lane] === 1,
          endX: r.finalInfo.xPos?.[lane] ?? 0,
          terminated: r.terminated[lane] === 1,
        };
        out.push(ep);
        if (rec && onRecorded) {
          const l = rec[lane]!;
          onRecorded(ep, {
            rom: options.rom!,
            frameSkip: options.frameSkip ?? 1,
            startState: l.startState,
            buttons: Uint8Array.from(l.buttons),
            states: l.states,
            actions: Int32Array.from(l.actions),
            return: ep.return,
            length: ep.length,
            maxX: ep.maxX,
            flag: ep.flag,
            cut: !ep.terminated,
            ...(options.tiles ? { tiles: { ...options.tiles, grids: concatGrids([...l.grids, grid(r.finalObs, lane)], gridBytes) } } : {}),
          });
        }
      }
      started[lane] = startedCount < episodes ? 1 : 0;
      if (started[lane]) startedCount++;
    }
    if (rec) {
      const states = env.saveStates();
      for (let lane = 0; lane < n; lane++) {
        const l = rec[lane]!;
        if (r.terminated[lane] || r.truncated[lane]) {
          rec[lane] = { startState: states[lane]!, buttons: [], actions: [], states: [], grids: gridBytes ? [grid(r.obs, lane)] : [] };
        } else {
          l.states.push(states[lane]!);
          if (gridBytes) l.grids.push(grid(r.obs, lane));
        }
      }
    }
    obs = r.obs;
  }
  return out;
}

/** Runs evaluation episodes with `learner`'s current parameters on a separate env. */
export async function evaluatePolicy(learner: Learner, config: TrainerConfig, options: ResolvedEvaluateOptions, rom?: Uint8Array): Promise<EvaluateResult> {
  const { episodes, numEnvs, seed, noopMax, deterministic } = options;
  const evalConfig = { ...config, env: { ...config.env, noopMax } };
  const env = new VecEnv(evaluationEnvOptions(evalConfig, numEnvs, seed, rom, options.stage === undefined ? undefined : [options.stage]));
  try {
    const eps = await collectEpisodes(learner, env, { episodes, seed, deterministic, rng: new Rng(seed, 2) });
    const out = eps.map((e) => ({ return: e.return, length: e.length, maxX: e.maxX, flag: e.flag }));
    return {
      episodes: out,
      meanReturn: mean(out.map((e) => e.return)),
      flagRate: out.filter((e) => e.flag).length / out.length,
    };
  } finally {
    env.close();
  }
}

/** Options of {@link Trainer.evaluateFromStates}. */
export interface StatesEvaluateOptions {
  /** The stage the states belong to ('1-3'; a stage of the config's game). Default: the run's stage (its first when it has several). */
  stage?: string;
  /** Greedy actions (argmax) instead of sampling (DQN: ε-greedy with ε = 0.05). Default false. */
  deterministic?: boolean;
  /** Seed of the sampling. Default config.seed + 1000003 (evaluate's). */
  seed?: number;
  /** An episode still running after this many agent steps is cut and reported with `cut` (1…100000). Default 10,000. */
  maxSteps?: number;
}

/** One state's episode in {@link Trainer.evaluateFromStates}. */
export interface StateEvaluation {
  /** Index of the state in the list given. */
  index: number;
  /** x position after the reset from the state (the state advanced one no-op frame). */
  startX: number;
  /** Largest x position reached. */
  maxX: number;
  /** Whether the flag was reached. */
  flag: boolean;
  /** Return and length (agent steps) of the episode. */
  return: number;
  length: number;
  /** True when cut by `maxSteps` (not ended by the game or the env's own limits). */
  cut: boolean;
}

/** Lanes of one batch of {@link evaluateFromStates}. */
const STATE_BATCH = 64;

/** Checks evaluateFromStates options (errors name the option). */
export function statesEvaluateOptions(
  options: StatesEvaluateOptions,
  config: TrainerConfig,
): Required<Omit<StatesEvaluateOptions, 'stage'>> & { stage?: string } {
  const o = expectOptions<StatesEvaluateOptions>(options, 'evaluateFromStates options');
  rejectUnknownKeys(o, 'evaluateFromStates options', ['stage', 'deterministic', 'seed', 'maxSteps']);
  if (o.stage !== undefined && typeof o.stage !== 'string') throw new TypeError(`Expected a stage name like '1-2' for stage but received ${typeof o.stage}`);
  const stage = o.stage === undefined ? undefined : parseStageList(o.stage, config.env.game, 'stage').names;
  if (stage && stage.length !== 1) throw new RangeError(`Expected one stage for stage but received ${JSON.stringify(o.stage)}`);
  return {
    deterministic: o.deterministic === true,
    seed: o.seed === undefined ? (config.seed + 1_000_003) % 2 ** 32 : expectInteger(o.seed, 'seed', 0, 2 ** 32 - 1),
    maxSteps: o.maxSteps === undefined ? 10_000 : expectInteger(o.maxSteps, 'maxSteps', 1, 100_000),
    ...(stage ? { stage: stage[0]! } : {}),
  };
}

/**
 * One episode of `learner`'s policy from each save state (no no-op frames: the same state, the
 * same greedy episode), in batches of 64 lanes; results in the states' order. The states must be
 * of the config's game and `stage` (a start-state file's section, `RUN/start-states.bin`, or
 * `mario-rl search-states`'s output).
 */
export async function evaluateFromStates(
  learner: Learner,
  config: TrainerConfig,
  states: readonly Uint8Array[],
  options: ReturnType<typeof statesEvaluateOptions>,
  rom?: Uint8Array,
): Promise<StateEvaluation[]> {
  const { deterministic, seed, maxSteps } = options;
  const rng = new Rng(seed, 4);
  const evalConfig = { ...config, env: { ...config.env, noopMax: 0 } };
  const out: StateEvaluation[] = [];
  for (let first = 0; first < states.length; first += STATE_BATCH) {
    const batch = states.slice(first, first + STATE_BATCH);
    const n = batch.length;
    const env = new VecEnv(evaluationEnvOptions(evalConfig, n, seed, rom, options.stage === undefined ? undefined : [options.stage]));
    try {
      env.setStartStates(batch, 'fixed', { share: 1 });
      const reset = env.reset({ seed });
      let obs = reset.obs;
      const startX = Int32Array.from(reset.info.xPos ?? new Int32Array(n));
      const best = Int32Array.from(startX);
      const done: (StateEvaluation | undefined)[] = new Array(n);
      const steps = new Int32Array(n);
      const returns = new Float64Array(n);
      const actions = new Int32Array(n);
      let left = n;
      for (let t = 0; t < maxSteps && left > 0; t++) {
        const { logits, q } = await learner.act(obs, { noise: !deterministic });
        pickActions({ logits, q }, n, env.numActions, deterministic, rng, actions);
        const step = await env.stepAsync(actions);
        for (let lane = 0; lane < n; lane++) {
          if (done[lane]) continue;
          steps[lane]++;
          returns[lane] += step.reward[lane]!;
          if (step.terminated[lane] || step.truncated[lane]) {
            const ep = {
              maxX: step.episode.maxX[lane]!,
              flag: step.episode.flag[lane] === 1,
              return: step.episode.return[lane]!,
              length: step.episode.length[lane]!,
            };
            done[lane] = { index: first + lane, startX: startX[lane]!, ...ep, maxX: Math.max(ep.maxX, best[lane]!), cut: false };
            left--;
          } else best[lane] = Math.max(best[lane]!, step.info.xPos?.[lane] ?? 0);
        }
        obs = step.obs;
      }
      for (let lane = 0; lane < n; lane++) {
        out.push(
          done[lane] ?? { index: first + lane, startX: startX[lane]!, maxX: best[lane]!, flag: false, return: returns[lane]!, length: steps[lane]!, cut: true },
        );
      }
    } finally {
      env.close();
    }
  }
  return out;
}

/** recordEpisode options with the defaults filled in. */
export type ResolvedRecordOptions = { seed: number; maxSteps: number; deterministic: boolean };

/** Checks recordEpisode options (errors name the option). */
export function recordOptions(options: RecordEpisodeOptions, config: TrainerConfig): ResolvedRecordOptions {
  const o = expectOptions<RecordEpisodeOptions>(options, 'recordEpisode options');
  rejectUnknownKeys(o, 'recordEpisode options', ['deterministic', 'seed', 'maxSteps']);
  return {
    seed: o.seed === undefined ? (config.seed + 2_000_003) % 2 ** 32 : expectInteger(o.seed, 'seed', 0, 2 ** 32 - 1),
    maxSteps: o.maxSteps === undefined ? 10_000 : expectInteger(o.maxSteps, 'maxSteps', 1, 100_000),
    deterministic: o.deterministic !== false,
  };
}

/** Plays and records one episode with `learner`'s current parameters on a one-lane env. */
export async function recordPolicyEpisode(
  learner: Learner,
  config: TrainerConfig,
  options: ResolvedRecordOptions,
  romBytes?: Uint8Array,
): Promise<RecordedEpisode> {
  const { seed, maxSteps, deterministic } = options;
  const envOptions = evaluationEnvOptions(config, 1, seed, romBytes);
  const rom = envOptions.rom === undefined ? loadRunnerRom() : toBytes(envOptions.rom, 'rom');
  const env = new VecEnv(envOptions);
  const rng = new Rng(seed, 3);
  const action = new Int32Array(1);
  const buttons: number[] = [];
  const actions: number[] = [];
  const states: Uint8Array[] = [];
  // The newest entry of an observation's stack is its last bytes: tiles [stack, rows, cols] end
  // with rows × cols bytes, pixels [stack·C, H, W] with C × H × W.
  const e = config.env;
  const gridBytes = e.obs === 'tiles' ? e.tileRows * e.tileCols : 0;
  const channels = e.grayscale ? 1 : 3;
  const pixelBytes = e.obs === 'pixels' ? channels * e.height * e.width : 0;
  const grids: Uint8Array[] = [];
  const keepGrid = (obs: Uint8Array) => {
    if (gridBytes) grids.push(obs.slice(obs.length - gridBytes));
    if (pixelBytes) grids.push(obs.slice(obs.length - pixelBytes));
  };
  const episode = (fields: Pick<RecordedEpisode, 'return' | 'length' | 'maxX' | 'flag' | 'cut'>, startState: Uint8Array): RecordedEpisode => ({
    rom,
    frameSkip: e.frameSkip,
    startState,
    buttons: Uint8Array.from(buttons),
    states,
    actions: Int32Array.from(actions),
    ...fields,
    ...(gridBytes ? { tiles: { game: e.game, rows: e.tileRows, cols: e.tileCols, grids: concatGrids(grids, gridBytes) } } : {}),
    ...(pixelBytes ? { pixels: { channels, height: e.height, width: e.width, frames: concatGrids(grids, pixelBytes) } } : {}),
  });
  try {
    let obs = env.reset({ seed }).obs;
    keepGrid(obs);
    const startState = env.saveStates([0])[0]!;
    let ret = 0;
    let maxX = 0;
    for (;;) {
      const { logits, q } = await learner.act(obs, { noise: !deterministic });
      pickActions({ logits, q }, 1, env.numActions, deterministic, rng, action);
      actions.push(action[0]!);
      buttons.push(env.actionButtons[action[0]!]!);
      const r = await env.stepAsync(action);
      ret += r.reward[0]!;
      maxX = Math.max(maxX, r.info.xPos[0]!);
      if (r.terminated[0] || r.truncated[0]) {
        keepGrid(r.finalObs);
        const ep = r.episode;
        return episode({ return: ep.return[0]!, length: ep.length[0]!, maxX: ep.maxX[0]!, flag: ep.flag[0] === 1, cut: false }, startState);
      }
      keepGrid(r.obs);
      states.push(env.saveStates([0])[0]!);
      if (actions.length >= maxSteps) return episode({ return: ret, length: actions.length, maxX, flag: false, cut: true }, startState);
      obs = r.obs;
    }
  } finally {
    env.close();
  }
}

/** The grids one after another, [count, rows, cols]. */
function concatGrids(grids: Uint8Array[], gridBytes: number): Uint8Array {
  const out = new Uint8Array(grids.length * gridBytes);
  grids.forEach((g, i) => out.set(g, i * gridBytes));
  return out;
}
