/**
 * `JsLane`: one environment lane on the jsnes backend, and the one place its step is written.
 * The jsnes VecEnv (vec-env.ts) steps N of them; the export-web page (src/web/page/page-env.ts)
 * steps one and draws its screen. The step, as natively (native/env/vec_env.cc):
 *
 *   joypad byte -> frameSkip x (sticky action? -> frame -> game.afterFrame -> stop at termination
 *   -> game.skipUnplayable) -> max-pool of the last two frames -> the observation's newest frame
 *   (Preprocessor into the FrameStack [stack, C, H, W], the game's tile grid [stack, rows, cols],
 *   or the live RAM [2048])
 *
 * Frames run with `render: false`: no frame is copied out of jsnes. The pictures the observation
 * needs (the last frame and, with max-pool, the one before it) are read straight from jsnes's
 * frame buffer (`JsnesCore.liveFrame`). A reset restores a start point decoded once
 * (`JsnesCore.decodeState`) rather than parsing its save state again.
 *
 * Ownership: a JsLane is owned by the one caller stepping it; the Preprocessor and the start
 * points may be shared between lanes (both are only read).
 */
import { JsnesCore, type JsnesDecodedState } from '../../backend/jsnes-core.js';
import { TileGrid, type JsGame, type JsGameLane, type JsRewardWeights, type JsSkippedFrames } from './game.js';
import { LaneRng } from './lane-rng.js';
import { FrameStack, SOURCE_PIXELS, type IndexFrame, type Preprocessor } from './preprocess.js';

/** Bytes of a RAM observation. */
export const RAM_BYTES = 2048;

/** A place an episode starts: a save state (decoded once) and the frame shown there. */
export interface JsStartPoint {
  /** The save state's bytes (what `saveState` gives). */
  state: Uint8Array;
  /** The same state, decoded for fast loads. */
  decoded: JsnesDecodedState;
  /** Palette indices of the frame shown at this state (the reset observation's picture). */
  frame: IndexFrame;
}

/** Makes a start point of a console's current state and frame (its last frame must have been emulated). */
export function startPointOf(core: JsnesCore): JsStartPoint {
  const state = core.saveState();
  return { state, decoded: core.decodeState(state), frame: core.liveFrame().slice() };
}

/** The observation a lane makes. */
export type JsLaneObs =
  { kind: 'pixels'; pre: Preprocessor; stack: number; maxPool: boolean } | { kind: 'tiles'; rows: number; cols: number; stack: number } | { kind: 'ram' };

/** What a lane is built from (validated by the VecEnv or the site config). */
/** What a stall cut does (VecEnv `maxStallSteps`, `stallTerminal`, `stallReward`). */
export interface JsStallCut {
  maxSteps: number;
  terminal: boolean;
  reward: number;
}

export interface JsLaneOptions {
  rom: Uint8Array;
  game: JsGame;
  obs: JsLaneObs;
  /** Emulated frames per agent step, >= 1. */
  frameSkip: number;
  /** Chance per frame that the previous frame's buttons stay held, [0, 1). */
  stickyActionProb: number;
  /** The lane's random stream (sticky actions, no-op counts; the VecEnv's start draws too). */
  rng: LaneRng;
}

/** One lane: a jsnes console, its game rules, its observation and its episode's counters. */
export class JsLane {
  readonly core: JsnesCore;
  readonly game: JsGameLane;
  readonly rng: LaneRng;
  /** The last step's weighted reward components (float32), in the game's order. */
  readonly components: Float32Array;
  /** The last step's reward (float32 sum over its frames). */
  reward = 0;
  /** The last step ended the episode by the game's rules (death, flag, game over). */
  terminated = false;
  /** Agent steps in this episode. */
  episodeSteps = 0;
  /** Sum of this episode's rewards. */
  episodeReturn = 0;
  /** Agent steps since the episode's max x last grew (maxStallSteps). */
  stallSteps = 0;
  /** Frames this lane emulated: steps, skipped frames and no-ops (not the start points' builds). */
  frames = 0;

  readonly #tileGame: JsGame;
  readonly #obs: JsLaneObs;
  readonly #stack: FrameStack | null;
  readonly #frameSkip: number;
  readonly #sticky: number;
  /** Max-pool: a copy of the step's second-to-last frame ([0] without max-pool). */
  readonly #poolFrame: Uint32Array;
  readonly #ended = { terminated: false };
  readonly #skipper: JsSkippedFrames = { step: (buttons) => this.#frame(buttons) };
  #lastButtons = 0;
  #stallBestX = 0;
  /** The frame the newest observation was made from (a start point's after a reset). */
  #screen: IndexFrame;

