/**
 * `JsVecEnv`: the batched environment on the jsnes backend, behind the raw interface the native
 * pool has (`NativeVecEnv`), so `VecEnv` (../vec-env.ts) wraps either one unchanged.
 *
 * The pipeline in one sentence, as natively (native/env/vec_env.cc) but on the calling thread:
 * actions -> each lane, in order, `JsLane.step` (lane.ts: frame skip with sticky actions, the
 * game's rules after every frame and its skipped frames, max-pool of the last two frames, the TS
 * preprocessing or the tile grid or the RAM) -> the lane's slice of the bound buffers.
 * Same-step autoreset, start points, start states, stage weights, reward annealing and the
 * per-lane random streams (lane-rng.ts, seeded from (seed, lane)) follow the native code line for
 * line, so for the same seed both backends make the same draws. `numThreads` is accepted and
 * ignored: results never depended on it. `stepAsync` steps synchronously and then resolves.
 *
 * Ownership: one JsVecEnv owns its lanes (JsLane: a JsnesCore, a game lane, a random stream and a
 * frame stack each); the buffers are the caller's, bound once, written in place.
 */
import { JsnesCore } from '../../backend/jsnes-core.js';
import { parseInes } from '../../backend/ines.js';
import type { NativeVecEnv, NativeVecEnvConfig } from '../../native.js';
import { expectedMessage } from '../../validate.js';
import { type JsGame, type JsGameOptions, type JsRewardWeights } from './game.js';
import { JsLane, startPointOf, type JsLaneObs, type JsStallCut, type JsStartPoint } from './lane.js';
import { LaneRng } from './lane-rng.js';
import { Preprocessor } from './preprocess.js';
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

/** A JsLane and the pool's start-draw bookkeeping for it. */
interface Lane {
  sim: JsLane;
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
  readonly #obsBytes: number;
  readonly #lanes: Lane[] = [];
  readonly #startPoints: JsStartPoint[] = [];
  #startStates: JsStartPoint[] = [];
  #startMode: 'fixed' | 'sample' | 'cycle' = 'fixed';
  #startShare = DRAW_SCALE;
  #stageWeights: number[];
  #stageThresholds: number[] = [];
  #buffers: Buffers | undefined;
  #shaping: { start: JsRewardWeights; end: JsRewardWeights; annealSteps: number };
  #shapingStep = 0;
  #actions: Int32Array;
  readonly #numComponents: number;
  readonly #stall: JsStallCut;
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
    let obs: JsLaneObs;
    if (config.obsKind === 'pixels') {
      const pre = new Preprocessor({
        width: config.width,
        height: config.height,
        stack: config.stack,
        grayscale: config.grayscale,
        cropTop: config.cropTop,
        cropBottom: config.cropBottom,
        cropLeft: config.cropLeft,
        cropRight: config.cropRight,
      });
      obs = { kind: 'pixels', pre, stack: config.stack, maxPool: config.maxPool };
    } else if (config.obsKind === 'tiles') {
      obs = { kind: 'tiles', rows: config.tileRows, cols: config.tileCols, stack: config.stack };
    } else {
      obs = { kind: 'ram' };
    }
    this.#shaping = { start: { ...this.#game.defaultWeights }, end: { ...this.#game.defaultWeights }, annealSteps: 0 };
    this.#numComponents = this.#game.rewardComponents.length;
    this.#stall = { maxSteps: config.maxStallSteps, terminal: config.stallTerminal, reward: config.stallReward };
    this.#actions = new Int32Array(config.numEnvs);

