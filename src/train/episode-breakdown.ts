/**
 * Per-episode breakdowns of the training episodes, added to every metrics row:
 *
 *   rewards/<component>        the env's reward components (distance, time, score, coin, powerUp,
 *                              flag, death for SMB1) summed per episode, mean over the episodes
 *                              that finished since the previous row
 *   stages/<stage>/flag_rate   per stage, over its last `log.windowEpisodes` episodes
 *   stages/<stage>/max_x_mean  (and `stages/<stage>/episodes`, the window's size)
 *
 * Episodes that began from a start state (the start-state queue) are counted apart
 * (`start_states/episodes`, `start_states/flag_rate`), so they do not flatter a stage's numbers.
 */
import { type StepResult } from '../env/vec-env.js';
import { type CallbackContext, type TrainerCallback } from './callbacks.js';
import { finishedStage } from './stages.js';

/** A small ring of (flag, maxX) per stage. */
class StageWindow {
  readonly flags: Uint8Array;
  readonly maxX: Float64Array;
  count = 0;
  next = 0;
  constructor(size: number) {
    this.flags = new Uint8Array(size);
    this.maxX = new Float64Array(size);
  }
  add(flag: boolean, maxX: number): void {
    this.flags[this.next] = flag ? 1 : 0;
    this.maxX[this.next] = maxX;
    this.next = (this.next + 1) % this.flags.length;
    this.count = Math.min(this.count + 1, this.flags.length);
  }
}

/** The breakdown callback (see the file comment); the Trainer registers it for every run. */
export class EpisodeBreakdown implements TrainerCallback {
  readonly name = 'episodeBreakdown';
  readonly #windowSize: number;
  #perLane: Float64Array[] = []; // [component][lane] running sums of the lanes' episodes
  #names: readonly string[] = [];
  #sums: Float64Array = new Float64Array(0); // [component] over episodes finished since the last row
  #episodes = 0;
  #stages = new Map<string, StageWindow>();
  #fromStates = { episodes: 0, flags: 0 };

  readonly #perStage: boolean;

  /**
   * @param windowEpisodes episodes per stage window (config log.windowEpisodes)
   * @param perStage write the `stages/*` values (runs on several stages)
   */
  constructor(windowEpisodes: number, perStage: boolean) {
    this.#windowSize = windowEpisodes;
    this.#perStage = perStage;
  }

  onTrainStart(ctx: CallbackContext): void {
    this.#names = ctx.env.rewardComponentNames;
    this.#sums = new Float64Array(this.#names.length);
    this.#episodes = 0;
  }

  onEnvReset(ctx: CallbackContext): void {
    // The running episodes were cut (not counted): their partial sums go.
    this.#perLane = this.#names.map(() => new Float64Array(ctx.env.numEnvs));
  }

  onStep(_ctx: CallbackContext, r: StepResult): void {
    const n = r.reward.length;
    for (let c = 0; c < this.#names.length; c++) {
      const comp = r.rewardComponents[this.#names[c]!]!;
      const acc = this.#perLane[c]!;
      for (let lane = 0; lane < n; lane++) acc[lane]! += comp[lane]!;
    }
    for (let lane = 0; lane < n; lane++) {
      if (!r.terminated[lane] && !r.truncated[lane]) continue;
      for (let c = 0; c < this.#names.length; c++) {
        this.#sums[c]! += this.#perLane[c]![lane]!;
        this.#perLane[c]![lane] = 0;
      }
      this.#episodes++;
      const flag = r.episode.flag[lane] === 1;
      if (r.episode.startState?.[lane] === 1) {
        this.#fromStates.episodes++;
        if (flag) this.#fromStates.flags++;
        continue;
      }
      const stage = finishedStage(r, lane);
      let w = this.#stages.get(stage);
      if (!w) this.#stages.set(stage, (w = new StageWindow(this.#windowSize)));
      w.add(flag, r.episode.maxX[lane]!);
    }
  }

  onRolloutEnd(ctx: CallbackContext): void {
    if (this.#episodes > 0) {
      this.#names.forEach((name, c) => ctx.record(`rewards/${name}`, this.#sums[c]! / this.#episodes));
      this.#sums.fill(0);
      this.#episodes = 0;
    }
    for (const [stage, w] of this.#perStage ? this.#stages : []) {
      let flags = 0;
      let x = 0;
      for (let i = 0; i < w.count; i++) {
        flags += w.flags[i]!;
        x += w.maxX[i]!;
      }
      ctx.record(`stages/${stage}/flag_rate`, flags / w.count);
      ctx.record(`stages/${stage}/max_x_mean`, x / w.count);
      ctx.record(`stages/${stage}/episodes`, w.count);
    }
    if (this.#fromStates.episodes > 0) {
      ctx.record('start_states/episodes', this.#fromStates.episodes);
      ctx.record('start_states/flag_rate', this.#fromStates.flags / this.#fromStates.episodes);
      this.#fromStates = { episodes: 0, flags: 0 };
    }
  }

  /** The per-stage windows (so a resumed run reports the same `stages/*` values). */
  state(): Record<string, { flags: number[]; maxX: number[]; count: number; next: number }> | undefined {
    if (!this.#perStage) return undefined;
    const out: Record<string, { flags: number[]; maxX: number[]; count: number; next: number }> = {};
    for (const [stage, w] of this.#stages) out[stage] = { flags: [...w.flags], maxX: [...w.maxX], count: w.count, next: w.next };
    return out;
  }

  restore(state: unknown): void {
    this.#stages.clear();
    if (!state || typeof state !== 'object') return;
    for (const [stage, v] of Object.entries(state as Record<string, { flags: number[]; maxX: number[]; count: number; next: number }>)) {
      if (!Array.isArray(v?.flags) || v.flags.length !== this.#windowSize || !Array.isArray(v.maxX) || v.maxX.length !== this.#windowSize) continue;
      const w = new StageWindow(this.#windowSize);
      w.flags.set(v.flags);
      w.maxX.set(v.maxX);
      w.count = Math.min(Number(v.count) || 0, this.#windowSize);
      w.next = (Number(v.next) || 0) % this.#windowSize;
      this.#stages.set(stage, w);
    }
  }
}