  constructor(options: JsLaneOptions) {
    this.core = new JsnesCore(options.rom, 0, 0);
    this.#tileGame = options.game;
    this.game = options.game.newLane();
    this.rng = options.rng;
    this.components = new Float32Array(options.game.rewardComponents.length);
    this.#obs = options.obs;
    const obs = options.obs;
    this.#stack =
      obs.kind === 'pixels' ? new FrameStack(obs.stack, obs.pre.frameBytes) : obs.kind === 'tiles' ? new FrameStack(obs.stack, obs.rows * obs.cols) : null;
    this.#frameSkip = options.frameSkip;
    this.#sticky = options.stickyActionProb;
    this.#poolFrame = new Uint32Array(obs.kind === 'pixels' && obs.maxPool && options.frameSkip >= 2 ? SOURCE_PIXELS : 0);
    this.#screen = this.core.liveFrame();
  }

  /** Bytes of one observation. */
  get obsBytes(): number {
    return this.#stack ? this.#stack.stack * this.#stack.frameBytes : RAM_BYTES;
  }

  /** Palette indices (0..63 in the low bits) of the frame the newest observation shows, 256x240; read it before the next step. */
  screen(): IndexFrame {
    return this.#screen;
  }

  #frame(buttons: number): void {
    this.core.stepFrame(buttons, false);
    this.frames++;
  }

  /** Starts an episode at `start`, after a random 0..noopMax no-op frames; the observation is that frame repeated. */
  restart(start: JsStartPoint, noopMax: number): void {
    const core = this.core;
    core.loadDecoded(start.decoded);
    this.#screen = start.frame;
    if (noopMax > 0) {
      const noops = this.rng.nextBelow(noopMax + 1);
      for (let f = 0; f < noops; f++) this.#frame(0);
      if (noops > 0) this.#screen = core.liveFrame();
    }
    this.game.onReset(core.ramView());
    this.#lastButtons = 0;
    this.episodeSteps = 0;
    this.stallSteps = 0;
    this.#stallBestX = this.game.maxX();
    this.episodeReturn = 0;
    this.reward = 0;
    this.terminated = false;
    this.components.fill(0);
    if (this.#stack) {
      this.#pushFrame(null);
      this.#stack.fillWithNewest();
    }
  }

  /**
   * One agent step holding the joypad byte `buttons`; sets `reward`, `components`, `terminated`.
   * With `stall` (the VecEnv's maxStallSteps > 0), a stall cut adds `stall.reward` and, with
   * `stall.terminal`, ends the episode as terminated (native VecEnv::StepLane).
   */
  step(buttons: number, weights: JsRewardWeights, stall?: JsStallCut): void {
    const core = this.core;
    const game = this.game;
    const ram = core.ramView();
    const k = this.#frameSkip;
    const pool = this.#poolFrame.length > 0;
    const sticky = this.#sticky;
    const components = this.components;
    components.fill(0);
    let reward = 0;
    let pooled = false;
    for (let f = 0; f < k; f++) {
      let pressed = buttons;
      if (sticky > 0 && this.rng.nextDouble() < sticky) pressed = this.#lastButtons;
      this.#lastButtons = pressed;
      this.#frame(pressed);
      reward = Math.fround(reward + game.afterFrame(ram, weights, components, this.#ended));
      if (this.#ended.terminated) break;
      game.skipUnplayable(ram, this.#skipper);
      if (pool && f === k - 2) {
        this.#poolFrame.set(core.liveFrame());
        pooled = true;
      }
    }
    this.#screen = core.liveFrame();
    if (this.#stack) this.#pushFrame(pooled ? this.#poolFrame : null);
    let terminated = this.#ended.terminated;
    this.episodeSteps++;
    if (game.maxX() > this.#stallBestX) {
      this.#stallBestX = game.maxX();
      this.stallSteps = 0;
    } else {
      this.stallSteps++;
    }
    if (stall && !terminated && stall.maxSteps > 0 && this.stallSteps >= stall.maxSteps) {
      reward = Math.fround(reward + stall.reward);
      terminated = stall.terminal;
    }
    this.reward = reward;
    this.terminated = terminated;
    this.episodeReturn += reward;
  }

  /** Whether the episode is cut (not terminated) by `maxEpisodeSteps` or `maxStallSteps` (0 = no limit). */
  truncated(maxEpisodeSteps: number, maxStallSteps: number): boolean {
    if (this.terminated) return false;
    return (maxEpisodeSteps > 0 && this.episodeSteps >= maxEpisodeSteps) || (maxStallSteps > 0 && this.stallSteps >= maxStallSteps);
  }

  /** Writes the observation [stack, ...] (or the RAM) into `out` at `offset`. */
  writeObs(out: Uint8Array, offset: number): void {
    if (this.#stack) this.#stack.writeObs(out, offset);
    else out.set(this.core.ramView(), offset);
  }

  /** The newest frame of the observation from `#screen` (pixels) or the RAM (tiles). */
  #pushFrame(poolWith: IndexFrame | null): void {
    const stack = this.#stack!;
    const obs = this.#obs;
    if (obs.kind === 'pixels') obs.pre.resize(this.#screen, poolWith, stack.nextSlot());
    else if (obs.kind === 'tiles') this.#tileGame.writeTiles(this.core.ramView(), new TileGrid(stack.nextSlot(), obs.rows, obs.cols));
    stack.commit();
  }
}
