/**
 * A brute-force reference for the replay suites: N lanes of a fake vector env with frame stacking,
 * random episode lengths, terminations and truncations (auto-reset), whose every frame is unique.
 * It logs whole episodes, so the expected n-step transition of any (lane, episode, step) can be
 * computed directly from its definition.
 */
import { testRng } from './stats-helpers.js';

export interface ReferenceConfig {
  lanes: number;
  height: number;
  width: number;
  stack: number;
  padding: 'repeat' | 'zero';
  maxEpisodeLength: number;
  seed: number;
}

interface Episode {
  rewards: number[];
  actions: number[];
  /** Number of steps taken so far; the episode's frames are 0..length (frame length is the final one). */
  length: number;
  end: 'running' | 'terminated' | 'truncated';
  frameIds: number[];
}

export interface ExpectedTransition {
  obs: Uint8Array;
  action: number;
  ret: number;
  discount: number;
  nextObs: Uint8Array | undefined;
}

export class ReferenceVecEnv {
  readonly cfg: ReferenceConfig;
  readonly episodes: Episode[][];
  readonly #rng: () => number;
  readonly #targetLength: number[];
  #nextFrameId = 1;

  constructor(cfg: ReferenceConfig) {
    this.cfg = cfg;
    this.#rng = testRng(cfg.seed);
    this.episodes = Array.from({ length: cfg.lanes }, () => []);
    this.#targetLength = new Array(cfg.lanes).fill(0);
    for (let lane = 0; lane < cfg.lanes; lane++) this.#startEpisode(lane);
  }

  get frameBytes(): number {
    return this.cfg.height * this.cfg.width;
  }

  /** Bytes of a unique frame. */
  frame(id: number): Uint8Array {
    const out = new Uint8Array(this.frameBytes);
    for (let b = 0; b < out.length; b++) out[b] = (id * 131 + b * 7 + (id >> 8) * 17 + (b === 0 ? id : 0)) & 255;
    out[0] = id & 255;
    if (out.length > 1) out[1] = (id >> 8) & 255;
    return out;
  }

  /** The stacked observation [stack, H, W] at `step` of an episode. */
  stackAt(ep: Episode, step: number): Uint8Array {
    const { stack } = this.cfg;
    const F = this.frameBytes;
    const out = new Uint8Array(stack * F);
    for (let k = 0; k < stack; k++) {
      const t = step - (stack - 1 - k);
      if (t < 0 && this.cfg.padding === 'zero') continue;
      out.set(this.frame(ep.frameIds[Math.max(t, 0)]), k * F);
    }
    return out;
  }

  /** Current observations [N, stack, H, W]. */
  observe(): Uint8Array {
    const F = this.frameBytes * this.cfg.stack;
    const out = new Uint8Array(this.cfg.lanes * F);
    for (let lane = 0; lane < this.cfg.lanes; lane++) {
      const ep = this.current(lane);
      out.set(this.stackAt(ep, ep.length), lane * F);
    }
    return out;
  }

  /** Newest frames only, [N, H, W]. */
  static newestFrames(stacked: Uint8Array, lanes: number, stack: number, frameBytes: number): Uint8Array {
    const out = new Uint8Array(lanes * frameBytes);
    for (let lane = 0; lane < lanes; lane++) {
      const src = (lane * stack + stack - 1) * frameBytes;
      out.set(stacked.subarray(src, src + frameBytes), lane * frameBytes);
    }
    return out;
  }

  current(lane: number): Episode {
    const list = this.episodes[lane];
    return list[list.length - 1];
  }

  /** One step of every lane, with auto-reset; returns what a VecEnv step returns plus final observations. */
  step(actions: Int32Array): {
    rewards: Float32Array;
    terminated: Uint8Array;
    truncated: Uint8Array;
    obs: Uint8Array;
    finalObs: Uint8Array;
  } {
    const { lanes, stack } = this.cfg;
    const F = this.frameBytes * stack;
    const rewards = new Float32Array(lanes);
    const terminated = new Uint8Array(lanes);
    const truncated = new Uint8Array(lanes);
    const finalObs = new Uint8Array(lanes * F);
    for (let lane = 0; lane < lanes; lane++) {
      const ep = this.current(lane);
      const r = Math.fround(Math.round((this.#rng() * 4 - 1) * 1000) / 1000);
      rewards[lane] = r;
      ep.rewards.push(r);
      ep.actions.push(actions[lane]);
      ep.length++;
      ep.frameIds.push(this.#nextFrameId++);
      if (ep.length >= this.#targetLength[lane]) {
        const term = this.#rng() < 0.5;
        ep.end = term ? 'terminated' : 'truncated';
        if (term) terminated[lane] = 1;
        else truncated[lane] = 1;
        finalObs.set(this.stackAt(ep, ep.length), lane * F);
        this.#startEpisode(lane);
      }
    }
    return { rewards, terminated, truncated, obs: this.observe(), finalObs };
  }

  randomActions(): Int32Array {
    return Int32Array.from({ length: this.cfg.lanes }, () => Math.floor(this.#rng() * 7));
  }

  /** Whether transition (lane, episode, step) has a known n-step return after everything stepped so far. */
  isComplete(lane: number, episode: number, step: number, nStep: number, truncationBootstraps: boolean): boolean {
    const ep = this.episodes[lane][episode];
    if (step >= ep.length) return false;
    if (ep.end !== 'running') return true;
    void truncationBootstraps;
    return step + nStep <= ep.length;
  }

  /** The transition's expected content by definition (discount γ^m, or 0 if terminated within n). */
  expected(lane: number, episode: number, step: number, nStep: number, gamma: number, finalObsGiven: boolean): ExpectedTransition {
    const ep = this.episodes[lane][episode];
    const m = Math.min(nStep, ep.length - step);
    let ret = 0;
    for (let k = 0; k < m; k++) ret += gamma ** k * ep.rewards[step + k];
    const endsInside = step + m === ep.length && ep.end !== 'running';
    const bootstraps = !endsInside || (ep.end === 'truncated' && finalObsGiven);
    return {
      obs: this.stackAt(ep, step),
      action: ep.actions[step],
      ret: Math.fround(ret),
      discount: bootstraps ? Math.fround(gamma ** m) : 0,
      nextObs: bootstraps ? this.stackAt(ep, step + m) : undefined,
    };
  }

  #startEpisode(lane: number): void {
    this.episodes[lane].push({ rewards: [], actions: [], length: 0, end: 'running', frameIds: [this.#nextFrameId++] });
    this.#targetLength[lane] = 1 + Math.floor(this.#rng() * this.cfg.maxEpisodeLength);
  }
}