    for (let i = 0; i < this.#game.numStartPoints; i++) {
      const core = new JsnesCore(rom, 0, 0);
      this.#game.buildStartPoint(i, core);
      this.#startPoints.push(startPointOf(core));
      core.close();
    }
    this.#stageWeights = this.#startPoints.map(() => 1);
    for (let i = 0; i < config.numEnvs; i++) {
      const sim = new JsLane({
        rom,
        game: this.#game,
        obs,
        frameSkip: config.frameSkip,
        stickyActionProb: config.stickyActionProb,
        rng: new LaneRng(config.seed, i),
      });
      this.#lanes.push({
        sim,
        cycle: 0,
        fromStartState: false,
        resets: 0,
        resetsFromStates: 0,
      });
    }
    this.#obsBytes = this.#lanes[0]!.sim.obsBytes;
    this.description = {
      numEnvs: config.numEnvs,
      numActions: this.#game.numActions,
      obsBytes: this.#obsBytes,
      stateSize: this.#lanes[0]!.sim.core.stateSize(),
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
        lane.sim.rng.seed(seed, i);
        lane.cycle = 0;
      }
      this.#resetLane(i);
      lane.sim.writeObs(b.obs, i * this.#obsBytes);
      lane.sim.game.writeInfo(b.info, i, n);
      b.reward[i] = 0;
      b.terminated[i] = 0;
      b.truncated[i] = 0;
      for (let c = 0; c < this.#numComponents; c++) b.components[c * n + i] = 0;
    });
  }

  #drawStart(index: number): JsStartPoint {
    const lane = this.#lanes[index]!;
    const rng = lane.sim.rng;
    let fromStates = this.#startStates.length > 0;
    if (fromStates && this.#startShare < DRAW_SCALE) fromStates = rng.nextU32() >>> 8 < this.#startShare;
    lane.fromStartState = fromStates;
    lane.resets++;
    if (fromStates) {
      lane.resetsFromStates++;
      const n = this.#startStates.length;
      if (this.#startMode === 'fixed') return this.#startStates[index % n]!;
      if (this.#startMode === 'sample') return this.#startStates[rng.nextBelow(n)]!;
      return this.#startStates[(index + lane.cycle++ * this.#lanes.length) % n]!;
    }
    const n = this.#startPoints.length;
    if (n === 1) return this.#startPoints[0]!;
    if (this.#stageThresholds.length === 0) return this.#startPoints[rng.nextBelow(n)]!;
    const r = rng.nextU32() >>> 8;
    let i = 0;
    while (r >= this.#stageThresholds[i]!) i++;
    return this.#startPoints[i]!;
  }

  #resetLane(index: number): void {
    this.#lanes[index]!.sim.restart(this.#drawStart(index), this.#config.noopMax);
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
    const sim = lane.sim;
    const n = this.#lanes.length;
    sim.step(this.#game.actionButtons(this.#actions[index]!), weights, this.#stall);
    const terminated = sim.terminated;
    const truncated = sim.truncated(this.#config.maxEpisodeSteps, this.#config.maxStallSteps);
    b.reward[index] = sim.reward;
    b.terminated[index] = terminated ? 1 : 0;
    b.truncated[index] = truncated ? 1 : 0;
    for (let c = 0; c < this.#numComponents; c++) b.components[c * n + index] = sim.components[c]!;
    if (terminated || truncated) {
      sim.writeObs(b.finalObs, index * this.#obsBytes);
      sim.game.writeInfo(b.finalInfo, index, n);
      b.episodeReturn[index] = sim.episodeReturn;
      b.episodeLength[index] = sim.episodeSteps;
      b.episodeMaxX[index] = sim.game.maxX();
      b.episodeFlag[index] = sim.game.reachedGoal() ? 1 : 0;
      b.episodeStartState[index] = lane.fromStartState ? 1 : 0;
      this.#resetLane(index);
    }
    sim.writeObs(b.obs, index * this.#obsBytes);
    sim.game.writeInfo(b.info, index, n);
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
    return this.#lanes[lane]!.sim.core.saveState();
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
      core.stepFrame(0, false);
      const start = startPointOf(core);
      core.close();
      return start;
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
    for (const lane of this.#lanes) lane.sim.core.close();
  }
}
