/**
 * `JsVecEnv`: the batched environment on the jsnes backend, behind the raw interface the native
 * pool has (`NativeVecEnv`), so `VecEnv` (../vec-env.ts) wraps either one unchanged.
 *
 * The pipeline in one sentence, as natively (native/env/vec_env.cc) but on the calling thread:
 * actions -> each lane, in order: frame skip with sticky actions, the game's rules after every
 * frame and its skipped frames, max-pool of the last two frames, the TS preprocessing
 * (preprocess.ts) or the tile grid or the RAM -> the lane's slice of the bound buffers.
 * Same-step autoreset, start points, start states, stage weights, reward annealing and the
 * per-lane random streams (lane-rng.ts, seeded from (seed, lane)) follow the native code line for
 * line, so for the same seed both backends make the same draws. `numThreads` is accepted and
 * ignored: results never depended on it. `stepAsync` steps synchronously and then resolves.
 *
 * Ownership: one JsVecEnv owns its lanes (a JsnesCore, a game lane, a random stream and a frame
 * stack each); the buffers are the caller's, bound once, written in place.
 */
import { JsnesCore } from '../../backend/jsnes-core.js';
import { parseInes } from '../../backend/ines.js';
import type { NativeVecEnv, NativeVecEnvConfig } from '../../native.js';
import { expectedMessage } from '../../validate.js';
import { TileGrid, type JsGame, type JsGameLane, type JsGameOptions, type JsRewardWeights } from './game.js';
import { LaneRng } from './lane-rng.js';
import { FrameStack, Preprocessor, SOURCE_PIXELS } from './preprocess.js';
import { RunnerGame } from './runner.js';
import { Smb1Game } from './smb1.js';

/** The games the jsnes backend runs, by name (the native registry's names and order). */
export const GAMES: Record<string, new (options: JsGameOptions) => JsGame> = { smb1: Smb1Game, runner: RunnerGame };

/** Names of the games the jsnes backend runs. */
export function jsGameNames(): string[] {
  return Object.keys(GAMES);
}

/** Draws with a probability compare against thresholds out of 2^24 (native kStartDrawScale). */
const DRAW_SCALE = 2 ** 24;
const RAM_BYTES = 2048;

interface StartRecord {
  state: Uint8Array;
  /** Palette indices of the frame shown at this state. */
  frame: Uint8Array;
}

interface Lane {
  core: JsnesCore;
  game: JsGameLane;
  rng: LaneRng;
  stack: FrameStack;
  /** Max-pool: the second-to-last frame of the step, copied. */
  poolFrame: Uint8Array;
  lastButtons: number;
  episodeSteps: number;
  /** Agent steps since the episode's max x last grew, and that max x (maxStallSteps). */
  stallSteps: number;
  stallBestX: number;
  episodeReturn: number;
  cycle: number;
  fromStartState: boolean;
  resets: number;
  resetsFromStates: number;
}

/** Caller-owned outputs (see StepBuffers in native/env/vec_env.h); N lanes, F info fields, C components, O obs bytes. */
interface Buffers {
  obs: Uint8Array; // [N, O]
  reward: Float32Array; // [N]
  terminated: Uint8Array; // [N]
  truncated: Uint8Array; // [N]
  info: Int32Array; // [F, N]
  components: Float32Array; // [C, N]
  finalObs: Uint8Array; // [N, O]
  finalInfo: Int32Array; // [F, N]
  episodeReturn: Float32Array; // [N]
  episodeLength: Int32Array; // [N]
  episodeMaxX: Int32Array; // [N]
  episodeFlag: Uint8Array; // [N]
  episodeStartState: Uint8Array; // [N]
}

/** A probability as a threshold out of DRAW_SCALE (rounded to nearest, as llround). */
function drawThreshold(p: number): number {
  return Math.round(p * DRAW_SCALE);
}

