/**
 * The page's environment: one lane of VecEnv on jsnes, stepped the way native/env/vec_env.cc
 * steps a lane (frameSkip frames holding the action, rewards summed, termination checked after
 * every frame, unplayable frames skipped, the last two frames max-pooled), observations from
 * the TS preprocessing (bit-exact with the native one) into a frame stack, same-step reset.
 *
 *   action → joypad byte → frameSkip × (jsnes frame → rules.afterFrame → rules.skipUnplayable)
 *          → palette indices of the last two frames → Preprocessor (max-pool, resize) → FrameStack
 *          → obs [stack, C, H, W] uint8
 *
 * Ownership: one per page; its arrays are reused by the next step (copy what you keep).
 */
import { FrameStack, Preprocessor } from '../../env/js/preprocess.js';
import { type SiteConfig } from '../site-config.js';
import { FRAME_PIXELS, JsnesConsole, type JsnesState } from './jsnes-console.js';
import { RunnerRules } from './runner-rules.js';

/** What one step did. */
export interface PageStep {
  /** The step's reward (the sum over its frames). */
  reward: number;
  /** The episode ended by the game's rules (death, flag). */
  terminated: boolean;
  /** The episode was cut by maxEpisodeSteps. */
  truncated: boolean;
}

export class PageEnv {
  readonly console: JsnesConsole;
  readonly #site: SiteConfig;
  readonly #rules: RunnerRules;
  readonly #pre: Preprocessor;
  readonly #stack: FrameStack;
  readonly #last = new Uint8Array(FRAME_PIXELS);
  readonly #previous = new Uint8Array(FRAME_PIXELS);
  /** The stage's start point, built once (as the native env builds its start points): state and palette indices of its frame. */
  #start: { state: JsnesState; indices: Uint8Array } | undefined;
  /** Observation [stack, C, H, W] of the current step. */
  readonly obs: Uint8Array;
  /** Agent steps in the current episode. */
  episodeSteps = 0;
  /** Sum of the current episode's rewards. */
  episodeReturn = 0;
  /** Episodes started (1 after the first reset). */
  episodes = 0;

  constructor(site: SiteConfig, rom: Uint8Array) {
    this.#site = site;
    this.console = new JsnesConsole(rom);
    this.#rules = new RunnerRules(Number(site.stage));
    const { width, height, stack, grayscale } = site.obs;
    this.#pre = new Preprocessor({ width, height, stack, grayscale, cropTop: 0, cropBottom: 0, cropLeft: 0, cropRight: 0 });
    this.#stack = new FrameStack(stack, this.#pre.frameBytes);
    this.obs = new Uint8Array(this.#pre.obsBytes);
  }

  /** Frames emulated since the page loaded (start points and skipped frames included). */
  get frames(): number {
    return this.console.frames;
  }

  /** Starts a new episode from the stage's start point; `obs` is its first observation. */
  reset(): void {
    if (!this.#start) {
      this.console.powerOn();
      this.#rules.buildStartPoint(this.console);
      const indices = new Uint8Array(FRAME_PIXELS);
      this.console.indexFrame(indices);
      this.#start = { state: this.console.saveState(), indices };
    } else {
      this.console.loadState(this.#start.state);
    }
    this.#rules.onReset(this.console);
    this.#last.set(this.#start.indices);
    this.#pre.resize(this.#last, null, this.#stack.nextSlot());
    this.#stack.commit();
    this.#stack.fillWithNewest();
    this.#stack.writeObs(this.obs);
    this.episodeSteps = 0;
    this.episodeReturn = 0;
    this.episodes++;
  }

  /** One agent step with action `action`; on the episode's end the caller resets (see `step`'s result). */
  step(action: number): PageStep {
    const buttons = this.#site.actionButtons[action];
    if (buttons === undefined) throw new RangeError(`Expected an action in [0, ${this.#site.actionButtons.length - 1}] for action but received ${action}`);
    return this.stepButtons(buttons);
  }

  /** One step holding the joypad byte `buttons` (keyboard play). */
  stepButtons(buttons: number): PageStep {
    const k = this.#site.frameSkip;
    const pool = this.#site.maxPool && k >= 2;
    let reward = 0;
    let terminated = false;
    let pooled = false;
    for (let f = 0; f < k; f++) {
      this.console.stepFrame(buttons);
      const r = this.#rules.afterFrame(this.console);
      reward = Math.fround(reward + r.reward);
      if (r.terminated) {
        terminated = true;
        break;
      }
      this.#rules.skipUnplayable(this.console);
      if (pool && f === k - 2) {
        this.console.indexFrame(this.#previous);
        pooled = true;
      }
    }
    this.console.indexFrame(this.#last);
    this.#pre.resize(this.#last, pooled ? this.#previous : null, this.#stack.nextSlot());
    this.#stack.commit();
    this.#stack.writeObs(this.obs);
    this.episodeSteps++;
    this.episodeReturn += reward;
    const truncated = !terminated && this.#site.maxEpisodeSteps > 0 && this.episodeSteps >= this.#site.maxEpisodeSteps;
    return { reward, terminated, truncated };
  }
}
