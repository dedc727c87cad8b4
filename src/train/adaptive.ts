/**
 * Adaptive schedules (config `adaptive.*`): the entropy coefficient and the learning-rate scale
 * react to stagnation, within bounds and with a cooldown. After each eval probe (onProbe):
 *
 * - a **rise** is any probed stage whose p50 of max x beats that stage's best so far by at least
 *   `adaptive.minDelta` px (a stage probed for the first time counts as a rise);
 * - after `adaptive.patience` probes in a row without a rise, and no change in the last
 *   `adaptive.cooldown` probes, the entropy coefficient is multiplied by `adaptive.entFactor`
 *   (at most `adaptive.entCoefMax`) and the learning-rate scale by `adaptive.lrFactor` (at least
 *   `adaptive.lrScaleMin`): more exploration, smaller steps;
 * - after a rise, both move one step back towards where they started (the entropy coefficient
 *   divided by the factor, at least `adaptive.entCoefMin` and not below the config's value; the
 *   lr scale back towards 1).
 *
 * Every change is a row of `RUN/adaptive.jsonl` (`global_step`, `reason`, `ent_coef`, `lr_scale`,
 * `stagnant_probes`) and a console line; the values are in the metrics rows as `charts/ent_coef`
 * and `adaptive/lr_scale`. The state is in checkpoints and sets the controls again after a resume.
 * The entropy coefficient applies to PPO and A2C; for DQN only the lr scale moves.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { appendRunFile } from '../run/run-dir.js';
import { type CallbackContext, type ProbeResult, type TrainerCallback } from './callbacks.js';
import { type AdaptiveConfig, type TrainerConfig } from './config.js';

interface AdaptiveState {
  best: Record<string, number>;
  stagnant: number;
  sinceChange: number;
  entCoef: number | null;
  lrScale: number;
}

/** The adaptive-schedule callback (see the file comment); registered by the Trainer when `adaptive.patience` > 0. */
export class AdaptiveSchedules implements TrainerCallback {
  readonly name = 'adaptive';
  readonly #a: AdaptiveConfig;
  readonly #baseEnt: number | null;
  #state: AdaptiveState;

  constructor(config: TrainerConfig) {
    this.#a = config.adaptive;
    this.#baseEnt = config.algo === 'ppo' ? config.ppo.entCoef : config.algo === 'a2c' ? config.a2c.entCoef : null;
    this.#state = { best: {}, stagnant: 0, sinceChange: Infinity, entCoef: this.#baseEnt, lrScale: 1 };
  }

  /** The entropy coefficient now (null for DQN). */
  get entCoef(): number | null {
    return this.#state.entCoef;
  }

  /** The learning-rate scale now. */
  get lrScale(): number {
    return this.#state.lrScale;
  }

  #apply(ctx: CallbackContext): void {
    if (this.#state.entCoef !== null) ctx.controls.entCoef = this.#state.entCoef;
    ctx.controls.lrScale = this.#state.lrScale;
    ctx.record('adaptive/lr_scale', this.#state.lrScale);
  }

  onTrainStart(ctx: CallbackContext): void {
    this.#apply(ctx);
  }

  onProbe(ctx: CallbackContext, result: ProbeResult): void {
    const a = this.#a;
    const s = this.#state;
    let rise = false;
    for (const r of result.stages) {
      const best = s.best[r.stage];
      if (best === undefined || r.maxXP50 >= best + a.minDelta) rise = true;
      if (best === undefined || r.maxXP50 > best) s.best[r.stage] = r.maxXP50;
    }
    s.sinceChange++;
    s.stagnant = rise ? 0 : s.stagnant + 1;
    let reason: string | null = null;
    const ent = s.entCoef;
    const lr = s.lrScale;
    if (!rise && s.stagnant >= a.patience && s.sinceChange >= a.cooldown) {
      if (ent !== null) s.entCoef = Math.min(a.entCoefMax, Math.max(ent, a.entCoefMin) * a.entFactor);
      s.lrScale = Math.max(a.lrScaleMin, lr * a.lrFactor);
      reason = `no rise in p50 max x for ${s.stagnant} probes`;
    } else if (rise && ((ent !== null && this.#baseEnt !== null && ent > Math.max(this.#baseEnt, a.entCoefMin)) || lr < 1)) {
      if (ent !== null && this.#baseEnt !== null) s.entCoef = Math.max(this.#baseEnt, a.entCoefMin, ent / a.entFactor);
      s.lrScale = Math.min(1, a.lrFactor > 0 ? lr / a.lrFactor : 1);
      reason = 'p50 max x rose';
    }
    if (reason !== null && (s.entCoef !== ent || s.lrScale !== lr)) {
      s.sinceChange = 0;
      mkdirSync(ctx.config.runDir, { recursive: true });
      const row = { global_step: result.globalStep, reason, ent_coef: s.entCoef, lr_scale: s.lrScale, stagnant_probes: s.stagnant };
      appendRunFile(join(ctx.config.runDir, 'adaptive.jsonl'), JSON.stringify(row) + '\n');
      const entText = s.entCoef !== null ? `entropy coefficient ${ent} → ${s.entCoef}, ` : '';
      ctx.warn(`adaptive: ${reason} at step ${result.globalStep}: ${entText}lr scale ${lr} → ${s.lrScale}`);
    }
    this.#apply(ctx);
  }

  state(): AdaptiveState {
    return { ...this.#state, best: { ...this.#state.best }, sinceChange: Number.isFinite(this.#state.sinceChange) ? this.#state.sinceChange : 1e9 };
  }

  restore(state: unknown): void {
    const s = state as Partial<AdaptiveState> | null;
    if (!s || typeof s !== 'object' || typeof s.lrScale !== 'number') return;
    this.#state = {
      best: { ...(s.best ?? {}) },
      stagnant: Number(s.stagnant ?? 0),
      sinceChange: Number(s.sinceChange ?? 1e9),
      entCoef: typeof s.entCoef === 'number' ? s.entCoef : this.#baseEnt,
      lrScale: s.lrScale,
    };
  }
}
