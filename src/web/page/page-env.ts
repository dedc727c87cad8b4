/**
 * The page's environment: one lane stepped the way the native pool (native/env/vec_env.cc) and
 * the jsnes backend's JsVecEnv (src/env/js/vec-env.ts) step one, on the same parts: JsnesCore
 * (jsnes with palette-index frames), the game's rules (src/env/js/runner.ts, smb1.ts: the
 * TypeScript twins of the native adapters) and the TS preprocessing. The page needs what
 * JsVecEnv keeps inside: the lane's frame for the screen and a count of every frame emulated.
 *
 *   action → joypad byte → frameSkip × (frame → game.afterFrame → game.skipUnplayable)
 *          → last two frames max-pooled → Preprocessor → FrameStack → obs [stack, C, H, W] uint8
 *
 * The stage's start point is built once and restored from a save state at every reset, as in the
 * pools. Ownership: one per page; its arrays are reused by the next step (copy what you keep).
 */
import { JsnesCore } from '../../backend/jsnes-core.js';
import { parseInes } from '../../backend/ines.js';
import { type JsGame, type JsGameLane } from '../../env/js/game.js';
import { FrameStack, Preprocessor, SOURCE_PIXELS } from '../../env/js/preprocess.js';
import { GAMES } from '../../env/js/vec-env.js';
import { type SiteConfig } from '../site-config.js';

/** What one step did. */
export interface PageStep {
  /** The step's reward (the sum over its frames, float32). */
  reward: number;
  /** The episode ended by the game's rules (death, flag). */
  terminated: boolean;
  /** The episode was cut by maxEpisodeSteps. */
  truncated: boolean;
}

/** The site's game with its options; throws TypeError naming `rom` when `rom` is not that game's image. */
export function siteGame(site: SiteConfig, rom: Uint8Array): JsGame {
  const Game = GAMES[site.game];
  if (!Game) throw new RangeError(`Expected a game the page knows (${Object.keys(GAMES).join(', ')}) for game but received '${site.game}'`);
  const game = new Game({ actions: site.actions, stages: [site.stage], reward: site.reward });
  game.checkRom(parseInes(rom));
  return game;
}

export class PageEnv {
  readonly core: JsnesCore;
  readonly game: JsGame;
  readonly #site: SiteConfig;
  readonly #lane: JsGameLane;
  readonly #pre: Preprocessor;
  readonly #stack: FrameStack;
  readonly #pool = new Uint8Array(SOURCE_PIXELS);
  readonly #components: Float32Array;
  readonly #ended = { terminated: false };
  readonly #skipper = { step: (buttons: number) => this.#frame(buttons) };
  #start: { state: Uint8Array; frame: Uint8Array } | undefined;
  /** Observation [stack, C, H, W] of the current step. */
  readonly obs: Uint8Array;
  /** Frames emulated since the page loaded (start point and skipped frames included). */
  frames = 0;
  /** Agent steps in the current episode. */
  episodeSteps = 0;
  /** Sum of the current episode's rewards. */
  episodeReturn = 0;
  /** Episodes started (1 after the first reset). */
  episodes = 0;

  /** `rom`: the game's iNES image (checked by the game: TypeError naming `rom`). */
  constructor(site: SiteConfig, rom: Uint8Array) {
    this.#site = site;
    this.game = siteGame(site, rom);
    this.core = new JsnesCore(rom, 0, 0);
    this.#lane = this.game.newLane();
    this.#components = new Float32Array(this.game.rewardComponents.length);
    const { width, height, stack, grayscale } = site.obs;
    this.#pre = new Preprocessor({ width, height, stack, grayscale, cropTop: 0, cropBottom: 0, cropLeft: 0, cropRight: 0 });
    this.#stack = new FrameStack(stack, this.#pre.frameBytes);
    this.obs = new Uint8Array(this.#pre.obsBytes);
  }

  /** Palette indices (0..63) of the frame on screen, 256×240 (a live view). */
  get screen(): Uint8Array {
    return this.core.frameView();
  }

  #frame(buttons: number): void {
    this.core.stepFrame(buttons, true);
    this.frames++;
  }

  /** Starts a new episode from the stage's start point; `obs` is its first observation. */
  reset(): void {
    if (!this.#start) {
      const before = this.core.frameCount();
      this.game.buildStartPoint(0, this.core);
      this.frames += this.core.frameCount() - before;
      this.#start = { state: this.core.saveState(), frame: this.core.frameView().slice() };
    } else {
      this.core.loadState(this.#start.state);
      this.core.frameView().set(this.#start.frame);
    }
    this.#lane.onReset(this.core.ramView());
    this.#pre.resize(this.#start.frame, null, this.#stack.nextSlot());
    this.#stack.commit();
    this.#stack.fillWithNewest();
    this.#stack.writeObs(this.obs);
    this.episodeSteps = 0;
    this.episodeReturn = 0;
    this.episodes++;
  }

  /** One agent step with action `action`; at the episode's end the caller resets. */
  step(action: number): PageStep {
    if (!Number.isInteger(action) || action < 0 || action >= this.game.numActions)
      throw new RangeError(`Expected an action in [0, ${this.game.numActions - 1}] for action but received ${action}`);
    return this.stepButtons(this.game.actionButtons(action));
  }

  /** One step holding the joypad byte `buttons` (keyboard play). */
  stepButtons(buttons: number): PageStep {
    const k = this.#site.frameSkip;
    const pool = this.#site.maxPool && k >= 2;
    const ram = this.core.ramView();
    const weights = this.game.defaultWeights;
    let reward = 0;
    let pooled = false;
    this.#ended.terminated = false;
    this.#components.fill(0);
    for (let f = 0; f < k; f++) {
      this.#frame(buttons);
      reward = Math.fround(reward + this.#lane.afterFrame(ram, weights, this.#components, this.#ended));
      if (this.#ended.terminated) break;
      this.#lane.skipUnplayable(ram, this.#skipper);
      if (pool && f === k - 2) {
        this.#pool.set(this.core.frameView());
        pooled = true;
      }
    }
    this.#pre.resize(this.core.frameView(), pooled ? this.#pool : null, this.#stack.nextSlot());
    this.#stack.commit();
    this.#stack.writeObs(this.obs);
    this.episodeSteps++;
    this.episodeReturn += reward;
    const terminated = this.#ended.terminated;
    const truncated = !terminated && this.#site.maxEpisodeSteps > 0 && this.episodeSteps >= this.#site.maxEpisodeSteps;
    return { reward, terminated, truncated };
  }
}