/** The batched env on jsnes consoles. Methods are synchronous; see the file comment. */
export class JsVecEnv implements NativeVecEnv {
  readonly description: NativeVecEnv['description'];
  readonly #config: NativeVecEnvConfig;
  readonly #rom: Uint8Array;
  readonly #game: JsGame;
  readonly #pre: Preprocessor | undefined;
  readonly #obsBytes: number;
  readonly #lanes: Lane[] = [];
  readonly #startPoints: StartRecord[] = [];
  #startStates: StartRecord[] = [];
  #startMode: 'fixed' | 'sample' | 'cycle' = 'fixed';
  #startShare = DRAW_SCALE;
  #stageWeights: number[];
  #stageThresholds: number[] = [];
  #buffers: Buffers | undefined;
  #shaping: { start: JsRewardWeights; end: JsRewardWeights; annealSteps: number };
  #shapingStep = 0;
  #actions: Int32Array;
  readonly #components: Float32Array;
  readonly #terminated = { terminated: false };
  #closed = false;

  constructor(config: NativeVecEnvConfig, rom: Uint8Array) {
    this.#config = config;
    const Game = GAMES[config.game];
    if (!Game)
      throw new RangeError(
        expectedMessage(
          `one of ${jsGameNames()
            .map((n) => `'${n}'`)
            .join(', ')}`,
          'game',
          config.game,
        ),
      );
    this.#game = new Game({ actions: config.actions, stages: config.stages, reward: config.reward });
    if (rom.length === 0) throw new TypeError(expectedMessage('a ROM image', 'rom', `none (game '${config.game}')`));
    this.#game.checkRom(parseInes(rom));
    this.#rom = rom;
    const kind = config.obsKind;
    if (kind === 'pixels') {
      this.#pre = new Preprocessor({
        width: config.width,
        height: config.height,
        stack: config.stack,
        grayscale: config.grayscale,
        cropTop: config.cropTop,
        cropBottom: config.cropBottom,
        cropLeft: config.cropLeft,
        cropRight: config.cropRight,
      });
    }
    const gridBytes = config.tileRows * config.tileCols;
    this.#obsBytes = kind === 'ram' ? RAM_BYTES : kind === 'tiles' ? gridBytes * config.stack : this.#pre!.obsBytes;
    const frameBytes = kind === 'tiles' ? gridBytes : kind === 'pixels' ? this.#pre!.frameBytes : 1;
    this.#shaping = { start: { ...this.#game.defaultWeights }, end: { ...this.#game.defaultWeights }, annealSteps: 0 };
    this.#components = new Float32Array(this.#game.rewardComponents.length);
    this.#actions = new Int32Array(config.numEnvs);

    for (let i = 0; i < this.#game.numStartPoints; i++) {
      const core = new JsnesCore(rom, 0, 0);
      this.#game.buildStartPoint(i, core);
      this.#startPoints.push({ state: core.saveState(), frame: core.frameView().slice() });
    }
    this.#stageWeights = this.#startPoints.map(() => 1);
    for (let i = 0; i < config.numEnvs; i++) {
      this.#lanes.push({
        core: new JsnesCore(rom, 0, 0),
        game: this.#game.newLane(),
        rng: new LaneRng(config.seed, i),
        stack: new FrameStack(kind === 'ram' ? 1 : config.stack, frameBytes),
        poolFrame: new Uint8Array(kind === 'pixels' && config.maxPool && config.frameSkip >= 2 ? SOURCE_PIXELS : 0),
        lastButtons: 0,
        episodeSteps: 0,
        stallSteps: 0,
        stallBestX: 0,
        episodeReturn: 0,
        cycle: 0,
        fromStartState: false,
        resets: 0,
        resetsFromStates: 0,
      });
    }
    this.description = {
      numEnvs: config.numEnvs,
      numActions: this.#game.numActions,
      obsBytes: this.#obsBytes,
      stateSize: this.#lanes[0]!.core.stateSize(),
      infoFields: [...this.#game.infoFields],
      rewardComponents: [...this.#game.rewardComponents],
      actionButtons: Array.from({ length: this.#game.numActions }, (_, a) => this.#game.actionButtons(a)),
    };
  }

  #live(): Buffers {
    if (this.#closed) throw new Error('VecEnv is closed');
    if (!this.#buffers) throw new Error('VecEnv: output buffers are not bound');
    return this.#buffers;
  }

  bind(buffers: Record<string, ArrayBufferView>): void {
    this.#buffers = buffers as unknown as Buffers;
  }

  reset(seed: number | undefined): void {
    const b = this.#live();
    const n = this.#lanes.length;
    this.#lanes.forEach((lane, i) => {
      if (seed !== undefined) {
        lane.rng.seed(seed, i);
        lane.cycle = 0;
      }
      this.#resetLane(i);
      this.#writeObs(i, b.obs);
      lane.game.writeInfo(b.info, i, n);
      b.reward[i] = 0;
      b.terminated[i] = 0;
      b.truncated[i] = 0;
      for (let c = 0; c < this.#components.length; c++) b.components[c * n + i] = 0;
    });
  }

  #drawStart(index: number): StartRecord {
    const lane = this.#lanes[index]!;
    let fromStates = this.#startStates.length > 0;
    if (fromStates && this.#startShare < DRAW_SCALE) fromStates = lane.rng.nextU32() >>> 8 < this.#startShare;
    lane.fromStartState = fromStates;
    lane.resets++;
    if (fromStates) {
      lane.resetsFromStates++;
      const n = this.#startStates.length;
      if (this.#startMode === 'fixed') return this.#startStates[index % n]!;
      if (this.#startMode === 'sample') return this.#startStates[lane.rng.nextBelow(n)]!;
      return this.#startStates[(index + lane.cycle++ * this.#lanes.length) % n]!;
    }
    const n = this.#startPoints.length;
    if (n === 1) return this.#startPoints[0]!;
    if (this.#stageThresholds.length === 0) return this.#startPoints[lane.rng.nextBelow(n)]!;
    const r = lane.rng.nextU32() >>> 8;
    let i = 0;
    while (r >= this.#stageThresholds[i]!) i++;
    return this.#startPoints[i]!;
  }

  #resetLane(index: number): void {
    const lane = this.#lanes[index]!;
    const rec = this.#drawStart(index);
    const core = lane.core;
    core.loadState(rec.state);
    let frame = rec.frame;
    const pixels = this.#config.obsKind === 'pixels';
    if (this.#config.noopMax > 0) {
      const noops = lane.rng.nextBelow(this.#config.noopMax + 1);
      for (let f = 0; f < noops; f++) core.stepFrame(0, pixels);
      if (noops > 0) frame = core.frameView();
    }
    lane.game.onReset(core.ramView());
    lane.lastButtons = 0;
    lane.episodeSteps = 0;
    lane.stallSteps = 0;
    lane.stallBestX = lane.game.maxX();
    lane.episodeReturn = 0;
    if (pixels) {
      this.#pre!.resize(frame, null, lane.stack.nextSlot());
      lane.stack.commit();
      lane.stack.fillWithNewest();
    } else if (this.#config.obsKind === 'tiles') {
      this.#pushTiles(lane);
      lane.stack.fillWithNewest();
    }
  }

  #pushTiles(lane: Lane): void {
    this.#game.writeTiles(lane.core.ramView(), new TileGrid(lane.stack.nextSlot(), this.#config.tileRows, this.#config.tileCols));
    lane.stack.commit();
  }

  #writeObs(index: number, out: Uint8Array): void {
    const lane = this.#lanes[index]!;
    if (this.#config.obsKind === 'ram') out.set(lane.core.ramView(), index * this.#obsBytes);
    else lane.stack.writeObs(out, index * this.#obsBytes);
  }

  #currentWeights(): JsRewardWeights {
    const s = this.#shaping;
    if (s.annealSteps <= 0) return s.start;
    const t = Math.min(1, this.#shapingStep / s.annealSteps);
    return {
      distance: Math.fround(s.start.distance + (s.end.distance - s.start.distance) * t),
      score: Math.fround(s.start.score + (s.end.score - s.start.score) * t),
    };
  }

  step(actions: Int32Array): void {
    const b = this.#live();
    if (actions.length !== this.#lanes.length) {
      throw new RangeError(expectedMessage(`an Int32Array of length ${this.#lanes.length}`, 'actions', actions));
    }
    for (let i = 0; i < actions.length; i++) {
      if (actions[i]! < 0 || actions[i]! >= this.#game.numActions) {
        throw new RangeError(expectedMessage(`an integer in [0, ${this.#game.numActions - 1}]`, `actions[${i}]`, actions[i]));
      }
    }
    this.#actions.set(actions);
    const weights = this.#currentWeights();
    this.#shapingStep++;
    for (let i = 0; i < this.#lanes.length; i++) this.#stepLane(i, weights, b);
  }

  async stepAsync(actions: Int32Array): Promise<void> {
    this.step(actions);
  }

  #stepLane(index: number, weights: JsRewardWeights, b: Buffers): void {
    const lane = this.#lanes[index]!;
    const core = lane.core;
    const n = this.#lanes.length;
    const k = this.#config.frameSkip;
    const pixels = this.#config.obsKind === 'pixels';
    const pool = pixels && lane.poolFrame.length > 0;
    const buttons = this.#game.actionButtons(this.#actions[index]!);
    const components = this.#components;
    components.fill(0);
    const sticky = this.#config.stickyActionProb;
    const ram = core.ramView();
    // jsnes draws every frame anyway, so each frame keeps its pixels (the native pool's
    // unrendered frames and their re-runs give the same pictures).
    const skipper = { step: (buttons: number) => core.stepFrame(buttons, pixels) };
    let reward = 0;
    let terminated = false;
    let poolWith: Uint8Array | null = null;
    for (let f = 0; f < k; f++) {
      let pressed = buttons;
      if (sticky > 0 && lane.rng.nextDouble() < sticky) pressed = lane.lastButtons;
      lane.lastButtons = pressed;
      core.stepFrame(pressed, pixels);
      reward = Math.fround(reward + lane.game.afterFrame(ram, weights, components, this.#terminated));
      terminated = this.#terminated.terminated;
      if (terminated) break;
      lane.game.skipUnplayable(ram, skipper);
      if (pool && f === k - 2) {
        lane.poolFrame.set(core.frameView());
        poolWith = lane.poolFrame;
      }
    }
    if (pixels) {
      this.#pre!.resize(core.frameView(), poolWith, lane.stack.nextSlot());
      lane.stack.commit();
    } else if (this.#config.obsKind === 'tiles') {
      this.#pushTiles(lane);
    }
    lane.episodeSteps++;
    if (lane.game.maxX() > lane.stallBestX) {
      lane.stallBestX = lane.game.maxX();
      lane.stallSteps = 0;
    } else {
      lane.stallSteps++;
    }
    const max = this.#config.maxEpisodeSteps;
    const stall = this.#config.maxStallSteps;
    // native VecEnv::StepLane: a stall cut is truncated, or with stallTerminal ended like a death.
    const stalled = !terminated && stall > 0 && lane.stallSteps >= stall;
    if (stalled) {
      reward = Math.fround(reward + this.#config.stallReward);
      terminated = this.#config.stallTerminal;
    }
    lane.episodeReturn += reward;
    const truncated = !terminated && (stalled || (max > 0 && lane.episodeSteps >= max));
    b.reward[index] = reward;
    b.terminated[index] = terminated ? 1 : 0;
    b.truncated[index] = truncated ? 1 : 0;
    for (let c = 0; c < components.length; c++) b.components[c * n + index] = components[c]!;
    if (terminated || truncated) {
      this.#writeObs(index, b.finalObs);
      lane.game.writeInfo(b.finalInfo, index, n);
      b.episodeReturn[index] = lane.episodeReturn;
      b.episodeLength[index] = lane.episodeSteps;
      b.episodeMaxX[index] = lane.game.maxX();
      b.episodeFlag[index] = lane.game.reachedGoal() ? 1 : 0;
      b.episodeStartState[index] = lane.fromStartState ? 1 : 0;
      this.#resetLane(index);
    }
    this.#writeObs(index, b.obs);
    lane.game.writeInfo(b.info, index, n);
  }

  setRewardShaping(distanceStart: number, distanceEnd: number, scoreStart: number, scoreEnd: number, annealSteps: number): void {
    const f = Math.fround;
    this.#shaping = { start: { distance: f(distanceStart), score: f(scoreStart) }, end: { distance: f(distanceEnd), score: f(scoreEnd) }, annealSteps };
    this.#shapingStep = 0;
  }

  rewardWeights(): { distanceWeight: number; scoreWeight: number } {
    const w = this.#currentWeights();
    return { distanceWeight: w.distance, scoreWeight: w.score };
  }

  saveState(lane: number): Uint8Array {
    if (!Number.isInteger(lane) || lane < 0 || lane >= this.#lanes.length) {
      throw new RangeError(expectedMessage(`an integer in [0, ${this.#lanes.length - 1}]`, 'lanes', lane));
    }
    return this.#lanes[lane]!.core.saveState();
  }

  setStartStates(states: Uint8Array[], mode: string, share: number): void {
    if (states.length === 0) throw new RangeError(expectedMessage('a non-empty array of states', 'states', states));
    if (!(share >= 0 && share <= 1)) throw new RangeError(expectedMessage('a finite number in [0, 1]', 'share', share));
    const records = states.map((state, i) => {
      // The reset observation needs a rendered frame: one no-op frame from the state.
      const core = new JsnesCore(this.#rom, 0, 0);
      try {
        core.loadState(state);
      } catch (err) {
        throw new Error(`states[${i}]: ${(err as Error).message}`, { cause: err });
      }
      core.stepFrame(0, true);
      return { state: core.saveState(), frame: core.frameView().slice() };
    });
    this.#startStates = records;
    this.#startMode = mode as 'fixed' | 'sample' | 'cycle';
    this.#startShare = drawThreshold(share);
    for (const lane of this.#lanes) lane.cycle = 0;
  }

  clearStartStates(): void {
    this.#startStates = [];
    this.#startShare = DRAW_SCALE;
  }

  setStageWeights(weights: number[]): void {
    const n = this.#startPoints.length;
    if (weights.length !== n) throw new RangeError(expectedMessage(`an array of ${n} weights`, 'weights', weights));
    const max = Math.max(...weights);
    let thresholds: number[] = [];
    if (weights.some((w) => w !== weights[0])) {
      let total = 0;
      for (const w of weights) total += w / max;
      let prefix = 0;
      thresholds = weights.map((w) => {
        prefix += w / max;
        return Math.min(drawThreshold(prefix / total), DRAW_SCALE);
      });
      thresholds[n - 1] = DRAW_SCALE;
    }
    this.#stageWeights = [...weights];
    this.#stageThresholds = thresholds;
  }

  stageWeights(): number[] {
    return [...this.#stageWeights];
  }

  startStats(): { resets: number; fromStartStates: number } {
    let resets = 0,
      fromStartStates = 0;
    for (const lane of this.#lanes) {
      resets += lane.resets;
      fromStartStates += lane.resetsFromStates;
      lane.resets = lane.resetsFromStates = 0;
    }
    return { resets, fromStartStates };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const lane of this.#lanes) lane.core.close();
  }
}
