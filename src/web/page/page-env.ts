/**
 * The page's environment: one `JsLane` (src/env/js/lane.ts), the lane the jsnes backend's
 * JsVecEnv steps too, so the page plays by the same rules, frame loop and preprocessing as the
 * Node side (and, through the rules twins, the native pool):
 *
 *   action → joypad byte → JsLane.step (frameSkip × (frame → game.afterFrame → game.skipUnplayable)
 *          → last two frames max-pooled → Preprocessor → FrameStack) → obs [stack, C, H, W] uint8
 *
 * The stage's start point is built once and restored at every reset, as in the pools. What the
 * page adds: its screen, a count of every frame emulated and the episode's cut at maxEpisodeSteps.
 * Ownership: one per page; its arrays are reused by the next step (copy what you keep).
 */
import { parseInes } from '../../backend/ines.js';
import { JsnesCore } from '../../backend/jsnes-core.js';
import { type JsGame } from '../../env/js/game.js';
import { JsLane, startPointOf, type JsStartPoint } from '../../env/js/lane.js';
import { LaneRng } from '../../env/js/lane-rng.js';
import { Preprocessor, type IndexFrame } from '../../env/js/preprocess.js';
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
  readonly game: JsGame;
  readonly #site: SiteConfig;
  readonly #lane: JsLane;
  readonly #rom: Uint8Array;
  #start: JsStartPoint | undefined;
  /** Frames emulated to build the start point. */
  #buildFrames = 0;
  /** Observation [stack, C, H, W] of the current step. */
  readonly obs: Uint8Array;
  /** Episodes started (1 after the first reset). */
  episodes = 0;

  /** `rom`: the game's iNES image (checked by the game: TypeError naming `rom`). */
  constructor(site: SiteConfig, rom: Uint8Array) {
    this.#site = site;
    this.#rom = rom;
    this.game = siteGame(site, rom);
    const { width, height, stack, grayscale } = site.obs;
    const pre = new Preprocessor({ width, height, stack, grayscale, cropTop: 0, cropBottom: 0, cropLeft: 0, cropRight: 0 });
    this.#lane = new JsLane({
      rom,
      game: this.game,
      obs: { kind: 'pixels', pre, stack, maxPool: site.maxPool },
      frameSkip: site.frameSkip,
      stickyActionProb: 0,
      rng: new LaneRng(0, 0),
    });
    this.obs = new Uint8Array(pre.obsBytes);
  }

  /** Palette indices (0..63 in the low bits) of the frame on screen, 256×240 (read it before the next step). */
  get screen(): IndexFrame {
    return this.#lane.screen();
  }

  /** Frames emulated since the page loaded (start point and skipped frames included). */
  get frames(): number {
    return this.#buildFrames + this.#lane.frames;
  }

  /** Agent steps in the current episode. */
  get episodeSteps(): number {
    return this.#lane.episodeSteps;
  }

  /** Sum of the current episode's rewards. */
  get episodeReturn(): number {
    return this.#lane.episodeReturn;
  }

  /** Starts a new episode from the stage's start point; `obs` is its first observation. */
  reset(): void {
    if (!this.#start) {
      const core = new JsnesCore(this.#rom, 0, 0);
      this.game.buildStartPoint(0, core);
      this.#buildFrames = core.frameCount();
      this.#start = startPointOf(core);
      core.close();
    }
    this.#lane.restart(this.#start, 0);
    this.#lane.writeObs(this.obs, 0);
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
    const lane = this.#lane;
    lane.step(buttons, this.game.defaultWeights);
    lane.writeObs(this.obs, 0);
    return { reward: lane.reward, terminated: lane.terminated, truncated: lane.truncated(this.#site.maxEpisodeSteps, 0) };
  }
}
